/**
 * The Konnect half of `status`: the webhook's configuration, its delivery status and the replay
 * job of a region (or of a Dev Portal), fetched in parallel. Each call that fails is reported in
 * its own section instead of failing the others.
 */
import { KonnectApiError, KonnectConnectionError, type KonnectClient } from '../konnect/client.js';
import type { AuditLogReplayJob, AuditLogWebhookStatus, ReplayJobStatus, WebhookStatusValue } from '../konnect/types.js';
import type { LogFormat } from '../records/render.js';

/** A section's value, or why it could not be fetched. */
export type Section<T> = T | { readonly error: string };

/** True when the section could not be fetched. */
export function failed<T extends object>(section: Section<T>): section is { readonly error: string } {
  return 'error' in section;
}

/** The webhook's configuration as shown (never its authorization, which Konnect does not return). */
export interface WebhookConfig {
  /** The URL Konnect posts to; `unconfigured` when none (a portal webhook: its destination's endpoint). */
  readonly endpoint: string;
  readonly enabled: boolean;
  readonly log_format: LogFormat | null;
  readonly skip_ssl_verification: boolean | null;
  /** The destination the webhook is bound to, if any. */
  readonly destination_id: string | null;
  /** A portal webhook's destination name. */
  readonly destination_name?: string;
  readonly updated_at: string | null;
}

/** The webhook's delivery status (reference §10). */
export interface DeliveryStatus {
  readonly webhook_status: WebhookStatusValue;
  readonly webhook_enabled: boolean;
  readonly last_attempt_at: string | null;
  readonly last_response_code: number | null;
  readonly last_response_message: string | null;
}

/** The scope's replay job; `none` when there has never been one. */
export interface ReplayJobView {
  readonly status: ReplayJobStatus | 'none';
  readonly start_at: string | null;
  readonly end_at: string | null;
  readonly updated_at: string | null;
}

/** Everything `status` shows of Konnect. */
export interface KonnectSnapshot {
  readonly base_url: string;
  /** Set when the snapshot is of a Dev Portal's webhook. */
  readonly portal_id?: string;
  readonly webhook: Section<WebhookConfig>;
  readonly status: Section<DeliveryStatus>;
  readonly replay_job: Section<ReplayJobView>;
}

/** Konnect's zero time (`0001-01-01T00:00:00Z`) and other pre-epoch times mean "never". */
export function setTime(value: string | undefined | null): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || ms <= 0 ? null : value;
}

export function statusView(s: AuditLogWebhookStatus): DeliveryStatus {
  return {
    webhook_status: s.webhook_status,
    webhook_enabled: s.webhook_enabled,
    last_attempt_at: setTime(s.last_attempt_at),
    last_response_code: s.last_response_code ?? null,
    last_response_message: s.last_response_message ?? null,
  };
}

export function replayView(job: AuditLogReplayJob): ReplayJobView {
  const start = setTime(job.start_at);
  const none = job.status === 'unconfigured' && start === null;
  return { status: none ? 'none' : job.status, start_at: start, end_at: setTime(job.end_at), updated_at: setTime(job.updated_at) };
}

/** A failed call as one line: a 401/403/404 explained, anything else as the client says it. */
export function describeFailure(error: unknown, portalId?: string): string {
  if (error instanceof KonnectApiError) {
    if (error.status === 401) return 'Konnect refused the token (401): check --pat, KONNECT_TOKEN or the profile';
    if (error.status === 403) return 'the token may not read audit-log settings (403): it needs the organization admin role';
    if (error.status === 404 && portalId !== undefined) return `no Dev Portal with id ${portalId} in this region (404)`;
  }
  if (error instanceof KonnectConnectionError) {
    // The same for every call, so the screen can say it once: no method or path.
    const reason = error.message.replace(/^\S+ \S+ failed(?: after \d+ attempts)?: /, '');
    return `Konnect is unreachable at ${new URL(error.url).origin}: ${reason}`;
  }
  return (error as Error).message ?? String(error);
}

async function section<T>(call: () => Promise<T>, portalId?: string): Promise<Section<T>> {
  try {
    return await call();
  } catch (error) {
    return { error: describeFailure(error, portalId) };
  }
}

async function regionWebhook(client: KonnectClient): Promise<WebhookConfig> {
  const w = await client.getWebhook();
  return {
    endpoint: w.endpoint,
    enabled: w.enabled,
    log_format: w.log_format,
    skip_ssl_verification: w.skip_ssl_verification,
    destination_id: w.audit_log_destination_id || null,
    updated_at: setTime(w.updated_at),
  };
}

/** A portal webhook names a destination: its endpoint and format come from the destination (global host). */
async function portalWebhook(client: KonnectClient, portalId: string): Promise<WebhookConfig> {
  const w = await client.getPortalWebhook(portalId);
  if (!w.audit_log_destination_id) {
    return { endpoint: 'unconfigured', enabled: w.enabled, log_format: null, skip_ssl_verification: null, destination_id: null, updated_at: null };
  }
  const d = await client.getDestination(w.audit_log_destination_id).catch((error: unknown) => {
    throw new Error(`bound to destination ${w.audit_log_destination_id}, which could not be read: ${describeFailure(error)}`);
  });
  return {
    endpoint: d.endpoint,
    enabled: w.enabled,
    log_format: d.log_format,
    skip_ssl_verification: d.skip_ssl_verification,
    destination_id: d.id,
    destination_name: d.name,
    updated_at: setTime(d.updated_at),
  };
}

/**
 * Fetches the webhook, its status and the replay job of the region (or of `portalId`) in parallel.
 * @example const konnect = await gatherKonnect(client, baseUrl); if (failed(konnect.status)) console.log(konnect.status.error);
 */
export async function gatherKonnect(client: KonnectClient, baseUrl: string, portalId?: string): Promise<KonnectSnapshot> {
  const [webhook, status, replay] = await Promise.all([
    section(() => (portalId ? portalWebhook(client, portalId) : regionWebhook(client)), portalId),
    section(async () => statusView(await (portalId ? client.getPortalWebhookStatus(portalId) : client.getWebhookStatus())), portalId),
    section(async () => replayView(await (portalId ? client.getPortalReplayJob(portalId) : client.getReplayJob())), portalId),
  ]);
  return { base_url: baseUrl, ...(portalId ? { portal_id: portalId } : {}), webhook, status, replay_job: replay };
}

/** True when no Konnect call succeeded (Konnect unreachable, the token refused, an unknown portal). */
export function konnectUnreachable(k: KonnectSnapshot): boolean {
  return failed(k.webhook) && failed(k.status) && failed(k.replay_job);
}
