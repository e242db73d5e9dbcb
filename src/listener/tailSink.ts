/**
 * Tail mode's stdout: each persisted record as one line, or through `--jq`. stdout carries records
 * only; warnings go to stderr. A consumer that stops reading never holds up acknowledgements:
 * past a bound, records are not printed (they are stored) and one warning says so.
 */
import type { TailFilter } from '../jq/tailFilter.js';

/** Most bytes waiting in stdout's buffer before records are no longer printed. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export interface TailOutput {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

export class TailSink {
  private unprinted = 0;
  private warnedFilter = 0;

  constructor(
    private readonly stdout: TailOutput,
    private readonly stderr: { write(chunk: string): unknown },
    private readonly filter: TailFilter | undefined,
  ) {}

  /** Prints the records of one acknowledged request, in order. */
  write(records: readonly Buffer[]): void {
    let out = '';
    for (const record of records) {
      const text = record.toString('utf8');
      if (!this.filter) {
        out += text + '\n';
        continue;
      }
      const result = this.filter.apply(text);
      if (result instanceof Error) {
        this.warnedFilter++;
        this.stderr.write(`skipping non-JSON or invalid jq record for filter ${JSON.stringify(this.filter.expression)}: ${result.message}\n`);
        continue;
      }
      out += result + '\n';
    }
    if (out === '') return;
    if (this.stdout.writableLength > MAX_PENDING_BYTES) {
      if (this.unprinted === 0) this.stderr.write('warning: stdout is not keeping up; records are still stored but no longer printed until it drains\n');
      this.unprinted += records.length;
      return;
    }
    if (this.unprinted > 0) {
      this.stderr.write(`warning: ${this.unprinted} records were not printed while stdout was full (they are in the events file)\n`);
      this.unprinted = 0;
    }
    this.stdout.write(out);
  }
}
