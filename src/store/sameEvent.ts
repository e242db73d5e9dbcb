/**
 * One audit event can reach the store in two shapes: as a webhook record (CEF, JSON or CPS; `name`,
 * `rt`, `src`, `request`, `sig`) and as a pull API record (`type`, `ts`, `client_ip`, `uri`,
 * `signature`). Their signatures differ, so the listener's de-duplication cannot tell them apart;
 * this module gives both shapes one event key, so `pull --store` skips events the listener already
 * stored and the listener skips events already pulled. The key holds every field both shapes carry (type, time in ms, trace id, principal,
 * client address, user agent, and per type the action and resource and granted, the request and
 * outcome, or the method, URI and status): a field that one shape spells differently only makes
 * the keys differ, and the event is stored twice rather than lost.
 */
import { booleanField, recordType } from '../query/filter.js';
import { recordTime } from '../query/time.js';
import { recordToJson } from '../records/parse.js';
import { readLineBatches } from './read.js';

type Fields = Readonly<Record<string, unknown>>;

const TRACE_ID = /"trace_id"\s*:\s*"?(\d+)"?/;

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function bool(value: unknown): string {
  const b = booleanField(value);
  return b === undefined ? '' : String(b);
}

/** `krn:konnect:org/<id>:control-planes` → `control-planes`. */
function krnResource(resource: unknown): string {
  const r = text(resource);
  return r.startsWith('krn:') ? r.slice(r.lastIndexOf(':') + 1) : r;
}

function key(parts: readonly string[]): string {
  return JSON.stringify(parts);
}

/**
 * The event key of a pull API record, or undefined when it has no usable time.
 * @example pulledEventKey({ type: 'gateway_access', ts: '2026-11-27T12:00:00.5Z', trace_id: '42', method: 'GET', uri: '/x', status_code: 200, ... })
 */
export function pulledEventKey(record: Fields): string | undefined {
  const time = typeof record.ts === 'string' ? Date.parse(record.ts) : NaN;
  if (Number.isNaN(time)) return undefined;
  const type = recordType(record);
  const common = [type, String(time), text(record.trace_id), text(record.principal_id), text(record.client_ip), text(record.user_agent)];
  switch (type) {
    case 'authorization':
      return key([...common, text(record.action), krnResource(record.resource), bool(record.granted)]);
    case 'authentication':
      return key([...common, text(record.uri), text(record.outcome).toLowerCase(), bool(record.successful)]);
    case 'access':
      return key([...common, text(record.method), text(record.uri), text(record.status_code)]);
  }
}

/** A webhook record's event key and time. */
interface WebhookEvent {
  readonly key: string;
  readonly timeMs: number;
}

function webhookEvent(json: string): WebhookEvent | undefined {
  const record = JSON.parse(json) as Fields;
  const time = recordTime(record);
  if (time === undefined) return undefined;
  const name = text(record.name);
  const type = recordType(record);
  const common = [type, String(time), TRACE_ID.exec(json)?.[1] ?? '', text(record.principal_id), text(record.src), text(record.user_agent)];
  switch (type) {
    case 'authorization':
      return { timeMs: time, key: key([...common, text(record.action), name.slice('Authz.'.length), bool(record.granted)]) };
    case 'authentication':
      return { timeMs: time, key: key([...common, text(record.request), name.replace(/^AUTHENTICATION_OUTCOME_/, '').toLowerCase(), bool(record.success)]) };
    case 'access':
      return { timeMs: time, key: key([...common, text(record.act), text(record.request), text(record.status)]) };
  }
}

/**
 * The event key of a webhook record given as Konnect's JSON text (recordToJson), or undefined for
 * a record with no time. The trace id is read from the text: it exceeds 2^53.
 * @example webhookEventKey(recordToJson(cefLine)) === pulledEventKey(pulledRecord) // the same event
 */
export function webhookEventKey(json: string): string | undefined {
  return webhookEvent(json)?.key;
}

/** True for a line holding a pull API record (these are de-duplicated by the store's own keys). */
export function isPullLine(line: string): boolean {
  return line.includes('"signature"') && !line.includes('"sig"');
}

/**
 * The event keys of the webhook records in `files` whose time lies in [fromMs, toMs]. Lines that
 * cannot be read are skipped; a file that cannot be read is reported to onError and skipped.
 */
export async function indexWebhookEvents(files: readonly string[], fromMs: number, toMs: number, onError: (file: string, error: Error) => void): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const file of files) {
    try {
      for await (const batch of readLineBatches(file)) {
        for (const line of batch) {
          if (isPullLine(line.text)) continue;
          let event: WebhookEvent | undefined;
          try {
            event = webhookEvent(recordToJson(line.text));
          } catch {
            continue; // not a record: nothing it could be the same event as
          }
          if (event && event.timeMs >= fromMs && event.timeMs <= toMs) keys.add(event.key);
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      onError(file, error as Error);
    }
  }
  return keys;
}
