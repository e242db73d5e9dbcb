/**
 * A typed client for Konnect's audit-log API (and the few ordinary endpoints the tutorials use).
 * Regional calls go to `baseUrl`, destinations to `globalBaseUrl`; errors carry Konnect's
 * problem+json so callers can show `detail` and `invalid_parameters`.
 *
 * @example
 * const konnect = new KonnectClient({ baseUrl: 'https://eu.api.konghq.com', globalBaseUrl: GLOBAL_BASE_URL, token });
 * const status = await konnect.getWebhookStatus();
 */
import { setTimeout as delay } from 'node:timers/promises';
import { VERSION } from '../version.js';
import { exchange } from './transport.js';
import { describeProblem, isProblem, type Problem } from './problem.js';
import { DEFAULT_RETRY_POLICY, IDEMPOTENT_METHODS, isRetryableStatus, retryDelayMs, type RetryPolicy } from './retry.js';
import type {
  AuditLogDestination,
  AuditLogDestinationList,
  AuditLogReplayJob,
  AuditLogWebhookStatus,
  AuditLogWebhookV2,
  AuditLogWebhookV3,
  ControlPlane,
  CreateAuditLogDestination,
  PullAuditLogPage,
  PullLogType,
  UpdateAuditLogDestination,
  UpdateAuditLogWebhookV2,
  UpdateAuditLogWebhookV3,
} from './types.js';
import type { Jwks } from '../records/signing.js';

export interface KonnectClientOptions {
  /** Regional API base URL, e.g. `https://us.api.konghq.com` or an emulator URL. */
  readonly baseUrl: string;
  /** Host for org-wide destinations (default: `baseUrl`). */
  readonly globalBaseUrl?: string;
  /** Personal or system-account access token. */
  readonly token: string;
  readonly userAgent?: string;
  /** Per-attempt timeout (default: env KONNECT_AUDIT_KONNECT_TIMEOUT_MS, else 60 s as kongctl). */
  readonly timeoutMs?: number;
  /** Most automatic retries of an idempotent request (default 4). */
  readonly retries?: number;
  /** Back-off before the first retry, doubling after (default 250 ms). */
  readonly retryBaseDelayMs?: number;
  /** Longest back-off (default 5 s); a `Retry-After` may ask for up to four times this. */
  readonly retryMaxDelayMs?: number;
  /** Waits between retries (tests inject one that records instead of waiting). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Per-request options of `KonnectClient.request()`. */
export interface RequestOptions {
  /** JSON body. */
  readonly body?: unknown;
  /** Send to the global host (destinations) instead of the regional one. */
  readonly global?: boolean;
  /** Send the bearer token (default true). */
  readonly auth?: boolean;
  /** Retry transient failures; default: only for idempotent methods (never POST, which may create twice). */
  readonly retry?: boolean;
  /** Aborts the request and any wait before a retry. */
  readonly signal?: AbortSignal;
}

/** A non-2xx answer from Konnect. */
export class KonnectApiError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly bodyText: string,
    /** The answer's `Retry-After` header, if any. */
    readonly retryAfter?: string,
  ) {
    const what = problem ? describeProblem(problem) : bodyText.trim().slice(0, 200) || `HTTP ${status}`;
    super(`${method} ${new URL(url).pathname} failed with ${status}: ${what}`);
    this.name = 'KonnectApiError';
  }
}

/** A request that got no HTTP answer (connection refused or reset, timeout), after every retry. */
export class KonnectConnectionError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly attempts: number,
    cause: unknown,
    /** Says what happened when the cause alone does not (a timeout, an abort). */
    reason: string = describeCause(cause),
  ) {
    const where = new URL(url);
    const tries = attempts === 1 ? '' : ` after ${attempts} attempts`;
    super(`${method} ${where.origin}${where.pathname} failed${tries}: ${reason}`, { cause });
    this.name = 'KonnectConnectionError';
  }
}

/** Overrides the default per-attempt timeout (ms), so tests can time out without waiting a minute. */
export const TIMEOUT_ENV = 'KONNECT_AUDIT_KONNECT_TIMEOUT_MS';
const DEFAULT_TIMEOUT_MS = 60_000;

/** The default per-attempt timeout: a positive integer from TIMEOUT_ENV, else 60 s. */
export function defaultTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[TIMEOUT_ENV]?.trim();
  return value && /^[1-9]\d*$/.test(value) ? Number(value) : DEFAULT_TIMEOUT_MS;
}

/** True for failures a retry may fix: no answer at all, 429, or 5xx except 501. */
export function isTransientError(error: unknown): boolean {
  if (error instanceof KonnectConnectionError) return true;
  return error instanceof KonnectApiError && isRetryableStatus(error.status);
}

