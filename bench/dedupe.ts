/**
 * The de-duplication index a listener builds at start-up, over 1,000,000 stored signed-shape JSON
 * records (random 64-byte signatures) in one plain file: the load, beside reading the lines alone
 * and, with `BENCH_BEFORE=<checkout>/dist/konnect-audit.mjs`, the same load by that checkout's
 * source (`src/store/dedupe.ts` beside its dist), all in one run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '../src/store/dedupe.js';
import { readLineBatches } from '../src/store/read.js';

type DedupeModule = typeof current;

export interface DedupeBenchRow {
  readonly run: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Bytes of the table, where one was built. */
  readonly tableBytes?: number;
}

function storedFile(dir: string, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      `{"action":"read","cef_version":"0","event_class_id":"konnect","event_product":"Konnect","event_ts":"2026-11-27T10:00:00Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.control-planes","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"7f5c0001-8d63-48fe-9a1e-53b28dfbc19b","rt":${1764276729807 + i},"severity":1,"src":"10.0.0.7","trace_id":${3895213347334635099n + BigInt(i)},"user_agent":"kongctl/0.9.1","sig":"${randomBytes(64).toString('base64url')}"}`,
    );
  }
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The other checkout's dedupe module, when BENCH_BEFORE names its build and its source is there. */
async function beforeModule(): Promise<DedupeModule | undefined> {
  const cli = process.env.BENCH_BEFORE;
  const source = cli ? join(dirname(cli), '..', 'src', 'store', 'dedupe.ts') : undefined;
  return source && existsSync(source) ? ((await import(pathToFileURL(source).href)) as DedupeModule) : undefined;
}

function load(module: DedupeModule, file: string): () => Promise<number> {
  return async () => {
    const index = new module.DedupeIndex();
    await module.indexStoredRecords(index, [file]);
    return index.bytes;
  };
}

async function timed(run: string, count: number, work: () => Promise<number | undefined>): Promise<DedupeBenchRow> {
  const start = performance.now();
  const tableBytes = await work();
  const seconds = (performance.now() - start) / 1000;
  return { run, records: count, seconds, recordsPerSecond: count / seconds, ...(tableBytes !== undefined ? { tableBytes } : {}) };
}

export async function benchDedupe(scale: number): Promise<DedupeBenchRow[]> {
  const count = Math.max(50_000, Math.round(1_000_000 * scale));
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-dedupe-bench-'));
  try {
    const file = storedFile(dir, count);
    const rows: DedupeBenchRow[] = [];
    rows.push(
      await timed('reading the lines alone', count, async () => {
        for await (const batch of readLineBatches(file)) void batch;
        return undefined;
      }),
    );
    const before = await beforeModule();
    if (before) rows.push(await timed(`indexStoredRecords (${process.env.BENCH_BEFORE_LABEL ?? 'before'})`, count, load(before, file)));
    rows.push(await timed('indexStoredRecords (this build)', count, load(current, file)));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
