/**
 * Where a replay job will send its records: Konnect sends them to the webhook configured at the
 * time the job runs (reference §9), so the webhook must be configured and enabled before a job is
 * requested. Reads the region's (or a Dev Portal's) webhook and its status, and refuses with a
 * message that says what to do when nothing would receive the records.
 */
import { KonnectApiError, type KonnectClient } from '../konnect/client.js';
import type { ReplayScope } from '../konnect/replayJob.js';
import type { AuditLogWebhookStatus } from '../konnect/types.js';

/** The calls this module makes (a KonnectClient has them). */
export type TargetClient = Pick<KonnectClient, 'getWebhook' | 'getWebhookStatus' | 'getPortalWebhook' | 'getPortalWebhookStatus' | 'getDestination'>;

/** The webhook a replay job will deliver to. */
export interface ReplayTarget {
  /** The URL Konnect posts to (undefined when a portal's destination cannot be read). */
  readonly endpoint?: string;
  /** The destination the webhook is bound to (Dev Portals always; regions when bound the v3 way). */
  readonly destinationId?: string;
  /** The webhook's delivery status, when it could be read. */
  readonly status?: AuditLogWebhookStatus;
}

/** Nothing would receive the replayed records: the webhook is unconfigured or disabled. */
export class ReplayTargetError extends Error {
  override readonly name = 'ReplayTargetError';
}

const START_LISTENER = 'start a listener (konnect-audit listen --endpoint URL --authorization VALUE, or listen --detach)';

/**
 * The scope's webhook, checked: throws ReplayTargetError when it is unconfigured or disabled, or
 * (Dev Portals) when the portal does not exist.
 * @example const target = await replayTarget(client, { portalId });
 */
export async function replayTarget(client: TargetClient, scope: ReplayScope): Promise<ReplayTarget> {
  return scope.portalId ? portalTarget(client, scope.portalId) : regionTarget(client);
}

async function regionTarget(client: TargetClient): Promise<ReplayTarget> {
  const webhook = await client.getWebhook();
  if (webhook.endpoint.toLowerCase() === 'unconfigured') {
    throw new ReplayTargetError(
      `the region's audit-log webhook is not configured, so a replay job would have nowhere to send the records (Konnect sends them to the webhook configured when the job runs): ${START_LISTENER}, or configure your SIEM's endpoint (konnect-audit webhook set --endpoint URL --authorization VALUE), then run replay again`,
    );
  }
  if (!webhook.enabled) {
    throw new ReplayTargetError(
      `the region's audit-log webhook (${webhook.endpoint}) is disabled, so a replay job would send nothing: enable it (konnect-audit webhook set --enabled) or ${START_LISTENER}, then run replay again`,
    );
  }
  const status = await client.getWebhookStatus().catch(() => undefined);
  return { endpoint: webhook.endpoint, ...(webhook.audit_log_destination_id ? { destinationId: webhook.audit_log_destination_id } : {}), ...(status ? { status } : {}) };
}

async function portalTarget(client: TargetClient, portalId: string): Promise<ReplayTarget> {
  let webhook;
  try {
    webhook = await client.getPortalWebhook(portalId);
  } catch (error) {
    if (error instanceof KonnectApiError && error.status === 404) {
      throw new ReplayTargetError(`no Dev Portal ${portalId} in this region (${error.message}): check --portal-id and --region / --base-url`);
    }
    throw error;
  }
  if (!webhook.audit_log_destination_id) {
    throw new ReplayTargetError(
      `the audit-log webhook of Dev Portal ${portalId} is not bound to a destination, so a replay job would have nowhere to send the records: bind it to one (PATCH /v3/portals/${portalId}/audit-log-webhook {"audit_log_destination_id": ..., "enabled": true}; konnect-audit destinations list shows them), then run replay again`,
    );
  }
  if (!webhook.enabled) {
    throw new ReplayTargetError(
      `the audit-log webhook of Dev Portal ${portalId} (destination ${webhook.audit_log_destination_id}) is disabled, so a replay job would send nothing: enable it (PATCH /v3/portals/${portalId}/audit-log-webhook {"enabled": true}), then run replay again`,
    );
  }
  const [destination, status] = await Promise.all([client.getDestination(webhook.audit_log_destination_id).catch(() => undefined), client.getPortalWebhookStatus(portalId).catch(() => undefined)]);
  return { destinationId: webhook.audit_log_destination_id, ...(destination ? { endpoint: destination.endpoint } : {}), ...(status ? { status } : {}) };
}

/**
 * A warning when the webhook's last delivery failed (the job will likely fail too), else undefined.
 * @example statusWarning({ webhook_status: 'inactive', webhook_enabled: true, last_response_code: 401, last_response_message: 'Unauthorized' })
 */
export function statusWarning(status: AuditLogWebhookStatus | undefined): string | undefined {
  if (status?.webhook_status !== 'inactive') return undefined;
  const last = [status.last_response_code, status.last_response_message].filter((x) => x !== undefined && x !== '').join(' ');
  return `the webhook's last delivery failed${last ? ` (${last})` : ''}${status.last_attempt_at ? ` at ${status.last_attempt_at}` : ''}: the replay may fail too unless the endpoint is reachable and accepts the authorization (konnect-audit webhook status)`;
}
