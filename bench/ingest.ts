/**
 * Ingest benchmarks of `konnect-audit listen`, each side by side in one run with its baselines:
 * - single-record posts driven by wrk (50 connections): requests/s, p50/p99, CPU, peak RSS,
 *   against a minimal node:http receiver (Node's floor) and nginx + echo (a raw-HTTP ceiling);
 * - 1 MiB gzip batches as Konnect sends them: records/s, against a receiver that only gunzips;
 * - acknowledgement latency under a steady 2,000 requests/s (open loop).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, memory, MB } from './support/proc.js';
import { AUTHORIZATION, beforeTarget, nginxAvailable, startDurableNodeTarget, startGunzipOnlyTarget, startListenerTarget, startMinimalNodeTarget, startNginxTarget, type Target } from './support/targets.js';
import { recordBytes, runWrk } from './support/wrk.js';

export interface PostsRow {
  readonly target: string;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU cores busy on average (user + system of the target's process, all threads). */
  readonly cpuCores: number;
  readonly cpuMicrosPerRequest: number;
  readonly peakRssMb: number;
}

export interface BatchRow {
  readonly target: string;
  readonly records: number;
  readonly batches: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly peakRssMb: number;
}

export interface SteadyRow {
  readonly target: string;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const POSTS_CONNECTIONS = 50;
const PACED_CONNECTIONS = 26;

type Starter = () => Promise<Target>;

function starters(options: { durable?: boolean; dedupe?: boolean } = {}): [string, Starter][] {
  const list: [string, Starter][] = [
    ['listen', () => startListenerTarget()],
    ['node', startMinimalNodeTarget],
  ];
  if (options.durable) list.splice(2, 0, ['durable', startDurableNodeTarget]);
  // Unique records only: the de-duplication the listener does by default, signature checks still off.
  if (options.dedupe) list.splice(1, 0, ['dedupe', () => startListenerTarget([], { dedupe: true, name: 'konnect-audit listen, de-duplication on (the default)' })]);
  const before = beforeTarget();
  if (before) list.splice(1, 0, ['before', before]);
  if (nginxAvailable()) list.push(['nginx', startNginxTarget]);
  return list;
}

/** wrk against each target in turn, after a 1 s warm-up; checks every answered request was stored. */
export async function benchPosts(scale: number): Promise<PostsRow[]> {
  const seconds = Math.max(2, Math.round(10 * scale));
  const rows: PostsRow[] = [];
  for (const [, start] of starters({ durable: true, dedupe: true })) {
    const target = await start();
    try {
      await runWrk(target.url, POSTS_CONNECTIONS, 1);
      const storedBefore = target.storedRecords();
      const cpuBefore = cpuSeconds(target.pid);
      const result = await runWrk(target.url, POSTS_CONNECTIONS, seconds);
      const cpu = cpuSeconds(target.pid) - cpuBefore;
      if (result.errors > 0) throw new Error(`${target.name}: ${result.errors} requests failed`);
      const storedAfter = target.storedRecords();
      if (storedBefore !== undefined && storedAfter !== undefined && storedAfter - storedBefore < result.requests) {
        throw new Error(`${target.name}: ${result.requests} requests answered but only ${storedAfter - storedBefore} records stored`);
      }
      rows.push({
        target: target.name,
        requests: result.requests,
        requestsPerSecond: result.requestsPerSecond,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        cpuCores: cpu / result.seconds,
        cpuMicrosPerRequest: (cpu / result.requests) * 1e6,
        peakRssMb: memory(target.pid).peakRss / MB,
      });
    } finally {
      await target.stop();
    }
  }
  return rows;
}

interface PosterResult {
  readonly records: number;
  readonly batches: number;
  readonly seconds: number;
  readonly failures: number;
  readonly failureReasons: string[];
  readonly recordsPerBatch: number;
  readonly gzipBytes: number;
}

/**
 * Runs the batch poster (its own process) against `url` until `records` are acknowledged; calls
 * `onProgress` with the acknowledged count as batches are answered.
 */
export async function postBatches(url: string, records: number, options: { connections?: number; distinct?: number; onProgress?: (acknowledged: number) => void } = {}): Promise<PosterResult> {
  const script = fileURLToPath(new URL('./support/batch-poster.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, url, AUTHORIZATION, String(records), String(options.connections ?? 4), String(options.distinct ?? 40)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.on('message', (message: { ready?: boolean; acknowledged?: number }) => {
    if (message.ready) child.send('go');
    else if (message.acknowledged !== undefined) options.onProgress?.(message.acknowledged);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve)); // 'close': all of stdout read
  if (code !== 0) throw new Error(`batch poster exited with ${code}`);
  const result = JSON.parse(output) as PosterResult;
  if (result.failures > 0) throw new Error(`batch poster: ${result.failures} batches failed (${result.failureReasons.join(', ')})`);
  return result;
}

/** 1 MiB gzip batches over 4 connections: the listener (one fsync per request at most) and the gunzip-only floor. */
export async function benchBatches(scale: number): Promise<BatchRow[]> {
  const records = Math.max(100_000, Math.round(2_000_000 * scale));
  const rows: BatchRow[] = [];
  const before = beforeTarget();
  for (const start of [() => startListenerTarget(), ...(before ? [before] : []), startGunzipOnlyTarget]) {
    const target = await start();
    try {
      await postBatches(target.url, 50_000);
      const storedBefore = target.storedRecords();
      const result = await postBatches(target.url, records);
      const storedAfter = target.storedRecords();
      if (storedBefore !== undefined && storedAfter !== undefined && storedAfter - storedBefore < result.records) {
        throw new Error(`${target.name}: ${result.records} records acknowledged but ${storedAfter - storedBefore} stored`);
      }
      rows.push({
        target: target.name,
        records: result.records,
        batches: result.batches,
        seconds: result.seconds,
        recordsPerSecond: result.records / result.seconds,
        peakRssMb: memory(target.pid).peakRss / MB,
      });
    } finally {
      await target.stop();
    }
  }
  return rows;
}

/**
 * A paced load of about `rate` requests/s: wrk with `PACED_CONNECTIONS` connections, each waiting
 * `1000 * PACED_CONNECTIONS / rate` ms after an answer before its next request (wrk's `delay`);
 * latency as wrk measures it (HdrHistogram, from each request's send). The achieved rate is
 * reported next to it.
 */
export async function benchSteady(scale: number, rate = 2000): Promise<SteadyRow[]> {
  const seconds = Math.max(3, Math.round(15 * scale));
  // Per connection: delay + latency per request, so a little over rate/1000*delay connections.
  const delayMs = Math.round((1000 * PACED_CONNECTIONS) / rate / 1.3);
  const rows: SteadyRow[] = [];
  for (const [, start] of starters()) {
    const target = await start();
    try {
      await runWrk(target.url, PACED_CONNECTIONS, 1, delayMs);
      const result = await runWrk(target.url, PACED_CONNECTIONS, seconds, delayMs);
      if (result.errors > 0) throw new Error(`${target.name}: ${result.errors} requests failed at ${rate}/s`);
      rows.push({ target: target.name, requests: result.requests, requestsPerSecond: result.requestsPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, maxMs: result.maxMs });
    } finally {
      await target.stop();
    }
  }
  return rows;
}

export { recordBytes };
