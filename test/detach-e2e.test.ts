/**
 * `listen --detach` and `ps` end to end: real detached processes, the emulator as Konnect, real
 * process records under a temporary XDG_CONFIG_HOME.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { isAlive, isZombie, readStat, startTimeTicks } from '../src/processes/inspect.js';
import { call } from './support/api.js';
import { runCliAsync, startCli, type CliProcess } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

const AUTH = 'Bearer detach-secret';
let emulator: Emulator;
let home: string;
const started: number[] = [];
const children: (ChildProcess | CliProcess)[] = [];

const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' });
const processesDir = () => join(home, 'config', 'konnect-audit', 'processes');

async function listenArgs(profile = 'default', port?: number): Promise<{ args: string[]; port: number }> {
  const p = port ?? (await freePort());
  return {
    port: p,
    args: ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', `http://127.0.0.1:${p}/audit-logs`, '--listen-address', `127.0.0.1:${p}`, '--authorization', AUTH, '--profile', profile, '--configure-webhook=false', '--name', `detach-${profile}-${p}`],
  };
}

async function detach(profile = 'default', port?: number) {
  const { args } = await listenArgs(profile, port);
  const r = await runCliAsync([...args, '--detach', '-o', 'json'], { env: env(), timeoutMs: 60_000 });
  if (r.status === 0) started.push((JSON.parse(r.stdout) as { pid: number }).pid);
  return r;
}

type PsRow = { pid: number; status: string; endpoint: string | null; error?: string; profile: string; args?: string[] };

/** `ps -o json`, less the unmanaged listeners of other test files or users on this machine (they talk to another Konnect). */
async function ps(): Promise<PsRow[]> {
  const r = await runCliAsync(['ps', '-o', 'json'], { env: env() });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as PsRow[]).filter((p) => p.status !== 'unmanaged' || p.args?.includes(emulator.baseUrl));
}

