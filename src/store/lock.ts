/**
 * One listener per profile: an exclusive lock file naming its holder's pid and process start time,
 * so a lock left by a crashed process (dead or recycled pid) is taken over instead of blocking.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isAlive, isZombie, readStat, startTimeTicks } from '../processes/inspect.js';
import { DIR_MODE, FILE_MODE, syncDir } from './files.js';

/** Takeover attempts before giving up on a lock file that keeps changing under us. */
const MAX_ATTEMPTS = 5;
/** Errors from link() on file systems without hard links; we fall back to O_EXCL alone there. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** The lock file's content. */
interface LockRecord {
  readonly pid: number;
  readonly started_at: string;
  readonly start_time_ticks: number | null;
}

/** Another live process holds the profile's lock. */
export class ProfileLockedError extends Error {
  override readonly name = 'ProfileLockedError';
  constructor(
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(`another listener (pid ${pid}) is using the events file of this profile; stop it first, or use another --profile or --data-dir`);
  }
}

/** A held profile lock. */
export interface ProfileLock {
  readonly lockFile: string;
  /** Removes the lock file if it is still ours (idempotent). */
  release(): Promise<void>;
}

/**
 * Takes the profile's exclusive lock: creates lockFile exclusively (mode 0600) holding
 * {"pid","started_at","start_time_ticks"}. Throws ProfileLockedError while the recorded pid is
 * alive and (on Linux) still has the recorded start time; takes over a lock of a dead or
 * recycled pid. release() removes the file only if it is still ours.
 *
 * @example
 * const lock = await acquireProfileLock(paths.lockFile);
 * try { ... } finally { await lock.release(); }
 */
export async function acquireProfileLock(lockFile: string): Promise<ProfileLock> {
  const dir = dirname(lockFile);
  await mkdir(dir, { recursive: true, mode: DIR_MODE }); // create-only, like openEventLog
  const record: LockRecord = { pid: process.pid, started_at: new Date().toISOString(), start_time_ticks: startTimeTicks(process.pid) ?? null };
  const content = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusive(lockFile, content)) {
      await syncDir(dir);
      return heldLock(lockFile, content);
    }
    const existing = await readIfExists(lockFile);
    if (existing === undefined) continue; // released meanwhile
    const holder = parseRecord(existing);
    if (holder !== undefined && holderAlive(holder)) throw new ProfileLockedError(holder.pid, lockFile);
    // Stale: remove it, unless someone replaced it since we read it.
    const again = await readIfExists(lockFile);
    if (again?.equals(existing)) await unlinkIfExists(lockFile);
  }
  throw new Error(`could not take the lock ${lockFile}: it kept changing`);
}

/**
 * The pid of the live process holding the lock, for readers (`status`, `replay`): undefined when
 * there is no lock, it cannot be read, or its holder has exited (a zombie included) or its pid now
 * belongs to another process (another start time, where /proc tells).
 * @example const pid = await lockHolder(paths.lockFile); // 4242, or undefined when no listener runs
 */
export async function lockHolder(lockFile: string): Promise<number | undefined> {
  const content = await readFile(lockFile).catch(() => undefined);
  const holder = content === undefined ? undefined : parseRecord(content);
  return holder !== undefined && holderAlive(holder) ? holder.pid : undefined;
}

/**
 * Creates `path` with `content` only if it does not exist; false if it does. The content is
 * written to a temp file first and hard-linked into place, so no reader ever sees a half-written
 * lock; where hard links are unsupported, an O_EXCL create is used instead.
 */
async function createExclusive(path: string, content: Buffer): Promise<boolean> {
  // Not writeJsonAtomic's `.tmp` form: a listener that holds the lock removes those at start, and this one may be in use.
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.link`);
  await writeSynced(temp, content);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!NO_LINK_CODES.has(errorCode(error) ?? '')) throw error;
  } finally {
    await unlinkIfExists(temp);
  }
  try {
    await writeSynced(path, content);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Creates `path` exclusively (0600) with `content`, fsynced. */
async function writeSynced(path: string, content: Buffer): Promise<void> {
  const handle = await open(path, 'wx', FILE_MODE);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function heldLock(lockFile: string, content: Buffer): ProfileLock {
  let released: Promise<void> | undefined;
  return {
    lockFile,
    release: () =>
      (released ??= (async () => {
        const current = await readIfExists(lockFile);
        if (current?.equals(content)) await unlinkIfExists(lockFile);
      })()),
  };
}

/**
 * Whether the recorded holder still runs: a zombie has exited (its files are closed) and a pid with
 * another start time is a recycled one. Without /proc, signal 0 is all there is to go on.
 */
function holderAlive(holder: LockRecord): boolean {
  const stat = readStat(holder.pid);
  if (stat === undefined) return isAlive(holder.pid);
  if (isZombie(stat)) return false;
  return holder.start_time_ticks === null || stat.startTimeTicks === holder.start_time_ticks;
}

function parseRecord(content: Buffer): LockRecord | undefined {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<LockRecord> | null;
    const pid = value?.pid;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    const ticks = typeof value?.start_time_ticks === 'number' ? value.start_time_ticks : null;
    return { pid, started_at: String(value?.started_at ?? ''), start_time_ticks: ticks };
  } catch {
    return undefined;
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
