/**
 * `replay` end to end: the built CLI against the in-process emulator (replay steps of 10 ms). A
 * replay fills a deliberate gap in a listener's store, each record stored once; a running job
 * (409), a range beyond Konnect's 7 days and a webhook that is not enabled are refused clearly;
 * a Dev Portal's job; following a job that does not finish gives up at --timeout.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import type { AuditLogReplayJob } from '../src/konnect/types.js';
import { call } from './support/api.js';
import { runCliAsync, startCli, type CliProcess } from './support/cli.js';
import { eventually, listenerPort } from './support/wait.js';

const AUTH = 'Bearer replay-secret';
const HOUR = 3_600_000;
let emulator: Emulator;
let home: string;
let listener: CliProcess | undefined;
/** A receiver the webhook can point at instead of a listener: accepts, holds its answers, or rejects (401). */
let receiver: Server;
let receiverUrl: string;
let mode: 'accept' | 'hold' | 'reject' = 'accept';
const held: ServerResponse[] = [];

const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' });
const dataDir = () => join(home, 'data');
const api = <T = unknown>(method: string, path: string, body?: unknown) => call<T>(emulator.baseUrl, method, path, { token: emulator.token, ...(body !== undefined ? { body } : {}) });
const iso = (ms: number) => new Date(ms).toISOString();

function replay(args: string[]) {
  return runCliAsync(['replay', ...args, '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', dataDir(), '--poll-interval', '20ms', '--settle', '200ms'], { env: env(), timeoutMs: 20_000 });
}

/** Stored lines whose rt lies in [fromMs, toMs]. */
function storedIn(fromMs: number, toMs: number): string[] {
  const file = join(dataDir(), 'default', 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      const rt = Number(/"rt":(\d+)/.exec(line)?.[1]);
      return rt >= fromMs && rt <= toMs;
    });
}

