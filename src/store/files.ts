/** Private directories and atomically replaced JSON state files. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of every directory the store creates. */
export const DIR_MODE = 0o700;
/** Mode of every file the store creates. */
export const FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) with mode 0700, and tightens an existing one to 0700.
 *
 * @example await ensurePrivateDir(paths.dir);
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  await chmod(dir, DIR_MODE);
}

/** Flushes a directory entry change (create, rename, unlink) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `value` as 2-space JSON plus "\n", atomically and durably: written to a
 * 0600 temp file in the same directory, fsynced, renamed over `path`, then the directory fsynced.
 * A missing directory is created 0700 (an existing one is left as it is).
 *
 * @example await writeJsonAtomic(paths.listenerFile, { started_at: new Date().toISOString() });
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value, null, 2) as string | undefined;
  if (json === undefined) throw new TypeError(`cannot write ${String(value)} as JSON`);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`); // TEMP_FILE's form
  const handle = await open(temp, 'wx', FILE_MODE);
  try {
    try {
      await handle.writeFile(`${json}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDir(dir);
}

/** The temp files writeJsonAtomic names: `.<file>.<12 hex>.tmp`. */
const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Deletes the temp files writeJsonAtomic left in `dir` when its process was killed mid-write (the
 * state file itself is intact: the rename never happened). Call only while holding the lock that
 * serialises the directory's writers: a lock-free writer (`status`'s segment counts, a `pull`'s
 * saved keys) whose temp file goes meanwhile fails that write, which such writers ignore.
 * Resolves with the names deleted.
 *
 * @example await removeAbandonedTempFiles(paths.dir);
 */
export async function removeAbandonedTempFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => TEMP_FILE.test(name));
  for (const name of names) await unlink(join(dir, name)).catch(() => {});
  return names;
}

/**
 * A state file's JSON object (listener.json, destination.json), or undefined when it is missing,
 * unreadable, half-written or not an object: readers treat all of these as "nothing known".
 * @example const listener = await readJsonObject(paths.listenerFile);
 */
export async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