/** Alive and not a zombie (an exited child of a parent that is gone may wait a while to be reaped). */
function alive(pid: number): boolean {
  const stat = readStat(pid);
  return isAlive(pid) && !(stat && isZombie(stat));
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-detach-'));
});
afterEach(async () => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const c of children.splice(0)) ('child' in c ? c.child : c).kill('SIGKILL');
  rmSync(processesDir(), { recursive: true, force: true });
  for (const d of emulator.inspect().destinations) await call(emulator.baseUrl, 'DELETE', `/v3/audit-log-destinations/${d.id}`, { token: emulator.token });
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('listen --detach and ps', () => {
  test('detach waits until serving; ps shows it running with its endpoint; events arrive; ps stop leaves Konnect clean and removes the record', async () => {
    const r = await detach();
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { pid: number; log_file: string; process_record: string; endpoint: string };
    assert.ok(alive(info.pid));
    assert.equal(emulator.inspect().destinations.length, 1, 'Konnect was configured before the parent returned');
    const list = await ps();
    assert.deepEqual(list.map((p) => [p.pid, p.status, p.endpoint]), [[info.pid, 'running', info.endpoint]]);
    const post = await fetch(info.endpoint, { method: 'POST', headers: { Authorization: AUTH }, body: '{"a":1}\n{"a":2}' });
    assert.equal(post.status, 202);
    const events = join(home, 'config', 'konnect-audit', 'audit-logs', 'default', 'events.jsonl');
    assert.equal(readFileSync(events, 'utf8'), '{"a":1}\n{"a":2}\n');
    const stop = await runCliAsync(['ps', 'stop', String(info.pid)], { env: env(), timeoutMs: 60_000 });
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`^PID +ACTION +SUCCESS +KONNECT\\n${info.pid} +stopped +true +clean\\n$`));
    assert.ok(!alive(info.pid));
    assert.ok(!existsSync(info.process_record));
    assert.deepEqual(emulator.inspect().destinations, []);
    assert.ok(readFileSync(info.log_file, 'utf8').includes('listener started'));
  });

  test('a port in use makes --detach exit 1 with the child\'s error and a failed record', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await detach('default', port);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`failed to start: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
      const list = await ps();
      assert.equal(list.length, 1);
      assert.equal(list[0]!.status, 'failed');
      assert.match(list[0]!.error ?? '', /address already in use/);
      assert.deepEqual(emulator.inspect().destinations, []);
      const prune = await runCliAsync(['ps', 'stop', '--all'], { env: env() });
      assert.match(prune.stdout, /pruned +true/);
      assert.deepEqual(await ps(), []);
    } finally {
      blocker.close();
    }
  });

  test('kill -9 of the child shows exited, and ps stop prunes it', async () => {
    const r = await detach();
    assert.equal(r.status, 0, r.stderr);
    const { pid } = JSON.parse(r.stdout) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await eventually('the child to be gone', () => !alive(pid) || undefined);
    assert.equal((await ps())[0]?.status, 'exited');
    const stop = await runCliAsync(['ps', 'stop', String(pid)], { env: env() });
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`${pid} +pruned +true`));
    assert.deepEqual(await ps(), []);
  });

  test('a record whose start time does not match the live process is stale, and that process is not signalled', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    await eventually('the process to start', () => startTimeTicks(other.pid!) ?? undefined);
    mkdirSync(processesDir(), { recursive: true });
    writeFileSync(
      join(processesDir(), `${other.pid}.json`),
      JSON.stringify({ pid: other.pid, kind: 'konnect.audit-logs.listen', profile: 'default', created_at: new Date().toISOString(), log_file: '/dev/null', args: [], start_time_ticks: 1, state: 'running' }),
    );
    assert.equal((await ps())[0]?.status, 'stale');
    const stop = await runCliAsync(['ps', 'stop', String(other.pid)], { env: env() });
    assert.match(stop.stdout, /pruned +true/);
    assert.ok(alive(other.pid!), 'the process that now has the pid was not signalled');
  });

  test('a listener started in the foreground shows as unmanaged', async () => {
    const { args } = await listenArgs('foreground');
    const fg = startCli(args, { env: env() });
    children.push(fg);
    await eventually('the foreground listener to be up', () => fg.stdout.includes('Press Ctrl+C') || undefined);
    const list = await ps();
    const row = list.find((p) => p.pid === fg.child.pid);
    assert.equal(row?.status, 'unmanaged');
    assert.equal(row?.profile, 'foreground');
    const text = await runCliAsync(['ps'], { env: env() });
    assert.match(text.stdout, /unmanaged: listeners without a process record/);
    fg.child.kill('SIGINT');
    await fg.exited();
  });

  test('ps stop --all stops three listeners on three profiles', async () => {
    const pids: number[] = [];
    for (const profile of ['one', 'two', 'three']) {
      const r = await detach(profile);
      assert.equal(r.status, 0, r.stderr);
      pids.push((JSON.parse(r.stdout) as { pid: number }).pid);
    }
    assert.deepEqual((await ps()).map((p) => p.status), ['running', 'running', 'running']);
    const stop = await runCliAsync(['ps', 'stop', '--all', '-o', 'json'], { env: env(), timeoutMs: 90_000 });
    assert.equal(stop.status, 0, stop.stderr);
    const results = JSON.parse(stop.stdout) as { pid: number; action: string; konnectClean: boolean }[];
    assert.deepEqual(results.map((r) => [r.action, r.konnectClean]).sort(), [['stopped', true], ['stopped', true], ['stopped', true]]);
    assert.ok(pids.every((pid) => !alive(pid)));
    assert.deepEqual(emulator.inspect().destinations, []);
  });

  test('secrets never appear in process records or ps output', async () => {
    const r = await detach();
    assert.equal(r.status, 0, r.stderr);
    const { pid } = JSON.parse(r.stdout) as { pid: number };
    const record = readFileSync(join(processesDir(), `${pid}.json`), 'utf8');
    const listing = (await runCliAsync(['ps', '-o', 'yaml'], { env: env() })).stdout;
    for (const text of [record, listing, r.stdout]) {
      assert.ok(!text.includes('detach-secret'), 'authorization');
      assert.ok(!text.includes(emulator.token), 'token');
    }
    // Nor on the child's command line, which every local user can read while it runs: they travel in its environment.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    assert.ok(cmdline.includes('--listen-address'), cmdline);
    assert.ok(!cmdline.includes('detach-secret') && !cmdline.includes(emulator.token), cmdline);
    assert.ok(!cmdline.includes('--authorization') && !cmdline.includes('--pat'), cmdline);
    const logs = await runCliAsync(['ps', 'logs', String(pid)], { env: env() });
    assert.equal(logs.status, 0, logs.stderr);
    assert.match(logs.stdout, /"msg":"listener started"/);
    assert.ok(!logs.stdout.includes('detach-secret') && !logs.stdout.includes(emulator.token), 'no secret in the log either');
    await runCliAsync(['ps', 'stop', String(pid)], { env: env(), timeoutMs: 60_000 });
  });

  test('KONNECT_AUDIT_AUTHORIZATION stands for --authorization', async () => {
    const { args } = await listenArgs();
    const i = args.indexOf('--authorization');
    const withoutFlag = [...args.slice(0, i), ...args.slice(i + 2)];
    const missing = await runCliAsync([...withoutFlag, '--detach'], { env: env(), timeoutMs: 60_000 });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required flag\(s\) "authorization" not set/);
    const r = await runCliAsync([...withoutFlag, '--detach', '-o', 'json'], { env: { ...env(), KONNECT_AUDIT_AUTHORIZATION: AUTH }, timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { pid: number; endpoint: string };
    started.push(info.pid);
    assert.equal((await fetch(info.endpoint, { method: 'POST', headers: { Authorization: 'Bearer wrong' }, body: '{"a":1}' })).status, 401);
    assert.equal((await fetch(info.endpoint, { method: 'POST', headers: { Authorization: AUTH }, body: '{"a":1}' })).status, 202);
    await runCliAsync(['ps', 'stop', String(info.pid)], { env: env(), timeoutMs: 60_000 });
  });

  test('usage errors: ps stop arguments and --detach with --tail', async () => {
    const cases: [string[], string][] = [
      [['ps', 'stop'], 'provide a process PID or use --all'],
      [['ps', 'stop', '12', '--all'], 'do not provide a PID when using --all'],
      [['ps', 'stop', 'x'], 'invalid PID "x"'],
      // tail is listen --tail: kongctl's text, not an unknown option.
      [['tail', '--detach', '--endpoint', 'https://e.x/a', '--authorization', 'a'], '--detach is not supported with --tail'],
      [['tail', '-d', '--endpoint', 'https://e.x/a', '--authorization', 'a'], '--detach is not supported with --tail'],
      [['listen', '--detach', '--tail', '--endpoint', 'https://e.x/a', '--authorization', 'a'], '--detach is not supported with --tail'],
    ];
    for (const [args, message] of cases) {
      const r = await runCliAsync(args, { env: env() });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(message), r.stderr);
    }
    const missing = await runCliAsync(['ps', 'stop', '999999'], { env: env() });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no detached process record found for PID 999999/);
  });
});
