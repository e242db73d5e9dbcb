/**
 * Parses audit record lines (reference §6): detects the format, parses CEF, and gives every format
 * as the JSON text jq sees, with the keys and types of Konnect's JSON format. The inverse of
 * `render.ts`. JSON and CPS text is sliced, never re-serialized, so 64-bit integers keep every digit.
 */

/** The record formats a line can be in. */
export type RecordFormat = 'json' | 'cps' | 'cef';

/** A parsed CEF line. */
export interface CefRecord {
  /** Text before the host, e.g. `2025-06-18T21:02:36Z` or a BSD syslog date like `Apr 14 05:39:08`. */
  readonly timestamp: string | undefined;
  /** E.g. `konghq.com`. */
  readonly host: string | undefined;
  readonly cefVersion: number;
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
  readonly eventClassId: string;
  readonly name: string;
  readonly severity: string;
  /** Extensions in the order they appear; values unescaped. */
  readonly extensions: readonly (readonly [key: string, value: string])[];
}

/** A line that is not valid CEF; `column` (1-based) is where the problem was found. */
export class CefParseError extends Error {
  override readonly name = 'CefParseError';
  constructor(
    reason: string,
    readonly column: number,
  ) {
    super(`not a valid CEF line: ${reason} (column ${column})`);
  }
}

/** A line that is none of the record formats, or whose JSON is invalid. */
export class RecordParseError extends Error {
  override readonly name = 'RecordParseError';
}

const BACKSLASH = 0x5c;
const PIPE = 0x7c;
const SPACE = 0x20;
const QUOTE = 0x22;
const EQUALS = 0x3d;

/** Every key Konnect writes (reference §6.3). */
const KONNECT_KEYS = [
  'rt', 'src', 'request', 'success', 'org_id', 'portal_id', 'principal_id', 'principal_name', 'actor_id',
  'kong_initiated', 'trace_id', 'user_agent', 'action', 'granted', 'act', 'status', 'query', 'sig',
];
/** The ArcSight CEF dictionary's keys, so other producers' standard keys split too. */
const CEF_DICTIONARY_KEYS = [
  'app', 'cat', 'cnt', 'dhost', 'dmac', 'dntdom', 'dpid', 'dpriv', 'dproc', 'dpt', 'dst', 'dtz', 'duid', 'duser',
  'dvc', 'dvchost', 'dvcmac', 'dvcpid', 'end', 'externalId', 'fname', 'fsize', 'in', 'msg', 'out', 'outcome', 'proto',
  'reason', 'requestClientApplication', 'requestContext', 'requestCookies', 'requestMethod', 'shost', 'smac',
  'sntdom', 'spid', 'spriv', 'sproc', 'spt', 'start', 'suid', 'suser', 'type', 'deviceDirection', 'deviceDnsDomain',
  'deviceExternalId', 'deviceFacility', 'deviceInboundInterface', 'deviceNtDomain', 'deviceOutboundInterface',
  'devicePayloadId', 'deviceProcessName', 'deviceTranslatedAddress', 'destinationDnsDomain',
  'destinationServiceName', 'destinationTranslatedAddress', 'destinationTranslatedPort', 'sourceDnsDomain',
  'sourceServiceName', 'sourceTranslatedAddress', 'sourceTranslatedPort', 'fileCreateTime', 'fileHash', 'fileId',
  'fileModificationTime', 'filePath', 'filePermission', 'fileType', 'oldFileCreateTime', 'oldFileHash', 'oldFileId',
  'oldFileModificationTime', 'oldFileName', 'oldFilePath', 'oldFilePermission', 'oldFileSize', 'oldFileType',
  'flexDate1', 'flexDate1Label', 'flexString1', 'flexString1Label', 'flexString2', 'flexString2Label',
  'deviceCustomDate1', 'deviceCustomDate1Label', 'deviceCustomDate2', 'deviceCustomDate2Label',
  ...[1, 2, 3, 4, 5, 6].flatMap((n) => [`cs${n}`, `cs${n}Label`]),
  ...[1, 2, 3].flatMap((n) => [`cn${n}`, `cn${n}Label`]),
  ...[1, 2, 3, 4].flatMap((n) => [`cfp${n}`, `cfp${n}Label`, `c6a${n}`, `c6a${n}Label`]),
];
const KNOWN_KEYS: ReadonlySet<string> = new Set([...KONNECT_KEYS, ...CEF_DICTIONARY_KEYS]);

