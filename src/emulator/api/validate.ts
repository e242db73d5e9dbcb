/** Request-body validation with Konnect's 400 shapes (`invalid_parameters` with field, rule, reason). */
import { LOG_FORMATS, type LogFormat } from '../../records/render.js';
import { invalid, unparsableBody } from '../http/response.js';

/** A parsed JSON object body. */
export type Body = Record<string, unknown>;

/** Parses a JSON object body, or throws the documented "Could not parse request body" 400. */
export function parseObject(raw: Buffer | undefined): Body {
  if (!raw || raw.length === 0) throw unparsableBody();
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw unparsableBody();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unparsableBody();
  return value as Body;
}

/** A string field, or undefined when absent. */
export function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid('Invalid request body', { field, rule: 'is_string', reason: 'must be a string', source: 'body' });
  return value;
}

/** A non-blank string field, or undefined when absent; `""` is the documented "cannot be blank" 400. */
export function optionalNonBlank(body: Body, field: string): string | undefined {
  const value = optionalString(body, field);
  if (value !== undefined && value.trim() === '') throw blank(field);
  return value;
}

/** The documented "Required field missing" / "cannot be blank" 400. */
export function blank(field: string) {
  return invalid('Required field missing', { field, reason: 'cannot be blank' });
}

/** A boolean field, or undefined when absent. */
export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalid('Invalid request body', { field, rule: 'is_boolean', reason: 'must be a boolean', source: 'body' });
  return value;
}

/** A `log_format` field, or undefined when absent. */
export function optionalLogFormat(body: Body, field = 'log_format'): LogFormat | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(LOG_FORMATS as readonly string[]).includes(value)) {
    throw invalid('Invalid log format', { field, rule: 'enum', choices: [...LOG_FORMATS], reason: `must be one of: ${LOG_FORMATS.join(', ')}`, source: 'body' });
  }
  return value as LogFormat;
}

/** An `endpoint` field that must be an http(s) URL with a host, or undefined when absent. */
export function optionalEndpoint(body: Body, field = 'endpoint'): string | undefined {
  const value = optionalNonBlank(body, field);
  if (value === undefined) return undefined;
  if (!isValidEndpoint(value)) throw invalid('Invalid endpoint', { field, reason: 'must be a valid URL' });
  return value;
}

/** True for an absolute http or https URL with a host. */
export function isValidEndpoint(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in canonical text form. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** True for an RFC 3339 date-time that names a real instant. */
export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

/** Parses a required RFC 3339 date-time field into epoch milliseconds. */
export function requiredDateTime(body: Body, field: string): number {
  const value = body[field];
  if (value === undefined || value === null || value === '') throw invalid('Required field missing', { field, rule: 'required', reason: 'is a required field', source: 'body' });
  if (typeof value !== 'string' || !isRfc3339(value)) {
    throw invalid('Invalid date-time', { field, rule: 'is_date_time', reason: 'must be an RFC 3339 date-time', source: 'body' });
  }
  return Date.parse(value);
}
