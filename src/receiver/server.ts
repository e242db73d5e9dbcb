/**
 * The audit-log webhook receiver: kongctl's listener checks and answers (404, 405, 401, 400, 413,
 * 500, 202), a constant-time Authorization check, bodies bounded raw and decoded, and a server
 * hardened with header/request/keep-alive timeouts and a connection cap.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { BodyTooLargeError, DecodedTooLargeError, gunzipLimited, readBodyLimited, wantsGunzip } from './body.js';
import { splitPayloadRecords } from './split.js';

const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_CONNECTIONS = 1024;
const DEFAULT_CLOSE_GRACE_MS = 5_000;
/** How long a connection is drained after an early answer before it is cut (Go's lingering close). */
const LINGER_MS = 1_000;
/** Upper bound on how late Node notices an expired headers/request timeout. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** What the receiver needs: where to listen, the secret, the limits and where records go. */
export interface ReceiverOptions {
  /** Address to bind, e.g. '127.0.0.1'. */
  readonly host: string;
  /** Port to bind; 0 = any free port. */
  readonly port: number;
  /** The one URL path served (exact match; the query string is ignored), e.g. '/audit-logs'. */
  readonly path: string;
  /** The exact Authorization header value required (must not be empty). */
  readonly authorization: string;
  /** Limit of the raw and, separately, of the decoded body. */
  readonly maxBodyBytes: number;
  /** Persists one request's records; resolves after they are durable (fsynced). Throwing → 500. */
  readonly onRecords: (records: Buffer[]) => Promise<void>;
  /** Time allowed for the request headers; default 10_000. */
  readonly headersTimeoutMs?: number;
  /** Time allowed for the whole request, body included; default 30_000. */
  readonly requestTimeoutMs?: number;
  /** Idle time before a keep-alive connection is closed; default 5_000. */
  readonly keepAliveTimeoutMs?: number;
  /** Connections beyond this many are refused; default 1024. */
  readonly maxConnections?: number;
  /** Called for every answered request, for logging: method, path, status, records, bytes. */
  readonly onRequest?: (info: RequestInfo) => void;
}

/** One answered request, for logging (`bytes`: request body bytes read, before decoding). */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly records: number;
  readonly bytes: number;
  readonly remote: string;
}

/** A listening receiver. */
export interface Receiver {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/path` (IPv6 hosts bracketed). */
  readonly url: string;
  /** Stops accepting, waits for in-flight requests (bounded by `graceMs`, default 5000), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

interface Answer {
  readonly status: number;
  /** Plain-text message (Go's `http.Error`); none for 202. */
  readonly message?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly records?: number;
  readonly bytes?: number;
}

const NOT_FOUND: Answer = { status: 404, message: '404 page not found' };
const NOT_ALLOWED: Answer = { status: 405, message: 'method not allowed', headers: { Allow: 'POST' } };
const UNAUTHORIZED: Answer = { status: 401, message: 'unauthorized' };

/**
 * Binds and resolves once listening; rejects with the listen error (e.g. code EADDRINUSE) without
 * leaving anything open.
 *
 * @example
 * const receiver = await startReceiver({ host: '127.0.0.1', port: 0, path: '/audit-logs',
 *   authorization: 'Bearer s3cret', maxBodyBytes: 1 << 20, onRecords: (r) => log.append(r) });
 */
export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  if (options.authorization === '') throw new TypeError('authorization must not be empty');
  if (!(options.maxBodyBytes > 0)) throw new RangeError('maxBodyBytes must be greater than zero');
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const server = http.createServer({
    headersTimeout,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    // Node's default check runs every 30 s, which would let a slow client outlive its timeout.
    connectionsCheckingInterval: headersTimeout > 0 ? Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, headersTimeout) : MAX_TIMEOUT_CHECK_INTERVAL_MS,
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // Node drops headers past the 2000th, which could hide an Authorization (or a second one); the
  // 16 KiB header size limit still bounds them, as Go has no count limit.
  server.maxHeadersCount = 0;

  const expected = Buffer.from(options.authorization, 'utf8');
  const inFlight = new Set<ServerResponse>();
  const perSocket = new WeakMap<Duplex, Set<ServerResponse>>();
  let idleWaiters: (() => void)[] = [];
  const track = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    inFlight.add(res);
    let onSocket = perSocket.get(req.socket);
    if (onSocket === undefined) perSocket.set(req.socket, (onSocket = new Set()));
    onSocket.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      onSocket.delete(res);
      if (inFlight.size > 0) return;
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    });
    handle(options, expected, req, res, expectsContinue).catch(() => res.destroy());
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => track(req, res, false));
  // Checks run before "100 Continue", so a refused client never sends its body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => track(req, res, true));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, perSocket.get(socket)));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.host);
  });
  // Accept errors (e.g. EMFILE) are transient; Node keeps listening, so do not crash on them.
  server.on('error', () => {});

  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (graceMs = DEFAULT_CLOSE_GRACE_MS) =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    })());
  return { host: address.address, port: address.port, url: `http://${urlHost}:${address.port}${options.path}`, close };
}

