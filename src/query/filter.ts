/**
 * `events` filters other than jq: time range, event type, principal and granted, over a record as
 * Konnect's JSON object (recordToJson, so CEF, JSON and CPS records filter alike).
 */
import { recordTime } from './time.js';

/** The three kinds of audit event (reference §6.1), told apart by `name` as Konnect advises. */
export const EVENT_TYPES = ['authentication', 'authorization', 'access'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type AuditObject = Readonly<Record<string, unknown>>;

/** What to keep; every field given must match. */
export interface EventQuery {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, exclusive. */
  readonly until?: number;
  readonly type?: EventType;
  readonly principal?: string;
  readonly granted?: boolean;
}

/**
 * `AUTHENTICATION_*` → authentication, `Authz.*` → authorization, anything else (`Ingress`, or no
 * name) → access.
 */
export function eventType(name: unknown): EventType {
  if (typeof name !== 'string') return 'access';
  if (name.startsWith('AUTHENTICATION_')) return 'authentication';
  if (name.startsWith('Authz.')) return 'authorization';
  return 'access';
}

/**
 * A record's type: by `name` for webhook records (eventType); a record pulled from the pull API
 * (`GET /v3/audit-logs`) has no `name` but a `type`: `authentication`, `authorization`, or
 * `gateway_access` (access).
 */
export function recordType(record: AuditObject): EventType {
  if (record.name === undefined) {
    const type = record.type;
    if (type === 'authentication' || type === 'authorization') return type;
    if (type === 'gateway_access') return 'access';
  }
  return eventType(record.name);
}

/** True when the query tests any field (so records must be parsed). */
export function hasConditions(query: EventQuery): boolean {
  return query.since !== undefined || query.until !== undefined || query.type !== undefined || query.principal !== undefined || query.granted !== undefined;
}

/** `true`/`false` as Konnect's JSON gives it (a boolean, or the strings of older examples). */
export function booleanField(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** True when the record matches every condition; a record with no time fails any time condition. */
export function matchesQuery(query: EventQuery, record: AuditObject): boolean {
  if (query.type !== undefined && recordType(record) !== query.type) return false;
  if (query.principal !== undefined && record.principal_id !== query.principal) return false;
  if (query.granted !== undefined && (recordType(record) !== 'authorization' || booleanField(record.granted) !== query.granted)) return false;
  if (query.since !== undefined || query.until !== undefined) {
    const time = recordTime(record);
    if (time === undefined) return false;
    if (query.since !== undefined && time < query.since) return false;
    if (query.until !== undefined && time >= query.until) return false;
  }
  return true;
}


