// Property-based tests of the record parser (reference §6): CEF round trips through the renderer and
// through a CEF escaper, escapes against a model, JSON/CPS slicing, and robustness on arbitrary text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AuditEvent, Extension } from './event.js';
import { CefParseError, RecordParseError, detectFormat, parseCef, recordToJson, type CefRecord } from './parse.js';
import { renderCef, renderJson, wrapCps } from './render.js';
import { renderSigned, signingKeyFromSeed } from './signing.js';

/** Konnect's keys (without `sig` and the JSON-valued `query`) and some CEF dictionary keys: always extension boundaries. */
const KNOWN_KEYS = [
  'rt', 'src', 'request', 'success', 'org_id', 'portal_id', 'principal_id', 'principal_name', 'actor_id', 'kong_initiated', 'trace_id', 'user_agent',
  'action', 'granted', 'act', 'status', 'msg', 'cs1', 'cs1Label', 'suser', 'dhost', 'requestMethod', 'outcome', 'fileHash',
];

/** Text with the characters CEF cares about, lookalike keys and escapes, controls, unicode and empty pieces. */
const textArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('=', '\\', '|', ' ', '  ', '\n', '\r', '\t', '"', '{', '}', '(', ')', '[', ']', 'é', '日', '😀', '\u00a0', '\u2028', '\u0000', '') },
      { weight: 2, arbitrary: fc.constantFrom(' src=', ' sig=', 'sig=', ' x=', ' rt=1', ' team_id=t', ' query={"a":1}', 'CEF:0|', '\\=', '\\\\', '\\n', '\\r', '\\|', 'a=b', '=x') },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 5 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

const rfc3339 = fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
const bsdDate = fc
  .tuple(fc.constantFrom('Jan', 'Apr', 'Dec'), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 86399 }))
  .map(([month, day, s]) => `${month} ${String(day).padStart(2, ' ')} ${new Date(s * 1000).toISOString().slice(11, 19)}`);
const hostArb = fc.oneof(fc.constant('konghq.com'), fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/));
/** What precedes `CEF:` — `<timestamp> <host> `, a single host or timestamp, or nothing — and what the parser should report. */
const prefixArb: fc.Arbitrary<{ text: string; timestamp: string | undefined; host: string | undefined }> = fc.oneof(
  fc.tuple(fc.oneof(rfc3339, bsdDate), hostArb).map(([timestamp, host]) => ({ text: `${timestamp} ${host} `, timestamp, host })),
  hostArb.map((host) => ({ text: `${host} `, timestamp: undefined, host })),
  rfc3339.map((timestamp) => ({ text: `${timestamp} `, timestamp, host: undefined })),
  fc.constant({ text: '', timestamp: undefined, host: undefined }),
);

