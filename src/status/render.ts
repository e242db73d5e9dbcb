/**
 * The `status` screen: one object (printed as JSON or YAML as it is) and its text rendering in
 * aligned sections: Konnect, Local, Store, then what to do.
 */
import { ago } from './advice.js';
import { failed, type KonnectSnapshot } from './konnect.js';
import type { DetachedListener, EndpointMatch, ProfileListener } from './listeners.js';
import type { StoreSummary } from './store.js';

/** Everything `status` shows. */
export interface StatusReport {
  /** RFC 3339 time the report was made. */
  readonly generated_at: string;
  readonly konnect: KonnectSnapshot & { readonly error?: string };
  readonly local: {
    readonly profile: string;
    readonly data_dir: string;
    readonly listener: ProfileListener;
    readonly detached: readonly DetachedListener[];
    /** Whether a running listener is the webhook's receiver (absent when the webhook is unknown or unconfigured). */
    readonly webhook_target?: EndpointMatch;
  };
  readonly store: StoreSummary | { readonly error: string };
  /** Advice lines; empty when all is well. */
  readonly advice: readonly string[];
}

const LABEL = 17;
const row = (label: string, value: string) => `  ${`${label}:`.padEnd(LABEL)}${value}`;
const when = (iso: string | null, now: number) => (iso ? `${iso} (${ago(iso, now)})` : 'never');

/** Bytes as B, KiB, MiB or GiB with one decimal. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function konnectLines(k: StatusReport['konnect'], now: number): string[] {
  const title = k.portal_id ? `Konnect: Dev Portal ${k.portal_id} (${k.base_url})` : `Konnect: region ${k.base_url}`;
  const lines = [title];
  if (k.error) return [...lines, row('error', k.error)];
  const w = k.webhook;
  if (failed(w)) lines.push(row('webhook', `error: ${w.error}`));
  else {
    lines.push(row('webhook', w.endpoint));
    if (w.endpoint !== 'unconfigured') {
      lines.push(row('enabled', String(w.enabled)));
      lines.push(row('log format', w.log_format ?? '-'));
      lines.push(row('skip TLS verify', w.skip_ssl_verification === null ? '-' : String(w.skip_ssl_verification)));
      if (w.destination_id) lines.push(row('destination', w.destination_name ? `${w.destination_id} (${w.destination_name})` : w.destination_id));
      lines.push(row('authorization', k.portal_id ? 'not shown (write-only, on the destination)' : 'not shown (write-only in Konnect)'));
    }
  }
  const s = k.status;
  if (failed(s)) lines.push(row('status', `error: ${s.error}`));
  else {
    lines.push(row('status', `${s.webhook_status} (${s.webhook_enabled ? 'enabled' : 'disabled'})`));
    lines.push(row('last attempt', s.last_attempt_at ? when(s.last_attempt_at, now) : 'none yet'));
    if (s.last_response_code !== null || s.last_response_message !== null) {
      const response = s.last_response_code === null ? `no response: ${s.last_response_message ?? ''}` : [s.last_response_code, s.last_response_message].filter((x) => x !== null && x !== '').join(' ');
      lines.push(row('last response', response));
    }
  }
  const r = k.replay_job;
  if (failed(r)) lines.push(row('replay job', `error: ${r.error}`));
  else if (r.status === 'none') lines.push(row('replay job', 'none'));
  else lines.push(row('replay job', `${r.status}, ${r.start_at ?? '?'} to ${r.end_at ?? '?'}, updated ${when(r.updated_at, now)}`));
  return lines;
}

function localLines(l: StatusReport['local'], now: number): string[] {
  const lines = [`Local: profile ${l.profile} (${l.data_dir})`];
  const p = l.listener;
  if (p.state === 'none') lines.push(row('listener', 'none has run for this profile'));
  else if (p.state === 'stopped') lines.push(row('listener', `not running (last started ${when(p.started_at, now)})`));
  else {
    lines.push(row('listener', `running, pid ${p.pid}${p.started_at ? `, since ${when(p.started_at, now)}` : ''}`));
    if (p.local_endpoint) lines.push(row('serves', p.local_endpoint));
    if (p.endpoint) lines.push(row('endpoint', p.endpoint));
  }
  if (l.detached.length === 0) lines.push(row('detached', 'none'));
  l.detached.forEach((d, i) => {
    lines.push(row(i === 0 ? 'detached' : '', `pid ${d.pid} ${d.status}, profile ${d.profile}${d.endpoint ? `, ${d.endpoint}` : ''}`));
  });
  const t = l.webhook_target;
  if (t?.target === 'listener') lines.push(row('webhook target', 'this machine: the webhook points at a running listener'));
  else if (t?.target === 'elsewhere') lines.push(row('webhook target', `elsewhere: the webhook does not point at the running listener (${t.listener_endpoints.join(', ') || 'its endpoint is unknown'})`));
  return lines;
}

function storeLines(s: StatusReport['store'], now: number): string[] {
  if ('error' in s) return ['Store', row('error', s.error)];
  if (s.segments === 0 && !s.active_file && s.quarantined === 0) return [`Store: ${s.dir}`, row('records', 'none (no files yet)')];
  const segments = s.segments > 0 || !s.active_file ? `${s.segments} segment${s.segments === 1 ? '' : 's'}` : '';
  const files = [segments, s.active_file ? 'events.jsonl' : ''].filter((x) => x !== '').join(' + ');
  const lines = [`Store: ${s.dir}`, row('records', `${s.records.toLocaleString('en-US')} (counted)`), row('size', `${formatBytes(s.size_bytes)} in ${files}`), row('newest record', when(s.newest_record_at, now))];
  if (s.quarantined > 0) lines.push(row('quarantined', `${s.quarantined.toLocaleString('en-US')} (failed signature checks; quarantine.jsonl)`));
  return lines;
}

/**
 * The report as text.
 * @example process.stdout.write(renderStatusText(report, Date.now()));
 */
export function renderStatusText(report: StatusReport, now: number): string {
  const sections = [konnectLines(report.konnect, now), localLines(report.local, now), storeLines(report.store, now)];
  if (report.advice.length > 0) sections.push(report.advice.map((l) => l));
  return sections.map((s) => s.join('\n')).join('\n\n') + '\n';
}
