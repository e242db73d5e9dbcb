/**
 * Gap back-fill end to end: the built CLI as a real process, the emulator (in this process, its
 * core at hand so the test can read every event Konnect retained) as Konnect. A listener killed
 * while Konnect keeps producing events is restarted and asks for a replay of the gap; in the end
 * every retained event is stored exactly once.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { eventOf } from '../src/emulator/audit/eventStore.js';
import { EmulatorCore } from '../src/emulator/core.js';
import type { EmulatorOptions } from '../src/emulator/options.js';
import { konnectRouter } from '../src/emulator/routes.js';
import { createEmulatorServer } from '../src/emulator/server.js';
import type { AuditLogReplayJob, AuditLogWebhookStatus } from '../src/konnect/types.js';
import { call } from './support/api.js';
import { runCliAsync, startCli, type CliProcess } from './support/cli.js';
import { eventually, listenerPort } from './support/wait.js';

const AUTH = 'Bearer backfill-secret';

/** The emulator as startEmulator() builds it, with its core kept: the test reads the region's retained events. */
interface TestEmulator {
  readonly core: EmulatorCore;
  readonly baseUrl: string;
  readonly token: string;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

async function startTestEmulator(options: EmulatorOptions): Promise<TestEmulator> {
  const core = new EmulatorCore(options);
  const server = createEmulatorServer(core, konnectRouter());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    core,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: core.tokens[0]!,
    idle: () => {
      core.hub.flushAll();
      return core.hub.idle();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        core.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let emulator: TestEmulator | undefined;
let home: string;
let running: CliProcess | undefined;

const dataDir = () => join(home, 'data');
const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' });
const connection = (e: TestEmulator) => ['--base-url', e.baseUrl, '--pat', e.token, '--data-dir', dataDir()];
const storedLines = () => {
  const file = join(dataDir(), 'default', 'events.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
};
const sigOf = (line: string) => (JSON.parse(line) as { sig: string }).sig;

/** The sig of every event the emulator retained for the region (generated ones and those of API calls), as the webhook gets them. */
function retainedSigs(e: TestEmulator): string[] {
  return e.core
    .store('us')
    .range(-Infinity, Infinity, (s) => s.portalId === undefined)
    .map((s) => sigOf(e.core.render(eventOf(s), 'json')));
}

async function listenArgs(e: TestEmulator, extra: string[] = []): Promise<string[]> {
  const port = await listenerPort();
  return ['listen', '--endpoint', `http://127.0.0.1:${port}/audit-logs`, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, ...connection(e), ...extra];
}

/** Starts a listener and waits until it serves with the webhook enabled (it prints the start-up block then). */
async function startListener(e: TestEmulator, extra: string[] = []): Promise<CliProcess> {
  for (let attempt = 1; ; attempt++) {
    const proc = (running = startCli(await listenArgs(e, extra), { env: env() }));
    const serving = await eventually('the listener to serve or exit', () => (proc.stdout.includes('Press Ctrl+C to stop.') ? true : proc.child.exitCode !== null ? 'exited' : undefined), 20_000);
    if (serving === true) return proc;
    if (attempt === 3 || !proc.stderr.includes('address already in use')) throw new Error(`listener exited ${proc.child.exitCode}: ${proc.stderr}`);
  }
}

async function stopListener(proc: CliProcess): Promise<void> {
  proc.child.kill('SIGINT');
  assert.equal(await proc.exited(), 0, proc.stderr);
  running = undefined;
}

/** Generates events at "now" every few ms until stopped, as Konnect records them all the time. */
function generateContinuously(e: TestEmulator): { stop(): Promise<void> } {
  let on = true;
  const loop = (async () => {
    while (on) {
      await e.core.generate({ count: 5 });
      await delay(5);
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

/** A listener that stores 20 records and stops cleanly: the next start has a gap from the newest of them. */
async function storeRecordsThenStop(e: TestEmulator): Promise<void> {
  const first = await startListener(e);
  await e.core.generate({ count: 20 });
  await e.idle();
  await stopListener(first);
}

const webhookStatus = async (e: TestEmulator) => (await call<AuditLogWebhookStatus>(e.baseUrl, 'GET', '/v2/audit-log-webhook/status', { token: e.token })).body;

/** Counts the replay PUTs that reach the emulator (a fault that only delays by 0 ms). */
function countReplayPuts(e: TestEmulator): { readonly hits: number } {
  return e.core.faults.add({ method: 'PUT', path: '/v2/audit-log-replay-job', delayMs: 0, times: 1_000_000 });
}

before(() => {
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-backfill-'));
});
after(() => rmSync(home, { recursive: true, force: true }));
afterEach(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  running = undefined;
  await emulator?.stop();
  emulator = undefined;
  rmSync(dataDir(), { recursive: true, force: true });
});

describe('listen --backfill', () => {
  test('a listener killed for a while (deliveries fail, the webhook turns inactive), cleaned up and restarted, back-fills the gap: every retained record is stored exactly once', { timeout: 60_000 }, async (t) => {
    const e = (emulator = await startTestEmulator({ timeScale: 0.01, flushMs: 100, generatorThreads: 0 }));
    const first = await startListener(e);
    const generation = generateContinuously(e);
    await eventually('records stored live', () => storedLines().length >= 200 || undefined);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited(), 'SIGKILL');
    // Konnect keeps producing; its deliveries to the dead listener fail, retries run out.
    await eventually('the webhook to turn inactive', async () => ((await webhookStatus(e)).webhook_status === 'inactive' ? true : undefined));
    const cleanup = await runCliAsync(['cleanup', ...connection(e)], { env: env() });
    assert.equal(cleanup.status, 0, cleanup.stderr);
    const storedBeforeRestart = storedLines().length;

    const second = await startListener(e);
    await eventually('the back-fill to complete', () => (second.stderr.includes('back-fill: replay job completed') ? true : undefined), 30_000);
    await generation.stop();
    await e.idle();
    const requested = /^back-fill: requested a replay of audit events from (\S+) to (\S+) \(newest stored record at (\S+); previous listener \(pid (\d+), started at \S+\) stopped uncleanly\)$/m.exec(second.stderr);
    assert.ok(requested, second.stderr);
    assert.equal(Number(requested[4]), first.child.pid);
    assert.ok(Date.parse(requested[1]!) <= Date.parse(requested[3]!) - 5 * 60_000, 'the gap starts 5 minutes before the newest stored record');
    assert.match(second.stderr, /^back-fill: replay job completed: \d+ new records stored while it ran and [1-9]\d* re-sent records dropped as duplicates$/m);
    const job = (await call<AuditLogReplayJob>(e.baseUrl, 'GET', '/v2/audit-log-replay-job', { token: e.token })).body;
    assert.equal(job.status, 'completed');
    assert.equal(Date.parse(job.start_at), Date.parse(requested[1]!));
    const status = await webhookStatus(e);
    assert.equal(status.webhook_status, 'active', JSON.stringify(status));
    assert.equal(status.webhook_enabled, true);
    // The status calls above are audited and delivered live too.
    await e.idle();

    const stored = storedLines().map(sigOf);
    const retained = retainedSigs(e);
    assert.ok(stored.length > storedBeforeRestart, 'the gap was filled');
    assert.equal(new Set(stored).size, stored.length, 'no record stored twice');
    const storedSet = new Set(stored);
    const missing = retained.filter((sig) => !storedSet.has(sig));
    assert.deepEqual(missing.length, 0, `${missing.length} of ${retained.length} retained records are not stored`);
    assert.equal(stored.length, retained.length, 'nothing stored that Konnect did not retain');
    const delivery = e.core.hub.stats('org:us');
    assert.ok(delivery.recordsFailed > 0, 'deliveries to the killed listener failed');
    t.diagnostic(`${retained.length} records retained, ${storedBeforeRestart} stored before the restart, ${delivery.recordsFailed} failed deliveries, ${delivery.recordsDropped} never sent; ${second.stderr.trim().replaceAll('\n', ' | ')}`);
    await stopListener(second);
  });

  test('--backfill off: a warning names the gap and the command to fill it; no replay is requested', { timeout: 30_000 }, async () => {
    const e = (emulator = await startTestEmulator({ timeScale: 0.01, flushMs: 100, generatorThreads: 0 }));
    await storeRecordsThenStop(e);
    const puts = countReplayPuts(e);
    const second = await startListener(e, ['--backfill', 'off']);
    const warning = await eventually('the warning', () =>
      /^warning: back-fill is off: audit events from (\S+) to (\S+) may be missing \(newest stored record at \S+\); request them with: konnect-audit replay --start-time \1 --end-time \2$/m.exec(second.stderr) ?? undefined,
    );
    assert.ok(Date.parse(warning[1]!) < Date.parse(warning[2]!));
    await stopListener(second);
    assert.equal(puts.hits, 0, 'no replay PUT reached Konnect');
    assert.equal(e.core.state.region('us').replay.status, 'unconfigured');
    assert.doesNotMatch(second.stderr, /back-fill: requested/);
  });

  test('a replay job already running (409): the back-fill is requested once that job has ended', { timeout: 40_000 }, async () => {
    // Slower replay steps (accepted, pending: 2.5 s each) so the test's own job is still active when the listener asks.
    const e = (emulator = await startTestEmulator({ timeScale: 2.5, flushMs: 4, generatorThreads: 0 }));
    await storeRecordsThenStop(e);
    const now = Date.now();
    const put = await call<AuditLogReplayJob>(e.baseUrl, 'PUT', '/v2/audit-log-replay-job', {
      token: e.token,
      body: { start_at: new Date(now - 60 * 60_000).toISOString(), end_at: new Date(now).toISOString() },
    });
    assert.equal(put.status, 202);
    const second = await startListener(e);
    await eventually('the conflict to be reported', () => (/^back-fill: a replay job is already (accepted|pending|running) \(/m.test(second.stderr) ? true : undefined), 10_000);
    await eventually('the back-fill to complete', () => (second.stderr.includes('back-fill: replay job completed') ? true : undefined), 30_000);
    const lines = second.stderr.split('\n').filter((l) => l.startsWith('back-fill: '));
    assert.match(lines[0]!, /^back-fill: a replay job is already/);
    assert.match(lines[1]!, /^back-fill: requested a replay of audit events from \S+ to \S+ \(newest stored record at \S+\)$/);
    assert.match(lines[2]!, /^back-fill: replay job completed: /);
    const job = (await call<AuditLogReplayJob>(e.baseUrl, 'GET', '/v2/audit-log-replay-job', { token: e.token })).body;
    assert.notEqual(Date.parse(job.start_at), now - 60 * 60_000, 'the region’s job is now the listener’s');
    await stopListener(second);
  });

  test('Konnect refusing the range while its end is ahead (400): asked again once the end has passed, then completed', { timeout: 45_000 }, async () => {
    const e = (emulator = await startTestEmulator({ timeScale: 0.01, flushMs: 100, generatorThreads: 0 }));
    await storeRecordsThenStop(e);
    // As a Konnect that refuses any future time would answer the first PUT (the end is a few seconds ahead).
    const refused = e.core.faults.add({ method: 'PUT', path: '/v2/audit-log-replay-job', status: 400, times: 1 });
    const puts = countReplayPuts(e);
    const second = await startListener(e, ['--log-level', 'info']);
    await eventually('the back-fill to complete', () => (second.stderr.includes('back-fill: replay job completed') ? true : undefined), 35_000);
    // The first matching fault takes a request: the refusal took the first PUT, the counter sees the rest.
    assert.deepEqual([refused.hits, puts.hits], [1, 1], 'refused once, asked again once');
    assert.match(second.stderr, /back-fill: Konnect refused the range \(PUT \/v2\/audit-log-replay-job failed with 400/);
    const requested = /^back-fill: requested a replay of audit events from \S+ to (\S+) /m.exec(second.stderr);
    assert.ok(requested, second.stderr);
    const put = (await call<AuditLogReplayJob>(e.baseUrl, 'GET', '/v2/audit-log-replay-job', { token: e.token })).body;
    assert.ok(Date.parse(put.updated_at) > Date.parse(requested[1]!), 'the second request came after the end');
    assert.doesNotMatch(second.stderr, /^warning: back-fill/m);
    await stopListener(second);
  });

  test('a first start with an empty store requests nothing and says so in the log only', { timeout: 30_000 }, async () => {
    const e = (emulator = await startTestEmulator({ timeScale: 0.01, flushMs: 100, generatorThreads: 0 }));
    const puts = countReplayPuts(e);
    const proc = await startListener(e, ['--log-level', 'info']);
    await eventually('the note', () => (proc.stderr.includes('back-fill: nothing to back-fill') ? true : undefined));
    await stopListener(proc);
    assert.equal(puts.hits, 0);
    assert.doesNotMatch(proc.stderr, /^(warning: )?back-fill/m, 'nothing shown beyond the log');
  });

  test('--backfill ask without a terminal is a usage error (exit 2) before anything is created', { timeout: 30_000 }, async () => {
    const e = (emulator = await startTestEmulator({ timeScale: 0.01, generatorThreads: 0 }));
    const piped = await runCliAsync(await listenArgs(e, ['--backfill', 'ask']), { env: env() });
    assert.equal(piped.status, 2, piped.stderr);
    assert.match(piped.stderr, /^error: --backfill ask needs a terminal to ask on \(stdin is not a terminal\); use --backfill auto or --backfill off$/m);
    const detached = await runCliAsync(await listenArgs(e, ['--backfill', 'ask', '--detach']), { env: env() });
    assert.equal(detached.status, 2, detached.stderr);
    assert.match(detached.stderr, /a detached listener has no terminal/);
    const invalid = await runCliAsync(await listenArgs(e, ['--backfill', 'sometimes']), { env: env() });
    assert.equal(invalid.status, 2);
    assert.match(invalid.stderr, /invalid --backfill "sometimes", allowed values are: auto, off, ask/);
    assert.equal(e.core.state.destinations.size, 0);
  });
});
