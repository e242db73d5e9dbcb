import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RangeCounter, recordInRange } from './rangeCount.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-27T06:00:00Z');
const RANGE = { startMs: START, endMs: START + 6 * HOUR };
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-rangecount-'));
  dirs.push(dir);
  return dir;
}

const json = (rt: number, n = 0) => `{"name":"Ingress","n":${n},"rt":${rt}}`;
const lines = (...records: string[]) => records.map((r) => `${r}\n`).join('');

describe('recordInRange', () => {
  test('uses rt, else event_ts; both ends are inclusive', () => {
    assert.equal(recordInRange(json(RANGE.startMs), RANGE), true);
    assert.equal(recordInRange(json(RANGE.endMs), RANGE), true);
    assert.equal(recordInRange(json(RANGE.startMs - 1), RANGE), false);
    assert.equal(recordInRange(json(RANGE.endMs + 1), RANGE), false);
    assert.equal(recordInRange('{"event_ts":"2026-11-27T07:00:00Z","name":"x"}', RANGE), true);
  });

  test('reads CEF records', () => {
    const cef = `2026-11-27T07:00:00Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=${START + HOUR} src=127.0.0.6 action=list granted=true`;
    assert.equal(recordInRange(cef, RANGE), true);
  });

  test('a record without a time, or that cannot be read, is not in any range', () => {
    assert.equal(recordInRange('{"name":"x"}', RANGE), false);
    assert.equal(recordInRange('not a record', RANGE), false);
  });
});

describe('RangeCounter', () => {
  test('counts records in range across a gzip segment, a plain segment and events.jsonl', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'events-20261127T050000Z-20261127T070000Z.jsonl.gz'), gzipSync(lines(json(START - HOUR), json(START + HOUR, 1))));
    writeFileSync(join(dir, 'events-20261127T070000Z-20261127T080000Z.jsonl'), lines(json(START + 2 * HOUR, 2), json(START + 2 * HOUR, 3)));
    writeFileSync(join(dir, 'events.jsonl'), lines(json(START + 3 * HOUR, 4), json(RANGE.endMs + 1), '{"name":"no time"}'));
    assert.equal(await new RangeCounter(dir, RANGE).count(), 4);
  });

  test('does not open segments received wholly before the range', async () => {
    const dir = tempDir();
    // Not gzip nor records: reading it would count nothing, but must not happen at all (a gzip name with bad bytes would throw).
    writeFileSync(join(dir, 'events-20261126T000000Z-20261126T235959Z.jsonl.gz'), 'garbage that is not gzip');
    writeFileSync(join(dir, 'events.jsonl'), lines(json(START + HOUR)));
    assert.equal(await new RangeCounter(dir, RANGE).count(), 1);
  });

  test('counts again: appended records, a line still being written, rotation', async () => {
    const dir = tempDir();
    const active = join(dir, 'events.jsonl');
    writeFileSync(active, lines(json(START + HOUR, 1)));
    const counter = new RangeCounter(dir, RANGE);
    assert.equal(await counter.count(), 1);
    appendFileSync(active, lines(json(START + HOUR, 2)) + json(START + HOUR, 3).slice(0, 10));
    assert.equal(await counter.count(), 2, 'a torn last line is not counted yet');
    appendFileSync(active, json(START + HOUR, 3).slice(10) + '\n');
    assert.equal(await counter.count(), 3, 'and is counted once complete');
    renameSync(active, join(dir, 'events-20261127T120000Z-20261127T130000Z.jsonl'));
    writeFileSync(active, lines(json(START + HOUR, 4)));
    assert.equal(await counter.count(), 4, 'after rotation');
  });

  test('an empty or missing profile directory holds 0', async () => {
    assert.equal(await new RangeCounter(join(tempDir(), 'missing'), RANGE).count(), 0);
  });
});
