/**
 * Renders audit events as Konnect writes them on the wire (reference §6):
 * CEF lines with unescaped extension values, compact JSON with lexicographically sorted keys
 * (Go `encoding/json` map order), and CPS, which wraps the JSON object as `{"event":...}`.
 * These functions produce the unsigned bytes; `signing.ts` appends `sig`.
 */
import { CEF_HOST, CEF_VENDOR, CEF_VERSION_FIELD, type AuditEvent, type ExtensionValue } from './event.js';

/** The three wire formats of a webhook (`log_format`). */
export type LogFormat = 'cef' | 'json' | 'cps';
export const LOG_FORMATS: readonly LogFormat[] = ['cef', 'json', 'cps'];

/** Options for the JSON rendering. */
export interface JsonRenderOptions {
  /** `cef_version` as the number `0` (default, most doc examples) or the string `"0"` (the 2023 byte-exact sample). */
  readonly cefVersionAsString?: boolean;
}

function cefValue(value: ExtensionValue): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * Renders the unsigned CEF line.
 * @example renderCef(event) // "2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=..."
 */
export function renderCef(event: AuditEvent): string {
  const header = `${event.eventTs} ${CEF_HOST} CEF:0|${CEF_VENDOR}|${event.product}|${CEF_VERSION_FIELD}|${event.eventClassId}|${event.name}|${event.severity}|`;
  let out = header;
  for (let i = 0; i < event.extensions.length; i++) {
    const [key, value] = event.extensions[i]!;
    out += (i === 0 ? '' : ' ') + key + '=' + cefValue(value);
  }
  return out;
}

function jsonValue(value: ExtensionValue): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    default:
      return String(value);
  }
}

/**
 * Renders the unsigned compact JSON object with keys in lexicographic order.
 * @example renderJson(event) // '{"action":"list","cef_version":0,...,"user_agent":"grpc-node-js/1.12.4"}'
 */
export function renderJson(event: AuditEvent, options: JsonRenderOptions = {}): string {
  const pairs: [string, string][] = [
    ['cef_version', options.cefVersionAsString ? '"0"' : '0'],
    ['event_class_id', JSON.stringify(event.eventClassId)],
    ['event_product', JSON.stringify(event.product)],
    ['event_ts', JSON.stringify(event.eventTs)],
    ['event_vendor', JSON.stringify(CEF_VENDOR)],
    ['event_version', JSON.stringify(CEF_VERSION_FIELD)],
    ['name', JSON.stringify(event.name)],
    ['severity', String(event.severity)],
  ];
  for (const [key, value] of event.extensions) pairs.push([key, jsonValue(value)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = '{';
  for (let i = 0; i < pairs.length; i++) {
    const [key, value] = pairs[i]!;
    out += (i === 0 ? '"' : ',"') + key + '":' + value;
  }
  return out + '}';
}

/** Wraps an already rendered (and usually signed) JSON record in the CPS envelope. */
export function wrapCps(jsonRecord: string): string {
  return '{"event":' + jsonRecord + '}';
}

/** Returns the inner JSON record of a CPS line, byte for byte, or undefined when the line is not CPS-shaped. */
export function unwrapCps(line: string): string | undefined {
  const prefix = '{"event":';
  if (!line.startsWith(prefix) || !line.endsWith('}')) return undefined;
  const inner = line.slice(prefix.length, -1).trim();
  return inner.startsWith('{') && inner.endsWith('}') ? inner : undefined;
}
