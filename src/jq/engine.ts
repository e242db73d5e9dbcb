/**
 * jq 1.8.2 (jq-wasm) run over many records per call. One call costs about a millisecond whatever
 * its size, so records are evaluated in batches: the program is wrapped so that each input first
 * emits a marker, then its outputs, and a runtime error becomes a marked value instead of ending
 * the input, which lets the outputs be split back per record. If jq stops early (an input it
 * cannot parse, say) or the engine crashes (deep nesting), the records not yet done are evaluated
 * one by one on a fresh engine, so one bad record never costs the others.
 */
import { loadJq, type Jq } from 'jq-wasm';

/** jq's exit code for a compile error. */
const JQ_COMPILE_ERROR = 3;
const MARKER = '"\\u001eKA"';
const ERROR_PREFIX = '{"\\u001eKAerr":';

/** The outcome for one input: its outputs (compact JSON texts), and the error that ended it, if any (jq prints the outputs before an error too). */
export interface JqOutcome {
  readonly outputs: readonly string[];
  readonly error?: string;
}

/** Named string arguments, as jq's `--arg name value`. */
export type JqArgs = Readonly<Record<string, string>>;

/** The program does not compile; the message is jq's. */
export class JqCompileError extends Error {}

/** jq's messages without the `jq: ` prefixes and the trailing "N compile errors" line. */
export function jqMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^jq: (error: )?/, '').replace(/^error \(at [^)]*\): /, '').trim())
    .filter((l) => l !== '' && !/^\d+ compile errors?$/.test(l))
    .join('; ');
}

function flags(args: JqArgs | undefined): string[] {
  const out = ['-c'];
  for (const [name, value] of Object.entries(args ?? {})) out.push('--arg', name, value);
  return out;
}

function errorText(marked: string): string {
  // The caught value: usually a string message; any other value is shown as JSON, as jq does.
  const value = marked.slice(ERROR_PREFIX.length, -1);
  if (value.startsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value;
    }
  }
  return `${value} (not a string)`;
}

/** A jq engine; reloads itself after a crash. */
export class JqEngine {
  private constructor(private jq: Jq) {}

  /** Loads jq (about 100 ms once per process). */
  static async load(): Promise<JqEngine> {
    return new JqEngine(await loadJq());
  }

  /** Throws JqCompileError when `program` does not compile (checked by running it on `null`). */
  check(program: string, args?: JqArgs): void {
    // Empty input: jq compiles the program and stops without running it (running it could take long or crash).
    const probe = this.jq.raw('', program, flags(args));
    if (probe.exitCode === JQ_COMPILE_ERROR) throw new JqCompileError(jqMessage(probe.stderr));
  }

  /**
   * Runs `program` on each input (one JSON text each, as jq would read it); one outcome per input.
   * @example await engine.run('.name', ['{"name":"a"}', '{"name":"b"}']) // [{outputs:['"a"']}, {outputs:['"b"']}]
   */
  async run(program: string, inputs: readonly string[], args?: JqArgs): Promise<JqOutcome[]> {
    const outcomes: JqOutcome[] = [];
    // The newline ends a trailing `# comment` in the program before the wrapper's own text.
    const wrapped = `${MARKER}, (try (${program}\n) catch {"\\u001eKAerr": .})`;
    let start = 0;
    while (start < inputs.length) {
      const batch = inputs.slice(start);
      const result = this.runWrapped(wrapped, batch, args);
      if (result === 'crashed') {
        // The engine trapped somewhere in the batch: start afresh and take these inputs one at a time.
        await this.reload();
        for (const input of batch) outcomes.push(await this.runSingle(program, input, args));
        return outcomes;
      }
      outcomes.push(...result);
      start += result.length;
      // jq stopped before the end (an input it could not parse, `halt`): that input alone, then go on.
      if (start < inputs.length) outcomes.push(await this.runSingle(program, inputs[start++]!, args));
    }
    return outcomes;
  }

  /** Evaluates a batch; returns the outcomes of the inputs jq finished, in order, or 'crashed'. */
  private runWrapped(wrapped: string, batch: readonly string[], args: JqArgs | undefined): JqOutcome[] | 'crashed' {
    let stdout: string;
    let exitCode: number;
    try {
      ({ stdout, exitCode } = this.jq.raw(batch.join('\n'), wrapped, flags(args)));
    } catch {
      return 'crashed';
    }
    const parsed: { outputs: string[]; error: string | undefined }[] = [];
    for (const line of stdout === '' ? [] : stdout.split('\n')) {
      if (line === MARKER) parsed.push({ outputs: [], error: undefined });
      else if (parsed.length === 0) continue;
      else if (line.startsWith(ERROR_PREFIX) && line.endsWith('}')) parsed[parsed.length - 1]!.error = errorText(line);
      else parsed[parsed.length - 1]!.outputs.push(line);
    }
    // Unless jq finished every input, the last one it started may be incomplete: it is redone alone.
    const complete = exitCode === 0 && parsed.length === batch.length ? parsed.length : Math.max(0, parsed.length - 1);
    return parsed.slice(0, complete).map((p) => (p.error !== undefined ? { outputs: p.outputs, error: p.error } : { outputs: p.outputs }));
  }

  private async runSingle(program: string, input: string, args: JqArgs | undefined): Promise<JqOutcome> {
    try {
      const result = this.jq.raw(input, program, flags(args));
      const outputs = result.stdout === '' ? [] : result.stdout.split('\n');
      if (result.exitCode !== 0) return { outputs, error: jqMessage(result.stderr) || `jq exited with ${result.exitCode}` };
      return { outputs };
    } catch (error) {
      await this.reload();
      return { outputs: [], error: `jq failed on this record: ${(error as Error).message}` };
    }
  }

  /** Replaces a crashed engine (a trapped WebAssembly instance may be left in a broken state). */
  private async reload(): Promise<void> {
    this.jq = await loadJq();
  }
}
