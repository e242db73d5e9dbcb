/**
 * Sends one gzip batch to a webhook endpoint as Konnect does (reference §7.1): POST, the
 * configured `Authorization` verbatim, `Content-Type: text/plain`, `Content-Encoding: gzip`,
 * certificate checks unless `skip_ssl_verification`.
 */
import http from 'node:http';
import https from 'node:https';
import type { DeliveryTarget } from '../state.js';
import { errorResult, parseRetryAfter, responseResult, type AttemptResult } from './retry.js';

/** Keeps connections to receivers alive across batches. */
export class Sender {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly insecureAgent = new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });

  constructor(
    private readonly options: {
      readonly attemptTimeoutMs: number;
      readonly contentEncoding: string;
      readonly userAgent: string;
      readonly now: () => number;
    },
  ) {}

  /** POSTs `body` (already gzip-compressed) and reports the outcome; never throws. */
  send(target: DeliveryTarget, body: Buffer): Promise<AttemptResult> {
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(target.endpoint);
      } catch (error) {
        resolve(errorResult(Object.assign(error as Error, { code: 'ERR_INVALID_URL' })));
        return;
      }
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') {
        resolve(errorResult(Object.assign(new Error(`unsupported protocol ${url.protocol}`), { code: 'ERR_INVALID_PROTOCOL' })));
        return;
      }
      const headers: Record<string, string | number> = {
        'Content-Type': 'text/plain',
        'Content-Encoding': this.options.contentEncoding,
        'Content-Length': body.length,
        'User-Agent': this.options.userAgent,
      };
      if (target.authorization !== undefined) headers.Authorization = target.authorization;
      const agent = secure ? (target.skipSslVerification ? this.insecureAgent : this.httpsAgent) : this.httpAgent;
      const request = (secure ? https : http).request(url, { method: 'POST', headers, agent, timeout: this.options.attemptTimeoutMs });
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      request.on('response', (response) => {
        const retryAfter = parseRetryAfter(header(response.headers['retry-after']), this.options.now());
        // Drain (and discard) the receiver's answer so the connection can be reused.
        response.resume();
        response.on('end', () => finish(responseResult(response.statusCode ?? 0, retryAfter)));
        response.on('error', (error) => finish(errorResult(error)));
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      request.on('error', (error) => finish(errorResult(error)));
      request.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.insecureAgent.destroy();
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
