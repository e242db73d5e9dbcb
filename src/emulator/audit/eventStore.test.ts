import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '../../records/event.js';
import { EventStore, RETENTION_MS, type StoredEvent } from './eventStore.js';

const event = {} as AuditEvent;
let seq = 0;
const at = (rt: number): StoredEvent => ({ seq: ++seq, rt, portalId: undefined, kind: 'authorization', event });

test('events stay in time order when added out of order', () => {
  const store = new EventStore(100);
  store.add([at(10), at(20), at(30)]);
  store.add([at(25), at(5)]);
  store.add([at(40)]);
  assert.deepEqual(store.range(0, 100).map((e) => e.rt), [5, 10, 20, 25, 30, 40]);
});

test('range is inclusive at both ends and filters', () => {
  const store = new EventStore(100);
  store.add([at(1), at(2), at(3), at(4)]);
  assert.deepEqual(store.range(2, 3).map((e) => e.rt), [2, 3]);
  assert.deepEqual(store.range(0, 9, (e) => e.rt % 2 === 0).map((e) => e.rt), [2, 4]);
});

test('the count cap drops the oldest; prune drops what is older than 7 days', () => {
  const store = new EventStore(3);
  store.add([at(1), at(2), at(3), at(4)]);
  assert.deepEqual(store.range(0, 9).map((e) => e.rt), [2, 3, 4]);
  const now = 10 * RETENTION_MS;
  const aged = new EventStore(100);
  aged.add([at(now - RETENTION_MS - 1), at(now - RETENTION_MS), at(now)]);
  aged.prune(now);
  assert.deepEqual(aged.range(0, now).map((e) => e.rt), [now - RETENTION_MS, now]);
});

test('pages after and before a key walk every event exactly once, including equal times', () => {
  const store = new EventStore(100);
  store.add([1, 1, 1, 2, 2, 3, 4, 4, 5].map(at));
  const all = store.range(0, 9);
  const forward: StoredEvent[] = [];
  let key = { rt: 0, seq: -1 };
  for (;;) {
    const page = store.pageAfter(key, 9, 2, () => true);
    if (page.length === 0) break;
    forward.push(...page);
    key = page[page.length - 1]!;
  }
  assert.deepEqual(forward.map((e) => e.seq), all.map((e) => e.seq));
  const last = all[all.length - 1]!;
  assert.deepEqual(store.pageBefore(last, 0, 3, () => true).map((e) => e.seq), all.slice(-4, -1).map((e) => e.seq));
});
