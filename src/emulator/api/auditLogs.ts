/**
 * The pull API, `GET /v3/audit-logs` (reference §3.4): retained events of the region (org and
 * Dev Portal), oldest first, filtered by `filter[ts][gte|lte]` (inclusive; defaults: lte = now,
 * gte = 7 days before lte) and `filter[type]`, with cursor pagination under `meta.page`.
 */
import { PULL_LOG_TYPES, type PullAuditLogPage, type PullLogType } from '../../konnect/types.js';
import { RETENTION_MS, type StoredEvent } from '../audit/eventStore.js';
import { pullType, toPullRecord } from '../audit/pull.js';
import type { RequestContext } from '../http/router.js';
import { invalid, json, type ApiResponse } from '../http/response.js';
import { decodeCursor, encodeCursor, pageSize } from './paging.js';
import { isRfc3339 } from './validate.js';

function timeParam(ctx: RequestContext, field: 'gte' | 'lte'): number | undefined {
  const raw = ctx.query.get(`filter[ts][${field}]`);
  if (raw === null || raw === '') return undefined;
  if (!isRfc3339(raw)) {
    throw invalid('Invalid filter', { field: `filter[ts][${field}]`, rule: 'is_date_time', reason: 'must be an RFC 3339 date-time', source: 'query' });
  }
  return Date.parse(raw);
}

function typeParam(ctx: RequestContext): PullLogType | undefined {
  const raw = ctx.query.get('filter[type]');
  if (raw === null || raw === '') return undefined;
  if (!(PULL_LOG_TYPES as readonly string[]).includes(raw)) {
    throw invalid('Invalid filter', { field: 'filter[type]', rule: 'enum', choices: [...PULL_LOG_TYPES], reason: `must be one of: ${PULL_LOG_TYPES.join(', ')}`, source: 'query' });
  }
  return raw as PullLogType;
}

function cursorKey(cursor: string, field: string): { rt: number; seq: number } {
  const value = decodeCursor(cursor, field);
  if (typeof value.rt !== 'number' || typeof value.seq !== 'number') {
    throw invalid('Invalid cursor', { field, reason: 'is not a valid page cursor', source: 'query' });
  }
  return { rt: value.rt, seq: value.seq };
}

export function getAuditLogs(ctx: RequestContext): ApiResponse {
  const size = pageSize(ctx.query, 20, 1000);
  const now = ctx.core.now();
  const lte = timeParam(ctx, 'lte') ?? now;
  const gte = Math.max(timeParam(ctx, 'gte') ?? lte - RETENTION_MS, now - RETENTION_MS);
  const type = typeParam(ctx);
  const keep = (e: StoredEvent) => (type ? pullType(e.kind) === type : true);
  const store = ctx.core.store(ctx.region);
  store.prune(now);

  const after = ctx.query.get('page[after]');
  const before = ctx.query.get('page[before]');
  const page = before
    ? store.pageBefore(cursorKey(before, 'page[before]'), gte, size, keep)
    : store.pageAfter(after ? cursorKey(after, 'page[after]') : { rt: gte, seq: -1 }, lte, size, keep);

  const first = page[0];
  const last = page[page.length - 1];
  const hasNext = last !== undefined && store.pageAfter(last, lte, 1, keep).length > 0;
  const hasPrevious = first !== undefined && store.pageBefore(first, gte, 1, keep).length > 0;
  const link = (key: 'page[after]' | 'page[before]', e: StoredEvent) => {
    const params = new URLSearchParams();
    for (const [k, v] of ctx.query) if (!k.startsWith('page[')) params.append(k, v);
    params.set('page[size]', String(size));
    params.set(key, encodeCursor({ rt: e.rt, seq: e.seq }));
    return `/v3/audit-logs?${params.toString()}`;
  };
  const key = ctx.core.sign ? ctx.core.keys.active : undefined;
  const body: PullAuditLogPage = {
    data: page.flatMap((e) => toPullRecord(e, ctx.core.state.orgId, key) ?? []),
    meta: {
      page: {
        next: hasNext ? link('page[after]', last) : null,
        previous: hasPrevious ? link('page[before]', first) : null,
        size,
      },
    },
  };
  return json(200, body);
}
