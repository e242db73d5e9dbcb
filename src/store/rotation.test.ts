import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openEventLog } from './eventLog.js';
import { applyRetention, compressSegment, repairSegments, segmentName, timeStamp } from './rotation.js';
import { segmentTimeRange } from './segments.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'konnect-audit-rotation-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 10, 27, 17, 0, 0);
const recs = (...names: string[]) => names.map((n) => Buffer.from(`{"n":"${n}"}`));
const segments = () => readdirSync(dir).filter((n) => n.startsWith('events-')).sort();

describe('segment names', () => {
  test('carry the receive-time range that segmentTimeRange reads back', () => {
    assert.equal(timeStamp(Date.UTC(2026, 10, 27, 17, 12, 48, 999)), '20261127T171248Z');
    const name = segmentName(T0, T0 + 3_600_000);
    assert.equal(name, 'events-20261127T170000Z-20261127T180000Z.jsonl');
    assert.deepEqual(segmentTimeRange(name), { first: T0, last: T0 + 3_600_000 });
  });
});

describe('rotation of the events log', () => {
  test('by size: the file becomes a named segment before the write that follows, nothing lost or repeated', async () => {
    let now = T0;
    const rotated: string[] = [];
    const log = await openEventLog(join(dir, 'events.jsonl'), { rotateBytes: 20, now: () => now, onRotated: (p) => rotated.push(p) });
    await log.append(recs('a', 'b'));
    now += 5_000;
    await log.append(recs('c'));
    now += 5_000;
    await log.append(recs('d'));
    await log.close();
    assert.equal(log.rotations, 1);
    assert.deepEqual(segments(), ['events-20261127T170000Z-20261127T170005Z.jsonl']);
    assert.deepEqual(rotated, [join(dir, segments()[0]!)]);
    assert.equal(readFileSync(join(dir, segments()[0]!), 'utf8'), '{"n":"a"}\n{"n":"b"}\n');
    assert.equal(readFileSync(join(dir, 'events.jsonl'), 'utf8'), '{"n":"c"}\n{"n":"d"}\n');
    assert.equal(statSync(join(dir, 'events.jsonl')).mode & 0o777, 0o600);
  });

  test('by interval, from a timer, between writes; names stay unique and ordered within one second', async () => {
    let now = T0;
    const log = await openEventLog(join(dir, 'events.jsonl'), { rotateIntervalMs: 60_000, rotateBytes: 1, now: () => now });
    await log.append(recs('a'));
    await log.append(recs('b')); // size rotation, same second
    await log.append(recs('c')); // and again
    assert.deepEqual(segments(), ['events-20261127T170000Z-20261127T170000Z.jsonl', 'events-20261127T170000Z-20261127T170001Z.jsonl']);
    await log.close();
    const timed = await openEventLog(join(dir, 'events.jsonl'), { rotateIntervalMs: 60_000, now: () => now });
    assert.equal(await timed.rotateIfDue(), undefined, 'not yet');
    now += 61_000;
    const [pending] = [timed.append(recs('d'))];
    const segment = await timed.rotateIfDue();
    await pending;
    assert.ok(segment === undefined || existsSync(segment));
    await timed.close();
    const all = segments().flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean));
    all.push(...readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean));
    assert.deepEqual(all, ['{"n":"a"}', '{"n":"b"}', '{"n":"c"}', '{"n":"d"}']);
    assert.deepEqual(segments(), [...segments()].sort(), 'names sort in receive order');
  });

  test('by interval: rotateIfDue closes a file whose first record is older than the interval, and only then', async () => {
    let now = T0;
    const log = await openEventLog(join(dir, 'events.jsonl'), { rotateIntervalMs: 3_600_000, now: () => now });
    assert.equal(await log.rotateIfDue(), undefined, 'an empty file is never rotated');
    await log.append(recs('a'));
    now = T0 + 3_599_000;
    assert.equal(await log.rotateIfDue(), undefined, 'not yet');
    now = T0 + 3_600_000;
    const segment = await log.rotateIfDue();
    assert.equal(segment, join(dir, 'events-20261127T170000Z-20261127T180000Z.jsonl'));
    await log.append(recs('b'));
    await log.close();
    assert.equal(readFileSync(segment, 'utf8'), '{"n":"a"}\n');
    assert.equal(readFileSync(join(dir, 'events.jsonl'), 'utf8'), '{"n":"b"}\n');
  });

    test('a crash between the rename and the new file leaves a segment and no active file: the next open starts one', async () => {
    writeFileSync(join(dir, 'events-20261127T170000Z-20261127T170005Z.jsonl'), '{"n":"a"}\n');
    const log = await openEventLog(join(dir, 'events.jsonl'), { rotateBytes: 1, now: () => T0 });
    await log.append(recs('b'));
    await log.append(recs('c'));
    await log.close();
    // The new segment ends after the old one, though the clock says earlier.
    assert.deepEqual(segments(), ['events-20261127T170000Z-20261127T170005Z.jsonl', 'events-20261127T170000Z-20261127T170006Z.jsonl']);
  });
});

