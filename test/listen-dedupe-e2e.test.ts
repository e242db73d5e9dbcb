/**
 * No duplicates end to end: records Konnect sends again (a retried batch, a replay job) are
 * acknowledged and stored once, across a restart too; `--keep-duplicates` stores them again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import type { AuditLogReplayJob } from '../src/konnect/types.js';
import { call } from './support/api.js';
import { startCli, type CliProcess } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

const AUTH = 'Bearer dedupe-secret';
let emulator: Emulator;
let home: string;
let running: CliProcess | undefined;

const eventsFile = () => join(home, 'data', 'default', 'events.jsonl');
const stored = () => (existsSync(eventsFile()) ? readFileSync(eventsFile(), 'utf8').split('\n').filter((l) => l !== '') : []);
/** The records a test posted itself (Konnect also delivers the audit events of the listener's own API calls). */
const posted = () => stored().filter((l) => l.startsWith('{"name":"unsigned') || l.startsWith('{"a":'));

async function startListener(extra: string[] = []): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/audit-logs`;
  running = startCli(['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data'), ...extra], {
    env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' },
  });
  await eventually('the webhook to be bound', () => emulator.inspect().regions.us!.webhook.enabled || undefined);
  return url;
}

async function stopListener(): Promise<void> {
  running!.child.kill('SIGINT');
  assert.equal(await running!.exited(), 0, running!.stderr);
  running = undefined;
}

async function post(url: string, lines: string[]): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { Authorization: AUTH, 'Content-Encoding': 'gzip' }, body: gzipSync(lines.join('\n')) });
  return response.status;
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-dedupe-'));
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  if (running) await stopListener();
  rmSync(join(home, 'data'), { recursive: true, force: true });
});

describe('listen: no duplicates', () => {
  test('a retried batch, and a record repeated within one batch, are acknowledged and stored once, across a restart too', async () => {
    let url = await startListener();
    const batch = ['{"name":"unsigned-1"}', '{"name":"unsigned-2"}', '{"name":"unsigned-3"}'];
    assert.equal(await post(url, batch), 202);
    assert.equal(await post(url, batch), 202, 'the retry is acknowledged');
    assert.equal(await post(url, ['{"name":"unsigned-4"}', '{"name":"unsigned-4"}', batch[0]!]), 202);
    assert.deepEqual(posted(), [...batch, '{"name":"unsigned-4"}']);
    await stopListener();
    url = await startListener();
    assert.equal(await post(url, [...batch, '{"name":"unsigned-5"}']), 202);
    assert.deepEqual(posted(), [...batch, '{"name":"unsigned-4"}', '{"name":"unsigned-5"}']);
  });

  test('a replay job resends records the listener has: none is stored twice, before or after a restart', async () => {
    await startListener();
    const now = Date.now();
    await emulator.generate({ count: 200, fromMs: now - 60 * 60_000, toMs: now - 60_000 });
    await emulator.idle();
    // History is older than `now`; the audit events of the test's and the listener's API calls are not.
    const history = (lines: string[]) => lines.filter((l) => Number(/"rt":(\d+)/.exec(l)?.[1]) < now - 30_000);
    const first = stored();
    assert.equal(history(first).length, 200);
    const replay = async () => {
      const delivered = emulator.inspect().regions.us!.delivery.recordsDelivered;
      const put = await call<AuditLogReplayJob>(emulator.baseUrl, 'PUT', '/v2/audit-log-replay-job', {
        token: emulator.token,
        body: { start_at: new Date(now - 2 * 60 * 60_000).toISOString(), end_at: new Date(now).toISOString() },
      });
      assert.equal(put.status, 202);
      await eventually('the replay to complete', async () => ((await call<AuditLogReplayJob>(emulator.baseUrl, 'GET', '/v2/audit-log-replay-job', { token: emulator.token })).body.status === 'completed' ? true : undefined));
      await emulator.idle();
      const resent = emulator.inspect().regions.us!.delivery.recordsDelivered - delivered;
      assert.ok(resent >= 200, `the replay resent ${resent} records`);
    };
    await replay();
    const afterReplay = stored();
    assert.equal(new Set(afterReplay).size, afterReplay.length, 'no line stored twice');
    assert.deepEqual(history(afterReplay), history(first), 'the replayed history was already there');
    await stopListener();
    await startListener(['--backfill', 'off']);
    await replay();
    const afterRestart = stored();
    assert.equal(new Set(afterRestart).size, afterRestart.length, 'no line stored twice after a restart');
    assert.deepEqual(history(afterRestart), history(first));
  });

  test('--keep-duplicates stores every record received', async () => {
    const url = await startListener(['--keep-duplicates']);
    assert.equal(await post(url, ['{"a":1}', '{"a":1}']), 202);
    assert.equal(await post(url, ['{"a":1}']), 202);
    assert.deepEqual(posted(), ['{"a":1}', '{"a":1}', '{"a":1}']);
  });
});
