import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { JqCompileError } from './engine.js';
import { RemoteJqEngine } from './remoteEngine.js';

const engine = new RemoteJqEngine(2_000);
after(() => engine.close());

test('runs batches on the jq thread with the same outcomes as the engine', async () => {
  assert.deepEqual(await engine.run('.a', ['{"a":1}', '{"a":"x"}']), [{ outputs: ['1'] }, { outputs: ['"x"'] }]);
  await assert.rejects(engine.check('.[[['), JqCompileError);
});

test('a record on which jq runs past the deadline is skipped alone; the thread is replaced and goes on', async () => {
  const started = Date.now();
  const out = await engine.run('if .slow then last(range(1e10)) else .n end', ['{"n":1}', '{"slow":true}', '{"n":3}']);
  assert.deepEqual(out[0], { outputs: ['1'] });
  assert.match(out[1]?.error ?? '', /did not finish within 2000 ms/);
  assert.deepEqual(out[2], { outputs: ['3'] });
  assert.ok(Date.now() - started < 10_000);
  assert.deepEqual(await engine.run('.n', ['{"n":4}']), [{ outputs: ['4'] }]);
});