describe('compression and repair', () => {
  test('compressSegment leaves only the .gz, which holds the same bytes', async () => {
    const plain = join(dir, 'events-20261127T170000Z-20261127T170005Z.jsonl');
    writeFileSync(plain, '{"n":"a"}\n{"n":"b"}\n');
    const gz = (await compressSegment(plain))!;
    assert.equal(existsSync(plain), false);
    assert.equal(gunzipSync(readFileSync(gz)).toString(), '{"n":"a"}\n{"n":"b"}\n');
    assert.equal(statSync(gz).mode & 0o777, 0o600);
  });

  test('a segment deleted before its turn to be compressed is skipped, leaving no partial file', async () => {
    assert.equal(await compressSegment(join(dir, 'events-20261127T170000Z-20261127T170005Z.jsonl')), undefined);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('repairSegments settles every state a crash can leave', async () => {
    const name = (i: number) => `events-20261127T17000${i}Z-20261127T17000${i}Z.jsonl`;
    writeFileSync(join(dir, name(1)), 'partial-compression\n');
    writeFileSync(join(dir, `${name(1)}.gz.tmp`), 'garbage');
    writeFileSync(join(dir, name(2)), 'both-present\n');
    writeFileSync(join(dir, `${name(2)}.gz`), gzipSync('both-present\n'));
    writeFileSync(join(dir, name(3)), 'never-compressed\n');
    writeFileSync(join(dir, 'events.jsonl'), 'active\n');
    const compressed = await repairSegments(dir);
    assert.deepEqual(compressed.map((p) => p.slice(dir.length + 1)), [`${name(1)}.gz`, `${name(3)}.gz`]);
    assert.deepEqual(readdirSync(dir).sort(), [`${name(1)}.gz`, `${name(2)}.gz`, `${name(3)}.gz`, 'events.jsonl']);
    assert.equal(gunzipSync(readFileSync(join(dir, `${name(1)}.gz`))).toString(), 'partial-compression\n');
    assert.equal(readFileSync(join(dir, 'events.jsonl'), 'utf8'), 'active\n');
  });
});

describe('retention', () => {
  const day = 86_400_000;
  const make = (firstMs: number, lastMs: number, bytes: number) => writeFileSync(join(dir, `${segmentName(firstMs, lastMs)}.gz`), Buffer.alloc(bytes));

  test('by age: segments whose last receipt is older than the limit go, oldest first; the active file stays', async () => {
    make(T0 - 10 * day, T0 - 9 * day, 10);
    make(T0 - 9 * day, T0 - 2 * day, 10);
    make(T0 - 2 * day, T0 - day, 10);
    writeFileSync(join(dir, 'events.jsonl'), 'x\n');
    const deleted = await applyRetention(dir, { retainMs: 3 * day }, T0);
    assert.equal(deleted.length, 1);
    assert.equal(segments().length, 2);
    assert.ok(existsSync(join(dir, 'events.jsonl')));
  });

  test('by size: the oldest segments go until the rest fit', async () => {
    make(T0 - 3 * day, T0 - 2 * day, 100);
    make(T0 - 2 * day, T0 - day, 100);
    make(T0 - day, T0, 100);
    assert.equal((await applyRetention(dir, { retainBytes: 250 }, T0)).length, 1);
    assert.equal((await applyRetention(dir, { retainBytes: 250 }, T0)).length, 0);
    assert.deepEqual(await applyRetention(dir, {}, T0), []);
  });
});