/** Extensions whose value is JSON text (Konnect's query parameters). */
const JSON_VALUED_KEYS: ReadonlySet<string> = new Set(['query']);

/** Timestamps accepted before the host: RFC 3339 (Konnect) or a BSD syslog date (`Apr 14 05:39:08`). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2})?$/;
const BSD_DATE = /^[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}$/;

function isTimestamp(text: string): boolean {
  return RFC3339.test(text) || BSD_DATE.test(text);
}

function isWhitespace(c: number): boolean {
  return c === SPACE || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isKeyStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isKeyChar(c: number): boolean {
  return isKeyStart(c) || isDigit(c) || c === 0x2e;
}

/** Where the CEF header starts and what precedes it, or why the line has none. */
type HeaderStart =
  | { readonly ok: true; readonly cefAt: number; readonly timestamp: string | undefined; readonly host: string | undefined }
  | { readonly ok: false; readonly reason: string; readonly column: number };

/** Finds `CEF:<digit>|` and splits the prefix into timestamp and host (`<timestamp> <host> `, or nothing). */
function findHeader(line: string, lead: number): HeaderStart {
  const cefAt = line.indexOf('CEF:', lead);
  if (cefAt < 0) return { ok: false, reason: 'no "CEF:" header', column: lead + 1 };
  if (!isDigit(line.charCodeAt(cefAt + 4)) || line.charCodeAt(cefAt + 5) !== PIPE) {
    return { ok: false, reason: 'expected "CEF:<version digit>|"', column: cefAt + 5 };
  }
  if (cefAt === lead) return { ok: true, cefAt, timestamp: undefined, host: undefined };
  if (line.charCodeAt(cefAt - 1) !== SPACE) return { ok: false, reason: 'expected a space before "CEF:"', column: cefAt + 1 };
  const prefix = line.slice(lead, cefAt).trimEnd();
  const hostAt = prefix.lastIndexOf(' ');
  // A single token is the host, unless it is a timestamp.
  if (hostAt < 0) return isTimestamp(prefix) ? { ok: true, cefAt, timestamp: prefix, host: undefined } : { ok: true, cefAt, timestamp: undefined, host: prefix };
  const timestamp = prefix.slice(0, hostAt).trimEnd();
  if (!isTimestamp(timestamp)) {
    return { ok: false, reason: `expected "<timestamp> <host> " before "CEF:", got ${JSON.stringify(prefix)}`, column: lead + 1 };
  }
  return { ok: true, cefAt, timestamp, host: prefix.slice(hostAt + 1) };
}

function leadingWhitespace(line: string): number {
  let i = 0;
  while (i < line.length && isWhitespace(line.charCodeAt(i))) i++;
  return i;
}

/** End of the line without its terminator (`\r`, `\n`); trailing spaces may belong to the last value. */
function contentEnd(line: string): number {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x0a || line.charCodeAt(end - 1) === 0x0d)) end--;
  return end;
}

