/**
 * Webhook configuration: v2 inline (`/v2/audit-log-webhook`), v3 destination-bound
 * (`/v3/audit-log-webhook`), Dev Portal (`/portals/{id}/audit-log-webhook`), their `/status`,
 * and the public JWKS (reference §2.1-§2.4, §3.1-§3.2, §4, §10).
 */
import type { AuditLogWebhookStatus, AuditLogWebhookV2, AuditLogWebhookV3 } from '../../konnect/types.js';
import { ZERO_TIME } from '../../konnect/types.js';
import { apiTime } from '../clock.js';
import type { RequestContext } from '../http/router.js';
import { ProblemError, invalid, json, noContent, notFound, type ApiResponse } from '../http/response.js';
import { freshStatus, unconfiguredWebhook, type DeliveryScope } from '../state.js';
import { blank, isUuid, optionalBoolean, optionalEndpoint, optionalLogFormat, optionalNonBlank, parseObject } from './validate.js';

/** The v2 view: inline config, or the bound destination's config plus its id; `unconfigured` before any PATCH. */
export function webhookV2View(ctx: RequestContext, scope: DeliveryScope): AuditLogWebhookV2 {
  const w = scope.webhook;
  const updated_at = w.updatedAt !== undefined ? apiTime(w.updatedAt) : ZERO_TIME;
  if (w.destinationId) {
    const d = ctx.core.state.destinations.get(w.destinationId);
    return {
      endpoint: d?.endpoint ?? '',
      enabled: w.enabled,
      log_format: d?.log_format ?? 'cef',
      skip_ssl_verification: d?.skip_ssl_verification ?? false,
      audit_log_destination_id: w.destinationId,
      updated_at,
    };
  }
  if (w.configured && w.inline) {
    const i = w.inline;
    return { endpoint: i.endpoint, enabled: w.enabled, log_format: i.log_format, skip_ssl_verification: i.skip_ssl_verification, updated_at };
  }
  return { endpoint: 'unconfigured', enabled: w.enabled, log_format: 'cef', skip_ssl_verification: false, updated_at };
}

export function getWebhookV2(ctx: RequestContext, scope: DeliveryScope): ApiResponse {
  return json(200, webhookV2View(ctx, scope));
}

/** `PATCH /v2/audit-log-webhook`: absent fields stay unchanged; blanks and bad URLs are the documented 400s. */
export async function patchWebhookV2(ctx: RequestContext, scope: DeliveryScope): Promise<ApiResponse> {
  const body = parseObject(await ctx.body());
  const endpoint = optionalEndpoint(body);
  const authorization = optionalNonBlank(body, 'authorization');
  const enabled = optionalBoolean(body, 'enabled');
  const logFormat = optionalLogFormat(body);
  const skip = optionalBoolean(body, 'skip_ssl_verification');
  const w = scope.webhook;
  const changesInline = endpoint !== undefined || authorization !== undefined || logFormat !== undefined || skip !== undefined;
  // Work out the whole next state first, so a rejected PATCH (400) leaves the webhook untouched.
  let nextDestinationId = w.destinationId;
  let nextInline = w.inline;
  if (changesInline && w.destinationId) {
    // Inline fields on a destination-bound webhook turn it into an inline one, starting from the destination's values.
    const d = ctx.core.state.destinations.get(w.destinationId);
    nextInline = d ? { endpoint: d.endpoint, authorization: d.authorization, log_format: d.log_format, skip_ssl_verification: d.skip_ssl_verification } : undefined;
    nextDestinationId = '';
  }
  if (changesInline) {
    const base = nextInline ?? { endpoint: '', log_format: 'cef' as const, skip_ssl_verification: false };
    nextInline = {
      endpoint: endpoint ?? base.endpoint,
      log_format: logFormat ?? base.log_format,
      skip_ssl_verification: skip ?? base.skip_ssl_verification,
      ...((authorization ?? base.authorization) !== undefined ? { authorization: authorization ?? base.authorization } : {}),
    };
  }
  const nextEnabled = enabled ?? w.enabled;
  if (nextEnabled && !nextDestinationId && !nextInline?.endpoint) throw blank('endpoint');
  w.destinationId = nextDestinationId;
  w.inline = nextInline;
  w.enabled = nextEnabled;
  w.configured = w.configured || changesInline || enabled !== undefined;
  w.updatedAt = ctx.core.now();
  if (enabled !== undefined || changesInline) scope.status.inactive = false;
  return json(200, webhookV2View(ctx, scope));
}

