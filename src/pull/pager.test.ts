import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PullQuery } from '../konnect/client.js';
import type { PullAuditLog, PullAuditLogPage } from '../konnect/types.js';
import { nextCursor, pullPages, type PullSource } from './pager.js';

const record = (n: number): PullAuditLog => ({ type: 'authorization', signature: `s${n}`, service: 'konnect', resource: 'krn:x', action: 'list', granted: true, org_id: 'o', ts: new Date(n * 1000).toISOString(), principal_id: 'p' });

/** A source serving `total` records in pages, with Konnect-style `next` links. */
function pagedSource(total: number, prefix = '/v3/audit-logs'): PullSource & { queries: PullQuery[] } {
  const queries: PullQuery[] = [];
  return {
    queries,
    pullAuditLogs(query) {
      queries.push(query);
      const start = query.after ? Number(query.after) : 0;
      const size = query.pageSize ?? 20;
      const data = Array.from({ length: Math.max(0, Math.min(size, total - start)) }, (_, i) => record(start + i));
      const end = start + data.length;
      const next = end < total ? `${prefix}?page%5Bafter%5D=${end}&page%5Bsize%5D=${size}` : null;
      return Promise.resolve({ data, meta: { page: { next, previous: null, size } } } satisfies PullAuditLogPage);
    },
  };
}

describe('nextCursor', () => {
  test('takes page[after] from meta.page.next, whatever the path prefix', () => {
    assert.equal(nextCursor({ page: { next: '/v3/audit-logs?page%5Bafter%5D=abc%3D&page%5Bsize%5D=10', previous: null, size: 10 } }), 'abc=');
    assert.equal(nextCursor({ page: { next: '/api/v3/audit-logs?page[after]=xyz', previous: null, size: 10 } }), 'xyz');
  });

  test('also reads next from meta itself (the destinations shape)', () => {
    assert.equal(nextCursor({ next: '/v3/audit-logs?page[after]=q', previous: null, size: 1 }), 'q');
  });

  test('undefined on the last page, for a next without a cursor, and for no meta', () => {
    assert.equal(nextCursor({ page: { next: null, previous: null, size: 10 } }), undefined);
    assert.equal(nextCursor({ page: { next: '/v3/audit-logs?page[size]=10', previous: null, size: 10 } }), undefined);
    assert.equal(nextCursor(undefined), undefined);
  });
});

describe('pullPages', () => {
  test('walks every page once, oldest first, passing the range and page size on each request', async () => {
    const source = pagedSource(23);
    const pages: PullAuditLog[][] = [];
    for await (const page of pullPages(source, { gte: '2026-01-01T00:00:00Z', lte: '2026-01-02T00:00:00Z', type: 'authorization', pageSize: 10 })) pages.push(page);
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 3]);
    assert.deepEqual(pages.flat().map((r) => r.signature), Array.from({ length: 23 }, (_, i) => `s${i}`));
    assert.deepEqual(source.queries.map((q) => q.after), [undefined, '10', '20']);
    for (const q of source.queries) assert.deepEqual({ ...q, after: undefined }, { gte: '2026-01-01T00:00:00Z', lte: '2026-01-02T00:00:00Z', type: 'authorization', pageSize: 10, after: undefined });
  });

  test('an empty result yields nothing and asks once', async () => {
    const source = pagedSource(0);
    const pages: PullAuditLog[][] = [];
    for await (const page of pullPages(source, { pageSize: 10 })) pages.push(page);
    assert.deepEqual(pages, []);
    assert.equal(source.queries.length, 1);
  });

  test('a cursor handed back twice stops with an error instead of looping', async () => {
    const looping: PullSource = { pullAuditLogs: () => Promise.resolve({ data: [record(1)], meta: { page: { next: '/v3/audit-logs?page[after]=same', previous: null, size: 1 } } }) };
    await assert.rejects(async () => {
      for await (const page of pullPages(looping, { pageSize: 1 })) void page;
    }, /cursor "same" twice/);
  });

  test('stops before the next request once the signal is aborted', async () => {
    const source = pagedSource(30);
    const controller = new AbortController();
    let pages = 0;
    for await (const page of pullPages(source, { pageSize: 10 }, controller.signal)) {
      void page;
      pages++;
      controller.abort();
    }
    assert.equal(pages, 1);
    assert.equal(source.queries.length, 1);
  });

  test('the signal reaches the request in flight, so an abort does not wait for Konnect to answer', async () => {
    const stop = new AbortController();
    const hanging: PullSource = {
      pullAuditLogs: (_query, options) =>
        new Promise((_resolve, reject) => {
          assert.ok(options?.signal, 'the signal is passed on');
          options.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          stop.abort();
        }),
    };
    await assert.rejects(pullPages(hanging, { pageSize: 10 }, stop.signal).next(), /aborted/);
  });
});
