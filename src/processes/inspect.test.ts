import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Children, waitFor } from './testChildren.js';
import { commandLine, findUnmanaged, isAlive, isListenerCommand, parseStat, readStat, startTimeTicks, statusOf } from './inspect.js';
import { LISTENER_KIND, type ProcessRecord } from './records.js';

const linux = process.platform === 'linux';
const children = new Children();
after(() => children.cleanup());

/** A stat line with `comm`; field 22 (start time) is 98765. */
function statLine(pid: number, comm: string, state = 'S'): string {
  const rest = [state, ...Array.from({ length: 18 }, (_, i) => String(i + 4)), '98765', '1000', '2000'];
  return `${pid} (${comm}) ${rest.join(' ')}\n`;
}

function recordFor(pid: number, ticks: number | null, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return { pid, kind: LISTENER_KIND, profile: 'default', created_at: '2025-05-01T10:00:00Z', log_file: '/l', args: [], start_time_ticks: ticks, ...extra };
}

describe('parseStat', () => {
  test('takes field 22 after the last ")" when comm holds spaces and ")"', () => {
    assert.deepEqual(parseStat(statLine(4242, 'we ird) (name) 1 2')), { pid: 4242, comm: 'we ird) (name) 1 2', state: 'S', startTimeTicks: 98765 });
  });

  test('a real kernel line', () => {
    const line = '1 (systemd) S 0 1 1 0 -1 4194560 53817 2730164 109 1217 262 181 3456 1210 20 0 1 0 29 171196416 3187 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';
    assert.deepEqual(parseStat(line), { pid: 1, comm: 'systemd', state: 'S', startTimeTicks: 29 });
  });

  test('malformed text gives undefined', () => {
    assert.equal(parseStat(''), undefined);
    assert.equal(parseStat('12 (x) S 1 2 3'), undefined);
    assert.equal(parseStat('12 x S 1 2 3'), undefined);
  });
});

describe('live process inspection', { skip: !linux && 'needs /proc' }, () => {
  test('startTimeTicks and commandLine of a real child; undefined once it is gone', async () => {
    const script = await children.fakeCli();
    const child = await children.spawnReady([script, 'listen', '--authorization', 'Bearer s3cret']);
    const ticks = startTimeTicks(child.pid);
    assert.ok(Number.isSafeInteger(ticks) && ticks! > 0, String(ticks));
    assert.ok(ticks! >= startTimeTicks(process.pid)!);
    assert.deepEqual(commandLine(child.pid), [process.execPath, script, 'listen', '--authorization', 'Bearer s3cret']);
    const dead = await children.deadPid();
    assert.equal(startTimeTicks(dead), undefined);
    assert.equal(commandLine(dead), undefined);
  });

  test('isAlive: true for a live pid, false for a reaped one and for pids that address groups', async () => {
    assert.equal(isAlive(process.pid), true);
    assert.equal(isAlive(await children.deadPid()), false);
    assert.equal(isAlive(0), false);
    assert.equal(isAlive(-1), false);
    assert.equal(isAlive(1.5), false);
  });
});

describe('isListenerCommand', () => {
  test('node running the CLI script with a listener verb', () => {
    assert.equal(isListenerCommand(['/usr/bin/node', '/opt/ka/dist/konnect-audit.mjs', 'listen', '--pat', 'x']), true);
    assert.equal(isListenerCommand(['node', '--enable-source-maps', '/x/konnect-audit.mjs', 'tail']), true);
    assert.equal(isListenerCommand(['/usr/local/bin/node20', '/usr/local/bin/konnect-audit', 'lsn', 'audit-logs']), true);
    assert.equal(isListenerCommand(['/usr/local/bin/konnect-audit', 'listen']), true);
  });

  test('other verbs, other scripts, other programs are not listeners', () => {
    assert.equal(isListenerCommand(['node', '/x/konnect-audit.mjs', 'cleanup']), false);
    assert.equal(isListenerCommand(['node', '/x/konnect-audit.mjs', 'ps']), false);
    assert.equal(isListenerCommand(['node', '/x/konnect-audit.mjs']), false);
    assert.equal(isListenerCommand(['node', '/x/other.mjs', 'listen']), false);
    assert.equal(isListenerCommand(['node', '/x/konnect-audit.mjs.bak', 'listen']), false);
    assert.equal(isListenerCommand(['python3', '/x/konnect-audit.mjs', 'listen']), false);
    assert.equal(isListenerCommand(['bash', '-c', 'konnect-audit listen']), false);
    assert.equal(isListenerCommand(['kongctl', 'listen']), false);
    assert.equal(isListenerCommand([]), false);
  });
});

