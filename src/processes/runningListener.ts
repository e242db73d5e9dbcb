/**
 * Whether a listener runs for a profile, and what it serves: the profile's lock file names a live
 * process (same pid and, on Linux, the same start time), and `listener.json` / `destination.json`,
 * written by that listener at start-up, say where it listens and which destination it created.
 */
import { readJsonObject } from '../store/files.js';
import { lockHolder } from '../store/lock.js';
import type { ProfilePaths } from '../store/paths.js';

/** A listener serving a profile. */
export interface RunningListener {
  readonly pid: number;
  /** The local URL it serves (`http://127.0.0.1:19090/audit-logs`), when listener.json is its own. */
  readonly localEndpoint?: string;
  /** The public URL Konnect posts to (its destination's endpoint), when known. */
  readonly endpoint?: string;
  /** The destination it created, when known. */
  readonly destinationId?: string;
  readonly startedAt?: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The listener holding the profile's lock, or undefined when none runs (no lock, or the lock of a
 * process that has exited or whose pid was reused). State files left by an earlier listener
 * (listener.json is not removed at stop) are only trusted when they name the same pid.
 * @example const listener = await runningListener(profilePaths(dataDir, 'default'));
 */
export async function runningListener(paths: Pick<ProfilePaths, 'lockFile' | 'listenerFile' | 'destinationFile'>): Promise<RunningListener | undefined> {
  const pid = await lockHolder(paths.lockFile);
  if (pid === undefined) return undefined;
  const listener = await readJsonObject(paths.listenerFile);
  if (listener?.pid !== pid) return { pid };
  const destination = await readJsonObject(paths.destinationFile);
  const endpoint = text(destination?.destination_endpoint);
  const destinationId = text(destination?.destination_id);
  const localEndpoint = text(listener.local_endpoint);
  const startedAt = text(listener.started_at);
  return {
    pid,
    ...(localEndpoint ? { localEndpoint } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(destinationId ? { destinationId } : {}),
    ...(startedAt ? { startedAt } : {}),
  };
}
