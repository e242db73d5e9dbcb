import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeJq, RecordFilter } from '../jq/recordFilter.js';
import { TailSink } from './tailSink.js';
import { RateLimitedWarnings } from './warnings.js';

after(() => closeJq());

function streams(writableLength = 0) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) > 0, writableLength }, stderr: { write: (s: string) => err.push(s) } };
}

const CEF =
  '2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=1750280466889 src=127.0.0.6 action=list granted=true org_id=777db3e4-5cb7-4dd5-b51c-9878096a6999 principal_id=eb999f01-5976-4f4b-9fbc-dd5d514bd675 trace_id=3959872677347089807 user_agent=grpc-node-js/1.12.4 sig=LOdZA3_MhohXqOtPCONiEnzSnbT9tGEnVq0LJWX1pUdX_LTAbgy7IJxI4lK8-7bWnuODAlYS2AIWr2212MuYDA';

test('records are printed raw, one per line, stdout only', async () => {
  const s = streams();
  await new TailSink(s.stdout, s.stderr, undefined).write([Buffer.from('{"a":1}'), Buffer.from('cef line')]);
  assert.equal(s.out.join(''), '{"a":1}\ncef line\n');
  assert.deepEqual(s.err, []);
});

test("with --jq a bad record warns on stderr with kongctl's text and the others print", async () => {
  const s = streams();
  await new TailSink(s.stdout, s.stderr, await RecordFilter.compile({ expression: '.a' })).write([Buffer.from('{"a":1}'), Buffer.from('nope'), Buffer.from('{"a":2}')]);
  assert.equal(s.out.join(''), '1\n2\n');
  assert.equal(s.err.length, 1);
  assert.match(s.err[0]!, /^skipping non-JSON or invalid jq record for filter "\.a": /);
});

test('CEF, CPS and JSON records all filter as Konnect JSON objects, with exact trace ids', async () => {
  const s = streams();
  const json = '{"action":"list","granted":true,"name":"Authz.control-planes","trace_id":3959872677347089807}';
  const filter = await RecordFilter.compile({ expression: '{name, trace_id, granted}' });
  await new TailSink(s.stdout, s.stderr, filter).write([Buffer.from(CEF), Buffer.from(json), Buffer.from(`{"event":${json}}`)]);
  const expected = '{"name":"Authz.control-planes","trace_id":3959872677347089807,"granted":true}\n';
  assert.equal(s.out.join(''), expected.repeat(3));
});

test('--jq-raw prints strings without quotes and nothing for no result; --jq-arg binds $name', async () => {
  const s = streams();
  const filter = await RecordFilter.compile({ expression: 'select(.p == $who) | .name, .n', args: { who: 'bob' }, raw: true });
  await new TailSink(s.stdout, s.stderr, filter).write([Buffer.from('{"p":"ann","name":"a","n":1}'), Buffer.from('{"p":"bob","name":"b c","n":2}')]);
  assert.equal(s.out.join(''), 'b c\n2\n');
});

test('without --jq-raw: no result prints null, several one array', async () => {
  const s = streams();
  const sink = new TailSink(s.stdout, s.stderr, await RecordFilter.compile({ expression: '.[]?' }));
  await sink.write([Buffer.from('{}'), Buffer.from('{"a":1,"b":"x"}')]);
  assert.equal(s.out.join(''), 'null\n[1,"x"]\n');
});

test('a record nested thousands deep fails alone; the records around it print (fast path and jq)', async () => {
  const deep = '{"a":' + '['.repeat(6000) + ']'.repeat(6000) + '}';
  for (const expression of ['.name', '.name | ascii_downcase']) {
    const s = streams();
    await new TailSink(s.stdout, s.stderr, await RecordFilter.compile({ expression })).write([Buffer.from('{"name":"A"}'), Buffer.from(deep), Buffer.from('{"name":"B"}')]);
    // The fast path reads it as jq would (no name: null); jq-wasm's stack cannot, and that record alone is skipped.
    assert.equal(s.out.join(''), expression === '.name' ? '"A"\nnull\n"B"\n' : '"a"\n"b"\n', expression);
    assert.equal(s.err.length, expression === '.name' ? 0 : 1);
  }
});

test('a full stdout never blocks: records are not printed and one warning says they are stored', async () => {
  const s = streams(100 * 1024 * 1024);
  const sink = new TailSink(s.stdout, s.stderr, undefined);
  await sink.write([Buffer.from('x')]);
  await sink.write([Buffer.from('y')]);
  assert.deepEqual(s.out, []);
  assert.equal(s.err.length, 1);
  assert.match(s.err[0]!, /still stored/);
});

test('warnings are rate limited with a count of the ones held back', () => {
  const lines: string[] = [];
  let now = 0;
  const w = new RateLimitedWarnings((l) => lines.push(l), 1000, () => now);
  w.warn('a');
  w.warn('b');
  w.warn('c');
  now = 1500;
  w.warn('d');
  assert.deepEqual(lines, ['a\n', 'd (and 2 more since the last warning)\n']);
});
