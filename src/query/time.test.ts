import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../cli/errors.js';
import { parseRfc3339, parseTimeFlag, recordTime } from './time.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('parseTimeFlag', () => {
  test('durations back from now', () => {
    assert.equal(parseTimeFlag('90m', '--since', NOW), NOW - 90 * 60_000);
    assert.equal(parseTimeFlag('6h', '--since', NOW), NOW - 6 * 3_600_000);
    assert.equal(parseTimeFlag('7d', '--since', NOW), NOW - 7 * 86_400_000);
    assert.equal(parseTimeFlag('30s', '--until', NOW), NOW - 30_000);
    assert.equal(parseTimeFlag('1.5h', '--until', NOW), NOW - 5_400_000);
    assert.equal(parseTimeFlag('2w', '--until', NOW), NOW - 14 * 86_400_000);
  });

  test('RFC 3339 times', () => {
    assert.equal(parseTimeFlag('2026-11-27T17:12:48Z', '--since', NOW), Date.parse('2026-11-27T17:12:48Z'));
    assert.equal(parseTimeFlag('2026-11-27T17:12:48.250+01:00', '--since', NOW), Date.parse('2026-11-27T16:12:48.250Z'));
    assert.equal(parseTimeFlag('2026-11-27 17:12:48z', '--since', NOW), Date.parse('2026-11-27T17:12:48Z'));
    assert.equal(parseTimeFlag('2026-11-27', '--since', NOW), Date.parse('2026-11-27T00:00:00Z'));
  });

  test('bad values are usage errors naming the flag with an example', () => {
    for (const bad of ['', 'yesterday', '6', '6x', '-6h', '2026-11-27T17:12:48', '2026-02-30T00:00:00Z', '2026-13-01', '2026-11-27T24:00:00Z']) {
      assert.throws(
        () => parseTimeFlag(bad, '--until', NOW),
        (e: unknown) => e instanceof UsageError && e.message.includes('"--until"') && e.message.includes('6h') && e.message.includes('2026-11-27T17:12:48Z'),
        bad,
      );
    }
  });
});

describe('recordTime', () => {
  test('rt wins, as a number or numeric string', () => {
    assert.equal(recordTime({ rt: 1684196881193, event_ts: '2020-01-01T00:00:00Z' }), 1684196881193);
    assert.equal(recordTime({ rt: '1684196881193' }), 1684196881193);
  });
  test('else event_ts', () => {
    assert.equal(recordTime({ rt: '3958q3097698', event_ts: '2025-05-19T00:03:39Z' }), Date.parse('2025-05-19T00:03:39Z'));
    assert.equal(recordTime({ event_ts: '2025-05-19T00:03:39Z' }), Date.parse('2025-05-19T00:03:39Z'));
  });
  test('else none', () => {
    assert.equal(recordTime({}), undefined);
    assert.equal(recordTime({ event_ts: 'Apr 14 05:39:08' }), undefined);
    assert.equal(recordTime({ rt: true }), undefined);
    assert.equal(parseRfc3339('nope'), undefined);
  });
});