/** Reads the six `|`-terminated header fields after `CEF:<v>|`; `\|` and `\\` are escapes, any other `\x` is kept. */
function headerFields(line: string, from: number, end: number): { readonly fields: string[]; readonly next: number } {
  const fields: string[] = [];
  let field = '';
  let chunkStart = from;
  for (let i = from; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      if (i + 1 >= end) throw new CefParseError('unterminated escape "\\" at the end of the line', i + 1);
      const next = line.charCodeAt(i + 1);
      if (next === PIPE || next === BACKSLASH) {
        field += line.slice(chunkStart, i);
        chunkStart = i + 1;
      }
      i++;
    } else if (c === PIPE) {
      fields.push(field + line.slice(chunkStart, i));
      field = '';
      chunkStart = i + 1;
      if (fields.length === 6) return { fields, next: i + 1 };
    }
  }
  throw new CefParseError(
    `too few header fields: found ${fields.length + 1} of 7 "|"-terminated fields (CEF:Version|Vendor|Product|Version|Event Class ID|Name|Severity|)`,
    end + 1,
  );
}

/** Unescapes an extension value: `\=`, `\\`, `\n`, `\r`; any other `\x` is kept as written. */
function unescapeValue(line: string, from: number, to: number, atLineEnd: boolean): string {
  let i = line.indexOf('\\', from);
  if (i < 0 || i >= to) return line.slice(from, to);
  let out = '';
  let chunkStart = from;
  for (; i < to; i++) {
    if (line.charCodeAt(i) !== BACKSLASH) continue;
    if (i + 1 >= to) {
      if (atLineEnd) throw new CefParseError('unterminated escape "\\" at the end of the line', i + 1);
      break;
    }
    const next = line[i + 1];
    const unescaped = next === '=' || next === '\\' ? next : next === 'n' ? '\n' : next === 'r' ? '\r' : undefined;
    if (unescaped !== undefined) {
      out += line.slice(chunkStart, i) + unescaped;
      chunkStart = i + 2;
    }
    i++;
  }
  return out + line.slice(chunkStart, to);
}

/** The `=` ending a key that starts at `from`, or -1 when no `key=` starts there. */
function keyEnd(line: string, from: number, end: number): number {
  if (from >= end || !isKeyStart(line.charCodeAt(from))) return -1;
  let i = from + 1;
  while (i < end && isKeyChar(line.charCodeAt(i))) i++;
  return i < end && line.charCodeAt(i) === EQUALS ? i : -1;
}

/** The space before the line's trailing `sig=<token>`, where the verifier reads it (§8.3), or -1. */
function trailingSigSpace(line: string, from: number, end: number): number {
  let i = end;
  while (i > from && isWhitespace(line.charCodeAt(i - 1))) i--;
  while (i > from && !isWhitespace(line.charCodeAt(i - 1))) i--;
  return i > from && line.charCodeAt(i - 1) === SPACE && line.startsWith('sig=', i) ? i - 1 : -1;
}

/** Bracket and quote state of a value scanned so far; backslash escapes are skipped. */
interface Nesting {
  pos: number;
  depth: number;
  inString: boolean;
}

function scanNesting(line: string, state: Nesting, to: number): boolean {
  for (let i = state.pos; i < to; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (state.inString) state.inString = c !== QUOTE;
    else if (c === QUOTE) state.inString = true;
    else if (c === 0x7b || c === 0x5b || c === 0x28) state.depth++;
    else if (c === 0x7d || c === 0x5d || c === 0x29) state.depth--;
  }
  state.pos = Math.max(state.pos, to);
  return state.depth <= 0 && !state.inString;
}

/**
 * Splits the extension text into `key=value` pairs. Konnect writes values unescaped, with spaces,
 * parentheses, quotes, JSON and even `=` in them, so not every ` key=` starts an extension.
 * A space followed by `key=` (key `[A-Za-z_][A-Za-z0-9_.]*`; an escaped `\=` never ends a key) is a
 * boundary when all of these hold:
 * - the key has not appeared yet in this record (Konnect never repeats a key, so a repeat is value text);
 * - `sig` only at the line's trailing `sig=<token>`, exactly where the verifier reads it (§8.3);
 * - inside a JSON-valued extension (`query`) only after its JSON has closed, so
 *   `query={"q":"a portal_id=b"}` stays whole; if that JSON never closes, the line is split again
 *   without this rule (truncated or non-JSON query);
 * - a known key (Konnect's and the CEF dictionary's) otherwise always starts an extension, even after
 *   unbalanced text such as a truncated user agent;
 * - an unknown key (a field Konnect may add later) only when the value before it has balanced
 *   brackets and quotes, so `(build x=1)` or `"a b=c"` stay in the value.
 */
