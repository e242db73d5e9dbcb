import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SEGMENT_COUNTS_FILE, segmentRecordCounts } from './segmentCounts.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'status-counts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A counter that records which files it was asked to count (every file holds `n` per line). */
function counter() {
  const asked: string[] = [];
  const count = (file: string) => {
    asked.push(file);
    return Promise.resolve(Number(file.match(/(\d+)\.jsonl/)?.[1] ?? 0));
  };
  return { asked, count };
}

const segment = (n: number) => join(dir, `events-20261127T00000${n}Z-20261127T00000${n}Z-${n}.jsonl.gz`);

describe('segmentRecordCounts', () => {
  it('counts each .gz segment once; plain files every time', async () => {
    const files = [segment(1), segment(2), join(dir, 'events-3.jsonl'), join(dir, 'events.jsonl')];
    for (const f of files) await writeFile(f, gzipSync('x\n'));
    const first = counter();
    assert.deepEqual(await segmentRecordCounts(dir, files, first.count), [1, 2, 3, 0]);
    assert.deepEqual(first.asked.sort(), [...files].sort());
    assert.equal((await stat(join(dir, SEGMENT_COUNTS_FILE))).mode & 0o777, 0o600);
    const again = counter();
    assert.deepEqual(await segmentRecordCounts(dir, files, again.count), [1, 2, 3, 0]);
    assert.deepEqual(again.asked.sort(), files.slice(2).sort(), 'the .gz segments came from the cache');
  });

  it('recounts a segment whose size or mtime changed, and forgets segments that are gone', async () => {
    await writeFile(segment(1), gzipSync('a\n'));
    await writeFile(segment(2), gzipSync('b\n'));
    await segmentRecordCounts(dir, [segment(1), segment(2)], counter().count);
    await writeFile(segment(1), gzipSync('a longer body\n'));
    const past = new Date(Date.now() - 60_000);
    await utimes(segment(2), past, past);
    const recount = counter();
    await segmentRecordCounts(dir, [segment(1), segment(2)], recount.count);
    assert.deepEqual(recount.asked.sort(), [segment(1), segment(2)]);
    await segmentRecordCounts(dir, [segment(2)], counter().count);
    assert.deepEqual(Object.keys(JSON.parse(await readFile(join(dir, SEGMENT_COUNTS_FILE), 'utf8')) as object), [segment(2).slice(dir.length + 1)]);
  });

  it('a corrupt cache is ignored and replaced; a missing segment counts 0', async () => {
    await writeFile(segment(1), gzipSync('a\n'));
    await writeFile(join(dir, SEGMENT_COUNTS_FILE), '{"events-x.jsonl.gz": {"size": "big"}, ');
    const c = counter();
    assert.deepEqual(await segmentRecordCounts(dir, [segment(1), segment(4)], c.count), [1, 0]);
    assert.deepEqual(c.asked, [segment(1)]);
    assert.ok(JSON.parse(await readFile(join(dir, SEGMENT_COUNTS_FILE), 'utf8')));
  });

  it('a cache it cannot write does not stop the counting', async () => {
    await writeFile(segment(1), gzipSync('a\n'));
    await mkdir(join(dir, SEGMENT_COUNTS_FILE, 'occupied'), { recursive: true }); // renaming a file over a non-empty dir fails, even as root
    const c = counter();
    assert.deepEqual(await segmentRecordCounts(dir, [segment(1)], c.count), [1]);
    assert.deepEqual(await segmentRecordCounts(dir, [segment(1)], c.count), [1]);
    assert.deepEqual(c.asked, [segment(1), segment(1)], 'counted each time, as before the cache');
  });
});
