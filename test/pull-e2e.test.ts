/**
 * `pull` end to end: the built CLI against the in-process emulator's pull API (GET /v3/audit-logs):
 * cursor pages walked in order, the range, type and limit flags, --jq and -o, --follow until
 * SIGINT, --store filling a deliberate gap in a listener's store (then events and verify read the
 * pulled records, and a second pull stores nothing), refusal while a listener owns the store, bad
 * flags and a bad token.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { KonnectClient } from '../src/konnect/client.js';
import type { PullAuditLog } from '../src/konnect/types.js';
import { CLI, runCliAsync, startCli } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

let emulator: Emulator;
let konnect: KonnectClient;
let home: string;
/** The history window: 57 records, 5 to 4 hours ago; the tests' own API calls (audited too) fall outside it. */
let from: number;
let to: number;
let history: PullAuditLog[];

const iso = (ms: number) => new Date(ms).toISOString();
const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', KONNECT_AUDIT_PROFILE: '' });
const pull = (args: string[], pat = emulator.token) => runCliAsync(['pull', '--base-url', emulator.baseUrl, '--pat', pat, ...args], { env: env() });
/** The window's bounds as flags (both inclusive, as Konnect's filter[ts]). */
const window = () => ['--since', iso(from), '--until', iso(to)];
const jsonl = (records: readonly unknown[]) => records.map((r) => JSON.stringify(r) + '\n').join('');

/** Every record of a range straight from the API, one page. */
async function apiRecords(gte: number, lte?: number, type?: PullAuditLog['type']): Promise<PullAuditLog[]> {
  const page = await konnect.pullAuditLogs({ gte: iso(gte), lte: lte === undefined ? undefined : iso(lte), type, pageSize: 1000 });
  assert.equal(page.meta.page.next, null);
  return page.data;
}

async function ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await pull(args);
  assert.equal(r.status, 0, r.stderr);
  return r;
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  konnect = new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-pull-'));
  const now = Date.now();
  from = now - 5 * 3_600_000;
  to = now - 4 * 3_600_000;
  assert.equal(await emulator.generate({ count: 57, fromMs: from, toMs: to }), 57);
  history = await apiRecords(from, to);
  assert.equal(history.length, 57);
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('pull: history', () => {
  test('walks the cursor pages (page size 10: 6 pages): every record exactly once, oldest first, as Konnect sent it', async () => {
    const { stdout, stderr } = await ok([...window(), '--page-size', '10']);
    assert.equal(stdout, jsonl(history));
    assert.equal(stderr, '');
    const times = history.map((r) => Date.parse(r.ts));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.equal(new Set(history.map((r) => r.signature)).size, 57);
  });

  test('--type (access is gateway_access), --limit, and --since/--until bounds', async () => {
    for (const [flag, type] of [['authorization', 'authorization'], ['access', 'gateway_access'], ['gateway_access', 'gateway_access'], ['authentication', 'authentication']] as const) {
      const expected = history.filter((r) => r.type === type);
      assert.equal((await ok([...window(), '--type', flag, '--page-size', '4'])).stdout, jsonl(expected), flag);
    }
    assert.equal((await ok([...window(), '-n', '7', '--page-size', '3'])).stdout, jsonl(history.slice(0, 7)));
    assert.equal((await ok([...window(), '--limit', '0'])).stdout, '');
    // Both bounds inclusive, as Konnect's filter[ts][gte|lte].
    const [a, b] = [history[10]!.ts, history[20]!.ts];
    assert.equal((await ok(['--since', a, '--until', b])).stdout, jsonl(history.filter((r) => r.ts >= a && r.ts <= b)));
  });

  test('--jq (with -r and --jq-arg) and -o json/table', async () => {
    const types = (await ok([...window(), '--jq', '.type', '-r'])).stdout;
    assert.equal(types, history.map((r) => r.type + '\n').join(''));
    const principal = history[0]!.principal_id!;
    const mine = (await ok([...window(), '--jq', 'select(.principal_id == $p) | .ts', '-r', '--jq-arg', 'p', principal])).stdout;
    assert.equal(mine, history.filter((r) => r.principal_id === principal).map((r) => r.ts + '\n').join(''));
    assert.deepEqual(JSON.parse((await ok([...window(), '-o', 'json', '--page-size', '20'])).stdout), history);
    const table = (await ok([...window(), '-o', 'table', '--type', 'authorization'])).stdout.trimEnd().split('\n');
    assert.match(table[0]!, /^TIME +TYPE +PRINCIPAL +ACTION +OUTCOME$/);
    assert.equal(table.length, 1 + history.filter((r) => r.type === 'authorization').length);
    assert.ok(table.slice(1).every((row) => / authorization {2}.* (granted|denied)$/.test(row)), table.join('\n'));
  });

  test('| head ends quietly', async () => {
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" pull --base-url ${emulator.baseUrl} --pat ${emulator.token} --since ${iso(from)} --until ${iso(to)} --page-size 5 | head -2`], { env: { ...process.env, ...env() } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr, stdout }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, jsonl(history.slice(0, 2)));
  });

  test('a start older than 7 days warns that Konnect keeps 7 days', async () => {
    const { stderr } = await ok(['--since', '8d', '--until', '7d']);
    assert.match(stderr, /Konnect keeps audit logs for 7 days/);
  });
});

