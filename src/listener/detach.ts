/**
 * Detached listeners (`listen --detach`): the parent re-runs the command as a child in its own
 * session with stdio closed, and waits until the child has bound its address and configured
 * Konnect — or failed — before it reports anything (kongctl's parent reports success at once).
 * The child keeps its own process record up to date: `starting`, then `running` (or `failed` with
 * its error), and when it stops, the outcome of its Konnect clean-up.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseReport } from '../konnect/listenerSetup.js';
import { isAlive, startTimeTicks } from '../processes/inspect.js';
import { LISTENER_KIND, readRecord, recordFile, redactArgs, updateRecord, writeRecord } from '../processes/records.js';
import { ensurePrivateDir } from '../store/files.js';
import type { ListenerLifecycle } from './run.js';

/** Set in the child's environment: the config dir whose processes/ holds its record. */
export const DETACHED_ENV = 'KONNECT_AUDIT_DETACHED_CONFIG_DIR';
/** Placeholder in the child's `--log-file`, replaced by its pid. */
export const PID_PLACEHOLDER = '{pid}';

/** The child's log file path template. */
export function childLogTemplate(configDir: string): string {
  return join(configDir, 'logs', `konnect-audit-listener-${PID_PLACEHOLDER}.log`);
}

/** The Authorization value a listener requires, when --authorization is not given (keeps it off the command line). */
export const AUTHORIZATION_ENV = 'KONNECT_AUDIT_AUTHORIZATION';
/** Carries --pat from a detaching parent to its child. */
export const DETACHED_PAT_ENV = 'KONNECT_AUDIT_DETACHED_PAT';
/**
 * Secret flags moved from the child's command line, which any local user can read for as long as
 * it runs (ps, /proc/<pid>/cmdline), to its environment, which only its owner can read.
 */
const SECRET_FLAGS: Readonly<Record<string, string>> = { '--authorization': AUTHORIZATION_ENV, '--pat': DETACHED_PAT_ENV };

/**
 * The child's arguments: the parent's, without `--detach`/`-d`, logging to its own file at info
 * level unless told otherwise; and its extra environment, which carries the secret flags.
 * @example childArgs(['listen', '-d', '--pat', 'kpat_x'], dir) // { args: ['listen', '--log-file', ..., '--log-level', 'info'], env: { KONNECT_AUDIT_DETACHED_PAT: 'kpat_x' } }
 */
export function childArgs(argv: readonly string[], configDir: string): { args: string[]; env: Record<string, string> } {
  const args: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-d' || a === '--detach' || a.startsWith('--detach=') || a.startsWith('--detach-timeout=')) continue;
    if (a === '--detach-timeout') {
      i++; // and its value
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const secretEnv = SECRET_FLAGS[flag];
    if (secretEnv !== undefined) {
      if (eq > 0) env[secretEnv] = a.slice(eq + 1);
      else if (i + 1 < argv.length) env[secretEnv] = argv[++i]!;
      continue;
    }
    args.push(a);
  }
  if (!argv.some((a) => a === '--log-file' || a.startsWith('--log-file='))) args.push('--log-file', childLogTemplate(configDir));
  if (!argv.some((a) => a === '--log-level' || a.startsWith('--log-level='))) args.push('--log-level', 'info');
  return { args, env };
}

/** In the child: writes the record (state `starting`) and returns the lifecycle that keeps it current. */
export async function startChildRecord(configDir: string, profile: string, logFile: string): Promise<{ lifecycle: ListenerLifecycle; failed(message: string): Promise<void> }> {
  await writeRecord(configDir, {
    pid: process.pid,
    kind: LISTENER_KIND,
    profile,
    created_at: new Date().toISOString(),
    log_file: logFile,
    args: redactArgs(process.argv.slice(2)),
    start_time_ticks: startTimeTicks(process.pid) ?? null,
    state: 'starting',
  });
  return {
    lifecycle: {
      started: async (info) => {
        await updateRecord(configDir, process.pid, { state: 'running', endpoint: info.endpoint, local_endpoint: info.localEndpoint, destination_id: info.destinationId });
      },
      cleanedUp: async (report: ReleaseReport) => {
        await updateRecord(configDir, process.pid, {
          state: 'stopped',
          cleanup: { finished_at: new Date().toISOString(), webhook_released: report.webhookReleased, destination_deleted: report.destinationDeleted, problems: report.problems },
        });
      },
    },
    failed: async (message) => {
      await updateRecord(configDir, process.pid, { state: 'failed', error: message });
    },
  };
}

/** What the parent learned. */
export type DetachOutcome =
  | { readonly ok: true; readonly pid: number; readonly logFile: string; readonly recordFile: string; readonly endpoint: string; readonly localEndpoint: string }
  | { readonly ok: false; readonly pid: number | undefined; readonly logFile: string | undefined; readonly recordFile: string | undefined; readonly error: string };

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** In the parent: starts the child and waits until it is running, has failed, or the timeout passed. */
export async function runDetached(options: { readonly argv: readonly string[]; readonly configDir: string; readonly timeoutMs: number }): Promise<DetachOutcome> {
  await ensurePrivateDir(join(options.configDir, 'logs'));
  await ensurePrivateDir(join(options.configDir, 'processes'));
  const { args, env } = childArgs(options.argv, options.configDir);
  const child = spawn(process.execPath, [process.argv[1]!, ...args], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...env, [DETACHED_ENV]: options.configDir },
  });
  const spawned = await new Promise<number | Error>((resolve) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (error) => resolve(error));
  });
  if (spawned instanceof Error) return { ok: false, pid: undefined, logFile: undefined, recordFile: undefined, error: `cannot start the listener: ${spawned.message}` };
  const pid = spawned;
  child.unref();
  const logFile = childLogTemplate(options.configDir).replace(PID_PLACEHOLDER, String(pid));
  const file = recordFile(options.configDir, pid);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const record = existsSync(file) ? await readRecord(options.configDir, pid).catch(() => undefined) : undefined;
    if (record?.state === 'running') return { ok: true, pid, logFile, recordFile: file, endpoint: record.endpoint ?? '', localEndpoint: record.local_endpoint ?? '' };
    if (record?.state === 'failed') return { ok: false, pid, logFile, recordFile: file, error: record.error ?? 'the listener failed to start' };
    if (exitCode !== undefined || !isAlive(pid)) {
      // Gone without saying why: keep a failed record for ps, with the end of its log.
      const error = `the listener exited (code ${exitCode ?? 'unknown'}) before it was ready${lastLines(logFile, 5) ? `; its log ends with:\n${lastLines(logFile, 5)}` : ''}`;
      if (record) await updateRecord(options.configDir, pid, { state: 'failed', error });
      return { ok: false, pid, logFile, recordFile: record ? file : undefined, error };
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      const error = `the listener was not ready within ${Math.round(options.timeoutMs / 1000)}s; it was stopped (it removes what it created in Konnect)`;
      if (record) await updateRecord(options.configDir, pid, { state: 'failed', error });
      return { ok: false, pid, logFile, recordFile: record ? file : undefined, error };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
