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
  // Parts joined once give a flat string; `+=` would build a rope that every later reader flattens.
  const parts = [`${event.eventTs} ${CEF_HOST} CEF:0|${CEF_VENDOR}|${event.product}|${CEF_VERSION_FIELD}|${event.eventClassId}|${event.name}|${event.severity}|`];
  for (let i = 0; i < event.extensions.length; i++) {
    const [key, value] = event.extensions[i]!;
    parts.push(i === 0 ? '' : ' ', key, '=', cefValue(value));
  }
  return parts.join('');
}

/** Characters JSON.stringify would escape (quotes, backslash, controls, surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; plain strings skip JSON.stringify, which is the slow part of rendering. */
function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

function jsonValue(value: ExtensionValue): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'bigint':
      return value.toString();
    default:
      return String(value);
  }
}

/** Header fields of the JSON format, by key. */
const HEADER_KEYS = ['cef_version', 'event_class_id', 'event_product', 'event_ts', 'event_vendor', 'event_version', 'name', 'severity'] as const;

/** For one set of extension keys: every key in output order, as a header key or an extension index. */
type KeyOrder = readonly (readonly [key: string, header: (typeof HEADER_KEYS)[number] | undefined, index: number])[];
const keyOrders = new Map<string, KeyOrder>();

function keyOrder(event: AuditEvent): KeyOrder {
  let shape = '';
  for (const [key] of event.extensions) shape += key + ',';
  let order = keyOrders.get(shape);
  if (!order) {
    const keys: [string, (typeof HEADER_KEYS)[number] | undefined, number][] = HEADER_KEYS.map((k) => [k, k, -1]);
    event.extensions.forEach(([key], index) => keys.push([key, undefined, index]));
    keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    order = keys;
    // Events have a handful of shapes; the cap only guards against unbounded custom keys.
    if (keyOrders.size < 1000) keyOrders.set(shape, order);
  }
  return order;
}

function headerValue(event: AuditEvent, key: (typeof HEADER_KEYS)[number], options: JsonRenderOptions): string {
  switch (key) {
    case 'cef_version':
      return options.cefVersionAsString ? '"0"' : '0';
    case 'event_class_id':
      return jsonString(event.eventClassId);
    case 'event_product':
      return jsonString(event.product);
    case 'event_ts':
      return jsonString(event.eventTs);
    case 'event_vendor':
      return '"' + CEF_VENDOR + '"';
    case 'event_version':
      return '"' + CEF_VERSION_FIELD + '"';
    case 'name':
      return jsonString(event.name);
    case 'severity':
      return String(event.severity);
  }
}

/**
 * Renders the unsigned compact JSON object with keys in lexicographic order (Go's map order).
 * @example renderJson(event) // '{"action":"list","cef_version":0,...,"user_agent":"grpc-node-js/1.12.4"}'
 */
export function renderJson(event: AuditEvent, options: JsonRenderOptions = {}): string {
  const parts = ['{'];
  for (const [key, header, index] of keyOrder(event)) {
    const value = header !== undefined ? headerValue(event, header, options) : jsonValue(event.extensions[index]![1]);
    parts.push(parts.length === 1 ? '"' : ',"', key, '":', value);
  }
  parts.push('}');
  return parts.join('');
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
