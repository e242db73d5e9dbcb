import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, describe, test } from 'node:test';
import { Children, exited, signalsSeen, waitFor } from './testChildren.js';
import { isAlive, startTimeTicks } from './inspect.js';
import { LISTENER_KIND, processesDir, readRecord, recordFile, writeRecord, type ProcessRecord } from './records.js';
import { stopProcess } from './stop.js';

const children = new Children();
after(() => children.cleanup());

const CLEAN = { finished_at: '2025-05-01T10:05:00Z', webhook_released: true, destination_deleted: true, problems: [] };
const LEFT_OVER = { finished_at: '2025-05-01T10:05:00Z', webhook_released: true, destination_deleted: false, problems: ['destination d-1 was not deleted: 503'] };

/** Writes a record for `pid` (by default with its real start time) and reads it back. */
async function recordOf(configDir: string, pid: number, extra: Partial<ProcessRecord> = {}): Promise<ProcessRecord> {
  const record: ProcessRecord = {
    pid, kind: LISTENER_KIND, profile: 'default', created_at: '2025-05-01T10:00:00Z', log_file: '/l',
    args: ['listen', '--authorization', '<redacted>'], start_time_ticks: startTimeTicks(pid) ?? null, state: 'running', ...extra,
  };
  await writeRecord(configDir, record);
  return (await readRecord(configDir, pid))!;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** A fake listener whose record lives in `configDir`. */
async function listener(configDir: string, env: Record<string, string>) {
  return children.spawnReady([await children.fakeCli(), 'listen', '--authorization', 'Bearer s3cret'], { FIXTURE_RECORDS: processesDir(configDir), ...env });
}

describe('stopProcess', { skip: process.platform !== 'linux' && 'needs /proc' }, () => {
  test('running: SIGTERM, waits for the exit, reports a clean Konnect clean-up and removes the record', async () => {
    const dir = await children.tempDir();
    const child = await listener(dir, { FIXTURE_CLEANUP: JSON.stringify(CLEAN) });
    const record = await recordOf(dir, child.pid);
    const result = await stopProcess(dir, record, { pollMs: 10 });
    assert.deepEqual(result, {
      pid: child.pid, action: 'stopped', success: true, konnectClean: true,
      detail: `process ${child.pid} stopped; record removed; Konnect clean (webhook released: true, destination deleted: true)`,
    });
    await waitFor(() => exited(child), 10_000, 'child exit event');
    assert.equal(child.exitCode, 0);
    assert.equal(await exists(recordFile(dir, child.pid)), false);
  });

  test('starting: stopped too, and clean-up problems give konnectClean false', async () => {
    const dir = await children.tempDir();
    const child = await listener(dir, { FIXTURE_CLEANUP: JSON.stringify(LEFT_OVER) });
    const result = await stopProcess(dir, await recordOf(dir, child.pid, { state: 'starting' }), { pollMs: 10 });
    assert.deepEqual(result, {
      pid: child.pid, action: 'stopped', success: true, konnectClean: false,
      detail: `process ${child.pid} stopped; record removed; Konnect clean-up left problems: destination d-1 was not deleted: 503`,
    });
    assert.equal(await exists(recordFile(dir, child.pid)), false);
  });

  test('a child that removes its own record: stopped, with no clean-up report', async () => {
    const dir = await children.tempDir();
    const child = await listener(dir, { FIXTURE_MODE: 'remove' });
    const result = await stopProcess(dir, await recordOf(dir, child.pid), { pollMs: 10 });
    assert.deepEqual(result, { pid: child.pid, action: 'stopped', success: true, detail: `process ${child.pid} stopped and removed its own record; no clean-up report` });
  });

  test('a child ignoring SIGTERM: timeout, record kept, success false', async () => {
    const dir = await children.tempDir();
    const child = await listener(dir, { FIXTURE_MODE: 'ignore' });
    const record = await recordOf(dir, child.pid);
    const started = Date.now();
    const result = await stopProcess(dir, record, { timeoutMs: 300, pollMs: 20 });
    assert.ok(Date.now() - started >= 300);
    assert.deepEqual(result, { pid: child.pid, action: 'timeout', success: false, detail: `process ${child.pid} did not exit within 300ms; record kept` });
    assert.deepEqual(await signalsSeen(child), ['SIGTERM']);
    assert.equal(isAlive(child.pid), true);
    assert.equal(exited(child), false);
    assert.deepEqual(await readRecord(dir, child.pid), record);
  });

  test('a live listener with another start time is stale: never signalled, record pruned', async () => {
    const dir = await children.tempDir();
    const child = await listener(dir, { FIXTURE_CLEANUP: JSON.stringify(CLEAN) });
    const ticks = startTimeTicks(child.pid)!;
    const result = await stopProcess(dir, await recordOf(dir, child.pid, { start_time_ticks: ticks + 1 }), { timeoutMs: 2_000 });
    assert.deepEqual(result, {
      pid: child.pid, action: 'pruned', success: true,
      detail: `not signalled: pid ${child.pid} now belongs to another process (start time ${ticks}, recorded ${ticks + 1}); record removed`,
    });
    assert.equal(await exists(recordFile(dir, child.pid)), false);
    assert.deepEqual(await signalsSeen(child), []);
    assert.equal(isAlive(child.pid), true);
    assert.equal(exited(child), false);
  });

  test('a live process that is not a konnect-audit listener is stale: never signalled', async () => {
    const dir = await children.tempDir();
    const other = await children.spawnReady(['-e', "process.on('SIGTERM', () => process.exit(0)); process.stdout.write('ready\\n'); setInterval(() => {}, 1 << 30)"]);
    const result = await stopProcess(dir, await recordOf(dir, other.pid));
    assert.deepEqual(result, { pid: other.pid, action: 'pruned', success: true, detail: `not signalled: pid ${other.pid} now belongs to another process (not a konnect-audit listener); record removed` });
    assert.equal(isAlive(other.pid), true);
  });

  test('an exited process: record pruned, its clean-up report kept in the result', async () => {
    const dir = await children.tempDir();
    const dead = await children.deadPid();
    const record = await recordOf(dir, dead, { start_time_ticks: 1 });
    assert.deepEqual(await stopProcess(dir, record), { pid: dead, action: 'pruned', success: true, detail: `process ${dead} exited; record removed; no clean-up report` });
    assert.equal(await exists(recordFile(dir, dead)), false);

    await recordOf(dir, dead, { start_time_ticks: 1, state: 'stopped', cleanup: CLEAN });
    // The record passed in is older than the file: the file's clean-up report is used.
    assert.deepEqual(await stopProcess(dir, record), {
      pid: dead, action: 'pruned', success: true, konnectClean: true,
      detail: `process ${dead} exited; record removed; Konnect clean (webhook released: true, destination deleted: true)`,
    });
  });

  test('a failed process: record pruned, its error in the detail', async () => {
    const dir = await children.tempDir();
    const dead = await children.deadPid();
    const record = await recordOf(dir, dead, { start_time_ticks: 1, state: 'failed', error: 'listen EADDRINUSE 127.0.0.1:19090' });
    assert.deepEqual(await stopProcess(dir, record), { pid: dead, action: 'pruned', success: true, detail: `process ${dead} failed: listen EADDRINUSE 127.0.0.1:19090; record removed; no clean-up report` });
    assert.equal(await exists(recordFile(dir, dead)), false);
  });
});