describe('statusOf', { skip: !linux && 'needs /proc' }, () => {
  test('a live listener with the recorded start time is running, or starting while it says so', async () => {
    const child = await children.spawnReady([await children.fakeCli(), 'listen']);
    const ticks = startTimeTicks(child.pid)!;
    assert.equal(statusOf(recordFor(child.pid, ticks)), 'running');
    assert.equal(statusOf(recordFor(child.pid, ticks, { state: 'running' })), 'running');
    assert.equal(statusOf(recordFor(child.pid, ticks, { state: 'starting' })), 'starting');
    assert.equal(statusOf(recordFor(child.pid, null)), 'running');
  });

  test('a live pid with another start time, another command line, or an unreadable record is stale', async () => {
    const listener = await children.spawnReady([await children.fakeCli(), 'listen']);
    const ticks = startTimeTicks(listener.pid)!;
    assert.equal(statusOf(recordFor(listener.pid, ticks + 1)), 'stale');
    assert.equal(statusOf(recordFor(listener.pid, ticks, { kind: '', state: 'failed', error: 'unreadable process record: x' })), 'stale');
    const other = await children.spawnReady(['-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 1 << 30)"]);
    assert.equal(statusOf(recordFor(other.pid, startTimeTicks(other.pid)!)), 'stale');
  });

  test('a gone pid is exited, or failed if its record says so', async () => {
    const dead = await children.deadPid();
    assert.equal(statusOf(recordFor(dead, 1)), 'exited');
    assert.equal(statusOf(recordFor(dead, 1, { state: 'running' })), 'exited');
    assert.equal(statusOf(recordFor(dead, 1, { state: 'failed', error: 'bind failed' })), 'failed');
  });

  test('a zombie (exited, not yet reaped: kill(pid, 0) still succeeds) is exited', async () => {
    // `sleep 0` becomes a child of `sleep 1000`, which never reaps it.
    const zombie = Number(await children.shellFirstLine('sleep 0 & echo $!; exec sleep 1000'));
    await waitFor(() => readStat(zombie)?.state === 'Z', 10_000, `pid ${zombie} to be a zombie`);
    assert.equal(isAlive(zombie), true);
    assert.equal(statusOf(recordFor(zombie, startTimeTicks(zombie)!)), 'exited');
  });
});

describe('findUnmanaged', { skip: !linux && 'needs /proc' }, () => {
  test('a listener without a record is unmanaged (args redacted); with a matching record it is not; with a stale one it is', async () => {
    const script = await children.fakeCli();
    const child = await children.spawnReady([script, 'listen', '--authorization', 'Bearer s3cret', '--pat=kpat_x']);
    const ticks = startTimeTicks(child.pid)!;
    const mine = (records: ProcessRecord[]) => findUnmanaged(records).filter((p) => p.pid === child.pid);

    assert.deepEqual(mine([]), [{ pid: child.pid, args: [process.execPath, script, 'listen', '--authorization', '<redacted>', '--pat=<redacted>'], startTimeTicks: ticks }]);
    assert.deepEqual(mine([recordFor(child.pid, ticks)]), []);
    assert.deepEqual(mine([recordFor(child.pid, ticks, { state: 'starting' })]), []);
    assert.deepEqual(mine([recordFor(child.pid, ticks + 1)]).map((p) => p.pid), [child.pid]);
  });

  test('processes that are not listeners and the current process are never listed', async () => {
    const script = await children.fakeCli();
    const cleanup = await children.spawnReady([script, 'cleanup']);
    const pids = findUnmanaged([]).map((p) => p.pid);
    assert.equal(pids.includes(cleanup.pid), false);
    assert.equal(pids.includes(process.pid), false);
  });
});
