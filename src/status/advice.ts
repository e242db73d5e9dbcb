/**
 * What `status` tells the user to do: pure functions of what was gathered, so every case is
 * tested without Konnect.
 */
import { ACTIVE_REPLAY_STATES, RETENTION_MS } from '../konnect/replayJob.js';
import type { ReplayJobStatus } from '../konnect/types.js';
import type { EndpointMatch } from './listeners.js';
import { failed, type KonnectSnapshot } from './konnect.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Added before the gap's start: a failed batch holds records from before its last attempt (retries take ~15 s). */
const GAP_MARGIN_MS = MINUTE;

/**
 * A `--since` duration covering everything from `fromMs` to `now`, rounded up (a margin of a
 * minute, whole minutes up to 2 hours, whole hours up to 2 days, whole days after) and capped at
 * Konnect's 7 days of retention.
 * @example replaySince(Date.parse('2026-01-01T11:13:30Z'), Date.parse('2026-01-01T12:00:00Z')) // '48m'
 */
export function replaySince(fromMs: number, now: number): string {
  const gap = Math.max(0, now - fromMs) + GAP_MARGIN_MS;
  if (gap >= RETENTION_MS) return '7d';
  if (gap <= 2 * HOUR) return `${Math.ceil(gap / MINUTE)}m`;
  if (gap <= 2 * DAY) return `${Math.ceil(gap / HOUR)}h`;
  return `${Math.min(7, Math.ceil(gap / DAY))}d`;
}

/** "3 min ago", "just now", "in 2 min" (clock skew), for times shown next to their RFC 3339 form. */
export function ago(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  const abs = Math.abs(ms);
  if (abs < 10_000) return 'just now';
  const text = abs < MINUTE ? `${Math.round(abs / 1000)} s` : abs < 2 * HOUR ? `${Math.round(abs / MINUTE)} min` : abs < 2 * DAY ? `${Math.round(abs / HOUR)} h` : `${Math.round(abs / DAY)} days`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

/** Why the last delivery failed, in words, from its response code and message. */
export function failureReason(code: number | null, message: string | null): string {
  if (code === null) return `nothing answered${message ? ` (${message})` : ''}: the endpoint is down or unreachable from Konnect`;
  const what = `${code}${message ? ` ${message}` : ''}`;
  if (code === 401 || code === 403) return `the receiver refused the authorization (${what}): the webhook's authorization is not the value it expects`;
  if (code === 404 || code === 405) return `the receiver has nothing at that path (${what}): check the endpoint URL`;
  if (code === 413) return `the receiver refused the batch as too large (${what})`;
  if (code === 429) return `the receiver kept rate-limiting (${what}) until Konnect's retries ran out`;
  if (code >= 500) return `the receiver failed (${what}) on every retry`;
  return `the receiver answered ${what}`;
}

/** What advice needs besides the Konnect snapshot. */
export interface AdviceContext {
  readonly now: number;
  /** Epoch ms of the newest stored record, if the store has any. */
  readonly newestStoredMs?: number;
  readonly match?: EndpointMatch;
}

/**
 * The advice block: empty when the webhook is active and enabled. For `inactive`: why, then how
 * to make the endpoint reachable and the `replay --since` that recovers the gap; for a disabled or
 * unconfigured webhook: how to enable or configure it.
 * @example advice(snapshot, { now: Date.now() }).join('\n')
 */
export function advice(k: KonnectSnapshot, ctx: AdviceContext): string[] {
  if (failed(k.status)) return [];
  const s = k.status;
  const portal = k.portal_id ? ` --portal-id ${k.portal_id}` : '';
  const endpoint = !failed(k.webhook) ? k.webhook.endpoint : undefined;
  if (s.webhook_status === 'unconfigured' || endpoint === 'unconfigured') {
    return k.portal_id
      ? [
          'The Dev Portal webhook is not configured: Konnect sends nothing.',
          `  bind it to a destination: konnect-audit webhook set${portal} --destination-id DESTINATION_ID`,
          '  (create the destination with the endpoint first: POST /v3/audit-log-destinations on the global host; list them with konnect-audit destinations list)',
        ]
      : [
          "The region's webhook is not configured: Konnect sends nothing.",
          '  send to your SIEM:       konnect-audit webhook set --endpoint URL --authorization VALUE --log-format cef|json|cps',
          '  or receive them here:    konnect-audit listen --endpoint PUBLIC_URL --authorization VALUE',
        ];
  }
  const lines: string[] = [];
  if (s.webhook_status === 'inactive') {
    const when = s.last_attempt_at ? ` at ${s.last_attempt_at} (${ago(s.last_attempt_at, ctx.now)})` : '';
    lines.push(`The webhook is inactive: the last delivery${when} failed and Konnect stopped streaming to ${endpoint ?? 'the endpoint'}.`);
    lines.push(`  why: ${failureReason(s.last_response_code, s.last_response_message)}`);
    lines.push('What to do:');
    const code = s.last_response_code;
    if (code === 401 || code === 403) {
      const destination = !failed(k.webhook) && k.webhook.destination_id ? k.webhook.destination_id : 'DESTINATION_ID';
      lines.push(
        k.portal_id
          ? `  1. give the destination the authorization the receiver expects: PATCH /v3/audit-log-destinations/${destination} {"authorization": VALUE} (global host)`
          : '  1. give the webhook the authorization the receiver expects: konnect-audit webhook set --authorization VALUE',
      );
    } else if (ctx.match?.target === 'listener') {
      lines.push(`  1. the local listener receiving ${endpoint ?? 'it'} is running: make sure Konnect can reach it (tunnel, proxy, firewall)`);
    } else {
      lines.push(`  1. make ${endpoint ?? 'the endpoint'} reachable: start the receiver behind it (konnect-audit listen, if it is yours) or fix the SIEM`);
    }
    if (ctx.match?.target === 'elsewhere') lines.push(`     note: the webhook points elsewhere, not at the running listener (${ctx.match.listener_endpoints.join(', ')})`);
    const stored = ctx.newestStoredMs;
    const fromStore = stored !== undefined && (!s.last_attempt_at || stored <= Date.parse(s.last_attempt_at)) && ctx.now - stored < RETENTION_MS;
    const fromMs = fromStore ? stored : s.last_attempt_at ? Date.parse(s.last_attempt_at) : ctx.now - RETENTION_MS;
    const basis = fromStore
      ? `from the newest stored record, ${new Date(fromMs).toISOString()}, rounded up`
      : s.last_attempt_at
        ? 'from the last attempt, rounded up; reach further back if deliveries failed before it'
        : "Konnect's whole 7 days";
    lines.push(`  2. once it is reachable, recover the records lost meanwhile (${basis}):`);
    lines.push(`       konnect-audit replay${portal} --since ${replaySince(fromMs, ctx.now)}`);
    const job = !failed(k.replay_job) ? k.replay_job : undefined;
    if (job && ACTIVE_REPLAY_STATES.has(job.status as ReplayJobStatus)) {
      lines.push(`     a replay job is ${job.status} now (${job.start_at ?? '?'} to ${job.end_at ?? '?'}): Konnect runs one at a time, so request yours when it has ended`);
    }
    lines.push("     Konnect resends them to the webhook; konnect-audit's listener drops the records it already has.");
    lines.push(`  check with konnect-audit status${portal} (active again after the next successful delivery).`);
  }
  if (!s.webhook_enabled) {
    lines.push(`The webhook is disabled: Konnect sends nothing. Enable it with konnect-audit webhook set${portal} --enabled`);
  }
  return lines;
}
