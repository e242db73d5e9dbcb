/**
 * Gap back-fill: when a listener starts after a time without one, the audit events of that time
 * were sent to nobody (or failed and were given up). Konnect keeps 7 days of them and re-sends a
 * range on request (a replay job), so once this listener's webhook is enabled it asks for the gap,
 * watches the job, and reports what it got; records it already has are dropped as duplicates.
 *
 * The gap starts at the newest stored record (minus a margin: Konnect does not deliver in order),
 * or, with an empty store, at the start of a previous listener that stopped uncleanly; it ends when
 * this listener's webhook was enabled (plus a little slack). A run marker beside the events
 * (`listener.run.json`) tells a clean stop from a kill and keeps a gap not yet recovered for the
 * next start: it survives `konnect-audit cleanup`, which removes the stale lock.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { KonnectApiError, type KonnectClient } from '../konnect/client.js';
import {
  ACTIVE_REPLAY_STATES,
  apiTime,
  checkReplayRange,
  getReplayJob,
  ReplayConflictError,
  requestReplay,
  RETENTION_MS,
  watchReplayJob,
  type TimeRange,
} from '../konnect/replayJob.js';
import type { AuditLogReplayJob } from '../konnect/types.js';
import { writeJsonAtomic } from '../store/files.js';
import type { BackfillMode } from './settings.js';

/** Konnect does not deliver in order: batches in flight at a stop may hold events older than the newest stored one. */
export const GAP_MARGIN_MS = 5 * 60_000;
/** Added to the moment the webhook was enabled, for clock skew with Konnect (an end up to a minute ahead passes checkReplayRange). */
export const END_SLACK_MS = 15_000;
/** How far past a range's end "now" must be before the range is asked for again after Konnect refused it (clock skew). */
export const END_PASSED_MARGIN_MS = 2000;
/** A gap beyond retention starts this long after its edge, so the range is still valid when Konnect checks it. */
export const RETENTION_EDGE_MS = 60_000;
/** Time between polls of a replay job. */
export const DEFAULT_POLL_MS = 1000;
/** The run marker, beside the events. */
export const RUN_MARKER_FILE = 'listener.run.json';

/** A listener that was running and did not stop cleanly (killed, crashed, machine lost). */
export interface UncleanStop {
  readonly pid: number;
  readonly startedAtMs: number;
}

/** What the store and earlier runs say about the time no listener covered. */
export interface GapEvidence {
  /** Time of the newest stored record. */
  readonly newestRecordMs?: number | undefined;
  /** A previous listener that did not stop cleanly, not yet back-filled. */
  readonly uncleanStop?: UncleanStop | undefined;
  /** The start of a gap an earlier listener did not recover (its replay failed or was cut short). */
  readonly pendingSinceMs?: number | undefined;
}

/** A range to replay, and why. */
export interface Gap extends TimeRange {
  /** The start before clamping to Konnect's 7 days. */
  readonly wantedStartMs: number;
  /** Set when the gap reaches back further than Konnect keeps events: those before startMs are lost. */
  readonly lostBefore: boolean;
  /** Why the gap starts where it does, for the log line. */
  readonly reason: string;
}

/**
 * The gap to back-fill, or undefined when there is nothing to anchor it (an empty store and no
 * unclean stop) or it is empty. Start: the newest stored record minus GAP_MARGIN_MS (an earlier
 * unrecovered gap start when older), else the unclean listener's start; never before
 * `now - 7 days + 1 min`. End: `enabledAtMs + END_SLACK_MS`. Whole seconds, start down, end up.
 * @example computeGap({ newestRecordMs: Date.parse('2026-11-27T10:00:00Z') }, Date.parse('2026-11-27T12:00:00Z'), now)
 * // { startMs: 09:55:00, endMs: 12:00:15, reason: 'newest stored record at 2026-11-27T10:00:00Z', ... }
 */
