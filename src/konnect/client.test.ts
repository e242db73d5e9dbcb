/**
 * The client's retries against the real emulator on 127.0.0.1, with injected faults and a sleep
 * that records the back-off instead of waiting.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { defaultTimeoutMs, KonnectApiError, KonnectClient, KonnectConnectionError, TIMEOUT_ENV, type KonnectClientOptions } from './client.js';

const WEBHOOK = '/v2/audit-log-webhook';
const UNCONFIGURED_ENDPOINT = 'unconfigured';

let emulator: Emulator;
let delays: number[];

function client(options: Partial<KonnectClientOptions> = {}): KonnectClient {
  return new KonnectClient({
    baseUrl: emulator.baseUrl,
    token: emulator.token,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('KonnectClient retries', () => {
  before(async () => {
    emulator = await startEmulator({ port: 0, timeScale: 0.01 });
  });
  after(() => emulator.stop());
  beforeEach(() => {
    delays = [];
    emulator.clearFaults();
  });

  test('a GET answered 500 twice is retried with 250 and 500 ms back-off, then succeeds', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, status: 500, times: 2 });
    const webhook = await client().getWebhook();
    assert.equal(webhook.endpoint, UNCONFIGURED_ENDPOINT);
    assert.equal(fault.hits, 2);
    assert.deepEqual(delays, [250, 500]);
  });

  test('a persistent 503 gives up after `retries` retries with Konnect\'s problem', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, status: 503, times: 10 });
    const error = await client({ retries: 2 }).getWebhook().then(
      () => assert.fail('expected a KonnectApiError'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof KonnectApiError);
    assert.equal(error.status, 503);
    assert.equal(error.problem?.detail, 'Injected fault');
    assert.equal(error.message, 'GET /v2/audit-log-webhook failed with 503: Service Unavailable: Injected fault');
    assert.equal(fault.hits, 3);
    assert.deepEqual(delays, [250, 500]);
  });

  test('the default is 4 retries, the back-off capped by retryMaxDelayMs', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, status: 502, times: 10 });
    await assert.rejects(client({ retryBaseDelayMs: 100, retryMaxDelayMs: 300 }).getWebhook(), { name: 'KonnectApiError', status: 502 });
    assert.equal(fault.hits, 5);
    assert.deepEqual(delays, [100, 200, 300, 300]);
  });

  test('a 429 waits what Retry-After asks, capped at four times the longest back-off', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, status: 429, retryAfter: '3', times: 1 });
    const capped = emulator.fault({ method: 'GET', path: WEBHOOK, status: 429, retryAfter: '3600', times: 1 });
    assert.equal((await client().getWebhook()).endpoint, UNCONFIGURED_ENDPOINT);
    assert.equal(fault.hits, 1);
    assert.equal(capped.hits, 1);
    assert.deepEqual(delays, [3000, 20_000]);
  });

  test('a 429 with an HTTP-date Retry-After in the past retries at once', async () => {
    emulator.fault({ method: 'GET', path: WEBHOOK, status: 429, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' });
    await client().getWebhook();
    assert.deepEqual(delays, [0]);
  });

  test('501 and 4xx answers are not retried', async () => {
    const notImplemented = emulator.fault({ method: 'GET', path: WEBHOOK, status: 501 });
    await assert.rejects(client().getWebhook(), { name: 'KonnectApiError', status: 501 });
    const conflict = emulator.fault({ method: 'GET', path: WEBHOOK, status: 409 });
    await assert.rejects(client().getWebhook(), { name: 'KonnectApiError', status: 409 });
    assert.equal(notImplemented.hits, 1);
    assert.equal(conflict.hits, 1);
    assert.deepEqual(delays, []);
  });

  test('a POST is never retried automatically: it could create twice', async () => {
    const fault = emulator.fault({ method: 'POST', path: '/v2/control-planes', status: 503, times: 5 });
    await assert.rejects(client().createControlPlane({ name: 'cp-no-retry' }), { name: 'KonnectApiError', status: 503 });
    assert.equal(fault.hits, 1);
    assert.deepEqual(delays, []);
    assert.equal((await client().listControlPlanes()).data.filter((cp) => cp.name === 'cp-no-retry').length, 0);
  });

  test('retry: true forces a POST retry, retry: false turns a GET\'s off', async () => {
    const post = emulator.fault({ method: 'POST', path: '/v2/control-planes', status: 503, times: 1 });
    const created = await client().request<{ name: string }>('POST', '/v2/control-planes', { body: { name: 'cp-forced' }, retry: true });
    assert.equal(created.name, 'cp-forced');
    assert.equal(post.hits, 1);
    const get = emulator.fault({ method: 'GET', path: WEBHOOK, status: 503, times: 5 });
    await assert.rejects(client().request('GET', WEBHOOK, { retry: false }), { name: 'KonnectApiError', status: 503 });
    assert.equal(get.hits, 1);
    assert.deepEqual(delays, [250]);
  });

  test('PUT, PATCH and DELETE are retried like GET', async () => {
    const patch = emulator.fault({ method: 'PATCH', path: WEBHOOK, status: 500 });
    const put = emulator.fault({ method: 'PUT', path: '/v2/audit-log-replay-job', status: 503 });
    const destination = await client().createDestination({ name: 'retried-delete', endpoint: 'https://siem.example/a', authorization: 'Bearer x', log_format: 'json' });
    const del = emulator.fault({ method: 'DELETE', path: `/v3/audit-log-destinations/${destination.id}`, status: 504 });
    const now = Date.now();
    await client().updateWebhook({ enabled: false });
    await client().putReplayJob({ start_at: new Date(now - 60_000).toISOString(), end_at: new Date(now - 1000).toISOString() });
    await client().deleteDestination(destination.id);
    await assert.rejects(client().getDestination(destination.id), { name: 'KonnectApiError', status: 404 });
    assert.deepEqual([patch.hits, put.hits, del.hits], [1, 1, 1]);
    assert.deepEqual(delays, [250, 250, 250]);
  });

  test('a reset connection is retried', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, reset: true, times: 2 });
    assert.equal((await client().getWebhook()).endpoint, UNCONFIGURED_ENDPOINT);
    assert.equal(fault.hits, 2);
    assert.deepEqual(delays, [250, 500]);
  });

  test('a connection that keeps resetting fails naming method, URL and cause', async () => {
    emulator.fault({ method: 'GET', path: WEBHOOK, reset: true, times: 10 });
    const error = await client({ retries: 2 }).getWebhook().then(
      () => assert.fail('expected a KonnectConnectionError'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof KonnectConnectionError);
    assert.equal(error.message, `GET ${emulator.baseUrl}/v2/audit-log-webhook failed after 3 attempts: socket hang up (ECONNRESET)`);
    assert.equal(error.attempts, 3);
  });

  test('a timeout is a connection error, retried, then named with the timeout', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, delayMs: 400, times: 2 });
    await assert.rejects(client({ retries: 1, timeoutMs: 50 }).getWebhook(), {
      name: 'KonnectConnectionError',
      message: `GET ${emulator.baseUrl}/v2/audit-log-webhook failed after 2 attempts: no answer within 50 ms`,
    });
    assert.equal(fault.hits, 2);
    assert.deepEqual(delays, [250]);
  });

  test(`${TIMEOUT_ENV} shortens the default timeout; the default stays 60 s`, () => {
    assert.equal(defaultTimeoutMs({}), 60_000);
    assert.equal(defaultTimeoutMs({ [TIMEOUT_ENV]: '1500' }), 1500);
    for (const bad of ['', '0', '-5', '1.5', 'soon']) assert.equal(defaultTimeoutMs({ [TIMEOUT_ENV]: bad }), 60_000, bad);
  });

  test(`a client without timeoutMs times out after ${TIMEOUT_ENV}`, async () => {
    emulator.fault({ method: 'GET', path: WEBHOOK, delayMs: 400, times: 1 });
    const saved = process.env[TIMEOUT_ENV];
    process.env[TIMEOUT_ENV] = '50';
    try {
      await assert.rejects(client({ retries: 0 }).getWebhook(), { message: /no answer within 50 ms/ });
    } finally {
      if (saved === undefined) delete process.env[TIMEOUT_ENV];
      else process.env[TIMEOUT_ENV] = saved;
    }
  });

  test('a refused connection names the cause', async () => {
    const port = await closedPort();
    const refused = new KonnectClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't', retries: 1, sleep: () => Promise.resolve() });
    await assert.rejects(refused.getWebhook(), {
      name: 'KonnectConnectionError',
      message: `GET http://127.0.0.1:${port}/v2/audit-log-webhook failed after 2 attempts: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  test('an aborted signal stops retrying at once', async () => {
    const fault = emulator.fault({ method: 'GET', path: WEBHOOK, status: 503, times: 5 });
    const controller = new AbortController();
    const aborting = new KonnectClient({
      baseUrl: emulator.baseUrl,
      token: emulator.token,
      sleep: () => {
        controller.abort();
        return Promise.resolve();
      },
    });
    await assert.rejects(aborting.request('GET', WEBHOOK, { signal: controller.signal }), {
      name: 'KonnectConnectionError',
      message: `GET ${emulator.baseUrl}/v2/audit-log-webhook failed after 2 attempts: aborted`,
    });
    assert.equal(fault.hits, 1);
  });
});

describe('listDestinations paging', () => {
  test('follows the cursor of meta.next whatever path prefix Konnect puts on it', async () => {
    const http = await import('node:http');
    const pages: Record<string, unknown> = {
      '': { data: [{ id: 'a' }], meta: { next: '/api/v2/audit-log-destinations?page%5Bafter%5D=c1&page%5Bsize%5D=1', previous: null, size: 1 } },
      c1: { data: [{ id: 'b' }], meta: { page: { next: '/v3/audit-log-destinations?page[after]=c2', previous: null, size: 1 } } },
      c2: { data: [{ id: 'c' }], meta: { next: null, previous: null, size: 1 } },
    };
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url.pathname);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(pages[url.searchParams.get('page[after]') ?? '']));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const client = new KonnectClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });
      assert.deepEqual((await client.listDestinations()).map((d) => d.id), ['a', 'b', 'c']);
      assert.deepEqual(seen, ['/v3/audit-log-destinations', '/v3/audit-log-destinations', '/v3/audit-log-destinations']);
    } finally {
      server.close();
    }
  });
});
