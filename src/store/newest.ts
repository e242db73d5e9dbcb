/**
 * The time of the newest record a profile holds, found without reading the whole store: records
 * are appended in receive order, so the newest event time is among the last records of the newest
 * non-empty file (Konnect does not promise order, hence a window of records, not just the last).
 */
import { open, stat } from 'node:fs/promises';
import { recordToJson } from '../records/parse.js';
import { recordTime } from '../query/time.js';
import { LineSplitter, isGzip, readLineBatches, storedEventFiles, type Line } from './read.js';

/** Records looked at from the end of the newest file. */
export const NEWEST_WINDOW = 2000;
/** Bytes read from the end of a plain file (records are ~0.5-1 KiB). */
const TAIL_BYTES = 4 * 1024 * 1024;

export interface NewestRecord {
  /** Epoch ms of the newest record time seen in the window. */
  readonly timeMs: number;
  /** The file it was found in. */
  readonly file: string;
}

/**
 * The newest record time among the last NEWEST_WINDOW records of the newest stored file that has
 * any (events.jsonl, else the newest segment), or undefined when the store holds no record with a
 * time. Records that do not parse are skipped.
 * @example const newest = await newestRecord(paths.dir); // { timeMs: 1795000000000, file: '.../events.jsonl' }
 */
export async function newestRecord(dir: string): Promise<NewestRecord | undefined> {
  const files = await storedEventFiles(dir);
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i]!;
    const lines = await lastLines(file, NEWEST_WINDOW).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as Line[]; // removed by retention meanwhile
      throw error;
    });
    let newest: number | undefined;
    for (const line of lines) {
      const time = timeOf(line.text);
      if (time !== undefined && (newest === undefined || time > newest)) newest = time;
    }
    if (newest !== undefined) return { timeMs: newest, file };
  }
  return undefined;
}

function timeOf(text: string): number | undefined {
  try {
    return recordTime(JSON.parse(recordToJson(text)) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** The last `count` records of a file: read from the end for plain files, streamed for gzip. */
async function lastLines(file: string, count: number): Promise<Line[]> {
  if (await isGzip(file)) {
    const kept: Line[] = [];
    for await (const batch of readLineBatches(file)) {
      kept.push(...batch);
      if (kept.length > count * 2) kept.splice(0, kept.length - count);
    }
    return kept.slice(-count);
  }
  const size = (await stat(file)).size;
  const from = Math.max(0, size - TAIL_BYTES);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    let chunk = buffer.subarray(0, bytesRead);
    // Started mid-line: drop the partial first line.
    if (from > 0) chunk = chunk.subarray(chunk.indexOf(0x0a) + 1);
    const splitter = new LineSplitter();
    const lines = [...splitter.push(chunk), ...splitter.end()];
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}
