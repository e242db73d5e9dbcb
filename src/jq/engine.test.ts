import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { JqCompileError, JqEngine } from './engine.js';

let engine: JqEngine;
before(async () => {
  engine = await JqEngine.load();
});

test('each input gets its own outputs, in order, from one batch', async () => {
  const out = await engine.run('.a, .a', ['{"a":1}', '{"a":"x"}', '{"b":true}']);
  assert.deepEqual(out, [{ outputs: ['1', '1'] }, { outputs: ['"x"', '"x"'] }, { outputs: ['null', 'null'] }]);
});

test('64-bit integers pass through unchanged when the filter does no arithmetic', async () => {
  const record = '{"trace_id":3895213347334635099,"name":"Authz.x"}';
  for (const program of ['.trace_id', '{trace_id}', 'select(.trace_id == 3895213347334635099) | .trace_id']) {
    const [outcome] = await engine.run(program, [record]);
    assert.ok(outcome?.outputs?.[0]?.includes('3895213347334635099'), `${program}: ${JSON.stringify(outcome)}`);
  }
});

test('a runtime error fails only its own record, with jq\'s message', async () => {
  const out = await engine.run('.a + 1', ['{"a":1}', '{"a":"x"}', '{"a":2}']);
  assert.deepEqual(out[0], { outputs: ['2'] });
  assert.deepEqual(out[1], { outputs: [], error: 'string ("x") and number (1) cannot be added' });
  assert.deepEqual(out[2], { outputs: ['3'] });
});

test('an input jq cannot parse (too deep) fails alone; the records after it still run', async () => {
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const out = await engine.run('length', ['{"a":1}', deep, '{"a":1,"b":2}', '[1,2,3]']);
  assert.equal(out.length, 4);
  assert.deepEqual(out[0], { outputs: ['1'] });
  assert.match(out[1]?.error ?? '', /depth limit/);
  assert.deepEqual(out.slice(2), [{ outputs: ['2'] }, { outputs: ['3'] }]);
});

test('outputs before an error are kept with the error, as jq prints them', async () => {
  const out = await engine.run('.[] | if . == "ho" then error else "\\(.) there!" end', ['["hi","ho"]', '["a"]']);
  assert.deepEqual(out, [{ outputs: ['"hi there!"'], error: 'ho' }, { outputs: ['"a there!"'] }]);
});

test('a trailing comment in the program does not break the batch', async () => {
  assert.deepEqual(await engine.run('.a # the field', ['{"a":1}', '{"a":2}']), [{ outputs: ['1'] }, { outputs: ['2'] }]);
});

test('checking a program does not run it', () => {
  const start = performance.now();
  engine.check('last(range(1e8))');
  assert.ok(performance.now() - start < 1000);
  engine.check('"bye\\n" | halt_error(3)');
});

test('halt inside the filter ends only that record', async () => {
  const out = await engine.run('if .stop then halt else .n end', ['{"n":1}', '{"stop":true}', '{"n":3}']);
  assert.deepEqual(out, [{ outputs: ['1'] }, { outputs: [] }, { outputs: ['3'] }]);
});

test('--arg values are available as $name', async () => {
  assert.deepEqual(await engine.run('select(.p == $who) | .n', ['{"p":"ann","n":1}', '{"p":"bob","n":2}'], { who: 'bob' }), [{ outputs: [] }, { outputs: ['2'] }]);
});

test('programs with their own definitions and try/catch keep their meaning', async () => {
  assert.deepEqual(await engine.run('def twice(f): f, f; twice(.a)', ['{"a":1}']), [{ outputs: ['1', '1'] }]);
  assert.deepEqual(await engine.run('try error("x") catch "caught"', ['{}']), [{ outputs: ['"caught"'] }]);
  assert.deepEqual(await engine.run('.[] | select(. > 1)', ['[1,2,3]']), [{ outputs: ['2', '3'] }]);
});

test('a program that does not compile is rejected with jq\'s message', () => {
  assert.throws(() => engine.check('.[[['), (error: unknown) => error instanceof JqCompileError && /syntax error/.test(error.message));
  assert.throws(() => engine.check('$nope'), (error: unknown) => error instanceof JqCompileError && /\$nope is not defined/.test(error.message));
  engine.check('$who', { who: 'x' });
});
