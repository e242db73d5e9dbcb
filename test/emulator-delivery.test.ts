/**
 * Webhook delivery of the emulator over real HTTP: record signatures, request shape, batching,
 * Konnect's retry rules (with scaled time), status transitions, replay, portals and TLS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator/index.js';
import { importJwks, verifyRecord, type Jwks } from '../src/records/signing.js';
import type { AuditLogWebhookStatus, AuditLogReplayJob } from '../src/konnect/types.js';
import { call } from './support/api.js';
import { startReceiver, type TestReceiver } from './support/receiver.js';

const SCALE = 0.02;
const SEED = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';

async function setup(options: EmulatorOptions = {}): Promise<{ emulator: Emulator; receiver: TestReceiver; stop: () => Promise<void> }> {
  const emulator = await startEmulator({ port: 0, seed: SEED, timeScale: SCALE, flushMs: 200, ...options });
  const receiver = await startReceiver();
  return { emulator, receiver, stop: async () => void (await Promise.all([emulator.stop(), receiver.close()])) };
}

async function configure(emulator: Emulator, body: Record<string, unknown>): Promise<void> {
  const r = await call(emulator.baseUrl, 'PATCH', '/v2/audit-log-webhook', { token: emulator.token, body });
  assert.equal(r.status, 200, r.text);
}

async function status(emulator: Emulator, prefix = ''): Promise<AuditLogWebhookStatus> {
  return (await call<AuditLogWebhookStatus>(emulator.baseUrl, 'GET', `${prefix}/v2/audit-log-webhook/status`, { token: emulator.token })).body;
}

async function jwksKeys(emulator: Emulator) {
  return importJwks((await call<Jwks>(emulator.baseUrl, 'GET', '/v2/audit-log-webhook/jwks.json')).body);
}

/** Polls `check` until it returns a value, failing after `timeoutMs`. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('delivered records', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  before(async () => (ctx = await setup()));
  after(() => ctx.stop());

  for (const format of ['json', 'cef', 'cps'] as const) {
    test(`every ${format} record verifies against the served JWKS`, async () => {
      const { emulator, receiver } = ctx;
      await configure(emulator, { endpoint: receiver.url, authorization: 'Splunk abc 123', log_format: format, enabled: true });
      const already = receiver.lines().length;
      await emulator.generate({ count: 300 });
      await emulator.idle();
      const lines = receiver.lines().slice(already);
      assert.ok(lines.length >= 300, `got ${lines.length}`);
      const keys = await jwksKeys(emulator);
      const verdicts = lines.map((l) => verifyRecord(l, keys));
      assert.deepEqual(verdicts.filter((v) => v !== 'valid'), []);
      if (format === 'cef') assert.ok(lines.every((l) => / konghq\.com CEF:0\|KongInc\|Konnect\|1\.0\|/.test(l)));
      if (format === 'cps') assert.ok(lines.every((l) => l.startsWith('{"event":{')));
      if (format === 'json') assert.ok(lines.every((l) => l.startsWith('{"') && /,"sig":"[A-Za-z0-9_-]{86}"\}$/.test(l)));
    });
  }

  test('requests are POSTs with the configured Authorization verbatim, text/plain and gzip', () => {
    const request = ctx.receiver.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/audit-logs');
    assert.equal(request.headers.authorization, 'Splunk abc 123');
    assert.equal(request.headers['content-type'], 'text/plain');
    assert.equal(request.headers['content-encoding'], 'gzip');
  });

  test('trace ids beyond 2^53 are bare JSON numbers with every digit', async () => {
    const { emulator, receiver } = ctx;
    await configure(emulator, { log_format: 'json' });
    const already = receiver.lines().length;
    await emulator.generate({ count: 50 });
    await emulator.idle();
    const ids = receiver.lines().slice(already).map((l) => /"trace_id":(\d+),/.exec(l)?.[1]);
    assert.ok(ids.every((id) => id !== undefined));
    assert.ok(ids.some((id) => BigInt(id) > 2n ** 53n));
  });
});

describe('batching', () => {
  test('batches hold at most --batch-max records and --batch-max-bytes bytes', async () => {
    const { emulator, receiver, stop } = await setup({ batchMax: 100, batchMaxBytes: 16 * 1024 });
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      await emulator.generate({ count: 1000 });
      await emulator.idle();
      const sizes = receiver.requests.map((r) => r.lines.length);
      assert.ok(receiver.lines().length >= 1000);
      assert.ok(sizes.every((n) => n <= 100), `sizes ${sizes.join(',')}`);
      for (const r of receiver.requests) assert.ok(Buffer.byteLength(r.lines.join('\n')) <= 16 * 1024);
    } finally {
      await stop();
    }
  });

  test('a partial batch is sent after the flush interval without further events', async () => {
    const { emulator, receiver, stop } = await setup({ flushMs: 500 });
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      await emulator.generate({ count: 3 });
      await receiver.waitForLines(3);
    } finally {
      await stop();
    }
  });
});

describe('retries (time scaled by 0.02)', () => {
  test('500, 429, 500 then 202: exactly 4 attempts, waits of 1 s, 2 s, 4 s (scaled)', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      receiver.script({ status: 500 }, { status: 429 }, { status: 500 });
      await emulator.generate({ count: 5 });
      await emulator.idle();
      const statuses = receiver.requests.map((r) => r.status);
      assert.deepEqual(statuses.slice(-4), [500, 429, 500, 202]);
      // The PATCH's own events arrive first in a separate batch.
      const attempts = receiver.requests.slice(-4);
      const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i]!.at);
      [1000, 2000, 4000].forEach((nominal, i) => {
        assert.ok(gaps[i]! >= nominal * SCALE - 2, `gap ${i} ${gaps[i]} < ${nominal * SCALE}`);
        assert.ok(gaps[i]! < nominal * SCALE + 400, `gap ${i} ${gaps[i]} too long`);
      });
      assert.ok(gaps[1]! > gaps[0]! && gaps[2]! > gaps[1]!);
      assert.equal(new Set(attempts.map((a) => a.lines.join('\n'))).size, 1, 'every retry resends the same batch');
      const s = await status(emulator);
      assert.equal(s.webhook_status, 'active');
      assert.equal(s.last_response_code, 202);
    } finally {
      await stop();
    }
  });

  test('Retry-After on a 429 replaces the computed wait', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      await emulator.idle();
      const start = receiver.requests.length;
      receiver.script({ status: 429, headers: { 'Retry-After': '10' } });
      await emulator.generate({ count: 1 });
      await emulator.idle();
      const [first, second] = receiver.requests.slice(start);
      assert.equal(first!.status, 429);
      assert.equal(second!.status, 202);
      assert.ok(second!.at - first!.at >= 10_000 * SCALE - 2, `waited ${second!.at - first!.at} ms`);
    } finally {
      await stop();
    }
  });

  for (const code of [400, 401, 501]) {
    test(`${code} is not retried and makes the status inactive`, async () => {
      const { emulator, receiver, stop } = await setup();
      try {
        await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
        await emulator.idle();
        const start = receiver.requests.length;
        receiver.script({ status: code });
        await emulator.generate({ count: 2 });
        await emulator.idle();
        assert.deepEqual(receiver.requests.slice(start).map((r) => r.status), [code]);
        const s = await status(emulator);
        assert.equal(s.webhook_status, 'inactive');
        assert.equal(s.webhook_enabled, true);
        assert.equal(s.last_response_code, code);
        assert.equal(s.last_response_message, { 400: 'Bad Request', 401: 'Unauthorized', 501: 'Not Implemented' }[code]);
      } finally {
        await stop();
      }
    });
  }

  test('exhausted retries (5 attempts) make the status inactive; the next success makes it active', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      await emulator.idle();
      const start = receiver.requests.length;
      receiver.script(...Array.from({ length: 5 }, () => ({ status: 503 })));
      await emulator.generate({ count: 1 });
      await emulator.idle();
      assert.deepEqual(receiver.requests.slice(start).map((r) => r.status), [503, 503, 503, 503, 503]);
      const s = await status(emulator);
      assert.equal(s.webhook_status, 'inactive');
      assert.equal(s.last_response_code, 503);
      assert.equal(s.last_response_message, 'Service Unavailable');
      assert.match(s.last_attempt_at ?? '', /^\d{4}-\d{2}-\d{2}T/);
      await emulator.generate({ count: 1 });
      await emulator.idle();
      assert.equal((await status(emulator)).webhook_status, 'active');
    } finally {
      await stop();
    }
  });

  test('connection errors are retried 4 times and reported without a response code', async () => {
    const { emulator, receiver, stop } = await setup();
    const closedUrl = receiver.url;
    await receiver.close();
    try {
      await configure(emulator, { endpoint: closedUrl, log_format: 'json', enabled: true });
      await emulator.idle();
      const s = await status(emulator);
      assert.equal(s.webhook_status, 'inactive');
      assert.equal(s.last_response_code, undefined);
      assert.match(s.last_response_message ?? '', /ECONNREFUSED/);
      const state = emulator.inspect().regions.us!.delivery;
      assert.equal(state.attempts, 5);
      assert.equal(state.batchesFailed, 1);
    } finally {
      await stop();
    }
  });
});

describe('replay', () => {
  test('a replay job re-sends exactly the retained records in the range to the current webhook', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      const now = Date.now();
      const hour = 3_600_000;
      // Six hours of history while no webhook is configured: nothing is delivered.
      await emulator.generate({ count: 600, fromMs: now - 6 * hour, toMs: now - hour });
      assert.equal(receiver.requests.length, 0);
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      await emulator.idle();
      const live = receiver.lines().length;
      const startAt = now - 4 * hour;
      const endAt = now - 2 * hour;
      const put = await call<AuditLogReplayJob>(emulator.baseUrl, 'PUT', '/v2/audit-log-replay-job', {
        token: emulator.token,
        body: { start_at: new Date(startAt).toISOString(), end_at: new Date(endAt).toISOString() },
      });
      assert.equal(put.status, 202);
      assert.equal(put.body.status, 'accepted');
      const seen = new Set<string>();
      await eventually(async () => {
        const job = (await call<AuditLogReplayJob>(emulator.baseUrl, 'GET', '/v2/audit-log-replay-job', { token: emulator.token })).body;
        seen.add(job.status);
        return job.status === 'completed' ? job : undefined;
      }, 'replay completed');
      await emulator.idle();
      // History events are older than `now`; the API calls' own events are not.
      const rt = (l: string) => Number(/"rt":(\d+)/.exec(l)![1]);
      const replayed = receiver.lines().slice(live).filter((l) => rt(l) < now);
      const rts = replayed.map(rt);
      const expected = Math.round((600 - 1) * (2 / 5)) + 1;
      assert.ok(Math.abs(rts.length - expected) <= 1, `replayed ${rts.length}, expected about ${expected}`);
      assert.ok(rts.every((rt) => rt >= startAt && rt <= endAt));
      const keys = await jwksKeys(emulator);
      assert.ok(replayed.every((l) => verifyRecord(l, keys) === 'valid'));
      assert.ok(seen.has('completed'));
    } finally {
      await stop();
    }
  });

  test('a replay job fails when no webhook is enabled', async () => {
    const { emulator, stop } = await setup();
    try {
      const now = Date.now();
      const put = await call(emulator.baseUrl, 'PUT', '/v3/audit-log-replay-job', {
        token: emulator.token,
        body: { start_at: new Date(now - 60_000).toISOString(), end_at: new Date(now).toISOString() },
      });
      assert.equal(put.status, 202);
      const again = await call<{ status: number; title: string; detail: string }>(emulator.baseUrl, 'PUT', '/v3/audit-log-replay-job', {
        token: emulator.token,
        body: { start_at: new Date(now - 60_000).toISOString(), end_at: new Date(now).toISOString() },
      });
      assert.equal(again.status, 409);
      assert.equal(again.body.detail, 'A replay job is currently running');
      await eventually(async () => {
        const job = (await call<AuditLogReplayJob>(emulator.baseUrl, 'GET', '/v3/audit-log-replay-job', { token: emulator.token })).body;
        return job.status === 'failed' ? job : undefined;
      }, 'replay failed');
    } finally {
      await stop();
    }
  });
});

describe("the seeds' flow", () => {
  test('PATCH the webhook as in the SIEM tutorial, then GET /v2/control-planes delivers an Authz.control-planes record', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      const patch = await call(emulator.baseUrl, 'PATCH', '/v2/audit-log-webhook', {
        token: emulator.token,
        body: { endpoint: receiver.url, enabled: true, authorization: 'Bearer siem-token', log_format: 'cef' },
      });
      assert.equal(patch.status, 200);
      const list = await call(emulator.baseUrl, 'GET', '/v2/control-planes', { token: emulator.token });
      assert.equal(list.status, 200);
      await emulator.idle();
      const authz = receiver.lines().find((l) => l.includes('|konnect|Authz.control-planes|1|'));
      assert.ok(authz, receiver.lines().join('\n'));
      assert.match(authz, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z konghq\.com CEF:0\|KongInc\|Konnect\|1\.0\|konnect\|Authz\.control-planes\|1\|rt=\d{13} src=127\.0\.0\.1 action=list granted=true org_id=[0-9a-f-]{36} principal_id=[0-9a-f-]{36} trace_id=\d+ user_agent=\S* sig=[A-Za-z0-9_-]{86}$/);
      assert.equal(verifyRecord(authz, await jwksKeys(emulator)), 'valid');
      assert.equal(receiver.requests.at(-1)!.headers.authorization, 'Bearer siem-token');
    } finally {
      await stop();
    }
  });
});

describe('Dev Portal delivery', () => {
  test('portal events go to the portal webhook as Dev-Portal authentication records', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      const portalId = emulator.inspect().portals[0]!.id;
      const dest = await call<{ id: string }>(emulator.baseUrl, 'POST', '/v3/audit-log-destinations', {
        token: emulator.token,
        body: { name: 'portal-siem', endpoint: receiver.url, authorization: 'Bearer p', log_format: 'cef' },
      });
      const bind = await call(emulator.baseUrl, 'PATCH', `/v3/portals/${portalId}/audit-log-webhook`, { token: emulator.token, body: { audit_log_destination_id: dest.body.id, enabled: true } });
      assert.equal(bind.status, 200);
      await emulator.generate({ count: 20, portalId });
      await emulator.idle();
      const lines = receiver.lines();
      assert.equal(lines.length, 20);
      assert.ok(lines.every((l) => l.includes('CEF:0|KongInc|Dev-Portal|1.0|AUTHENTICATION_TYPE_BASIC|') && l.includes(`portal_id=${portalId}`)));
      const keys = await jwksKeys(emulator);
      assert.ok(lines.every((l) => verifyRecord(l, keys) === 'valid'));
    } finally {
      await stop();
    }
  });
});

describe('signing keys', () => {
  test('after a rotation new records verify with the new JWKS and not with the old one', async () => {
    const { emulator, receiver, stop } = await setup();
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'json', enabled: true });
      await emulator.idle();
      const oldKeys = await jwksKeys(emulator);
      emulator.rotateKey();
      const start = receiver.lines().length;
      await emulator.generate({ count: 10 });
      await emulator.idle();
      const lines = receiver.lines().slice(start);
      const newKeys = await jwksKeys(emulator);
      assert.equal(newKeys.length, 2);
      assert.ok(lines.every((l) => verifyRecord(l, newKeys) === 'valid'));
      assert.ok(lines.every((l) => verifyRecord(l, oldKeys) === 'invalid'));
    } finally {
      await stop();
    }
  });

  test('without signing, records carry no sig', async () => {
    const { emulator, receiver, stop } = await setup({ sign: false });
    try {
      await configure(emulator, { endpoint: receiver.url, log_format: 'cef', enabled: true });
      await emulator.generate({ count: 5 });
      await emulator.idle();
      assert.ok(receiver.lines().every((l) => !l.includes(' sig=')));
    } finally {
      await stop();
    }
  });
});

describe('HTTPS endpoints', () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  const bodies: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'konnect-audit-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(gunzipSync(Buffer.concat(chunks)).toString('utf8'));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/audit-logs`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a self-signed certificate fails without retries unless skip_ssl_verification is set', async () => {
    const emulator = await startEmulator({ port: 0, timeScale: SCALE, flushMs: 200 });
    try {
      await configure(emulator, { endpoint: url, log_format: 'json', enabled: true });
      await emulator.idle();
      assert.equal(bodies.length, 0);
      assert.equal(emulator.inspect().regions.us!.delivery.attempts, 1);
      const s = await status(emulator);
      assert.equal(s.webhook_status, 'inactive');
      assert.match(s.last_response_message ?? '', /SELF_SIGNED|self.signed/i);
      await configure(emulator, { skip_ssl_verification: true });
      await emulator.idle();
      assert.ok(bodies.length >= 1);
      assert.equal((await status(emulator)).webhook_status, 'active');
    } finally {
      await emulator.stop();
    }
  });
});

describe('generator threads', () => {
  // Fixed times: two runs with the same seed and the same plan must give the same bytes.
  const toMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const fromMs = toMs - 3_540_000;

  async function deliveredLines(generatorThreads: number, count: number): Promise<{ lines: string[]; emulator: Emulator; receiver: TestReceiver; stop: () => Promise<void> }> {
    const ctx = await setup({ generatorThreads, batchMax: 5000 });
    await configure(ctx.emulator, { endpoint: ctx.receiver.url, log_format: 'json', enabled: true });
    await ctx.emulator.idle();
    const start = ctx.receiver.lines().length;
    await ctx.emulator.generate({ count, fromMs, toMs });
    await ctx.emulator.idle();
    return { ...ctx, lines: ctx.receiver.lines().slice(start) };
  }

  test('a multi-slice generation on threads delivers the same signed records, in the same order, as on the main thread', async () => {
    const threaded = await deliveredLines(2, 12_345);
    const inline = await deliveredLines(0, 12_345);
    try {
      assert.equal(threaded.lines.length, 12_345);
      // The API calls differ in time, so compare the generated records only: same seed, same bytes.
      assert.deepEqual(threaded.lines, inline.lines);
      const keys = await jwksKeys(threaded.emulator);
      assert.ok(threaded.lines.every((l) => verifyRecord(l, keys) === 'valid'));
    } finally {
      await threaded.stop();
      await inline.stop();
    }
  });

  test('records rebuilt from their recipes for a replay are byte-identical to the delivered ones', async () => {
    const run = await deliveredLines(2, 11_000);
    try {
      const put = await call(run.emulator.baseUrl, 'PUT', '/v2/audit-log-replay-job', {
        token: run.emulator.token,
        body: { start_at: new Date(fromMs).toISOString(), end_at: new Date(toMs).toISOString() },
      });
      assert.equal(put.status, 202);
      await eventually(async () => {
        const job = (await call<AuditLogReplayJob>(run.emulator.baseUrl, 'GET', '/v2/audit-log-replay-job', { token: run.emulator.token })).body;
        return job.status === 'completed' ? job : undefined;
      }, 'replay completed');
      await run.emulator.idle();
      // Generated history is older than toMs; the API calls' own events are newer.
      const historic = run.receiver.lines().filter((l) => Number(/"rt":(\d+)/.exec(l)![1]) <= toMs);
      assert.equal(historic.length, 22_000);
      assert.deepEqual(historic.slice(0, 11_000), run.lines);
      assert.deepEqual(historic.slice(11_000), run.lines, 'replayed in time order, byte for byte');
    } finally {
      await run.stop();
    }
  });
});
