import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LISTENER_KIND, writeRecord } from '../processes/records.js';
import { profilePaths } from '../store/paths.js';
import { lockHolder } from '../store/lock.js';
import { detachedListeners, matchEndpoint, profileListener, sameEndpoint } from './listeners.js';

describe('profileListener', () => {
  it('none without files; running while the lock holder lives; stopped once it is gone', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'status-listener-'));
    try {
      const paths = profilePaths(dataDir, 'default');
      assert.equal((await profileListener(paths)).state, 'none');
      await mkdir(paths.dir, { recursive: true });
      await writeFile(paths.listenerFile, JSON.stringify({ started_at: '2026-11-27T10:00:00Z', pid: process.pid, local_endpoint: 'http://127.0.0.1:19090/audit-logs' }));
      await writeFile(paths.destinationFile, JSON.stringify({ destination_id: 'd-1', destination_endpoint: 'https://me.ts.net/audit-logs' }));
      await writeFile(paths.lockFile, JSON.stringify({ pid: process.pid, started_at: '2026-11-27T10:00:00Z', start_time_ticks: null }));
      assert.deepEqual(await profileListener(paths), {
        state: 'running',
        pid: process.pid,
        started_at: '2026-11-27T10:00:00Z',
        local_endpoint: 'http://127.0.0.1:19090/audit-logs',
        endpoint: 'https://me.ts.net/audit-logs',
        destination_id: 'd-1',
      });
      // A lock naming a pid that is not running (pid_max is below 2^22 on Linux).
      await writeFile(paths.lockFile, JSON.stringify({ pid: 4_194_304 + 17, start_time_ticks: null }));
      const stopped = await profileListener(paths);
      assert.equal(stopped.state, 'stopped');
      assert.equal(stopped.endpoint, null);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('lockHolder: a recycled pid (other start time) is not the holder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'status-lock-'));
    try {
      const file = join(dir, 'listener.lock');
      await writeFile(file, JSON.stringify({ pid: process.pid, start_time_ticks: 1 }));
      assert.equal(await lockHolder(file), process.platform === 'linux' ? undefined : process.pid);
      await writeFile(file, 'not json');
      assert.equal(await lockHolder(file), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('matchEndpoint', () => {
  const webhook = { endpoint: 'https://me.ts.net/audit-logs', destination_id: 'd-1' };
  it('listener when a running listener has the endpoint (trailing slash and host case ignored) or the destination', () => {
    assert.ok(sameEndpoint('https://ME.ts.net/audit-logs/', 'https://me.ts.net/audit-logs'));
    assert.deepEqual(matchEndpoint(webhook, [{ endpoint: 'https://me.ts.net/audit-logs/', destination_id: null }]), { target: 'listener', listener_endpoints: ['https://me.ts.net/audit-logs/'] });
    assert.equal(matchEndpoint(webhook, [{ endpoint: null, destination_id: 'd-1' }]).target, 'listener');
  });
  it('elsewhere when listeners run but none is the webhook\'s; no-listener when none runs', () => {
    assert.deepEqual(matchEndpoint(webhook, [{ endpoint: 'https://other/audit-logs', destination_id: 'd-2' }]), { target: 'elsewhere', listener_endpoints: ['https://other/audit-logs'] });
    assert.equal(matchEndpoint(webhook, []).target, 'no-listener');
  });
});

describe('detachedListeners', () => {
  it('lists process records classified as ps does: a dead pid is exited', async () => {
    const configDir = await mkdtemp(join(tmpdir(), 'status-detached-'));
    try {
      assert.deepEqual(await detachedListeners(configDir), []);
      const pid = 4_194_304 + 99;
      await writeRecord(configDir, {
        pid,
        kind: LISTENER_KIND,
        profile: 'prod',
        created_at: '2026-11-27T10:00:00Z',
        log_file: join(configDir, 'l.log'),
        args: ['listen'],
        start_time_ticks: null,
        state: 'running',
        endpoint: 'https://me.ts.net/audit-logs',
      });
      assert.deepEqual(await detachedListeners(configDir), [
        { pid, status: 'exited', profile: 'prod', endpoint: 'https://me.ts.net/audit-logs', local_endpoint: null, destination_id: null, created_at: '2026-11-27T10:00:00Z' },
      ]);
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });
});