async function handle(
  options: ReceiverOptions,
  expected: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
  expectsContinue: boolean,
): Promise<void> {
  const method = req.method ?? '';
  // The usual target is the path itself: no parsing needed.
  const path = req.url === options.path ? options.path : requestPath(req.url ?? '');
  // Read before answering: a closed socket no longer knows its peer.
  const remote = options.onRequest ? `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}` : '';
  let answer: Answer;
  try {
    answer = await decide(options, expected, path, req, res, expectsContinue);
  } catch {
    answer = { status: 500, message: 'internal server error' };
  }
  send(req, res, answer);
  if (!options.onRequest) return;
  try {
    options.onRequest({ method, path: path ?? '', status: answer.status, records: answer.records ?? 0, bytes: answer.bytes ?? 0, remote });
  } catch {
    // A failing logger must not break the receiver.
  }
}

/** Runs the checks in kongctl's order and persists the records; returns the answer to send. */
async function decide(
  options: ReceiverOptions,
  expected: Buffer,
  path: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  expectsContinue: boolean,
): Promise<Answer> {
  if (path !== options.path) return NOT_FOUND;
  if (req.method !== 'POST') return NOT_ALLOWED;
  // Node keeps only the first of several Authorization headers; which one counts would be a guess.
  if (countHeader(req.rawHeaders, 'authorization') > 1) return UNAUTHORIZED;
  if (!authorized(req.headers.authorization, expected)) return UNAUTHORIZED;

  const max = options.maxBodyBytes;
  if (expectsContinue && !(Number(req.headers['content-length']) > max)) res.writeContinue();
  let raw: Buffer;
  try {
    raw = await readBodyLimited(req, max);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { status: 413, message: 'request body too large', bytes: error.receivedBytes };
    return { status: 400, message: 'failed to read request body' };
  }
  const bytes = raw.length;
  let body = raw;
  if (wantsGunzip(req.headers['content-encoding'], raw)) {
    try {
      body = await gunzipLimited(raw, max);
    } catch (error) {
      if (error instanceof DecodedTooLargeError) return { status: 413, message: 'decoded request body too large', bytes };
      return { status: 400, message: 'failed to decode request body', bytes };
    }
  }
  const records = splitPayloadRecords(body);
  if (records.length > 0) {
    try {
      await options.onRecords(records);
    } catch {
      return { status: 500, message: 'failed to persist audit-log event', bytes };
    }
  }
  return { status: 202, records: records.length, bytes };
}

/** The decoded URL path (as Go's `r.URL.Path`), without the query; undefined if undecodable. */
function requestPath(target: string): string | undefined {
  // Absolute-form targets ("http://host/path") carry the path after the authority.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  let path = authority ? target.slice(authority[0].length) || '/' : target;
  const query = path.search(/[?#]/);
  if (query !== -1) path = path.slice(0, query);
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** How many times a header (lower-case name) was sent. */
function countHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]!;
    if (header.length === name.length && header.toLowerCase() === name) count++;
  }
  return count;
}

/** Exact byte comparison in constant time; a wrong length costs the same as a wrong value. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  // Node decodes header bytes as latin1, so this recovers the exact bytes the client sent.
  const actual = Buffer.from(header ?? '', 'latin1');
  if (actual.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(actual, expected);
}

/** Writes an answer Go's `http.Error` style, then drains and closes a connection whose body was left unread. */
function send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  if (!req.complete) {
    res.once('finish', () => {
      if (!req.complete) lingerClose(req);
    });
  }
  if (answer.message === undefined) {
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': 0 }).end();
    return;
  }
  const body = Buffer.from(`${answer.message}\n`, 'utf8');
  res
    .writeHead(answer.status, {
      ...answer.headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': body.length,
    })
    .end(body);
}

/** Node's own answers to unparsable or timed-out requests (what it sends without a 'clientError' listener). */
const CLIENT_ERROR_RESPONSES: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST_RESPONSE = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
const failingSockets = new WeakSet<Duplex>();

/**
 * Answers a parse error or timeout as Node does (400/408/431, then close), but only after every
 * complete request still in flight on the connection is answered: the error belongs to a later
 * pipelined request, and Node's default would drop the earlier answer after its records were stored
 * (Go, like kongctl, answers the earlier request first).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, exchanges: ReadonlySet<ServerResponse> = new Set()): void {
  if (failingSockets.has(socket)) return; // the parser reports again for every further chunk
  failingSockets.add(socket);
  const complete = [...exchanges].filter((res) => res.req.complete);
  let waiting = complete.length;
  const answer = () => {
    // A half-sent answer (an early refusal) must not be followed by another status line.
    const started = [...exchanges].some((res) => res.headersSent);
    if (socket.writable && !started) socket.write(CLIENT_ERROR_RESPONSES[error.code ?? ''] ?? BAD_REQUEST_RESPONSE);
    socket.destroy();
  };
  if (waiting === 0) return answer();
  for (const res of complete) {
    // 'close' follows the end of the response, or the loss of the connection.
    res.once('close', () => {
      if (--waiting === 0) answer();
    });
  }
}

/**
 * Ends a connection whose request body was not read: keeps discarding what still arrives (closing
 * with unread data would reset the connection and could lose the answer), sends FIN, and cuts the
 * connection after LINGER_MS.
 */
function lingerClose(req: IncomingMessage): void {
  const socket = req.socket;
  req.resume();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
