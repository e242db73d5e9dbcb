/**
 * Konnect API faults on every call of the listener's start-up (GET webhook guard, GET destinations,
 * POST destination, PATCH webhook bind) and clean-up (GET webhook, PATCH disable, DELETE webhook,
 * DELETE destination): 429 with Retry-After, 500s, connection resets and timeouts, transient and
 * persistent. Each case ends either with a listener that served and cleaned up, or a non-zero exit
 * naming what failed; and always with Konnect clean (after `konnect-audit cleanup` when the listener
 * said something was left).
 *
 * Every case has its own emulator, so cases run concurrently. A counting proxy in front of the
 * emulator tells when Konnect has finished every request, including ones the client gave up on.
 * Timeouts use KONNECT_AUDIT_KONNECT_TIMEOUT_MS (the client's per-attempt timeout, default 60 s).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startEmulator, type Emulator, type FaultSpec } from '../../src/emulator/index.js';
import { runCliAsync, startCli, type CliProcess } from '../support/cli.js';
import { eventually, listenerPort } from '../support/wait.js';

const AUTH = 'Bearer faults-secret';
/** The client's per-attempt timeout in timeout cases, and a delay safely beyond it. */
const CLIENT_TIMEOUT_MS = 1000;
// Far enough past the client timeout that a timer running late on a loaded machine still fires first.
const SLOW_MS = 2500;
const CONCURRENCY = 8;

type Phase = 'start-up' | 'clean-up';
/** ok: serves, then SIGINT cleans up (exit 0). start-fails: exit 1 naming the call, nothing left. leftover: exit 1 naming what is left and the cleanup command. */
type Outcome = 'ok' | 'start-fails' | 'leftover';

interface Call {
  readonly phase: Phase;
  readonly method: string;
  /** The emulator's fault path (a trailing `*` matches a prefix). */
  readonly path: string;
  /** How the CLI names the call in messages. */
  readonly named: string;
}

const CALLS = {
  guard: { phase: 'start-up', method: 'GET', path: '/v2/audit-log-webhook', named: 'GET [^ ]*/v2/audit-log-webhook' },
  nameFree: { phase: 'start-up', method: 'GET', path: '/v3/audit-log-destinations', named: 'GET [^ ]*/v3/audit-log-destinations' },
  create: { phase: 'start-up', method: 'POST', path: '/v3/audit-log-destinations', named: 'POST [^ ]*/v3/audit-log-destinations' },
  bind: { phase: 'start-up', method: 'PATCH', path: '/v3/audit-log-webhook', named: 'PATCH [^ ]*/v3/audit-log-webhook' },
  read: { phase: 'clean-up', method: 'GET', path: '/v3/audit-log-webhook', named: 'GET [^ ]*/v3/audit-log-webhook' },
  disable: { phase: 'clean-up', method: 'PATCH', path: '/v2/audit-log-webhook', named: 'PATCH [^ ]*/v2/audit-log-webhook' },
  unbind: { phase: 'clean-up', method: 'DELETE', path: '/v3/audit-log-webhook', named: 'DELETE [^ ]*/v3/audit-log-webhook' },
  deleteDestination: { phase: 'clean-up', method: 'DELETE', path: '/v2/audit-log-destinations/*', named: 'DELETE [^ ]*/v2/audit-log-destinations/[0-9a-f-]+' },
  duplicateCheck: { phase: 'clean-up', method: 'GET', path: '/v3/audit-log-destinations', named: 'GET [^ ]*/v3/audit-log-destinations' },
} as const satisfies Record<string, Call>;
type CallName = keyof typeof CALLS;

interface FaultKind {
  readonly label: string;
  readonly spec: Omit<FaultSpec, 'method' | 'path'>;
  /** How the failure reads once retries are spent. */
  readonly reads: string;
  readonly timeout?: boolean;
}

const KINDS = {
  rateLimited: { label: '429 Retry-After: 1, once', spec: { status: 429, retryAfter: '1', times: 1 }, reads: 'failed with 429' },
  errors: { label: '500 twice', spec: { status: 500, times: 2 }, reads: 'failed with 500' },
  reset: { label: 'connection reset, once', spec: { reset: true, times: 1 }, reads: 'socket hang up \\(ECONNRESET\\)' },
  timeout: { label: `no answer within the timeout, once`, spec: { delayMs: SLOW_MS, times: 1 }, reads: `no answer within ${CLIENT_TIMEOUT_MS} ms`, timeout: true },
  errorsForever: { label: '500 forever', spec: { status: 500, times: 1000 }, reads: 'failed with 500' },
  resetForever: { label: 'connection reset forever', spec: { reset: true, times: 1000 }, reads: 'failed(?: after \\d+ attempts)?: socket hang up \\(ECONNRESET\\)' },
  rateLimitedForever: { label: '429 Retry-After: 1 forever', spec: { status: 429, retryAfter: '1', times: 1000 }, reads: 'failed with 429' },
  // Konnect never does the work: each request hangs beyond the timeout, then fails.
  // On a loaded machine the last attempt's timer can fire after the delayed 504 arrived: either names the call.
  timeoutForever: {
    label: 'no answer within the timeout, forever',
    spec: { delayMs: SLOW_MS, status: 504, times: 1000 },
    reads: `(?:failed(?: after \\d+ attempts)?: no answer within ${CLIENT_TIMEOUT_MS} ms|failed with 504)`,
    timeout: true,
  },
} as const satisfies Record<string, FaultKind>;
type KindName = keyof typeof KINDS;