/** The error's message and those of its causes (a socket error, a timeout). */
function describeCause(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e !== undefined && messages.length < 5; e = e instanceof Error ? e.cause : undefined) {
    const code = (e as { code?: unknown } | undefined)?.code;
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    // "socket hang up" says little on its own; its code (ECONNRESET) says what happened.
    messages.push(typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message);
  }
  return messages.join(': ');
}

/** Options of a pull (`GET /v3/audit-logs`) page request. */
export interface PullQuery {
  readonly gte?: string;
  readonly lte?: string;
  readonly type?: PullLogType;
  readonly pageSize?: number;
  readonly after?: string;
  readonly before?: string;
}

/** Typed calls to Konnect's audit-log API; idempotent requests are retried on transient failures. */
export class KonnectClient {
  private readonly baseUrl: string;
  private readonly globalBaseUrl: string;
  private readonly timeoutMs: number;
  /** Retry settings of this client, for callers that retry whole operations (e.g. a create). */
  readonly retryPolicy: RetryPolicy;

  constructor(private readonly options: KonnectClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.globalBaseUrl = (options.globalBaseUrl ?? options.baseUrl).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs();
    this.retryPolicy = {
      retries: options.retries ?? DEFAULT_RETRY_POLICY.retries,
      baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
    };
  }