export function computeGap(evidence: GapEvidence, enabledAtMs: number, now: number): Gap | undefined {
  const reasons: string[] = [];
  const starts: number[] = [];
  if (evidence.newestRecordMs !== undefined) {
    starts.push(evidence.newestRecordMs - GAP_MARGIN_MS);
    reasons.push(`newest stored record at ${apiTime(evidence.newestRecordMs)}`);
  } else if (evidence.uncleanStop) {
    starts.push(evidence.uncleanStop.startedAtMs);
  }
  if (evidence.uncleanStop) reasons.push(`previous listener (pid ${evidence.uncleanStop.pid}, started at ${apiTime(evidence.uncleanStop.startedAtMs)}) stopped uncleanly`);
  if (evidence.pendingSinceMs !== undefined) {
    starts.push(evidence.pendingSinceMs);
    reasons.push(`an earlier back-fill from ${apiTime(evidence.pendingSinceMs)} did not complete`);
  }
  if (starts.length === 0) return undefined;
  const wantedStartMs = floorSecond(Math.min(...starts));
  const endMs = ceilSecond(enabledAtMs + END_SLACK_MS);
  const startMs = clampStart(wantedStartMs, now);
  if (startMs >= endMs) return undefined;
  return { startMs, endMs, wantedStartMs, lostBefore: startMs > wantedStartMs, reason: reasons.join('; ') };
}

/** The earliest start Konnect still has events for (7 days back, plus a minute of margin). */
export function clampStart(startMs: number, now: number): number {
  return Math.max(startMs, ceilSecond(now - RETENTION_MS + RETENTION_EDGE_MS));
}

const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;

/** Konnect's replay job for the listener's region, as the back-fill uses it (fakes in tests). */
export interface ReplayApi {
  /** PUTs a job; ReplayConflictError on 409 (another job active). */
  request(range: TimeRange): Promise<AuditLogReplayJob>;
  /** The region's current job. */
  current(): Promise<AuditLogReplayJob>;
  /** Polls until the job is completed or failed, or the listener stops (then the last job seen). */
  watch(job: AuditLogReplayJob, onState: (job: AuditLogReplayJob) => void): Promise<AuditLogReplayJob>;
}

/**
 * The region's replay job through `client`, every call abortable by `signal` (a stopping listener
 * never waits for a poll), polled every `intervalMs`.
 * @example const api = konnectReplayApi(client, stop.signal);
 */
export function konnectReplayApi(client: KonnectClient, signal: AbortSignal, intervalMs = DEFAULT_POLL_MS): ReplayApi {
  return {
    request: (range) => requestReplay(client, {}, range, { signal }),
    current: () => getReplayJob(client, {}, { signal }),
    watch: (job, onState) => watchReplayJob(client, {}, job, { intervalMs, onState, signal }),
  };
}

/** Where the back-fill reports: `info` and `warn` lines are shown to the user (stderr) and logged; `note` is logged only. */
export interface BackfillReporter {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  note(message: string, fields?: Record<string, unknown>): void;
}

/** What the back-fill needs from the listener. */
export interface BackfillContext {
  readonly mode: BackfillMode;
  readonly api: ReplayApi;
  readonly report: BackfillReporter;
  /** Stops waiting, polling and asking (the listener is stopping). */
  readonly signal: AbortSignal;
  /** The listener's counters: records stored and re-sent records dropped, so far. */
  readonly counters: () => { readonly stored: number; readonly duplicates: number | undefined };
  /** `ask`: asks the question, resolves with the answer (rejects when aborted). */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** The command that requests a range later, e.g. `konnect-audit replay --start-time X --end-time Y`. */
  readonly replayCommand: (range: TimeRange, spelling?: 'start-time' | 'since') => string;
  readonly now?: () => number;
  /** Waits between polls of another job (default: DEFAULT_POLL_MS, abortable). */
  readonly pause?: () => Promise<void>;
  /** Waits `ms` (default: an abortable timer); used before asking again for a range whose end has passed. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told just before a replay is requested (a stop may cut the answer short, not the request). */
  readonly onRequest?: (range: TimeRange) => void;
  /** Told the job this back-fill requested, and each state of it seen. */
  readonly onJob?: (job: AuditLogReplayJob) => void;
}

