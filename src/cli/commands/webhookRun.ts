/** Runs `konnect-audit webhook get|status|set|disable`. */
import { KonnectApiError, KonnectClient } from '../../konnect/client.js';
import type { AuditLogDestination, AuditLogWebhookStatus, AuditLogWebhookV2, AuditLogWebhookV3, UpdateAuditLogWebhookV2, UpdateAuditLogWebhookV3 } from '../../konnect/types.js';
import { LOG_FORMATS, type LogFormat } from '../../records/render.js';
import { advice } from '../../status/advice.js';
import { statusView } from '../../status/konnect.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { RuntimeError, UsageError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import { readSecretFile } from '../secretFile.js';
import type { WebhookFlags, WebhookSetFlags } from './webhook.js';

/**
 * What is known of the authorization: Konnect never returns it, so only `set` (which sent one) can
 * say `<set>`; an unconfigured webhook has `<none>`; otherwise it is `<unknown>`, never the value.
 */
type AuthorizationView = '<set>' | '<none>' | '<unknown>';

/** The webhook as printed: Konnect's fields plus what is known of the authorization, never its value. */
interface WebhookView {
  readonly endpoint: string;
  readonly enabled: boolean;
  readonly log_format: LogFormat;
  readonly skip_ssl_verification: boolean;
  readonly authorization: AuthorizationView;
  readonly audit_log_destination_id?: string;
  readonly updated_at: string;
}

async function clientFor(flags: WebhookFlags): Promise<KonnectClient> {
  const connection = await connectionFor(flags);
  return new KonnectClient({ baseUrl: connection.baseUrl, globalBaseUrl: connection.globalBaseUrl, token: connection.token, userAgent: `konnect-audit/${VERSION}` });
}

const unconfigured = (w: AuditLogWebhookV2): boolean => w.endpoint.toLowerCase() === 'unconfigured';

function view(w: AuditLogWebhookV2, authorization: AuthorizationView): WebhookView {
  // Built field by field so nothing else Konnect might add (a secret) is echoed.
  return {
    endpoint: w.endpoint,
    enabled: w.enabled,
    log_format: w.log_format,
    skip_ssl_verification: w.skip_ssl_verification,
    authorization,
    ...(w.audit_log_destination_id ? { audit_log_destination_id: w.audit_log_destination_id } : {}),
    updated_at: w.updated_at,
  };
}

function webhookText(v: WebhookView): string {
  const auth = v.authorization === '<unknown>' ? '<not shown: write-only in Konnect>' : v.authorization;
  const lines = [
    `endpoint:              ${v.endpoint}`,
    `enabled:               ${v.enabled}`,
    `log_format:            ${v.log_format}`,
    `skip_ssl_verification: ${v.skip_ssl_verification}`,
    `authorization:         ${auth}`,
  ];
  if (v.audit_log_destination_id) lines.push(`destination:           ${v.audit_log_destination_id}`);
  lines.push(`updated_at:            ${v.updated_at}`);
  return lines.join('\n') + '\n';
}

function print(flags: WebhookFlags, value: unknown, text: () => string): void {
  process.stdout.write(renderStructured((flags.output ?? 'text') as OutputFormat, value, text));
}

export async function runWebhookGet(flags: WebhookFlags): Promise<void> {
  const portalId = checkPortalId(flags, 'webhook get');
  if (portalId) return runPortalGet(await clientFor(flags), portalId, flags);
  const w = await (await clientFor(flags)).getWebhook();
  const v = view(w, unconfigured(w) ? '<none>' : '<unknown>');
  print(flags, v, () => (unconfigured(w) ? 'The webhook of this region is not configured (konnect-audit webhook set --endpoint URL --authorization VALUE --log-format cef|json|cps).\n' : webhookText(v)));
}

/** The status, then what to do (the same advice as `konnect-audit status`). */
function statusText(s: AuditLogWebhookStatus, portalId?: string): string {
  const lines = [...(portalId ? [`portal:        ${portalId}`] : []), `status:        ${s.webhook_status} (${s.webhook_enabled ? 'enabled' : 'disabled'})`];
  lines.push(`last attempt:  ${s.last_attempt_at ?? 'none yet'}`);
  if (s.last_response_code !== undefined || s.last_response_message !== undefined) {
    lines.push(`last response: ${[s.last_response_code, s.last_response_message].filter((x) => x !== undefined && x !== '').join(' ')}`);
  }
  const snapshot = { base_url: '', ...(portalId ? { portal_id: portalId } : {}), webhook: { error: 'not fetched' }, status: statusView(s), replay_job: { error: 'not fetched' } };
  return [...lines, ...advice(snapshot, { now: Date.now() })].join('\n') + '\n';
}