/** The v3/portal view: `{audit_log_destination_id, enabled}` (`""` when none). */
export function webhookV3View(scope: DeliveryScope): AuditLogWebhookV3 {
  return { audit_log_destination_id: scope.webhook.destinationId, enabled: scope.webhook.enabled };
}

export function getWebhookV3(_ctx: RequestContext, scope: DeliveryScope): ApiResponse {
  return json(200, webhookV3View(scope));
}

/** `PATCH /v3/audit-log-webhook` and the portal webhook: bind a destination and/or enable. */
export async function patchWebhookV3(ctx: RequestContext, scope: DeliveryScope): Promise<ApiResponse> {
  const body = parseObject(await ctx.body());
  const rawId = body.audit_log_destination_id;
  let destinationId: string | undefined;
  if (rawId !== undefined) {
    if (typeof rawId !== 'string' || !isUuid(rawId)) {
      throw invalid('Could not parse destination id', { field: 'audit_log_destination_id', reason: 'destination id format is invalid' });
    }
    if (!ctx.core.state.destinations.has(rawId)) throw notFound('Audit log destination not found');
    destinationId = rawId;
  }
  const enabled = optionalBoolean(body, 'enabled');
  const w = scope.webhook;
  const nextDestination = destinationId ?? w.destinationId;
  const nextEnabled = enabled ?? w.enabled;
  if (nextEnabled && !nextDestination && !(scope.portalId === undefined && w.inline?.endpoint)) {
    throw invalid('Required field missing', { field: 'audit_log_destination_id', reason: 'cannot be blank' });
  }
  if (destinationId !== undefined) {
    w.destinationId = destinationId;
    w.inline = undefined;
  }
  w.enabled = nextEnabled;
  w.configured = true;
  w.updatedAt = ctx.core.now();
  scope.status.inactive = false;
  return json(200, webhookV3View(scope));
}

/** `DELETE .../audit-log-webhook`: back to the unconfigured state (409 while a replay job runs). */
export function deleteWebhook(ctx: RequestContext, scope: DeliveryScope): ApiResponse {
  if (ctx.core.replays.isActive(scope)) throw new ProblemError(409, 'A replay job is currently running', undefined, 'Resource Conflict');
  scope.webhook = unconfiguredWebhook();
  scope.status = freshStatus();
  return noContent();
}

/** `GET .../audit-log-webhook/status` (reference §10). */
export function statusView(scope: DeliveryScope): AuditLogWebhookStatus {
  if (!scope.webhook.configured) return { webhook_status: 'unconfigured', webhook_enabled: false };
  const s = scope.status;
  return {
    webhook_status: s.inactive ? 'inactive' : 'active',
    webhook_enabled: scope.webhook.enabled,
    ...(s.lastAttemptAt !== undefined ? { last_attempt_at: apiTime(s.lastAttemptAt) } : {}),
    ...(s.lastResponseCode !== undefined ? { last_response_code: s.lastResponseCode } : {}),
    ...(s.lastResponseMessage !== undefined ? { last_response_message: s.lastResponseMessage } : {}),
  };
}

export function getStatus(_ctx: RequestContext, scope: DeliveryScope): ApiResponse {
  return json(200, statusView(scope));
}

/** `GET /v2/audit-log-webhook/jwks.json` (public). */
export function getJwks(ctx: RequestContext): ApiResponse {
  return json(200, ctx.core.keys.jwks());
}
