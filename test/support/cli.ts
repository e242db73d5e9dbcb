/** Running the built CLI (dist/konnect-audit.mjs) as a real process. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/konnect-audit.mjs', import.meta.url));

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal };
}

/** A long-running CLI process with its output collected. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  /** Resolves with the first stdout line (rejects if the process exits first or after `timeoutMs`). */
  firstLine(timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name). */
  exited(): Promise<number | string>;
}

export function startCli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  // 'close', not 'exit': 'exit' may come before the last stdout/stderr chunk has been read.
  const exit = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const proc: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    firstLine: (timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no output line after ${timeoutMs} ms; stderr: ${proc.stderr}`)), timeoutMs);
        const check = () => {
          const nl = proc.stdout.indexOf('\n');
          if (nl >= 0) {
            clearTimeout(timer);
            resolve(proc.stdout.slice(0, nl));
          }
        };
        child.stdout.on('data', check);
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before printing a line; stderr: ${proc.stderr}`));
        });
        check();
      }),
    exited: () => exit,
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (proc.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (proc.stderr += d));
  return proc;
}

/** Runs the CLI to completion without blocking this process (needed when this process serves the emulator). */
export async function runCliAsync(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {}) {
  const proc = startCli(args, options);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await proc.exited();
  clearTimeout(timer);
  return { status: typeof code === 'number' ? code : null, stdout: proc.stdout, stderr: proc.stderr, signal: typeof code === 'string' ? code : null };
}
