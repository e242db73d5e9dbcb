// Property-based tests of the bounded body reader and gzip decoder (kongctl: max-body-bytes applies to
// the raw and to the decoded body; a body that does not decode is refused).
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { BodyReadError, BodyTooLargeError, DecodeError, DecodedTooLargeError, gunzipLimited, readBodyLimited, wantsGunzip } from './body.js';

const MiB = 1 << 20;
/** Every gunzipLimited call in this file must settle well within this; node:test fails the test on a hang. */
const TIMEOUT = { timeout: 30_000 };

/** Payloads: random bytes, compressible text, and runs long enough to span several 16 KiB zlib output chunks. */
const payloadArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s, 'utf8')),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 4000 }))
    .map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
);
const levelArb = fc.integer({ min: 0, max: 9 });
const gzip = (payload: Buffer, level: number): Buffer => gzipSync(payload, { level });

/** A limit at the boundary (length - 1, length, length + 1) or anywhere around the payload's size. */
function limitAround(length: number): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(Math.max(0, length - 1), length, length + 1), fc.integer({ min: 0, max: 2 * length + 16 }));
}

/** Resolves with the decoded body or with the error gunzipLimited rejected with. */
async function outcome(body: Buffer, limit: number): Promise<Buffer | Error> {
  try {
    return await gunzipLimited(body, limit);
  } catch (error) {
    assert.ok(error instanceof Error, `rejected with a non-Error: ${String(error)}`);
    return error;
  }
}

/** Asserts a bad body was refused with one of the module's errors. */
function assertRefused(result: Buffer | Error, what: string): void {
  assert.ok(result instanceof DecodeError || result instanceof DecodedTooLargeError, `${what}: expected a rejection, got ${result instanceof Error ? String(result) : `${result.length} bytes`}`);
}

/** A single gzip member of `mib` MiB of zeros, built from full-flush deflate blocks (~1 KiB of input per MiB of output). */
function zeroBomb(mib: number): Buffer {
  const zero = Buffer.alloc(MiB);
  const block = deflateRawSync(zero, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zero, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * MiB) >>> 0, 4);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
  return Buffer.concat([header, ...Array.from({ length: mib }, () => block), deflateRawSync(Buffer.alloc(0)), trailer]);
}

