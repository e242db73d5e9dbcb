/**
 * jq 1.8.2's own test files run through JqEngine, as `jq --run-tests` runs them: one case is a
 * program, one input, and the outputs expected in order (compared as JSON values, numbers as
 * doubles, objects whatever their key order). This proves that the engine's wrapping of the user's
 * program (marker, then `try (PROGRAM) catch ...`) keeps jq's semantics. Each input is given twice
 * in one batch, and both records must get the same outcome, which also covers the per-record split.
 *
 * The test files are read from ../shared/reference/jq-tests/ (outside the project, not copied).
 * A few cases cannot apply to filtering one record at a time (modules on a search path, reading
 * further inputs, the runner's environment, the local clock); they are skipped with their reason.
 * A failure is never skipped: each failing case is listed, with what plain jq (jq-wasm without
 * the engine's wrapping) gives for it, so a failure caused by the wrapping stands out.
 *
 * jq runs synchronously and a few cases make jq-wasm loop forever (deep paths overflow its stack),
 * so the cases run in a child process (this file again, as a runner), killed and restarted when a
 * case gives no result in time; such a case is a failure ("hang").
 *
 * Results are summarised in docs/jq-conformance.md.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadJq, type Jq } from 'jq-wasm';
import { JqCompileError, JqEngine } from '../src/jq/engine.js';
import { parseJqTestFile, type JqFailCase, type JqRunCase, type JqTestCase } from './support/jqTestFile.js';

const TESTS_DIR = fileURLToPath(new URL('../../shared/reference/jq-tests/', import.meta.url));
/** The files run, and the applicable pass rate each must reach (none: reported only). */
const FILES: readonly { readonly name: string; readonly minPassRate?: number }[] = [
  { name: 'jq.test', minPassRate: 0.95 },
  { name: 'man.test', minPassRate: 0.95 },
  { name: 'base64.test' },
  { name: 'uri.test' },
  { name: 'optional.test' },
  { name: 'onig.test' },
  { name: 'manonig.test' },
];
const REGEX_FILES = new Set(['onig.test', 'manonig.test']);
const MAX_FAILURES_SHOWN = 30;
/** The slowest case takes about 1 s (its input twice); a case with no result after this is a hang. */
const CASE_TIMEOUT_MS = 3_000;
/** Set in the environment of the runner process. */
const RUNNER_ENV = 'KONNECT_AUDIT_JQ_CONFORMANCE_RUNNER';

// ---------------------------------------------------------------------------------------------
// What does not apply to one record filtered at a time.

/** The program with its string literals blanked, so words inside strings match no rule. */
function code(program: string): string {
  return program.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** A builtin used as a function (not `.name` or `$name`). */
const calls = (names: string) => new RegExp(`(?<![.$\\w])(?:${names})\\b`);

const SKIP_RULES: readonly { readonly reason: string; readonly applies: (c: JqTestCase) => boolean }[] = [
  {
    // jq's runner sets JQ_LIBRARY_PATH to tests/modules; the engine has no module search path.
    // A %%FAIL case is kept when jq rejects it while parsing the program itself (<top-level>).
    reason: "modules: needs jq's tests/modules search path (import/include/modulemeta)",
    applies: (c) =>
      (/(?:^|;)\s*(?:import|include|module)\b/.test(code(c.program)) || calls('modulemeta|get_search_list').test(code(c.program))) &&
      (c.kind === 'run' || !(c.message[0] ?? '').includes(' at <top-level>, ')),
  },
  {
    // The engine gives each record to the program alone; reading other inputs has no meaning.
    reason: 'other inputs: reads further inputs or their position (input/inputs/input_line_number/input_filename)',
    applies: (c) => calls('input|inputs|input_line_number|input_filename').test(code(c.program)),
  },
  {
    reason: 'environment: depends on the process environment ($ENV/env) or the jq command line ($__prog_args)',
    applies: (c) => /\$ENV\b|\$__prog_args\b/.test(c.program) || calls('env').test(code(c.program)),
  },
  {
    reason: "process exit: halt/halt_error end the jq process, not one record's outputs",
    applies: (c) => calls('halt|halt_error').test(code(c.program)),
  },
  {
    // gmtime/mktime/strftime/strptime are UTC and deterministic, and run. So do localtime and
    // strflocaltime when the result cannot show the zone: an empty format, or the error raised
    // for a bad argument (`try ... catch .`).
    reason: 'clock: depends on the current time or the local time zone (now, localtime/strflocaltime)',
    applies: (c) =>
      calls('now').test(code(c.program)) ||
      (calls('localtime').test(code(c.program)) && !/^try .* catch \.$/.test(c.program)) ||
      (/strflocaltime\("[^"]*%/.test(c.program) && !/^try .* catch \.$/.test(c.program)),
  },
];

function skipReason(c: JqTestCase): string | undefined {
  return SKIP_RULES.find((r) => r.applies(c))?.reason;
}

/** How every regex case fails in a jq built without Oniguruma. */
const NO_REGEX = /not compiled with ONIGURUMA|(test|match|capture|scan|splits?|sub|gsub)\/\d+ is not defined/i;

// ---------------------------------------------------------------------------------------------
// Comparing outputs as jq's runner does (jv_equal).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function jsonEqual(a: Json, b: Json): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]!));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k]!, b[k]!));
}

