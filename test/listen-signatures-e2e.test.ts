/**
 * `listen --verify` end to end: the built CLI, the emulator as Konnect (it signs every record),
 * records tampered with or unsigned posted straight to the listener.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { call } from './support/api.js';
import { startCli, type CliProcess } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

const AUTH = 'Bearer signatures-secret';
let emulator: Emulator;
let home: string;
let proc: CliProcess | undefined;

const profileDir = () => join(home, 'data', 'default');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

async function startListener(extra: string[]): Promise<{ url: string; proc: CliProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/audit-logs`;
  const args = ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data'), ...extra];
  proc = startCli(args, { env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' } });
  await eventually('the webhook to be bound', () => emulator.inspect().regions.us!.webhook.enabled || undefined);
  return { url, proc };
}

/** Generates signed records through Konnect and waits until the listener has them all. */
async function deliver(count: number): Promise<void> {
  await emulator.generate({ count });
  await emulator.idle();
  assert.equal(emulator.inspect().regions.us!.delivery.recordsFailed, 0);
}

async function post(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { Authorization: AUTH }, body });
  return response.status;
}

/** One byte of a stored record changed (a digit of its rt), keeping it well-formed. */
function tamper(line: string): string {
  return line.replace(/"rt":(\d)/, (_, d: string) => `"rt":${(Number(d) + 1) % 10}`);
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-signatures-'));
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGINT');
    await proc.exited();
  }
  proc = undefined;
  rmSync(join(home, 'data'), { recursive: true, force: true });
});

describe('listen --verify', () => {
  test('warn (default): every record is stored; a tampered one is reported and counted; the JWKS is saved beside the events', async () => {
    const { url, proc } = await startListener([]);
    await deliver(50);
    const events = join(profileDir(), 'events.jsonl');
    await eventually('the JWKS copy', () => existsSync(join(profileDir(), 'jwks.json')) || undefined);
    assert.equal(statSync(join(profileDir(), 'jwks.json')).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(join(profileDir(), 'jwks.json'), 'utf8')), emulator.jwks());
    const stored = lines(events);
    const forged = tamper(stored[0]!);
    assert.notEqual(forged, stored[0]);
    assert.equal(await post(url, `${forged}\n{"name":"unsigned","rt":1}`), 202);
    // Warnings are rate-limited (one a second, then a count): whichever check finishes first is shown.
    await eventually('a warning', () => /warning: a record (failed its signature check|carries no signature)/.test(proc.stderr) || undefined);
    await eventually('both records', () => lines(events).length === stored.length + 2 || undefined);
    assert.deepEqual(lines(events).slice(-2), [forged, '{"name":"unsigned","rt":1}'], 'warn mode stores them, byte for byte');
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    const total = lines(events).length;
    assert.match(proc.stderr, new RegExp(`signatures: ${total - 2} valid, 1 invalid, 1 unsigned\\n`));
  });

  test('enforce: valid records go to events.jsonl, tampered and unsigned ones to quarantine.jsonl, byte for byte', async () => {
    const { url, proc } = await startListener(['--verify', 'enforce']);
    await deliver(30);
    const events = join(profileDir(), 'events.jsonl');
    const quarantine = join(profileDir(), 'quarantine.jsonl');
    const stored = lines(events);
    assert.ok(stored.length >= 30);
    const forged = tamper(stored[5]!);
    const unsigned = '{"name":"Authz.portals","rt":1764276729807}';
    assert.equal(await post(url, `${forged}\n${stored[6]!}\n${unsigned}`), 202);
    assert.deepEqual(lines(quarantine), [forged, unsigned]);
    assert.equal(lines(events).length, stored.length, 'the genuine record, sent again, is a repeat: not stored twice');
    assert.equal(statSync(quarantine).mode & 0o777, 0o600);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
  });

  test('a key rotation in Konnect is followed: records signed with the new key are accepted after one JWKS refresh', async () => {
    const { proc } = await startListener(['--verify', 'enforce']);
    await deliver(10);
    const before = lines(join(profileDir(), 'events.jsonl')).length;
    emulator.rotateKey();
    await deliver(10);
    assert.deepEqual(lines(join(profileDir(), 'quarantine.jsonl')), [], proc.stderr);
    assert.ok(lines(join(profileDir(), 'events.jsonl')).length >= before + 10, `${before} ${lines(join(profileDir(), 'events.jsonl')).length}`);
    assert.equal((JSON.parse(readFileSync(join(profileDir(), 'jwks.json'), 'utf8')) as { keys: unknown[] }).keys.length, 2, 'the refreshed JWKS (both keys) is saved');
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    assert.equal(proc.stderr, '');
  });

  test('off: nothing is checked and no JWKS is fetched', async () => {
    const { url, proc } = await startListener(['--verify', 'off']);
    assert.equal(await post(url, '{"name":"unsigned"}'), 202);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    assert.equal(proc.stderr, '');
    assert.equal(existsSync(join(profileDir(), 'jwks.json')), false);
    const webhook = await call<{ enabled: boolean }>(emulator.baseUrl, 'GET', '/v2/audit-log-webhook', { token: emulator.token });
    assert.equal(webhook.body.enabled, false);
  });
});