describe('gunzipLimited properties', () => {
  test('gives back exactly the payload when it fits the limit and DecodedTooLargeError otherwise (boundaries included)', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(
        payloadArb.chain((p) => fc.tuple(fc.constant(p), limitAround(p.length))),
        levelArb,
        async ([payload, limit], level) => {
          const result = await outcome(gzip(payload, level), limit);
          if (payload.length <= limit) assert.deepEqual(result, payload);
          else {
            assert.ok(result instanceof DecodedTooLargeError, `expected DecodedTooLargeError, got ${String(result)}`);
            assert.equal(result.maxBytes, limit);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a multi-member gzip decodes to the concatenation of its members, limited on the total', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(payloadArb, levelArb), { minLength: 1, maxLength: 5 }), fc.integer({ min: -1, max: 1 }), async (members, delta) => {
        const total = Buffer.concat(members.map(([p]) => p));
        const body = Buffer.concat(members.map(([p, level]) => gzip(p, level)));
        const limit = Math.max(0, total.length + delta);
        const result = await outcome(body, limit);
        if (total.length <= limit) assert.deepEqual(result, total);
        else assert.ok(result instanceof DecodedTooLargeError, String(result));
      }),
      { numRuns: 200 },
    );
  });

  test('a truncated gzip member rejects with DecodeError, never a partial result', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(payloadArb, levelArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (payload, level, at) => {
        const body = gzip(payload, level);
        const cut = Math.floor(at * body.length);
        const result = await outcome(body.subarray(0, cut), payload.length + 1);
        assert.ok(result instanceof DecodeError, `cut at ${cut} of ${body.length}: ${result instanceof Error ? String(result) : 'resolved'}`);
      }),
      { numRuns: 300 },
    );
  });

  test('a truncated multi-member gzip rejects, or (cut exactly between members) gives the complete members before the cut', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payloadArb, { minLength: 2, maxLength: 4 }), fc.nat(), async (payloads, seed) => {
        const members = payloads.map((p) => gzip(p, 6));
        const body = Buffer.concat(members);
        const ends = members.map((_, i) => members.slice(0, i + 1).reduce((n, m) => n + m.length, 0));
        // Half the cuts land on or next to a member boundary.
        const cut = seed % 2 === 0 ? Math.min(body.length - 1, Math.max(0, ends[seed % ends.length]! + ((seed >> 1) % 3) - 1)) : seed % body.length;
        const result = await outcome(body.subarray(0, cut), MiB);
        const complete = ends.indexOf(cut);
        if (complete >= 0) assert.deepEqual(result, Buffer.concat(payloads.slice(0, complete + 1)));
        else assert.ok(result instanceof DecodeError, `cut at ${cut} (member ends ${ends.join(',')}): ${result instanceof Error ? String(result) : 'resolved'}`);
      }),
      { numRuns: 300 },
    );
  });

  test('a corrupted byte anywhere either rejects or gives back exactly the original data, never other data', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(payloadArb, levelArb), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.boolean(),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
        async (members, seed, atBoundary, value) => {
          const gz = members.map(([p, level]) => gzip(p, level));
          const body = Buffer.concat(gz);
          const starts = gz.map((_, i) => gz.slice(0, i).reduce((n, m) => n + m.length, 0));
          // Member headers and starts are where a decoder's framing decisions happen.
          const pos = atBoundary ? starts[seed % starts.length]! + (seed % 10) : seed % body.length;
          fc.pre(pos < body.length && body[pos] !== value);
          const corrupt = Buffer.from(body);
          corrupt[pos] = value;
          const expected = Buffer.concat(members.map(([p]) => p));
          const result = await outcome(corrupt, expected.length + 64);
          if (!(result instanceof Error)) assert.deepEqual(result, expected, `byte ${pos} set to ${value} gave other data`);
          else assertRefused(result, `byte ${pos} set to ${value}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('bytes after the last gzip member are refused, as Go\'s gzip.Reader (kongctl) refuses them', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(payloadArb, fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.boolean(), async (payload, tail, zeros) => {
        const trailing = zeros ? Buffer.alloc(tail.length) : Buffer.from(tail);
        const result = await outcome(Buffer.concat([gzip(payload, 6), trailing]), payload.length + 64);
        assert.ok(result instanceof DecodeError, `trailing ${trailing.toString('hex')}: ${result instanceof Error ? String(result) : 'resolved'}`);
      }),
      { numRuns: 200 },
    );
  });

  test('arbitrary bytes never hang and never reject with anything but DecodeError or DecodedTooLargeError', TIMEOUT, async () => {
    const gzipLike = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b, 8]), Buffer.from(b)]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), gzipLike), fc.nat({ max: 1000 }), async (body, limit) => {
        const result = await outcome(body, limit);
        if (result instanceof Error) assertRefused(result, body.toString('hex'));
        else assert.ok(result.length <= limit);
      }),
      { numRuns: 300 },
    );
  });

  test('a 200 MiB zero bomb far above the limit rejects quickly without holding its output', TIMEOUT, async () => {
    const bomb = zeroBomb(200);
    assert.ok(bomb.length < 300_000, `bomb is ${bomb.length} bytes`);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 * MiB }), async (limit) => {
        const before = process.memoryUsage().arrayBuffers;
        let peak = before;
        let sampling = true;
        const sample = (): void => {
          peak = Math.max(peak, process.memoryUsage().arrayBuffers);
          if (sampling) setImmediate(sample);
        };
        sample();
        const started = performance.now();
        const result = await outcome(bomb, limit);
        sampling = false;
        const elapsed = performance.now() - started;
        assert.ok(result instanceof DecodedTooLargeError, String(result));
        const grown = peak - before;
        assert.ok(grown < limit + 32 * MiB, `array buffers grew by ${(grown / MiB).toFixed(1)} MiB for a limit of ${(limit / MiB).toFixed(1)} MiB`);
        assert.ok(elapsed < 3000, `took ${elapsed.toFixed(0)} ms`);
      }),
      { numRuns: 6 },
    );
  });
});

describe('gunzipLimited regressions found by the properties', () => {
  test('NUL bytes after a member are refused, not silently dropped with everything after them', TIMEOUT, async () => {
    // Before the fix zlib stopped at the NUL and this resolved with "first\n" alone.
    const first = gzipSync('first\n');
    const second = gzipSync('second\n');
    const corrupt = Buffer.concat([first, second]);
    corrupt[first.length] = 0x00;
    await assert.rejects(gunzipLimited(corrupt, MiB), DecodeError);
    await assert.rejects(gunzipLimited(Buffer.concat([first, Buffer.alloc(5)]), MiB), DecodeError);
    await assert.rejects(gunzipLimited(Buffer.concat([first, Buffer.alloc(512)]), MiB), DecodeError);
    assert.equal((await gunzipLimited(Buffer.concat([first, second]), MiB)).toString(), 'first\nsecond\n');
  });
});

describe('wantsGunzip properties', () => {
  const tokenArb = fc.oneof(fc.constantFrom('gzip', 'x-gzip', 'application/gzip', 'GZip', 'identity', 'br', 'deflate', 'gzip;q=1', ''), fc.string({ maxLength: 8 }));
  const headerArb = fc.option(
    fc.array(fc.tuple(fc.constantFrom('', ' ', '\t', '  '), tokenArb, fc.constantFrom('', ' ', '\t')), { maxLength: 4 }).map((tokens) => tokens.map(([a, t, b]) => a + t + b).join(',')),
    { nil: undefined },
  );
  const model = (header: string | undefined, body: Buffer): boolean =>
    (body[0] === 0x1f && body[1] === 0x8b) ||
    (header ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .some((t) => t === 'gzip' || t === 'x-gzip' || t === 'application/gzip');

  test('is true for the gzip magic or a gzip token in the list, whatever the case and spacing', () => {
    fc.assert(
      fc.property(headerArb, fc.oneof(fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)), fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from([0x1f, 0x8b, ...b]))), (header, body) => {
        assert.equal(wantsGunzip(header, body), model(header, body));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readBodyLimited properties', () => {
  /** A request-like stream delivering `chunks`, then ending (or failing when `abort`). */
  function request(chunks: readonly Buffer[], contentLength: string | undefined, abort: boolean): IncomingMessage {
    let i = 0;
    const stream = new Readable({
      read() {
        if (i < chunks.length) this.push(chunks[i++]);
        else if (abort) this.destroy();
        else this.push(null);
      },
    });
    return Object.assign(stream, { headers: contentLength === undefined ? {} : { 'content-length': contentLength } }) as unknown as IncomingMessage;
  }
  const chunksArb = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)), { maxLength: 8 });

  test('resolves with exactly the body within the limit and BodyTooLargeError beyond it, however it is chunked', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(
        chunksArb.chain((chunks) => fc.tuple(fc.constant(chunks), limitAround(chunks.reduce((n, c) => n + c.length, 0)))),
        fc.boolean(),
        async ([chunks, limit], declare) => {
          const body = Buffer.concat(chunks);
          const pending = readBodyLimited(request(chunks, declare ? String(body.length) : undefined, false), limit);
          if (body.length <= limit) assert.deepEqual(await pending, body);
          else {
            await assert.rejects(pending, (error: unknown) => {
              assert.ok(error instanceof BodyTooLargeError, String(error));
              assert.equal(error.maxBytes, limit);
              // Refused up front from Content-Length, or as soon as the running count passed the limit.
              if (declare) assert.equal(error.receivedBytes, 0);
              else assert.ok(error.receivedBytes > limit && error.receivedBytes <= body.length);
              return true;
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a request that ends before its body is complete rejects with BodyReadError', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(chunksArb, async (chunks) => {
        const size = chunks.reduce((n, c) => n + c.length, 0);
        await assert.rejects(readBodyLimited(request(chunks, undefined, true), size + 1), BodyReadError);
      }),
      { numRuns: 100 },
    );
  });
});
