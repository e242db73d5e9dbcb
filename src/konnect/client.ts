/**
 * A typed client for Konnect's audit-log API (and the few ordinary endpoints the tutorials use).
 * Regional calls go to `baseUrl`, destinations to `globalBaseUrl`; errors carry Konnect's
 * problem+json so callers can show `detail` and `invalid_parameters`.
 *
 * @example
 * const konnect = new KonnectClient({ baseUrl: 'https://eu.api.konghq.com', globalBaseUrl: GLOBAL_BASE_URL, token });
 * const status = await konnect.getWebhookStatus();
 */
import { VERSION } from '../version.js';
import { describeProblem, isProblem, type Problem } from './problem.js';
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
  /** Per-request timeout (default 60 s, as kongctl). */
  readonly timeoutMs?: number;
}

/** A non-2xx answer from Konnect. */
export class KonnectApiError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly bodyText: string,
  ) {
    const what = problem ? describeProblem(problem) : bodyText.trim().slice(0, 200) || `HTTP ${status}`;
    super(`${method} ${new URL(url).pathname} failed with ${status}: ${what}`);
    this.name = 'KonnectApiError';
  }
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

export class KonnectClient {
  private readonly baseUrl: string;
  private readonly globalBaseUrl: string;

  constructor(private readonly options: KonnectClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.globalBaseUrl = (options.globalBaseUrl ?? options.baseUrl).replace(/\/+$/, '');
  }

  /** Sends one request; resolves with the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, init: { readonly body?: unknown; readonly global?: boolean; readonly auth?: boolean } = {}): Promise<T> {
    const url = `${init.global ? this.globalBaseUrl : this.baseUrl}${path}`;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.options.userAgent ?? `konnect-audit/${VERSION}`,
    };
    if (init.auth !== false) headers.Authorization = `Bearer ${this.options.token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(url, {
      method,
      headers,
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw new KonnectApiError(method, url, response.status, isProblem(parsed) ? parsed : undefined, text);
    }
    return (text ? JSON.parse(text) : undefined) as T;
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

  getReplayJob(): Promise<AuditLogReplayJob> {
    return this.request('GET', '/v2/audit-log-replay-job');
  }

  putReplayJob(range: { readonly start_at: string; readonly end_at: string }): Promise<AuditLogReplayJob> {
    return this.request('PUT', '/v2/audit-log-replay-job', { body: range });
  }

  /** Every destination (all pages), optionally filtered by exact name. */
  async listDestinations(filter: { readonly name?: string } = {}): Promise<AuditLogDestination[]> {
    const out: AuditLogDestination[] = [];
    const query = new URLSearchParams({ 'page[size]': '100' });
    if (filter.name !== undefined) query.set('filter[name][eq]', filter.name);
    let path: string | null = `/v3/audit-log-destinations?${query.toString()}`;
    while (path) {
      const page: AuditLogDestinationList = await this.request('GET', path, { global: true });
      out.push(...page.data);
      path = page.meta?.next ?? null;
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
  pullAuditLogs(query: PullQuery = {}): Promise<PullAuditLogPage> {
    const params = new URLSearchParams();
    if (query.gte) params.set('filter[ts][gte]', query.gte);
    if (query.lte) params.set('filter[ts][lte]', query.lte);
    if (query.type) params.set('filter[type]', query.type);
    if (query.pageSize) params.set('page[size]', String(query.pageSize));
    if (query.after) params.set('page[after]', query.after);
    if (query.before) params.set('page[before]', query.before);
    const qs = params.toString();
    return this.request('GET', `/v3/audit-logs${qs ? `?${qs}` : ''}`);
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

  listControlPlanes(): Promise<{ data: ControlPlane[]; meta: { page: { number: number; size: number; total: number } } }> {
    return this.request('GET', '/v2/control-planes');
  }

  createControlPlane(body: { readonly name: string; readonly description?: string }): Promise<ControlPlane> {
    return this.request('POST', '/v2/control-planes', { body });
  }
}
