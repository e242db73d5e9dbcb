/**
 * What a process record's pid is now: alive or not, and whether it is still our listener (same
 * start time, a konnect-audit listener command line). Linux reads /proc; elsewhere only kill(pid, 0)
 * is available, so identity checks are skipped and unmanaged listeners are not found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LISTENER_KIND, redactArgs, type ProcessRecord } from './records.js';

/** Where the kernel's process table is mounted. */
const PROC = '/proc';
/** The verbs that run a listener (`lsn` is listen's alias). */
const LISTENER_VERBS: ReadonlySet<string> = new Set(['listen', 'lsn', 'tail']);
/** A Node.js executable's name: node, nodejs, node20, node.exe. */
const NODE_EXECUTABLE = /^node(js)?\d*(\.exe)?$/i;
/** The CLI's names: the bundled script and the installed bin (or its shim). */
const CLI_SCRIPT = /^konnect-audit(\.mjs)?$/;

/** The fields of /proc/<pid>/stat this module uses. */
export interface ProcStat {
  readonly pid: number;
  /** Field 2, without its parentheses. */
  readonly comm: string;
  /** Field 3: R, S, D, Z (zombie), X (dead), … */
  readonly state: string;
  /** Field 22: start time in clock ticks since boot. */
  readonly startTimeTicks: number;
}

/**
 * Parses the text of /proc/<pid>/stat. The comm field (2) is parenthesised and may contain
 * spaces and ')', so fields 3.. are taken after the last ')'. Undefined if malformed.
 *
 * @example parseStat('42 (a) b) S 1 ...').comm // 'a) b'
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  const fields = text.slice(close + 1).trim().split(/\s+/); // fields[0] is field 3
  const state = fields[0];
  const startTimeTicks = Number(fields[22 - 3]);
  if (!Number.isSafeInteger(pid) || state === undefined || fields[22 - 3] === undefined || !Number.isSafeInteger(startTimeTicks)) return undefined;
  return { pid, comm: text.slice(open + 2, close), state, startTimeTicks };
}

/**
 * Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat; undefined if the process does
 * not exist or /proc is unavailable.
 *
 * @example const ticks = startTimeTicks(child.pid!);
 */
export function startTimeTicks(pid: number): number | undefined {
  return readStat(pid)?.startTimeTicks;
}

/**
 * argv of a live process from /proc/<pid>/cmdline (NUL-separated); undefined if it is gone or
 * /proc is unavailable ([] for a zombie or a kernel thread).
 *
 * @example commandLine(process.pid) // [process.execPath, ...]
 */
export function commandLine(pid: number): string[] | undefined {
  if (!validPid(pid)) return undefined;
  const text = readProc(`${PROC}/${pid}/cmdline`);
  if (text === undefined) return undefined;
  const args = text.split('\0');
  if (args.at(-1) === '') args.pop();
  return args;
}

/**
 * kill(pid, 0): true if the process exists (EPERM counts as alive). False for a pid that is not a
 * positive integer (kill would address a process group).
 *
 * @example isAlive(process.pid) // true
 */