export async function runWebhookStatus(flags: WebhookFlags): Promise<void> {
  const portalId = checkPortalId(flags, 'webhook status');
  const client = await clientFor(flags);
  const s = portalId ? await client.getPortalWebhookStatus(portalId).catch(rethrowPortal(portalId)) : await client.getWebhookStatus();
  const value = {
    ...(portalId ? { portal_id: portalId } : {}),
    webhook_status: s.webhook_status,
    webhook_enabled: s.webhook_enabled,
    last_attempt_at: s.last_attempt_at ?? null,
    last_response_code: s.last_response_code ?? null,
    last_response_message: s.last_response_message ?? null,
  };
  print(flags, value, () => statusText(s, portalId));
}

/** Checks `webhook set`'s values before any call, so a typo never reaches Konnect. */
export function webhookPatch(flags: WebhookSetFlags): UpdateAuditLogWebhookV2 {
  const fail = (message: string): never => {
    throw new UsageError(message, 'webhook set');
  };
  if (flags.endpoint === undefined && flags.authorization === undefined && flags.logFormat === undefined && flags.skipSslVerification === undefined && flags.enabled === undefined) {
    fail('nothing to set: give --endpoint, --authorization (or --authorization-file), --log-format, --skip-ssl-verification or --enabled');
  }
  if (flags.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(flags.endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
      fail(`invalid argument "${flags.endpoint}" for "--endpoint" flag: expected an https:// or http:// URL`);
    }
  }
  if (flags.authorization !== undefined && flags.authorization.trim() === '') fail('invalid argument "" for "--authorization" flag: must not be empty');
  if (flags.authorization !== undefined && /[\r\n]/.test(flags.authorization)) fail('invalid argument for "--authorization" flag: a header value cannot hold a line break');
  if (flags.logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(flags.logFormat)) {
    fail(`invalid argument "${flags.logFormat}" for "--log-format" flag: expected one of ${LOG_FORMATS.join(', ')}`);
  }
  return {
    ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
    ...(flags.authorization !== undefined ? { authorization: flags.authorization } : {}),
    ...(flags.logFormat !== undefined ? { log_format: flags.logFormat as LogFormat } : {}),
    ...(flags.skipSslVerification !== undefined ? { skip_ssl_verification: flags.skipSslVerification } : {}),
    // As the tutorial: configuring the webhook turns it on unless told otherwise.
    enabled: flags.enabled ?? true,
  };
}

/** `--authorization-file` read into `authorization` (one of the two, never both). */
async function withAuthorizationFile(flags: WebhookSetFlags): Promise<WebhookSetFlags> {
  if (flags.authorizationFile === undefined) return flags;
  if (flags.authorization !== undefined) throw new UsageError('give --authorization or --authorization-file, not both', 'webhook set');
  return { ...flags, authorization: await readSecretFile(flags.authorizationFile, '--authorization-file', 'webhook set') };
}

export async function runWebhookSet(flags: WebhookSetFlags): Promise<void> {
  const portalId = checkPortalId(flags, 'webhook set');
  if (portalId) return runPortalSet(portalId, flags);
  if (flags.destinationId !== undefined) {
    throw new UsageError("--destination-id is for a Dev Portal's webhook (with --portal-id); the region's webhook takes --endpoint, --authorization and --log-format", 'webhook set');
  }
  const body = webhookPatch(await withAuthorizationFile(flags));
  const w = await (await clientFor(flags)).updateWebhook(body);
  const v = view(w, body.authorization !== undefined ? '<set>' : '<unknown>');
  print(flags, v, () => `Updated the region's audit-log webhook:\n${webhookText(v)}`);
}

export async function runWebhookDisable(flags: WebhookFlags): Promise<void> {
  const portalId = checkPortalId(flags, 'webhook disable');
  if (portalId) {
    const client = await clientFor(flags);
    const w = await client.updatePortalWebhook(portalId, { enabled: false }).catch(rethrowPortal(portalId));
    const v = await portalView(client, portalId, w);
    print(flags, v, () => `Disabled the audit-log webhook of Dev Portal ${portalId} (destination kept): ${v.audit_log_destination_id ?? 'none'}\n`);
    return;
  }
  const w = await (await clientFor(flags)).updateWebhook({ enabled: false });
  const v = view(w, unconfigured(w) ? '<none>' : '<unknown>');
  print(flags, v, () => `Disabled the region's audit-log webhook (configuration kept): ${w.endpoint}\n`);
}

// --- Dev Portal webhooks (reference §4): bound to a destination, no inline endpoint. ---

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** --portal-id, checked to be a UUID before any call. */
function checkPortalId(flags: WebhookFlags, command: string): string | undefined {
  const id = flags.portalId;
  if (id === undefined) return undefined;
  if (!UUID.test(id)) throw new UsageError(`invalid argument "${id}" for "--portal-id" flag: expected a portal UUID`, command);
  return id;
}

/** Konnect's 404 on a portal path as "no such portal". */
function rethrowPortal(portalId: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof KonnectApiError && error.status === 404) {
      throw new RuntimeError(`no Dev Portal with id "${portalId}" in this region (Konnect answered 404; a portal's audit logs live in its own region: check --region or --base-url)`);
    }
    throw error;
  };
}

