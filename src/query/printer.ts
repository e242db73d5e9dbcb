/**
 * `events -o jsonl|json|text|table` as text to write, chunk by chunk, so output streams:
 * - jsonl (and `--jq`): each item is already its line(s);
 * - json: items are array elements; the array opens with the first and closes at the end, so the
 *   output is one valid JSON document however it stops (Ctrl+C included);
 * - text: rows with fixed column widths;
 * - table: a header and columns sized to all rows (rows are held to the end), or with `follow`
 *   fixed widths printed as they come.
 */
import { FIXED_WIDTHS, formatRow, HEADER, renderTable, type EventRow } from './render.js';

export const EVENTS_FORMATS = ['jsonl', 'json', 'text', 'table'] as const;
export type EventsFormat = (typeof EVENTS_FORMATS)[number];

/** What one record prints: its stored bytes (newline added), jq's line(s), a JSON element, or a row. */
export type PrintItem = string | Buffer | EventRow;

const NEWLINE = Buffer.from('\n');

/** Stored records byte for byte (a record's bytes get their newline back); jq's lines as they are. */
function jsonl(items: readonly (string | Buffer)[]): string | Buffer {
  if (typeof items[0] === 'string') return items.join('');
  const parts: Buffer[] = [];
  for (const item of items) {
    if (typeof item === 'string') parts.push(Buffer.from(item));
    else parts.push(item, NEWLINE);
  }
  return Buffer.concat(parts);
}

export class EventPrinter {
  private started = false;
  private readonly rows: EventRow[] = [];

  constructor(
    readonly format: EventsFormat,
    private readonly follow = false,
  ) {}

  /** The text for these items (empty when held back, as table rows are). */
  print(items: readonly PrintItem[]): string | Buffer {
    if (items.length === 0) return '';
    switch (this.format) {
      case 'jsonl':
        return jsonl(items as readonly (string | Buffer)[]);
      case 'json': {
        let out = '';
        for (const item of items) {
          out += (this.started ? ',\n' : '[\n') + (item as string);
          this.started = true;
        }
        return out;
      }
      case 'text':
        return (items as EventRow[]).map((row) => formatRow(row, FIXED_WIDTHS)).join('');
      case 'table':
        if (!this.follow) {
          for (const item of items) this.rows.push(item as EventRow);
          return '';
        }
        return (this.started ? '' : this.header()) + (items as EventRow[]).map((row) => formatRow(row, FIXED_WIDTHS)).join('');
    }
  }

  /** What closes the output. */
  finish(): string {
    switch (this.format) {
      case 'json':
        return this.started ? '\n]\n' : '[]\n';
      case 'table':
        if (!this.follow) return renderTable(this.rows);
        return this.started ? '' : this.header();
      default:
        return '';
    }
  }

  private header(): string {
    this.started = true;
    return formatRow(HEADER, FIXED_WIDTHS);
  }
}
