/**
 * Rotation and retention end to end: the built CLI stores records under a tiny --rotate-size, closed
 * segments are gzip-compressed in the background, --retain-size deletes the oldest, duplicates are
 * still caught across rotation and restarts, and kill -9 while segments rotate loses nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { runCliAsync, startCli, type CliProcess } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

const AUTH = 'Bearer rotation-secret';
let emulator: Emulator;
let home: string;
let running: CliProcess | undefined;
const dir = () => join(home, 'data', 'default');
const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' });

/** Every stored record, segments (oldest first) then the active file, read while compression may run. */
function storedRecords(): string[] {
  for (;;) {
    try {
      const all0 = readdirSync(dir());
      // Caught mid-compression, a segment exists twice: the plain file is the complete one.
      const names = all0
        .filter((n) => /^events-.*\.jsonl(\.gz)?$/.test(n) && !(n.endsWith('.gz') && all0.includes(n.slice(0, -3))))
        .sort((a, b) => (a.replace(/\.gz$/, '') < b.replace(/\.gz$/, '') ? -1 : 1));
      const read = (n: string) => (n.endsWith('.gz') ? gunzipSync(readFileSync(join(dir(), n))).toString() : readFileSync(join(dir(), n), 'utf8'));
      const all = [...names.map(read), existsSync(join(dir(), 'events.jsonl')) ? readFileSync(join(dir(), 'events.jsonl'), 'utf8') : ''];
      // A file compressed (or rotated) between the listing and the reading: list again.
      if (readdirSync(dir()).join('/') !== all0.join('/')) continue;
      return all.join('').split('\n').filter((l) => l.startsWith('{"r":'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

async function startListener(extra: string[]): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/audit-logs`;
  running = startCli(['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data'), '--verify', 'off', ...extra], { env: env() });
  await eventually('the webhook to be bound', () => emulator.inspect().regions.us!.webhook.enabled || undefined);
  return url;
}

const record = (n: number) => `{"r":${n},"pad":"${'x'.repeat(200)}"}`;
async function post(url: string, from: number, count: number): Promise<boolean> {
  const body = Array.from({ length: count }, (_, i) => record(from + i)).join('\n');
  try {
    return (await fetch(url, { method: 'POST', headers: { Authorization: AUTH }, body })).status === 202;
  } catch {
    return false;
  }
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-rotation-'));
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGINT');
    await running.exited();
  }
  running = undefined;
  rmSync(join(home, 'data'), { recursive: true, force: true });
});

describe('listen: rotation and retention', () => {
  test('segments rotate by size and are compressed; retention keeps the newest; duplicates are caught across rotation and a restart', async () => {
    let url = await startListener(['--rotate-size', '2KB']);
    for (let i = 0; i < 20; i++) assert.ok(await post(url, i * 5, 5));
    await eventually('compressed segments', () => readdirSync(dir()).filter((n) => n.endsWith('.jsonl.gz')).length >= 5 || undefined);
    assert.deepEqual(storedRecords(), Array.from({ length: 100 }, (_, i) => record(i)));
    // Records already in compressed segments are repeats, now and after a restart.
    assert.ok(await post(url, 0, 10));
    running!.child.kill('SIGINT');
    assert.equal(await running!.exited(), 0, running!.stderr);
    assert.deepEqual(readdirSync(dir()).filter((n) => n.endsWith('.tmp') || /^events-.*\.jsonl$/.test(n)), [], 'every segment compressed at stop');
    url = await startListener(['--rotate-size', '2KB', '--log-level', 'info']);
    assert.ok(await post(url, 0, 10));
    assert.deepEqual(storedRecords(), Array.from({ length: 100 }, (_, i) => record(i)), `no record stored twice ${running!.stderr.split('\n').filter((l) => l.includes('index')).join(' ')} ${readdirSync(dir()).join(' ')}`);
    running!.child.kill('SIGINT');
    assert.equal(await running!.exited(), 0, running!.stderr);
    // Retention by size deletes the oldest segments at start-up.
    url = await startListener(['--rotate-size', '2KB', '--retain-size', '1KB']);
    const gzSize = () => readdirSync(dir()).filter((n) => n.endsWith('.jsonl.gz')).reduce((sum, n) => sum + statSync(join(dir(), n)).size, 0);
    await eventually('retention', () => (gzSize() <= 1000 && !storedRecords().includes(record(0)) ? true : undefined));
    assert.ok(await post(url, 100, 5));
    const kept = storedRecords();
    assert.equal(new Set(kept).size, kept.length, 'no record twice');
    assert.ok(kept.includes(record(104)), 'the newest records are kept');
    const events = await runCliAsync(['events', '--data-dir', join(home, 'data')], { env: env() });
    assert.equal(events.status, 0, events.stderr);
  });

  test('kill -9 while segments rotate: after a restart every acknowledged record is stored exactly once', async () => {
    const acknowledged = new Set<string>();
    let next = 0;
    for (let round = 0; round < 4; round++) {
      const url = await startListener(['--rotate-size', '1KB']);
      const load = (async () => {
        for (;;) {
          const from = next;
          next += 3;
          if (!(await post(url, from, 3))) return;
          for (let i = 0; i < 3; i++) acknowledged.add(record(from + i));
        }
      })();
      await eventually('some rotations', () => readdirSync(dir()).filter((n) => n.startsWith('events-')).length >= 3 * (round + 1) || undefined);
      running!.child.kill('SIGKILL');
      await running!.exited();
      await load;
      running = undefined;
      const cleanup = await runCliAsync(['cleanup', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', join(home, 'data')], { env: env() });
      assert.equal(cleanup.status, 0, cleanup.stderr);
    }
    // A state file's temp copy, as a kill in the middle of replacing it leaves: the restart removes it.
    writeFileSync(join(dir(), '.listener.json.0123456789ab.tmp'), '{"pid":');
    await startListener(['--rotate-size', '1KB']);
    await eventually('every segment settled and no temp file left', () => readdirSync(dir()).every((n) => !n.endsWith('.tmp') && !/^events-.*\.jsonl$/.test(n)) || undefined);
    const stored = storedRecords();
    assert.equal(new Set(stored).size, stored.length, 'no record twice');
    for (const r of acknowledged) assert.ok(stored.includes(r), `acknowledged ${r.slice(0, 12)} is stored`);
  });
});
