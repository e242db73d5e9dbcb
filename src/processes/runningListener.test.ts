import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startTimeTicks } from './inspect.js';
import { profilePaths, type ProfilePaths } from '../store/paths.js';
import { runningListener } from './runningListener.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function profile(): ProfilePaths {
  const dataDir = mkdtempSync(join(tmpdir(), 'konnect-audit-running-'));
  dirs.push(dataDir);
  const paths = profilePaths(dataDir, 'default');
  mkdirSync(paths.dir);
  return paths;
}

const write = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value));
const lock = (pid: number, ticks: number | null | undefined = startTimeTicks(pid) ?? null) => ({ pid, started_at: '2026-11-27T12:00:00Z', start_time_ticks: ticks });

/** A pid that no longer runs. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('runningListener', () => {
  test('none without a lock file', async () => {
    assert.equal(await runningListener(profile()), undefined);
  });

  test("the lock of a process that has exited is not a listener, whatever listener.json says", async () => {
    const paths = profile();
    const pid = await deadPid();
    write(paths.lockFile, lock(pid, null));
    write(paths.listenerFile, { pid, local_endpoint: 'http://127.0.0.1:1/audit-logs' });
    assert.equal(await runningListener(paths), undefined);
  });

  test('a live pid with another start time (a reused pid) is not the listener', { skip: process.platform !== 'linux' }, async () => {
    const paths = profile();
    write(paths.lockFile, lock(process.pid, (startTimeTicks(process.pid) ?? 0) + 1));
    assert.equal(await runningListener(paths), undefined);
  });

  test("a live lock holder with its own listener.json and destination.json: pid, endpoints, destination", async () => {
    const paths = profile();
    write(paths.lockFile, lock(process.pid));
    write(paths.listenerFile, { pid: process.pid, started_at: '2026-11-27T12:00:00.000Z', local_endpoint: 'http://127.0.0.1:19090/audit-logs' });
    write(paths.destinationFile, { destination_id: 'd-1', destination_endpoint: 'https://me.example/audit-logs' });
    assert.deepEqual(await runningListener(paths), {
      pid: process.pid,
      localEndpoint: 'http://127.0.0.1:19090/audit-logs',
      endpoint: 'https://me.example/audit-logs',
      destinationId: 'd-1',
      startedAt: '2026-11-27T12:00:00.000Z',
    });
  });

  test("listener.json left by an earlier listener (another pid) is not trusted: the pid alone", async () => {
    const paths = profile();
    write(paths.lockFile, lock(process.pid));
    write(paths.listenerFile, { pid: process.pid + 100_000, local_endpoint: 'http://127.0.0.1:1/old' });
    assert.deepEqual(await runningListener(paths), { pid: process.pid });
  });

  test('a lock file that is not JSON is no listener', async () => {
    const paths = profile();
    writeFileSync(paths.lockFile, 'garbage');
    assert.equal(await runningListener(paths), undefined);
  });
});
