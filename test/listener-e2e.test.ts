/**
 * `listen` and `tail` end to end: the built CLI as a real process, the emulator as Konnect, real
 * HTTP on 127.0.0.1 and real files in temp dirs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { importJwks, verifyRecord, type Jwks } from '../src/records/signing.js';
import { call } from './support/api.js';
import { runCliAsync as runCli, startCli, type CliProcess } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

const AUTH = 'Bearer listener-secret';
let emulator: Emulator;
let home: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', ...extra };
}

async function listenerArgs(verb: 'listen' | 'tail', extra: string[] = []): Promise<{ args: string[]; port: number; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/audit-logs`;
  return {
    port,
    url,
    args: [verb, '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data'), ...extra],
  };
}

/** Waits until the listener has bound the webhook to its destination and recorded it. */
function ready(): Promise<string> {
  return eventually('the webhook to be bound and recorded', () => {
    const us = emulator.inspect().regions.us!;
    const bound = us.webhook.enabled && us.webhook.audit_log_destination_id ? us.webhook.audit_log_destination_id : undefined;
    return bound && existsSync(join(home, 'data', 'default', 'destination.json')) ? bound : undefined;
  });
}

/** Konnect was left clean: no destination, the region unconfigured. */
async function assertKonnectClean(): Promise<void> {
  const state = emulator.inspect();
  assert.deepEqual(state.destinations, []);
  const webhook = await call<{ endpoint: string; enabled: boolean }>(emulator.baseUrl, 'GET', '/v2/audit-log-webhook', { token: emulator.token });
  assert.equal(webhook.body.endpoint, 'unconfigured');
  assert.equal(webhook.body.enabled, false);
}

function startListener(args: string[], extraEnv: Record<string, string> = {}): CliProcess {
  return startCli(args, { env: env(extraEnv) });
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 100 });
});
after(async () => {
  await emulator.stop();
});
let procs: CliProcess[] = [];
afterEach(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  procs = [];
  // Leave the emulator unconfigured for the next test, whatever happened.
  await call(emulator.baseUrl, 'PATCH', '/v2/audit-log-webhook', { token: emulator.token, body: { enabled: false } });
  await call(emulator.baseUrl, 'DELETE', '/v3/audit-log-webhook', { token: emulator.token });
  for (const d of emulator.inspect().destinations) await call(emulator.baseUrl, 'DELETE', `/v3/audit-log-destinations/${d.id}`, { token: emulator.token });
  emulator.clearFaults();
});

