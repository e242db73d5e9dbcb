/**
 * The de-duplication index a listener builds at start-up, over 1,000,000 stored signed-shape JSON
 * records (random 64-byte signatures) in one plain file: the load itself, beside reading the lines
 * alone and the same load keyed through a createHash object per record (the key function before
 * crypto.hash), all in one run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitSignature } from '../src/records/signing.js';
import { DedupeIndex, indexStoredRecords } from '../src/store/dedupe.js';
import { readLineBatches } from '../src/store/read.js';

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

/** The key function as it was: one Hash object per record, fed in four updates. */
function keyThroughHashObject(record: Buffer): Buffer {
  const parts = splitSignature(record.toString('utf8'));
  const hash = createHash('sha256');
  if (parts) hash.update('sig\0').update(parts.sig).update('\0').update(parts.message);
  else hash.update('raw\0').update(record);
  return hash.digest().subarray(0, 16);
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
    rows.push(
      await timed('keys through a createHash object per record (before)', count, async () => {
        const index = new DedupeIndex();
        for await (const batch of readLineBatches(file)) for (const line of batch) index.add(keyThroughHashObject(line.bytes));
        return index.bytes;
      }),
    );
    rows.push(
      await timed('keys through crypto.hash (indexStoredRecords, now)', count, async () => {
        const index = new DedupeIndex();
        await indexStoredRecords(index, [file]);
        return index.bytes;
      }),
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
