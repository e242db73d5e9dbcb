import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventPrinter } from './printer.js';
import type { EventRow } from './render.js';

const ROW: EventRow = ['2025-06-18T21:01:06.889Z', 'authorization', 'p-1', 'list control-planes', 'granted'];

describe('EventPrinter', () => {
  test('jsonl: jq lines as they are, stored bytes with their newline', () => {
    const p = new EventPrinter('jsonl');
    assert.equal(p.print(['{"a":1}\n', '{"b":2}\n']), '{"a":1}\n{"b":2}\n');
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
    assert.deepEqual(p.print([bytes, Buffer.from('{}')]), Buffer.from([0x7b, 0xff, 0x7d, 0x0a, 0x7b, 0x7d, 0x0a]));
    assert.equal(p.finish(), '');
  });

  test('json: one valid document, streamed', () => {
    const p = new EventPrinter('json');
    const out = String(p.print(['{"a":1}'])) + String(p.print([])) + String(p.print(['{"b":2}', '{"c":3}'])) + p.finish();
    assert.deepEqual(JSON.parse(out), [{ a: 1 }, { b: 2 }, { c: 3 }]);
    assert.equal(new EventPrinter('json').finish(), '[]\n');
  });

  test('text: fixed widths, no header', () => {
    const p = new EventPrinter('text');
    assert.match(String(p.print([ROW])), /^2025-06-18T21:01:06.889Z {2}authorization {3}p-1 {35}list/);
    assert.equal(p.finish(), '');
  });

  test('table: rows held, then sized to fit under a header', () => {
    const p = new EventPrinter('table');
    assert.equal(p.print([ROW]), '');
    assert.equal(p.finish().split('\n')[0], 'TIME                      TYPE           PRINCIPAL  ACTION               OUTCOME');
  });

  test('table with follow: header once, fixed widths as rows come', () => {
    const p = new EventPrinter('table', true);
    const first = String(p.print([ROW]));
    assert.match(first, /^TIME {22}TYPE {12}PRINCIPAL/);
    assert.equal(first.split('\n').length, 3);
    assert.equal(String(p.print([ROW])).split('\n').length, 2);
    assert.equal(p.finish(), '');
    assert.match(new EventPrinter('table', true).finish(), /^TIME/);
  });
});
