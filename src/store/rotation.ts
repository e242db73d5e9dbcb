/**
 * Closed segments of the events file: their names (the receive-time range, as `events` and
 * `verify` read them), background gzip that survives a crash at any step, and retention.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { FILE_MODE, syncDir } from './files.js';
import { segmentTimeRange } from './segments.js';

const PLAIN_SEGMENT = /^events-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.jsonl$/;
const GZIP_SEGMENT = /^events-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.jsonl\.gz$/;
const PARTIAL_GZIP = /^events-.+\.jsonl\.gz\.tmp$/;

/** `20261127T171248Z` for a time in ms (UTC, whole seconds). */
export function timeStamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace('.000', '');
}

/** `events-<first>-<last>.jsonl`: names sort in receive order when each `last` is later than the one before. */
export function segmentName(firstMs: number, lastMs: number): string {
  return `events-${timeStamp(firstMs)}-${timeStamp(lastMs)}.jsonl`;
}

/** The `last` time of the newest segment in `dir` (0 when none), so a new name never repeats one. */
export async function newestSegmentEnd(dir: string): Promise<number> {
  let newest = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const range = PLAIN_SEGMENT.test(name) || GZIP_SEGMENT.test(name) ? segmentTimeRange(name) : undefined;
    if (range && range.last > newest) newest = range.last;
  }
  return newest;
}

/**
 * Compresses a plain segment to `<name>.gz`: written as `.gz.tmp`, fsynced, renamed, then the plain
 * file removed. A crash at any step leaves either the plain segment or the complete `.gz`
 * (perhaps both, which repairSegments settles); never a partial `.gz` under its final name.
 */
export async function compressSegment(path: string): Promise<string | undefined> {
  const target = `${path}.gz`;
  const partial = `${target}.tmp`;
  try {
    await pipeline(createReadStream(path), createGzip({ level: 6 }), createWriteStream(partial, { mode: FILE_MODE }));
  } catch (error) {
    await rm(partial, { force: true });
    // Retention deleted the segment first: nothing left to compress.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const handle = await open(partial, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, target);
  await syncDir(dirname(path));
  await rm(path);
  await syncDir(dirname(path));
  return target;
}

/**
 * At start-up: removes partial `.gz.tmp` files, drops a plain segment whose `.gz` is complete,
 * and compresses plain segments left by a crash. Resolves with the segments compressed.
 */
export async function repairSegments(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const present = new Set(names);
  for (const name of names) if (PARTIAL_GZIP.test(name)) await rm(join(dir, name), { force: true });
  const compressed: string[] = [];
  for (const name of names.filter((n) => PLAIN_SEGMENT.test(n)).sort()) {
    if (present.has(`${name}.gz`)) await rm(join(dir, name), { force: true });
    else {
      const done = await compressSegment(join(dir, name));
      if (done) compressed.push(done);
    }
  }
  return compressed;
}

export interface RetentionPolicy {
  /** Segments whose last record was received longer ago than this are deleted. */
  readonly retainMs?: number;
  /** Oldest segments are deleted while all segments together are larger than this. */
  readonly retainBytes?: number;
}

/** Deletes the oldest segments the policy no longer keeps (never the active file); resolves with their paths. */
export async function applyRetention(dir: string, policy: RetentionPolicy, nowMs = Date.now()): Promise<string[]> {
  if (policy.retainMs === undefined && policy.retainBytes === undefined) return [];
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => PLAIN_SEGMENT.test(n) || GZIP_SEGMENT.test(n)).sort();
  const segments = await Promise.all(names.map(async (name) => ({ path: join(dir, name), last: segmentTimeRange(name)!.last, size: (await stat(join(dir, name))).size })));
  let total = segments.reduce((sum, s) => sum + s.size, 0);
  const deleted: string[] = [];
  for (const segment of segments) {
    const tooOld = policy.retainMs !== undefined && nowMs - segment.last > policy.retainMs;
    const tooBig = policy.retainBytes !== undefined && total > policy.retainBytes;
    if (!tooOld && !tooBig) break;
    await rm(segment.path, { force: true });
    total -= segment.size;
    deleted.push(segment.path);
  }
  if (deleted.length > 0) await syncDir(dir);
  return deleted;
}
