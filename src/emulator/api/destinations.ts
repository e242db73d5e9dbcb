/**
 * Audit-log destinations, org-wide (reference §2.6, §3.3): CRUD with cursor pagination and
 * `filter[name]` (v2: bare string, `eq` or `contains`; v3: `eq` or `contains` only).
 * Deleting a destination that any webhook uses is 409 "Destination is in use".
 */
import type { AuditLogDestination, AuditLogDestinationList } from '../../konnect/types.js';
import { apiTime } from '../clock.js';
import type { RequestContext } from '../http/router.js';
import { ProblemError, invalid, json, noContent, notFound, type ApiResponse } from '../http/response.js';
import type { DestinationRecord } from '../state.js';
import { decodeCursor, encodeCursor, pageSize } from './paging.js';
import { blank, isUuid, optionalBoolean, optionalEndpoint, optionalLogFormat, optionalNonBlank, parseObject } from './validate.js';

/** Default page size of the destinations list. */
export const DESTINATIONS_PAGE_SIZE = 10;

/** The public view (no `authorization`). */
export function destinationView(d: DestinationRecord): AuditLogDestination {
  return {
    id: d.id,
    name: d.name,
    endpoint: d.endpoint,
    log_format: d.log_format,
    skip_ssl_verification: d.skip_ssl_verification,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}

function nameFilter(ctx: RequestContext): (name: string) => boolean {
  const filter = (ctx.deepQuery.filter as Record<string, unknown> | undefined)?.name;
  if (filter === undefined) return () => true;
  if (typeof filter === 'string') {
    if (ctx.version >= 3) throw invalid('Invalid filter', { field: 'filter[name]', reason: 'must use an operator: filter[name][eq] or filter[name][contains]', source: 'query' });
    return (name) => name === filter;
  }
  const ops = filter as Record<string, unknown>;
  const keys = Object.keys(ops);
  if (keys.length !== 1 || typeof ops[keys[0]!] !== 'string' || (keys[0] !== 'eq' && keys[0] !== 'contains')) {
    throw invalid('Invalid filter', { field: 'filter[name]', rule: 'enum', choices: ['eq', 'contains'], reason: 'use exactly one of the operators eq, contains', source: 'query' });
  }
  const value = ops[keys[0]] as string;
  return keys[0] === 'eq' ? (name) => name === value : (name) => name.includes(value);
}

export function listDestinations(ctx: RequestContext): ApiResponse {
  const size = pageSize(ctx.query, DESTINATIONS_PAGE_SIZE, 1000);
  const keep = nameFilter(ctx);
  const all = [...ctx.core.state.destinations.values()].filter((d) => keep(d.name));
  const after = ctx.query.get('page[after]');
  const beforeCursor = ctx.query.get('page[before]');
  // Cursors hold a creation-order position, not an index: deletions between pages shift nothing.
  let start = 0;
  if (after) {
    const position = cursorOrder(after, 'page[after]');
    start = all.findIndex((d) => d.order > position);
    if (start < 0) start = all.length;
  }
  let end = Math.min(all.length, start + size);
  if (beforeCursor) {
    const position = cursorOrder(beforeCursor, 'page[before]');
    end = all.findIndex((d) => d.order >= position);
    if (end < 0) end = all.length;
    start = Math.max(0, end - size);
  }
  const page = all.slice(start, end);
  const link = (key: 'page[after]' | 'page[before]', order: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of ctx.query) if (!k.startsWith('page[')) params.append(k, v);
    params.set('page[size]', String(size));
    params.set(key, encodeCursor({ order }));
    return `/v${ctx.version}/audit-log-destinations?${params.toString()}`;
  };
  const body: AuditLogDestinationList = {
    data: page.map(destinationView),
    meta: {
      next: end < all.length && page.length > 0 ? link('page[after]', page[page.length - 1]!.order) : null,
      previous: start > 0 && page.length > 0 ? link('page[before]', page[0]!.order) : null,
      size,
    },
  };
  return json(200, body);
}

function cursorOrder(cursor: string, field: string): number {
  const order = decodeCursor(cursor, field).order;
  if (typeof order !== 'number') throw invalid('Invalid cursor', { field, reason: 'is not a valid page cursor', source: 'query' });
  return order;
}

export async function createDestination(ctx: RequestContext): Promise<ApiResponse> {
  const body = parseObject(await ctx.body());
  const missing = ['name', 'endpoint', 'authorization', 'log_format'].filter((f) => body[f] === undefined || body[f] === '');
  if (missing.length > 0) throw invalid('Required field missing', ...missing.map((field) => ({ field, reason: 'cannot be blank' })));
  const name = optionalNonBlank(body, 'name')!;
  const endpoint = optionalEndpoint(body)!;
  const authorization = optionalNonBlank(body, 'authorization')!;
  const logFormat = optionalLogFormat(body)!;
  const skip = optionalBoolean(body, 'skip_ssl_verification') ?? false;
  const now = apiTime(ctx.core.now());
  const destination: DestinationRecord = {
    id: ctx.core.ids.uuid(),
    name,
    endpoint,
    authorization,
    log_format: logFormat,
    skip_ssl_verification: skip,
    created_at: now,
    updated_at: now,
    order: ctx.core.state.nextDestinationOrder(),
  };
  ctx.core.state.destinations.set(destination.id, destination);
  return json(201, destinationView(destination));
}

function find(ctx: RequestContext): DestinationRecord {
  const id = ctx.params.id ?? '';
  if (!isUuid(id)) throw notFound();
  const d = ctx.core.state.destinations.get(id);
  if (!d) throw notFound();
  return d;
}

export function getDestination(ctx: RequestContext): ApiResponse {
  return json(200, destinationView(find(ctx)));
}

export async function patchDestination(ctx: RequestContext): Promise<ApiResponse> {
  const d = find(ctx);
  const body = parseObject(await ctx.body());
  const name = optionalNonBlank(body, 'name');
  const endpoint = optionalEndpoint(body);
  const authorization = optionalNonBlank(body, 'authorization');
  const logFormat = optionalLogFormat(body);
  const skip = optionalBoolean(body, 'skip_ssl_verification');
  if (body.name === null) throw blank('name');
  if (name !== undefined) d.name = name;
  if (endpoint !== undefined) d.endpoint = endpoint;
  if (authorization !== undefined) d.authorization = authorization;
  if (logFormat !== undefined) d.log_format = logFormat;
  if (skip !== undefined) d.skip_ssl_verification = skip;
  d.updated_at = apiTime(ctx.core.now());
  return json(200, destinationView(d));
}

export function deleteDestination(ctx: RequestContext): ApiResponse {
  const d = find(ctx);
  if (ctx.core.state.destinationInUse(d.id)) throw new ProblemError(409, 'Destination is in use');
  ctx.core.state.destinations.delete(d.id);
  return noContent();
}