function parseExtensions(line: string, from: number, end: number, jsonAware: boolean): (readonly [string, string])[] {
  let start = from;
  while (start < end && line.charCodeAt(start) === SPACE) start++;
  if (start >= end) return [];
  const firstEq = keyEnd(line, start, end);
  if (firstEq < 0) throw new CefParseError('expected an extension "key=value"', start + 1);
  const sigSpace = trailingSigSpace(line, start, end);
  // Most values have no escapes and are plain slices. The next backslash is searched again only once a
  // value starts past it, so a line of many values before a late backslash stays linear.
  let backslash = line.indexOf('\\', start);
  const valueText = (from: number, to: number, atLineEnd: boolean): string => {
    if (backslash >= 0 && backslash < from) backslash = line.indexOf('\\', from);
    return backslash >= 0 && backslash < to ? unescapeValue(line, from, to, atLineEnd) : line.slice(from, to);
  };
  const out: (readonly [string, string])[] = [];
  const seen = new Set<string>();
  let key = line.slice(start, firstEq);
  let valueStart = firstEq + 1;
  for (;;) {
    seen.add(key);
    const first = line.charCodeAt(valueStart);
    const jsonValue = jsonAware && JSON_VALUED_KEYS.has(key) && (first === 0x7b || first === 0x5b);
    const nesting: Nesting = { pos: valueStart, depth: 0, inString: false };
    let blockedByJson = false;
    let boundary = -1;
    let nextKey = '';
    for (let space = line.indexOf(' ', valueStart); space >= 0 && space < end; space = line.indexOf(' ', space + 1)) {
      const eq = keyEnd(line, space + 1, end);
      if (eq < 0) continue;
      nextKey = line.slice(space + 1, eq);
      if (seen.has(nextKey) || (nextKey === 'sig' && space !== sigSpace)) continue;
      // Known keys skip the nesting check, except inside a JSON value.
      if ((jsonValue || !KNOWN_KEYS.has(nextKey)) && !scanNesting(line, nesting, space)) {
        blockedByJson ||= jsonValue;
        continue;
      }
      boundary = space;
      break;
    }
    if (boundary < 0) {
      if (blockedByJson && !scanNesting(line, nesting, end)) return parseExtensions(line, from, end, false);
      const last = valueText(valueStart, end, true);
      out.push([key, key === 'sig' ? last.trimEnd() : last]);
      return out;
    }
    out.push([key, valueText(valueStart, boundary, false)]);
    key = nextKey;
    valueStart = boundary + nextKey.length + 2;
  }
}

/**
 * Parses a CEF line; throws CefParseError with a clear message (and the column) when it is not CEF.
 * @example parseCef('2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.portals|1|rt=1 act=GET').extensions // [['rt','1'],['act','GET']]
 */
export function parseCef(line: string): CefRecord {
  const lead = leadingWhitespace(line);
  const end = contentEnd(line);
  const start = findHeader(line, lead);
  if (!start.ok) throw new CefParseError(start.reason, start.column);
  const { fields, next } = headerFields(line, start.cefAt + 6, end);
  const [vendor = '', product = '', version = '', eventClassId = '', name = '', severity = ''] = fields;
  return {
    timestamp: start.timestamp,
    host: start.host,
    cefVersion: line.charCodeAt(start.cefAt + 4) - 0x30,
    vendor,
    product,
    version,
    eventClassId,
    name,
    severity,
    extensions: parseExtensions(line, next, end, true),
  };
}

/** The end of the JSON string starting at `from` (index after its closing quote), or -1. */
function jsonStringEnd(text: string, from: number): number {
  for (let quote = text.indexOf('"', from + 1); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
  }
  return -1;
}

