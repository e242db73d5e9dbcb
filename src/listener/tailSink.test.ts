import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTailFilter } from '../jq/tailFilter.js';
import { TailSink } from './tailSink.js';

function streams(writableLength = 0) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) > 0, writableLength }, stderr: { write: (s: string) => err.push(s) } };
}

test('records are printed raw, one per line, stdout only', () => {
  const s = streams();
  new TailSink(s.stdout, s.stderr, undefined).write([Buffer.from('{"a":1}'), Buffer.from('cef line')]);
  assert.equal(s.out.join(''), '{"a":1}\ncef line\n');
  assert.deepEqual(s.err, []);
});

test('with --jq a bad record warns on stderr with kongctl\'s text and the others print', async () => {
  const s = streams();
  new TailSink(s.stdout, s.stderr, await compileTailFilter('.a')).write([Buffer.from('{"a":1}'), Buffer.from('nope'), Buffer.from('{"a":2}')]);
  assert.equal(s.out.join(''), '1\n2\n');
  assert.equal(s.err.length, 1);
  assert.match(s.err[0]!, /^skipping non-JSON or invalid jq record for filter "\.a": /);
});

test('a full stdout never blocks: records are not printed and one warning says they are stored', () => {
  const s = streams(100 * 1024 * 1024);
  const sink = new TailSink(s.stdout, s.stderr, undefined);
  sink.write([Buffer.from('x')]);
  sink.write([Buffer.from('y')]);
  assert.deepEqual(s.out, []);
  assert.equal(s.err.length, 1);
  assert.match(s.err[0]!, /still stored/);
});
