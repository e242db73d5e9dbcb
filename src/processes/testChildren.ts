/**
 * Test helpers (not a test file): real child processes that look like konnect-audit listeners
 * (`node <tmp>/konnect-audit.mjs listen ...`) and behave as the detached child does on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The fake CLI. FIXTURE_MODE: `clean` (default: on SIGTERM writes FIXTURE_CLEANUP as the `cleanup`
 * of its record `$FIXTURE_RECORDS/<pid>.json`, then exits 0), `remove` (on SIGTERM deletes its record and exits), `ignore` (ignores
 * SIGTERM). Prints "ready" once its handlers are installed, and on SIGWINCH
 * `seen:<signals received so far>` (see signalsSeen).
 */
const FAKE_CLI = `import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
const mode = process.env.FIXTURE_MODE ?? 'clean';
const recordFile = process.env.FIXTURE_RECORDS ? process.env.FIXTURE_RECORDS + '/' + process.pid + '.json' : undefined;
const timer = setInterval(() => {}, 1 << 30);
const seen = [];
process.on('SIGWINCH', () => process.stdout.write('seen:' + seen.join(',') + '\\n'));
process.on('SIGTERM', () => {
  seen.push('SIGTERM');
  if (mode === 'ignore') return;
  if (mode === 'remove') unlinkSync(recordFile);
  else if (recordFile) {
    const record = JSON.parse(readFileSync(recordFile, 'utf8'));
    record.state = 'stopped';
    record.cleanup = JSON.parse(process.env.FIXTURE_CLEANUP);
    writeFileSync(recordFile + '.tmp', JSON.stringify(record, null, 2) + '\\n');
    renameSync(recordFile + '.tmp', recordFile);
  }
  clearInterval(timer);
  process.exit(0);
});
process.stdout.write('ready\\n');
`;

/** Creates temp dirs and children, and removes/kills them all in cleanup(). */
export class Children {
  private readonly children: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  /** A fresh temp dir, removed by cleanup(). */
  async tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'konnect-audit-processes-'));
    this.dirs.push(dir);
    return dir;
  }

  /** Writes the fake CLI as `<dir>/konnect-audit.mjs` and returns its path. */
  async fakeCli(): Promise<string> {
    const script = join(await this.tempDir(), 'konnect-audit.mjs');
    await writeFile(script, FAKE_CLI);
    return script;
  }

  /** Spawns `process.execPath ...args` and waits until it prints "ready" (deadline 10 s). */
  async spawnReady(args: readonly string[], env: Record<string, string> = {}): Promise<ChildProcess & { pid: number }> {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`child ${String(child.pid)} not ready within 10s`)), 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`child exited early (${String(code ?? signal)})`));
      });
    });
    return child as ChildProcess & { pid: number };
  }

  /** Runs `sh -c script` and resolves with the first line it prints (deadline 10 s). */
  async shellFirstLine(script: string): Promise<string> {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    return new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no output within 10s')), 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const end = out.indexOf('\n');
        if (end >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, end));
        }
      });
    });
  }

  /** A pid that was just used by a process that has exited and been reaped. */
  async deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const pid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    return pid;
  }

  /** Kills every child still running and removes every temp dir. */
  async cleanup(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The signals a fake CLI child has received so far (asks it with SIGWINCH, which is sent after
 * anything signalled before this call).
 */
export async function signalsSeen(child: ChildProcess): Promise<string[]> {
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('no answer to SIGWINCH within 10s')), 10_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const match = /seen:([^\n]*)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
  });
  child.kill('SIGWINCH');
  const seen = await line;
  return seen === '' ? [] : seen.split(',');
}

/** Resolves when `check()` is true; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs}ms`);
    await sleep(10);
  }
}

/** Whether a spawned child has exited. */
export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}
