/**
 * Walks the pull API's cursor pages (`GET /v3/audit-logs`, reference §3.4), oldest first: each
 * page's `meta.page.next` link carries the `page[after]` cursor of the next one.
 */
import type { PullQuery } from '../konnect/client.js';
import type { PullAuditLog, PullAuditLogPage, PullLogType } from '../konnect/types.js';

/** What serves pull pages: `KonnectClient` (or a stand-in in tests). */
export interface PullSource {
  pullAuditLogs(query: PullQuery, options?: { readonly signal?: AbortSignal }): Promise<PullAuditLogPage>;
}

/** The records asked for; times are RFC 3339, both bounds inclusive (Konnect's `filter[ts]`). */
export interface PullRange {
  readonly gte?: string;
  readonly lte?: string;
  readonly type?: PullLogType;
  /** `page[size]`, 1..1000. */
  readonly pageSize: number;
}

/** Most records Konnect returns in one page. */
export const MAX_PAGE_SIZE = 1000;
/** Pages walked before giving up on a cursor chain that never ends. */
const MAX_PAGES = 1_000_000;

/**
 * The `page[after]` cursor of a page's `next` link, or undefined on the last page. Only the cursor
 * is taken: Konnect documents `next` as a path that may carry its own prefix (`/api/v3/...`), and
 * some of its APIs put the links in `meta` itself rather than `meta.page`.
 * @example nextCursor({ page: { next: '/v3/audit-logs?page%5Bafter%5D=abc&page%5Bsize%5D=10' } }) // 'abc'
 */
export function nextCursor(meta: unknown): string | undefined {
  const m = meta as { page?: { next?: unknown }; next?: unknown } | null | undefined;
  const next = m?.page?.next ?? m?.next;
  if (typeof next !== 'string' || next === '') return undefined;
  let url: URL;
  try {
    url = new URL(next, 'http://konnect.invalid');
  } catch {
    return undefined;
  }
  return url.searchParams.get('page[after]') || undefined;
}

/**
 * Yields each page's records, following `next` until the last page (or an empty one). Throws if
 * Konnect hands back a cursor it already gave (a chain that would loop forever).
 * @example for await (const records of pullPages(client, { gte: '2026-11-27T00:00:00Z', pageSize: 1000 })) print(records);
 */
export async function* pullPages(source: PullSource, range: PullRange, signal?: AbortSignal): AsyncGenerator<PullAuditLog[]> {
  const seen = new Set<string>();
  let after: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    if (signal?.aborted) return;
    // The signal also cuts a request in flight short (Ctrl+C does not wait for Konnect's answer).
    const page = await source.pullAuditLogs({ gte: range.gte, lte: range.lte, type: range.type, pageSize: range.pageSize, after }, signal ? { signal } : {});
    const data = Array.isArray(page?.data) ? page.data : [];
    if (data.length > 0) yield data;
    const next = nextCursor(page?.meta);
    if (next === undefined || data.length === 0) return;
    if (seen.has(next)) throw new Error(`Konnect returned the page cursor ${JSON.stringify(next.slice(0, 40))} twice: stopping instead of looping`);
    seen.add(next);
    after = next;
  }
}
