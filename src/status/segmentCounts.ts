/**
 * Record counts of compressed segments, remembered in `<profile>/segment-counts.json`. A `.gz`
 * segment is never written again once renamed into place, so `status` decompresses each one once
 * (about 2.5 s per million records) instead of on every run. Plain files, which may still grow, are
 * always counted.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readJsonObject, writeJsonAtomic } from '../store/files.js';

/** The cache file's name, beside the segments. */
export const SEGMENT_COUNTS_FILE = 'segment-counts.json';

/** What a cached count is valid for: the file as it was when counted. */
interface CountedSegment {
  readonly size: number;
  readonly mtime_ms: number;
  readonly records: number;
}

function isCounted(value: unknown): value is CountedSegment {
  const v = value as Partial<CountedSegment> | null;
  return typeof v === 'object' && v !== null && Number.isSafeInteger(v.size) && typeof v.mtime_ms === 'number' && Number.isSafeInteger(v.records);
}

/**
 * Each file's record count, in order: `.gz` segments from the cache when their size and mtime are
 * unchanged, everything else through `count`. The cache is rewritten (best effort: a read-only
 * store still gets its counts) when a segment was counted anew or has gone.
 * @example const counts = await segmentRecordCounts(paths.dir, files, countRecords);
 */
export async function segmentRecordCounts(dir: string, files: readonly string[], count: (file: string) => Promise<number>): Promise<number[]> {
  const cacheFile = join(dir, SEGMENT_COUNTS_FILE);
  const cached = (await readJsonObject(cacheFile)) ?? {};
  const next: Record<string, CountedSegment> = {};
  let changed = false;
  const counts = await Promise.all(
    files.map(async (file) => {
      if (!file.endsWith('.gz')) return count(file);
      const name = basename(file);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined) return 0; // removed by retention meanwhile
      const hit = cached[name];
      if (isCounted(hit) && hit.size === info.size && hit.mtime_ms === info.mtimeMs) {
        next[name] = hit;
        return hit.records;
      }
      const records = await count(file);
      next[name] = { size: info.size, mtime_ms: info.mtimeMs, records };
      changed = true;
      return records;
    }),
  );
  if (changed || Object.keys(cached).some((name) => !(name in next))) await writeJsonAtomic(cacheFile, next).catch(() => {});
  return counts;
}
