/**
 * Replay jobs (reference §2.5, §9): one per region, or per Dev Portal. Requesting one, checking
 * its range before any call, and following its state until it completes or fails.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { KonnectApiError, type KonnectClient } from './client.js';
import type { AuditLogReplayJob, ReplayJobStatus } from './types.js';

/** How long Konnect keeps audit events, and so how far back a replay (or a pull) can reach. */
export const RETENTION_MS = 7 * 24 * 3_600_000;
/** States during which Konnect refuses a new job (409; documented for `running`, the emulator also for the two before). */
export const ACTIVE_REPLAY_STATES: ReadonlySet<ReplayJobStatus> = new Set(['accepted', 'pending', 'running']);
/** States a job ends in. */
export const FINAL_REPLAY_STATES: ReadonlySet<ReplayJobStatus> = new Set(['completed', 'failed']);

/** A region's job, or a Dev Portal's when `portalId` is set. */
export interface ReplayScope {
  readonly portalId?: string;
}

/** A time range in epoch ms, both ends inclusive. */
export interface TimeRange {
  readonly startMs: number;
  readonly endMs: number;
}

/** A range Konnect would refuse, found before any call. */
export class ReplayRangeError extends Error {
  override readonly name = 'ReplayRangeError';
}

/** Another job is accepted, pending or running in the scope (409). */
export class ReplayConflictError extends Error {
  override readonly name = 'ReplayConflictError';
  constructor(readonly job: AuditLogReplayJob | undefined) {
    super(
      job
        ? `a replay job is already ${job.status} (${job.start_at} to ${job.end_at}); Konnect runs one at a time, try again when it has completed or failed`
        : 'a replay job is already running; Konnect runs one at a time, try again when it has completed or failed',
    );
  }
}

/** Seconds precision is what Konnect's examples use; milliseconds are kept when present. */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * Checks a replay range as Konnect would, so a bad one is refused before any call: start not after
 * end, neither in the future (a minute of clock skew allowed), and the start no more than 7 days
 * back (Konnect keeps 7 days). Throws ReplayRangeError.
 * @example checkReplayRange({ startMs: now - 6 * 3_600_000, endMs: now }, now)
 */
export function checkReplayRange(range: TimeRange, now: number): void {
  const oldest = now - RETENTION_MS;
  if (range.startMs > range.endMs) throw new ReplayRangeError(`the start (${apiTime(range.startMs)}) is after the end (${apiTime(range.endMs)})`);
  if (range.endMs > now + 60_000) throw new ReplayRangeError(`the end (${apiTime(range.endMs)}) is in the future`);
  if (range.startMs < oldest) {
    throw new ReplayRangeError(`the start (${apiTime(range.startMs)}) is more than 7 days ago: Konnect keeps audit events for 7 days, so the earliest start now is ${apiTime(oldest)}`);
  }
}

/** Lets a caller abort a call (a stopping listener never waits for one). */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export function getReplayJob(client: KonnectClient, scope: ReplayScope, options: CallOptions = {}): Promise<AuditLogReplayJob> {
  return scope.portalId ? client.getPortalReplayJob(scope.portalId, options) : client.getReplayJob(options);
}

/**
 * PUTs a replay job for `range`. A 409 becomes ReplayConflictError carrying the job that holds the
 * scope — unless that job has exactly our range, which means an earlier attempt of this same PUT
 * was carried out and its answer lost (PUT is retried on connection errors): then it is ours.
 */
export async function requestReplay(client: KonnectClient, scope: ReplayScope, range: TimeRange, options: CallOptions = {}): Promise<AuditLogReplayJob> {
  const body = { start_at: apiTime(range.startMs), end_at: apiTime(range.endMs) };
  try {
    return scope.portalId ? await client.putPortalReplayJob(scope.portalId, body, options) : await client.putReplayJob(body, options);
  } catch (error) {
    if (!(error instanceof KonnectApiError) || error.status !== 409) throw error;
    const job = await getReplayJob(client, scope, options).catch(() => undefined);
    if (job && sameInstant(job.start_at, body.start_at) && sameInstant(job.end_at, body.end_at) && ACTIVE_REPLAY_STATES.has(job.status)) return job;
    throw new ReplayConflictError(job);
  }
}

function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

export interface WatchOptions {
  /** Time between polls (default 1000 ms). */
  readonly intervalMs?: number;
  /** Called with the first state seen and every change after it. */
  readonly onState?: (job: AuditLogReplayJob) => void;
  /** Stops the watch (resolves with the last job seen). */
  readonly signal?: AbortSignal;
  /** Gives up (resolves with the last job seen) after this many ms (default: never). */
  readonly timeoutMs?: number;
}

/**
 * Polls the scope's job until it is completed or failed (or the signal aborts / the time runs out),
 * reporting each state change. `initial` is the job the PUT returned.
 */
export async function watchReplayJob(client: KonnectClient, scope: ReplayScope, initial: AuditLogReplayJob, options: WatchOptions = {}): Promise<AuditLogReplayJob> {
  const intervalMs = options.intervalMs ?? 1000;
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
  let job = initial;
  options.onState?.(job);
  while (!FINAL_REPLAY_STATES.has(job.status) && !options.signal?.aborted && Date.now() < deadline) {
    try {
      await delay(intervalMs, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      break; // aborted
    }
    const next = await getReplayJob(client, scope, options.signal ? { signal: options.signal } : {});
    if (next.status !== job.status || next.updated_at !== job.updated_at) {
      const changed = next.status !== job.status;
      job = next;
      if (changed) options.onState?.(job);
    }
  }
  return job;
}