describe('pull --follow', () => {
  test('prints the history, then records made after it started, each once; SIGINT exits 0', async () => {
    const started = Date.now();
    const proc = startCli(['pull', '--base-url', emulator.baseUrl, '--pat', emulator.token, '-f', '--since', iso(started - 1000), '--poll-interval', '50ms', '--page-size', '7'], { env: env() });
    try {
      // The history: the audit events of the test's own earlier calls, at least.
      await proc.firstLine();
      assert.equal(await emulator.generate({ count: 25 }), 25);
      const made = (await apiRecords(started - 1000)).filter((r) => Date.parse(r.ts) >= Date.now() - 60_000);
      assert.ok(made.length >= 25);
      await eventually('the new records to be printed', () => made.every((r) => proc.stdout.includes(JSON.stringify(r) + '\n')) || undefined);
    } finally {
      proc.child.kill('SIGINT');
    }
    assert.equal(await proc.exited(), 0, proc.stderr);
    const lines = proc.stdout.split('\n').filter((l) => l !== '');
    assert.equal(new Set(lines).size, lines.length, 'no record printed twice');
    assert.equal(proc.stderr, '');
  });
});

describe('pull --store', () => {
  const AUTH = 'Bearer pull-secret';
  const dataDir = () => join(home, 'data');
  const eventsFile = () => join(dataDir(), 'default', 'events.jsonl');
  const stored = () => (existsSync(eventsFile()) ? readFileSync(eventsFile(), 'utf8').split('\n').filter((l) => l !== '') : []);
  const cli = (args: string[]) => runCliAsync([...args, '--data-dir', dataDir()], { env: env() });

  test('fills a deliberate gap in a listener\'s store, skipping what the listener received; events and verify read the pulled records; a second pull stores nothing; refused while the listener runs', async () => {
    // A listener stores what Konnect sends.
    const port = await freePort();
    let received: [number, number] = [0, 0];
    const listener = startCli(['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', `http://127.0.0.1:${port}/audit-logs`, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', dataDir()], { env: env() });
    try {
      await eventually('the webhook to be bound', () => emulator.inspect().regions.us!.webhook.enabled || undefined);
      received = [Date.now() - 3 * 3_600_000, Date.now() - 2 * 3_600_000];
      await emulator.generate({ count: 20, fromMs: received[0], toMs: received[1] });
      await emulator.idle();
      await eventually('the listener to store the records', () => stored().length >= 20 || undefined);

      // While it runs, the store is its own.
      const refused = await pull(['--store', '--data-dir', dataDir(), '--since', '1h']);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /owns the store of this profile/);
      assert.match(refused.stderr, /konnect-audit replay --since/);
      assert.equal(refused.stdout, '');
    } finally {
      listener.child.kill('SIGINT');
    }
    assert.equal(await listener.exited(), 0, listener.stderr);
    const before = stored();

    // What the listener received is known in its webhook shape: pulling it stores nothing.
    const again = await pull(['--store', '--data-dir', dataDir(), '--since', iso(received[0]), '--until', iso(received[1])]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stderr, `stored 0 new records in ${eventsFile()} (20 already stored, 20 of them as received by the listener)\n`);
    assert.deepEqual(stored(), before);

    // The gap: records Konnect keeps but nobody received (the webhook is released).
    const gapFrom = Date.now() - 90 * 60_000;
    const gapTo = Date.now() - 80 * 60_000;
    await emulator.generate({ count: 40, fromMs: gapFrom, toMs: gapTo });
    const gap = await apiRecords(gapFrom, gapTo);
    assert.equal(gap.length, 40);
    const range = ['--since', iso(gapFrom), '--until', iso(gapTo)];

    const first = await pull(['--store', '--data-dir', dataDir(), ...range, '--page-size', '15']);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, '', '--store prints nothing without --print');
    assert.equal(first.stderr, `stored 40 new records in ${eventsFile()} (0 already stored)\n`);
    assert.deepEqual(stored(), [...before, ...gap.map((r) => JSON.stringify(r))]);

    const second = await pull(['--store', '--print', '--data-dir', dataDir(), ...range]);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, jsonl(gap));
    assert.equal(second.stderr, `stored 0 new records in ${eventsFile()} (40 already stored)\n`);
    assert.equal(stored().length, before.length + 40);

    // events reads them as it reads webhook records: times, types, principals, granted, rendering.
    const events = async (args: string[]) => {
      const r = await cli(['events', ...args]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const inGap = ['--since', iso(gapFrom), '--until', iso(gapTo + 1)];
    assert.equal(await events(inGap), jsonl(gap));
    assert.equal(await events([...inGap, '--type', 'access']), jsonl(gap.filter((r) => r.type === 'gateway_access')));
    assert.equal(await events([...inGap, '--type', 'authorization', '--granted', 'true']), jsonl(gap.filter((r) => r.type === 'authorization' && r.granted)));
    const principal = gap[0]!.principal_id!;
    assert.equal(await events([...inGap, '--principal', principal]), jsonl(gap.filter((r) => r.principal_id === principal)));
    const table = (await events([...inGap, '-o', 'table'])).trimEnd().split('\n');
    assert.equal(table.length, 41);
    for (const [i, row] of table.slice(1).entries()) assert.ok(row.startsWith(new Date(Date.parse(gap[i]!.ts)).toISOString()), row);

    // verify: webhook and pull records alike, all signed and valid.
    const verify = await cli(['verify']);
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
    assert.match(verify.stdout, new RegExp(`${before.length + 40} records in 1 file: ${before.length + 40} valid, 0 invalid, 0 unsigned`));

    // The other way round: a listener that gets the pulled events again from a replay (as webhook
    // records, with other signatures) knows them and stores none of them twice.
    const port2 = await freePort();
    const listener2 = startCli(
      ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', `http://127.0.0.1:${port2}/audit-logs`, '--listen-address', `127.0.0.1:${port2}`, '--authorization', AUTH, '--data-dir', dataDir(), '--backfill', 'off'],
      { env: env() },
    );
    try {
      await eventually('the webhook to be bound again', () => emulator.inspect().regions.us!.webhook.enabled || undefined);
      const replay = await cli(['replay', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--start-time', iso(gapFrom), '--end-time', iso(gapTo + 1000), '--settle', '0']);
      assert.equal(replay.status, 0, replay.stderr);
      assert.match(replay.stdout, /stored 0 new records for the range; the store now holds 40 records in it/);
    } finally {
      listener2.child.kill('SIGINT');
    }
    assert.equal(await listener2.exited(), 0, listener2.stderr);
    const gapLines = stored().filter((l) => {
      const t = Date.parse((JSON.parse(l) as { ts?: string; event_ts?: string }).ts ?? '');
      return t >= gapFrom && t <= gapTo;
    });
    assert.equal(gapLines.length, 40, 'each gap event once, as pulled');
  });
});

describe('pull: errors', () => {
  test('bad flags exit 2 with a clear message, before any call', async () => {
    const cases: [string[], RegExp][] = [
      [['--page-size', '0'], /--page-size.*1 to 1000/],
      [['--page-size', '1001'], /--page-size.*1 to 1000/],
      [['--page-size', 'x'], /--page-size.*whole number/],
      [['--type', 'logins'], /--type.*authentication, authorization or access/],
      [['--since', 'yesterday'], /--since.*duration/],
      [['--since', '1h', '--start-time', '2h'], /not both/],
      [['--since', '1h', '--until', '2h'], /range is empty/],
      [['-f', '--until', '1h'], /--follow.*--until/],
      [['--poll-interval', '5s'], /--poll-interval only applies with --follow/],
      [['-f', '--poll-interval', 'soon'], /--poll-interval/],
      [['-n', '-1'], /--limit|unknown option/],
      [['--store', '--jq', '.ts'], /--store prints nothing.*--print/],
      [['--print'], /--print only applies with --store/],
      [['-o', 'xml'], /--output.*jsonl, json, text or table/],
      [['-o', 'table', '--jq', '.ts'], /--jq.*-o table/],
      [['-r'], /--jq-raw requires --jq/],
    ];
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    for (const [args, message] of cases) {
      const r = await runCliAsync(['pull', ...args, '--base-url', nowhere, '--pat', 'x'], { env: env() });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  test('a bad token: Konnect\'s 401 in words, exit 1', async () => {
    const r = await pull(['--since', '1h'], 'kpat_not-a-token');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Konnect refused the token \(401 Unauthorized\).*--pat/);
    assert.equal(r.stdout, '');
  });
});
