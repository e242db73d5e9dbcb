import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { settledCount } from './settle.js';

/** A counter returning the given counts in turn (the last one again once they run out), on a fake clock. */
function fake(counts: number[]) {
  let now = 0;
  let calls = 0;
  return {
    count: () => Promise.resolve(counts[Math.min(calls++, counts.length - 1)]!),
    now: () => now,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    calls: () => calls,
  };
}

describe('settledCount', () => {
  test('returns once two counts settleMs apart agree', async () => {
    const f = fake([5, 8, 9, 9, 12]);
    assert.deepEqual(await settledCount(f.count, { settleMs: 100, now: f.now, sleep: f.sleep }), { count: 9, stable: true });
    assert.equal(f.calls(), 4);
  });

  test('settleMs 0 counts once', async () => {
    const f = fake([5, 8]);
    assert.deepEqual(await settledCount(f.count, { settleMs: 0, now: f.now, sleep: f.sleep }), { count: 5, stable: true });
    assert.equal(f.calls(), 1);
  });

  test('gives up at maxMs with the last count, not stable', async () => {
    const f = fake([1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(await settledCount(f.count, { settleMs: 100, maxMs: 250, now: f.now, sleep: f.sleep }), { count: 3, stable: false });
  });

  test('an aborted signal stops the wait', async () => {
    const controller = new AbortController();
    controller.abort();
    const f = fake([1, 2]);
    assert.deepEqual(await settledCount(f.count, { settleMs: 100, signal: controller.signal, now: f.now, sleep: f.sleep }), { count: 1, stable: false });
  });
});