/** The outcome of one case. */
type Verdict =
  | { readonly status: 'passed' }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly why: string; readonly got: string; readonly plain?: string };

/** Outputs, possibly ended by a runtime error, checked against the expected values as jq's runner does. */
function compareOutputs(expected: readonly Json[], outputs: readonly string[], error: string | undefined): { ok: true } | { ok: false; why: string; got: string } {
  const got = [...outputs, ...(error !== undefined ? [`<error: ${error}>`] : [])].join(' | ') || '<no output>';
  // jq's runner stops at the first runtime error; it is only a failure if outputs are missing.
  if (outputs.length < expected.length) return { ok: false, why: error !== undefined ? 'runtime error' : 'too few outputs', got };
  if (outputs.length > expected.length) return { ok: false, why: 'too many outputs', got };
  for (const [i, text] of outputs.entries()) {
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch {
      return { ok: false, why: `output ${i + 1} is not JSON`, got };
    }
    if (!jsonEqual(value, expected[i]!)) return { ok: false, why: `output ${i + 1} differs`, got };
  }
  return { ok: true };
}

/** jq's message without the `jq: error: ` prefix and the ` at <top-level>, line 1, column 3:` location. */
function messageCore(line: string): string {
  return line.replace(/^jq: error: /, '').replace(/ at [^,]+, line \d+, column \d+:$/, '');
}

// ---------------------------------------------------------------------------------------------
// The runner process: evaluates cases with one JqEngine (and plain jq-wasm, for failures).

class CaseEvaluator {
  private constructor(
    private engine: JqEngine,
    private plainJq: Jq,
  ) {}

  static async load(): Promise<CaseEvaluator> {
    return new CaseEvaluator(await JqEngine.load(), await loadJq());
  }

  async evaluate(c: JqTestCase, plainOnly: boolean): Promise<Verdict> {
    if (plainOnly) return { status: 'failed', why: 'not run', got: '', plain: c.kind === 'run' ? await this.plain(c) : 'plain jq: not run' };
    if (c.kind === 'fail') return this.failCase(c);
    const verdict = await this.runCase(c);
    return verdict.status === 'failed' ? { ...verdict, plain: await this.plain(c) } : verdict;
  }

  /** An expected line as a value; jq's parser accepts more than JSON (nan), so jq parses what JSON.parse does not. */
  private async expectedValue(text: string): Promise<Json> {
    try {
      return JSON.parse(text) as Json;
    } catch {
      const [outcome] = await this.engine.run('.', [text]);
      const out = outcome?.outputs?.[0];
      if (outcome?.outputs?.length !== 1 || out === undefined) throw new Error(`expected value is not JSON: ${text}`);
      return JSON.parse(out) as Json;
    }
  }

  private async runCase(c: JqRunCase): Promise<Verdict> {
    let expected: Json[];
    try {
      expected = await Promise.all(c.expected.map((t) => this.expectedValue(t)));
    } catch (error) {
      return { status: 'failed', why: 'malformed case', got: (error as Error).message };
    }
    // The input twice in one batch: the first outcome is the case's, and the second must be the
    // same, which checks that the engine splits a batch's outputs back per record.
    const [outcome, again] = await this.engine.run(c.program, [c.input, c.input]);
    if (outcome === undefined || again === undefined) return { status: 'failed', why: 'missing outcome', got: '<none>' };
    if (JSON.stringify(again) !== JSON.stringify(outcome)) {
      return { status: 'failed', why: 'batch: the second record differs', got: `${JSON.stringify(outcome)} then ${JSON.stringify(again)}` };
    }
    if (outcome.error !== undefined && !outcome.error.startsWith('jq failed on this record')) {
      // Only to tell a compile error from a runtime one. check() runs the program on null, so a
      // program that crashes jq-wasm crashes it too, and leaves that instance unusable: reload.
      try {
        this.engine.check(c.program);
      } catch (error) {
        if (error instanceof JqCompileError) return { status: 'failed', why: 'does not compile', got: error.message };
        this.engine = await JqEngine.load();
      }
    }
    const verdict = compareOutputs(expected, outcome.outputs ?? [], outcome.error);
    return verdict.ok ? { status: 'passed' } : { status: 'failed', why: verdict.why, got: verdict.got };
  }