/** How a back-fill ended. */
export type BackfillOutcome =
  | 'nothing' // no gap
  | 'off' // --backfill off: the gap was only reported
  | 'declined' // ask: the user said no
  | 'completed' // the replay job completed
  | 'failed' // the replay job failed
  | 'error' // Konnect refused or could not be reached
  | 'stopped'; // the listener stopped first

/** Whether the gap still needs recovering after this outcome (kept in the run marker for the next start). */
export function gapStillOpen(outcome: BackfillOutcome): boolean {
  return outcome === 'failed' || outcome === 'error' || outcome === 'stopped';
}

/**
 * Runs the back-fill for `gap`: reports it, and unless `off` (or declined) requests a replay,
 * retries after a job that holds the region (409) has ended, watches the job and reports how it
 * ended. Never throws: a failure is a warning with the command that fills the gap later.
 * @example const outcome = await runBackfill(gap, { mode: 'auto', api, report, signal, counters, replayCommand });
 */
export async function runBackfill(gap: Gap | undefined, context: BackfillContext): Promise<BackfillOutcome> {
  const { report, signal, api } = context;
  const now = context.now ?? Date.now;
  if (!gap) {
    report.note('back-fill: nothing to back-fill (no stored record to start from, and the previous listener stopped cleanly)');
    return 'nothing';
  }
  const range = (): TimeRange => ({ startMs: clampStart(gap.wantedStartMs, now()), endMs: gap.endMs });
  const fields = { start_at: apiTime(gap.startMs), end_at: apiTime(gap.endMs), reason: gap.reason };
  if (gap.lostBefore) {
    report.warn(`warning: back-fill: the gap starts at ${apiTime(gap.wantedStartMs)}, more than 7 days ago; Konnect keeps audit events for 7 days, so those before ${apiTime(gap.startMs)} cannot be recovered`, {
      ...fields,
      wanted_start_at: apiTime(gap.wantedStartMs),
    });
  }
  const missing = `audit events from ${apiTime(gap.startMs)} to ${apiTime(gap.endMs)} may be missing (${gap.reason})`;
  if (context.mode === 'off') {
    report.warn(`warning: back-fill is off: ${missing}; request them with: ${context.replayCommand(gap)}`, fields);
    return 'off';
  }
  if (context.mode === 'ask') {
    let yes: boolean;
    try {
      yes = (await context.confirm?.(`Request a replay of the gap from ${apiTime(gap.startMs)} to ${apiTime(gap.endMs)} (${gap.reason})? [Y/n] `)) ?? false;
    } catch {
      return 'stopped';
    }
    if (signal.aborted) return 'stopped';
    if (!yes) {
      report.warn(`warning: back-fill declined: ${missing}; request them with: ${context.replayCommand(gap)}`, fields);
      return 'declined';
    }
  }

  let job: AuditLogReplayJob | undefined;
  let requested = range();
  let waitedForEnd = false;
  while (!job) {
    if (signal.aborted) return 'stopped';
    requested = range();
    try {
      checkReplayRange(requested, now());
      context.onRequest?.(requested);
      job = await api.request(requested);
    } catch (error) {
      if (signal.aborted) return 'stopped';
      // The end is a little ahead of now (END_SLACK_MS) and Konnect may refuse a future time (400):
      // once it has passed, the same range is valid; ask once more then.
      if (error instanceof KonnectApiError && error.status === 400 && !waitedForEnd && requested.endMs > now() - END_PASSED_MARGIN_MS) {
        waitedForEnd = true;
        const waitMs = requested.endMs + END_PASSED_MARGIN_MS - now();
        report.note(`back-fill: Konnect refused the range (${error.message}) while its end is ahead; asking again in ${Math.ceil(waitMs / 1000)} s, once it has passed`, { ...fields, error: error.message });
        try {
          await (context.sleep ?? ((ms: number) => delay(ms, undefined, { signal })))(waitMs);
        } catch {
          return 'stopped';
        }
        continue;
      }
      if (!(error instanceof ReplayConflictError)) {
        report.warn(`warning: back-fill: could not request a replay of the gap from ${apiTime(requested.startMs)} to ${apiTime(requested.endMs)}: ${(error as Error).message}; request it later with: ${context.replayCommand(requested)}`, {
          ...fields,
          error: (error as Error).message,
        });
        return 'error';
      }
      const other = error.job && ACTIVE_REPLAY_STATES.has(error.job.status) ? `${error.job.status} (${error.job.start_at} to ${error.job.end_at})` : 'running';
      report.info(`back-fill: a replay job is already ${other}; Konnect runs one at a time, so this listener requests its own when that one has finished`, {
        ...fields,
        other_job: error.job,
      });
      const ended = await waitForOtherJob(context);
      if (ended !== 'ended') return ended;
    }
  }

  context.onJob?.(job);
  report.info(`back-fill: requested a replay of audit events from ${apiTime(requested.startMs)} to ${apiTime(requested.endMs)} (${gap.reason})`, { ...fields, start_at: apiTime(requested.startMs), job_status: job.status });
  const before = context.counters();
  let last: AuditLogReplayJob;
  try {
    last = await api.watch(job, (state) => {
      context.onJob?.(state);
      report.note(`back-fill: replay job ${state.status}`, { job: state });
    });
  } catch (error) {
    if (signal.aborted) return 'stopped';
    report.warn(`warning: back-fill: lost track of the replay job (${(error as Error).message}); see \`konnect-audit status\`, and if it failed request it again with: ${context.replayCommand(requested, 'since')}`, fields);
    return 'error';
  }
  const after = context.counters();
  const stored = after.stored - before.stored;
  const duplicates = after.duplicates !== undefined && before.duplicates !== undefined ? after.duplicates - before.duplicates : undefined;
  const counts = { records_stored: stored, ...(duplicates !== undefined ? { duplicates_dropped: duplicates } : {}) };
  if (last.status === 'completed') {
    const dropped = duplicates !== undefined ? ` and ${duplicates} re-sent record${duplicates === 1 ? '' : 's'} dropped as duplicates` : '';
    report.info(`back-fill: replay job completed: ${stored} new record${stored === 1 ? '' : 's'} stored while it ran${dropped}`, { ...fields, ...counts });
    return 'completed';
  }
  if (last.status === 'failed') {
    report.warn(
      `warning: back-fill: the replay job from ${apiTime(requested.startMs)} to ${apiTime(requested.endMs)} failed (${stored} new records stored while it ran); check the webhook with \`konnect-audit status\` and request it again with: ${context.replayCommand(requested, 'since')}`,
      { ...fields, ...counts },
    );
    return 'failed';
  }
  report.note(`back-fill: stopped watching the replay job (${last.status})`, { ...fields, ...counts });
  return 'stopped';
}

