import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, mock, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openEventLog } from '../store/eventLog.js';
import { startReceiver, type Receiver, type ReceiverOptions, type RequestInfo } from './server.js';

const AUTH = 'Bearer s3cret-token';
const PATH = '/audit-logs';
const MiB = 1 << 20;

interface Harness {
  readonly receiver: Receiver;
  readonly stored: Buffer[][];
  readonly answered: RequestInfo[];
  /** Resolves with the next `n` answered requests' infos (counting from now). */
  readonly nextAnswers: (n: number) => Promise<RequestInfo[]>;
}

const open: Receiver[] = [];
after(async () => {
  await Promise.all(open.map((r) => r.close(100)));
});

async function harness(overrides: Partial<ReceiverOptions> = {}): Promise<Harness> {
  const stored: Buffer[][] = [];
  const answered: RequestInfo[] = [];
  const waiters: { count: number; resolve: (infos: RequestInfo[]) => void }[] = [];
  const receiver = await startReceiver({
    host: '127.0.0.1',
    port: 0,
    path: PATH,
    authorization: AUTH,
    maxBodyBytes: MiB,
    onRecords: (records) => {
      stored.push(records.map((r) => Buffer.from(r)));
      return Promise.resolve();
    },
    onRequest: (info) => {
      answered.push(info);
      for (const w of waiters.filter((w) => answered.length >= w.count)) w.resolve(answered.slice(w.count - 1));
    },
    ...overrides,
  });
  open.push(receiver);
  return {
    receiver,
    stored,
    answered,
    nextAnswers: (n) => new Promise((resolve) => waiters.push({ count: answered.length + n, resolve })),
  };
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request on its own connection. */
function request(url: string, options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: { Authorization: AUTH, ...options.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A raw TCP connection that collects everything the server sends until it closes. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const received = () => Buffer.concat(chunks).toString('latin1');
  const waitForText = (text: string, timeoutMs = 5000) =>
    waitUntil(() => received().includes(text), `"${text}" from the server`, timeoutMs);
  return { socket, closed, connected, received, waitForText };
}

/** Polls `done` every 5 ms until it holds or the deadline passes. */
async function waitUntil(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function assertPlainError(reply: Reply, status: number, message: string): void {
  assert.equal(reply.status, status);
  assert.equal(reply.body, `${message}\n`);
  assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
}

describe('routing and authorization', () => {
  test('another path answers 404 "404 page not found"', async () => {
    const { receiver, stored } = await harness();
    const base = receiver.url.slice(0, -PATH.length);
    for (const path of ['/', '/audit-logs/', '/audit-logsx', '/AUDIT-LOGS', '/other']) {
      assertPlainError(await request(base + path, { body: 'x' }), 404, '404 page not found');
    }
    assert.deepEqual(stored, []);
  });

  test('the path matches without its query string', async () => {
    const { receiver, stored } = await harness();
    const reply = await request(`${receiver.url}?source=konnect`, { body: 'r1' });
    assert.equal(reply.status, 202);
    assert.deepEqual(stored, [[Buffer.from('r1')]]);
  });

  test('another method answers 405 "method not allowed" with Allow: POST', async () => {
    const { receiver } = await harness();
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const reply = await request(receiver.url, { method });
      assertPlainError(reply, 405, 'method not allowed');
      assert.equal(reply.headers.allow, 'POST');
    }
  });

  test('a missing or inexact Authorization answers 401 "unauthorized" and stores nothing', async () => {
    const { receiver, stored, answered } = await harness();
    const wrong = ['', 'Bearer s3cret-tokeN', 'bearer s3cret-token', 'Bearer s3cret-toke', 'Bearer  s3cret-token', `${AUTH}x`, 'Bearer'];
    for (const authorization of wrong) {
      assertPlainError(await request(receiver.url, { headers: { Authorization: authorization }, body: 'r1' }), 401, 'unauthorized');
    }
    const missing = await new Promise<number>((resolve, reject) => {
      http.request(receiver.url, { method: 'POST', agent: false }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject).end('r1');
    });
    assert.equal(missing, 401);
    assert.deepEqual(stored, []);
    assert.ok(answered.every((info) => info.status === 401 && info.bytes === 0));
  });

  test('the Authorization is compared with crypto.timingSafeEqual on equal-length buffers, whatever the length sent', async (t) => {
    const spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports(); // so the receiver's `import { timingSafeEqual }` sees the spy
    t.after(() => {
      spy.mock.restore();
      syncBuiltinESMExports();
    });
    const { receiver } = await harness();
    for (const authorization of ['x', 'Bearer s3cret-tokeX', `${AUTH}-and-much-longer`, AUTH]) {
      spy.mock.resetCalls();
      await request(receiver.url, { headers: { Authorization: authorization }, body: 'r' });
      assert.equal(spy.mock.callCount(), 1, authorization);
      const [a, b] = spy.mock.calls[0]!.arguments as [Buffer, Buffer];
      assert.equal(a.length, Buffer.byteLength(AUTH), authorization);
      assert.equal(b.length, Buffer.byteLength(AUTH), authorization);
    }
  });

  test('the Authorization is matched byte for byte, non-ASCII included', async () => {
    const secret = 'Bearer clé-✓';
    const { receiver, stored } = await harness({ authorization: secret });
    const send = (bytes: Buffer) => {
      const conn = rawConnection(receiver.port);
      conn.socket.write(Buffer.concat([Buffer.from(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\nAuthorization: `), bytes, Buffer.from('\r\n\r\nr')]));
      return conn.closed.then(() => conn.received().split(' ')[1]);
    };
    assert.equal(await send(Buffer.from(secret, 'utf8')), '202');
    assert.equal(await send(Buffer.from(secret.normalize('NFD'), 'utf8')), '401'); // same text, other bytes
    assert.equal(stored.length, 1);
  });

  test('more than one Authorization header answers 401 "unauthorized", whatever their values', async () => {
    const { receiver, stored } = await harness();
    const send = (authorizations: string[]) => {
      const conn = rawConnection(receiver.port);
      const head = authorizations.map((line) => `${line}\r\n`).join('');
      conn.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\n${head}Content-Length: 1\r\nConnection: close\r\n\r\nr`);
      return conn.closed.then(() => conn.received());
    };
    // Node keeps only the first value in req.headers, so a right one first would otherwise pass.
    for (const lines of [[`Authorization: ${AUTH}`, 'Authorization: wrong'], ['Authorization: wrong', `Authorization: ${AUTH}`], [`Authorization: ${AUTH}`, `authorization: ${AUTH}`]]) {
      const reply = await send(lines);
      assert.match(reply, /^HTTP\/1\.1 401 /, lines.join(' + '));
      assert.ok(reply.endsWith('\r\n\r\nunauthorized\n'), reply);
    }
    assert.match(await send([`authorization: ${AUTH}`]), /^HTTP\/1\.1 202 /);
    assert.equal(stored.length, 1);
  });

  test('an Authorization after 2,100 other headers is still seen (Node would drop headers past the 2000th)', async () => {
    const { receiver, stored } = await harness();
    const conn = rawConnection(receiver.port);
    const many = Array.from({ length: 2100 }, (_, i) => `x${i}:v\r\n`).join('');
    conn.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\n${many}Authorization: ${AUTH}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nr`);
    await conn.closed;
    assert.match(conn.received(), /^HTTP\/1\.1 202 /);
    assert.deepEqual(stored, [[Buffer.from('r')]]);
  });

  test('a client expecting 100-continue is refused before it sends its body', async () => {
    const { receiver } = await harness();
    const events: string[] = [];
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(receiver.url, { method: 'POST', agent: false, headers: { Authorization: 'wrong', Expect: '100-continue', 'Content-Length': 5 } });
      req.on('continue', () => events.push('continue'));
      req.on('response', (res) => resolve(res.resume().statusCode ?? 0));
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 401);
    assert.deepEqual(events, []);
  });

  test('a client expecting 100-continue with the right Authorization gets it and is stored', async () => {
    const { receiver, stored } = await harness();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(receiver.url, { method: 'POST', agent: false, headers: { Authorization: AUTH, Expect: '100-continue', 'Content-Length': 5 } });
      req.on('continue', () => req.end('r1\nr2'));
      req.on('response', (res) => resolve(res.resume().statusCode ?? 0));
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 202);
    assert.deepEqual(stored, [[Buffer.from('r1'), Buffer.from('r2')]]);
  });
});

describe('bodies', () => {
  test('an uncompressed body is split and stored byte for byte, CRLF and blank lines dropped, non-UTF-8 kept', async () => {
    const { receiver, stored } = await harness();
    const binary = Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]);
    const body = Buffer.concat([Buffer.from('{"a":1}\r\n\r\n  \n'), binary, Buffer.from('\r\n{"b":"é"}\n')]);
    const reply = await request(receiver.url, { body, headers: { 'Content-Type': 'text/plain' } });
    assert.equal(reply.status, 202);
    assert.equal(reply.body, '');
    assert.deepEqual(stored, [[Buffer.from('{"a":1}'), binary, Buffer.from('{"b":"é"}')]]);
  });

  test('a gzip body with Content-Encoding: gzip is decoded', async () => {
    const { receiver, stored } = await harness();
    const reply = await request(receiver.url, { body: gzipSync('r1\nr2\n'), headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(reply.status, 202);
    assert.deepEqual(stored, [[Buffer.from('r1'), Buffer.from('r2')]]);
  });

  test('x-gzip and application/gzip Content-Encodings are decoded', async () => {
    const { receiver, stored } = await harness();
    for (const encoding of ['x-gzip', 'application/gzip']) {
      assert.equal((await request(receiver.url, { body: gzipSync(encoding), headers: { 'Content-Encoding': encoding } })).status, 202);
    }
    assert.deepEqual(stored, [[Buffer.from('x-gzip')], [Buffer.from('application/gzip')]]);
  });

  test('a gzip body without Content-Encoding is recognised by its magic bytes', async () => {
    const { receiver, stored } = await harness();
    assert.equal((await request(receiver.url, { body: gzipSync('magic\n') })).status, 202);
    assert.deepEqual(stored, [[Buffer.from('magic')]]);
  });

  test('a multi-member gzip body is decoded completely', async () => {
    const { receiver, stored } = await harness();
    const body = Buffer.concat([gzipSync('r1\n'), gzipSync('r2\n')]);
    assert.equal((await request(receiver.url, { body, headers: { 'Content-Encoding': 'gzip' } })).status, 202);
    assert.deepEqual(stored, [[Buffer.from('r1'), Buffer.from('r2')]]);
  });

  test('an empty body, or one of blank lines only, answers 202 without calling onRecords', async () => {
    const { receiver, stored, answered } = await harness();
    for (const body of ['', '\r\n \n\t\n', gzipSync('\n\n')]) {
      const reply = await request(receiver.url, { body });
      assert.equal(reply.status, 202);
      assert.equal(reply.body, '');
      assert.equal(reply.headers['content-length'], '0');
    }
    assert.deepEqual(stored, []);
    assert.deepEqual(answered.map((a) => a.records), [0, 0, 0]);
  });

  test('a truncated gzip body answers 400 "failed to decode request body"', async () => {
    const { receiver, stored } = await harness();
    const gz = gzipSync('r1\nr2\nr3\n'.repeat(100));
    assertPlainError(await request(receiver.url, { body: gz.subarray(0, gz.length - 10), headers: { 'Content-Encoding': 'gzip' } }), 400, 'failed to decode request body');
    assert.deepEqual(stored, []);
  });

  test('a corrupt gzip body answers 400 "failed to decode request body"', async () => {
    const { receiver, stored } = await harness();
    const corrupt = gzipSync('r1\nr2\nr3\n'.repeat(100));
    corrupt[20] = corrupt[20]! ^ 0xff;
    assertPlainError(await request(receiver.url, { body: corrupt, headers: { 'Content-Encoding': 'gzip' } }), 400, 'failed to decode request body');
    assertPlainError(await request(receiver.url, { body: 'not gzip', headers: { 'Content-Encoding': 'gzip' } }), 400, 'failed to decode request body');
    assert.deepEqual(stored, []);
  });

  test('a body of exactly maxBodyBytes is accepted, one byte more answers 413 "request body too large"', async () => {
    const { receiver, stored } = await harness({ maxBodyBytes: 1000 });
    assert.equal((await request(receiver.url, { body: Buffer.alloc(1000, 'a') })).status, 202);
    assertPlainError(await request(receiver.url, { body: Buffer.alloc(1001, 'b') }), 413, 'request body too large');
    assert.deepEqual(stored, [[Buffer.alloc(1000, 'a')]]);
  });

  test('a chunked body growing past maxBodyBytes answers 413 "request body too large"', async () => {
    const { receiver, stored, answered } = await harness({ maxBodyBytes: 1024 });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(receiver.url, { method: 'POST', agent: false, headers: { Authorization: AUTH } });
      req.on('response', (res) => resolve(res.resume().statusCode ?? 0));
      req.on('error', reject);
      for (let i = 0; i < 64; i++) req.write(Buffer.alloc(1024, 'c'));
      req.end();
    });
    assert.equal(status, 413);
    assert.deepEqual(stored, []);
    assert.ok(answered[0]!.bytes > 1024 && answered[0]!.bytes <= 64 * 1024, `bytes ${answered[0]!.bytes}`);
  });

  test('a Content-Length over the limit answers 413 at once, without reading the body, and closes the connection', async () => {
    const { receiver, answered } = await harness();
    const conn = rawConnection(receiver.port);
    conn.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: ${100 * MiB}\r\n\r\n`);
    await conn.closed; // the server answers and closes although no body byte was sent
    assert.match(conn.received(), /^HTTP\/1\.1 413 /);
    assert.ok(conn.received().endsWith('\r\n\r\nrequest body too large\n'));
    assert.equal(answered[0]!.bytes, 0);
  });

  test('a gzip bomb (50 MiB of zeros, 1 MiB limit) answers 413 "decoded request body too large" fast', async () => {
    const { receiver, stored } = await harness({ maxBodyBytes: MiB });
    const bomb = gzipSync(Buffer.alloc(50 * MiB));
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    assertPlainError(await request(receiver.url, { body: bomb, headers: { 'Content-Encoding': 'gzip' } }), 413, 'decoded request body too large');
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(process.memoryUsage().arrayBuffers - before < 32 * MiB, 'decoded output was not held');
    assert.deepEqual(stored, []);
  });

  test('a client that aborts mid-body is answered 400 "failed to read request body" and nothing is stored', async () => {
    const { receiver, stored, nextAnswers } = await harness();
    const answer = nextAnswers(1);
    const conn = rawConnection(receiver.port);
    // Expect: 100-continue makes the server say when it has started reading the body.
    conn.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n`);
    await conn.waitForText('100 Continue');
    conn.socket.write('partial body');
    conn.socket.destroy();
    const [info] = await answer;
    assert.equal(info!.status, 400);
    assert.deepEqual(stored, []);
  });

  test('onRecords throwing answers 500 "failed to persist audit-log event"', async () => {
    const { receiver } = await harness({ onRecords: () => Promise.reject(new Error('disk full')) });
    assertPlainError(await request(receiver.url, { body: 'r1' }), 500, 'failed to persist audit-log event');
  });
});

describe('logging and lifecycle', () => {
  test('every answered request is reported to onRequest, without the Authorization value', async () => {
    const { receiver, answered } = await harness();
    await request(receiver.url, { body: 'r1\nr2\nr3' });
    await request(receiver.url, { method: 'GET' });
    await request(`${receiver.url}?token=x`, { headers: { Authorization: 'wrong' }, body: 'r' });
    assert.deepEqual(
      answered.map(({ method, path, status, records, bytes }) => ({ method, path, status, records, bytes })),
      [
        { method: 'POST', path: PATH, status: 202, records: 3, bytes: 8 },
        { method: 'GET', path: PATH, status: 405, records: 0, bytes: 0 },
        { method: 'POST', path: PATH, status: 401, records: 0, bytes: 0 },
      ],
    );
    assert.match(answered[0]!.remote, /^127\.0\.0\.1:\d+$/);
    assert.ok(!JSON.stringify(answered).includes('s3cret'));
  });

  test('url, host and port describe the bound address', async () => {
    const { receiver } = await harness();
    assert.equal(receiver.host, '127.0.0.1');
    assert.ok(receiver.port > 0);
    assert.equal(receiver.url, `http://127.0.0.1:${receiver.port}${PATH}`);
  });

  test('an IPv6 host is bracketed in the url', async (t) => {
    let receiver: Receiver;
    try {
      receiver = (await harness({ host: '::1' })).receiver;
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    assert.equal(receiver.url, `http://[::1]:${receiver.port}${PATH}`);
    assert.equal((await request(receiver.url, { body: 'r' })).status, 202);
  });

  test('a port in use rejects with EADDRINUSE and leaves no server open', async () => {
    const { receiver } = await harness();
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = servers();
    await assert.rejects(startReceiver({ host: '127.0.0.1', port: receiver.port, path: PATH, authorization: AUTH, maxBodyBytes: MiB, onRecords: () => Promise.resolve() }), { code: 'EADDRINUSE' });
    await waitUntil(() => servers() === before, 'the failed server handle to close', 2000); // libuv closes it asynchronously
  });

  test('an empty authorization or a non-positive maxBodyBytes is refused before binding', async () => {
    const base = { host: '127.0.0.1', port: 0, path: PATH, authorization: AUTH, maxBodyBytes: MiB, onRecords: () => Promise.resolve() };
    await assert.rejects(startReceiver({ ...base, authorization: '' }), TypeError);
    await assert.rejects(startReceiver({ ...base, maxBodyBytes: 0 }), RangeError);
  });

  test('close waits for an in-flight request to be answered, then stops listening', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const { receiver } = await harness({
      onRecords: () => {
        entered();
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const reply = request(receiver.url, { body: 'slow' });
    await inside;
    let closed = false;
    const closing = receiver.close(5000).then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false);
    release();
    assert.equal((await reply).status, 202);
    await closing;
    await assert.rejects(request(receiver.url, { body: 'late' }), { code: 'ECONNREFUSED' });
  });

  test('close gives up on a request still in flight after graceMs and closes its connection', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const { receiver } = await harness({
      onRecords: () => {
        entered();
        return new Promise<void>(() => {});
      },
    });
    const reply = request(receiver.url, { body: 'stuck' });
    await inside;
    const started = performance.now();
    await receiver.close(150);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 140 && elapsed < 2000, `closed after ${elapsed.toFixed(0)} ms`);
    await assert.rejects(reply, { code: 'ECONNRESET' });
  });
});

describe('hardening', () => {
  test('a slowloris client sending its headers byte by byte does not block a normal client', async () => {
    const { receiver } = await harness();
    const slow = rawConnection(receiver.port);
    await slow.connected;
    // The request line and headers, one byte every 20 ms, then an endless header value.
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nX-Slow: `;
    let sent = 0;
    const drip = setInterval(() => slow.socket.write(head[sent++] ?? 'a'), 20);
    try {
      await waitUntil(() => sent >= 5, 'the slow client to start');
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        assert.equal((await request(receiver.url, { body: `normal ${i}` })).status, 202);
        assert.ok(performance.now() - started < 1000);
      }
    } finally {
      clearInterval(drip);
      slow.socket.destroy();
    }
  });

  test('a client whose headers do not arrive within headersTimeoutMs is answered 408 and cut off', async () => {
    const { receiver } = await harness({ headersTimeoutMs: 200, requestTimeoutMs: 2000 });
    const slow = rawConnection(receiver.port);
    await slow.connected;
    const started = performance.now();
    const drip = setInterval(() => slow.socket.write('X'), 30);
    slow.socket.write(`POST ${PATH} HTTP/1.1\r\nX-Slow: `);
    try {
      await slow.closed;
    } finally {
      clearInterval(drip);
    }
    const elapsed = performance.now() - started;
    assert.match(slow.received(), /^HTTP\/1\.1 408 Request Timeout/);
    assert.ok(elapsed >= 190 && elapsed < 3000, `cut after ${elapsed.toFixed(0)} ms`);
  });

  test('a request followed by unparsable bytes is answered 202 before the 400, so a stored request is never reported failed', async () => {
    const stored: string[] = [];
    const { receiver } = await harness({
      onRecords: async (records) => {
        await new Promise((resolve) => setTimeout(resolve, 50)); // the parse error comes first
        stored.push(...records.map((r) => r.toString()));
      },
    });
    const conn = rawConnection(receiver.port);
    conn.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 2\r\n\r\nr1NOT HTTP\r\n\r\n`);
    await conn.closed;
    assert.match(conn.received(), /^HTTP\/1\.1 202 Accepted\r\n(?:[^\r]+\r\n)*\r\nHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
    assert.deepEqual(stored, ['r1']);
  });

  test('a pipelined request timing out while an earlier one is persisted: 202 first, then 408', async () => {
    const stored: string[] = [];
    const { receiver } = await harness({
      headersTimeoutMs: 100,
      requestTimeoutMs: 200,
      onRecords: async (records) => {
        await new Promise((resolve) => setTimeout(resolve, 600)); // longer than the timeouts
        stored.push(...records.map((r) => r.toString()));
      },
    });
    const conn = rawConnection(receiver.port);
    conn.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 2\r\n\r\nr1POST ${PATH} HTTP/1.1\r\nX-Partial: `);
    await conn.closed;
    assert.match(conn.received(), /^HTTP\/1\.1 202 Accepted\r\n(?:[^\r]+\r\n)*\r\nHTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n\r\n$/);
    assert.deepEqual(stored, ['r1']);
  });

  test('connections beyond maxConnections are refused while earlier ones keep working', async () => {
    const { receiver } = await harness({ maxConnections: 1 });
    const first = rawConnection(receiver.port);
    await first.connected;
    const second = rawConnection(receiver.port);
    await second.closed;
    assert.equal(second.received(), '');
    first.socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`);
    await first.closed;
    assert.match(first.received(), /^HTTP\/1\.1 202 Accepted\r\n/);
  });

  test('keep-alive connections carry several requests', async () => {
    const { receiver, stored } = await harness();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports = new Set<number>();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = http.request(receiver.url, { method: 'POST', agent, headers: { Authorization: AUTH } }, (res) => {
            ports.add(res.socket.localPort ?? 0);
            res.resume().on('end', resolve);
          });
          req.on('error', reject);
          req.end(`r${i}`);
        });
      }
      assert.equal(ports.size, 1);
      assert.equal(stored.length, 3);
    } finally {
      agent.destroy();
    }
  });
});

describe('with the event log', () => {
  test('50 concurrent posters of 200 records each store exactly 10,000 whole lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'receiver-'));
    try {
      const log = await openEventLog(join(dir, 'profile', 'events.jsonl'));
      const { receiver } = await harness({ onRecords: (records) => log.append(records) });
      const expected = new Set<string>();
      const posts = Array.from({ length: 50 }, (_, poster) => {
        const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ poster, i, pad: 'x'.repeat((poster * 7 + i) % 300) }));
        for (const line of lines) expected.add(line);
        const body = lines.join('\n');
        return request(receiver.url, poster % 2 === 0 ? { body: gzipSync(body), headers: { 'Content-Encoding': 'gzip' } } : { body });
      });
      const replies = await Promise.all(posts);
      assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([202]));
      await log.close();
      const text = await readFile(log.path, 'utf8');
      assert.ok(text.endsWith('\n'));
      const lines = text.slice(0, -1).split('\n');
      assert.equal(lines.length, 10_000);
      assert.deepEqual(new Set(lines), expected);
      assert.equal(log.appended, 10_000);
      assert.ok(log.fsyncs <= 50, `${log.fsyncs} fsyncs for 50 requests`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
