import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_RETRY_POLICY, IDEMPOTENT_METHODS, isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry.js';

const NOW = Date.parse('2026-08-22T12:00:00Z');

describe('retry policy', () => {
  test('backoff doubles from 250 ms and is capped at 5 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, DEFAULT_RETRY_POLICY)), [250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  test('Retry-After in seconds wins over the backoff', () => {
    assert.equal(retryDelayMs(0, DEFAULT_RETRY_POLICY, '3', NOW), 3000);
    assert.equal(retryDelayMs(3, DEFAULT_RETRY_POLICY, '0', NOW), 0);
  });

  test('Retry-After as an HTTP date counts from now', () => {
    assert.equal(retryDelayMs(0, DEFAULT_RETRY_POLICY, 'Sat, 22 Aug 2026 12:00:07 GMT', NOW), 7000);
    assert.equal(retryDelayMs(0, DEFAULT_RETRY_POLICY, 'Sat, 22 Aug 2026 11:00:00 GMT', NOW), 0);
  });

  test('Retry-After is capped at four times the longest backoff', () => {
    assert.equal(retryDelayMs(0, DEFAULT_RETRY_POLICY, '3600', NOW), 20_000);
    assert.equal(retryDelayMs(0, { retries: 1, baseDelayMs: 10, maxDelayMs: 100 }, '2', NOW), 400);
  });

  test('an unreadable Retry-After falls back to the backoff', () => {
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter('', NOW), undefined);
    assert.equal(retryDelayMs(1, DEFAULT_RETRY_POLICY, 'soon', NOW), 500);
  });

  test('429 and 5xx except 501 are retryable; other statuses are not', () => {
    assert.deepEqual(
      [400, 401, 403, 404, 409, 429, 500, 501, 502, 503, 504, 599].filter(isRetryableStatus),
      [429, 500, 502, 503, 504, 599],
    );
  });

  test('POST is the one method that is not idempotent', () => {
    assert.deepEqual(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST'].filter((m) => IDEMPOTENT_METHODS.has(m)), ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
  });
});
