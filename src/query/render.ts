/**
 * `events -o text|table`: one aligned line per event — time (ISO, UTC), type, principal,
 * what was done, outcome. `text` and `--follow` use fixed column widths (lines print as they come);
 * `table` adds a header and sizes the columns to the output.
 */
import { booleanField, recordType, type AuditObject } from './filter.js';
import { recordTime } from './time.js';

/** TIME, TYPE, PRINCIPAL, ACTION, OUTCOME. */
export type EventRow = readonly [string, string, string, string, string];

export const HEADER: EventRow = ['TIME', 'TYPE', 'PRINCIPAL', 'ACTION', 'OUTCOME'];
/** ISO time with ms, `authentication`, a UUID, a typical action; longer cells push the line on. */
export const FIXED_WIDTHS: readonly number[] = [24, 14, 36, 48];

const NONE = '-';
// Record text reaches a terminal: control characters (ANSI escapes, newlines) are shown, not obeyed.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return NONE;
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function words(...parts: unknown[]): string {
  const kept = parts.filter((p) => p !== undefined && p !== null && p !== '').map(cell);
  return kept.length > 0 ? kept.join(' ') : NONE;
}

/** The resource of a pull record's KRN (`krn:konnect:org/<id>:control-planes` → `control-planes`). */
function krnResource(resource: unknown): unknown {
  if (typeof resource !== 'string' || !resource.startsWith('krn:')) return resource;
  return resource.slice(resource.lastIndexOf(':') + 1);
}

/**
 * The row of one record.
 * - authorization: `<action> <resource>` (name without `Authz.`), granted/denied
 * - access: `<act> <request> <status>`, the status code
 * - authentication: `<request> <outcome>` (name without `AUTHENTICATION_OUTCOME_`), success/failure
 *
 * Records of the pull API (no `name`; `type`, `uri`, `method`, `status_code`, `successful`,
 * `outcome`, `resource`) fill the same columns.
 */
export function eventRow(record: AuditObject): EventRow {
  const time = recordTime(record);
  const type = recordType(record);
  const pulled = record.name === undefined && typeof record.type === 'string';
  const name = typeof record.name === 'string' ? record.name : '';
  const request = pulled ? record.uri : record.request;
  let action: string;
  let outcome: string;
  switch (type) {
    case 'authorization': {
      action = words(record.action, pulled ? krnResource(record.resource) : name.slice('Authz.'.length));
      const granted = booleanField(record.granted);
      outcome = granted === undefined ? NONE : granted ? 'granted' : 'denied';
      break;
    }
    case 'authentication': {
      const result = pulled ? (typeof record.outcome === 'string' ? record.outcome.toUpperCase() : record.outcome) : name.replace(/^AUTHENTICATION_OUTCOME_/, '');
      action = words(request, result);
      const success = booleanField(pulled ? record.successful : record.success);
      outcome = success === undefined ? NONE : success ? 'success' : 'failure';
      break;
    }
    case 'access': {
      const status = pulled ? record.status_code : record.status;
      action = words(pulled ? record.method : record.act, request, status);
      outcome = cell(status);
      break;
    }
  }
  return [time === undefined || !Number.isFinite(time) || Math.abs(time) > 8.64e15 ? NONE : new Date(time).toISOString(), type, cell(record.principal_id), action, outcome];
}

/** The row as one line, each column but the last padded to its width and two spaces apart. */
export function formatRow(row: EventRow, widths: readonly number[]): string {
  let line = '';
  for (let i = 0; i < row.length - 1; i++) line += row[i]!.padEnd(widths[i] ?? 0) + '  ';
  return line + row[row.length - 1] + '\n';
}

/** Column widths fitting every row (the header included). */
export function columnWidths(rows: readonly EventRow[]): number[] {
  const widths = HEADER.map((h) => h.length);
  for (const row of rows) for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length);
  return widths;
}

/** A table: the header then the rows, columns sized to fit. */
export function renderTable(rows: readonly EventRow[]): string {
  const widths = columnWidths(rows);
  let out = formatRow(HEADER, widths);
  for (const row of rows) out += formatRow(row, widths);
  return out;
}
