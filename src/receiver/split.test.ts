import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitPayloadRecords } from './split.js';

/** Every code point Go's unicode.IsSpace accepts. */
const GO_SPACES = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000'];

const split = (payload: Buffer | string) => splitPayloadRecords(Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8'));
const texts = (records: Buffer[]) => records.map((r) => r.toString('utf8'));

test('splits on \\n, trims each line and drops blank lines, CRLF included', () => {
  assert.deepEqual(texts(split(' {"a":1}\r\n\r\n   \n\t{"b":2} \r\n\n')), ['{"a":1}', '{"b":2}']);
});

test('an empty or whitespace-only payload has no records', () => {
  assert.deepEqual(split(''), []);
  assert.deepEqual(split(' \r\n\t\n\u3000'), []);
});

test('a single record without a trailing newline is one record', () => {
  assert.deepEqual(texts(split('only')), ['only']);
});

test('keeps bytes that are not UTF-8 exactly', () => {
  const first = Buffer.from([0xff, 0xfe, 0x80, 0x41]);
  const second = Buffer.from([0xc3, 0x28, 0xe2, 0x80]); // invalid 2-byte, truncated 3-byte sequence
  const records = split(Buffer.concat([first, Buffer.from('\r\n'), second, Buffer.from('\n')]));
  assert.deepEqual(records, [first, second]);
});

test('trims every space of Go unicode.IsSpace at both ends of the payload and of each line', () => {
  for (const space of GO_SPACES) {
    const label = `U+${space.codePointAt(0)!.toString(16).padStart(4, '0')}`;
    assert.deepEqual(texts(split(`${space}a${space}\nb${space}${space}`)), ['a', 'b'], label);
  }
});

test('keeps spaces inside a record', () => {
  assert.deepEqual(texts(split(' a \u00a0 b\u3000c ')), ['a \u00a0 b\u3000c']);
});

test('does not trim characters Go does not count as space', () => {
  for (const char of ['\ufeff', '\u200b', '\u180e', '\u0000']) {
    assert.deepEqual(texts(split(`${char}x${char}`)), [`${char}x${char}`], `U+${char.codePointAt(0)!.toString(16)}`);
  }
});

test('does not trim a lone continuation byte that only looks like the end of a space', () => {
  // 0x85 and 0xa0 end U+0085/U+00A0 only after 0xc2; 0x80 0x80 ends U+2000 only after 0xe2.
  for (const tail of [[0x85], [0xa0], [0x80, 0x80], [0xc2], [0xe2, 0x80]]) {
    const record = Buffer.from([0x41, ...tail]);
    assert.deepEqual(split(record), [record], tail.join(','));
  }
});

test('records are slices of the payload, not copies', () => {
  const payload = Buffer.from('one\ntwo\n');
  const [first] = split(payload);
  assert.equal(first!.buffer, payload.buffer);
  assert.equal(first!.byteOffset, payload.byteOffset);
});

test('matches a reference implementation on random UTF-8 text made of spaces, newlines and letters', () => {
  const edge = new RegExp(`^[${GO_SPACES.join('')}]+|[${GO_SPACES.join('')}]+$`, 'gu');
  const reference = (s: string) =>
    s
      .replace(edge, '')
      .split('\n')
      .map((line) => line.replace(edge, ''))
      .filter((line) => line !== '');
  const unit = fc.constantFrom(...GO_SPACES, 'a', 'é', '東', '😀', '\ufeff', '{', '"');
  fc.assert(
    fc.property(fc.array(unit, { maxLength: 40 }), (units) => {
      const text = units.join('');
      assert.deepEqual(texts(split(text)), reference(text));
    }),
    { numRuns: 500 },
  );
});