describe('tail: the full flow', () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('records arrive, are stored byte for byte (every signature verifies) and stdout holds only records; SIGTERM leaves Konnect clean', async () => {
    const { args } = await listenerArgs('tail');
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    const list = await call(emulator.baseUrl, 'GET', '/v2/control-planes', { token: emulator.token, headers: { 'User-Agent': 'e2e-test' } });
    assert.equal(list.status, 200);
    await emulator.generate({ count: 500 });
    await emulator.idle();
    const delivered = emulator.inspect().regions.us!.delivery.recordsDelivered;
    await eventually('every delivered record on stdout', () => proc.stdout.split('\n').filter((l) => l !== '').length >= delivered || undefined);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0, proc.stderr);
    await emulator.idle();
    // The clean-up's own first call is audited and delivered while the receiver still listens.
    const final = emulator.inspect().regions.us!.delivery;
    assert.equal(final.recordsFailed, 0);
    const lines = proc.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, final.recordsDelivered);
    const stored = readFileSync(join(home, 'data', 'default', 'events.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    assert.deepEqual(stored, lines);
    const keys = importJwks((await call<Jwks>(emulator.baseUrl, 'GET', '/v2/audit-log-webhook/jwks.json')).body);
    assert.deepEqual(lines.filter((l) => verifyRecord(l, keys) !== 'valid'), []);
    assert.ok(lines.some((l) => l.includes('"name":"Authz.control-planes"') && l.includes('"user_agent":"e2e-test"')));
    assert.equal(statSync(join(home, 'data', 'default', 'events.jsonl')).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'data', 'default')).mode & 0o777, 0o700);
    await assertKonnectClean();
  });

  test('--jq applies kongctl output rules with exact 64-bit trace ids', async () => {
    const { args } = await listenerArgs('tail', ['--jq', '.name, .trace_id']);
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    await emulator.generate({ count: 5 });
    await emulator.idle();
    await eventually('5 filtered lines', () => proc.stdout.split('\n').filter((l) => l !== '').length >= 5 || undefined);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    for (const line of proc.stdout.split('\n').filter((l) => l !== '')) assert.match(line, /^\["[^"]+",\d{1,19}\]$/);
    const stored = readFileSync(join(home, 'data', 'default', 'events.jsonl'), 'utf8');
    for (const line of proc.stdout.split('\n').filter((l) => l !== '')) {
      const id = /,(\d+)\]$/.exec(line)![1]!;
      assert.ok(stored.includes(`"trace_id":${id},`), `trace id ${id} exact`);
    }
  });

  test('CEF records filter like JSON ones; -r and --jq-arg NAME VALUE work as in jq', async () => {
    const { args } = await listenerArgs('tail', ['--log-format', 'cef', '--jq', 'select(.event_product == $product) | .name', '-r', '--jq-arg', 'product', 'Konnect']);
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    await emulator.generate({ count: 20 });
    await emulator.idle();
    await eventually('20 names', () => proc.stdout.split('\n').filter((l) => l !== '').length >= 20 || undefined);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    const names = proc.stdout.split('\n').filter((l) => l !== '');
    assert.ok(names.every((n) => /^(AUTHENTICATION_OUTCOME_[A-Z_]+|Authz\.[\w/.-]+|Ingress)$/.test(n)), names.join('\n'));
    // No jq warning; the restart on the earlier tests' store reports its gap back-fill, nothing else.
    assert.equal(proc.stderr.replace(/^(back-fill|stopping): .*\n/gm, ''), '');
    const stored = readFileSync(join(home, 'data', 'default', 'events.jsonl'), 'utf8');
    assert.match(stored, / konghq\.com CEF:0\|KongInc\|Konnect\|1\.0\|/, 'records are stored as CEF, byte for byte');
  });

  test('tail | head -3 ends cleanly and still cleans up Konnect', async () => {
    const { args } = await listenerArgs('tail');
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    await emulator.generate({ count: 50 });
    await eventually('3 lines', () => proc.stdout.split('\n').length > 3 || undefined);
    proc.child.stdout.destroy();
    await emulator.generate({ count: 50 });
    assert.equal(await proc.exited(), 0, proc.stderr);
    await assertKonnectClean();
  });
});

