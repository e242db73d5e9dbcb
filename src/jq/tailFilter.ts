/**
 * `tail --jq`: a real jq (jq 1.8.2 compiled to WebAssembly) applied to each record, with kongctl's
 * output rules: no result prints `null`, one prints compact JSON, several print one JSON array on
 * one line. Records are passed as their raw text, so big integers such as `trace_id` keep every digit.
 */
import { loadJq, type Jq } from 'jq-wasm';

/** jq's exit code for a compile error. */
const JQ_COMPILE_ERROR = 3;

/** A compiled-and-checked filter. */
export interface TailFilter {
  readonly expression: string;
  /** The line to print for a record, or an Error describing why the record is skipped. */
  apply(record: string): string | Error;
}

/** Thrown when the expression does not compile; the message is jq's own. */
export class JqCompileError extends Error {}

let engine: Promise<Jq> | undefined;

/** Loads jq once per process. */
function jq(): Promise<Jq> {
  return (engine ??= loadJq());
}

function firstLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^jq: /, '').trim())
    .filter((l) => l !== '' && !/^\d+ compile errors?$/.test(l))
    .join('; ');
}

/**
 * Compiles `expression` (by running it once on `null`) and returns the filter.
 * @example (await compileTailFilter('{ts:.event_ts, name}')).apply(line)
 */
export async function compileTailFilter(expression: string): Promise<TailFilter> {
  const engineInstance = await jq();
  const probe = engineInstance.raw(null, expression, ['-c']);
  if (probe.exitCode === JQ_COMPILE_ERROR) throw new JqCompileError(firstLines(probe.stderr));
  return {
    expression,
    apply(record) {
      const result = engineInstance.raw(record, expression, ['-c']);
      if (result.exitCode !== 0) return new Error(firstLines(result.stderr) || `jq exited with ${result.exitCode}`);
      const outputs = result.stdout.split('\n').filter((l) => l !== '');
      if (outputs.length === 0) return 'null';
      if (outputs.length === 1) return outputs[0]!;
      return `[${outputs.join(',')}]`;
    },
  };
}
