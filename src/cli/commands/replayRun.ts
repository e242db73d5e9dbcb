/**
 * Runs `konnect-audit replay`: checks the range and the webhook, PUTs the job, follows its states
 * and reports what the profile's listener stored for the range.
 */
import { dataDirOf } from '../../config/paths.js';
import { KonnectApiError, KonnectClient } from '../../konnect/client.js';
import { apiTime, checkReplayRange, ReplayConflictError, ReplayRangeError, requestReplay, RETENTION_MS, watchReplayJob, type ReplayScope, type TimeRange } from '../../konnect/replayJob.js';
import type { AuditLogReplayJob } from '../../konnect/types.js';
import { replayProgress, rangeLabel } from '../../replay/progress.js';
import { RangeCounter } from '../../replay/rangeCount.js';
import { runningListener, type RunningListener } from '../../processes/runningListener.js';
import { settledCount } from '../../replay/settle.js';
import { replayTarget, ReplayTargetError, statusWarning, type ReplayTarget } from '../../replay/target.js';
import { profilePaths } from '../../store/paths.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { RuntimeError, UsageError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import { parseDuration } from '../parse.js';
import { parseTimeRange } from '../timeRange.js';
import type { ReplayFlags } from './replay.js';

const COMMAND = 'replay';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A start this close to the 7-day limit is moved inside it, so Konnect does not refuse it on arrival. */
const RETENTION_MARGIN_MS = 60_000;
/** The longest wait for the store's count to settle after completion. */
const SETTLE_MAX_MS = 60_000;
/** Exit status after Ctrl+C (128 + SIGINT), as shells report it. */
const EXIT_INTERRUPTED = 130;

/** The validated flags. */
export interface ReplaySettings {
  readonly range: TimeRange;
  /** Set when the start was moved inside Konnect's 7 days (see RETENTION_MARGIN_MS). */
  readonly clampedFrom?: number;
  readonly scope: ReplayScope;
  readonly wait: boolean;
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly settleMs: number;
  readonly output: OutputFormat;
}

/** What the command found out, as -o json|yaml prints it. */
interface ReplayResult {
  readonly job: AuditLogReplayJob;
  readonly range: { readonly start_at: string; readonly end_at: string };
  readonly portal_id: string | null;
  readonly endpoint: string | null;
  readonly listener: { readonly pid: number; readonly local_endpoint: string | null; readonly endpoint: string | null; readonly receives_replay: boolean | null } | null;
  readonly records: { readonly before: number | null; readonly after: number | null; readonly new: number | null };
}

function duration(value: string | undefined, fallback: string, flag: string, allowZero = false): number {
  const ms = parseDuration(value ?? fallback, flag);
  if (ms <= 0 && !(allowZero && ms === 0)) throw new UsageError(`invalid ${flag} "${value}": must be more than 0`, COMMAND);
  return ms;
}

/**
 * Checks every flag before anything is called: a range Konnect would refuse (more than 7 days
 * back, in the future, empty) is a usage error.
 */
export function replaySettings(flags: ReplayFlags, now: number): ReplaySettings {
  let range: TimeRange = parseTimeRange(flags, COMMAND, now);
  let clampedFrom: number | undefined;
  const oldest = now - RETENTION_MS;
  // `--since 7d` means "all Konnect has": keep it a minute inside the limit, or it is stale on arrival.
  if (range.startMs >= oldest && range.startMs < oldest + RETENTION_MARGIN_MS && range.endMs >= oldest + RETENTION_MARGIN_MS) {
    clampedFrom = range.startMs;
    range = { startMs: oldest + RETENTION_MARGIN_MS, endMs: range.endMs };
  }
  try {
    checkReplayRange(range, now);
  } catch (error) {
    if (error instanceof ReplayRangeError) throw new UsageError(error.message, COMMAND);
    throw error;
  }
  // Whole seconds, as in Konnect's examples (`--since 6h` is not meant to the millisecond), widened
  // so that nothing asked for is left out, and never reaching back past the 7 days.
  const wholeStart = Math.floor(range.startMs / 1000) * 1000;
  range = { startMs: wholeStart >= oldest ? wholeStart : range.startMs, endMs: Math.ceil(range.endMs / 1000) * 1000 };
  if (flags.portalId !== undefined && !UUID.test(flags.portalId.trim())) {
    throw new UsageError(`invalid argument "${flags.portalId}" for "--portal-id" flag: expected the Dev Portal's UUID (for example 9cb77dc2-ff99-4d47-84ab-7c5c1b3ef939)`, COMMAND);
  }
  return {
    range,
    ...(clampedFrom !== undefined ? { clampedFrom } : {}),
    scope: flags.portalId !== undefined ? { portalId: flags.portalId.trim().toLowerCase() } : {},
    wait: flags.wait ?? true,
    pollMs: duration(flags.pollInterval, '1s', '--poll-interval'),
    timeoutMs: duration(flags.timeout, '30m', '--timeout'),
    settleMs: duration(flags.settle, '2s', '--settle', true),
    output: (flags.output ?? 'text') as OutputFormat,
  };
}

