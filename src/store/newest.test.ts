import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { NEWEST_WINDOW, newestRecord } from './newest.js';

const json = (rt: number) => JSON.stringify({ name: 'Authz.x', event_class_id: 'iam', rt, sig: 'x' });

describe('newestRecord', () => {
  it('finds the newest time in events.jsonl, else the newest segment; undefined for an empty store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'newest-'));
    try {
      assert.equal(await newestRecord(dir), undefined);
      await writeFile(join(dir, 'events-20260101T000000Z-20260101T010000Z.jsonl.gz'), gzipSync(`${json(1000)}\n${json(3000)}\n${json(2000)}\n`));
      await writeFile(join(dir, 'events.jsonl'), '');
      assert.deepEqual(await newestRecord(dir), { timeMs: 3000, file: join(dir, 'events-20260101T000000Z-20260101T010000Z.jsonl.gz') });
      // Out of order and with a line that is not a record: the newest time wins, the junk is skipped.
      await writeFile(join(dir, 'events.jsonl'), `${json(5000)}\nnot a record\n${json(4000)}\n{"ts":"1970-01-01T00:00:04.5Z","type":"authentication"}\n`);
      assert.equal((await newestRecord(dir))?.timeMs, 5000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('looks only at the last NEWEST_WINDOW records of a large plain file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'newest-'));
    try {
      const lines = [json(9_999_999)];
      for (let i = 0; i < NEWEST_WINDOW + 10; i++) lines.push(json(10_000 + i));
      await writeFile(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
      assert.equal((await newestRecord(dir))?.timeMs, 10_000 + NEWEST_WINDOW + 9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
