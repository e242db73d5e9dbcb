// Property-based tests of splitPayloadRecords against an independent model of kongctl's splitting:
// Go's bytes.TrimSpace (unicode.IsSpace over Go's UTF-8 decoding, invalid bytes being 1-byte
// RuneError) on the payload and on each "\n"-separated line, empty lines dropped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { splitPayloadRecords } from './split.js';

// ---- Reference model -------------------------------------------------------------------------

/** Go's unicode.IsSpace: the Latin-1 spaces plus the Unicode White_Space characters above Latin-1. */
const GO_SPACE_CODE_POINTS: ReadonlySet<number> = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
  0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);
const GO_SPACES = [...GO_SPACE_CODE_POINTS].map((cp) => String.fromCodePoint(cp));

const isCont = (b: number | undefined): boolean => b !== undefined && b >= 0x80 && b <= 0xbf;

/** Go's utf8.DecodeRune over bytes[i, end): [code point, or -1 for RuneError, width]. */
function decodeRune(bytes: Uint8Array, i: number, end: number): [number, number] {
  const at = (k: number): number | undefined => (i + k < end ? bytes[i + k] : undefined);
  const b0 = bytes[i]!;
  if (b0 < 0x80) return [b0, 1];
  const b1 = at(1);
  if (b0 >= 0xc2 && b0 <= 0xdf) return isCont(b1) ? [((b0 & 0x1f) << 6) | (b1! & 0x3f), 2] : [-1, 1];
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates).
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const b2 = at(2);
    if (b1 === undefined || b1 < lo || b1 > hi || !isCont(b2)) return [-1, 1];
    return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2! & 0x3f), 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const b2 = at(2);
    const b3 = at(3);
    if (b1 === undefined || b1 < lo || b1 > hi || !isCont(b2) || !isCont(b3)) return [-1, 1];
    return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2! & 0x3f) << 6) | (b3! & 0x3f), 4];
  }
  return [-1, 1];
}

/** Go's utf8.DecodeLastRune over bytes[start, end): back to the nearest rune start (at most 4 bytes), decode, and it must end exactly at `end`. */
function decodeLastRune(bytes: Uint8Array, start: number, end: number): [number, number] {
  const last = bytes[end - 1]!;
  if (last < 0x80) return [last, 1];
  const lim = Math.max(start, end - 4);
  let s = end - 2;
  while (s >= lim && isCont(bytes[s])) s--;
  if (s < lim) s = lim;
  const [r, size] = decodeRune(bytes, s, end);
  return s + size === end ? [r, size] : [-1, 1];
}

/** Go's bytes.TrimSpace(bytes[start:end]) as [start, end). */
function goTrimSpace(bytes: Uint8Array, start: number, end: number): [number, number] {
  while (start < end) {
    const [r, size] = decodeRune(bytes, start, end);
    if (!GO_SPACE_CODE_POINTS.has(r)) break;
    start += size;
  }
  while (end > start) {
    const [r, size] = decodeLastRune(bytes, start, end);
    if (!GO_SPACE_CODE_POINTS.has(r)) break;
    end -= size;
  }
  return [start, end];
}

/** kongctl's SplitPayloadRecords, written the obvious way: trim, split on \n, trim each line, drop empties. */
function modelSplit(payload: Buffer): Buffer[] {
  const [s, e] = goTrimSpace(payload, 0, payload.length);
  const body = payload.subarray(s, e);
  const lines: Buffer[] = [];
  let from = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === 0x0a) {
      lines.push(body.subarray(from, i));
      from = i + 1;
    }
  }
  return lines.map((line) => line.subarray(...goTrimSpace(line, 0, line.length))).filter((line) => line.length > 0);
}

const isTrimmed = (record: Buffer): boolean => {
  const [s, e] = goTrimSpace(record, 0, record.length);
  return s === 0 && e === record.length;
};

// ---- Generators --------------------------------------------------------------------------------

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Byte pieces that stress the trimming: every Go space, near-miss spaces, lone lead and continuation bytes, invalid UTF-8. */
const piece: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...GO_SPACES.filter((s) => s !== '\n')).map(utf8) },
  { weight: 1, arbitrary: fc.constant(utf8('\n')) },
  { weight: 4, arbitrary: fc.constantFrom('a', '{', '"', '=', '\\', '|', 'é', '東', '😀', '\ufeff', '\u200b', '\u180e', '\u0000', '\ufffd').map(utf8) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom([0xc2], [0x85], [0xa0], [0xe2], [0xe2, 0x80], [0x80], [0x80, 0x80], [0xe1, 0x9a], [0xe3, 0x80], [0xed, 0xa0, 0x80], [0xe0, 0x80, 0x80], [0xc0, 0xa0], [0xf0, 0x90, 0x80], [0xff], [0xfe], [0xf4, 0x90, 0x80, 0x80])
      .map((b) => Buffer.from(b)),
  },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)) },
);
const payloadArb: fc.Arbitrary<Buffer> = fc.array(piece, { maxLength: 40 }).map((parts) => Buffer.concat(parts));

