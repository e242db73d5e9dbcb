import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorResult, isRetryableError, isRetryableStatus, parseRetryAfter, responseResult, retryWaitMs, RETRY_MAX } from './retry.js';

test('retried statuses are 429 and 5xx except 501', () => {
  const retried = [200, 202, 301, 400, 401, 403, 404, 409, 413, 429, 500, 501, 502, 503, 504, 599].filter(isRetryableStatus);
  assert.deepEqual(retried, [429, 500, 502, 503, 504, 599]);
});

test('waits double from 1 s and cap at 30 s; at most 4 retries', () => {
  const r = responseResult(500, undefined);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => retryWaitMs(i, r)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(RETRY_MAX, 4);
});

test('Retry-After replaces the wait on 429 and 503 only, capped at 30 s', () => {
  assert.equal(retryWaitMs(0, responseResult(429, 7000)), 7000);
  assert.equal(retryWaitMs(0, responseResult(503, 7000)), 7000);
  assert.equal(retryWaitMs(0, responseResult(500, 7000)), 1000);
  assert.equal(retryWaitMs(0, responseResult(429, 120_000)), 30_000);
});

test('Retry-After accepts delay-seconds and HTTP dates', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:05 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('responses carry the reason phrase; connection errors their code, and TLS failures are permanent', () => {
  assert.deepEqual(responseResult(202, undefined), { ok: true, statusCode: 202, message: 'Accepted', retryable: false, retryAfterMs: undefined });
  assert.equal(responseResult(401, undefined).message, 'Unauthorized');
  const refused = errorResult(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
  assert.equal(refused.retryable, true);
  assert.equal(refused.statusCode, undefined);
  assert.equal(refused.message, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(isRetryableError('DEPTH_ZERO_SELF_SIGNED_CERT'), false);
  assert.equal(isRetryableError('ECONNRESET'), true);
});
