import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTailFilter, JqCompileError } from './tailFilter.js';

const RECORD = '{"action":"list","granted":true,"name":"Authz.control-planes","trace_id":3895213347334635099}';

test('one result prints compact JSON, keeping 64-bit integers exact', async () => {
  const f = await compileTailFilter('{name, trace_id}');
  assert.equal(f.apply(RECORD), '{"name":"Authz.control-planes","trace_id":3895213347334635099}');
});

test('no result prints null; several print one array on one line', async () => {
  assert.equal((await compileTailFilter('select(.granted == false)')).apply(RECORD), 'null');
  assert.equal((await compileTailFilter('.name, .action')).apply(RECORD), '["Authz.control-planes","list"]');
});

test('a record that is not JSON, or a runtime error, is an Error to skip', async () => {
  const f = await compileTailFilter('.name');
  assert.ok(f.apply('2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|x|y|1|rt=1') instanceof Error);
  assert.ok((await compileTailFilter('error("boom")')).apply(RECORD) instanceof Error);
});

test('an expression that does not compile is rejected up front with jq\'s message', async () => {
  await assert.rejects(compileTailFilter('.[[['), (error: unknown) => error instanceof JqCompileError && /syntax error/.test(error.message));
});