  /**
   * Sends one request; resolves with the parsed JSON body (undefined for 204). Idempotent methods
   * are retried on connection errors, 429 and 5xx (except 501) with exponential back-off.
   * @example await konnect.request<AuditLogWebhookV2>('GET', '/v2/audit-log-webhook')
   */
  async request<T>(method: string, path: string, init: RequestOptions = {}): Promise<T> {
    const url = `${init.global ? this.globalBaseUrl : this.baseUrl}${path}`;
    const retries = (init.retry ?? IDEMPOTENT_METHODS.has(method.toUpperCase())) ? this.retryPolicy.retries : 0;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        const answer = await exchange(url, {
          method,
          headers: this.headers(init),
          body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
          signal: this.attemptSignal(init.signal),
        });
        status = answer.status;
        const header: unknown = answer.headers['retry-after'];
        retryAfter = typeof header === 'string' ? header : undefined;
        text = answer.text;
      } catch (error) {
        if (init.signal?.aborted) throw new KonnectConnectionError(method, url, attempt + 1, error, 'aborted');
        if (attempt >= retries) {
          const timedOut = error instanceof Error && error.name === 'TimeoutError';
          throw new KonnectConnectionError(method, url, attempt + 1, error, timedOut ? `no answer within ${this.timeoutMs} ms` : undefined);
        }
        await this.backoff(attempt, undefined, init.signal);
        continue;
      }
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
      if (attempt < retries && isRetryableStatus(status)) {
        await this.backoff(attempt, retryAfter, init.signal);
        continue;
      }
      throw new KonnectApiError(method, url, status, parseProblem(text), text, retryAfter);
    }
  }

  /**
   * Waits before retry number `attempt` (0-based) as this client's own retries do, honouring a
   * `Retry-After`; resolves early, without error, when `signal` aborts.
   */
  async backoff(attempt: number, retryAfter?: string, signal?: AbortSignal): Promise<void> {
    const ms = retryDelayMs(attempt, this.retryPolicy, retryAfter);
    if (this.options.sleep) return this.options.sleep(ms);
    try {
      await delay(ms, undefined, signal ? { signal } : {});
    } catch {
      // aborted: the caller sees signal.aborted and stops
    }
  }

  private headers(init: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.options.userAgent ?? `konnect-audit/${VERSION}`,
    };
    if (init.auth !== false) headers.Authorization = `Bearer ${this.options.token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    return headers;
  }

  private attemptSignal(outer: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, timeout]) : timeout;
  }

  getWebhook(): Promise<AuditLogWebhookV2> {
    return this.request('GET', '/v2/audit-log-webhook');
  }

  updateWebhook(body: UpdateAuditLogWebhookV2): Promise<AuditLogWebhookV2> {
    return this.request('PATCH', '/v2/audit-log-webhook', { body });
  }

  getWebhookV3(): Promise<AuditLogWebhookV3> {
    return this.request('GET', '/v3/audit-log-webhook');
  }

  updateWebhookV3(body: UpdateAuditLogWebhookV3): Promise<AuditLogWebhookV3> {
    return this.request('PATCH', '/v3/audit-log-webhook', { body });
  }

  deleteWebhookV3(): Promise<void> {
    return this.request('DELETE', '/v3/audit-log-webhook');
  }

  getWebhookStatus(): Promise<AuditLogWebhookStatus> {
    return this.request('GET', '/v2/audit-log-webhook/status');
  }

  /** The region's public signing keys (no token sent). */
  getJwks(): Promise<Jwks> {
    return this.request('GET', '/v2/audit-log-webhook/jwks.json', { auth: false });
  }

  getReplayJob(options: { readonly signal?: AbortSignal } = {}): Promise<AuditLogReplayJob> {
    return this.request('GET', '/v2/audit-log-replay-job', options);
  }

  putReplayJob(range: { readonly start_at: string; readonly end_at: string }, options: { readonly signal?: AbortSignal } = {}): Promise<AuditLogReplayJob> {
    return this.request('PUT', '/v2/audit-log-replay-job', { body: range, ...options });
  }

  /** Every destination (all pages), optionally filtered by exact name. */
  async listDestinations(filter: { readonly name?: string } = {}, options: { readonly signal?: AbortSignal } = {}): Promise<AuditLogDestination[]> {
    const out: AuditLogDestination[] = [];
    const query = new URLSearchParams({ 'page[size]': '100' });
    if (filter.name !== undefined) query.set('filter[name][eq]', filter.name);
    for (let pages = 0; pages < 10_000; pages++) {
      const page: AuditLogDestinationList = await this.request('GET', `/v3/audit-log-destinations?${query.toString()}`, { global: true, signal: options.signal });
      out.push(...page.data);
      // Only the cursor is taken from `next`: Konnect documents it as a path that may carry its own prefix
      // (`/api/v2/...`), and some APIs nest it under `meta.page`.
      const meta = page.meta as AuditLogDestinationList['meta'] & { page?: { next?: string | null } };
      const next = meta?.next ?? meta?.page?.next ?? null;
      const after = next ? new URL(next, 'http://konnect.invalid').searchParams.get('page[after]') : null;
      if (!after || page.data.length === 0) return out;
      query.set('page[after]', after);
    }
    return out;
  }

  createDestination(body: CreateAuditLogDestination): Promise<AuditLogDestination> {
    return this.request('POST', '/v3/audit-log-destinations', { body, global: true });
  }

  getDestination(id: string): Promise<AuditLogDestination> {
    return this.request('GET', `/v3/audit-log-destinations/${encodeURIComponent(id)}`, { global: true });
  }

  updateDestination(id: string, body: UpdateAuditLogDestination): Promise<AuditLogDestination> {
    return this.request('PATCH', `/v3/audit-log-destinations/${encodeURIComponent(id)}`, { body, global: true });
  }

  deleteDestination(id: string): Promise<void> {
    return this.request('DELETE', `/v3/audit-log-destinations/${encodeURIComponent(id)}`, { global: true });
  }

  /** One page of the pull API. */
  pullAuditLogs(query: PullQuery = {}, options: { readonly signal?: AbortSignal } = {}): Promise<PullAuditLogPage> {
    const params = new URLSearchParams();
    if (query.gte) params.set('filter[ts][gte]', query.gte);
    if (query.lte) params.set('filter[ts][lte]', query.lte);
    if (query.type) params.set('filter[type]', query.type);
    if (query.pageSize) params.set('page[size]', String(query.pageSize));
    if (query.after) params.set('page[after]', query.after);
    if (query.before) params.set('page[before]', query.before);
    const qs = params.toString();
    return this.request('GET', `/v3/audit-logs${qs ? `?${qs}` : ''}`, options);
  }

  getPortalWebhook(portalId: string): Promise<AuditLogWebhookV3> {
    return this.request('GET', `/v3/portals/${encodeURIComponent(portalId)}/audit-log-webhook`);
  }

  updatePortalWebhook(portalId: string, body: UpdateAuditLogWebhookV3): Promise<AuditLogWebhookV3> {
    return this.request('PATCH', `/v3/portals/${encodeURIComponent(portalId)}/audit-log-webhook`, { body });
  }

  getPortalWebhookStatus(portalId: string): Promise<AuditLogWebhookStatus> {
    return this.request('GET', `/v3/portals/${encodeURIComponent(portalId)}/audit-log-webhook/status`);
  }

  /** Removes a Dev Portal's webhook configuration (destination id emptied, enabled false). */
  deletePortalWebhook(portalId: string): Promise<void> {
    return this.request('DELETE', `/v3/portals/${encodeURIComponent(portalId)}/audit-log-webhook`);
  }

  getPortalReplayJob(portalId: string, options: { readonly signal?: AbortSignal } = {}): Promise<AuditLogReplayJob> {
    return this.request('GET', `/v3/portals/${encodeURIComponent(portalId)}/audit-log-replay-job`, options);
  }

  putPortalReplayJob(portalId: string, range: { readonly start_at: string; readonly end_at: string }, options: { readonly signal?: AbortSignal } = {}): Promise<AuditLogReplayJob> {
    return this.request('PUT', `/v3/portals/${encodeURIComponent(portalId)}/audit-log-replay-job`, { body: range, ...options });
  }

  listControlPlanes(): Promise<{ data: ControlPlane[]; meta: { page: { number: number; size: number; total: number } } }> {
    return this.request('GET', '/v2/control-planes');
  }

  createControlPlane(body: { readonly name: string; readonly description?: string }): Promise<ControlPlane> {
    return this.request('POST', '/v2/control-planes', { body });
  }
}

function parseProblem(text: string): Problem | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isProblem(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
