/**
 * Batches of records as bytes. A batch is a list of slabs, each holding one or more records
 * already joined with `\n`, so records rendered in bulk (by generator threads) pass through
 * without one object per record. The builder cuts by record count and by decoded size.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);
const NEWLINE = Buffer.from('\n');

/** Records ready to send. */
export interface Batch {
  readonly slabs: readonly Buffer[];
  readonly count: number;
  /** Decoded size: the records plus the newlines between them. */
  readonly bytes: number;
}

/** The body of a batch: its records joined with `\n`, gzip-compressed on libuv's thread pool. */
export function compress(batch: Batch): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const slab of batch.slabs) {
    if (parts.length > 0) parts.push(NEWLINE);
    parts.push(slab);
  }
  return gzip(Buffer.concat(parts));
}

/** The records of a batch as text lines (for tests and logs). */
export function batchLines(batch: Batch): string[] {
  return batch.slabs.flatMap((slab) => slab.toString('utf8').split('\n'));
}

/** Accumulates records and cuts batches at the count and size limits. */
export class BatchBuilder {
  private slabs: Buffer[] = [];
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxBytes: number,
    /** Receives every full batch. */
    private readonly onBatch: (batch: Batch) => void,
  ) {}

  /** Records waiting in the current, not yet full batch. */
  get pending(): number {
    return this.count;
  }

  /** Adds one record (UTF-8, without newline). */
  addRecord(record: Buffer): void {
    this.addRecords(record, Uint32Array.of(record.length));
  }

  /**
   * Adds records stored back to back in `bytes`, joined by `\n`; `ends[i]` is the offset just past
   * record i. Cuts a batch whenever the next record would not fit.
   */
  addRecords(bytes: Buffer, ends: ArrayLike<number>): void {
    let slabStart = -1;
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const length = ends[i]! - start;
      if (this.count > 0 && (this.count >= this.maxRecords || this.bytes + length + 1 > this.maxBytes)) {
        // The slab so far ends where the previous record ends (just before its newline).
        if (slabStart >= 0) this.slabs.push(bytes.subarray(slabStart, start - 1));
        slabStart = -1;
        this.cut();
      }
      if (slabStart < 0) slabStart = start;
      this.bytes += length + (this.count > 0 ? 1 : 0);
      this.count++;
      start = ends[i]! + 1;
    }
    if (slabStart >= 0) this.slabs.push(bytes.subarray(slabStart, start - 1));
    if (this.count >= this.maxRecords) this.cut();
  }

  /** Cuts the current batch if it holds any record. */
  cut(): void {
    if (this.count === 0) return;
    const batch: Batch = { slabs: this.slabs, count: this.count, bytes: this.bytes };
    this.slabs = [];
    this.count = 0;
    this.bytes = 0;
    this.onBatch(batch);
  }
}

/** Splits text records into batches (replay jobs, API-call events). */
export function batchesOf(lines: readonly string[], maxRecords: number, maxBytes: number): Batch[] {
  const out: Batch[] = [];
  const builder = new BatchBuilder(maxRecords, maxBytes, (b) => out.push(b));
  const { bytes, ends } = encodeLines(lines);
  builder.addRecords(bytes, ends);
  builder.cut();
  return out;
}

/**
 * Encodes records joined by `\n` into one buffer, with the end offset of each: one pass, one copy
 * (writing record by record measured 4x cheaper than encoding one joined string). The buffer owns
 * its memory (never Node's shared pool), so it can be transferred between threads.
 */
export function encodeLines(lines: readonly string[]): { bytes: Buffer; ends: Uint32Array } {
  let capacity = lines.length;
  for (const line of lines) capacity += line.length; // exact for ASCII; grown below for anything else
  let bytes = Buffer.allocUnsafeSlow(Math.max(1, capacity));
  const ends = new Uint32Array(lines.length);
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (offset + line.length * 3 + 1 > bytes.length) {
      const needed = offset + Buffer.byteLength(line) + 1;
      if (needed > bytes.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(needed, bytes.length * 2));
        bytes.copy(grown, 0, 0, offset);
        bytes = grown;
      }
    }
    if (i > 0) bytes[offset++] = 0x0a;
    offset += bytes.write(line, offset, 'utf8');
    ends[i] = offset;
  }
  return { bytes: bytes.subarray(0, offset), ends };
}
