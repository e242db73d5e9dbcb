/**
 * Detached listeners' process records: `<config dir>/processes/<pid>.json`, kongctl's format plus
 * our own progress fields, written atomically (0600 files in a 0700 directory, 2-space JSON).
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, syncDir, writeJsonAtomic } from '../store/files.js';

/** The `kind` of a konnect-audit (and kongctl) audit-log listener record. */
export const LISTENER_KIND = 'konnect.audit-logs.listen';
/** Name of the records directory inside the config dir. */
const PROCESSES_DIR_NAME = 'processes';
/** A record file's name: the pid, then `.json`. */
const RECORD_NAME = /^([1-9]\d*)\.json$/;
/** Flags whose values never reach a record (kongctl's list). */
const SECRET_FLAGS: ReadonlySet<string> = new Set(['--authorization', '--pat', '--token', '--access-token', '--api-key', '--apikey', '--password', '--secret']);
/** What a secret value is replaced with. */
const REDACTED = '<redacted>';

/** What the child reports when its Konnect clean-up ends. */
export interface CleanupReport {
  readonly finished_at: string;
  readonly webhook_released: boolean;
  readonly destination_deleted: boolean;
  /** What is left in Konnect (empty: nothing). */
  readonly problems: readonly string[];
}

/** kongctl's record fields plus ours. */
export interface ProcessRecord {
  readonly pid: number;
  readonly kind: string;
  readonly profile: string;
  /** RFC 3339. */
  readonly created_at: string;
  readonly log_file: string;
  /** The child's arguments, redacted (see redactArgs). */
  readonly args: readonly string[];
  readonly start_time_ticks: number | null;
  /** Set when read back; never written. */
  readonly record_file?: string;
  /** Ours: the child's own progress: 'starting' → 'running' → 'stopped', or 'failed' with `error`. */
  readonly state?: 'starting' | 'running' | 'stopped' | 'failed';
  readonly error?: string;
  readonly endpoint?: string;
  readonly local_endpoint?: string;
  readonly destination_id?: string;
  /** Written by the child when its Konnect clean-up ends. */
  readonly cleanup?: CleanupReport;
}

/**
 * The records directory.
 *
 * @example processesDir('/home/me/.config/konnect-audit') // '/home/me/.config/konnect-audit/processes'
 */
export function processesDir(configDir: string): string {
  return join(configDir, PROCESSES_DIR_NAME);
}

/**
 * The record file of `pid`.
 *
 * @example recordFile('/cfg', 42) // '/cfg/processes/42.json'
 */
export function recordFile(configDir: string, pid: number): string {
  return join(processesDir(configDir), `${pid}.json`);
}

/**
 * Writes `record` to `<configDir>/processes/<pid>.json` atomically (0600 temp file in the same
 * directory, fsync, rename, directory fsync) as 2-space JSON; the directory is made 0700.
 * `record_file` is not stored. Returns the file's path.
 *
 * @example const file = await writeRecord(configDir, { pid, kind: LISTENER_KIND, ... });
 */
export async function writeRecord(configDir: string, record: ProcessRecord): Promise<string> {
  assertPid(record.pid);
  await ensurePrivateDir(processesDir(configDir));
  const file = recordFile(configDir, record.pid);
  const { record_file: _ignored, ...stored } = record;
  await writeJsonAtomic(file, stored);
  return file;
}

/** Pending updates per record file, so concurrent updateRecord calls in one process never lose one. */
const updateQueues = new Map<string, Promise<unknown>>();

/**
 * Merges `patch` into the stored record of `pid` and writes it back atomically; returns the new
 * record (with record_file), or undefined if there is no record. `pid` and `record_file` in the
 * patch are ignored. Calls in one process are serialised; between processes the last writer wins.
 * Throws if the stored record cannot be read or parsed.
 *
 * @example await updateRecord(configDir, process.pid, { state: 'running', destination_id: id });
 */
export async function updateRecord(configDir: string, pid: number, patch: Partial<ProcessRecord>): Promise<ProcessRecord | undefined> {
  assertPid(pid);
  const file = recordFile(configDir, pid);
  const previous = updateQueues.get(file) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(async () => {
    const text = await readIfExists(file);
    if (text === undefined) return undefined;
    const current = parseRecord(text, pid);
    if (typeof current === 'string') throw new Error(`cannot update process record ${file}: ${current}`);
    const { pid: _pid, record_file: _file, ...rest } = patch;
    const next: ProcessRecord = { ...current, ...rest, pid };
    await writeRecord(configDir, next);
    return { ...next, record_file: file };
  });
  updateQueues.set(file, run);
  try {
    return await run;
  } finally {
    if (updateQueues.get(file) === run) updateQueues.delete(file);
  }
}

