import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { signingKeyFromSeed, splitSignature } from '../records/signing.js';
import { DedupeIndex, indexStoredRecords, recordKey } from './dedupe.js';

const key = signingKeyFromSeed(Buffer.alloc(32, 3));
const signedJson = (body: string) => `${body.slice(0, -1)},"sig":"${key.sign(body)}"}`;

describe('recordKey', () => {
  test('a signed record is known by its sig, whatever else differs (CPS wrapping, spacing at the ends)', () => {
    const line = signedJson('{"name":"Authz.x","rt":1}');
    assert.deepEqual(recordKey(Buffer.from(line)), recordKey(Buffer.from(`{"event":${line}}`)));
    assert.deepEqual(recordKey(Buffer.from(line)), recordKey(Buffer.from(`  ${line}`)));
    assert.notDeepEqual(recordKey(Buffer.from(line)), recordKey(Buffer.from(signedJson('{"name":"Authz.x","rt":2}'))));
  });

  test('a record altered but carrying a genuine sig is not a repeat of the genuine one', () => {
    const line = signedJson('{"name":"Authz.x","rt":1}');
    assert.notDeepEqual(recordKey(Buffer.from(line)), recordKey(Buffer.from(line.replace('"rt":1', '"rt":2'))));
  });

  test('an unsigned record is known by its bytes', () => {
    assert.deepEqual(recordKey(Buffer.from('{"a":1}')), recordKey(Buffer.from('{"a":1}')));
    assert.notDeepEqual(recordKey(Buffer.from('{"a":1}')), recordKey(Buffer.from('{"a":2}')));
    assert.equal(recordKey(Buffer.from('x')).length, 16);
    // As bytes, not text: two invalid UTF-8 lines that decode to the same text are different records.
    assert.notDeepEqual(recordKey(Buffer.from([0x7b, 0xff, 0x7d])), recordKey(Buffer.from([0x7b, 0xfe, 0x7d])));
  });

  test('the key is the first 16 bytes of SHA-256 over "sig\\0" sig "\\0" signed content, or "raw\\0" and the bytes', () => {
    const reference = (record: Buffer) => {
      const parts = splitSignature(record.toString('utf8'));
      const hash = createHash('sha256');
      if (parts) hash.update('sig\0').update(parts.sig).update('\0').update(parts.message);
      else hash.update('raw\0').update(record);
      return hash.digest().subarray(0, 16);
    };
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), fc.json().map((j) => Buffer.from(signedJson(`{"v":${j}}`)))), (record) => {
        assert.deepEqual(recordKey(record), reference(record));
      }),
      { numRuns: 500 },
    );
  });
});

describe('indexStoredRecords', () => {
  test('reads plain and gzip files; a corrupt one is reported and skipped when asked, thrown otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-dedupe-'));
    try {
      writeFileSync(join(dir, 'a.jsonl.gz'), gzipSync('{"a":1}\n{"a":2}\n'));
      writeFileSync(join(dir, 'bad.jsonl.gz'), Buffer.concat([gzipSync('{"b":1}\n').subarray(0, 12)]));
      writeFileSync(join(dir, 'c.jsonl'), '{"c":1}\n');
      const files = ['a.jsonl.gz', 'bad.jsonl.gz', 'missing.jsonl', 'c.jsonl'].map((f) => join(dir, f));
      const problems: string[] = [];
      const index = new DedupeIndex();
      assert.equal(await indexStoredRecords(index, files, Date.now(), (file) => problems.push(file)), 3);
      assert.deepEqual(problems, [join(dir, 'bad.jsonl.gz')]);
      assert.ok(index.has(recordKey(Buffer.from('{"a":2}'))) && index.has(recordKey(Buffer.from('{"c":1}'))));
      await assert.rejects(indexStoredRecords(new DedupeIndex(), files));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DedupeIndex', () => {
  test('add reports new keys once; has finds them; the table grows past its first capacity', () => {
    const index = new DedupeIndex();
    const keys = Array.from({ length: 20_000 }, () => randomBytes(16));
    for (const k of keys) assert.equal(index.add(k), true);
    for (const k of keys) assert.equal(index.add(k), false);
    assert.equal(index.size, 20_000);
    assert.ok(keys.every((k) => index.has(k)));
    assert.equal(index.has(randomBytes(16)), false);
  });

  test('keys that share a slot (same first word) stay apart, and deleting one keeps the others reachable', () => {
    const index = new DedupeIndex();
    const same = (n: number) => Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.alloc(11), Buffer.from([n])]);
    for (let n = 0; n < 10; n++) index.add(same(n));
    assert.equal(index.delete(same(3)), true);
    assert.equal(index.delete(same(3)), false);
    for (let n = 0; n < 10; n++) assert.equal(index.has(same(n)), n !== 3, `key ${n}`);
    assert.equal(index.size, 9);
  });

  test('dropOlderThan forgets keys added before the cut-off', () => {
    const index = new DedupeIndex();
    const old = randomBytes(16);
    const recent = randomBytes(16);
    index.add(old, Date.UTC(2026, 0, 1));
    index.add(recent, Date.UTC(2026, 0, 9));
    assert.equal(index.dropOlderThan(Date.UTC(2026, 0, 2)), 1);
    assert.equal(index.has(old), false);
    assert.equal(index.has(recent), true);
  });

  test('behaves as a Set of keys under any sequence of adds and deletes (fast-check)', () => {
    const keyArb = fc.integer({ min: 0, max: 300 }).map((n) => {
      const k = Buffer.alloc(16);
      k.writeUInt32LE(n % 7, 0); // few distinct first words: long probe runs
      k.writeUInt32LE(n, 12);
      return k;
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 400 }), (ops) => {
        const index = new DedupeIndex();
        const model = new Set<string>();
        for (const [add, k] of ops) {
          const hex = k.toString('hex');
          if (add) assert.equal(index.add(k), !model.has(hex));
          else assert.equal(index.delete(k), model.has(hex));
          if (add) model.add(hex);
          else model.delete(hex);
        }
        assert.equal(index.size, model.size);
        for (const hex of model) assert.ok(index.has(Buffer.from(hex, 'hex')));
      }),
      { numRuns: 200 },
    );
  });

  test('memory: a million keys take 2^21 slots of 20 bytes (41.9 MB)', () => {
    const index = new DedupeIndex();
    const k = Buffer.alloc(16);
    for (let n = 0; n < 1_000_000; n++) {
      k.writeUInt32LE(Math.imul(n, 2654435761) >>> 0, 0);
      k.writeUInt32LE(n, 4);
      index.add(k);
    }
    assert.equal(index.size, 1_000_000);
    assert.equal(index.bytes, 2 ** 21 * 20);
  });
});