/** A record as kongctl would keep it: non-empty, no \n, and already trimmed (by the model). */
const recordArb: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(piece.filter((b) => !b.includes(0x0a)), fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((s) => !s.includes('\n')).map(utf8)),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => Buffer.concat(parts))
  .map((b) => b.subarray(...goTrimSpace(b, 0, b.length)))
  .filter((b) => b.length > 0);

/** Whitespace (whole Go space characters only) without a newline. */
const blanks: fc.Arbitrary<Buffer> = fc
  .array(fc.constantFrom(...GO_SPACES.filter((s) => s !== '\n')), { maxLength: 4 })
  .map((spaces) => utf8(spaces.join('')));
/** A separator between records: at least one \n or \r\n, maybe blank lines, maybe whitespace around. */
const separatorArb: fc.Arbitrary<Buffer> = fc
  .tuple(blanks, fc.array(fc.tuple(fc.constantFrom('\n', '\r\n'), blanks), { minLength: 1, maxLength: 3 }))
  .map(([lead, lines]) => Buffer.concat([lead, ...lines.flatMap(([nl, after]) => [utf8(nl), after])]));

// ---- Properties --------------------------------------------------------------------------------

describe('splitPayloadRecords properties', () => {
  test('the model agrees with the hand-written examples', () => {
    assert.deepEqual(modelSplit(utf8(' {"a":1}\r\n\r\n   \n\t{"b":2} \r\n\n')).map(String), ['{"a":1}', '{"b":2}']);
    assert.deepEqual(modelSplit(Buffer.from([0x41, 0xe2, 0x80, 0x80, 0x80])), [Buffer.from([0x41, 0xe2, 0x80, 0x80, 0x80])]);
    assert.deepEqual(modelSplit(Buffer.from([0x41, 0xc2, 0xc2, 0x85])), [Buffer.from([0x41, 0xc2])]);
    assert.deepEqual(modelSplit(utf8('\u3000x\u2029\n\u0085')).map(String), ['x']);
  });

  test('joined trimmed records with \\n, \\r\\n, blank lines and surrounding whitespace split back byte for byte', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 8 }),
        fc.array(separatorArb, { minLength: 10, maxLength: 10 }),
        fc.boolean(),
        fc.boolean(),
        blanks,
        blanks,
        (records, seps, leadingLines, trailingLines, lead, trail) => {
          const parts: Buffer[] = [lead];
          if (leadingLines) parts.push(seps[8]!);
          records.forEach((record, i) => parts.push(i === 0 ? Buffer.alloc(0) : seps[i]!, record));
          if (trailingLines) parts.push(seps[9]!);
          parts.push(trail);
          const payload = Buffer.concat(parts);
          assert.deepEqual(splitPayloadRecords(payload), records);
          assert.deepEqual(modelSplit(payload), records);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('matches the Go TrimSpace model on arbitrary byte soups (spaces, partial sequences, invalid UTF-8)', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        assert.deepEqual(splitPayloadRecords(payload), modelSplit(payload));
      }),
      { numRuns: 3000 },
    );
  });

  test('matches the model on uniformly random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const payload = Buffer.from(bytes);
        assert.deepEqual(splitPayloadRecords(payload), modelSplit(payload));
      }),
      { numRuns: 1000 },
    );
  });

  test('records are never empty, never contain \\n, are trimmed, and are in-order slices of the payload', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        let lastEnd = payload.byteOffset;
        for (const record of splitPayloadRecords(payload)) {
          assert.ok(record.length > 0, 'empty record');
          assert.equal(record.indexOf(0x0a), -1, 'record contains \\n');
          assert.ok(isTrimmed(record), `record not trimmed: ${record.toString('hex')}`);
          assert.equal(record.buffer, payload.buffer, 'record is not a slice of the payload');
          assert.ok(record.byteOffset >= lastEnd, 'records overlap or are out of order');
          lastEnd = record.byteOffset + record.length;
          assert.ok(lastEnd <= payload.byteOffset + payload.length);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('splitting is idempotent: re-joining the records with \\n splits to the same records', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        const records = splitPayloadRecords(payload);
        const rejoined = Buffer.concat(records.flatMap((r, i) => (i === 0 ? [r] : [utf8('\n'), r])));
        assert.deepEqual(splitPayloadRecords(rejoined), records);
      }),
      { numRuns: 1000 },
    );
  });
});
