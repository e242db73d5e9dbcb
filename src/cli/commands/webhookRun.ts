/** Runs `konnect-audit webhook get|status|set|disable`. */
import { KonnectClient } from '../../konnect/client.js';
import type { AuditLogWebhookStatus, AuditLogWebhookV2, UpdateAuditLogWebhookV2 } from '../../konnect/types.js';
import { LOG_FORMATS, type LogFormat } from '../../records/render.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { UsageError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
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
  const w = await (await clientFor(flags)).getWebhook();
  const v = view(w, unconfigured(w) ? '<none>' : '<unknown>');
  print(flags, v, () => (unconfigured(w) ? 'The webhook of this region is not configured (konnect-audit webhook set --endpoint URL --authorization VALUE --log-format cef|json|cps).\n' : webhookText(v)));
}

/** What to do about a status, for the text output. */
function statusAdvice(s: AuditLogWebhookStatus): string[] {
  switch (s.webhook_status) {
    case 'inactive':
      return [
        'The last delivery failed and Konnect stopped streaming to the endpoint.',
        'What to do:',
        '  1. fix the endpoint (reachable, accepts the authorization): konnect-audit webhook set --endpoint URL --authorization VALUE',
        '  2. request a replay of the gap (at most the last 7 days): konnect-audit replay (coming), or',
        "     Konnect's replay job: PUT /v2/audit-log-replay-job {\"start_at\": ..., \"end_at\": ...}",
      ];
    case 'unconfigured':
      return ['The webhook of this region is not configured: konnect-audit webhook set --endpoint URL --authorization VALUE --log-format cef|json|cps'];
    default:
      return s.webhook_enabled ? [] : ['The webhook is disabled: Konnect sends nothing (enable it with konnect-audit webhook set --enabled).'];
  }
}

function statusText(s: AuditLogWebhookStatus): string {
  const lines = [`status:        ${s.webhook_status} (${s.webhook_enabled ? 'enabled' : 'disabled'})`];
  lines.push(`last attempt:  ${s.last_attempt_at ?? 'none yet'}`);
  if (s.last_response_code !== undefined || s.last_response_message !== undefined) {
    lines.push(`last response: ${[s.last_response_code, s.last_response_message].filter((x) => x !== undefined && x !== '').join(' ')}`);
  }
  return [...lines, ...statusAdvice(s)].join('\n') + '\n';
}

export async function runWebhookStatus(flags: WebhookFlags): Promise<void> {
  const s = await (await clientFor(flags)).getWebhookStatus();
  const value = {
    webhook_status: s.webhook_status,
    webhook_enabled: s.webhook_enabled,
    last_attempt_at: s.last_attempt_at ?? null,
    last_response_code: s.last_response_code ?? null,
    last_response_message: s.last_response_message ?? null,
  };
  print(flags, value, () => statusText(s));
}

/** Checks `webhook set`'s values before any call, so a typo never reaches Konnect. */
export function webhookPatch(flags: WebhookSetFlags): UpdateAuditLogWebhookV2 {
  const fail = (message: string): never => {
    throw new UsageError(message, 'webhook set');
  };
  if (flags.endpoint === undefined && flags.authorization === undefined && flags.logFormat === undefined && flags.skipSslVerification === undefined && flags.enabled === undefined) {
    fail('nothing to set: give --endpoint, --authorization, --log-format, --skip-ssl-verification or --enabled');
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

export async function runWebhookSet(flags: WebhookSetFlags): Promise<void> {
  const body = webhookPatch(flags);
  const w = await (await clientFor(flags)).updateWebhook(body);
  const v = view(w, body.authorization !== undefined ? '<set>' : '<unknown>');
  print(flags, v, () => `Updated the region's audit-log webhook:\n${webhookText(v)}`);
}

export async function runWebhookDisable(flags: WebhookFlags): Promise<void> {
  const w = await (await clientFor(flags)).updateWebhook({ enabled: false });
  const v = view(w, unconfigured(w) ? '<none>' : '<unknown>');
  print(flags, v, () => `Disabled the region's audit-log webhook (configuration kept): ${w.endpoint}\n`);
}