  private async failCase(c: JqFailCase): Promise<Verdict> {
    try {
      this.engine.check(c.program);
    } catch (error) {
      if (!(error instanceof JqCompileError)) {
        this.engine = await JqEngine.load();
        return { status: 'failed', why: 'check() crashed', got: String(error) };
      }
      if (!c.checkMessage) return { status: 'passed' };
      const want = messageCore(c.message[0] ?? '');
      return error.message.includes(want) ? { status: 'passed' } : { status: 'failed', why: `message lacks "${want}"`, got: error.message };
    }
    return { status: 'failed', why: 'compiled, but must not', got: '<compiled>' };
  }

  /** What plain jq (no wrapping) does with a run case: if it passes, the engine caused the failure. */
  private async plain(c: JqRunCase): Promise<string> {
    let r;
    try {
      r = this.plainJq.raw(c.input, c.program, ['-c']);
    } catch (error) {
      this.plainJq = await loadJq();
      return `plain jq fails too (jq-wasm crashed: ${(error as Error).message.split('\n')[0]})`;
    }
    const outputs = r.stdout === '' ? [] : r.stdout.split('\n');
    const error = r.exitCode === 0 ? undefined : r.stderr.trim().split('\n')[0];
    let expected: Json[];
    try {
      expected = c.expected.map((t) => JSON.parse(t) as Json);
    } catch {
      return `plain jq gives ${outputs.join(' | ')}`;
    }
    const verdict = compareOutputs(expected, outputs, error);
    return verdict.ok ? 'plain jq PASSES: caused by the engine' : `plain jq fails too (${verdict.why}): ${verdict.got}`;
  }
}

interface RunnerRequest {
  readonly id: number;
  readonly c: JqTestCase;
  readonly plainOnly: boolean;
}
interface RunnerReply {
  readonly id: number;
  readonly verdict: Verdict;
}

async function serveAsRunner(): Promise<void> {
  const evaluator = await CaseEvaluator.load();
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: RunnerRequest) => {
    void evaluator
      .evaluate(message.c, message.plainOnly)
      .catch((error: unknown): Verdict => ({ status: 'failed', why: 'threw', got: String(error) }))
      .then((verdict) => process.send?.({ id: message.id, verdict } satisfies RunnerReply));
  });
  process.send?.({ ready: true });
}

/** The test side of the runner process: restarts it after a hang or a crash. */
class Runner {
  private child: ChildProcess | undefined;
  private nextId = 0;
  private stderr = '';

