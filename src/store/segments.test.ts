import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { segmentMayHoldSince, segmentTimeRange } from './segments.js';

describe('segmentTimeRange', () => {
  test('parses plain and gzip segment names, and paths', () => {
    const want = { first: Date.parse('2026-11-27T17:12:48Z'), last: Date.parse('2026-11-27T18:00:01Z') };
    assert.deepEqual(segmentTimeRange('events-20261127T171248Z-20261127T180001Z.jsonl'), want);
    assert.deepEqual(segmentTimeRange('events-20261127T171248Z-20261127T180001Z.jsonl.gz'), want);
    assert.deepEqual(segmentTimeRange('/data/default/events-20261127T171248Z-20261127T180001Z.jsonl.gz'), want);
  });

  test('other names are unknown', () => {
    for (const name of [
      'events.jsonl',
      'events-20250101T000000Z.jsonl.gz',
      'events-20261127T171248Z-20261127T180001Z.json',
      'events-20261127T171248-20261127T180001Z.jsonl',
      'events-20261127T171248Z-20261127T180001Z.jsonl.gz.tmp',
      'x-events-20261127T171248Z-20261127T180001Z.jsonl',
      'events-20260230T000000Z-20260301T000000Z.jsonl', // no 30 February
      'events-20261127T250000Z-20261127T260000Z.jsonl',
      'events-20261127T180001Z-20261127T171248Z.jsonl', // last before first
    ]) assert.equal(segmentTimeRange(name), undefined, name);
  });
});

describe('segmentMayHoldSince', () => {
  const name = 'events-20261127T171248Z-20261127T180001Z.jsonl.gz';
  test('skips only segments received wholly before since', () => {
    assert.equal(segmentMayHoldSince(name, Date.parse('2026-11-27T18:00:02Z')), false);
    // The name has whole seconds: a record received at 18:00:01.999 may be in it.
    assert.equal(segmentMayHoldSince(name, Date.parse('2026-11-27T18:00:01.999Z')), true);
    assert.equal(segmentMayHoldSince(name, Date.parse('2026-11-27T17:00:00Z')), true);
    assert.equal(segmentMayHoldSince('events-other.jsonl', Date.now() + 1e9), true);
  });
});
