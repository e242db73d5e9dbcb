/**
 * Counting a profile's stored records whose own event time lies in a range, again and again while
 * a replay job delivers: rotated segments that cannot hold the range are never opened, a segment
 * already counted is not read again (segments do not change once rotated), and the active
 * events.jsonl is read only from where the last count stopped.
 *
 * @example
 * const counter = new RangeCounter(paths.dir, { startMs, endMs });
 * const before = await counter.count();
 * // ... replay ...
 * const after = await counter.count();
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { TimeRange } from '../konnect/replayJob.js';
import { recordTime } from '../query/time.js';
import { recordToJson } from '../records/parse.js';
import { ACTIVE_EVENTS_FILE, LineSplitter, readLineBatches, storedEventFiles, type Line } from '../store/read.js';
import { segmentMayHoldSince } from '../store/segments.js';

/** What is known of one file from the last count. */
interface Counted {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly count: number;
  /** Bytes read up to the end of the last complete line (the active file is read on from here). */
  readonly offset: number;
}

/** True when the record's own time (rt, else event_ts) lies in the range, both ends inclusive. */
export function recordInRange(text: string, range: TimeRange): boolean {
  let time: number | undefined;
  try {
    time = recordTime(JSON.parse(recordToJson(text)) as Record<string, unknown>);
  } catch {
    return false; // a record that cannot be read has no time
  }
  return time !== undefined && time >= range.startMs && time <= range.endMs;
}

function countLines(lines: readonly Line[], range: TimeRange): number {
  let n = 0;
  for (const line of lines) if (recordInRange(line.text, range)) n++;
  return n;
}

/** Counts the records of a profile directory in a range; reuse one instance to count again cheaply. */
export class RangeCounter {
  private readonly known = new Map<string, Counted>();

  constructor(
    private readonly dir: string,
    private readonly range: TimeRange,
  ) {}

  /** The number of stored records (segments, gzip or not, and events.jsonl) whose event time is in the range. */
  async count(): Promise<number> {
    const files = (await storedEventFiles(this.dir)).filter((f) => basename(f) === ACTIVE_EVENTS_FILE || segmentMayHoldSince(f, this.range.startMs));
    const seen = new Map<string, Counted>();
    let total = 0;
    for (const file of files) {
      const counted = await this.countFile(file);
      if (!counted) continue; // rotated or compressed away meanwhile: its records are in the next file
      seen.set(file, counted);
      total += counted.count;
    }
    this.known.clear();
    for (const [file, counted] of seen) this.known.set(file, counted);
    return total;
  }

  private async countFile(file: string): Promise<Counted | undefined> {
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const previous = this.known.get(file);
    const same = previous !== undefined && previous.ino === info.ino;
    if (same && previous.size === info.size && previous.mtimeMs === info.mtimeMs) return previous;
    const active = basename(file) === ACTIVE_EVENTS_FILE;
    try {
      if (active) {
        // Appended to only: go on from the last complete line, unless it was replaced (rotation) or shrank.
        const from = same && info.size >= previous.offset ? previous : undefined;
        const { count, offset } = await countAppended(file, from?.offset ?? 0, this.range);
        return { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, count: (from?.count ?? 0) + count, offset: (from?.offset ?? 0) + offset };
      }
      let count = 0;
      for await (const batch of readLineBatches(file)) count += countLines(batch, this.range);
      return { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, count, offset: info.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

/**
 * Counts the complete lines of a plain file from byte `start` on; a last line without its newline
 * (a write in progress) is left for the next count. Returns the count and the bytes consumed.
 */
async function countAppended(file: string, start: number, range: TimeRange): Promise<{ count: number; offset: number }> {
  const splitter = new LineSplitter();
  let count = 0;
  let consumed = 0;
  let read = 0;
  for await (const chunk of createReadStream(file, { start, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    count += countLines(splitter.push(chunk), range);
    read += chunk.length;
    const lastNewline = chunk.lastIndexOf(0x0a);
    if (lastNewline >= 0) consumed = read - chunk.length + lastNewline + 1;
  }
  return { count, offset: consumed };
}
