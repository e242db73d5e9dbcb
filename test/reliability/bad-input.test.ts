/**
 * Bad input over raw TCP to ONE real `konnect-audit listen` process (built CLI, the emulator in this
 * process as Konnect, a temp data dir). Every case sends exact bytes and declares the exact outcome:
 * the responses (status and kongctl's body text where the receiver sends one), whether the server
 * keeps the connection (proved by a valid follow-up request) or closes it (and when, for timeouts),
 * and the records appended to events.jsonl, byte for byte (none for a refused request). Afterwards
 * the same process must serve 1,000 valid posts, hold no connection, stay idle, and stop cleanly.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { call } from '../support/api.js';
import { startCli, type CliProcess } from '../support/cli.js';
import { eventually, freePort } from '../support/wait.js';

const AUTH = 'Bearer listener-secret';
const PATH = '/audit-logs';
const MAX_BODY = 1024 * 1024; // the default --max-body-bytes, as kongctl
const HEADER_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 2000;
/** Longest wait for any expected answer or close (a generous bound on a shared machine). */
const CASE_DEADLINE_MS = 10_000;
/** Written by a refused request; never expected in the store. */
const REFUSED = '{"must":"not be stored"}';

// ---------------------------------------------------------------------------------------------
// A raw connection and a minimal HTTP/1.1 response parser (Content-Length, chunked, read-to-close).

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Parses the complete responses at the start of `data`; `headAt` lists answers to HEAD (no body). */
function parseResponses(data: Buffer, closed: boolean, headAt: ReadonlySet<number>): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at, 'latin1');
    if (headEnd === -1) break;
    const [statusLine = '', ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!m) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(data.subarray(at).toString('latin1').slice(0, 200))}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = headEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    let next = bodyStart;
    if (status < 200 || status === 204 || status === 304 || headAt.has(responses.length)) {
      // no body
    } else if (headers['transfer-encoding'] === 'chunked') {
      const chunks: Buffer[] = [];
      let pos = bodyStart;
      let done = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', pos, 'latin1');
        if (lineEnd === -1) break;
        const size = parseInt(data.subarray(pos, lineEnd).toString('latin1'), 16);
        if (size === 0) {
          if (data.length < lineEnd + 4) break;
          next = lineEnd + 4; // no trailers from Node
          done = true;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) break;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      if (!done) break;
      body = Buffer.concat(chunks);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (data.length < bodyStart + length) break;
      body = data.subarray(bodyStart, bodyStart + length);
      next = bodyStart + length;
    } else {
      if (!closed) break; // delimited by the close
      body = data.subarray(bodyStart);
      next = data.length;
    }
    responses.push({ status, headers, body });
    at = next;
  }
  return { responses, rest: data.subarray(at) };
}

class RawConnection {
  readonly socket: net.Socket;
  readonly startedAt = performance.now();
  closedAt: number | undefined;
  private data = Buffer.alloc(0);
  private readonly wakers = new Set<() => void>();

  constructor(
    port: number,
    private readonly headAt: ReadonlySet<number> = new Set(),
  ) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    this.socket.on('error', () => {}); // resets after the server cut a connection are expected
    this.socket.on('close', () => {
      this.closedAt = performance.now();
      this.wake();
    });
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  get received(): Buffer {
    return this.data;
  }

  parsed(): { responses: RawResponse[]; rest: Buffer } {
    return parseResponses(this.data, this.closed, this.headAt);
  }

  write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Resolves when `done()` holds, re-checked whenever bytes arrive or the connection closes. */
  until(done: () => boolean, what: string, timeoutMs = CASE_DEADLINE_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok: boolean;
        try {
          ok = done();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!ok) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.data.toString('latin1').slice(0, 400))}, closed=${this.closed}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(check);
      };
      this.wakers.add(check);
      check();
    });
  }

  private wake(): void {
    for (const check of [...this.wakers]) check();
  }
}

// ---------------------------------------------------------------------------------------------
// Building requests byte by byte.

interface RequestSpec {
  readonly method?: string;
  readonly target?: string;
  readonly version?: string;
  /** The Authorization value; null: no Authorization header. */
  readonly auth?: string | null;
  /** Extra header lines, without CRLF. */
  readonly headers?: readonly string[];
  readonly body?: string | Buffer;
  /** Content-Length to declare; default the body's length; null: none. */
  readonly contentLength?: number | null;
}

