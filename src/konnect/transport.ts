/**
 * One HTTP(S) exchange for the Konnect client, on node:http/https rather than fetch: fetch loads
 * undici (about 13 MB of memory in every listener) and hides socket errors behind "fetch failed".
 * Keep-alive sockets come from Node's global agents, which unref idle sockets, so a finished
 * command never waits for them.
 */
import http from 'node:http';
import https from 'node:https';

/** Konnect's answers are small JSON documents; anything beyond this is refused, not buffered. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpExchange {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborts the exchange; the promise then rejects with the signal's reason (e.g. a TimeoutError). */
  readonly signal?: AbortSignal;
  readonly maxResponseBytes?: number;
}

export interface HttpAnswer {
  readonly status: number;
  /** Lower-case header names; repeated headers joined as Node joins them. */
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** The response body was larger than the exchange allows. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
}

/**
 * Sends one request and reads the whole answer as UTF-8 text; rejects with the socket error
 * (ECONNREFUSED, ECONNRESET...), the signal's reason, or ResponseTooLargeError.
 *
 * @example const answer = await exchange('https://us.api.konghq.com/v2/audit-log-webhook', { method: 'GET', headers });
 */
export function exchange(url: string, options: HttpExchange): Promise<HttpAnswer> {
  const target = new URL(url);
  const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
  const headers: Record<string, string | number> = { ...options.headers };
  if (body !== undefined) headers['Content-Length'] = body.length;
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const { signal } = options;
    const fail = (error: unknown) => {
      const reason: unknown = signal?.aborted ? signal.reason : error;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    if (signal?.aborted) {
      fail(signal.reason);
      return;
    }
    const req = send(target, { method: options.method, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          reject(new ResponseTooLargeError(`response body larger than ${limit} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks, size).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}
