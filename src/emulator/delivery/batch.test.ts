import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { BatchBuilder, batchLines, batchesOf, compress, encodeLines, type Batch } from './batch.js';

const lines = (n: number, width = 10) => Array.from({ length: n }, (_, i) => `r${i}`.padEnd(width, '.'));

test('batches never exceed the record count and keep every record once, in order', () => {
  const input = lines(25);
  const batches = batchesOf(input, 10, 1 << 20);
  assert.deepEqual(batches.map((b) => b.count), [10, 10, 5]);
  assert.deepEqual(batches.flatMap(batchLines), input);
});

test('batches never exceed the byte limit, counting the newlines between records', () => {
  const input = lines(10, 10);
  // 3 records of 10 bytes plus 2 newlines = 32 bytes fit in 32, a fourth does not.
  const batches = batchesOf(input, 100, 32);
  assert.deepEqual(batches.map((b) => b.count), [3, 3, 3, 1]);
  assert.deepEqual(batches.map((b) => b.bytes), [32, 32, 32, 10]);
  for (const b of batches) assert.equal(batchLines(b).join('\n').length, b.bytes);
  assert.deepEqual(batches.flatMap(batchLines), input);
});

test('a record larger than the byte limit travels alone rather than being lost', () => {
  const batches = batchesOf(['small', 'x'.repeat(50), 'tail'], 100, 20);
  assert.deepEqual(batches.map(batchLines), [['small'], ['x'.repeat(50)], ['tail']]);
});

test('records added in several calls, one by one or in bulk, make the same batches', () => {
  const input = lines(37, 7);
  const out: Batch[] = [];
  const builder = new BatchBuilder(8, 60, (b) => out.push(b));
  const { bytes, ends } = encodeLines(input.slice(0, 20));
  builder.addRecords(bytes, ends);
  for (const line of input.slice(20, 25)) builder.addRecord(Buffer.from(line));
  const rest = encodeLines(input.slice(25));
  builder.addRecords(rest.bytes, rest.ends);
  builder.cut();
  assert.deepEqual(out.flatMap(batchLines), input);
  assert.deepEqual(out.map((b) => b.count), batchesOf(input, 8, 60).map((b) => b.count));
});

test('non-ASCII records are measured in UTF-8 bytes', () => {
  const batches = batchesOf(['é'.repeat(5), 'é'.repeat(5)], 10, 20);
  assert.deepEqual(batches.map((b) => b.bytes), [10, 10]);
});

test('a batch compresses to its records joined with newlines', async () => {
  const [batch] = batchesOf(['a', 'b', 'c'], 10, 100);
  assert.equal(gunzipSync(await compress(batch!)).toString(), 'a\nb\nc');
});

test('encoding grows its buffer for multi-byte text and keeps exact offsets', () => {
  const input = ['ascii', 'é'.repeat(100), '日本語', '', 'end'];
  const { bytes, ends } = encodeLines(input);
  assert.equal(bytes.toString('utf8'), input.join('\n'));
  let start = 0;
  input.forEach((line, i) => {
    assert.equal(bytes.subarray(start, ends[i]).toString('utf8'), line);
    start = ends[i]! + 1;
  });
});
