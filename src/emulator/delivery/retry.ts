/**
 * Konnect's webhook retry rules (reference §7.3-§7.4): wait 1 s, 2 s, 4 s, 8 s (doubling, capped
 * at 30 s), at most 4 retries; retry on connection errors, 429 and 5xx except 501; a parseable
 * `Retry-After` on 429/503 replaces the computed wait (capped at the 30 s maximum).
 * These are the defaults of hashicorp/go-retryablehttp, which match the documented rules.
 */
import { STATUS_CODES } from 'node:http';

export const RETRY_WAIT_MIN_MS = 1000;
export const RETRY_WAIT_MAX_MS = 30_000;
export const RETRY_MAX = 4;

/** Outcome of one delivery attempt. */
export interface AttemptResult {
  readonly ok: boolean;
  /** HTTP status; undefined when no response arrived. */
  readonly statusCode: number | undefined;
  /** Reason phrase for HTTP failures, error text for connection errors (shown as `last_response_message`). */
  readonly message: string;
  readonly retryable: boolean;
  /** Wait requested by `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined;
}

/** Whether a response status is retried: 429, and 5xx except 501. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501) || status === 0;
}

/** TLS certificate failures are not retried (go-retryablehttp treats them as permanent). */
const PERMANENT_ERROR_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_INVALID_URL',
  'ERR_INVALID_PROTOCOL',
]);

/** Whether a connection-level error is retried. */
export function isRetryableError(code: string | undefined): boolean {
  return code === undefined || !PERMANENT_ERROR_CODES.has(code);
}

/** Parses `Retry-After` (delay-seconds or an HTTP-date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The nominal wait before retry number `retry` (0-based) after `result`. */
export function retryWaitMs(retry: number, result: AttemptResult): number {
  if (result.retryAfterMs !== undefined && (result.statusCode === 429 || result.statusCode === 503)) {
    return Math.min(RETRY_WAIT_MAX_MS, result.retryAfterMs);
  }
  return Math.min(RETRY_WAIT_MAX_MS, RETRY_WAIT_MIN_MS * 2 ** retry);
}

/** An attempt result for an HTTP response. */
export function responseResult(statusCode: number, retryAfterMs: number | undefined): AttemptResult {
  const ok = statusCode >= 200 && statusCode < 300;
  return {
    ok,
    statusCode,
    message: STATUS_CODES[statusCode] ?? `HTTP ${statusCode}`,
    retryable: !ok && isRetryableStatus(statusCode),
    retryAfterMs,
  };
}

/** An attempt result for a connection-level error. */
export function errorResult(error: NodeJS.ErrnoException): AttemptResult {
  return {
    ok: false,
    statusCode: undefined,
    message: error.code ? `${error.code}: ${error.message}` : error.message,
    retryable: isRetryableError(error.code),
    retryAfterMs: undefined,
  };
}
