/** Cursor pagination helpers: opaque base64url cursors and validated `page[size]`. */
import { invalid } from '../http/response.js';

/** Encodes a position as an opaque cursor. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`, or answers 400 for the named parameter. */
export function decodeCursor(cursor: string, field: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the 400
  }
  throw invalid('Invalid cursor', { field, reason: 'is not a valid page cursor', source: 'query' });
}

/** `page[size]`: a positive integer up to `max`, else `fallback` when absent. */
export function pageSize(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get('page[size]');
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw invalid('Invalid page size', { field: 'page[size]', rule: 'is_integer', reason: 'must be an integer', source: 'query' });
  const size = Number(raw);
  if (size < 1) throw invalid('Invalid page size', { field: 'page[size]', rule: 'min', minimum: 1, reason: 'must be at least 1', source: 'query' });
  if (size > max) throw invalid('Invalid page size', { field: 'page[size]', rule: 'max', maximum: max, reason: `must be at most ${max}`, source: 'query' });
  return size;
}
