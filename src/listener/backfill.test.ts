import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ReplayConflictError, type TimeRange } from '../konnect/replayJob.js';
import { KonnectApiError } from '../konnect/client.js';
import type { AuditLogReplayJob, ReplayJobStatus } from '../konnect/types.js';
import {
  computeGap,
  replayCommand,
  runBackfill,
  RUN_MARKER_FILE,
  RunMarkerFile,
  backfillListenerGap,
  type BackfillContext,
  type Gap,
  type ReplayApi,
} from './backfill.js';

const T = (iso: string) => Date.parse(iso);
const NOW = T('2026-11-27T12:00:10Z');
const ENABLED = T('2026-11-27T12:00:00.250Z');

function job(status: ReplayJobStatus, range: TimeRange = { startMs: 0, endMs: 0 }): AuditLogReplayJob {
  return { start_at: new Date(range.startMs).toISOString(), end_at: new Date(range.endMs).toISOString(), status, updated_at: new Date(NOW).toISOString() };
}

/** A fake region job: PUT answers from `answers` in turn, GET from `current`, watch runs `during` then ends in `end`. */
class FakeApi implements ReplayApi {
  requests: TimeRange[] = [];
  currentCalls = 0;
  constructor(
    private readonly answers: (AuditLogReplayJob | Error)[],
    private readonly current_: ReplayJobStatus[] = [],
    private readonly end: ReplayJobStatus = 'completed',
    private readonly during: () => void = () => {},
  ) {}
  request(range: TimeRange): Promise<AuditLogReplayJob> {
    this.requests.push(range);
    const answer = this.answers.shift() ?? job('accepted', range);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
  current(): Promise<AuditLogReplayJob> {
    const status = this.current_[Math.min(this.currentCalls++, this.current_.length - 1)] ?? 'completed';
    return Promise.resolve(job(status));
  }
  watch(initial: AuditLogReplayJob, onState: (job: AuditLogReplayJob) => void): Promise<AuditLogReplayJob> {
    onState(initial);
    this.during();
    return Promise.resolve({ ...initial, status: this.end });
  }
}

interface Lines {
  info: string[];
  warn: string[];
  note: string[];
}

function context(api: ReplayApi, overrides: Partial<BackfillContext> = {}): { context: BackfillContext; lines: Lines; counters: { stored: number; duplicates: number } } {
  const lines: Lines = { info: [], warn: [], note: [] };
  const counters = { stored: 100, duplicates: 7 };
  return {
    lines,
    counters,
    context: {
      mode: 'auto',
      api,
      report: { info: (m) => lines.info.push(m), warn: (m) => lines.warn.push(m), note: (m) => lines.note.push(m) },
      signal: new AbortController().signal,
      counters: () => ({ ...counters }),
      replayCommand: (range, spelling) => replayCommand(range, 'default', spelling),
      now: () => NOW,
      pause: () => Promise.resolve(),
      ...overrides,
    },
  };
}

const GAP: Gap = computeGap({ newestRecordMs: T('2026-11-27T11:00:00.700Z') }, ENABLED, NOW)!;

describe('computeGap', () => {
  test('from the newest stored record minus 5 minutes to the webhook enabled plus 15 s, in whole seconds', () => {
    assert.deepEqual(GAP, {
      startMs: T('2026-11-27T10:55:00Z'),
      endMs: T('2026-11-27T12:00:16Z'),
      wantedStartMs: T('2026-11-27T10:55:00Z'),
      lostBefore: false,
      reason: 'newest stored record at 2026-11-27T11:00:00.700Z',
    });
  });

  test('an empty store after an unclean stop starts at that listener’s start', () => {
    const gap = computeGap({ uncleanStop: { pid: 4242, startedAtMs: T('2026-11-27T09:30:00.5Z') } }, ENABLED, NOW);
    assert.equal(gap?.startMs, T('2026-11-27T09:30:00Z'));
    assert.equal(gap?.reason, 'previous listener (pid 4242, started at 2026-11-27T09:30:00.500Z) stopped uncleanly');
  });

  test('with stored records an unclean stop is named but the newest record anchors the start', () => {
    const gap = computeGap({ newestRecordMs: T('2026-11-27T11:00:00Z'), uncleanStop: { pid: 7, startedAtMs: T('2026-11-20T00:00:00Z') } }, ENABLED, NOW);
    assert.equal(gap?.startMs, T('2026-11-27T10:55:00Z'));
    assert.equal(gap?.reason, 'newest stored record at 2026-11-27T11:00:00Z; previous listener (pid 7, started at 2026-11-20T00:00:00Z) stopped uncleanly');
  });

  test('an empty store and a clean history: nothing to back-fill', () => {
    assert.equal(computeGap({}, ENABLED, NOW), undefined);
  });

  test('a gap an earlier back-fill did not recover reaches back further than the newest record', () => {
    const gap = computeGap({ newestRecordMs: T('2026-11-27T11:00:00Z'), pendingSinceMs: T('2026-11-27T08:00:00Z') }, ENABLED, NOW);
    assert.equal(gap?.startMs, T('2026-11-27T08:00:00Z'));
    assert.match(gap?.reason ?? '', /an earlier back-fill from 2026-11-27T08:00:00Z did not complete$/);
  });

  test('beyond 7 days: the 7 days Konnect keeps, from now - 7 d + 1 min, marked lost before', () => {
    const gap = computeGap({ newestRecordMs: T('2026-11-01T00:00:00Z') }, ENABLED, NOW);
    assert.equal(gap?.startMs, T('2026-11-20T12:01:10Z'));
    assert.equal(gap?.wantedStartMs, T('2026-10-31T23:55:00Z'));
    assert.equal(gap?.lostBefore, true);
  });

  test('a newest record later than the end (clock skew): no gap', () => {
    assert.equal(computeGap({ newestRecordMs: ENABLED + 10 * 60_000 }, ENABLED, NOW), undefined);
  });
});

describe('runBackfill', () => {
  test('auto: requests the gap, watches the job, and reports records stored and duplicates dropped while it ran', async () => {
    const holder: { c?: ReturnType<typeof context> } = {};
    const api = new FakeApi([], [], 'completed', () => {
      holder.c!.counters.stored += 12;
      holder.c!.counters.duplicates += 30;
    });
    const c = (holder.c = context(api));
    assert.equal(await runBackfill(GAP, c.context), 'completed');
    assert.deepEqual(api.requests, [{ startMs: GAP.startMs, endMs: GAP.endMs }]);
    assert.deepEqual(c.lines.info, [
      'back-fill: requested a replay of audit events from 2026-11-27T10:55:00Z to 2026-11-27T12:00:16Z (newest stored record at 2026-11-27T11:00:00.700Z)',
      'back-fill: replay job completed: 12 new records stored while it ran and 30 re-sent records dropped as duplicates',
    ]);
    assert.deepEqual(c.lines.warn, []);
  });

  test('no gap: nothing requested, a note in the log only', async () => {
    const api = new FakeApi([]);
    const c = context(api);
    assert.equal(await runBackfill(undefined, c.context), 'nothing');
    assert.deepEqual(api.requests, []);
    assert.deepEqual([c.lines.info, c.lines.warn], [[], []]);
    assert.match(c.lines.note[0]!, /^back-fill: nothing to back-fill/);
  });

  test('off: nothing requested; a warning names the gap and the command that fills it', async () => {
    const api = new FakeApi([]);
    const c = context(api, { mode: 'off' });
    assert.equal(await runBackfill(GAP, c.context), 'off');
    assert.deepEqual(api.requests, []);
    assert.deepEqual(c.lines.warn, [
      'warning: back-fill is off: audit events from 2026-11-27T10:55:00Z to 2026-11-27T12:00:16Z may be missing (newest stored record at 2026-11-27T11:00:00.700Z); request them with: konnect-audit replay --start-time 2026-11-27T10:55:00Z --end-time 2026-11-27T12:00:16Z',
    ]);
  });

  test('ask: yes requests, no only warns; the question names the gap', async () => {
    const questions: string[] = [];
    const yes = new FakeApi([]);
    const c1 = context(yes, { mode: 'ask', confirm: (q) => (questions.push(q), Promise.resolve(true)) });
    assert.equal(await runBackfill(GAP, c1.context), 'completed');
    assert.equal(yes.requests.length, 1);
    assert.equal(questions[0], 'Request a replay of the gap from 2026-11-27T10:55:00Z to 2026-11-27T12:00:16Z (newest stored record at 2026-11-27T11:00:00.700Z)? [Y/n] ');
    const no = new FakeApi([]);
    const c2 = context(no, { mode: 'ask', confirm: () => Promise.resolve(false) });
    assert.equal(await runBackfill(GAP, c2.context), 'declined');
    assert.deepEqual(no.requests, []);
    assert.match(c2.lines.warn[0]!, /^warning: back-fill declined: .*request them with: konnect-audit replay --start-time 2026-11-27T10:55:00Z --end-time 2026-11-27T12:00:16Z$/);
  });

  test('409: waits until the running job has ended, then requests its own', async () => {
    const other = job('running', { startMs: T('2026-11-27T06:00:00Z'), endMs: T('2026-11-27T07:00:00Z') });
    const api = new FakeApi([new ReplayConflictError(other)], ['running', 'running', 'completed']);
    const c = context(api);
    assert.equal(await runBackfill(GAP, c.context), 'completed');
    assert.equal(api.currentCalls, 3, 'polled until the other job completed');
    assert.equal(api.requests.length, 2);
    assert.match(c.lines.info[0]!, /^back-fill: a replay job is already running \(2026-11-27T06:00:00.000Z to 2026-11-27T07:00:00.000Z\); Konnect runs one at a time/);
    assert.match(c.lines.info[1]!, /^back-fill: requested a replay/);
  });

  test('409 and the listener stops while waiting: nothing more is requested', async () => {
    const stop = new AbortController();
    const api = new FakeApi([new ReplayConflictError(job('running'))], ['running']);
    const c = context(api, { signal: stop.signal, pause: () => (stop.abort(), Promise.resolve()) });
    assert.equal(await runBackfill(GAP, c.context), 'stopped');
    assert.equal(api.requests.length, 1);
    assert.equal(api.currentCalls, 0);
  });

  test('another Konnect error: a warning with the exact command to run later; the listener goes on', async () => {
    const api = new FakeApi([new KonnectApiError('PUT', 'https://us.api.konghq.com/v2/audit-log-replay-job', 403, undefined, '{"title":"Forbidden"}')]);
    const c = context(api);
    assert.equal(await runBackfill(GAP, c.context), 'error');
    assert.equal(c.lines.warn.length, 1);
    assert.match(c.lines.warn[0]!, /^warning: back-fill: could not request a replay of the gap from 2026-11-27T10:55:00Z to 2026-11-27T12:00:16Z: .*403.*; request it later with: konnect-audit replay --start-time 2026-11-27T10:55:00Z --end-time 2026-11-27T12:00:16Z$/);
  });

  test('a 400 while the end is still ahead (Konnect may refuse a future time): asks once more after the end has passed', async () => {
    const refused = () => new KonnectApiError('PUT', 'https://us.api.konghq.com/v2/audit-log-replay-job', 400, undefined, '{"title":"Bad Request"}');
    const slept: number[] = [];
    const sleep = (ms: number) => {
      slept.push(ms);
      return Promise.resolve();
    };
    const once = new FakeApi([refused()]);
    const c = context(once, { sleep });
    assert.equal(await runBackfill(GAP, c.context), 'completed');
    // The end 12:00:16 is 6 s ahead of 12:00:10; asked again 2 s after it.
    assert.deepEqual(slept, [8000]);
    assert.deepEqual(once.requests, [once.requests[0], once.requests[0]]);
    assert.deepEqual(c.lines.warn, []);
    assert.match(c.lines.note.join('\n'), /Konnect refused the range .*400.* while its end is ahead; asking again in 8 s, once it has passed/);

    // Refused again: one retry only, then the usual warning with the command.
    const twice = new FakeApi([refused(), refused()]);
    const c2 = context(twice, { sleep });
    assert.equal(await runBackfill(GAP, c2.context), 'error');
    assert.equal(twice.requests.length, 2);
    assert.match(c2.lines.warn[0]!, /^warning: back-fill: could not request a replay .*400.*; request it later with: konnect-audit replay/);

    // A 400 for a range whose end has passed is not about the end: no wait.
    slept.length = 0;
    const past = new FakeApi([refused()]);
    const c3 = context(past, { sleep, now: () => GAP.endMs + 60_000 });
    assert.equal(await runBackfill(GAP, c3.context), 'error');
    assert.deepEqual([slept, past.requests.length], [[], 1]);
  });

  test('a failed job: a warning pointing at status and the replay command', async () => {
    const api = new FakeApi([], [], 'failed');
    const c = context(api);
    assert.equal(await runBackfill(GAP, c.context), 'failed');
    assert.match(c.lines.warn[0]!, /failed .*check the webhook with `konnect-audit status` and request it again with: konnect-audit replay --since 2026-11-27T10:55:00Z --until 2026-11-27T12:00:16Z$/);
  });

  test('beyond 7 days: a warning that the older events cannot be recovered, then the 7 days are requested', async () => {
    const gap = computeGap({ newestRecordMs: T('2026-11-01T00:00:00Z') }, ENABLED, NOW)!;
    const api = new FakeApi([]);
    const c = context(api);
    assert.equal(await runBackfill(gap, c.context), 'completed');
    assert.equal(
      c.lines.warn[0],
      'warning: back-fill: the gap starts at 2026-10-31T23:55:00Z, more than 7 days ago; Konnect keeps audit events for 7 days, so those before 2026-11-20T12:01:10Z cannot be recovered',
    );
    assert.deepEqual(api.requests, [{ startMs: T('2026-11-20T12:01:10Z'), endMs: gap.endMs }]);
  });
});

describe('replayCommand', () => {
  test('names the profile unless it is the default one', () => {
    const range = { startMs: T('2026-11-27T10:55:00Z'), endMs: T('2026-11-27T12:00:16Z') };
    assert.equal(replayCommand(range, 'default'), 'konnect-audit replay --start-time 2026-11-27T10:55:00Z --end-time 2026-11-27T12:00:16Z');
    assert.equal(replayCommand(range, 'prod', 'since'), 'konnect-audit replay --since 2026-11-27T10:55:00Z --until 2026-11-27T12:00:16Z --profile prod');
  });
});

describe('RunMarkerFile', () => {
  test('a marker left running is an unclean stop; a clean stop removes it; an unrecovered gap survives a clean stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'backfill-marker-'));
    const file = join(dir, RUN_MARKER_FILE);
    try {
      const first = await RunMarkerFile.open(dir, T('2026-11-27T09:00:00Z'), 1111);
      assert.deepEqual(first.evidence, {});
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { pid: 1111, started_at: '2026-11-27T09:00:00.000Z' });
      // Killed: the marker stays. The next listener (after `cleanup`, which does not touch it) sees it.
      const second = await RunMarkerFile.open(dir, T('2026-11-27T10:00:00Z'), 2222);
      assert.deepEqual(second.evidence, { uncleanStop: { pid: 1111, startedAtMs: T('2026-11-27T09:00:00Z') } });
      // A start that fails before its back-fill keeps the unclean stop for the next one.
      await second.stoppedCleanly();
      const third = await RunMarkerFile.open(dir, T('2026-11-27T10:01:00Z'), 3333);
      assert.deepEqual(third.evidence, { uncleanStop: { pid: 1111, startedAtMs: T('2026-11-27T09:00:00Z') } });
      // Handled, with part of the gap not recovered: pending for the next start, the unclean stop forgotten.
      await third.backfillDone(T('2026-11-27T08:55:00Z'));
      await third.stoppedCleanly();
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { backfill_pending_since: '2026-11-27T08:55:00.000Z' });
      const fourth = await RunMarkerFile.open(dir, T('2026-11-27T11:00:00Z'), 4444);
      assert.deepEqual(fourth.evidence, { pendingSinceMs: T('2026-11-27T08:55:00Z') });
      await fourth.backfillDone(undefined);
      await fourth.stoppedCleanly();
      assert.equal(existsSync(file), false, 'a clean stop with nothing pending leaves no marker');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an unreadable marker counts as none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'backfill-marker-'));
    try {
      await writeFile(join(dir, RUN_MARKER_FILE), '{"pid":');
      assert.deepEqual((await RunMarkerFile.open(dir)).evidence, {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('backfillListenerGap keeps the gap pending while the job runs and clears it once completed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'backfill-marker-'));
    const file = join(dir, RUN_MARKER_FILE);
    try {
      await writeFile(file, JSON.stringify({ pid: 1111, started_at: '2026-11-27T09:00:00.000Z' }));
      const marker = await RunMarkerFile.open(dir, NOW, 2222);
      let pendingDuringJob: unknown;
      const api = new FakeApi([], [], 'completed', () => {
        pendingDuringJob = JSON.parse(readFileSync(file, 'utf8'));
      });
      const c = context(api);
      const outcome = await backfillListenerGap({ ...c.context, marker, newestRecordMs: undefined, enabledAtMs: ENABLED, profile: 'default' });
      assert.equal(outcome, 'completed');
      assert.deepEqual(api.requests, [{ startMs: T('2026-11-27T09:00:00Z'), endMs: T('2026-11-27T12:00:16Z') }]);
      assert.deepEqual(pendingDuringJob, { pid: 2222, started_at: new Date(NOW).toISOString(), backfill_pending_since: '2026-11-27T09:00:00.000Z' });
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { pid: 2222, started_at: new Date(NOW).toISOString() });
      assert.match(c.lines.info[0]!, /\(previous listener \(pid 1111, started at 2026-11-27T09:00:00Z\) stopped uncleanly\)$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