interface Case {
  readonly call: CallName;
  readonly kind: KindName;
  readonly outcome: Outcome;
}

const TRANSIENT: readonly KindName[] = ['rateLimited', 'errors', 'reset', 'timeout'];

/** What a fault that outlasts the retries does to each call. */
const PERSISTENT_OUTCOME: Record<CallName, Outcome> = {
  guard: 'start-fails',
  nameFree: 'start-fails',
  create: 'start-fails',
  bind: 'start-fails', // after the destination is deleted again
  read: 'leftover', // cannot tell whether the webhook is ours: leaves it, and the destination it holds
  disable: 'ok', // the webhook DELETE disables too
  unbind: 'leftover',
  deleteDestination: 'leftover',
  duplicateCheck: 'ok', // best effort: the listener's own destination is already deleted
};

// Among them, POST + "no answer within the timeout, once": the timed-out POST creates a second
// destination after the retried POST succeeded; the clean-up must delete it too (regression).
const CASES: Case[] = [
  // The slowest first, so that they overlap with the rest.
  { call: 'guard', kind: 'timeoutForever', outcome: 'start-fails' },
  { call: 'deleteDestination', kind: 'timeoutForever', outcome: 'leftover' },
  ...(Object.keys(CALLS) as CallName[]).flatMap((call) => [
    { call, kind: 'errorsForever', outcome: PERSISTENT_OUTCOME[call] } satisfies Case,
    ...TRANSIENT.map((kind): Case => ({ call, kind, outcome: 'ok' })),
  ]),
  { call: 'guard', kind: 'resetForever', outcome: 'start-fails' },
  { call: 'create', kind: 'resetForever', outcome: 'start-fails' },
  { call: 'bind', kind: 'rateLimitedForever', outcome: 'start-fails' },
  { call: 'read', kind: 'resetForever', outcome: 'leftover' },
];