describe('listen: start-up, output and clean-up', () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`listen prints the start-up block and, on ${signal}, the stop line; Konnect is left clean`, async () => {
      const { args, url } = await listenerArgs('listen');
      const proc = startListener(args);
      procs.push(proc);
      const id = await ready();
      await eventually('the start-up block', () => proc.stdout.includes('Press Ctrl+C to stop.') || undefined);
      assert.match(proc.stdout, /^Konnect Audit-Log Listener Started\n/);
      assert.ok(proc.stdout.includes(`id:                    ${id}`));
      assert.ok(proc.stdout.includes(`local endpoint:        ${url}`));
      const state = JSON.parse(readFileSync(join(home, 'data', 'default', 'destination.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(state.destination_id, id);
      assert.equal(state.authorization_configured, true);
      assert.ok(!JSON.stringify(state).includes('listener-secret'), 'the authorization value is never written');
      assert.ok(!JSON.stringify(state).includes(emulator.token), 'the token is never written');
      proc.child.kill(signal);
      assert.equal(await proc.exited(), 0, proc.stderr);
      assert.ok(proc.stdout.endsWith(`Listener stopped. Deleted audit-log destination: ${id}\n`), proc.stdout);
      await assertKonnectClean();
    });
  }

  test('a wildcard listen address is shown as the loopback URL to reach it', async () => {
    const port = await freePort();
    const args = ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', 'https://x.example/audit-logs', '--listen-address', `0.0.0.0:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data'), '-o', 'json'];
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    const started = JSON.parse(await proc.firstLine()) as { listener: { local_endpoint: string; listen_address: string } };
    assert.equal(started.listener.local_endpoint, `http://127.0.0.1:${port}/audit-logs`);
    assert.equal(started.listener.listen_address, `0.0.0.0:${port}`);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0);
  });

  test('-o json prints the start and stop as JSON lines', async () => {
    const { args } = await listenerArgs('listen', ['-o', 'json']);
    const proc = startListener(args);
    procs.push(proc);
    const id = await ready();
    const started = JSON.parse(await proc.firstLine()) as { event: string; destination: { id: string } };
    assert.equal(started.event, 'started');
    assert.equal(started.destination.id, id);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0);
    const stopped = JSON.parse(proc.stdout.trim().split('\n')[1]!) as { event: string; destination_deleted: boolean };
    assert.deepEqual(stopped, { event: 'stopped', destination_id: id, destination_deleted: true, webhook_released: true });
  });

  test('the start-up guard refuses a configured region, names what cleanup would remove, and creates nothing', async () => {
    const dest = await call<{ id: string }>(emulator.baseUrl, 'POST', '/v3/audit-log-destinations', { token: emulator.token, body: { name: 'someone-else', endpoint: 'https://siem.example/x', authorization: 'Bearer y', log_format: 'cef' } });
    await call(emulator.baseUrl, 'PATCH', '/v3/audit-log-webhook', { token: emulator.token, body: { audit_log_destination_id: dest.body.id, enabled: true } });
    const { args } = await listenerArgs('listen');
    const r = await runCli(args, { env: env() });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes('regional audit-log webhook is already configured (enabled=true endpoint="https://siem.example/x"); expected enabled=false and endpoint="unconfigured"'), r.stderr);
    assert.ok(r.stderr.includes(`konnect-audit cleanup --profile default --destination-id ${dest.body.id}`), r.stderr);
    assert.equal(emulator.inspect().destinations.length, 1);
  });

  test('a destination name already taken is refused and nothing is created', async () => {
    await call(emulator.baseUrl, 'POST', '/v3/audit-log-destinations', { token: emulator.token, body: { name: 'taken', endpoint: 'https://siem.example/x', authorization: 'Bearer y', log_format: 'cef' } });
    const { args } = await listenerArgs('listen', ['--name', 'taken']);
    const r = await runCli(args, { env: env() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /destination name "taken" already exists/);
    assert.equal(emulator.inspect().destinations.length, 1);
    assert.equal(emulator.inspect().regions.us!.webhook.configured, false);
  });

  test('a port in use fails before Konnect is touched', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const before = emulator.inspect().regions.us!.stored_events;
      const r = await runCli(['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', 'https://x.example/audit-logs', '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data')], { env: env() });
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use \\(nothing was created in Konnect\\)`));
      assert.equal(emulator.inspect().regions.us!.stored_events, before, 'no Konnect call was made');
      await assertKonnectClean();
    } finally {
      blocker.close();
    }
  });

  test('a failing webhook PATCH leaks nothing: the destination is deleted again', async () => {
    emulator.fault({ method: 'PATCH', path: '/v3/audit-log-webhook', status: 400, times: 1 });
    const { args } = await listenerArgs('listen');
    const r = await runCli(args, { env: env() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /start-up failed: .*400/);
    assert.match(r.stderr, /Konnect was left clean/);
    await assertKonnectClean();
  });

  test('SIGINT during start-up leaks nothing', async () => {
    // Slow the webhook PATCH so the signal lands after the destination exists.
    emulator.fault({ method: 'PATCH', path: '/v3/audit-log-webhook', delayMs: 1500, times: 1 });
    const { args } = await listenerArgs('listen');
    const proc = startListener(args);
    procs.push(proc);
    await eventually('the destination to exist', () => emulator.inspect().destinations.length === 1 || undefined);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 1, proc.stderr);
    assert.match(proc.stderr, /interrupted during start-up/);
    await assertKonnectClean();
  });

  test('when clean-up fails the listener says exactly what is left and how to remove it', async () => {
    const { args } = await listenerArgs('listen');
    const proc = startListener(args);
    procs.push(proc);
    const id = await ready();
    emulator.fault({ method: 'DELETE', path: `/v2/audit-log-destinations/${id}`, status: 500, times: 100 });
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 1);
    assert.ok(proc.stderr.includes(`Left behind: destination ${id} still exists.`), proc.stderr);
    assert.ok(proc.stderr.includes(`Remove it with: konnect-audit cleanup --profile default --destination-id ${id}`), proc.stderr);
    assert.ok(proc.stderr.includes(`curl -sS -X DELETE -H "Authorization: Bearer $KONNECT_TOKEN" "${emulator.baseUrl}/v2/audit-log-destinations/${id}"`), proc.stderr);
    assert.equal(emulator.inspect().destinations.length, 1);
    assert.equal(emulator.inspect().regions.us!.webhook.configured, false, 'the webhook was released before the destination delete failed');
    emulator.clearFaults();
    const cleanup = await runCli(['cleanup', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', join(home, 'data')], { env: env() });
    assert.equal(cleanup.status, 0, cleanup.stderr);
    await assertKonnectClean();
  });

  test('a second listener on the same profile fails with a clear message', async () => {
    const first = await listenerArgs('listen');
    const proc = startListener(first.args);
    procs.push(proc);
    await ready();
    const second = await listenerArgs('listen', ['--configure-webhook=false', '--name', 'second']);
    const r = await runCli(second.args, { env: env() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /another listener \(pid \d+\) is using the events file of this profile/);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0);
    await assertKonnectClean();
  });
});

describe('the receiver in the real process', () => {
  let proc: CliProcess;
  let url: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
    const l = await listenerArgs('listen', ['--max-body-bytes', '65536']);
    url = l.url;
    proc = startListener(l.args);
    await ready();
  });
  after(async () => {
    proc.child.kill('SIGINT');
    await proc.exited();
    rmSync(home, { recursive: true, force: true });
  });

  const post = (body: Buffer | string, headers: Record<string, string> = {}, path = '') =>
    fetch(url + path, { method: 'POST', headers: { Authorization: AUTH, ...headers }, body });

  test('status cases: 404, 405 with Allow, 401, 413 raw and decoded, 400 on bad gzip, 202', async () => {
    assert.equal((await fetch(url.replace('/audit-logs', '/other'), { method: 'POST', headers: { Authorization: AUTH }, body: 'x' })).status, 404);
    const get = await fetch(url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await fetch(url, { method: 'POST', body: '{}' })).status, 401);
    assert.equal((await post('{}', { Authorization: `${AUTH}x` })).status, 401);
    const big = await post(Buffer.alloc(70_000, 0x61));
    assert.equal(big.status, 413);
    assert.equal(await big.text(), 'request body too large\n');
    const bomb = await post(gzipSync(Buffer.alloc(50 * 1024 * 1024)), { 'Content-Encoding': 'gzip' });
    assert.equal(bomb.status, 413);
    assert.equal(await bomb.text(), 'decoded request body too large\n');
    const truncated = gzipSync(Buffer.from('{"a":1}\n{"b":2}\n'.repeat(100)));
    const bad = await post(truncated.subarray(0, truncated.length - 10), { 'Content-Encoding': 'gzip' });
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), 'failed to decode request body\n');
    const good = await post(gzipSync('{"ok":1}\r\n\r\n{"ok":2}\n'), { 'Content-Encoding': 'gzip' });
    assert.equal(good.status, 202);
    assert.equal(await good.text(), '');
  });

  test('50 concurrent posters: every record stored exactly once, no torn line', async () => {
    const eventsFile = join(home, 'data', 'default', 'events.jsonl');
    const before = readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l !== '').length;
    const posters = Array.from({ length: 50 }, (_, p) => {
      const body = Array.from({ length: 100 }, (_, i) => JSON.stringify({ poster: p, i, pad: 'x'.repeat(300) })).join('\n');
      return post(gzipSync(body), { 'Content-Encoding': 'gzip' }).then((r) => r.status);
    });
    assert.deepEqual(new Set(await Promise.all(posters)), new Set([202]));
    const lines = readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l !== '').slice(before);
    assert.equal(lines.length, 5000);
    const seen = new Set(lines.map((l) => {
      const r = JSON.parse(l) as { poster: number; i: number };
      return `${r.poster}:${r.i}`;
    }));
    assert.equal(seen.size, 5000);
  });
});

describe('validation errors exit 2 with kongctl texts', () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));
  const base = ['--base-url', 'http://127.0.0.1:9', '--pat', 'x'];
  const cases: [string[], string][] = [
    [['listen', '--endpoint', 'https://e.x/a', ...base], 'required flag(s) "authorization" not set'],
    [['listen', '--endpoint', 'https://e.x/a', '--authorization', ' ', ...base], '--authorization must not be empty'],
    [['listen', '--authorization', 'a', ...base], 'provide either --endpoint or --public-url'],
    [['listen', '--endpoint', '::', '--authorization', 'a', ...base], 'endpoint must be a valid URL: '],
    [['listen', '--public-url', 'nohost', '--authorization', 'a', ...base], 'public URL must include scheme and host'],
    [['listen', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--listen-address', '', ...base], 'listen address cannot be empty'],
    [['listen', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--max-body-bytes', '0', ...base], 'max-body-bytes must be greater than zero'],
    [['listen', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--log-format', 'xml', ...base], 'invalid log-format "xml", allowed values are: cef, json, cps'],
    [['listen', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--jq', '.a', ...base], '--jq requires --tail'],
    [['tail', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--jq', '.[[', ...base], 'invalid jq expression: '],
    [['listen', 'audit-logs', 'extra', '--endpoint', 'https://e.x/a', '--authorization', 'a', ...base], 'the audit-logs command does not accept positional arguments'],
    [['listen', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--region', 'EU!', '--pat', 'x'], 'invalid konnect region "EU!" (expected lowercase letters, numbers, or hyphens)'],
    [['tail', '--tail=maybe', '--endpoint', 'https://e.x/a', '--authorization', 'a', ...base], 'invalid argument "maybe" for "--tail" flag'],
  ];
  for (const [args, message] of cases) {
    test(`${args.slice(0, 2).join(' ')} … → ${message}`, async () => {
      const r = await runCli(args, { env: env() });
      assert.equal(r.status, 2, r.stderr);
      assert.ok(r.stderr.includes(message), r.stderr);
      assert.ok(r.stderr.includes(`Run 'konnect-audit ${args[0] === 'lsn' ? 'listen' : args[0]} --help' for usage.`), r.stderr);
    });
  }

  test('every command form parses: listen audit-logs, listen konnect audit-logs, lsn al, tail konnect audit-log', async () => {
    for (const form of [['listen', 'audit-logs'], ['listen', 'konnect', 'audit-logs'], ['lsn', 'al'], ['tail', 'konnect', 'audit-log']]) {
      const r = await runCli([...form, '--endpoint', 'https://e.x/a', ...base], { env: env() });
      assert.equal(r.status, 2, `${form.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes('required flag(s) "authorization" not set'), r.stderr);
    }
  });

  test('a missing token is a runtime error naming every way to provide one', async () => {
    const r = await runCli(['listen', '--endpoint', 'https://e.x/a', '--authorization', 'a', '--base-url', 'http://127.0.0.1:9'], { env: env() });
    assert.equal(r.status, 1, r.stderr);
    for (const way of ['--pat', 'KONNECT_AUDIT_DEFAULT_KONNECT_PAT', 'KONNECT_TOKEN', 'config.yaml']) assert.ok(r.stderr.includes(way), `${way} in ${r.stderr}`);
  });
});

