/**
 * The audit event model shared by the emulator (which renders and signs events) and the client
 * (which parses them). An event is its CEF header plus its extensions in CEF order; the JSON and
 * CPS renderings are derived from the same data, so one event renders identically every time.
 */

/** An extension value as Konnect types it: `rt`/`status`/`severity` numbers, `success`/`granted` booleans,
 * `trace_id` a 64-bit integer (bigint so it never loses digits), everything else strings. */
export type ExtensionValue = string | number | boolean | bigint;

/** One `key=value` extension, in the order CEF renders it. */
export type Extension = readonly [key: string, value: ExtensionValue];

/** Product names used in the CEF header. */
export type Product = 'Konnect' | 'Dev-Portal';

/** The three event families; `name` identifies them reliably (`AUTHENTICATION_OUTCOME_*`, `Authz.*`, `Ingress`). */
export type EventKind = 'authentication' | 'authorization' | 'access';

/** An audit event before rendering. `sig` is not part of it: signing happens per rendering. */
export interface AuditEvent {
  /** RFC 3339 UTC with whole seconds, e.g. `2025-06-18T21:02:36Z` (the CEF timestamp / `event_ts`). */
  readonly eventTs: string;
  readonly product: Product;
  readonly eventClassId: string;
  readonly name: string;
  readonly severity: number;
  /** Extensions in CEF order, without `sig`. Must include `rt` (epoch milliseconds). */
  readonly extensions: readonly Extension[];
}

export const CEF_VENDOR = 'KongInc';
export const CEF_VERSION_FIELD = '1.0';
export const CEF_HOST = 'konghq.com';

/** Classifies an event by its `name`, the field Kong documents as the reliable discriminator. */
export function eventKind(name: string): EventKind | undefined {
  if (name.startsWith('AUTHENTICATION_OUTCOME_')) return 'authentication';
  if (name.startsWith('Authz.')) return 'authorization';
  if (name === 'Ingress') return 'access';
  return undefined;
}

/** Event time in epoch milliseconds (the `rt` extension). */
export function eventTimeMs(event: AuditEvent): number {
  const rt = event.extensions.find(([key]) => key === 'rt')?.[1];
  return typeof rt === 'number' ? rt : Number(rt);
}

let lastSecond = NaN;
let lastTs = '';

/** RFC 3339 with whole seconds, as Konnect writes `event_ts`. */
export function formatEventTs(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Events come in bursts within one second: reuse the last rendering.
  if (second !== lastSecond) {
    lastTs = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastTs;
}

/** Looks up an extension value by key. */
export function extension(event: AuditEvent, key: string): ExtensionValue | undefined {
  return event.extensions.find(([k]) => k === key)?.[1];
}