/** The end of the JSON object or array starting at `from` (index after its closing bracket), or -1. */
function jsonContainerEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const after = jsonStringEnd(text, i);
      if (after < 0) return -1;
      i = after - 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The line without surrounding JSON whitespace (space, tab, CR, LF). */
function trimJson(line: string, lead: number): string {
  let end = line.length;
  while (end > lead && isWhitespace(line.charCodeAt(end - 1))) end--;
  return line.slice(lead, end);
}

function skipJsonWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** The inner object's text when `text` is `{"event":{...}}` (any JSON whitespace), else undefined. */
function cpsInner(text: string): string | undefined {
  let i = skipJsonWhitespace(text, 1);
  if (text.charCodeAt(i) !== QUOTE) return undefined;
  const keyAfter = jsonStringEnd(text, i);
  if (keyAfter < 0) return undefined;
  const key = text.slice(i, keyAfter);
  // The key may be written with escapes (`"\u0065vent"`); decode only then.
  if (key !== '"event"' && !(key.includes('\\') && decodesTo(key, 'event'))) return undefined;
  i = skipJsonWhitespace(text, keyAfter);
  if (text.charCodeAt(i) !== 0x3a) return undefined;
  const innerStart = skipJsonWhitespace(text, i + 1);
  if (text.charCodeAt(innerStart) !== 0x7b) return undefined;
  const innerEnd = jsonContainerEnd(text, innerStart);
  if (innerEnd < 0) return undefined;
  const close = skipJsonWhitespace(text, innerEnd);
  return close === text.length - 1 && text.charCodeAt(close) === 0x7d ? text.slice(innerStart, innerEnd) : undefined;
}

function decodesTo(jsonString: string, expected: string): boolean {
  try {
    return JSON.parse(jsonString) === expected;
  } catch {
    return false;
  }
}

/** A line's format and, for JSON and CPS, the JSON record's text. */
type Classified = { readonly format: 'json' | 'cps'; readonly json: string } | { readonly format: 'cef' } | undefined;

function classify(line: string): Classified {
  const lead = leadingWhitespace(line);
  if (line.charCodeAt(lead) === 0x7b) {
    const text = trimJson(line, lead);
    const inner = cpsInner(text);
    return inner !== undefined ? { format: 'cps', json: inner } : { format: 'json', json: text };
  }
  return findHeader(line, lead).ok ? { format: 'cef' } : undefined;
}

/**
 * Detects a line's format: CPS is a JSON object whose only key is "event" holding an object; JSON starts with "{"; CEF has a `CEF:<digit>|` header (optionally after a syslog-style timestamp and host). Undefined when none fits.
 * A shape check only: `recordToJson` validates the JSON.
 * @example detectFormat('{"event":{"name":"Ingress"}}') // 'cps'
 */
export function detectFormat(line: string): RecordFormat | undefined {
  return classify(line)?.format;
}

/** Characters JSON.stringify would escape (quotes, backslash, controls, surrogates), as in render.ts. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

/** Extensions Konnect's JSON format types as numbers (§6.4; `trace_id` as every example has it). */
const NUMBER_KEYS: ReadonlySet<string> = new Set(['rt', 'status', 'severity', 'trace_id']);
/** Extensions Konnect's JSON format types as booleans. */
const BOOLEAN_KEYS: ReadonlySet<string> = new Set(['success', 'granted', 'kong_initiated']);
/** A JSON integer; its digits are emitted as they are, so 64-bit values stay exact. */
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function typedJson(key: string, value: string): string {
  if (NUMBER_KEYS.has(key) && INTEGER.test(value)) return value;
  if (BOOLEAN_KEYS.has(key) && (value === 'true' || value === 'false')) return value;
  return jsonString(value);
}