/**
 * The record of `pid` with record_file set; undefined if there is none. A file that cannot be
 * read or parsed comes back as an unreadable-record placeholder (see readRecords).
 *
 * @example const record = await readRecord(configDir, 4242);
 */
export async function readRecord(configDir: string, pid: number): Promise<ProcessRecord | undefined> {
  assertPid(pid);
  const file = recordFile(configDir, pid);
  let text: string | undefined;
  try {
    text = await readIfExists(file);
  } catch (error) {
    return placeholder(file, pid, `cannot read it: ${message(error)}`);
  }
  if (text === undefined) return undefined;
  const parsed = parseRecord(text, pid);
  return typeof parsed === 'string' ? placeholder(file, pid, parsed) : { ...parsed, record_file: file };
}

/**
 * Every `<pid>.json` record in the directory, newest `created_at` first (ties: higher pid first),
 * each with record_file set; [] if the directory does not exist. Other files (temp files, names
 * that are not a pid) are ignored. Never throws for one bad file: a record that cannot be read or
 * parsed is returned as a placeholder `{pid (from the name), kind: '', profile: '', created_at
 * (the file's mtime), log_file: '', args: [], start_time_ticks: null, state: 'failed', error:
 * 'unreadable process record: ...'}` so `ps` shows it and `ps stop` can prune it; its empty
 * kind means it is never taken for a live listener (statusOf: never `running`).
 *
 * @example for (const record of await readRecords(configDir)) console.log(record.pid, statusOf(record));
 */
export async function readRecords(configDir: string): Promise<ProcessRecord[]> {
  let names: string[];
  try {
    names = await readdir(processesDir(configDir));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const records: ProcessRecord[] = [];
  for (const name of names) {
    const match = RECORD_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (!Number.isSafeInteger(pid)) continue;
    const record = await readRecord(configDir, pid);
    if (record === undefined) continue; // removed meanwhile
    records.push(record.kind === '' ? await withMtime(record) : record);
  }
  return records.sort(newestFirst);
}

/**
 * Removes the record of `pid`; a missing record is fine.
 *
 * @example await removeRecord(configDir, 4242);
 */
export async function removeRecord(configDir: string, pid: number): Promise<void> {
  assertPid(pid);
  try {
    await unlink(recordFile(configDir, pid));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  await syncDir(processesDir(configDir)).catch(() => {});
}

/**
 * kongctl's redaction: for --authorization --pat --token --access-token --api-key --apikey
 * --password --secret, `--x=v` → `--x=<redacted>` and `--x v` → `--x <redacted>` (the next
 * argument is the value whatever it looks like, as the parser takes it).
 *
 * @example redactArgs(['listen', '--pat', 'kpat_x', '--authorization=Bearer y'])
 * // ['listen', '--pat', '<redacted>', '--authorization=<redacted>']
 */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    if (eq > 0 && SECRET_FLAGS.has(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=${REDACTED}`);
    } else if (SECRET_FLAGS.has(arg) && i + 1 < args.length) {
      out.push(arg, REDACTED);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The record in `text`, or what is wrong with it. */
function parseRecord(text: string, pid: number): ProcessRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `invalid JSON: ${message(error)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (r.pid !== pid) return `its pid ${JSON.stringify(r.pid)} does not match its file name`;
  for (const key of ['kind', 'profile', 'created_at', 'log_file'] as const) {
    if (typeof r[key] !== 'string') return `"${key}" is not a string`;
  }
  if (!Array.isArray(r.args) || !r.args.every((a) => typeof a === 'string')) return '"args" is not a list of strings';
  const ticks = r.start_time_ticks;
  if (ticks !== null && !(typeof ticks === 'number' && Number.isSafeInteger(ticks) && ticks >= 0)) {
    return '"start_time_ticks" is neither null nor a whole number';
  }
  return value as ProcessRecord;
}

function placeholder(file: string, pid: number, problem: string): ProcessRecord {
  return { pid, kind: '', profile: '', created_at: '', log_file: '', args: [], start_time_ticks: null, record_file: file, state: 'failed', error: `unreadable process record: ${problem}` };
}

async function withMtime(record: ProcessRecord): Promise<ProcessRecord> {
  try {
    return { ...record, created_at: (await stat(record.record_file!)).mtime.toISOString() };
  } catch {
    return record;
  }
}

function newestFirst(a: ProcessRecord, b: ProcessRecord): number {
  const ta = Date.parse(a.created_at);
  const tb = Date.parse(b.created_at);
  const ka = Number.isNaN(ta) ? -Infinity : ta;
  const kb = Number.isNaN(tb) ? -Infinity : tb;
  if (ka !== kb) return kb > ka ? 1 : -1;
  return b.pid - a.pid;
}

function assertPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`invalid pid ${String(pid)}`);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
