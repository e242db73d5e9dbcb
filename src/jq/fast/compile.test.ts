import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { JqEngine } from '../engine.js';
import { compileFast, JqWouldFail } from './compile.js';
import { Decline, parseJson, serialize } from './values.js';

let engine: JqEngine;
before(async () => {
  engine = await JqEngine.load();
});

/** Runs a program through the fast path; undefined when the record is handed to jq. */
function fast(program: string, record: string, args: Record<string, string> = {}): string[] | undefined {
  const filter = compileFast(program, args);
  assert.ok(filter, `${program} should compile on the fast path`);
  try {
    return filter(parseJson(record)).map(serialize);
  } catch (error) {
    if (error instanceof JqWouldFail || error instanceof Decline) return undefined;
    throw error;
  }
}

const PROGRAMS = [
  '.',
  '.name',
  '.a.b',
  '."a"',
  '.a?',
  '.a.b?',
  '{ts:.event_ts, name, request:(.request // null)}',
  'select(.granted==false)',
  'select(.name|startswith("Authz."))|.principal_id',
  'select(.name|endswith("s"))',
  '.a // .b // "none"',
  '.a, .b',
  '.a == .b, .a != .b, .a < .b, .a <= .b, .a > .b, .a >= .b',
  '.granted and .success, .granted or .success, (.granted | not)',
  '{a:(.a,.b), b:(.c,.d)}',
  'select(.trace_id == 3895213347334635099) | .trace_id',
  '.trace_id < 3895213347334635100',
  '.x | select(. != null) | {x: .}',
  'empty',
  '{"k": .a | .b}',
  'select(.p == $who)',
  '{$who, n: .n}',
];

const SAMPLES = [
  '{"name":"Authz.control-planes","granted":false,"principal_id":"p1","event_ts":"2025-06-18T21:02:36Z","trace_id":3895213347334635099,"rt":1750280466889}',
  '{"name":"Ingress","request":"/v2/x","status":201,"trace_id":1,"granted":null,"success":true}',
  '{"a":{"b":"x"},"b":[1,2],"c":"é😀","d":"\\u0001\\u007f\\n","p":"bob","n":3}',
  '{"a":"str","b":null}',
  '{"a":1,"b":1,"c":{},"d":[]}',
  '{}',
];

describe('fast path against jq-wasm (same outputs, or the record goes to jq)', () => {
  test('fixed programs on fixed records', async () => {
    for (const program of PROGRAMS) {
      for (const record of SAMPLES) {
        const got = fast(program, record, { who: 'bob' });
        if (got === undefined) continue;
        const [want] = await engine.run(program, [record], { who: 'bob' });
        assert.deepEqual(got, want?.outputs, `${program} on ${record}: jq says ${JSON.stringify(want)}`);
      }
    }
  });

  test('generated records (fast-check)', async () => {
    const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -1e6, max: 1e6 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('Authz.x', 'Ingress', 'bob', ''));
    const record = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'name', 'granted', 'success', 'trace_id', 'p', 'x', 'request', 'event_ts'), fc.oneof(scalar, fc.dictionary(fc.constantFrom('b', 'c'), scalar, { maxKeys: 2 })), { maxKeys: 8 });
    const toText = (r: Record<string, unknown>) =>
      JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `__BIG${v}__` : v)).replace(/"__BIG(-?\d+)__"/g, '$1');
    await fc.assert(
      fc.asyncProperty(record, fc.constantFrom(...PROGRAMS), async (r, program) => {
        const text = toText(r);
        const got = fast(program, text, { who: 'bob' });
        if (got === undefined) return;
        const [want] = await engine.run(program, [text], { who: 'bob' });
        assert.deepEqual(got, want?.outputs, `${program} on ${text}`);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('what stays with jq', () => {
  test('programs outside the subset do not compile on the fast path', () => {
    for (const program of ['.[]', 'map(.a)', '.a + 1', '"\\(.a)"', '.a as $x | $x', 'length', '[.a]', '.a | tostring', 'def f: .; f', '..', '$undefined']) {
      assert.equal(compileFast(program), undefined, program);
    }
  });

  test('records jq would print differently are declined, not guessed', () => {
    for (const record of ['{"a":1.50}', '{"a":1e3}', '{"a":-0}', '{"1":1}', '{"a":01}', 'nope']) {
      assert.throws(() => parseJson(record), Decline, record);
    }
  });

  test('a jq error (indexing a string) hands the record to jq for its message', () => {
    assert.equal(fast('.a.b', '{"a":"x"}'), undefined);
    assert.deepEqual(fast('.a.b?', '{"a":"x"}'), []);
  });
});
