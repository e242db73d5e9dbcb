import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { acquireProfileLock } from '../store/lock.js';
import { profilePaths } from '../store/paths.js';
import { PullStore, StoreBusyError } from './store.js';

const dirs: string[] = [];
function paths() {
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-pull-store-'));
  dirs.push(dir);
  return profilePaths(dir, 'default');
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const RANGE = { fromMs: 0, toMs: Infinity };
const text = (n: number) => `{"type":"authorization","ts":"2026-11-27T12:00:0${n}Z","signature":"s${n}"}`;
const line = (n: number) => ({ record: JSON.parse(text(n)) as Record<string, unknown>, line: text(n) });
const stored = (...ns: number[]) => ns.map((n) => text(n) + '\n').join('');

describe('PullStore', () => {
  test('appends records not stored yet, one line each, and counts those already stored', async () => {
    const p = paths();
    const store = await PullStore.open(p, RANGE, () => {});
    await store.add([line(1), line(2)]);
    await store.add([line(2), line(3), line(3)]);
    await store.close();
    assert.equal(store.stored, 3);
    assert.equal(store.duplicates, 2);
    assert.equal(store.file, p.eventsFile);
    assert.equal(readFileSync(p.eventsFile, 'utf8'), stored(1, 2, 3));
  });

  test('knows what the store held before (the active file and the quarantine), as the listener does', async () => {
    const p = paths();
    const first = await PullStore.open(p, RANGE, () => {});
    await first.add([line(1)]);
    await first.close();
    writeFileSync(p.quarantineFile, stored(2));
    const second = await PullStore.open(p, RANGE, () => {});
    await second.add([line(1), line(2), line(3)]);
    await second.close();
    assert.equal(second.stored, 1);
    assert.equal(second.duplicates, 2);
    assert.equal(readFileSync(p.eventsFile, 'utf8'), stored(1, 3));
  });

  test('skips records whose event the store holds as a webhook record (the listener received it), within the range', async () => {
    const p = paths();
    // The webhook shape of the pull record below: same type, time, trace, principal, address, agent, action, resource, granted.
    const webhook = '{"action":"list","event_ts":"2026-11-27T12:00:01Z","granted":true,"name":"Authz.control-planes","principal_id":"p","rt":1795780801000,"src":"127.0.0.6","trace_id":3895213347334635099,"user_agent":"ua","sig":"x"}';
    mkdirSync(p.dir, { recursive: true });
    writeFileSync(p.eventsFile, webhook + '\n');
    const pulledText = '{"type":"authorization","resource":"krn:konnect:org/o:control-planes","action":"list","granted":true,"principal_id":"p","ts":"2026-11-27T12:00:01Z","client_ip":"127.0.0.6","user_agent":"ua","trace_id":"3895213347334635099","signature":"s"}';
    const pulledLine = { record: JSON.parse(pulledText) as Record<string, unknown>, line: pulledText };
    const outOfRange = await PullStore.open(p, { fromMs: Date.parse('2026-11-27T13:00:00Z'), toMs: Infinity }, () => {});
    await outOfRange.add([pulledLine]);
    await outOfRange.close();
    assert.equal(outOfRange.stored, 1, 'the webhook record lies outside the range: not indexed');
    writeFileSync(p.eventsFile, webhook + '\n');
    const store = await PullStore.open(p, { fromMs: Date.parse('2026-11-27T12:00:00Z'), toMs: Date.parse('2026-11-27T12:00:02Z') }, () => {});
    await store.add([pulledLine, line(3)]);
    await store.close();
    assert.deepEqual([store.stored, store.sameEvents, store.duplicates], [1, 1, 1]);
    assert.equal(readFileSync(p.eventsFile, 'utf8'), webhook + '\n' + stored(3));
  });

  test('refuses while another process holds the profile (a listener), and releases the lock on close', async () => {
    const p = paths();
    const held = await acquireProfileLock(p.lockFile);
    // Our own pid holds it: alive, so it counts as a running listener.
    await assert.rejects(PullStore.open(p, RANGE, () => {}), (error: unknown) => error instanceof StoreBusyError && /replay --since/.test(error.message) && error.message.includes(`pid ${process.pid}`));
    await held.release();
    const store = await PullStore.open(p, RANGE, () => {});
    await store.close();
    const again = await acquireProfileLock(p.lockFile);
    await again.release();
  });
});
