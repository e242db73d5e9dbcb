/**
 * Splits a webhook payload into records exactly as kongctl does (Go's `bytes.TrimSpace` on the
 * payload and on each `\n`-separated line, empty lines dropped), working on bytes only so records
 * are kept byte-for-byte, invalid UTF-8 included.
 */

const NEWLINE = 0x0a;

/** Length of the Unicode space (Go's `unicode.IsSpace`) encoded at `buf[i]`, or 0. */
function spaceAt(buf: Buffer, i: number, end: number): number {
  const b = buf[i];
  if (b === 0x20 || (b !== undefined && b >= 0x09 && b <= 0x0d)) return 1;
  if (b === 0xc2 && i + 1 < end) {
    const b1 = buf[i + 1];
    return b1 === 0x85 || b1 === 0xa0 ? 2 : 0; // U+0085, U+00A0
  }
  if (i + 2 >= end) return 0;
  const b1 = buf[i + 1];
  const b2 = buf[i + 2];
  if (b === 0xe1) return b1 === 0x9a && b2 === 0x80 ? 3 : 0; // U+1680
  if (b === 0xe3) return b1 === 0x80 && b2 === 0x80 ? 3 : 0; // U+3000
  if (b === 0xe2 && b1 === 0x80 && b2 !== undefined) {
    // U+2000-U+200A, U+2028, U+2029, U+202F
    return (b2 >= 0x80 && b2 <= 0x8a) || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf ? 3 : 0;
  }
  if (b === 0xe2 && b1 === 0x81 && b2 === 0x9f) return 3; // U+205F
  return 0;
}

/** Length of the Unicode space that ends just before `buf[end]` (at or after `start`), or 0. */
function spaceBefore(buf: Buffer, start: number, end: number): number {
  // Every space is 1, 2 or 3 bytes and starts with a lead byte, so the nearest lead byte decides
  // (as Go's DecodeLastRune does).
  for (const size of [1, 2, 3]) {
    const at = end - size;
    if (at >= start && spaceAt(buf, at, end) === size) return size;
  }
  return 0;
}

/** Returns `[start, end)` of `buf[start, end)` with leading and trailing Unicode spaces removed. */
function trimSpace(buf: Buffer, start: number, end: number): [number, number] {
  let n: number;
  while (start < end && (n = spaceAt(buf, start, end)) > 0) start += n;
  while (end > start && (n = spaceBefore(buf, start, end)) > 0) end -= n;
  return [start, end];
}

/**
 * Splits a payload into its records: trimmed, non-empty `\n`-separated lines, as byte slices that
 * share memory with `payload`.
 *
 * @example splitPayloadRecords(Buffer.from(' a\r\n\n b \n')) // [<a>, <b>]
 */
export function splitPayloadRecords(payload: Buffer): Buffer[] {
  const [start, end] = trimSpace(payload, 0, payload.length);
  const records: Buffer[] = [];
  let lineStart = start;
  while (lineStart <= end) {
    let lineEnd = payload.indexOf(NEWLINE, lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const [s, e] = trimSpace(payload, lineStart, lineEnd);
    if (e > s) records.push(payload.subarray(s, e));
    lineStart = lineEnd + 1;
  }
  return records;
}