/** JSON keys of the CEF header, in the order `headerValues` gives their values. */
const HEADER_KEYS = ['cef_version', 'event_class_id', 'event_product', 'event_vendor', 'event_version', 'name', 'severity', 'event_ts'];

function headerValues(record: CefRecord): string[] {
  const values = [
    String(record.cefVersion),
    jsonString(record.eventClassId),
    jsonString(record.product),
    jsonString(record.vendor),
    jsonString(record.version),
    jsonString(record.name),
    INTEGER.test(record.severity) ? record.severity : jsonString(record.severity),
  ];
  if (record.timestamp !== undefined) values.push(jsonString(record.timestamp));
  return values;
}

/** For one record shape: each member's key (with its leading `"` or `,"`) and the index of its value. */
type MemberOrder = readonly (readonly [prefix: string, valueIndex: number])[];
const memberOrders = new Map<string, MemberOrder>();

/**
 * Konnect's JSON key order: lexicographic (Go's map order) with `sig` appended last; an extension named
 * like a header key replaces the header member. Values are indexed header values first, then extensions.
 */
function memberOrder(headerCount: number, extensions: CefRecord['extensions']): MemberOrder {
  let shape = String(headerCount);
  for (const [key] of extensions) shape += ',' + key;
  let order = memberOrders.get(shape);
  if (!order) {
    const members = new Map<string, number>(HEADER_KEYS.slice(0, headerCount).map((key, i) => [key, i]));
    extensions.forEach(([key], i) => members.set(key, headerCount + i));
    const keys = [...members.keys()].filter((key) => key !== 'sig').sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (members.has('sig')) keys.push('sig');
    order = keys.map((key, i) => [(i === 0 ? '{"' : ',"') + key + '":', members.get(key)!] as const);
    // Records have a handful of shapes; the cap only guards against unbounded custom keys.
    if (memberOrders.size < 1000) memberOrders.set(shape, order);
  }
  return order;
}

/** The JSON format of a parsed CEF record. */
function cefRecordToJson(record: CefRecord): string {
  const values = headerValues(record);
  const headerCount = values.length;
  for (const [key, value] of record.extensions) values.push(typedJson(key, value));
  let out = '';
  for (const [prefix, index] of memberOrder(headerCount, record.extensions)) out += prefix + values[index]!;
  return out + '}';
}

function assertJson(text: string, what: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new RecordParseError(`${what}: ${(error as Error).message}`);
  }
}

/**
 * The record as the JSON text jq should see, with the same keys and types as Konnect's JSON format:
 * - JSON: the line itself (trimmed), unchanged — big integers keep every digit because the text is not re-serialized.
 * - CPS: the inner object's exact text (sliced out, not re-serialized).
 * - CEF: a compact JSON object built from the header and extensions: header → `event_ts` (the timestamp, omitted when the line has none), `event_vendor`, `event_product`, `event_version`, `event_class_id`, `name`, `severity` (number), `cef_version` (number); extensions with their own keys, typed as the reference §6.4 says: `rt`, `status`, `severity`, `trace_id` numbers (exact digit text), `success`, `granted`, `kong_initiated` booleans (`true`/`false`, anything else stays a string), everything else strings. Keys in lexicographic order with `sig` last, like Konnect's JSON format.
 * Throws RecordParseError (with a short reason) for a line that is none of the formats or is invalid JSON.
 * @example recordToJson('{"event":{"name":"Ingress"}}') // '{"name":"Ingress"}'
 */
export function recordToJson(line: string): string {
  const record = classify(line);
  switch (record?.format) {
    case 'json':
    case 'cps':
      assertJson(record.json, record.format === 'json' ? 'invalid JSON record' : 'invalid JSON inside the CPS record');
      return record.json;
    case 'cef':
      try {
        return cefRecordToJson(parseCef(line));
      } catch (error) {
        if (error instanceof CefParseError) throw new RecordParseError(error.message, { cause: error });
        throw error;
      }
    case undefined:
      throw new RecordParseError('not a JSON, CPS or CEF record');
  }
}
