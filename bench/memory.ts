/**
 * Listener memory: RSS when idle (against a bare node:http server and `node -e` idling, in the same
 * run), and RSS after millions of records posted as 1 MiB gzip batches (growth means a leak).
 */
import { spawn } from 'node:child_process';
import { postBatches } from './ingest.js';
import { memory, MB } from './support/proc.js';
import { beforeTarget, startListenerTarget, startMinimalNodeTarget, type Target } from './support/targets.js';

export interface IdleRow {
  readonly process: string;
  readonly rssMb: number;
}

export interface SustainedResult {
  readonly warmRecords: number;
  readonly records: number;
  readonly warmRssMb: number;
  readonly finalRssMb: number;
  readonly peakRssMb: number;
  readonly growth: number;
}

/** Lets a fresh process settle (start-up garbage collected) before reading its RSS. */
async function settledRss(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return memory(pid).rss / MB;
}

export async function benchIdle(): Promise<IdleRow[]> {
  const rows: IdleRow[] = [];
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    rows.push({ process: '`node -e` idling (no modules)', rssMb: await settledRss(bare.pid!) });
  } finally {
    bare.kill();
  }
  const before = beforeTarget();
  for (const start of [startMinimalNodeTarget, () => startListenerTarget(), ...(before ? [before] : [])] as (() => Promise<Target>)[]) {
    const target = await start();
    try {
      rows.push({ process: target.name, rssMb: await settledRss(target.pid) });
    } finally {
      await target.stop();
    }
  }
  return rows;
}

/** Posts `records` records (after `records / 10` to warm up) and compares the listener's RSS. */
export async function benchSustained(scale: number): Promise<SustainedResult> {
  const records = Math.max(500_000, Math.round(10_000_000 * scale));
  const warmRecords = Math.round(records / 10);
  const target = await startListenerTarget();
  try {
    let peak = 0;
    const sample = () => (peak = Math.max(peak, memory(target.pid).rss / MB));
    await postBatches(target.url, warmRecords, { onProgress: sample });
    const warmRssMb = memory(target.pid).rss / MB;
    const result = await postBatches(target.url, records - warmRecords, { onProgress: sample });
    const finalRssMb = memory(target.pid).rss / MB;
    const stored = target.storedRecords() ?? 0;
    if (stored < warmRecords + result.records) throw new Error(`sustained: ${stored} of ${warmRecords + result.records} records stored`);
    return { warmRecords, records: warmRecords + result.records, warmRssMb, finalRssMb, peakRssMb: Math.max(peak, finalRssMb), growth: finalRssMb / warmRssMb };
  } finally {
    await target.stop();
  }
}
