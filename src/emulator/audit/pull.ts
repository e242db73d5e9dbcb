/**
 * Maps retained webhook events to the pull API's record shapes (`GET /v3/audit-logs`,
 * reference §3.4), whose field names differ (`ts`, `client_ip`, `uri`, `method`, `status_code`,
 * `signature`). Which bytes Konnect's pull `signature` covers is unconfirmed; the emulator signs
 * the record's compact JSON with sorted keys, without `signature`, with the webhook key.
 */
import { extension, type AuditEvent, type EventKind } from '../../records/event.js';
import { pullSignedMessage, type SigningKey } from '../../records/signing.js';
import type { PullAuditLog, PullLogType } from '../../konnect/types.js';
import { apiTime } from '../clock.js';
import { eventOf, type StoredEvent } from './eventStore.js';

/** The pull API type of an event. */
export function pullType(kind: EventKind | undefined): PullLogType | undefined {
  return kind === 'access' ? 'gateway_access' : kind;
}

function str(event: AuditEvent, key: string): string | undefined {
  const v = extension(event, key);
  return v === undefined ? undefined : String(v);
}

/**
 * A webhook record's `query` (the request's parameters as a JSON object, `{"foo":"bar"}`) as the
 * pull API's "Request query string" (`foo=bar`, OpenAPI example `filter=active`). Anything that is
 * not a JSON object is passed on as it is.
 */
function queryString(query: string | undefined): string {
  if (query === undefined || query === '') return '';
  let value: unknown;
  try {
    value = JSON.parse(query);
  } catch {
    return query;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return query;
  return new URLSearchParams(Object.entries(value).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
}

/** The pull record for a stored event, signed unless `key` is undefined (then `signature` is ""). */
export function toPullRecord(stored: StoredEvent, orgId: string, key: SigningKey | undefined): PullAuditLog | undefined {
  const e = eventOf(stored);
  const type = pullType(stored.kind);
  if (!type) return undefined;
  const common = {
    ts: apiTime(stored.rt),
    client_ip: str(e, 'src') ?? '',
    user_agent: str(e, 'user_agent') ?? '',
    trace_id: str(e, 'trace_id') ?? '',
    ...(stored.portalId ? { portal_id: stored.portalId } : {}),
  };
  let record: Record<string, unknown>;
  if (type === 'authentication') {
    const principalId = str(e, 'principal_id');
    record = {
      type,
      successful: extension(e, 'success') === true,
      outcome: e.name.replace('AUTHENTICATION_OUTCOME_', '').toLowerCase(),
      authentication_type: e.eventClassId.replace('AUTHENTICATION_TYPE_', '').toLowerCase(),
      org_id: orgId,
      uri: str(e, 'request') ?? '',
      ...(principalId ? { principal_id: principalId } : {}),
      ...common,
    };
  } else if (type === 'authorization') {
    const actorId = str(e, 'actor_id');
    record = {
      type,
      service: e.eventClassId,
      resource: `krn:konnect:org/${orgId}:${e.name.slice('Authz.'.length)}`,
      action: str(e, 'action') ?? '',
      granted: extension(e, 'granted') === true,
      org_id: orgId,
      principal_id: str(e, 'principal_id') ?? '',
      ...(actorId ? { actor_id: actorId } : {}),
      ...common,
    };
  } else {
    record = {
      type,
      org_id: orgId,
      principal_id: str(e, 'principal_id') ?? '',
      actor_id: str(e, 'actor_id') ?? '',
      method: str(e, 'act') ?? '',
      uri: str(e, 'request') ?? '',
      query: queryString(str(e, 'query')),
      status_code: Number(extension(e, 'status') ?? 0),
      ...common,
    };
  }
  // The bytes verify checks (records/signing.ts), so emulator and verifier agree by construction.
  const signature = key ? key.sign(pullSignedMessage(record)) : '';
  return { ...record, signature } as PullAuditLog;
}
