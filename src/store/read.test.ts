import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FileFollower } from './follow.js';
import { LineSplitter, readLineBatches, storedEventFiles } from './read.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'read-test-'))));
after(() => rm(dir, { recursive: true, force: true }));

async function readAll(file: string): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for await (const batch of readLineBatches(file)) for (const l of batch) out.push([l.number, l.text]);
  return out;
}

describe('storedEventFiles', () => {
  test('segments by name, plain over a gzip twin, then the active file; nothing for a missing dir', async () => {
    const d = join(dir, 'list');
    await mkdir(d);
    for (const n of ['events.jsonl', 'events-b.jsonl.gz', 'events-a.jsonl', 'events-c.jsonl', 'events-c.jsonl.gz', 'quarantine.jsonl', 'jwks.json']) await writeFile(join(d, n), '');
    assert.deepEqual(await storedEventFiles(d), ['events-a.jsonl', 'events-b.jsonl.gz', 'events-c.jsonl', 'events.jsonl'].map((n) => join(d, n)));
    assert.deepEqual(await storedEventFiles(join(dir, 'missing')), []);
  });
});

describe('readLineBatches', () => {
  test('plain and gzip alike (by magic bytes); blank lines counted, CR dropped, last line without newline kept', async () => {
    const text = '{"a":1}\r\n\n  \n{"b":2}\n{"c":3}';
    await writeFile(join(dir, 'p.jsonl'), text);
    await writeFile(join(dir, 'g.jsonl'), gzipSync(text));
    const want: [number, string][] = [[1, '{"a":1}'], [4, '{"b":2}'], [5, '{"c":3}']];
    assert.deepEqual(await readAll(join(dir, 'p.jsonl')), want);
    assert.deepEqual(await readAll(join(dir, 'g.jsonl')), want);
  });

  test('bytes are exact, even when not UTF-8', async () => {
    const raw = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]);
    await writeFile(join(dir, 'bin.jsonl'), raw);
    for await (const [line] of readLineBatches(join(dir, 'bin.jsonl'))) assert.deepEqual(line!.bytes, raw.subarray(0, 5));
  });

  test('a corrupt gzip file fails', async () => {
    await writeFile(join(dir, 'bad.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    await assert.rejects(readAll(join(dir, 'bad.gz')), (e: NodeJS.ErrnoException) => e.code?.startsWith('Z_') === true);
  });
});

describe('LineSplitter', () => {
  test('lines split across chunks', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('ab')), []);
    assert.equal(s.pending, true);
    assert.deepEqual(s.push(Buffer.from('c\nd\ne')).map((l) => [l.number, l.text]), [[1, 'abc'], [2, 'd']]);
    assert.deepEqual(s.end().map((l) => l.text), ['e']);
  });
});

describe('FileFollower', () => {
  test('appends, a partial line, rotation by rename, truncation', async () => {
    const d = join(dir, 'follow');
    await mkdir(d);
    const active = join(d, 'events.jsonl');
    const f = new FileFollower(active);
    const texts = async () => (await f.poll()).flat().map((l) => l.text);
    assert.deepEqual(await texts(), []);
    await writeFile(active, '1\n2\n');
    assert.deepEqual(await texts(), ['1', '2']);
    await writeFile(active, '1\n2\n3\n4', { flag: 'w' });
    assert.deepEqual(await texts(), ['3']);
    await writeFile(active, '\n5\n', { flag: 'a' });
    assert.deepEqual(await texts(), ['4', '5']);
    await writeFile(active, '6\n', { flag: 'a' });
    await rename(active, join(d, 'events-x.jsonl'));
    assert.deepEqual(await texts(), ['6']);
    await writeFile(active, '7\n77\n');
    assert.deepEqual(await texts(), ['7', '77']);
    await writeFile(active, '8\n', { flag: 'w' });
    assert.deepEqual(await texts(), ['8']);
    await f.close();
  });
});
