/**
 * The servers the ingest benchmarks post to, each its own process with a pid to measure:
 * `konnect-audit listen` (the built CLI, the emulator as Konnect), a minimal node:http receiver
 * (Node's floor) and nginx with the echo module answering 202 (a raw-HTTP ceiling).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from 'konnect-audit';
import { freePort, until } from './wait.js';

export const AUTHORIZATION = 'Bearer bench';

export interface Target {
  readonly name: string;
  readonly pid: number;
  /** The URL to POST records to. */
  readonly url: string;
  /** Records stored so far (lines in the store), when the target stores them. */
  storedRecords(): number | undefined;
  stop(): Promise<void>;
}

const CLI = fileURLToPath(new URL('../../dist/konnect-audit.mjs', import.meta.url));

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Lines in a file, read in chunks (stores grow past what one Buffer can hold). */
function countLines(file: string): number {
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = openSync(file, 'r');
  try {
    let lines = 0;
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
      for (let i = chunk.indexOf(10); i !== -1 && i < n; i = chunk.indexOf(10, i + 1)) lines++;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/**
 * Records in a listener's profile directory: events.jsonl and its rotated segments (a segment
 * caught mid-compression counts once, as its plain file).
 */
function countStoredLines(dir: string): number {
  // Background compression replaces a plain segment by its .gz at any moment: list again when one vanishes.
  for (let attempt = 1; ; attempt++) {
    try {
      return countStoredLinesOnce(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 10) throw error;
    }
  }
}

function countStoredLinesOnce(dir: string): number {
  const names = readdirSync(dir);
  let lines = 0;
  for (const name of names) {
    if (/^events(-.+)?\.jsonl$/.test(name)) lines += countLines(join(dir, name));
    else if (/^events-.+\.jsonl\.gz$/.test(name) && !names.includes(name.slice(0, -3))) {
      const text = gunzipSync(readFileSync(join(dir, name)));
      for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) lines++;
    }
  }
  return lines;
}

/** Starts `konnect-audit listen` against a fresh emulator; resolves once the webhook is bound. */
export async function startListenerTarget(
  extraArgs: readonly string[] = [],
  options: { dataDir?: string; cli?: string; name?: string; /** De-duplication on, as by default (only for unique records). */ dedupe?: boolean } = {},
): Promise<Target & { emulator: Emulator; dataDir: string }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'konnect-audit-bench-'));
  const emulator = await startEmulator({ port: 0, sign: false });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/audit-logs`;
  // The ingest figures are for receiving and storing: signature checks are off (the records carry
  // made-up signatures), and duplicates are kept (the batch poster repeats its batches); builds
  // from before these flags have neither.
  const flags = options.cli === undefined || listenSupports(options.cli, '--keep-duplicates') ? ['--verify', 'off', ...(options.dedupe ? [] : ['--keep-duplicates'])] : [];
  const args = ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTHORIZATION, '--data-dir', dataDir, ...flags, ...extraArgs];
  const child = spawn(process.execPath, [options.cli ?? CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  await until(() => emulator.inspect().regions.us!.webhook.enabled || child.exitCode !== null, 'the listener to bind the webhook', 15_000);
  if (child.exitCode !== null) throw new Error(`listener exited with ${child.exitCode}`);
  return {
    name: options.name ?? 'konnect-audit listen',
    pid: child.pid!,
    url,
    emulator,
    dataDir,
    // Rotation (128 MiB by default) moves records into segments: count them all.
    storedRecords: () => countStoredLines(join(dataDir, 'default')),
    stop: async () => {
      child.kill('SIGINT');
      await exited(child);
      await emulator.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Whether another build's `listen` has a flag (its --help names it). */
function listenSupports(cli: string, flag: string): boolean {
  return spawnSync(process.execPath, [cli, 'listen', '--help'], { encoding: 'utf8' }).stdout.includes(flag);
}

/**
 * `BENCH_BEFORE=<path to another build's dist/konnect-audit.mjs>` adds that build's listener to the
 * ingest and memory tables, so a change is measured against the code before it in the same run.
 */
export function beforeTarget(): (() => Promise<Target>) | undefined {
  const cli = process.env.BENCH_BEFORE;
  if (!cli) return undefined;
  const label = process.env.BENCH_BEFORE_LABEL ?? 'before';
  return () => startListenerTarget([], { cli, name: `konnect-audit listen (${label})` });
}

/** A node:http server that appends bodies to a file and answers 202 at once (no checks, no fsync). */
export function startMinimalNodeTarget(): Promise<Target> {
  return startScriptTarget('minimal-append-receiver.mjs', 'minimal node:http receiver (append, no checks, no fsync)');
}

/** The same with group-committed O_DSYNC appends and 202 after the write: the floor of durability. */
export function startDurableNodeTarget(): Promise<Target> {
  return startScriptTarget('minimal-durable-receiver.mjs', 'minimal node:http receiver + group-committed O_DSYNC appends (no checks)');
}

/** A receiver in its own process that only gunzips and counts (no store): the batch baseline. */
export function startGunzipOnlyTarget(): Promise<Target> {
  return startScriptTarget('minimal-receiver.mjs', 'minimal node:http receiver (gunzip and count, no store)', { stores: false });
}

/** Runs one of bench/'s receiver scripts, which prints its port; the ones that store get a file to append to. */
async function startScriptTarget(script: string, name: string, options: { stores?: boolean } = {}): Promise<Target> {
  const stores = options.stores ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-bench-min-'));
  const file = join(dir, 'events.jsonl');
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../${script}`, import.meta.url)), ...(stores ? [file] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return {
    name,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/audit-logs`,
    storedRecords: () => (stores ? countLines(file) : undefined),
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when nginx and its echo module are installed (the bench installs them with apt when it can). */
export function nginxAvailable(): boolean {
  try {
    statSync('/usr/lib/nginx/modules/ngx_http_echo_module.so');
    return spawnSync('sh', ['-c', 'command -v nginx']).status === 0;
  } catch {
    return false;
  }
}

/** nginx, one process (no master), reading each body and answering 202 with the echo module. */
export async function startNginxTarget(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 1m;
  client_body_buffer_size 1m;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location = /audit-logs {
      echo_read_request_body;
      echo_status 202;
      echo -n '';
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await until(async () => {
    try {
      await fetch(`http://127.0.0.1:${port}/audit-logs`, { method: 'POST', body: 'x' });
      return true;
    } catch {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
      return false;
    }
  }, 'nginx to serve', 10_000);
  return {
    name: 'nginx 1.22 + echo module, 202 (one worker)',
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/audit-logs`,
    storedRecords: () => undefined,
    stop: async () => {
      child.kill('SIGQUIT');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
