/**
 * A reader for jq's own test files (jq.test, man.test, ...), following `jq --run-tests` in jq 1.8
 * (src/jq_test.c):
 *
 * - Between cases, blank lines and lines whose first non-blank character is `#` are skipped;
 *   `%%FAIL` or `%%FAIL IGNORE MSG` marks the next case as one that must not compile.
 * - A case starts with its program line (so a program is never blank and never starts with `#`).
 * - A run case: the next line is the input, whatever it holds, then the expected outputs, one per
 *   line, up to a blank or `#` line or the end of the file (there may be none).
 * - A `%%FAIL` case: the lines after the program, up to a blank or `#` line, are jq's error message
 *   (its first line is `jq: error: ...`, the rest the source excerpt jq 1.8 prints).
 */

/** A program to run on one input, with the outputs jq must produce (JSON texts, in order). */
export interface JqRunCase {
  readonly kind: 'run';
  readonly file: string;
  /** 1-based line of the program in the file. */
  readonly line: number;
  readonly program: string;
  /** The input line, as written (jq parses it as one JSON text). */
  readonly input: string;
  readonly expected: readonly string[];
}

/** A program that must fail to compile; with `checkMessage`, with the error message given. */
export interface JqFailCase {
  readonly kind: 'fail';
  readonly file: string;
  readonly line: number;
  readonly program: string;
  /** False for `%%FAIL IGNORE MSG`. */
  readonly checkMessage: boolean;
  /** jq's message lines as written (the first starts `jq: error: `). */
  readonly message: readonly string[];
}

export type JqTestCase = JqRunCase | JqFailCase;

/** jq's `skipline`: blank, or `#` after optional blanks. */
function skipLine(line: string): boolean {
  return /^[ \t]*(#|$)/.test(line);
}

/** Parses a jq test file; throws if it ends in the middle of a case (jq counts that as malformed). */
export function parseJqTestFile(text: string, file = '<test file>'): JqTestCase[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A final newline ends the last line; it does not start another.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const cases: JqTestCase[] = [];
  let fail: { checkMessage: boolean } | undefined;
  let i = 0;
  /** The lines from `i` up to (and consuming) a skip line or the end. */
  const block = (): string[] => {
    const out: string[] = [];
    while (i < lines.length) {
      const l = lines[i++]!;
      if (skipLine(l)) break;
      out.push(l);
    }
    return out;
  };
  while (i < lines.length) {
    const program = lines[i++]!;
    const line = i;
    if (skipLine(program)) continue;
    if (program === '%%FAIL' || program === '%%FAIL IGNORE MSG') {
      fail = { checkMessage: program === '%%FAIL' };
      continue;
    }
    if (fail !== undefined) {
      cases.push({ kind: 'fail', file, line, program, checkMessage: fail.checkMessage, message: block() });
      fail = undefined;
      continue;
    }
    if (i >= lines.length) throw new Error(`${file}:${line}: the program has no input line`);
    const input = lines[i++]!;
    cases.push({ kind: 'run', file, line, program, input, expected: block() });
  }
  if (fail !== undefined) throw new Error(`${file}: %%FAIL at the end of the file`);
  return cases;
}
