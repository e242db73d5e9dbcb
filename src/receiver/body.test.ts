import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DecodeError, DecodedTooLargeError, gunzipLimited, wantsGunzip } from './body.js';

const MiB = 1 << 20;
const plain = Buffer.from('{"a":1}\n');

test('wantsGunzip: gzip, x-gzip and application/gzip tokens, any case, trimmed, in a list', () => {
  for (const header of ['gzip', 'x-gzip', 'application/gzip', ' GZIP ', 'X-Gzip', 'identity, gzip', 'br ,application/gzip']) {
    assert.equal(wantsGunzip(header, plain), true, header);
  }
});

test('wantsGunzip: other or absent encodings of a plain body are not gzip', () => {
  for (const header of [undefined, '', 'identity', 'deflate', 'br', 'gzipx', 'application/x-gzip2', 'gzip;q=1']) {
    assert.equal(wantsGunzip(header, plain), false, String(header));
  }
});

test('wantsGunzip: the gzip magic bytes 1f 8b make a body gzip without any header', () => {
  assert.equal(wantsGunzip(undefined, gzipSync(plain)), true);
  assert.equal(wantsGunzip('identity', Buffer.from([0x1f, 0x8b])), true);
  assert.equal(wantsGunzip(undefined, Buffer.from([0x1f])), false);
  assert.equal(wantsGunzip(undefined, Buffer.alloc(0)), false);
});

test('gunzipLimited decodes a gzip body', async () => {
  assert.deepEqual(await gunzipLimited(gzipSync(plain), MiB), plain);
});

test('gunzipLimited decodes every member of a multi-member gzip', async () => {
  const body = Buffer.concat([gzipSync('first\n'), gzipSync('second\n'), gzipSync('third\n')]);
  assert.equal((await gunzipLimited(body, MiB)).toString(), 'first\nsecond\nthird\n');
});

test('gunzipLimited accepts output of exactly maxBytes and refuses one byte more', async () => {
  const data = Buffer.alloc(1000, 'x');
  assert.equal((await gunzipLimited(gzipSync(data), 1000)).length, 1000);
  await assert.rejects(gunzipLimited(gzipSync(data), 999), DecodedTooLargeError);
});

test('gunzipLimited rejects truncated gzip with DecodeError, never a partial result', async () => {
  const body = gzipSync(Buffer.alloc(100_000, 'y'));
  for (const cut of [1, 5, 10, body.length - 8, body.length - 1]) {
    await assert.rejects(gunzipLimited(body.subarray(0, cut), MiB), DecodeError, `cut at ${cut}`);
  }
});

test('gunzipLimited rejects corrupt gzip, a bad checksum and non-gzip bytes with DecodeError', async () => {
  const body = gzipSync(Buffer.from('some audit records\n'.repeat(10)));
  const corrupt = Buffer.from(body);
  corrupt[12] = corrupt[12]! ^ 0xff;
  const badCrc = Buffer.from(body);
  badCrc[body.length - 6] = badCrc[body.length - 6]! ^ 0xff;
  for (const input of [corrupt, badCrc, Buffer.from('plain text'), Buffer.alloc(0)]) {
    await assert.rejects(gunzipLimited(input, MiB), DecodeError);
  }
});

test('gunzipLimited stops a 1 GiB gzip bomb at the limit quickly and without holding its output', async () => {
  // 1024 members of 1 MiB of zeros: ~1 MB of gzip that would decode to 1 GiB.
  const member = gzipSync(Buffer.alloc(MiB));
  const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  await assert.rejects(gunzipLimited(bomb, MiB), DecodedTooLargeError);
  const elapsed = performance.now() - started;
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
  assert.ok(grown < 64 * MiB, `array buffers grew by ${(grown / MiB).toFixed(1)} MiB`);
});
