import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './errors.js';
import { parseTimeRange } from './timeRange.js';

const now = Date.parse('2026-11-27T12:00:00Z');

describe('parseTimeRange', () => {
  it('reads durations and RFC 3339 times under either spelling', () => {
    assert.deepEqual(parseTimeRange({ since: '6h' }, 'replay', now), { startMs: now - 6 * 3_600_000, endMs: now });
    assert.deepEqual(parseTimeRange({ startTime: '2026-11-27T10:00:00Z', endTime: '2026-11-27T11:00:00Z' }, 'replay', now), {
      startMs: Date.parse('2026-11-27T10:00:00Z'),
      endMs: Date.parse('2026-11-27T11:00:00Z'),
    });
    assert.deepEqual(parseTimeRange({}, 'pull', now, 86_400_000), { startMs: now - 86_400_000, endMs: now });
  });

  it('refuses both spellings, a missing start without a default, an empty range and bad values, naming the command', () => {
    for (const [flags, message] of [
      [{ since: '1h', startTime: '2026-11-27T10:00:00Z' }, /--since or --start-time/],
      [{ until: '1h', endTime: '2026-11-27T10:00:00Z' }, /--until or --end-time/],
      [{}, /give the start of the range/],
      [{ since: '1h', until: '2h' }, /the range is empty/],
      [{ since: 'yesterday' }, /invalid argument "yesterday" for "--since" flag/],
    ] as const) {
      assert.throws(() => parseTimeRange(flags, 'replay', now), (e: unknown) => e instanceof UsageError && message.test(e.message) && e.command === 'replay');
    }
  });
});