/** A pass-through proxy that counts requests Konnect is still working on (also after the client gave up). */
interface Proxy {
  readonly url: string;
  inFlight(): number;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const upstream = new URL(target);
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    let finished = false;
    const finish = () => {
      if (!finished) inFlight--;
      finished = true;
    };
    const headers = { ...req.headers, host: upstream.host };
    delete headers.connection;
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent: false }, (answer) => {
      answer.on('end', finish).on('error', finish);
      if (res.destroyed) {
        answer.resume(); // the client gave up; Konnect still finishes the request
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    // Konnect reset the connection: pass the reset on.
    forward.on('error', () => {
      finish();
      res.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One case's world: an emulator, the proxy the CLI talks to, a home and data dir. */
interface World {
  readonly emulator: Emulator;
  readonly proxy: Proxy;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Konnect has finished every request (also those the client gave up on), holds no destination, and
 * its webhook is disabled and bound to nothing, as the next listener's start-up guard requires. (A
 * timed-out disable PATCH may land after the webhook was deleted; it leaves a disabled, unbound
 * webhook, which is clean.)
 */
async function assertKonnectClean(world: World, context: string): Promise<void> {
  await eventually(`${context}: Konnect to finish every request`, () => world.proxy.inFlight() === 0 || undefined, 20_000);
  const state = world.emulator.inspect();
  assert.deepEqual(
    state.destinations.map((d) => d.id),
    [],
    `${context}: destinations left`,
  );
  const webhook = state.regions.us!.webhook;
  assert.equal(webhook.enabled, false, `${context}: webhook left enabled`);
  assert.equal(webhook.audit_log_destination_id, '', `${context}: webhook left bound`);
  assert.equal(webhook.endpoint, undefined, `${context}: webhook left with an endpoint`);
}

async function runCase(c: Case): Promise<void> {
  const call = CALLS[c.call];
  const kind: FaultKind = KINDS[c.kind];
  const context = `${call.phase} ${call.method} ${call.path}, ${kind.label}`;
  const emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 100, generatorThreads: 0 });
  const proxy = await startProxy(emulator.baseUrl);
  const home = mkdtempSync(join(tmpdir(), 'konnect-audit-faults-'));
  const env: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', ...(kind.timeout ? { KONNECT_AUDIT_KONNECT_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS) } : {}) };
  const world: World = { emulator, proxy, home, env };
  const dataDir = join(home, 'data');
  let proc: CliProcess | undefined;
  try {
    const arm = () => emulator.fault({ method: call.method, path: call.path, ...kind.spec });
    if (call.phase === 'start-up') arm();
    let url = '';
    let running: CliProcess;
    let serving: 'serving' | 'exited';
    // A port another process took meanwhile fails before Konnect is touched (the fault is still armed): take another.
    for (let attempt = 1; ; attempt++) {
      const port = await listenerPort();
      url = `http://127.0.0.1:${port}/audit-logs`;
      proc = running = startCli(['listen', '--base-url', proxy.url, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', dataDir], { env });
      const started = running;
      serving = await eventually(`${context}: the listener to serve or exit`, () => (started.stdout.includes('Press Ctrl+C to stop.') ? 'serving' : started.child.exitCode !== null ? 'exited' : undefined), 30_000);
      if (serving === 'serving' || attempt === 3 || !started.stderr.includes('address already in use')) break;
    }
    const failedCall = new RegExp(`${call.named} ${kind.reads}`);

    if (c.outcome === 'start-fails') {
      assert.equal(serving, 'exited', `${context}: expected start-up to fail; stdout: ${running.stdout}`);
      assert.equal(await running.exited(), 1, running.stderr);
      assert.match(running.stderr, /^error: /, context);
      assert.match(running.stderr, failedCall, `${context}: the error names the failed call`);
      // Once a destination existed, the error says it was removed again.
      if (c.call === 'bind') assert.match(running.stderr, /start-up failed: [^]*Konnect was left clean: webhook released, destination [0-9a-f-]+ deleted\./, context);
      await assertKonnectClean(world, context);
      return;
    }

    assert.equal(serving, 'serving', `${context}: expected the listener to start; exit ${running.child.exitCode}: ${running.stderr}`);
    // Konnect settles (a timed-out request may still land), then the listener must serve with its webhook bound.
    await eventually(`${context}: Konnect to finish every request`, () => proxy.inFlight() === 0 || undefined, 20_000);
    const id = emulator.inspect().regions.us!.webhook.audit_log_destination_id;
    assert.ok(running.stdout.includes(`id:                    ${id}`), `${context}: the webhook is bound to the listener's destination ${id}; stdout: ${running.stdout}`);
    assert.equal(emulator.inspect().regions.us!.webhook.enabled, true, context);
    const posted = await fetch(url, { method: 'POST', headers: { Authorization: AUTH }, body: `{"probe":"${c.call}-${c.kind}"}` });
    assert.equal(posted.status, 202, context);
    assert.ok(readFileSync(join(dataDir, 'default', 'events.jsonl'), 'utf8').includes(`{"probe":"${c.call}-${c.kind}"}\n`), context);

    if (call.phase === 'clean-up') arm();
    running.child.kill('SIGINT');
    const code = await running.exited();
    if (c.outcome === 'ok') {
      assert.equal(code, 0, `${context}: ${running.stderr}`);
      assert.ok(running.stdout.endsWith(`Listener stopped. Deleted audit-log destination: ${id}\n`), `${context}: ${running.stdout}`);
      await assertKonnectClean(world, context);
      return;
    }

    // leftover: the listener names the failure, exactly what is left, and the command that removes it.
    assert.equal(code, 1, `${context}: ${running.stderr}`);
    assert.match(running.stderr, /clean-up of Konnect state failed: /, context);
    assert.match(running.stderr, failedCall, `${context}: the error names the failed call`);
    await eventually(`${context}: Konnect to finish every request`, () => proxy.inFlight() === 0 || undefined, 20_000);
    const state = emulator.inspect();
    const webhookLeft = state.regions.us!.webhook.audit_log_destination_id === id;
    const destinationLeft = state.destinations.some((d) => d.id === id);
    const left = [
      ...(webhookLeft ? [`the regional webhook (${proxy.url}) still points at destination ${id}`] : []),
      ...(destinationLeft ? [`destination ${id} still exists`] : []),
    ];
    assert.ok(left.length > 0, `${context}: the listener reported a leftover but Konnect is clean`);
    assert.ok(running.stderr.includes(`Left behind: ${left.join('; ')}.\n`), `${context}: the leftover named exactly; expected ${JSON.stringify(left)} in ${running.stderr}`);
    const command = /Remove it with: (konnect-audit cleanup .*)$/m.exec(running.stderr)?.[1];
    assert.equal(command, `konnect-audit cleanup --profile default --destination-id ${id}`, context);

    emulator.clearFaults();
    const cleanup = await runCliAsync([...command.split(' ').slice(1), '--pat', emulator.token, '--data-dir', dataDir], { env });
    assert.equal(cleanup.status, 0, `${context}: ${cleanup.stderr}`);
    await assertKonnectClean(world, `${context}, after ${command}`);
  } finally {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proxy.close();
    await emulator.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

describe('Konnect faults during start-up and clean-up', { concurrency: CONCURRENCY }, () => {
  for (const c of CASES) {
    const call = CALLS[c.call];
    test(`${call.phase}: ${call.method} ${call.path}, ${KINDS[c.kind].label} → ${c.outcome}`, { timeout: 60_000 }, () => runCase(c));
  }
});
