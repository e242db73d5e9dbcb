/**
 * When and how long the Konnect client waits before retrying a request: pure functions, so the
 * policy is tested without HTTP and shared by the client and the listener set-up.
 *
 * @example
 * if (isRetryableStatus(503)) await sleep(retryDelayMs(attempt, policy, response.headers.get('retry-after')));
 */

/** Back-off settings of one client. */
export interface RetryPolicy {
  /** Most retries after the first attempt. */
  readonly retries: number;
  /** Wait before the first retry; doubles on each further retry. */
  readonly baseDelayMs: number;
  /** Longest back-off wait; a `Retry-After` may ask for up to four times this. */
  readonly maxDelayMs: number;
}

/** Defaults: 4 retries, 250 ms doubling to 5 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 5000 };

/** Methods safe to repeat: a repeated call leaves the same state. POST is not (it may create twice). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);

/** True for the answers worth retrying: 429 and 5xx except 501 (Not Implemented never changes). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/**
 * Wait before retry number `attempt` (0 for the first retry): `Retry-After` (seconds or an HTTP
 * date) when given, capped at four times the maximum, else `base * 2^attempt` capped at the maximum.
 * @example retryDelayMs(2, DEFAULT_RETRY_POLICY) // 1000
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfter?: string | null, now: number = Date.now()): number {
  const hinted = parseRetryAfter(retryAfter, now);
  if (hinted !== undefined) return Math.min(hinted, policy.maxDelayMs * 4);
  return Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
}

/** `Retry-After` in milliseconds, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