/** How long a stopping listener waits for its back-fill job to end before releasing the webhook. */
export const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Waits (polling every `intervalMs`, at most `timeoutMs`) until the region's replay job is no
 * longer accepted, pending or running: Konnect refuses to unbind a webhook while one runs (409), so
 * a listener stopping during its back-fill lets the job end (its receiver still serves) first.
 * Resolves with the last job seen (undefined if none could be read); never throws.
 * @example await settleReplayJob(client); // then release the webhook
 */
export async function settleReplayJob(
  client: KonnectClient,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number; readonly onWaiting?: (job: AuditLogReplayJob) => void } = {},
): Promise<AuditLogReplayJob | undefined> {
  const { timeoutMs = SETTLE_TIMEOUT_MS, intervalMs = 250 } = options;
  const signal = AbortSignal.timeout(timeoutMs);
  const api = konnectReplayApi(client, signal, intervalMs);
  let job: AuditLogReplayJob | undefined;
  while (!signal.aborted) {
    try {
      job = await api.current();
    } catch {
      return job;
    }
    if (!ACTIVE_REPLAY_STATES.has(job.status)) return job;
    if (options.onWaiting) {
      options.onWaiting(job);
      options = { ...options, onWaiting: undefined };
    }
    await delay(intervalMs, undefined, { signal }).catch(() => undefined);
  }
  return job;
}