/** Test text is written as latin1, so every char is one byte (NUL and CR included). */
const bytes = (data: string | Buffer): Buffer => (typeof data === 'string' ? Buffer.from(data, 'latin1') : data);

function request(spec: RequestSpec = {}): Buffer {
  const body = bytes(spec.body ?? '');
  const lines = [`${spec.method ?? 'POST'} ${spec.target ?? PATH} ${spec.version ?? 'HTTP/1.1'}`, 'Host: 127.0.0.1'];
  if (spec.auth !== null) lines.push(`Authorization: ${spec.auth ?? AUTH}`);
  lines.push(...(spec.headers ?? []));
  const length = spec.contentLength === undefined ? body.length : spec.contentLength;
  if (length !== null) lines.push(`Content-Length: ${length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** A chunked request head (no Content-Length); the framing follows in the case. */
const chunkedHead = (extra: readonly string[] = []) => request({ headers: ['Transfer-Encoding: chunked', ...extra], contentLength: null });

const gzip = (text: string | Buffer) => gzipSync(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
const GZ_BODY = '{"gz":1}\n{"gz":2}\n'.repeat(50);
const gzCorrupt = (edit: (gz: Buffer) => Buffer) => edit(Buffer.from(gzip(GZ_BODY)));
/** Inverts the byte `offset` bytes before the end (the trailer is CRC-32, then ISIZE, little-endian). */
const flipFromEnd = (gz: Buffer, offset: number) => {
  gz[gz.length - offset] = gz[gz.length - offset]! ^ 0xff;
  return gz;
};
const gzPost = (body: Buffer, encoding = 'gzip') => request({ headers: [`Content-Encoding: ${encoding}`], body });

// ---------------------------------------------------------------------------------------------
// The corpus.

/** Bytes written as they are, or written one byte every `everyMs` (cyclically) until the server closes, or a wait for the server's bytes. */
type Step = string | Buffer | { readonly drip: string; readonly everyMs: number } | { readonly awaitText: string };

interface Reply {
  readonly status: number;
  /** The exact body; default '' (202s and Node's own 400/408/431 answers have none). */
  readonly body?: string;
  /** The exact Allow header, when checked. */
  readonly allow?: string;
}

interface Case {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Every response, in order (none more). */
  readonly replies: readonly Reply[];
  /**
   * After the replies: 'keep-alive' = the connection must carry a valid follow-up request;
   * 'close' = the server closes it; 'either' = an early answer raced the unread body (the
   * receiver drains and closes only when the body was not complete yet), so either is right.
   */
  readonly then: 'keep-alive' | 'close' | 'either';
  /** Records appended to events.jsonl, byte for byte; default none (the file is unchanged). */
  readonly stored?: readonly (string | Buffer)[];
  /** The server cuts the connection at least `atLeastMs` after connecting, and before `beforeMs`. */
  readonly cut?: { readonly atLeastMs: number; readonly beforeMs?: number };
  /** The first response answers a HEAD (no body follows its head). */
  readonly head?: boolean;
}

const ACCEPTED: Reply = { status: 202 };
const BAD_REQUEST: Reply = { status: 400 }; // Node's own answer to unparsable HTTP (Go's also says 400)
const TIMEOUT: Reply = { status: 408 };
const UNAUTHORIZED: Reply = { status: 401, body: 'unauthorized\n' };
const NOT_FOUND: Reply = { status: 404, body: '404 page not found\n' };
const NOT_ALLOWED: Reply = { status: 405, body: 'method not allowed\n', allow: 'POST' };
const UNDECODABLE: Reply = { status: 400, body: 'failed to decode request body\n' };

const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf8, 0x88, 0x80, 0x80, 0x80, 0x22, 0x7d]);
const HUNDRED_K = Array.from({ length: 100_000 }, (_, i) => `[${i}]`);
const PRETTY = JSON.stringify({ id: 'p1', tags: ['a', 'b'], nested: { ok: true } }, null, 2);

const FAST_CASES: readonly Case[] = [
  // --- gzip
  { name: 'gzip truncated (last 10 bytes cut)', steps: [gzPost(gzip(GZ_BODY).subarray(0, -10))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip truncated to its 10-byte header', steps: [gzPost(gzip(GZ_BODY).subarray(0, 10))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip with a bad magic number, Content-Encoding: gzip', steps: [gzPost(gzCorrupt((gz) => ((gz[0] = 0x1e), gz)))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip with a bad CRC-32 trailer', steps: [gzPost(gzCorrupt((gz) => flipFromEnd(gz, 8)))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip with a bad length (ISIZE) trailer', steps: [gzPost(gzCorrupt((gz) => flipFromEnd(gz, 1)))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip with a corrupt deflate stream', steps: [gzPost(gzCorrupt((gz) => ((gz[12] = gz[12]! ^ 0x55), (gz[13] = gz[13]! ^ 0xaa), gz)))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip with garbage after a valid member', steps: [gzPost(Buffer.concat([gzip('{"first":1}\n'), Buffer.from('GARBAGE')]))], replies: [UNDECODABLE], then: 'keep-alive' },
  // zlib alone would stop at NUL padding and accept; Go's gzip.Reader (kongctl) refuses it, and so does the receiver.
  { name: 'gzip with NUL padding after a valid member', steps: [gzPost(Buffer.concat([gzip('{"padded":1}\n'), Buffer.alloc(8)]))], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip with Content-Encoding: gzip and an empty body', steps: [gzPost(Buffer.alloc(0))], replies: [UNDECODABLE], then: 'keep-alive' },
  // The receiver also sniffs the gzip magic bytes without Content-Encoding (kongctl would store the raw bytes).
  { name: 'gzip magic bytes without Content-Encoding, not gzip', steps: [request({ body: Buffer.from([0x1f, 0x8b, 0x41, 0x42, 0x43]) })], replies: [UNDECODABLE], then: 'keep-alive' },
  { name: 'gzip bomb: 16 MiB of zeros (decoded > limit)', steps: [gzPost(gzip(Buffer.alloc(16 * MAX_BODY)))], replies: [{ status: 413, body: 'decoded request body too large\n' }], then: 'keep-alive' },
  { name: 'valid two-member gzip, Content-Encoding: GZIP (upper case), CRLF records', steps: [gzPost(Buffer.concat([gzip('{"m":1}\r\n'), gzip('\r\n{"m":2}\r\n')]), 'GZIP')], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"m":1}', '{"m":2}'] },

  // --- sizes
  { name: 'raw body of exactly max-body-bytes', steps: [request({ body: Buffer.alloc(MAX_BODY, 'a') })], replies: [ACCEPTED], then: 'keep-alive', stored: [Buffer.alloc(MAX_BODY, 'a')] },
  { name: 'raw body one byte over max-body-bytes', steps: [request({ body: Buffer.alloc(MAX_BODY + 1, 'b') })], replies: [{ status: 413, body: 'request body too large\n' }], then: 'close' },
  {
    name: 'chunked body growing past max-body-bytes',
    steps: [chunkedHead(), ...Array.from({ length: 17 }, () => `10000\r\n${'c'.repeat(0x10000)}\r\n`), '0\r\n\r\n'],
    replies: [{ status: 413, body: 'request body too large\n' }],
    then: 'close',
  },
  { name: '100,000-line body within the limit', steps: [request({ body: `${HUNDRED_K.join('\n')}\n` })], replies: [ACCEPTED], then: 'keep-alive', stored: HUNDRED_K },

  // --- body content (no JSON validation; split on \n and trimmed, as kongctl)
  { name: 'invalid UTF-8 in the body, stored byte for byte', steps: [request({ body: Buffer.concat([INVALID_UTF8, Buffer.from('\n'), INVALID_UTF8.subarray(6, 12)]) })], replies: [ACCEPTED], then: 'keep-alive', stored: [INVALID_UTF8, INVALID_UTF8.subarray(6, 12)] },
  { name: 'NUL bytes in the body, a NUL-only line is a record', steps: [request({ body: '{"n":"\0\0"}\n\0\n' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"n":"\0\0"}', '\0'] },
  { name: 'CRLF line endings', steps: [request({ body: '{"crlf":1}\r\n{"crlf":2}\r\n' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"crlf":1}', '{"crlf":2}'] },
  // Only \n splits: inner CRs stay, the trailing one is trimmed.
  { name: 'bare CR line endings: one record', steps: [request({ body: '{"cr":1}\r{"cr":2}\r' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"cr":1}\r{"cr":2}'] },
  // kongctl splits on \n and trims each line, so a pretty-printed object becomes one record per line.
  { name: 'pretty-printed JSON: one record per trimmed line', steps: [request({ body: `${PRETTY}\n` })], replies: [ACCEPTED], then: 'keep-alive', stored: PRETTY.split('\n').map((l) => l.trim()) },
  { name: 'empty body (Content-Length: 0)', steps: [request({ body: '' })], replies: [ACCEPTED], then: 'keep-alive' },
  { name: 'no body and no framing headers at all', steps: [request({ contentLength: null })], replies: [ACCEPTED], then: 'keep-alive' },
  { name: 'blank lines only', steps: [request({ body: '\n\r\n   \n\t\r\n\n' })], replies: [ACCEPTED], then: 'keep-alive' },
  { name: 'two pipelined requests in one write', steps: [Buffer.concat([request({ body: '{"pipe":1}' }), request({ body: '{"pipe":2}' })])], replies: [ACCEPTED, ACCEPTED], then: 'keep-alive', stored: ['{"pipe":1}', '{"pipe":2}'] },

  // --- framing
  // The bytes past Content-Length are the next request: here not HTTP, so 400 after the 202.
  { name: 'Content-Length shorter than the body: the rest is a bad next request', steps: [request({ body: '{"short":1}\n{"short":2}\n', contentLength: 11 })], replies: [ACCEPTED, BAD_REQUEST], then: 'close', stored: ['{"short":1}'] },
  { name: 'Content-Length shorter than the body: the rest smuggles a request with a wrong Authorization', steps: [Buffer.concat([request({ body: '{"short":3}', contentLength: 11 }), request({ auth: 'Bearer wrong', contentLength: 0 })])], replies: [ACCEPTED, UNAUTHORIZED], then: 'keep-alive', stored: ['{"short":3}'] },
  { name: 'Content-Length and Transfer-Encoding: chunked', steps: [request({ headers: ['Transfer-Encoding: chunked'], body: `${REFUSED.length.toString(16)}\r\n${REFUSED}\r\n0\r\n\r\n` })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'two different Content-Lengths', steps: [request({ headers: ['Content-Length: 3'], body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'negative Content-Length', steps: [request({ contentLength: -1, body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'non-numeric Content-Length', steps: [request({ headers: ['Content-Length: 1e3'], contentLength: null, body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'Transfer-Encoding: identity', steps: [request({ headers: ['Transfer-Encoding: identity'], body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'chunked: bad hex chunk size', steps: [chunkedHead(), `zz\r\n${REFUSED}\r\n0\r\n\r\n`], replies: [BAD_REQUEST], then: 'close' },
  { name: 'chunked: missing CRLF after the chunk data', steps: [chunkedHead(), `${REFUSED.length.toString(16)}\r\n${REFUSED}0\r\n\r\n`], replies: [BAD_REQUEST], then: 'close' },
  { name: 'chunked: chunk longer than its declared size', steps: [chunkedHead(), `3\r\n${REFUSED}\r\n0\r\n\r\n`], replies: [BAD_REQUEST], then: 'close' },
  { name: 'chunked: chunk size overflowing 64 bits', steps: [chunkedHead(), `1${'0'.repeat(16)}\r\n${REFUSED}\r\n0\r\n\r\n`], replies: [BAD_REQUEST], then: 'close' },
  { name: 'chunked: valid, with a chunk extension, a record split across chunks', steps: [chunkedHead(), '5;ext=1\r\n{"chu\r\n', '7\r\nnked":1\r\n', '2\r\n}\n\r\n0\r\n\r\n'], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"chunked":1}'] },

  // --- headers
  { name: 'huge header (> 16 KiB)', steps: [request({ headers: [`X-Big: ${'h'.repeat(17 * 1024)}`], body: REFUSED })], replies: [{ status: 431 }], then: 'close' },
  // Node would drop headers past the 2000th, the Authorization among them (fixed: no count limit, as Go).
  { name: '2,100 headers before the Authorization', steps: [request({ auth: null, headers: [...Array.from({ length: 2100 }, (_, i) => `x${i}:v`), `Authorization: ${AUTH}`], body: '{"many":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"many":1}'] },
  { name: 'NUL byte in a header value', steps: [request({ headers: ['X-Nul: a\0b'], body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  // Go would unfold the continuation line and accept; Node refuses obsolete line folding.
  { name: 'obs-fold continuation of the Authorization', steps: [request({ auth: 'Bearer\r\n listener-secret', body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'space before the colon of a header name', steps: [request({ auth: null, headers: [`Authorization : ${AUTH}`], body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'bare LF line endings in the head', steps: [request({ body: REFUSED }).toString('latin1').replace(/\r\n/g, '\n')], replies: [BAD_REQUEST], then: 'close' },

  // --- methods (path first, then method, as kongctl)
  { name: 'GET', steps: [request({ method: 'GET', contentLength: null })], replies: [NOT_ALLOWED], then: 'keep-alive' },
  { name: 'PUT with a body', steps: [request({ method: 'PUT', body: REFUSED })], replies: [NOT_ALLOWED], then: 'either' },
  { name: 'DELETE', steps: [request({ method: 'DELETE', contentLength: null })], replies: [NOT_ALLOWED], then: 'keep-alive' },
  { name: 'HEAD (405 head, no body)', steps: [request({ method: 'HEAD', contentLength: null })], replies: [{ status: 405, allow: 'POST' }], then: 'keep-alive', head: true },
  { name: 'OPTIONS', steps: [request({ method: 'OPTIONS', contentLength: null })], replies: [NOT_ALLOWED], then: 'keep-alive' },
  { name: 'GET on a wrong path is 404 (path checked first)', steps: [request({ method: 'GET', target: '/other', contentLength: null })], replies: [NOT_FOUND], then: 'keep-alive' },
  { name: 'lower-case method "post"', steps: [request({ method: 'post', body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },

  // --- paths (exact match on the decoded path, as Go's r.URL.Path; the query is ignored)
  { name: 'path /', steps: [request({ target: '/', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  { name: 'path /audit-logs/', steps: [request({ target: '/audit-logs/', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  { name: 'path /AUDIT-LOGS', steps: [request({ target: '/AUDIT-LOGS', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  { name: 'path traversal /x/../audit-logs (not normalised)', steps: [request({ target: '/x/../audit-logs', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  { name: 'encoded traversal /%2e%2e/audit-logs', steps: [request({ target: '/%2e%2e/audit-logs', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  { name: 'encoded slash /audit-logs%2F', steps: [request({ target: '/audit-logs%2F', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  // Go would answer 400 to an undecodable target; the receiver treats it as another path.
  { name: 'undecodable path /audit%ZZlogs', steps: [request({ target: '/audit%ZZlogs', body: REFUSED })], replies: [NOT_FOUND], then: 'either' },
  { name: 'percent-encoded right path /audit%2Dlogs', steps: [request({ target: '/audit%2Dlogs', body: '{"encoded":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"encoded":1}'] },
  { name: 'query string on the right path', steps: [request({ target: '/audit-logs?source=konnect&x=%ZZ', body: '{"query":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"query":1}'] },
  { name: 'absolute-form target with another host', steps: [request({ target: 'http://elsewhere.example:8080/audit-logs', body: '{"absolute":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"absolute":1}'] },

  // --- Authorization
  { name: 'missing Authorization', steps: [request({ auth: null, body: REFUSED })], replies: [UNAUTHORIZED], then: 'either' },
  { name: 'wrong Authorization', steps: [request({ auth: 'Bearer listener-secreT', body: REFUSED })], replies: [UNAUTHORIZED], then: 'either' },
  { name: 'empty Authorization', steps: [request({ auth: '', body: REFUSED })], replies: [UNAUTHORIZED], then: 'either' },
  { name: 'lower-case authorization: header name', steps: [request({ auth: null, headers: [`authorization: ${AUTH}`], body: '{"lower":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"lower":1}'] },
  { name: 'upper-case AUTHORIZATION: header name', steps: [request({ auth: null, headers: [`AUTHORIZATION: ${AUTH}`], body: '{"upper":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"upper":1}'] },
  // Node keeps only the first Authorization; any duplicate is ambiguous and refused (fixed).
  { name: 'duplicate Authorization: right then wrong', steps: [request({ headers: ['Authorization: Bearer wrong'], body: REFUSED })], replies: [UNAUTHORIZED], then: 'either' },
  { name: 'duplicate Authorization: wrong then right', steps: [request({ auth: 'Bearer wrong', headers: [`Authorization: ${AUTH}`], body: REFUSED })], replies: [UNAUTHORIZED], then: 'either' },
  { name: 'duplicate Authorization: right twice', steps: [request({ headers: [`authorization: ${AUTH}`], body: REFUSED })], replies: [UNAUTHORIZED], then: 'either' },
  // HTTP's OWS around a field value is not part of it: Node trims it, as Go does, so this matches.
  { name: 'Authorization with trailing spaces and a tab', steps: [request({ auth: `${AUTH}  \t `, body: '{"ows":1}' })], replies: [ACCEPTED], then: 'keep-alive', stored: ['{"ows":1}'] },

  // --- protocol
  { name: 'HTTP/1.0 request (answered, then closed)', steps: [request({ version: 'HTTP/1.0', body: '{"http10":1}' })], replies: [ACCEPTED], then: 'close', stored: ['{"http10":1}'] },
  { name: 'garbage request line', steps: ['HELLO THERE\r\n\r\n'], replies: [BAD_REQUEST], then: 'close' },
  { name: 'HTTP/1.1 without Host', steps: [request({ body: REFUSED }).toString('latin1').replace('Host: 127.0.0.1\r\n', '')], replies: [BAD_REQUEST], then: 'close' },
  { name: 'unknown HTTP version HTTP/3.0', steps: [request({ version: 'HTTP/3.0', body: REFUSED })], replies: [BAD_REQUEST], then: 'close' },
  { name: 'HTTP/2 connection preface', steps: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], replies: [BAD_REQUEST], then: 'close' },
  { name: 'Expect: 100-continue with a wrong Authorization: refused before the body', steps: [request({ auth: 'Bearer wrong', headers: ['Expect: 100-continue'], contentLength: REFUSED.length })], replies: [UNAUTHORIZED], then: 'close' },
  { name: 'Expect: 100-continue with the right Authorization', steps: [request({ headers: ['Expect: 100-continue'], contentLength: 12 }), { awaitText: 'HTTP/1.1 100 Continue\r\n\r\n' }, '{"expect":1}'], replies: [{ status: 100 }, ACCEPTED], then: 'keep-alive', stored: ['{"expect":1}'] },
  { name: 'Expect: something-else', steps: [request({ headers: ['Expect: something-else'], contentLength: 0 })], replies: [{ status: 417 }], then: 'keep-alive' },
];

/** Cases that end at a timeout; they store nothing, so they run concurrently. */
const TIMEOUT_CASES: readonly Case[] = [
  { name: 'idle connection, nothing sent', steps: [], replies: [TIMEOUT], then: 'close', cut: { atLeastMs: HEADER_TIMEOUT_MS, beforeMs: REQUEST_TIMEOUT_MS } },
  { name: 'half a request line, then silence', steps: ['POST /audit-lo'], replies: [TIMEOUT], then: 'close', cut: { atLeastMs: HEADER_TIMEOUT_MS, beforeMs: REQUEST_TIMEOUT_MS } },
  { name: 'slowloris on headers: a byte every 20 ms', steps: [`POST ${PATH} HTTP/1.1\r\nHost: x\r\n`, { drip: 'X-Slow: y\r\n', everyMs: 20 }], replies: [TIMEOUT], then: 'close', cut: { atLeastMs: HEADER_TIMEOUT_MS, beforeMs: REQUEST_TIMEOUT_MS } },
  { name: 'slowloris on the body: a byte every 20 ms', steps: [request({ contentLength: 100_000 }), { drip: REFUSED, everyMs: 20 }], replies: [TIMEOUT], then: 'close', cut: { atLeastMs: REQUEST_TIMEOUT_MS } },
  { name: 'Content-Length longer than the body sent', steps: [request({ body: REFUSED, contentLength: REFUSED.length + 10 })], replies: [TIMEOUT], then: 'close', cut: { atLeastMs: REQUEST_TIMEOUT_MS } },
  { name: 'chunked body without its terminal chunk', steps: [chunkedHead(), `${REFUSED.length.toString(16)}\r\n${REFUSED}\r\n`], replies: [TIMEOUT], then: 'close', cut: { atLeastMs: REQUEST_TIMEOUT_MS } },
];

// ---------------------------------------------------------------------------------------------

let emulator: Emulator;
let sink: http.Server;
let home: string;
let proc: CliProcess;
let port: number;
let eventsFile: string;
/** Every record the store must hold, in order. */
const expectedLog: Buffer[] = [];

const storeSize = () => statSync(eventsFile).size;
const lines = (records: readonly (string | Buffer)[]) => Buffer.concat(records.flatMap((r) => [bytes(r), Buffer.from('\n')]));

function assertStoredSince(offset: number, records: readonly (string | Buffer)[]): void {
  const added = readFileSync(eventsFile).subarray(offset);
  const expected = lines(records);
  if (added.equals(expected)) return;
  assert.fail(`events.jsonl gained ${added.length} bytes, expected ${expected.length}: ${JSON.stringify(added.toString('latin1').slice(0, 300))} vs ${JSON.stringify(expected.toString('latin1').slice(0, 300))}`);
}

async function perform(conn: RawConnection, step: Step): Promise<void> {
  if (typeof step === 'string' || Buffer.isBuffer(step)) {
    conn.write(bytes(step));
  } else if ('awaitText' in step) {
    await conn.until(() => conn.received.includes(step.awaitText, 0, 'latin1'), JSON.stringify(step.awaitText));
  } else {
    // The stimulus itself: bytes keep arriving, slowly, until the server gives up.
    let i = 0;
    const timer = setInterval(() => conn.write(bytes(step.drip[i++ % step.drip.length]!)), step.everyMs);
    try {
      await conn.until(() => conn.closed, 'the server to cut the dripping connection');
    } finally {
      clearInterval(timer);
    }
  }
}

async function runCase(c: Case): Promise<void> {
  const before = storeSize();
  const conn = new RawConnection(port, c.head ? new Set([0]) : new Set());
  try {
    await new Promise<void>((resolve, reject) => conn.socket.once('connect', resolve).once('error', reject));
    for (const step of c.steps) await perform(conn, step);
    if (c.then === 'close') await conn.until(() => conn.closed, 'the server to close the connection');
    else await conn.until(() => conn.parsed().responses.length >= c.replies.length, `${c.replies.length} response(s)`);
    const { responses, rest } = conn.parsed();
    const shown = (r: RawResponse, e: Reply) => ({ status: r.status, body: r.body.toString('latin1'), ...(e.allow === undefined ? {} : { allow: r.headers.allow }) });
    assert.deepEqual(
      responses.map((r, i) => shown(r, c.replies[i] ?? { status: 0 })),
      c.replies.map((e) => ({ status: e.status, body: e.body ?? '', ...(e.allow === undefined ? {} : { allow: e.allow }) })),
    );
    assert.equal(rest.toString('latin1'), '', 'no stray bytes after the responses');
    if (c.cut) {
      const after = conn.closedAt! - conn.startedAt;
      assert.ok(after >= c.cut.atLeastMs, `cut after ${after.toFixed(0)} ms, before the ${c.cut.atLeastMs} ms timeout`);
      if (c.cut.beforeMs !== undefined) assert.ok(after < c.cut.beforeMs, `cut after ${after.toFixed(0)} ms, not by the ${c.cut.atLeastMs} ms timeout`);
    }
    const stored = [...(c.stored ?? [])];
    if (c.then === 'keep-alive') {
      // The connection is still usable after the bad input: a valid request on it is stored.
      assert.equal(conn.closed, false, 'the server kept the connection');
      const followUp = `{"follow_up":${JSON.stringify(c.name)}}`;
      conn.write(request({ body: followUp }));
      await conn.until(() => conn.parsed().responses.length > c.replies.length, 'the follow-up answer');
      assert.equal(conn.parsed().responses[c.replies.length]!.status, 202, 'the follow-up request is accepted');
      stored.push(followUp);
    }
    assertStoredSince(before, stored);
    expectedLog.push(...stored.map((r) => bytes(r)));
  } finally {
    conn.socket.destroy();
  }
}

/** Sockets of the listener process that are connections to its port (not the listening one). */
function listenerConnections(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .filter((f) => existsSync(f))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9 && f[1]!.endsWith(`:${portHex}`) && f[3] !== '0A' && inodes.has(f[9]!))
    .map((f) => `${f[1]} -> ${f[2]} state ${f[3]}`);
}

/** User + system CPU time of a process, in ms (USER_HZ is 100 on Linux). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

describe('bad input to one real listener', () => {
  before(async () => {
    emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 100 });
    // Konnect delivers its own audit records (of the listener's API calls) here, not to the listener under test.
    sink = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(202).end()));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    home = mkdtempSync(join(tmpdir(), 'konnect-audit-bad-input-'));
    port = await freePort();
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}${PATH}`;
    proc = startCli(
      ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', sinkUrl, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', join(home, 'data'), '--header-timeout', `${HEADER_TIMEOUT_MS}ms`, '--request-timeout', `${REQUEST_TIMEOUT_MS}ms`,
        // The corpus posts unsigned records, some the same in several cases (a lone "}" of pretty-printed
        // JSON): signature checks and de-duplication have their own tests.
        '--verify', 'off', '--keep-duplicates'],
      { env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' } },
    );
    eventsFile = join(home, 'data', 'default', 'events.jsonl');
    await eventually('the webhook to be bound and recorded', () => {
      const us = emulator.inspect().regions.us!;
      return us.webhook.enabled && us.webhook.audit_log_destination_id && existsSync(join(home, 'data', 'default', 'destination.json')) && existsSync(eventsFile) ? true : undefined;
    });
    assert.equal(storeSize(), 0);
  });

  after(async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await emulator.stop();
    const closed = new Promise<void>((resolve) => sink.close(() => resolve()));
    sink.closeAllConnections();
    await closed;
    rmSync(home, { recursive: true, force: true });
  });

  test(`the corpus has at least 40 cases (${FAST_CASES.length + TIMEOUT_CASES.length})`, () => {
    assert.ok(FAST_CASES.length + TIMEOUT_CASES.length >= 40);
    assert.equal(new Set([...FAST_CASES, ...TIMEOUT_CASES].map((c) => c.name)).size, FAST_CASES.length + TIMEOUT_CASES.length, 'case names are unique');
  });

  describe('one connection per case, in turn', () => {
    for (const c of FAST_CASES) test(c.name, () => runCase(c));
  });

  describe('timeouts, concurrently', { concurrency: true }, () => {
    for (const c of TIMEOUT_CASES) test(c.name, () => runCase(c));
  });

  test('the store holds exactly the accepted records, in order, and nothing else', () => {
    assertStoredSince(0, expectedLog);
  });

  test('1,000 valid posts over 20 keep-alive connections: all 202, each record stored once; then no connection is left', async () => {
    const before = storeSize();
    const expected: string[] = [];
    const conns = Array.from({ length: 20 }, () => new RawConnection(port));
    await Promise.all(
      conns.map(async (conn, c) => {
        for (let i = 0; i < 50; i++) {
          const records = [0, 1, 2].map((k) => JSON.stringify({ load: c, post: i, k }));
          expected.push(...records);
          const text = `${records.join('\n')}\n`;
          conn.write(i % 2 === 0 ? request({ body: text }) : gzPost(gzip(text)));
          await conn.until(() => conn.parsed().responses.length > i, `answer ${i} on connection ${c}`);
          assert.equal(conn.parsed().responses[i]!.status, 202);
        }
        assert.equal(conn.closed, false, 'the same connection carried all 50 posts');
      }),
    );
    const stored = readFileSync(eventsFile, 'utf8').slice(before).split('\n');
    assert.equal(stored.pop(), '');
    assert.equal(stored.length, 3000);
    expectedLog.push(...stored.map((r) => Buffer.from(r))); // in the order the posts were committed
    assert.deepEqual(stored.sort(), expected.sort());

    // The client closes; the server must close its side too and hold nothing.
    for (const conn of conns) conn.socket.end();
    await Promise.all(conns.map((conn) => conn.until(() => conn.closed, 'the server to close its side')));
    await eventually('the listener to hold no connection', () => (listenerConnections(proc.child.pid!).length === 0 ? true : undefined));
  });

  test('the listener is idle: < 100 ms of CPU over a 1 s window', async () => {
    // A measurement window, not a synchronisation; a busy loop would burn ~1000 ms in it. A second
    // window forgives one unlucky GC or JIT burst.
    const pid = proc.child.pid!;
    let used = Infinity;
    for (let attempt = 0; attempt < 2 && used >= 100; attempt++) {
      const start = cpuMs(pid);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      used = cpuMs(pid) - start;
    }
    assert.ok(used < 100, `${used} ms of CPU in 1 s while idle`);
    assert.deepEqual(listenerConnections(pid), []);
  });

  test('SIGINT: exit 0, Konnect left clean, the store unchanged by the shutdown', async () => {
    const id = emulator.inspect().regions.us!.webhook.audit_log_destination_id;
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    assert.ok(proc.stdout.endsWith(`Listener stopped. Deleted audit-log destination: ${id}\n`), proc.stdout);
    assert.equal(proc.stderr, '', 'no warnings or traces from all the bad input');
    assert.deepEqual(emulator.inspect().destinations, []);
    const webhook = await call<{ endpoint: string; enabled: boolean }>(emulator.baseUrl, 'GET', '/v2/audit-log-webhook', { token: emulator.token });
    assert.equal(webhook.body.endpoint, 'unconfigured');
    assert.equal(webhook.body.enabled, false);
    assertStoredSince(0, expectedLog);
  });
});