export function isAlive(pid: number): boolean {
  if (!validPid(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A record's process as `ps` shows it. */
export type ProcessStatus = 'running' | 'starting' | 'exited' | 'failed' | 'stale';

/** A status and, for `stale`, why. */
export interface Assessment {
  readonly status: ProcessStatus;
  /** Why the record is stale: the pid now belongs to another process, or the record is unusable. */
  readonly reason?: string;
  /** The live process's start time, when it is alive and /proc has it. */
  readonly liveStartTimeTicks?: number;
}

/**
 * Status of a record: not alive (or a zombie) → 'failed' if state is 'failed', else 'exited';
 * alive but the record is not a listener record (kind), its start_time_ticks (when recorded and
 * readable) differs from the live process's, or the live command line is not a konnect-audit
 * listener → 'stale'; alive and matching → 'starting' if state is 'starting', else 'running'.
 *
 * @example if (statusOf(record) === 'stale') console.log('pid reused');
 */
export function statusOf(record: ProcessRecord): ProcessStatus {
  return assessRecord(record).status;
}

/**
 * statusOf with the reason for `stale` and the live start time, for `ps stop`'s messages.
 *
 * @example const { status, reason } = assessRecord(record);
 */
export function assessRecord(record: ProcessRecord): Assessment {
  const { pid } = record;
  const stat = readStat(pid);
  const alive = stat !== undefined ? !isZombie(stat) : isAlive(pid);
  if (!alive) return { status: record.state === 'failed' ? 'failed' : 'exited' };
  const live = stat?.startTimeTicks;
  const others = `pid ${pid} now belongs to another process`;
  if (record.kind !== LISTENER_KIND) {
    return { status: 'stale', reason: `the record is not a ${LISTENER_KIND} record${record.error ? ` (${record.error})` : ''}`, liveStartTimeTicks: live };
  }
  if (record.start_time_ticks !== null && live !== undefined && live !== record.start_time_ticks) {
    return { status: 'stale', reason: `${others} (start time ${live}, recorded ${record.start_time_ticks})`, liveStartTimeTicks: live };
  }
  const argv = commandLine(pid);
  if (argv !== undefined && !isListenerCommand(argv)) {
    return { status: 'stale', reason: `${others} (not a konnect-audit listener)`, liveStartTimeTicks: live };
  }
  return { status: record.state === 'starting' ? 'starting' : 'running', liveStartTimeTicks: live };
}

/**
 * True when argv is a konnect-audit listener: a node process whose arguments include the
 * konnect-audit CLI script (a path whose last part is konnect-audit.mjs or konnect-audit), or a
 * konnect-audit executable itself, immediately followed by a listen, lsn or tail verb (the CLI
 * has no options before the verb).
 *
 * @example isListenerCommand(['/usr/bin/node', '/opt/ka/dist/konnect-audit.mjs', 'tail']) // true
 */
export function isListenerCommand(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined) return false;
  let script: number;
  if (CLI_SCRIPT.test(baseName(first))) script = 0;
  else if (NODE_EXECUTABLE.test(baseName(first))) script = argv.findIndex((arg, i) => i > 0 && CLI_SCRIPT.test(baseName(arg)));
  else return false;
  const verb = script < 0 ? undefined : argv[script + 1];
  return verb !== undefined && LISTENER_VERBS.has(verb);
}

/** A live listener that no record accounts for. */
export interface UnmanagedListener {
  readonly pid: number;
  /** Its argv, redacted. */
  readonly args: string[];
  readonly startTimeTicks: number | undefined;
}

/**
 * Live konnect-audit listener processes (found by scanning /proc) whose pid has no record, or
 * whose record is stale: the `unmanaged` ones, by pid ascending. Excludes the current process.
 * [] where /proc is unavailable.
 *
 * @example for (const p of findUnmanaged(await readRecords(configDir))) console.log(p.pid, 'unmanaged');
 */
export function findUnmanaged(records: readonly ProcessRecord[]): UnmanagedListener[] {
  let entries: string[];
  try {
    entries = readdirSync(PROC);
  } catch {
    return [];
  }
  const byPid = new Map<number, ProcessRecord[]>();
  for (const record of records) byPid.set(record.pid, [...(byPid.get(record.pid) ?? []), record]);
  const found: UnmanagedListener[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const argv = commandLine(pid);
    if (argv === undefined || !isListenerCommand(argv)) continue;
    const managed = (byPid.get(pid) ?? []).some((record) => {
      const status = statusOf(record);
      return status === 'running' || status === 'starting';
    });
    if (managed) continue;
    found.push({ pid, args: redactArgs(argv), startTimeTicks: startTimeTicks(pid) });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * True when /proc says the process has ended but is not yet reaped (kill(pid, 0) still succeeds).
 */
export function isZombie(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
}

/** /proc/<pid>/stat parsed; undefined if the process is gone or /proc is unavailable. */
export function readStat(pid: number): ProcStat | undefined {
  if (!validPid(pid)) return undefined;
  const text = readProc(`${PROC}/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

function readProc(path: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The last part of a path, for `/` and `\` separators. */
function baseName(path: string): string {
  return basename(path.replaceAll('\\', '/'));
}

function validPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0;
}