async function startListener(): Promise<void> {
  const port = await listenerPort();
  listener = startCli(['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', `http://127.0.0.1:${port}/audit-logs`, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', dataDir()], { env: env() });
  // The start-up line comes after listener.json is written.
  await listener.firstLine();
}

async function stopListener(): Promise<void> {
  listener!.child.kill('SIGINT');
  assert.equal(await listener!.exited(), 0, listener!.stderr);
  listener = undefined;
}

const job = async (path = '/v2/audit-log-replay-job') => (await api<AuditLogReplayJob>('GET', path)).body;

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-replay-'));
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => (mode === 'hold' ? held.push(res) : res.writeHead(mode === 'reject' ? 401 : 200).end()));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/audit-logs`;
});
after(async () => {
  mode = 'accept';
  held.splice(0).forEach((res) => res.writeHead(200).end());
  await emulator.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  if (listener) await stopListener();
  mode = 'accept';
  held.splice(0).forEach((res) => res.writeHead(200).end());
  await eventually('no replay job active', async () => (['completed', 'failed', 'unconfigured'].includes((await job()).status) ? true : undefined));
  // Back to an unconfigured region webhook, as a stopped listener leaves it.
  if ((await api<{ enabled: boolean }>('GET', '/v2/audit-log-webhook')).body.enabled) assert.equal((await api('DELETE', '/v3/audit-log-webhook')).status, 204);
  rmSync(dataDir(), { recursive: true, force: true });
});

describe('replay', () => {
  test('fills a deliberate gap: the missing records are stored, re-sent ones dropped, every record once; plain state lines off a terminal', async () => {
    const now = Date.now();
    const from = now - 6 * HOUR;
    const to = now - 4 * HOUR;
    await startListener();
    await emulator.generate({ count: 100, fromMs: from, toMs: from + HOUR - 1 });
    await eventually('the listener to store the first 100', () => storedIn(from, to).length === 100 || undefined);
    await stopListener();
    // The gap: events while no listener runs (Konnect has no webhook to send them to).
    await emulator.generate({ count: 150, fromMs: from + HOUR, toMs: to });
    await startListener();
    assert.equal(storedIn(from, to).length, 100);

    const r = await replay(['--start-time', iso(from), '--end-time', iso(to)]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const states = r.stderr.trimEnd().split('\n');
    assert.ok(!r.stderr.includes('\r'), 'no spinner off a terminal');
    for (const line of states) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z replay \d{4}-\d\d-\d\dT\S+Z → \S+Z: (accepted|pending|running|completed) \(\d+ s\)$/);
    assert.match(states[0]!, /: accepted /);
    assert.match(states.at(-1)!, /: completed /);
    assert.match(r.stdout, /^Replay job completed \(region\): /);
    assert.match(r.stdout, new RegExp(`The listener \\(pid ${listener!.child.pid}\\) stored 150 new records for the range; the store now holds 250 records in it \\(re-sent records it already had were dropped as duplicates\\)`));
    const stored = storedIn(from, to);
    assert.equal(stored.length, 250);
    assert.equal(new Set(stored).size, 250, 'every record exactly once');
  });

  test('--since 8d is refused before any call (exit 2), saying Konnect keeps 7 days', async () => {
    const before = emulator.inspect().regions.us!;
    const r = await replay(['--since', '8d']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: the start \(\S+\) is more than 7 days ago: Konnect keeps audit events for 7 days, so the earliest start now is \S+\nRun 'konnect-audit replay --help' for usage\.\n$/);
    const afterwards = emulator.inspect().regions.us!;
    // Every authenticated call records audit events: none were, and the job is untouched.
    assert.equal(afterwards.stored_events, before.stored_events, 'no API call reached the emulator');
    assert.deepEqual(afterwards.replay, before.replay);
  });

  test('other bad flags are usage errors (exit 2): no start, an empty range, a bad --portal-id or --timeout', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give the start of the range: --since/],
      [['--since', '1h', '--until', '2h'], /the range is empty/],
      [['--since', '1h', '--start-time', '2026-11-27T00:00:00Z'], /--since or --start-time, not both/],
      [['--since', '1h', '--portal-id', 'not-a-uuid'], /--portal-id.*UUID/],
      [['--since', '1h', '--timeout', 'soon'], /invalid --timeout "soon"/],
    ];
    for (const [args, message] of cases) {
      const r = await replay(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  test('an unconfigured or disabled webhook is refused before the PUT, saying what to do', async () => {
    const unchanged = emulator.inspect().regions.us!.replay;
    let r = await replay(['--since', '1h']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: the region's audit-log webhook is not configured, so a replay job would have nowhere to send the records.*konnect-audit listen.*konnect-audit webhook set/);
    assert.equal((await api('PATCH', '/v2/audit-log-webhook', { endpoint: receiverUrl, authorization: AUTH, log_format: 'json', enabled: false })).status, 200);
    r = await replay(['--since', '1h']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: the region's audit-log webhook \\(${receiverUrl}\\) is disabled, so a replay job would send nothing: enable it \\(konnect-audit webhook set --enabled\\)`));
    assert.deepEqual(emulator.inspect().regions.us!.replay, unchanged, 'no job was requested');
  });

  test('a job that does not finish: --timeout gives up (exit 1); a second replay meanwhile gets the 409, naming the running job', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000; // whole seconds, as replay sends them
    assert.equal((await api('PATCH', '/v2/audit-log-webhook', { endpoint: receiverUrl, authorization: AUTH, log_format: 'json', enabled: true })).status, 200);
    await emulator.generate({ count: 10, fromMs: now - 10 * HOUR, toMs: now - 9 * HOUR });
    await emulator.idle();
    mode = 'hold'; // the receiver stops answering: the job stays running

    let r = await replay(['--start-time', iso(now - 10 * HOUR), '--end-time', iso(now - 9 * HOUR), '--timeout', '500ms']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /: running \(\d+ s\): still running after --timeout 500ms\n/);
    assert.match(r.stderr, /error: gave up following the replay job: it goes on in Konnect\. Check it with konnect-audit status \(or GET \/v2\/audit-log-replay-job\)/);
    assert.match(r.stdout, /^$/);
    assert.equal((await job()).status, 'running');

    r = await replay(['--since', '2h']);
    assert.equal(r.status, 1, r.stderr);
    const conflict = /^error: a replay job is already running \((\S+) to (\S+)\)/.exec(r.stderr);
    assert.ok(conflict, r.stderr);
    assert.equal(Date.parse(conflict[1]!), now - 10 * HOUR, "names the running job's range");
    assert.equal(Date.parse(conflict[2]!), now - 9 * HOUR);
    assert.match(r.stderr, /Konnect runs one at a time.*Follow it with konnect-audit status \(or GET \/v2\/audit-log-replay-job\)/);

    mode = 'accept';
    held.splice(0).forEach((res) => res.writeHead(200).end());
    await eventually('the held job to complete', async () => ((await job()).status === 'completed' ? true : undefined));
  });

  test('a job that fails (the endpoint rejects the records): exit 1, saying what to check', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    assert.equal((await api('PATCH', '/v2/audit-log-webhook', { endpoint: receiverUrl, authorization: AUTH, log_format: 'json', enabled: true })).status, 200);
    await emulator.generate({ count: 5, fromMs: now - 12 * HOUR, toMs: now - 11 * HOUR });
    await emulator.idle();
    mode = 'reject';
    const r = await replay(['--start-time', iso(now - 12 * HOUR), '--end-time', iso(now - 11 * HOUR)]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /Z: failed \(\d+ s\)\n/);
    assert.match(
      r.stderr,
      new RegExp(`error: the replay job failed \\(the webhook's last response: 401 Unauthorized\\): check the webhook \\(konnect-audit webhook status\\) and that ${receiverUrl} is reachable from Konnect and accepts the authorization`),
    );
    assert.match(r.stdout, /^Replay job failed \(region\)/);
  });

  test('no listener for the profile: the report names the endpoint the records went to', async () => {
    const now = Date.now();
    assert.equal((await api('PATCH', '/v2/audit-log-webhook', { endpoint: receiverUrl, authorization: AUTH, log_format: 'json', enabled: true })).status, 200);
    const r = await replay(['--since', iso(now - 3 * HOUR), '--until', iso(now - 2 * HOUR)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`No listener runs for this profile \\(.*\\): Konnect sent the records to the webhook's endpoint, ${receiverUrl}\\.`));
  });

  test("a listener runs but the webhook sends elsewhere: a warning, and the report says where the records went", async () => {
    const now = Date.now();
    await startListener();
    const destination = JSON.parse(readFileSync(join(dataDir(), 'default', 'destination.json'), 'utf8')) as { destination_id: string };
    assert.equal((await api('PATCH', '/v2/audit-log-webhook', { endpoint: receiverUrl, authorization: AUTH, log_format: 'json', enabled: true })).status, 200);
    try {
      const r = await replay(['--since', iso(now - 3 * HOUR), '--until', iso(now - 2 * HOUR)]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`^warning: the region webhook sends to ${receiverUrl}, not to this profile's listener \\(pid ${listener!.child.pid}, .*\\): the replayed records go there`));
      assert.match(r.stdout, new RegExp(`The webhook sends to ${receiverUrl}, not to this listener: the replayed records went there\\.`));
    } finally {
      // Back to the listener's destination, so that it releases the webhook cleanly.
      assert.equal((await api('PATCH', '/v3/audit-log-webhook', { audit_log_destination_id: destination.destination_id, enabled: true })).status, 200);
    }
  });

  test('--since 7d --no-wait: the start is kept a minute inside the 7 days; returns with the accepted job (-o json)', async () => {
    assert.equal((await api('PATCH', '/v2/audit-log-webhook', { endpoint: receiverUrl, authorization: AUTH, log_format: 'json', enabled: true })).status, 200);
    const now = Date.now();
    const r = await replay(['--since', '7d', '--no-wait', '-o', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^warning: the start \S+ is at the edge of Konnect's 7 days; using \S+ so that Konnect does not refuse it on arrival\n$/);
    const result = JSON.parse(r.stdout) as { job: AuditLogReplayJob; range: { start_at: string }; records: unknown };
    assert.equal(result.job.status, 'accepted');
    const start = Date.parse(result.range.start_at);
    assert.ok(start > now - 7 * 24 * HOUR + 50_000 && start < now - 7 * 24 * HOUR + 70_000, result.range.start_at);
    assert.deepEqual(result.records, { before: null, after: null, new: null });
  });

  test("--portal-id replays a Dev Portal's records through its own webhook and job (-o json)", async () => {
    const now = Date.now();
    const from = now - 3 * HOUR;
    const to = now - 2 * HOUR;
    const portalId = emulator.inspect().portals[0]!.id;
    await startListener();
    // Portal events while its webhook is unbound: nothing delivers them.
    await emulator.generate({ count: 40, portalId, fromMs: from, toMs: to });
    const destination = JSON.parse(readFileSync(join(dataDir(), 'default', 'destination.json'), 'utf8')) as { destination_id: string };
    const portalWebhook = `/v3/portals/${portalId}/audit-log-webhook`;
    assert.equal((await api('PATCH', portalWebhook, { audit_log_destination_id: destination.destination_id, enabled: true })).status, 200);
    try {
      const r = await replay(['--portal-id', portalId, '--since', iso(from), '--until', iso(to), '-o', 'json']);
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout) as {
        job: AuditLogReplayJob;
        portal_id: string;
        listener: { pid: number; receives_replay: boolean };
        records: { before: number; after: number; new: number };
      };
      assert.equal(result.job.status, 'completed');
      assert.equal(result.portal_id, portalId);
      assert.equal(result.listener.pid, listener!.child.pid);
      assert.equal(result.listener.receives_replay, true);
      assert.deepEqual(result.records, { before: 0, after: 40, new: 40 });
      assert.equal((await job(`/v3/portals/${portalId}/audit-log-replay-job`)).status, 'completed');
      assert.equal((await job()).status !== 'running', true);
      assert.equal(storedIn(from, to).filter((l) => l.includes(portalId)).length, 40);
    } finally {
      assert.equal((await api('DELETE', portalWebhook)).status, 204);
    }
  });
});
