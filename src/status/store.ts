/**
 * The store half of `status`: how many records a profile holds (counted line by line over the
 * segments and events.jsonl, gzip included; a compressed segment's count is remembered after its
 * first count), their size on disk, its files, the newest record's time and the quarantined
 * records.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { newestRecord } from '../store/newest.js';
import type { ProfilePaths } from '../store/paths.js';
import { ACTIVE_EVENTS_FILE, readLineBatches, storedEventFiles } from '../store/read.js';
import { segmentRecordCounts } from './segmentCounts.js';

/** What a profile's store holds. */
export interface StoreSummary {
  readonly dir: string;
  /** Records counted (not estimated) over every stored file. */
  readonly records: number;
  /** Bytes on disk of the stored files (segments, events.jsonl, quarantine.jsonl). */
  readonly size_bytes: number;
  /** Rotated segments (plain or gzip). */
  readonly segments: number;
  /** Whether events.jsonl exists. */
  readonly active_file: boolean;
  /** The newest record's own time (RFC 3339), or null for an empty store. */
  readonly newest_record_at: string | null;
  /** Records in quarantine.jsonl (`--verify enforce`). */
  readonly quarantined: number;
}

async function countRecords(file: string): Promise<number> {
  let n = 0;
  try {
    for await (const batch of readLineBatches(file)) n += batch.length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // removed by retention meanwhile
  }
  return n;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function exists(dir: string, name: string): Promise<boolean> {
  try {
    return (await readdir(dir)).includes(name);
  } catch {
    return false;
  }
}

/**
 * Summarises the profile's store; an absent directory is an empty store.
 * @example const s = await storeSummary(profilePaths(dataDir, 'default')); console.log(s.records, s.newest_record_at);
 */
export async function storeSummary(paths: ProfilePaths): Promise<StoreSummary> {
  const files = await storedEventFiles(paths.dir);
  const hasQuarantine = await exists(paths.dir, 'quarantine.jsonl');
  const all = hasQuarantine ? [...files, paths.quarantineFile] : files;
  const [counts, sizes, newest] = await Promise.all([segmentRecordCounts(paths.dir, files, countRecords), Promise.all(all.map(sizeOf)), newestRecord(paths.dir)]);
  const active = files.some((f) => f === join(paths.dir, ACTIVE_EVENTS_FILE));
  return {
    dir: paths.dir,
    records: counts.reduce((a, b) => a + b, 0),
    size_bytes: sizes.reduce((a, b) => a + b, 0),
    segments: files.length - (active ? 1 : 0),
    active_file: active,
    newest_record_at: newest ? new Date(newest.timeMs).toISOString() : null,
    quarantined: hasQuarantine ? await countRecords(paths.quarantineFile) : 0,
  };
}
