/**
 * `ps stop` for one record: signal our listener and wait for its clean-up, or prune a record whose
 * process is gone. A pid whose identity does not match its record is never signalled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { assessRecord, isAlive, isZombie, readStat } from './inspect.js';
import { readRecord, removeRecord, type CleanupReport, type ProcessRecord } from './records.js';

/** Default wait for a signalled listener: longer than the child's 60 s Konnect clean-up budget. */
export const DEFAULT_STOP_TIMEOUT_MS = 90_000;
/** Default interval between checks while waiting. */
export const DEFAULT_POLL_MS = 100;

/** What `ps stop` did for one pid. */
export interface StopResult {
  readonly pid: number;
  readonly action: 'stopped' | 'pruned' | 'refused' | 'timeout';
  readonly success: boolean;
  readonly detail: string;
  /** From the child's clean-up report: true if it left nothing in Konnect; absent if it wrote none. */
  readonly konnectClean?: boolean;
}

/** stopProcess's tuning. */
export interface StopOptions {
  /** How long to wait for a signalled process to exit (default 90 s). */
  readonly timeoutMs?: number;
  /** Interval between checks while waiting (default 100 ms). */
  readonly pollMs?: number;
}

/**
 * ps stop for one record. Identity is checked right before signalling (no await in between):
 * - running/starting → SIGTERM, wait (polling until timeoutMs) until the process is gone, read
 *   the record's `cleanup` (written by the child) for konnectClean, remove the record → 'stopped';
 * - exited/failed → remove the record → 'pruned';
 * - stale → never signalled, record removed → 'pruned', detail saying why (the pid now belongs
 *   to another process, or the record is unreadable);
 * - still alive after timeoutMs → 'timeout', record kept, success false;
 * - SIGTERM not permitted (EPERM) → 'refused', record kept, success false.
 *
 * @example const result = await stopProcess(configDir, record, { timeoutMs: 90_000 });
 */
export async function stopProcess(configDir: string, record: ProcessRecord, options: StopOptions = {}): Promise<StopResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const pollMs = Math.max(1, options.pollMs ?? DEFAULT_POLL_MS);
  const { pid } = record;
  const assessment = assessRecord(record);
  switch (assessment.status) {
    case 'exited':
    case 'failed': {
      const latest = (await readRecord(configDir, pid)) ?? record;
      await removeRecord(configDir, pid);
      const how = latest.state === 'failed' ? `failed${latest.error ? `: ${latest.error}` : ''}` : 'exited';
      return withCleanup({ pid, action: 'pruned', success: true, detail: `process ${pid} ${how}; record removed` }, latest.cleanup);
    }
    case 'stale':
      await removeRecord(configDir, pid);
      return { pid, action: 'pruned', success: true, detail: `not signalled: ${assessment.reason ?? `pid ${pid} now belongs to another process`}; record removed` };
    case 'running':
    case 'starting':
      break;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return { pid, action: 'refused', success: false, detail: `not permitted to signal process ${pid}; record kept` };
    if (code !== 'ESRCH') throw error; // ESRCH: it exited just now; the wait below sees it gone
  }
  const deadline = Date.now() + timeoutMs;
  while (!gone(pid, assessment.liveStartTimeTicks)) {
    const left = deadline - Date.now();
    if (left <= 0) return { pid, action: 'timeout', success: false, detail: `process ${pid} did not exit within ${duration(timeoutMs)}; record kept` };
    await sleep(Math.min(pollMs, left));
  }
  const latest = await readRecord(configDir, pid);
  await removeRecord(configDir, pid);
  if (latest === undefined) return { pid, action: 'stopped', success: true, detail: `process ${pid} stopped and removed its own record; no clean-up report` };
  return withCleanup({ pid, action: 'stopped', success: true, detail: `process ${pid} stopped; record removed` }, latest.cleanup);
}

/** True once the process has exited (or is a zombie, or its pid was reused: another start time). */
function gone(pid: number, startTimeTicks: number | undefined): boolean {
  const stat = readStat(pid);
  if (stat === undefined) return !isAlive(pid);
  return isZombie(stat) || (startTimeTicks !== undefined && stat.startTimeTicks !== startTimeTicks);
}

/** Adds the child's clean-up report, if any, to a result. */
function withCleanup(result: StopResult, cleanup: CleanupReport | undefined): StopResult {
  if (cleanup === undefined || !Array.isArray(cleanup.problems)) return { ...result, detail: `${result.detail}; no clean-up report` };
  const konnectClean = cleanup.problems.length === 0;
  const summary = konnectClean
    ? `Konnect clean (webhook released: ${cleanup.webhook_released}, destination deleted: ${cleanup.destination_deleted})`
    : `Konnect clean-up left problems: ${cleanup.problems.join('; ')}`;
  return { ...result, detail: `${result.detail}; ${summary}`, konnectClean };
}

/** 90000 → "90s", 250 → "250ms". */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