/** Polls the region's job until it is no longer accepted, pending or running. */
async function waitForOtherJob(context: BackfillContext): Promise<'ended' | 'stopped' | 'error'> {
  const pause = context.pause ?? (() => delay(DEFAULT_POLL_MS, undefined, { signal: context.signal }).catch(() => undefined));
  for (;;) {
    await pause();
    if (context.signal.aborted) return 'stopped';
    try {
      const job = await context.api.current();
      if (!ACTIVE_REPLAY_STATES.has(job.status)) return 'ended';
    } catch (error) {
      if (context.signal.aborted) return 'stopped';
      context.report.warn(`warning: back-fill: cannot read the region's replay job (${(error as Error).message}); not requesting the back-fill`);
      return 'error';
    }
  }
}

/**
 * `konnect-audit replay` for a range, naming the profile unless it is the default one.
 * @example replayCommand({ startMs, endMs }, 'prod') // 'konnect-audit replay --start-time 2026-11-27T10:00:00Z --end-time 2026-11-27T12:00:30Z --profile prod'
 */
export function replayCommand(range: TimeRange, profile: string, spelling: 'start-time' | 'since' = 'start-time'): string {
  const [from, to] = spelling === 'since' ? ['--since', '--until'] : ['--start-time', '--end-time'];
  return `konnect-audit replay ${from} ${apiTime(range.startMs)} ${to} ${apiTime(range.endMs)}${profile === 'default' ? '' : ` --profile ${profile}`}`;
}

/**
 * Asks a yes/no question on the terminal (stderr) and reads the answer from stdin in line mode, so
 * Ctrl+C stays a signal for the listener. Empty, `y` or `yes` is yes.
 */
