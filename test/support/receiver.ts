/**
 * A scripted webhook receiver for tests: records every request (headers, decoded lines, arrival
 * time) and answers from a queue of scripted statuses (then a default).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly lines: string[];
  readonly at: number;
  readonly status: number;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
}

export interface TestReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Every record received, in arrival order. */
  lines(): string[];
  /** Queue answers for the next requests (FIFO); afterwards `defaultStatus` applies. */
  script(...answers: ScriptedAnswer[]): void;
  /** Changes the status answered when no scripted answer is queued (a receiver that fails, then is fixed). */
  setDefaultStatus(status: number): void;
  /** Resolves when at least `n` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves when at least `n` records have arrived. */
  waitForLines(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(options: { readonly defaultStatus?: number; readonly path?: string } = {}): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: ScriptedAnswer[] = [];
  const waiters = new Set<() => void>();
  let defaultStatus = options.defaultStatus ?? 202;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
      const answer = queue.shift() ?? { status: defaultStatus };
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        lines: body.toString('utf8').split('\n').filter((l) => l !== ''),
        at: performance.now(),
        status: answer.status,
      });
      res.writeHead(answer.status, answer.headers).end();
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const lines = () => requests.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.lines);
  const waitFor = (done: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${requests.length} requests, ${lines().length} records)`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });
  return {
    url: `http://127.0.0.1:${port}${options.path ?? '/audit-logs'}`,
    requests,
    lines,
    script: (...answers) => queue.push(...answers),
    setDefaultStatus: (status) => {
      defaultStatus = status;
    },
    waitForRequests: (n, timeoutMs = 10_000) => waitFor(() => requests.length >= n, `${n} requests`, timeoutMs),
    waitForLines: (n, timeoutMs = 10_000) => waitFor(() => lines().length >= n, `${n} records`, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
