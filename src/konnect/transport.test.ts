import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exchange, ResponseTooLargeError } from './transport.js';

describe('exchange (node:http transport of the Konnect client)', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/echo') {
          res.writeHead(201, { 'Content-Type': 'application/json', 'Retry-After': '3' });
          res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, length: req.headers['content-length'], body: Buffer.concat(chunks).toString() }));
        } else if (req.url === '/big') {
          res.writeHead(200);
          res.end(Buffer.alloc(2048, 0x61));
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 5_000).unref();
        } else if (req.url === '/reset') {
          req.socket.destroy();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('sends method, headers and a UTF-8 body with its length; returns status, headers and text', async () => {
    const answer = await exchange(`${base}/echo`, { method: 'PATCH', headers: { Authorization: 'Bearer t' }, body: '{"name":"ü"}' });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['retry-after'], '3');
    assert.deepEqual(JSON.parse(answer.text), { method: 'PATCH', auth: 'Bearer t', length: '13', body: '{"name":"ü"}' });
  });

  test('a 204 has an empty text', async () => {
    const answer = await exchange(`${base}/none`, { method: 'DELETE', headers: {} });
    assert.equal(answer.status, 204);
    assert.equal(answer.text, '');
  });

  test('a body over the limit rejects with ResponseTooLargeError', async () => {
    await assert.rejects(exchange(`${base}/big`, { method: 'GET', headers: {}, maxResponseBytes: 1024 }), ResponseTooLargeError);
    assert.equal((await exchange(`${base}/big`, { method: 'GET', headers: {}, maxResponseBytes: 2048 })).text.length, 2048);
  });

  test('a timeout signal rejects with its TimeoutError, an aborted signal at once', async () => {
    await assert.rejects(exchange(`${base}/slow`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' });
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    await assert.rejects(exchange(`${base}/echo`, { method: 'GET', headers: {}, signal: controller.signal }), /stopping/);
  });

  test('socket errors reject with their code', async () => {
    await assert.rejects(exchange(`${base}/reset`, { method: 'GET', headers: {} }), { code: 'ECONNRESET' });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(exchange(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {} }), { code: 'ECONNREFUSED' });
  });
});