  private async start(): Promise<ChildProcess> {
    this.stderr = '';
    // This file again, as the runner; tsx compiles it as it does for node --test.
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', import.meta.resolve('tsx')], env: { ...process.env, [RUNNER_ENV]: '1' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-2000)));
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the jq case runner exited (${code}) while starting: ${this.stderr}`));
      child.once('exit', onExit);
      child.once('message', () => {
        child.off('exit', onExit);
        resolve();
      });
    });
    this.child = child;
    return child;
  }

  /** The verdict for one case, or a failure if it gives none in time (the runner is then killed). */
  async evaluate(c: JqTestCase, plainOnly = false): Promise<Verdict> {
    const child = this.child ?? (await this.start());
    const id = this.nextId++;
    const reply = await new Promise<Verdict | 'hang' | 'died'>((resolve) => {
      const done = (v: Verdict | 'hang' | 'died') => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(v);
      };
      const onMessage = (m: RunnerReply) => m.id === id && done(m.verdict);
      const onExit = () => done('died');
      const timer = setTimeout(() => done('hang'), CASE_TIMEOUT_MS);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ id, c, plainOnly } satisfies RunnerRequest);
    });
    if (reply !== 'hang' && reply !== 'died') return reply;
    this.stop();
    const why = reply === 'hang' ? `hang: no result after ${CASE_TIMEOUT_MS / 1000} s` : 'the runner process died';
    const got = reply === 'hang' ? '<no result>' : `<${this.stderr.trim().split('\n').slice(-1)[0] ?? ''}>`;
    if (plainOnly || c.kind !== 'run') return { status: 'failed', why, got, plain: plainOnly ? `plain jq: ${why}` : undefined };
    const plain = await this.evaluate(c, true);
    return { status: 'failed', why, got, plain: plain.status === 'failed' ? plain.plain : undefined };
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The tests.

interface FileReport {
  readonly name: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Reason → the lines of the cases skipped for it. */
  readonly skipReasons: Map<string, number[]>;
  readonly failures: string[];
  ms: number;
}

function passRate(r: FileReport): number {
  const applicable = r.passed + r.failed;
  return applicable === 0 ? 1 : r.passed / applicable;
}

function summaryLine(r: FileReport): string {
  return `jq conformance ${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (applicable pass rate ${(passRate(r) * 100).toFixed(1)}%, ${Math.round(r.ms)} ms)`;
}

async function runFile(runner: Runner, name: string): Promise<FileReport> {
  const started = performance.now();
  const cases = parseJqTestFile(readFileSync(`${TESTS_DIR}${name}`, 'utf8'), name);
  assert.ok(cases.length > 0, `${name}: no cases`);
  const results: { c: JqTestCase; v: Verdict }[] = [];
  for (const c of cases) {
    const reason = skipReason(c);
    results.push({ c, v: reason !== undefined ? { status: 'skipped', reason } : await runner.evaluate(c) });
  }
  // A jq built without Oniguruma fails every regex case the same way: a missing feature, not failures.
  const applicable = results.filter((r) => r.v.status !== 'skipped');
  if (REGEX_FILES.has(name) && applicable.length > 0 && applicable.every((r) => r.v.status === 'failed' && NO_REGEX.test(r.v.got))) {
    for (const r of applicable) r.v = { status: 'skipped', reason: 'regex: this jq has no Oniguruma' };
  }
  const report: FileReport = { name, passed: 0, failed: 0, skipped: 0, skipReasons: new Map(), failures: [], ms: 0 };
  for (const { c, v } of results) {
    if (v.status === 'passed') report.passed++;
    else if (v.status === 'skipped') {
      report.skipped++;
      report.skipReasons.set(v.reason, [...(report.skipReasons.get(v.reason) ?? []), c.line]);
    } else {
      report.failed++;
      report.failures.push(
        c.kind === 'run'
          ? `${name}:${c.line} ${v.why}: ${c.program}  input ${c.input}  expected ${c.expected.join(' | ') || '<no output>'}  got ${v.got}  [${v.plain ?? 'plain jq: not run'}]`
          : `${name}:${c.line} %%FAIL ${v.why}: ${c.program}  expected ${c.message[0] ?? ''}  got ${v.got}`,
      );
    }
  }
  report.ms = performance.now() - started;
  return report;
}

function print(r: FileReport): void {
  const lines = [summaryLine(r)];
  for (const f of r.failures.slice(0, MAX_FAILURES_SHOWN)) lines.push(`  FAIL ${f}`);
  if (r.failures.length > MAX_FAILURES_SHOWN) lines.push(`  ... and ${r.failures.length - MAX_FAILURES_SHOWN} more failures`);
  for (const [reason, at] of r.skipReasons) lines.push(`  skipped ${at.length}: ${reason} (lines ${at.join(', ')})`);
  console.log(lines.join('\n'));
}

function defineTests(): void {
  const missing = existsSync(TESTS_DIR) ? undefined : `jq's test files are not at ${TESTS_DIR}`;
  const runner = new Runner();
  const reports: FileReport[] = [];

  describe('jq 1.8.2 conformance through JqEngine', { skip: missing }, () => {
    before(async () => {
      await runner.evaluate({ kind: 'run', file: '<warm-up>', line: 0, program: '.', input: 'null', expected: ['null'] });
    });
    after(() => {
      runner.stop();
      const total = reports.reduce((t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped, ms: t.ms + r.ms }), { passed: 0, failed: 0, skipped: 0, ms: 0 });
      if (reports.length > 0) console.log(`jq conformance total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${Math.round(total.ms)} ms)`);
    });

    for (const file of FILES) {
      test(file.name, async () => {
        const report = await runFile(runner, file.name);
        reports.push(report);
        print(report);
        if (file.minPassRate !== undefined) {
          assert.ok(passRate(report) >= file.minPassRate, `${summaryLine(report)}: below ${file.minPassRate * 100}%`);
        }
      });
    }
  });
}

if (process.env[RUNNER_ENV] === '1') void serveAsRunner();
else defineTests();
