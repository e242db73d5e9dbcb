/**
 * Reading a profile's stored records: which files hold them (rotated segments oldest first, then
 * the active events.jsonl) and their lines, streamed from plain or gzip files (told apart by magic
 * bytes, so a segment reads the same whatever its name). Shared by `verify` and `events`.
 *
 * @example
 * for (const file of await storedEventFiles(paths.dir))
 *   for await (const batch of readLineBatches(file)) for (const line of batch) console.log(line.number, line.text);
 */
import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** The active file the listener appends to. */
export const ACTIVE_EVENTS_FILE = 'events.jsonl';
/** A rotated segment: `events-<anything>.jsonl`, gzip-compressed or not. */
export const SEGMENT_FILE = /^events-.+\.jsonl(\.gz)?$/;

/** One stored record. */
export interface Line {
  /** 1-based, counting every line of the (decompressed) file, blank ones included, as `sed -n Np` does. */
  readonly number: number;
  /** The line without its `\n` (and without a trailing `\r`). */
  readonly text: string;
  /** The exact bytes of `text` (a view of the chunk read: printing them costs no encoding). */
  readonly bytes: Buffer;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const BLANK = /^\s*$/;
/** Read size: a batch of about 2,500 records keeps per-batch costs (jq calls, writes) small. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The profile directory's stored event files as full paths: segments sorted by name (their names
 * start with the time of their first record), then events.jsonl. Empty when the directory does
 * not exist.
 */
export async function storedEventFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const plain = new Set(names.filter((n) => n.endsWith('.jsonl')));
  const segments = names
    .filter((n) => SEGMENT_FILE.test(n))
    // A segment caught mid-compression exists twice: the plain file is the complete one.
    .filter((n) => !(n.endsWith('.gz') && plain.has(n.slice(0, -3))))
    .sort((a, b) => {
      const x = a.replace(/\.gz$/, '');
      const y = b.replace(/\.gz$/, '');
      return x < y ? -1 : x > y ? 1 : 0;
    });
  return [...segments, ...(names.includes(ACTIVE_EVENTS_FILE) ? [ACTIVE_EVENTS_FILE] : [])].map((n) => join(dir, n));
}

/** True when the file starts with gzip's magic bytes. Throws when it cannot be opened. */
export async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Splits a byte stream into records: blank lines are skipped (but counted), a trailing `\r` is
 * dropped. Chunks may end mid-line; the rest is carried to the next chunk.
 */
export class LineSplitter {
  private number = 0;
  private carry: Buffer | undefined;

  /** The complete lines in `chunk` (plus what was carried); their bytes are views of `chunk`, so it must not be reused. */
  push(chunk: Buffer): Line[] {
    const out: Line[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl >= 0 && this.carry) {
      this.emit(Buffer.concat([this.carry, chunk.subarray(0, nl)]), out);
      this.carry = undefined;
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    while (nl >= 0) {
      this.emit(chunk.subarray(start, nl), out);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.carry = this.carry ? Buffer.concat([this.carry, rest]) : rest;
    }
    return out;
  }

  /** True when part of a line is waiting for its newline. */
  get pending(): boolean {
    return this.carry !== undefined;
  }

  /** The last line when it has no newline (a torn write, or a file written by hand): still a record. */
  end(): Line[] {
    const out: Line[] = [];
    if (this.carry) this.emit(this.carry, out);
    this.carry = undefined;
    return out;
  }

  private emit(bytes: Buffer, out: Line[]): void {
    this.number++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    const text = bytes.toString('utf8', 0, end);
    if (BLANK.test(text)) return;
    out.push({ number: this.number, text, bytes: bytes.subarray(0, end) });
  }
}

/** The file's non-blank lines in batches (one per chunk read), streaming; gzip is decompressed. */
export async function* readLineBatches(file: string): AsyncGenerator<Line[]> {
  const gzip = await isGzip(file);
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const source: Readable = gzip ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  // pipe() does not forward the file stream's errors to the gunzip stream.
  if (source !== raw) raw.once('error', (error) => source.destroy(error));
  const splitter = new LineSplitter();
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const lines = splitter.push(chunk);
      if (lines.length > 0) yield lines;
    }
    const last = splitter.end();
    if (last.length > 0) yield last;
  } finally {
    // A consumer that stops early (`events -n 10`) must not leave the file open.
    raw.destroy();
    if (source !== raw) source.destroy();
  }
}
