import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../errors.js';
import { replaySettings } from './replayRun.js';

const NOW = Date.parse('2026-11-27T12:00:00.250Z');
const DAY = 86_400_000;

describe('replaySettings', () => {
  test('--since 6h: six hours up to now, widened to whole seconds; defaults for the rest', () => {
    const s = replaySettings({ since: '6h' }, NOW);
    assert.deepEqual(s.range, { startMs: Date.parse('2026-11-27T06:00:00Z'), endMs: Date.parse('2026-11-27T12:00:01Z') });
    assert.deepEqual(s.scope, {});
    assert.equal(s.wait, true);
    assert.equal(s.pollMs, 1000);
    assert.equal(s.timeoutMs, 30 * 60_000);
    assert.equal(s.settleMs, 2000);
    assert.equal(s.output, 'text');
    assert.equal(s.clampedFrom, undefined);
  });

  test('--start-time/--end-time are taken as given', () => {
    const s = replaySettings({ startTime: '2026-11-27T06:00:00Z', endTime: '2026-11-27T08:00:00Z' }, NOW);
    assert.deepEqual(s.range, { startMs: Date.parse('2026-11-27T06:00:00Z'), endMs: Date.parse('2026-11-27T08:00:00Z') });
  });

  test('more than 7 days back is a usage error saying Konnect keeps 7 days', () => {
    assert.throws(
      () => replaySettings({ since: '8d' }, NOW),
      (error: Error) => error instanceof UsageError && error.command === 'replay' && /more than 7 days ago: Konnect keeps audit events for 7 days, so the earliest start now is 2026-11-20T12:00:00\.250Z/.test(error.message),
    );
    assert.throws(() => replaySettings({ startTime: '2026-11-20T11:59:59Z' }, NOW), /Konnect keeps audit events for 7 days/);
  });

  test('--since 7d (all Konnect keeps) is moved a minute inside the limit, so it is not stale on arrival', () => {
    const s = replaySettings({ since: '7d' }, NOW);
    assert.equal(s.clampedFrom, NOW - 7 * DAY);
    assert.equal(s.range.startMs, Date.parse('2026-11-20T12:01:00Z'));
  });

  test('an end in the future, or no start, is a usage error', () => {
    assert.throws(() => replaySettings({ since: '1h', until: '2026-11-27T13:00:00Z' }, NOW), /is in the future/);
    assert.throws(() => replaySettings({}, NOW), /give the start of the range/);
  });

  test('--portal-id must be a UUID (kept lower-case); durations must be valid and positive (--settle may be 0)', () => {
    assert.deepEqual(replaySettings({ since: '1h', portalId: '9CB77DC2-FF99-4D47-84AB-7C5C1B3EF939' }, NOW).scope, { portalId: '9cb77dc2-ff99-4d47-84ab-7c5c1b3ef939' });
    assert.throws(() => replaySettings({ since: '1h', portalId: 'default' }, NOW), /--portal-id.*UUID/);
    assert.throws(() => replaySettings({ since: '1h', pollInterval: '0s' }, NOW), /--poll-interval "0s": must be more than 0/);
    assert.throws(() => replaySettings({ since: '1h', timeout: 'soon' }, NOW), /invalid --timeout "soon"/);
    assert.equal(replaySettings({ since: '1h', settle: '0' }, NOW).settleMs, 0);
    assert.equal(replaySettings({ since: '1h', wait: false }, NOW).wait, false);
  });
});