export async function askOnTerminal(question: string, signal: AbortSignal): Promise<boolean> {
  // Loaded only for --backfill ask: every other listener is spared the module.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    process.stderr.write(question);
    const answer = await new Promise<string | undefined>((resolve, reject) => {
      const onAbort = () => {
        process.stderr.write('\n'); // end the question's line
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      rl.once('line', (line) => resolve(line));
      rl.once('close', () => resolve(undefined)); // end of input: no answer
    });
    return answer !== undefined && /^\s*(y|yes)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/** The run marker's content. */
interface RunMarker {
  /** The listener running now (absent after a clean stop). */
  readonly pid?: number;
  readonly started_at?: string;
  /** A listener that did not stop cleanly and whose gap is not yet handled. */
  readonly unclean_stop?: { readonly pid: number; readonly started_at: string };
  /** The start of a gap not yet recovered. */
  readonly backfill_pending_since?: string;
}

/** This listener's run marker: read what earlier runs left, then keep it current. */
export class RunMarkerFile {
  private state: RunMarker = {};

  private constructor(
    readonly file: string,
    /** What earlier runs left: an unclean stop, a gap not recovered. */
    readonly evidence: Pick<GapEvidence, 'uncleanStop' | 'pendingSinceMs'>,
    private readonly self: { readonly pid: number; readonly started_at: string },
  ) {}

  /**
   * Reads the profile's marker (a marker naming a running listener means that one never stopped
   * cleanly: the caller holds the profile lock) and writes this listener's.
   * @example const marker = await RunMarkerFile.open(paths.dir); ... await marker.stoppedCleanly();
   */
  static async open(dir: string, now = Date.now(), pid = process.pid): Promise<RunMarkerFile> {
    const file = join(dir, RUN_MARKER_FILE);
    const previous = await readMarker(file);
    const unclean = previous.pid !== undefined && previous.started_at !== undefined ? { pid: previous.pid, started_at: previous.started_at } : previous.unclean_stop;
    const startedAtMs = unclean ? Date.parse(unclean.started_at) : NaN;
    const pendingMs = previous.backfill_pending_since !== undefined ? Date.parse(previous.backfill_pending_since) : NaN;
    const marker = new RunMarkerFile(
      file,
      {
        ...(unclean && Number.isFinite(startedAtMs) ? { uncleanStop: { pid: unclean.pid, startedAtMs } } : {}),
        ...(Number.isFinite(pendingMs) ? { pendingSinceMs: pendingMs } : {}),
      },
      { pid, started_at: new Date(now).toISOString() },
    );
    marker.state = {
      ...marker.self,
      ...(unclean && Number.isFinite(startedAtMs) ? { unclean_stop: unclean } : {}),
      ...(Number.isFinite(pendingMs) ? { backfill_pending_since: previous.backfill_pending_since } : {}),
    };
    await marker.write();
    return marker;
  }

  /** The gap was handled: `openSinceMs` is the start of what is still not recovered, if anything. */
  async backfillDone(openSinceMs: number | undefined): Promise<void> {
    this.state = { ...this.self, ...(openSinceMs !== undefined ? { backfill_pending_since: new Date(openSinceMs).toISOString() } : {}) };
    await this.write();
  }

  /** A clean stop: the running part goes; what is not yet recovered stays for the next start. */
  async stoppedCleanly(): Promise<void> {
    const { unclean_stop, backfill_pending_since } = this.state;
    this.state = { ...(unclean_stop ? { unclean_stop } : {}), ...(backfill_pending_since ? { backfill_pending_since } : {}) };
    if (Object.keys(this.state).length === 0) await rm(this.file, { force: true });
    else await this.write();
  }

  private write(): Promise<void> {
    return writeJsonAtomic(this.file, this.state);
  }
}

async function readMarker(file: string): Promise<RunMarker> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {}; // none: the previous listener stopped cleanly (or there was none)
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    const v = value as Record<string, unknown>;
    const unclean = v.unclean_stop as Record<string, unknown> | undefined;
    return {
      ...(typeof v.pid === 'number' ? { pid: v.pid } : {}),
      ...(typeof v.started_at === 'string' ? { started_at: v.started_at } : {}),
      ...(unclean && typeof unclean.pid === 'number' && typeof unclean.started_at === 'string' ? { unclean_stop: { pid: unclean.pid, started_at: unclean.started_at } } : {}),
      ...(typeof v.backfill_pending_since === 'string' ? { backfill_pending_since: v.backfill_pending_since } : {}),
    };
  } catch {
    // A marker cut short by a crash while written (it is written atomically, so unlikely): a run that did not stop cleanly, time unknown.
    return {};
  }
}

/** A listener's back-fill, from the evidence gathered at start to the outcome, with its marker kept current. */
export interface ListenerBackfill extends Omit<BackfillContext, 'replayCommand'> {
  readonly marker: RunMarkerFile;
  readonly newestRecordMs: number | undefined;
  /** When this listener's webhook was enabled: records after it arrive live. */
  readonly enabledAtMs: number;
  readonly profile: string;
}

/**
 * Computes the gap and runs the back-fill (runBackfill); the marker holds the gap's start until it
 * is recovered (or the user chose not to), so a kill or a failed job leaves it for the next start.
 * Never throws.
 */
export async function backfillListenerGap(options: ListenerBackfill): Promise<BackfillOutcome> {
  const now = options.now ?? Date.now;
  const gap = computeGap({ newestRecordMs: options.newestRecordMs, ...options.marker.evidence }, options.enabledAtMs, now());
  const mark = async (openSinceMs: number | undefined) => {
    try {
      await options.marker.backfillDone(openSinceMs);
    } catch (error) {
      options.report.warn(`warning: back-fill: cannot update ${options.marker.file}: ${(error as Error).message}`);
    }
  };
  if (gap && options.mode !== 'off') await mark(gap.wantedStartMs);
  const outcome = await runBackfill(gap, { ...options, replayCommand: (range, spelling) => replayCommand(range, options.profile, spelling) });
  await mark(gap && gapStillOpen(outcome) ? gap.wantedStartMs : undefined);
  return outcome;
}
