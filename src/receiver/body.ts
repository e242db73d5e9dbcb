/**
 * Reading and decoding webhook bodies within a byte limit: the raw body is counted while it
 * arrives, and gzip is decoded as a stream that stops as soon as the output passes the limit, so
 * neither a huge upload nor a gzip bomb costs more than `maxBytes` of memory.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

const GZIP_TOKENS = new Set(['gzip', 'x-gzip', 'application/gzip']);
const MAX_CHUNK_BYTES = 1024 * 1024;
const MIN_CHUNK_BYTES = 64; // zlib refuses smaller chunks

/** The raw request body is larger than the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  /** `receivedBytes`: bytes read before giving up (0 when Content-Length alone was too large). */
  constructor(
    readonly maxBytes: number,
    readonly receivedBytes = 0,
  ) {
    super(`request body larger than ${maxBytes} bytes`);
  }
}

/** The decoded (gunzipped) body is larger than the limit. */
export class DecodedTooLargeError extends Error {
  override readonly name = 'DecodedTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`decoded request body larger than ${maxBytes} bytes`);
  }
}

/** The body is not valid gzip (corrupt, truncated or empty). */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** The request body could not be read (the client aborted or the connection failed). */
export class BodyReadError extends Error {
  override readonly name = 'BodyReadError';
}

/**
 * Whether a body is gzip: by a `gzip`, `x-gzip` or `application/gzip` token in Content-Encoding,
 * or by the gzip magic bytes.
 *
 * @example wantsGunzip('identity, GZIP', body) // true
 */
export function wantsGunzip(contentEncoding: string | undefined, body: Buffer): boolean {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) return true;
  if (contentEncoding === undefined) return false;
  return contentEncoding.split(',').some((token) => GZIP_TOKENS.has(token.trim().toLowerCase()));
}

/**
 * Gunzips `body` (every member of a multi-member stream), rejecting with `DecodedTooLargeError` as
 * soon as the output passes `maxBytes` and with `DecodeError` when the input is not complete gzip
 * (truncated, corrupt, or followed by bytes that are not another member, as Go's gzip.Reader refuses).
 *
 * @example const text = await gunzipLimited(gzipped, 1 << 20);
 */
export function gunzipLimited(body: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Output chunks of up to 1 MiB (zlib's default is 16 KiB): a full batch decodes in one or two
    // trips to the thread pool instead of sixty-four, and needs no final copy.
    const gunzip = createGunzip({ chunkSize: Math.max(MIN_CHUNK_BYTES, Math.min(maxBytes + 1, MAX_CHUNK_BYTES)) });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      reject(error);
    };
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new DecodedTooLargeError(maxBytes));
      else chunks.push(chunk);
    });
    // zlib reports truncated input ("unexpected end of file") as an error, never a partial result.
    gunzip.on('error', (error) => fail(new DecodeError(`invalid gzip body: ${error.message}`, { cause: error })));
    gunzip.on('end', () => {
      if (settled) return;
      // zlib silently stops at NUL bytes after a member (tar padding), dropping everything after them;
      // Go's gzip.Reader (kongctl) refuses any bytes that are not another complete member.
      if (gunzip.bytesWritten !== body.length) {
        fail(new DecodeError(`invalid gzip body: ${body.length - gunzip.bytesWritten} bytes after the last gzip member`));
        return;
      }
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    gunzip.end(body);
  });
}

/**
 * Reads a request body of at most `maxBytes`: rejects with `BodyTooLargeError` up front when
 * Content-Length says more, or as soon as more arrives (leaving the rest unread), and with
 * `BodyReadError` when the client aborts.
 *
 * @example const raw = await readBodyLimited(req, 1 << 20);
 */
export function readBodyLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      reject(new BodyTooLargeError(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      req.pause(); // the caller answers 413 and discards the rest without buffering it
      chunks.length = 0;
      reject(new BodyTooLargeError(maxBytes, size));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new BodyReadError(`failed to read request body: ${error.message}`, { cause: error }));
    };
    // 'close' before 'end' means the connection went away mid-body.
    const onClose = () => onError(new Error('connection closed before the body was complete'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
