import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PullQuery } from '../konnect/client.js';
import type { PullAuditLog } from '../konnect/types.js';
import { PullFollower, pulledRecordKey } from './follower.js';
import type { PullSource } from './pager.js';

const T0 = Date.parse('2026-11-27T12:00:00Z');
const record = (ms: number, sig: string): PullAuditLog => ({ type: 'gateway_access', ts: new Date(ms).toISOString(), org_id: 'o', principal_id: 'p', actor_id: '', client_ip: '', trace_id: '1', user_agent: '', method: 'GET', uri: '/x', query: '{}', status_code: 200, signature: sig });

/** A one-page source over a mutable list, honouring filter[ts][gte]. */
function listSource(records: PullAuditLog[]): PullSource & { queries: PullQuery[] } {
  const queries: PullQuery[] = [];
  return {
    queries,
    pullAuditLogs(query) {
      queries.push(query);
      const gte = query.gte ? Date.parse(query.gte) : -Infinity;
      const data = records.filter((r) => Date.parse(r.ts) >= gte).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
      return Promise.resolve({ data, meta: { page: { next: null, previous: null, size: 1000 } } });
    },
  };
}

async function poll(follower: PullFollower): Promise<string[]> {
  const out: string[] = [];
  for await (const page of follower.poll()) out.push(...page.map((r) => r.signature));
  return out;
}

describe('PullFollower', () => {
  test('hands on only records not seen, though each poll overlaps the last', async () => {
    const records = [record(T0, 'a'), record(T0 + 1000, 'b')];
    const source = listSource(records);
    const follower = new PullFollower(source, { pageSize: 1000, startMs: T0 - 3_600_000, overlapMs: 60_000 });
    follower.note(records);
    assert.deepEqual(await poll(follower), []);
    records.push(record(T0 + 1000, 'c'), record(T0 + 5000, 'd'));
    assert.deepEqual(await poll(follower), ['c', 'd']);
    assert.deepEqual(await poll(follower), []);
    // Each poll starts an overlap before the newest record seen.
    assert.equal(source.queries.at(-1)!.gte, new Date(T0 + 5000 - 60_000).toISOString());
  });

  test('a record that becomes visible late, with an earlier time inside the overlap, is not missed', async () => {
    const records = [record(T0, 'a'), record(T0 + 30_000, 'b')];
    const follower = new PullFollower(listSource(records), { pageSize: 1000, startMs: T0 - 3_600_000, overlapMs: 60_000 });
    follower.note(records);
    records.push(record(T0 + 10_000, 'late'));
    assert.deepEqual(await poll(follower), ['late']);
  });

  test('with nothing seen yet, polls from the start of the history', async () => {
    const source = listSource([]);
    const follower = new PullFollower(source, { pageSize: 50, startMs: T0, type: 'authorization' });
    assert.deepEqual(await poll(follower), []);
    assert.deepEqual(source.queries[0], { gte: new Date(T0).toISOString(), lte: undefined, type: 'authorization', pageSize: 50, after: undefined });
  });

  test('forgets records older than the overlap, so memory stays bounded', () => {
    const records = Array.from({ length: 100 }, (_, i) => record(T0 + i * 10_000, `r${i}`));
    const follower = new PullFollower(listSource([]), { pageSize: 1000, startMs: T0, overlapMs: 60_000 });
    follower.note(records);
    // Newest at T0 + 990 s: only records at or after T0 + 930 s are kept (7 of them).
    assert.equal(follower.remembered, 7);
    assert.equal(follower.floorMs, T0 + 930_000);
  });

  test('pulledRecordKey: the signature, else the record itself', () => {
    assert.equal(pulledRecordKey(record(T0, 'abc')), 's:abc');
    assert.match(pulledRecordKey(record(T0, '')), /^j:\{/);
  });
});