describe("kongctl's config file", () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('gives the token when no other source does', async () => {
    mkdirSync(join(home, 'config', 'kongctl'), { recursive: true });
    writeFileSync(join(home, 'config', 'kongctl', 'config.yaml'), `default:\n  konnect:\n    pat: ${emulator.token}\n`);
    const { args } = await listenerArgs('listen');
    const withoutPat = args.filter((a, i) => a !== '--pat' && args[i - 1] !== '--pat');
    const proc = startListener(withoutPat);
    procs.push(proc);
    await ready();
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    await assertKonnectClean();
  });
});

describe('cleanup after a listener was killed', () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('kill -9 leaves Konnect state; the next listen names it; cleanup removes it; listen works again', async () => {
    const first = await listenerArgs('listen');
    const proc = startListener(first.args);
    procs.push(proc);
    const id = await ready();
    proc.child.kill('SIGKILL');
    await proc.exited();
    assert.equal(emulator.inspect().destinations.length, 1, 'a killed listener cannot clean up');

    const again = await listenerArgs('listen');
    const refused = await runCli(again.args, { env: env() });
    assert.equal(refused.status, 1);
    assert.ok(refused.stderr.includes(`It is bound to destination ${id} (recorded in ${join(home, 'data', 'default', 'destination.json')} by an earlier listener)`), refused.stderr);
    assert.ok(refused.stderr.includes(`konnect-audit cleanup --profile default --destination-id ${id}`), refused.stderr);

    const cleanup = await runCli(['cleanup', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', join(home, 'data')], { env: env() });
    assert.equal(cleanup.status, 0, cleanup.stderr);
    assert.equal(cleanup.stdout, `Released the regional webhook (if bound to it) and deleted audit-log destination: ${id}\n`);
    await assertKonnectClean();
    assert.throws(() => statSync(join(home, 'data', 'default', 'destination.json')));

    const nothing = await runCli(['cleanup', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', join(home, 'data')], { env: env() });
    assert.equal(nothing.status, 1);
    assert.match(nothing.stderr, /nothing to clean up for profile "default"/);

    const proc2 = startListener(again.args);
    procs.push(proc2);
    await ready();
    proc2.child.kill('SIGINT');
    assert.equal(await proc2.exited(), 0, proc2.stderr);
    await assertKonnectClean();
  });

  test('cleanup refuses while a listener holds the profile', async () => {
    const l = await listenerArgs('listen');
    const proc = startListener(l.args);
    procs.push(proc);
    await ready();
    const r = await runCli(['cleanup', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', join(home, 'data')], { env: env() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /a listener \(pid \d+\) is running for profile "default"; stop it/);
    assert.equal(emulator.inspect().destinations.length, 1);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
    await assertKonnectClean();
  });
});

describe('logs', () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('tail writes lifecycle to --log-file, never a secret, and stdout stays records only', async () => {
    const logFile = join(home, 'listener.log');
    const { args } = await listenerArgs('tail', ['--log-file', logFile, '--log-level', 'debug']);
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    await emulator.generate({ count: 3 });
    await emulator.idle();
    await eventually('3 records', () => proc.stdout.split('\n').filter((l) => l !== '').length >= 3 || undefined);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0, proc.stderr);
    const log = readFileSync(logFile, 'utf8');
    for (const message of ['receiver listening', 'destination created', 'listener started', 'stopping', 'Konnect clean-up finished', 'listener stopped']) assert.ok(log.includes(message), message);
    assert.ok(!log.includes('listener-secret'), 'the authorization value is not logged');
    assert.ok(!log.includes(emulator.token), 'the token is not logged');
    assert.equal(statSync(logFile).mode & 0o777, 0o600);
    for (const line of proc.stdout.split('\n').filter((l) => l !== '')) assert.ok(line.startsWith('{"'), line);
  });
});

describe('closed output streams', () => {
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-e2e-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('with stderr closed the listener keeps storing records, and SIGTERM still cleans up', async () => {
    const { args } = await listenerArgs('listen');
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    proc.child.stderr.destroy();
    const eventsFile = join(home, 'data', 'default', 'events.jsonl');
    const stored = () => readFileSync(eventsFile, 'utf8').split('\n').length - 1;
    const before = stored();
    await emulator.generate({ count: 20 });
    await emulator.idle();
    assert.ok(stored() >= before + 20);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
    await assertKonnectClean();
  });

  test('listen | head -1: a closed stdout stops the listener and cleans up', async () => {
    const { args } = await listenerArgs('listen');
    const proc = startListener(args);
    procs.push(proc);
    await ready();
    await eventually('the start-up block', () => proc.stdout.includes('Press Ctrl+C') || undefined);
    proc.child.stdout.destroy();
    proc.child.stderr.destroy();
    // The stop line is what hits the closed pipe; SIGTERM starts the stop.
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
    await assertKonnectClean();
  });
});
