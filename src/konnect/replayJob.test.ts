import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { KonnectClient } from './client.js';
import { checkReplayRange, ReplayConflictError, ReplayRangeError, requestReplay, RETENTION_MS, watchReplayJob } from './replayJob.js';
import type { ReplayJobStatus } from './types.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const HOUR = 3_600_000;

describe('checkReplayRange', () => {
  test('accepts a range within the last 7 days, start == end, and an end up to a minute ahead', () => {
    checkReplayRange({ startMs: NOW - 6 * HOUR, endMs: NOW }, NOW);
    checkReplayRange({ startMs: NOW - RETENTION_MS, endMs: NOW - RETENTION_MS }, NOW);
    checkReplayRange({ startMs: NOW - HOUR, endMs: NOW + 60_000 }, NOW);
  });

  test('refuses a reversed range, a future end, and a start past 7 days, saying why', () => {
    assert.throws(() => checkReplayRange({ startMs: NOW - HOUR, endMs: NOW - 2 * HOUR }, NOW), (e: unknown) => e instanceof ReplayRangeError && /is after the end/.test(e.message));
    assert.throws(() => checkReplayRange({ startMs: NOW - HOUR, endMs: NOW + 61_000 }, NOW), /is in the future/);
    assert.throws(
      () => checkReplayRange({ startMs: NOW - RETENTION_MS - 1000, endMs: NOW }, NOW),
      /more than 7 days ago: Konnect keeps audit events for 7 days, so the earliest start now is 2026-11-20T12:00:00Z/,
    );
  });
});

describe('requestReplay and watchReplayJob against the emulator', () => {
  let slow: Emulator;
  let fast: Emulator;
  before(async () => {
    // timeScale 100: a job stays accepted for 100 s, long enough to meet the 409; 0.01: it ends at once.
    slow = await startEmulator({ port: 0, timeScale: 100 });
    fast = await startEmulator({ port: 0, timeScale: 0.01 });
  });
  after(async () => {
    await slow.stop();
    await fast.stop();
  });
  const client = (e: Emulator) => new KonnectClient({ baseUrl: e.baseUrl, token: e.token });
  const bindInline = (e: Emulator) => client(e).updateWebhook({ endpoint: 'http://127.0.0.1:9/in', authorization: 'Bearer x', log_format: 'json', enabled: true });

  test('a 409 for our own range (an earlier attempt of the same PUT) is our job; for another range, ReplayConflictError names the job', async () => {
    await bindInline(slow);
    const now = Date.now();
    const range = { startMs: Math.floor((now - HOUR) / 1000) * 1000, endMs: Math.floor(now / 1000) * 1000 };
    const first = await requestReplay(client(slow), {}, range);
    assert.equal(first.status, 'accepted');
    const again = await requestReplay(client(slow), {}, range);
    assert.deepEqual(again, first);
    await assert.rejects(requestReplay(client(slow), {}, { startMs: range.startMs - HOUR, endMs: range.endMs }), (e: unknown) => {
      assert.ok(e instanceof ReplayConflictError);
      assert.equal(e.job?.status, 'accepted');
      assert.match(e.message, /a replay job is already accepted \(.+ to .+\); Konnect runs one at a time/);
      return true;
    });
  });

  test('watchReplayJob reports each state change until the job ends; an aborted watch returns the last job seen', async () => {
    await bindInline(fast);
    const now = Date.now();
    const job = await requestReplay(client(fast), {}, { startMs: now - HOUR, endMs: now });
    const states: ReplayJobStatus[] = [];
    const end = await watchReplayJob(client(fast), {}, job, { intervalMs: 5, onState: (j) => states.push(j.status) });
    assert.ok(['completed', 'failed'].includes(end.status));
    assert.equal(states[0], 'accepted');
    assert.equal(states.at(-1), end.status);
    assert.equal(new Set(states).size, states.length, 'each state reported once');

    const stop = new AbortController();
    // The slow emulator's job from the test before still holds the region: watch that one.
    const held = await requestReplay(client(slow), {}, { startMs: now - 2 * HOUR, endMs: now }).catch((e: unknown) => {
      if (e instanceof ReplayConflictError && e.job) return e.job;
      throw e;
    });
    setImmediate(() => stop.abort());
    const last = await watchReplayJob(client(slow), {}, held, { intervalMs: 10_000, signal: stop.signal });
    assert.equal(last.status, 'accepted');
  });
});