/** CEF escaping: `\` and `|` in header fields; `\`, `=`, CR and LF in extension values. */
const escapeHeader = (s: string): string => s.replace(/[\\|]/g, (c) => '\\' + c);
const escapeValue = (s: string): string => s.replace(/[\\=\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\' + c));

/** The header fields of a record, as an object to compare. */
const headerOf = (r: CefRecord) => ({ timestamp: r.timestamp, host: r.host, cefVersion: r.cefVersion, vendor: r.vendor, product: r.product, version: r.version, eventClassId: r.eventClassId, name: r.name, severity: r.severity });

/** A key boundary ` key=`: what a value must not contain where the parser would (rightly) split. */
const BOUNDARY = / [A-Za-z_][A-Za-z0-9_.]*=/;
const BOUNDARIES = / ([A-Za-z_][A-Za-z0-9_.]*)=/g;

/** Whether parseCef accepts the line. */
function parses(line: string): boolean {
  try {
    parseCef(line);
    return true;
  } catch {
    return false;
  }
}

describe('parseCef properties', () => {
  test('CEF-escaped header fields and extension values of any text round-trip exactly', () => {
    const headerArb = fc.tuple(fc.nat({ max: 9 }), textArb, textArb, textArb, textArb, textArb, textArb);
    const extensionsArb = fc.uniqueArray(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KNOWN_KEYS) }, { weight: 1, arbitrary: fc.constantFrom('team_id', 'x', 'a.b', '_z9') }),
        textArb,
      ),
      { selector: ([key]) => key, maxLength: 8 },
    );
    fc.assert(
      fc.property(prefixArb, headerArb, extensionsArb, fc.constantFrom('', ' ', '  '), (prefix, [version, ...fields], extensions, lead) => {
        // An unknown key splits only after a balanced value, so values before unknown keys have no brackets or quotes.
        fc.pre(extensions.every(([key], i) => KNOWN_KEYS.includes(key) || i === 0 || !/[(){}[\]"]/.test(extensions[i - 1]![1])));
        const line = `${prefix.text}CEF:${version}|${fields.map(escapeHeader).join('|')}|${lead}${extensions.map(([k, v]) => `${k}=${escapeValue(v)}`).join(' ')}`;
        const record = parseCef(line);
        const [vendor, product, ver, eventClassId, name, severity] = fields;
        assert.deepEqual(headerOf(record), { timestamp: prefix.timestamp, host: prefix.host, cefVersion: version, vendor, product, version: ver, eventClassId, name, severity });
        assert.deepEqual(record.extensions, extensions);
        // recordToJson carries the same strings.
        const json = JSON.parse(recordToJson(line)) as Record<string, unknown>;
        assert.equal(json.name, name);
        assert.equal(json.event_vendor, vendor);
        for (const [key, value] of extensions) {
          if (!['rt', 'status', 'trace_id', 'success', 'granted', 'kong_initiated'].includes(key)) assert.equal(json[key], value, key);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('renderCef output parses back to the event: header, timestamp, host and every extension as text', () => {
    // renderCef does not escape: values carry no backslash, and no ` key=` except keys already seen in the
    // record (a repeat is value text); header fields carry no `|` or `\`.
    const rawText = textArb.map((s) => s.replaceAll('\\', '/'));
    const eventArb: fc.Arbitrary<AuditEvent> = fc
      .record({
        eventTs: fc.oneof(rfc3339, bsdDate),
        product: fc.constantFrom('Konnect' as const, 'Dev-Portal' as const),
        eventClassId: rawText.map((s) => s.replaceAll('|', '/')),
        name: rawText.map((s) => s.replaceAll('|', '/')),
        severity: fc.integer({ min: 0, max: 10 }),
        keys: fc.uniqueArray(fc.constantFrom(...KNOWN_KEYS), { minLength: 1, maxLength: 8 }),
        values: fc.array(fc.oneof(rawText, fc.boolean(), fc.maxSafeNat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { minLength: 8, maxLength: 8 }),
      })
      .map(({ keys, values, ...header }) => ({
        ...header,
        extensions: keys.map((key, i): Extension => {
          // Keys seen so far (this one included) and `sig` may appear as ` key=` in the value; others become ` key:`.
          const value = values[i]!;
          const allowed = [...keys.slice(0, i + 1), 'sig'];
          return [key, typeof value === 'string' ? value.replace(BOUNDARIES, (m, k: string) => (allowed.includes(k) ? m : ` ${k}:`)) : value];
        }),
      }));
    fc.assert(
      fc.property(eventArb, (event) => {
        const line = renderCef(event);
        // A trailing ` sig=<token>` is the signature wherever it comes from; CR/LF at the very end are the line terminator.
        fc.pre(!/ sig=[^ \t\r\n]*[ \t\r\n]*$/.test(line) && !/[\r\n]$/.test(line));
        const record = parseCef(line);
        assert.deepEqual(headerOf(record), {
          timestamp: event.eventTs,
          host: 'konghq.com',
          cefVersion: 0,
          vendor: 'KongInc',
          product: event.product,
          version: '1.0',
          eventClassId: event.eventClassId,
          name: event.name,
          severity: String(event.severity),
        });
        assert.deepEqual(record.extensions, event.extensions.map(([k, v]) => [k, String(v)]));
      }),
      { numRuns: 1500 },
    );
  });

  test('a signed CEF rendering parses to the event\'s extensions plus the signature, last', () => {
    const key = signingKeyFromSeed(Buffer.alloc(32, 9));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...KNOWN_KEYS), { minLength: 1, maxLength: 6 }),
        fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '=', '|', '"', '(', '{', 'é', '😀', '\t') }), { minLength: 6, maxLength: 6 }),
        (keys, values) => {
          const event: AuditEvent = { eventTs: '2025-06-18T21:02:36Z', product: 'Konnect', eventClassId: 'konnect', name: 'Authz.portals', severity: 1, extensions: keys.map((k, i): Extension => [k, values[i]!]) };
          fc.pre(event.extensions.every(([, v]) => !BOUNDARY.test(String(v))));
          const line = renderSigned(event, 'cef', key);
          const sig = line.slice(line.lastIndexOf(' sig=') + 5);
          assert.deepEqual(parseCef(line).extensions, [...event.extensions, ['sig', sig]]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('extension escapes match a model: \\= \\\\ \\n \\r unescape, any other \\x stays, an odd backslash run ending the line is an error', () => {
    const unescapeModel = (raw: string): string =>
      raw.replace(/\\([\s\S])/g, (_, c: string) => (c === '=' || c === '\\' ? c : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\' + c));
    const raw = fc.string({ unit: fc.constantFrom('\\', '\\', '=', 'n', 'r', 't', ' ', '|', 'a', '"', '\n', 'é', '\\ ', ' \\'), maxLength: 16 });
    fc.assert(
      fc.property(fc.array(raw, { minLength: 1, maxLength: 4 }), (values) => {
        // No raw ` key=` (that is a boundary) and no CR/LF ending the line (that is the line terminator).
        fc.pre(values.every((v) => !BOUNDARY.test(v)) && !/[\r\n]$/.test(values.at(-1)!));
        const keys = ['src', 'request', 'user_agent', 'act'];
        const line = 'CEF:0|V|P|1|c|n|1|' + values.map((v, i) => `${keys[i]}=${v}`).join(' ');
        const trailingBackslashes = /\\*$/.exec(values.at(-1)!)![0].length;
        if (trailingBackslashes % 2 === 1) {
          assert.throws(() => parseCef(line), (error: unknown) => error instanceof CefParseError && /unterminated escape/.test(error.message) && error.column === line.length);
        } else {
          assert.deepEqual(
            parseCef(line).extensions,
            values.map((v, i) => [keys[i], unescapeModel(v)]),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('leading whitespace and a trailing line terminator never change the parse', () => {
    fc.assert(
      fc.property(prefixArb, fc.array(fc.tuple(fc.constantFrom(...KNOWN_KEYS), textArb)), fc.stringMatching(/^[ \t\r\n]{0,4}$/), fc.stringMatching(/^[\r\n]{0,3}$/), (prefix, extensions, lead, terminator) => {
        const line = `${prefix.text}CEF:0|V|P|1|c|n|1|${extensions.map(([k, v]) => `${k}=${escapeValue(v)}`).join(' ')}`;
        assert.deepEqual(parseCef(lead + line + terminator), parseCef(line));
        assert.equal(recordToJson(lead + line + terminator), recordToJson(line));
      }),
      { numRuns: 500 },
    );
  });

  test('any text either parses or throws CefParseError with a column inside the line, never anything else', () => {
    const nearCef = fc
      .tuple(fc.constantFrom('', ' ', '2025-06-18T21:02:36Z konghq.com ', 'Apr 14 05:39:08 h ', 'h ', 'x y z ', 'hCEF'), fc.constantFrom('CEF:0|', 'CEF:', 'CEF:9|', 'CEF:x|', ''), fc.array(fc.oneof(textArb, fc.constantFrom('|', '\\|', '=', 'query={', 'sig=', ' sig=abc')), { maxLength: 12 }))
      .map(([a, b, rest]) => a + b + rest.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), textArb, nearCef), (line) => {
        let record: CefRecord | undefined;
        try {
          record = parseCef(line);
        } catch (error) {
          assert.ok(error instanceof CefParseError, `unexpected ${String(error)} for ${JSON.stringify(line)}`);
          assert.ok(Number.isInteger(error.column) && error.column >= 1 && error.column <= line.length + 1, `column ${error.column} for ${JSON.stringify(line)}`);
        }
        if (record) {
          assert.ok(record.cefVersion >= 0 && record.cefVersion <= 9);
          assert.equal(new Set(record.extensions.map(([k]) => k)).size, record.extensions.length, 'a key appears twice');
          for (const [key] of record.extensions) assert.match(key, /^[A-Za-z_][A-Za-z0-9_.]*$/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('parsing stays linear on long adversarial lines (many keys, brackets, quotes, escapes, repeats)', () => {
    const unit = fc.constantFrom(' x=1', ' (', ' {', ' "', ' \\', ' portal_id=1', ' sig=s', ' src=', ' q=', ' ]', '=', ' ');
    fc.assert(
      fc.property(fc.array(unit, { minLength: 1, maxLength: 4 }), fc.integer({ min: 20_000, max: 40_000 }), fc.constantFrom(' user_agent=', ' query={', ' query=[', ' z='), (units, n, middle) => {
        // Distinct keys first (a per-key linear search of the keys seen made them quadratic), then adversarial text.
        const distinct = Array.from({ length: n }, (_, i) => `k${i}=v`).join(' ');
        const tail = units.join('').repeat(Math.ceil(n / units.length));
        const line = `2025-06-18T21:02:36Z konghq.com CEF:0|V|P|1|c|n|1|${distinct}${middle}${tail}`;
        const started = performance.now();
        const record = parses(line) ? parseCef(line) : undefined;
        const elapsed = performance.now() - started;
        if (record) assert.ok(record.extensions.length >= n);
        assert.ok(elapsed < Math.max(250, line.length / 500), `${line.length} chars took ${elapsed.toFixed(0)} ms`);
      }),
      { numRuns: 6 },
    );
  });
});

describe('recordToJson and detectFormat properties', () => {
  const objectArb = fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6, noNullPrototype: true });

  test('renderJson and its CPS wrapping are detected and given back byte for byte, for any text in the event', () => {
    const eventArb: fc.Arbitrary<AuditEvent> = fc.record({
      eventTs: fc.string({ unit: 'binary', maxLength: 20 }),
      product: fc.constantFrom('Konnect' as const, 'Dev-Portal' as const),
      eventClassId: textArb,
      name: textArb,
      severity: fc.integer({ min: 0, max: 10 }),
      extensions: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...KNOWN_KEYS, 'query', 'zz'), fc.oneof(textArb, fc.string({ unit: 'binary' }), fc.boolean(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }))), { selector: ([k]) => k })
        .map((e) => e as Extension[]),
    });
    fc.assert(
      fc.property(eventArb, fc.stringMatching(/^[ \t\r\n]{0,3}$/), fc.stringMatching(/^[ \t\r\n]{0,3}$/), (event, lead, trail) => {
        const json = renderJson(event);
        assert.equal(detectFormat(json), 'json');
        assert.equal(recordToJson(lead + json + trail), json);
        assert.equal(detectFormat(lead + wrapCps(json) + trail), 'cps');
        assert.equal(recordToJson(lead + wrapCps(json) + trail), json);
        assert.equal(recordToJson(`{ "event" :${lead}${json}${trail}}`), json);
      }),
      { numRuns: 800 },
    );
  });

  test('a JSON object is CPS exactly when its only key is "event" holding an object; CPS gives the inner object\'s exact text', () => {
    fc.assert(
      fc.property(fc.oneof(objectArb, objectArb.map((inner) => ({ event: inner })), objectArb.map((inner) => ({ event: inner, x: 1 })), fc.jsonValue().map((v) => ({ event: v }))), fc.constantFrom(undefined, 1, '\t'), (object, indent) => {
        const line = JSON.stringify(object, null, indent);
        const event = (object as { event?: unknown }).event;
        const cps = Object.keys(object).length === 1 && typeof event === 'object' && event !== null && !Array.isArray(event);
        assert.equal(detectFormat(line), cps ? 'cps' : 'json');
        const out = recordToJson(line);
        assert.equal(JSON.stringify(JSON.parse(out)), JSON.stringify(cps ? event : object));
        assert.ok(line.includes(out), 'not a slice of the line');
      }),
      { numRuns: 1000 },
    );
  });

  test('on any text, recordToJson gives valid JSON or a RecordParseError, in agreement with detectFormat and parseCef', () => {
    const soup = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      textArb,
      fc.tuple(fc.constantFrom('{', ' {', '{"event":', '{"event":{', 'CEF:0|a|b|c|d|e|f|', 'h CEF:1|'), textArb, fc.constantFrom('', '}', '}}', '"}}', ']')).map((p) => p.join('')),
      fc.json().map((j) => (j.startsWith('{') ? j : `{"event":${j}}`)),
    );
    fc.assert(
      fc.property(soup, (line) => {
        const format = detectFormat(line);
        let out: string | undefined;
        try {
          out = recordToJson(line);
        } catch (error) {
          assert.ok(error instanceof RecordParseError, `unexpected ${String(error)} for ${JSON.stringify(line)}`);
          if (format === undefined) assert.equal(error.message, 'not a JSON, CPS or CEF record');
          if (format === 'cef') assert.ok(error.cause instanceof CefParseError);
        }
        if (out !== undefined) {
          assert.notEqual(format, undefined);
          const value = JSON.parse(out) as unknown;
          if (format === 'cef') assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
          else assert.ok(line.includes(out));
        }
        if (format === 'cef') assert.equal(out !== undefined, parses(line));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parse regressions found by the properties', () => {
  test('many distinct extension keys parse in linear time (was quadratic: a linear search of the keys seen)', () => {
    // 40,000 keys (350 KB) took ~2 s before, ~70 ms after.
    const line = 'CEF:0|V|P|1|c|n|1|' + Array.from({ length: 40_000 }, (_, i) => `k${i}=v`).join(' ');
    const started = performance.now();
    const record = parseCef(line);
    const elapsed = performance.now() - started;
    assert.equal(record.extensions.length, 40_000);
    assert.deepEqual(record.extensions[39_999], ['k39999', 'v']);
    assert.ok(elapsed < 700, `took ${elapsed.toFixed(0)} ms`);
  });

  test('a backslash late in a line of many values costs no more than a plain line (was quadratic: each value searched to it)', () => {
    // Before: every value searched the line for a backslash up to the late one; 100,000 values took ~5x the plain line.
    const distinct = Array.from({ length: 100_000 }, (_, i) => `k${i}=v`).join(' ');
    const fastest = (line: string): number =>
      Math.min(
        ...[0, 1, 2].map(() => {
          const started = performance.now();
          parseCef(line);
          return performance.now() - started;
        }),
      );
    const plain = fastest(`CEF:0|V|P|1|c|n|1|${distinct} msg=a/b`);
    const escaped = fastest(`CEF:0|V|P|1|c|n|1|${distinct} msg=a\\\\b`);
    assert.deepEqual(parseCef(`CEF:0|V|P|1|c|n|1|k0=v msg=a\\\\b`).extensions, [['k0', 'v'], ['msg', 'a\\b']]);
    assert.ok(escaped < 1.5 * plain + 50, `escaped ${escaped.toFixed(0)} ms vs plain ${plain.toFixed(0)} ms`);
  });
});