/** The destination's fields as shown (its authorization is write-only). */
interface DestinationSummary {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly log_format: LogFormat;
  readonly skip_ssl_verification: boolean;
}

/** A portal webhook as printed: its binding and the destination it sends to. */
interface PortalWebhookView {
  readonly portal_id: string;
  readonly enabled: boolean;
  readonly audit_log_destination_id: string | null;
  readonly destination: DestinationSummary | null;
  /** Why the bound destination could not be read. */
  readonly destination_error?: string;
}

async function portalView(client: KonnectClient, portalId: string, w: AuditLogWebhookV3): Promise<PortalWebhookView> {
  const id = w.audit_log_destination_id || null;
  const base = { portal_id: portalId, enabled: w.enabled, audit_log_destination_id: id };
  if (!id) return { ...base, destination: null };
  try {
    const d: AuditLogDestination = await client.getDestination(id);
    return { ...base, destination: { id: d.id, name: d.name, endpoint: d.endpoint, log_format: d.log_format, skip_ssl_verification: d.skip_ssl_verification } };
  } catch (error) {
    const why = error instanceof KonnectApiError && error.status === 404 ? 'it no longer exists (404)' : (error as Error).message;
    return { ...base, destination: null, destination_error: why };
  }
}

function portalText(v: PortalWebhookView): string {
  if (!v.audit_log_destination_id) {
    return `The audit-log webhook of Dev Portal ${v.portal_id} is not configured (enabled: ${v.enabled}); bind it to a destination: konnect-audit webhook set --portal-id ${v.portal_id} --destination-id DESTINATION_ID\n`;
  }
  const d = v.destination;
  const lines = [`portal:                ${v.portal_id}`, `enabled:               ${v.enabled}`, `destination:           ${v.audit_log_destination_id}${d ? ` (${d.name})` : ''}`];
  if (d) {
    lines.push(`endpoint:              ${d.endpoint}`, `log_format:            ${d.log_format}`, `skip_ssl_verification: ${d.skip_ssl_verification}`);
  } else {
    lines.push(`endpoint:              <unknown: the destination could not be read: ${v.destination_error ?? 'unknown error'}>`);
  }
  lines.push('authorization:         <not shown: write-only, set on the destination>');
  return lines.join('\n') + '\n';
}

async function runPortalGet(client: KonnectClient, portalId: string, flags: WebhookFlags): Promise<void> {
  const w = await client.getPortalWebhook(portalId).catch(rethrowPortal(portalId));
  const v = await portalView(client, portalId, w);
  print(flags, v, () => portalText(v));
}

/** Checks `webhook set --portal-id`'s values before any call. */
export function portalWebhookPatch(flags: WebhookSetFlags): UpdateAuditLogWebhookV3 {
  const fail = (message: string): never => {
    throw new UsageError(message, 'webhook set');
  };
  const inline = (
    [
      ['--endpoint', flags.endpoint],
      ['--authorization', flags.authorization],
      ['--authorization-file', flags.authorizationFile],
      ['--log-format', flags.logFormat],
      ['--skip-ssl-verification', flags.skipSslVerification],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([flag]) => flag);
  if (inline.length > 0) {
    fail(
      `${inline.join(', ')} cannot be used with --portal-id: a Dev Portal webhook has no endpoint of its own, it sends to an audit-log destination. ` +
        'Create the destination first (POST /v3/audit-log-destinations on the global host, with name, endpoint, authorization and log_format), then: ' +
        'konnect-audit webhook set --portal-id ID --destination-id DESTINATION_ID',
    );
  }
  if (flags.destinationId === undefined && flags.enabled === undefined) fail('nothing to set: give --destination-id and/or --enabled');
  if (flags.destinationId !== undefined && !UUID.test(flags.destinationId)) fail(`invalid argument "${flags.destinationId}" for "--destination-id" flag: expected a destination UUID`);
  return { ...(flags.destinationId !== undefined ? { audit_log_destination_id: flags.destinationId } : {}), enabled: flags.enabled ?? true };
}

async function runPortalSet(portalId: string, flags: WebhookSetFlags): Promise<void> {
  const body = portalWebhookPatch(flags);
  const client = await clientFor(flags);
  if (body.audit_log_destination_id !== undefined) {
    // Checked first, so that a 404 from the PATCH can only mean the portal.
    await client.getDestination(body.audit_log_destination_id).catch((error: unknown) => {
      if (error instanceof KonnectApiError && error.status === 404) {
        throw new RuntimeError(`no audit-log destination with id "${body.audit_log_destination_id}" (Konnect answered 404; list them with konnect-audit destinations list)`);
      }
      throw error;
    });
  }
  const w = await client.updatePortalWebhook(portalId, body).catch(rethrowPortal(portalId));
  const v = await portalView(client, portalId, w);
  print(flags, v, () => `Updated the audit-log webhook of Dev Portal ${portalId}:\n${portalText(v)}`);
}
