/**
 * Tail mode's stdout: each persisted record as one line, or through `--jq`. stdout carries records
 * only; warnings go to stderr, rate limited. Printing never holds up acknowledgements: records
 * are printed in order on a chain of their own, and a consumer that stops reading makes records
 * go unprinted past a bound (they are stored) with one warning.
 */
import type { RecordFilter } from '../jq/recordFilter.js';
import { RateLimitedWarnings } from './warnings.js';

/** Most bytes waiting in stdout's buffer before records are no longer printed. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export interface TailOutput {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

export class TailSink {
  private unprinted = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly warnings: RateLimitedWarnings;

  constructor(
    private readonly stdout: TailOutput,
    private readonly stderr: { write(chunk: string): unknown },
    private readonly filter: RecordFilter | undefined,
  ) {
    this.warnings = new RateLimitedWarnings((line) => this.stderr.write(line));
  }

  /** Queues the records of one acknowledged request for printing, in order; resolves when printed. */
  write(records: readonly Buffer[]): Promise<void> {
    this.chain = this.chain.then(() => this.print(records)).catch((error: unknown) => {
      this.warnings.warn(`warning: could not print records: ${(error as Error).message}`);
    });
    return this.chain;
  }

  private async print(records: readonly Buffer[]): Promise<void> {
    const texts = records.map((r) => r.toString('utf8'));
    let out = '';
    if (!this.filter) {
      for (const text of texts) out += text + '\n';
    } else {
      const results = await this.filter.apply(texts);
      for (const result of results) {
        if (result instanceof Error) {
          this.warnings.warn(`skipping non-JSON or invalid jq record for filter ${JSON.stringify(this.filter.expression)}: ${result.message}`);
          continue;
        }
        for (const line of result) out += line + '\n';
      }
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
