import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { elapsed, rangeLabel, replayProgress } from './progress.js';

const T0 = Date.parse('2026-11-27T12:00:00Z');

function sink() {
  const out = { text: '', write: (chunk: string) => (out.text += chunk) };
  return out;
}

describe('rangeLabel', () => {
  test('shortens the end to its time when both ends are on the same day', () => {
    assert.equal(rangeLabel({ startMs: Date.parse('2026-11-27T06:00:00Z'), endMs: Date.parse('2026-11-27T12:00:00Z') }), 'replay 2026-11-27T06:00:00Z → 12:00:00Z');
  });

  test('keeps the full end on another day', () => {
    assert.equal(rangeLabel({ startMs: Date.parse('2026-11-26T06:00:00Z'), endMs: Date.parse('2026-11-27T12:00:00Z') }), 'replay 2026-11-26T06:00:00Z → 2026-11-27T12:00:00Z');
  });
});

describe('elapsed', () => {
  test('seconds, minutes, hours', () => {
    assert.equal(elapsed(12_400), '12 s');
    assert.equal(elapsed(185_000), '3 min 05 s');
    assert.equal(elapsed(3_720_000), '1 h 02 min');
  });
});

describe('replayProgress off a terminal', () => {
  test('writes one timestamped line per state change and none for repeats', () => {
    const out = sink();
    let now = T0;
    const progress = replayProgress({ out, tty: false, label: 'replay X', now: () => now });
    progress.state('accepted');
    progress.state('accepted');
    now += 2000;
    progress.state('running');
    now += 1000;
    progress.done('completed');
    assert.equal(
      out.text,
      ['2026-11-27T12:00:00.000Z replay X: accepted (0 s)', '2026-11-27T12:00:02.000Z replay X: running (2 s)', '2026-11-27T12:00:03.000Z replay X: completed (3 s)', ''].join('\n'),
    );
    assert.ok(!out.text.includes('\r'), 'no carriage returns off a terminal');
  });

  test('done with the state already shown and no note writes nothing more', () => {
    const out = sink();
    const progress = replayProgress({ out, tty: false, label: 'replay X', now: () => T0 });
    progress.state('completed');
    progress.done('completed');
    assert.equal(out.text.split('\n').length, 2);
  });
});

describe('replayProgress on a terminal', () => {
  test('redraws one line in place and ends it with a final line', () => {
    const out = sink();
    const progress = replayProgress({ out, tty: true, label: 'replay X', now: () => T0, frameMs: 60_000 });
    progress.state('accepted');
    progress.state('running');
    progress.done('completed');
    assert.equal(out.text, '\r\x1b[K⠋ replay X: accepted (0 s)\r\x1b[K⠙ replay X: running (0 s)\r\x1b[K✔ replay X: completed (0 s)\n');
  });

  test('a failed job ends with a cross and the note', () => {
    const out = sink();
    const progress = replayProgress({ out, tty: true, label: 'replay X', now: () => T0, frameMs: 60_000 });
    progress.state('running');
    progress.done('failed', 'see webhook status');
    assert.ok(out.text.endsWith('\r\x1b[K✖ replay X: failed (0 s): see webhook status\n'), JSON.stringify(out.text));
  });

  test('stop clears the line and stops redrawing', async () => {
    const out = sink();
    const progress = replayProgress({ out, tty: true, label: 'replay X', now: () => T0, frameMs: 5 });
    progress.state('running');
    progress.stop();
    const length = out.text.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(out.text.length, length);
    assert.ok(out.text.endsWith('\r\x1b[K'));
  });
});
