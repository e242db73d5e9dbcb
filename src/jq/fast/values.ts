/**
 * Values for the fast path, parsed from JSON text the way jq 1.8 keeps them: integers beyond
 * 2^53 keep their exact digits (and compare exactly), objects keep their key order. Records the
 * fast path cannot represent exactly (decimals and exponents, whose literal text jq preserves;
 * integer-like or repeated keys, which JS objects would reorder) are declined: jq itself runs them.
 */

/** An integer literal too large for a double, kept as its digits. */
export class BigLiteral {
  constructor(
    readonly text: string,
    readonly value: bigint,
  ) {}
}

export type Value = null | boolean | number | BigLiteral | string | Value[] | ObjectValue;
export interface ObjectValue {
  [key: string]: Value;
}

/** Thrown when the fast path must hand a record (or a filter step) to jq. */
export class Decline extends Error {
  constructor(reason: string) {
    super(reason);
  }
}

const SAFE_DIGITS = 15;
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
const PLACEHOLDER = '\u0000KA-BIG:';

/**
 * Parses one JSON text into fast-path values; throws Decline for anything it cannot keep exact.
 * One scan over the text checks every number token (integers only, no `-0`, no leading zeros) and
 * every key (none integer-like, which a JS object would move to the front) and notes the integers
 * too long for a double; those are swapped for placeholder strings so that the native JSON.parse
 * does the rest, and put back as BigLiteral afterwards.
 */
export function parseJson(text: string): Value {
  const n = text.length;
  let big: { start: number; end: number }[] | undefined;
  // Position of the next backslash at or after a point (n when there is none), found lazily.
  const nextBackslash = (from: number): number => {
    const at = text.indexOf('\\', from);
    return at === -1 ? n : at;
  };
  let backslash = -1;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote (native indexOf), stepping over escaped characters.
      const start = i + 1;
      let end = text.indexOf('"', start);
      if (backslash < start) backslash = nextBackslash(start);
      while (backslash < end) {
        // An escape before the quote: the quote may be escaped; resume after the escaped character.
        const resume = backslash + 2;
        backslash = nextBackslash(resume);
        if (end !== -1 && end < resume) end = text.indexOf('"', resume);
        if (end === -1) break;
      }
      if (end === -1) throw new Decline('unterminated string');
      i = end + 1;
      // A key that JS would move to the front of its object (a canonical array index) cannot keep jq's order.
      if (end - start <= 10 && INDEX_KEY.test(text.slice(start, end))) {
        let j = i;
        while (j < n && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x0a || text.charCodeAt(j) === 0x0d || text.charCodeAt(j) === 0x09)) j++;
        if (text.charCodeAt(j) === 0x3a) throw new Decline('integer-like key');
      }
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      if (c === 0x2d) i++;
      const digits = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      const d = text.charCodeAt(i);
      if (d === 0x2e || d === 0x65 || d === 0x45) throw new Decline('non-integer number');
      const length = i - digits;
      if (length === 0 || (length > 1 && text.charCodeAt(digits) === 0x30) || (length === 1 && c === 0x2d && text.charCodeAt(digits) === 0x30)) {
        throw new Decline('number jq prints differently');
      }
      if (length > SAFE_DIGITS) (big ??= []).push({ start, end: i });
      continue;
    }
    i++;
  }
  if (!big) return parse(text);
  if (text.includes('\\u0000KA-BIG:')) throw new Decline('placeholder collision');
  let swapped = '';
  let last = 0;
  big.forEach(({ start, end }, k) => {
    swapped += text.slice(last, start) + '"' + PLACEHOLDER.replace('\u0000', '\\u0000') + k + '"';
    last = end;
  });
  swapped += text.slice(last);
  const literals = big.map(({ start, end }) => text.slice(start, end));
  return restore(parse(swapped), literals);
}

function parse(text: string): Value {
  try {
    return JSON.parse(text) as Value;
  } catch {
    throw new Decline('not JSON');
  }
}

/** Puts the long integers back where the placeholders are. */
function restore(v: Value, literals: readonly string[]): Value {
  if (typeof v === 'string') {
    if (!v.startsWith(PLACEHOLDER)) return v;
    const literal = literals[Number(v.slice(PLACEHOLDER.length))]!;
    return new BigLiteral(literal, BigInt(literal));
  }
  if (v === null || typeof v !== 'object' || v instanceof BigLiteral) return v;
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) v[k] = restore(v[k]!, literals);
    return v;
  }
  for (const key in v) v[key] = restore(v[key]!, literals);
  return v;
}

/** jq's escaping: short forms for \b \t \n \f \r, \u00XX for other controls and DEL, the rest raw. */
function quote(s: string): string {
  let plain = true;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) {
      plain = false;
      break;
    }
  }
  if (plain) return `"${s}"`;
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else if (c >= 0xd800 && c <= 0xdfff) throw new Decline('surrogate in string');
    else out += s[k];
  }
  return out + '"';
}

/** Serializes like `jq -c`. */
export function serialize(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return String(v);
    case 'string':
      return quote(v);
  }
  if (v instanceof BigLiteral) return v.text;
  if (Array.isArray(v)) return '[' + v.map(serialize).join(',') + ']';
  const parts: string[] = [];
  for (const key in v) parts.push(quote(key) + ':' + serialize(v[key]!));
  return '{' + parts.join(',') + '}';
}

/** jq's type order: null < false < true < numbers < strings < arrays < objects. */
function rank(v: Value): number {
  if (v === null) return 0;
  if (v === false) return 1;
  if (v === true) return 2;
  if (typeof v === 'number' || v instanceof BigLiteral) return 3;
  if (typeof v === 'string') return 4;
  return Array.isArray(v) ? 5 : 6;
}

function numberCompare(a: number | BigLiteral, b: number | BigLiteral): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === 'number' ? BigInt(a) : a.value;
  const y = typeof b === 'number' ? BigInt(b) : b.value;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Deep equality as jq's `==`. */
export function equals(a: Value, b: Value): boolean {
  const r = rank(a);
  if (r !== rank(b)) return false;
  if (r === 3) return numberCompare(a as number | BigLiteral, b as number | BigLiteral) === 0;
  if (r < 3 || r === 4) return a === b;
  if (r === 5) {
    const x = a as Value[];
    const y = b as Value[];
    return x.length === y.length && x.every((v, k) => equals(v, y[k]!));
  }
  const x = a as ObjectValue;
  const y = b as ObjectValue;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => Object.hasOwn(y, k) && equals(x[k]!, y[k]!));
}

/** Ordering as jq's `<`, for scalars; containers and non-ASCII strings are left to jq. */
export function compare(a: Value, b: Value): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 3) return numberCompare(a as number | BigLiteral, b as number | BigLiteral);
  if (ra === 4) {
    // jq compares UTF-8 bytes; UTF-16 order agrees for the Basic Multilingual Plane below the surrogates.
    if (/[\ud800-\udfff]/.test(a as string) || /[\ud800-\udfff]/.test(b as string)) throw new Decline('astral string order');
    return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  }
  if (ra <= 2) return 0;
  throw new Decline('container order');
}

/** jq truthiness: everything but false and null. */
export function truthy(v: Value): boolean {
  return v !== null && v !== false;
}