const scopeName = (scope: ReplayScope): string => (scope.portalId ? `Dev Portal ${scope.portalId}` : 'region');
const jobPath = (scope: ReplayScope): string => (scope.portalId ? `/v3/portals/${scope.portalId}/audit-log-replay-job` : '/v2/audit-log-replay-job');

/** Whether the webhook delivers to this profile's listener: true, false, or null when it cannot be told. */
function receivesReplay(listener: RunningListener, target: ReplayTarget): boolean | null {
  if (listener.destinationId && target.destinationId) return listener.destinationId === target.destinationId;
  if (listener.endpoint && target.endpoint) return listener.endpoint === target.endpoint;
  return null;
}

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

export async function runReplay(flags: ReplayFlags): Promise<void> {
  const settings = replaySettings(flags, Date.now());
  const { range, scope } = settings;
  if (settings.clampedFrom !== undefined) {
    warn(`the start ${apiTime(settings.clampedFrom)} is at the edge of Konnect's 7 days; using ${apiTime(range.startMs)} so that Konnect does not refuse it on arrival`);
  }
  const connection = await connectionFor(flags);
  const client = new KonnectClient({ baseUrl: connection.baseUrl, globalBaseUrl: connection.globalBaseUrl, token: connection.token, userAgent: `konnect-audit/${VERSION}` });
  const paths = profilePaths(dataDirOf(flags.dataDir, connection.profileSettings['data-dir']), connection.profile);

  let target: ReplayTarget;
  try {
    target = await replayTarget(client, scope);
  } catch (error) {
    if (error instanceof ReplayTargetError) throw new RuntimeError(error.message);
    throw error;
  }
  const statusNote = statusWarning(target.status);
  if (statusNote) warn(statusNote);

  const listener = await runningListener(paths);
  const receives = listener ? receivesReplay(listener, target) : null;
  if (listener && receives === false) {
    warn(
      `the ${scopeName(scope)} webhook sends to ${target.endpoint ?? `destination ${target.destinationId}`}, not to this profile's listener (pid ${listener.pid}${listener.endpoint ? `, ${listener.endpoint}` : ''}): the replayed records go there, and the listener should receive none of them`,
    );
  }
  const counter = listener ? new RangeCounter(paths.dir, range) : undefined;
  const before = counter ? await counter.count() : null;

  let job: AuditLogReplayJob;
  try {
    job = await requestReplay(client, scope, range);
  } catch (error) {
    if (error instanceof ReplayConflictError) {
      throw new RuntimeError(`${error.message}. Follow it with konnect-audit status (or GET ${jobPath(scope)})`);
    }
    if (error instanceof KonnectApiError && error.status === 400) {
      throw new RuntimeError(`Konnect refused the replay range ${apiTime(range.startMs)} to ${apiTime(range.endMs)}: ${error.message}`);
    }
    throw error;
  }

  const result = (final: AuditLogReplayJob, after: number | null): ReplayResult => ({
    job: final,
    range: { start_at: apiTime(range.startMs), end_at: apiTime(range.endMs) },
    portal_id: scope.portalId ?? null,
    endpoint: target.endpoint ?? null,
    listener: listener ? { pid: listener.pid, local_endpoint: listener.localEndpoint ?? null, endpoint: listener.endpoint ?? null, receives_replay: receives } : null,
    records: { before, after, new: before !== null && after !== null ? after - before : null },
  });
  const print = (value: ReplayResult, text: () => string) => process.stdout.write(renderStructured(settings.output, value, text));

  if (!settings.wait) {
    print(result(job, null), () => `Replay job ${job.status} (${scopeName(scope)}): ${apiTime(range.startMs)} to ${apiTime(range.endMs)}, sent to ${target.endpoint ?? `destination ${target.destinationId}`}.\nIt runs in Konnect; follow it with konnect-audit status (or GET ${jobPath(scope)}).\n`);
    return;
  }

  const progress = replayProgress({ out: process.stderr, tty: process.stderr.isTTY === true, label: rangeLabel(range) });
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let final: AuditLogReplayJob;
  try {
    final = await watchReplayJob(client, scope, job, {
      intervalMs: settings.pollMs,
      timeoutMs: settings.timeoutMs,
      signal: interrupt.signal,
      onState: (j) => progress.state(j.status),
    });
  } catch (error) {
    progress.stop();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (final.status !== 'completed' && final.status !== 'failed') {
    const interrupted = interrupt.signal.aborted;
    progress.done(final.status, interrupted ? 'stopped following' : `still ${final.status} after --timeout ${flags.timeout ?? '30m'}`);
    process.stderr.write(`${interrupted ? 'Stopped following the' : 'error: gave up following the'} replay job: it goes on in Konnect. Check it with konnect-audit status (or GET ${jobPath(scope)}).\n`);
    process.exitCode = interrupted ? EXIT_INTERRUPTED : 1;
    return;
  }
  progress.done(final.status);

  let after: number | null = null;
  let settledNote = '';
  if (counter) {
    const tty = process.stderr.isTTY === true;
    if (tty && settings.settleMs > 0) process.stderr.write(`counting the listener's records until deliveries settle (${flags.settle ?? '2s'})…`);
    const settled = await settledCount(() => counter.count(), { settleMs: settings.settleMs, maxMs: SETTLE_MAX_MS });
    if (tty && settings.settleMs > 0) process.stderr.write('\r\x1b[K');
    after = settled.count;
    if (!settled.stable) settledNote = ' (still growing: Konnect is still delivering; konnect-audit events --since shows more later)';
  }
  const value = result(final, after);
  print(value, () => reportText(value, final, settledNote, paths.dir));

  if (final.status === 'failed') {
    const status = await (scope.portalId ? client.getPortalWebhookStatus(scope.portalId) : client.getWebhookStatus()).catch(() => undefined);
    const last = status ? [status.last_response_code, status.last_response_message].filter((x) => x !== undefined && x !== '').join(' ') : '';
    process.stderr.write(
      `error: the replay job failed${last ? ` (the webhook's last response: ${last})` : ''}: check the webhook (konnect-audit webhook status${scope.portalId ? `; GET /v3/portals/${scope.portalId}/audit-log-webhook/status` : ''}) and that ${target.endpoint ?? 'its endpoint'} is reachable from Konnect and accepts the authorization; then run replay again\n`,
    );
    process.exitCode = 1;
  }
}

function reportText(value: ReplayResult, final: AuditLogReplayJob, settledNote: string, dir: string): string {
  const lines = [`Replay job ${final.status} (${value.portal_id ? `Dev Portal ${value.portal_id}` : 'region'}): ${value.range.start_at} to ${value.range.end_at}.`];
  const { listener, records } = value;
  if (listener && records.new !== null && records.after !== null) {
    const received = `The listener (pid ${listener.pid}) stored ${records.new} new record${records.new === 1 ? '' : 's'} for the range${settledNote}; the store now holds ${records.after} record${records.after === 1 ? '' : 's'} in it`;
    lines.push(`${received} (re-sent records it already had were dropped as duplicates).`);
    if (listener.receives_replay === false) lines.push(`The webhook sends to ${value.endpoint ?? 'another endpoint'}, not to this listener: the replayed records went there.`);
  } else {
    lines.push(`No listener runs for this profile (${dir}): Konnect sent the records to the webhook's endpoint${value.endpoint ? `, ${value.endpoint}` : ''}.`);
  }
  return lines.join('\n') + '\n';
}

