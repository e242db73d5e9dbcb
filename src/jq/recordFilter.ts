/**
 * `--jq` for audit records: each record (JSON, CPS or CEF, all seen as Konnect's JSON object) goes
 * through jq, with kongctl's output rules — no result prints `null`, one prints compact JSON,
 * several print one JSON array on one line — or, with `--jq-raw`, jq's `-r` rules: each result on
 * its own line, strings without quotes, nothing for no result.
 */
import { recordToJson } from '../records/parse.js';
import type { JqArgs } from './engine.js';
import { RemoteJqEngine } from './remoteEngine.js';
import { compileFast, JqWouldFail, type FastFilter } from './fast/compile.js';
import { Decline, parseJson, serialize } from './fast/values.js';

export { JqCompileError } from './engine.js';

/** How to filter. */
export interface RecordFilterOptions {
  readonly expression: string;
  readonly args?: JqArgs;
  /** jq's `-r`: strings printed raw, one result per line. */
  readonly raw?: boolean;
}

let shared: RemoteJqEngine | undefined;

/** Stops jq's thread (started by the first compile), so the process can exit. */
export async function closeJq(): Promise<void> {
  const engine = shared;
  shared = undefined;
  await engine?.close();
}

/** Formats one record's outputs as the lines to print. */
export function formatOutputs(outputs: readonly string[], raw: boolean): string[] {
  if (raw) return outputs.map((o) => (o.startsWith('"') ? (JSON.parse(o) as string) : o));
  if (outputs.length === 0) return ['null'];
  if (outputs.length === 1) return [outputs[0]!];
  return [`[${outputs.join(',')}]`];
}

/**
 * A compiled filter over records. Filters in the fast path's subset run as compiled JavaScript;
 * everything else, and any record the fast path hands over (a jq error, a number it cannot keep
 * exact), runs in jq itself, batched.
 */
export class RecordFilter {
  private readonly fast: FastFilter | undefined;

  private constructor(
    private readonly engine: RemoteJqEngine,
    readonly options: RecordFilterOptions,
  ) {
    this.fast = compileFast(options.expression, options.args);
  }

  /** True when the expression runs on the compiled fast path. */
  get usesFastPath(): boolean {
    return this.fast !== undefined;
  }

  /** Starts jq's thread once per process and checks the expression; throws JqCompileError. */
  static async compile(options: RecordFilterOptions): Promise<RecordFilter> {
    const engine = (shared ??= new RemoteJqEngine());
    await engine.check(options.expression, options.args);
    return new RecordFilter(engine, options);
  }

  get expression(): string {
    return this.options.expression;
  }

  /** For each record, the lines to print, or why it is skipped. */
  async apply(records: readonly string[]): Promise<(string[] | Error)[]> {
    const results: (string[] | Error)[] = new Array<string[] | Error>(records.length);
    const inputs: string[] = [];
    const positions: number[] = [];
    const raw = this.options.raw ?? false;
    records.forEach((record, i) => {
      let json: string;
      try {
        json = recordToJson(record);
      } catch (error) {
        results[i] = error as Error;
        return;
      }
      if (this.fast) {
        try {
          results[i] = formatOutputs(this.fast(parseJson(json)).map(serialize), raw);
          return;
        } catch (error) {
          // jq gives the exact error, or the exact rendering of what the fast path cannot keep.
          // (A RangeError is a record nested too deep for this stack: jq isolates it.)
          if (!(error instanceof JqWouldFail || error instanceof Decline || error instanceof RangeError)) throw error;
        }
      }
      inputs.push(json);
      positions.push(i);
    });
    if (inputs.length === 0) return results;
    const outcomes = await this.engine.run(this.options.expression, inputs, this.options.args);
    outcomes.forEach((outcome, k) => {
      const i = positions[k]!;
      // kongctl skips a record whose filter fails, even after some outputs.
      results[i] = outcome.error !== undefined ? new Error(outcome.error) : formatOutputs(outcome.outputs, raw);
    });
    return results;
  }
}
