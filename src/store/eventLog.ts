/**
 * The profile's events file: one record per line, appended durably with group commit, so many
 * concurrent requests cost one durable write per batch instead of one each.
 */
import { constants } from 'node:fs';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { newestSegmentEnd, segmentName } from './rotation.js';
import { DIR_MODE, FILE_MODE, syncDir } from './files.js';

const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;
const NEWLINE = 0x0a;
const NEWLINE_BYTES = Buffer.from([NEWLINE]);

/**
 * Queues records as lines. Records split from one body usually sit back to back in it, one "\n"
 * apart: such a run is queued as one slice of the body, so a 1 MiB batch is copied once, not
 * rebuilt from thousands of pieces.
 */
function queueLines(queue: Buffer[], records: readonly Buffer[]): void {
  let run: Buffer | undefined;
  for (const record of records) {
    if (run !== undefined && record.buffer === run.buffer && record.byteOffset === run.byteOffset + run.length + 1 && record.byteOffset - 1 >= 0 && new Uint8Array(record.buffer, record.byteOffset - 1, 1)[0] === NEWLINE) {
      run = Buffer.from(run.buffer, run.byteOffset, run.length + 1 + record.length);
      continue;
    }
    if (run !== undefined) queue.push(run, NEWLINE_BYTES);
    run = record;
  }
  if (run !== undefined) queue.push(run, NEWLINE_BYTES);
}
/** Bytes read per step when looking back for the last complete line. */
const TAIL_CHUNK_BYTES = 64 * 1024;

/** An append-only, fsynced JSONL events file. */
export interface EventLog {
  readonly path: string;
  /**
   * Appends records, one per line ("\n" after each), durably: resolves only after the bytes are
   * fsynced. Concurrent calls never interleave or tear lines; calls that arrive while a
   * write+fsync is in progress are grouped into the next single write+fsync (group commit).
   * Rejects if the write or fsync fails (and later calls still work if the disk recovers).
   * A record containing "\n" is refused (TypeError), since it would become two lines.
   */
  append(records: readonly Buffer[]): Promise<void>;
  /** Number of records appended through this instance. */
  readonly appended: number;
  /** Number of durable writes (O_DSYNC, as good as write + fdatasync) by this instance: one per group-committed batch. */
  readonly fsyncs: number;
  /** Finishes pending appends, then closes the file; later appends reject. */
  close(): Promise<void>;
  /** Closes the active file into a segment now if the rotation interval has passed (for a timer). */
  rotateIfDue(): Promise<string | undefined>;
  /** Segments closed by this instance. */
  readonly rotations: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Opens (creating with mode 0600, O_APPEND) the events file; a missing directory is created 0700. If
 * the file does not end with "\n" (a torn final line from a crash), the partial last line is
 * truncated away before appending (it was never acknowledged).
 *
 * @example
 * const log = await openEventLog(paths.eventsFile);
 * await log.append([Buffer.from('{"event":1}')]);
 */
export interface RotationOptions {
  /** Rotate once the file holds this many bytes (checked before each write). */
  readonly rotateBytes?: number;
  /** Rotate once the file's first record is this old (checked before each write and by rotateIfDue). */
  readonly rotateIntervalMs?: number;
  /** Called with each closed segment's path (e.g. to compress it in the background). */
  readonly onRotated?: (segmentPath: string) => void;
  readonly now?: () => number;
}

export async function openEventLog(path: string, rotation: RotationOptions = {}): Promise<EventLog> {
  // Create-only: tightening an existing directory is the caller's choice (ensurePrivateDir), never a side effect.
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  // O_DSYNC: each write returns once its bytes (and the size that reaches them) are on disk, so a
  // group costs one trip to the thread pool instead of a write and an fsync.
  const handle = await open(path, OPEN_FLAGS, FILE_MODE);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`events file ${path} is not a regular file`);
    const size = await dropTornTail(handle, stat.size);
    await syncDir(dirname(path)); // the file's directory entry is durable too
    const now = rotation.now ?? Date.now;
    // The file's first receipt: its creation time where the file system records one.
    const startedAt = size > 0 && stat.birthtimeMs > 0 ? stat.birthtimeMs : now();
    return new GroupCommitLog(path, handle, size, { ...rotation, now }, startedAt, await newestSegmentEnd(dirname(path)));
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Truncates the file after its last "\n" (to 0 if it has none); returns the new size. */
async function dropTornTail(handle: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(Math.min(TAIL_CHUNK_BYTES, Math.max(size, 1)));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (at !== -1) {
      end = start + at + 1;
      break;
    }
    end = start;
  }
  if (end !== size) {
    await handle.truncate(end);
    await handle.sync();
  }
  return end;
}

class GroupCommitLog implements EventLog {
  #queue: Buffer[] = [];
  #queuedRecords = 0;
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Bytes known to be complete and fsynced; anything past it after a failure is cut off. */
  #goodSize: number;
  #tailSuspect = false;
  #appended = 0;
  #fsyncs = 0;

  #handle: FileHandle;
  #startedAt: number;
  #lastSegmentEnd: number;
  #rotations = 0;

  constructor(
    readonly path: string,
    handle: FileHandle,
    size: number,
    private readonly rotation: RotationOptions & { readonly now: () => number },
    startedAt: number,
    lastSegmentEnd: number,
  ) {
    this.#handle = handle;
    this.#goodSize = size;
    this.#startedAt = startedAt;
    this.#lastSegmentEnd = lastSegmentEnd;
  }

  get rotations(): number {
    return this.#rotations;
  }

  /** Runs a rotation between two group writes (never during one), then lets waiting appends go. */
  async rotateIfDue(): Promise<string | undefined> {
    while (this.#flushing) await this.#flushing;
    if (this.#closing || !this.#rotationDue()) return undefined;
    const job = this.#rotateNow();
    this.#flushing = job.then(
      () => undefined,
      () => undefined,
    );
    void this.#flushing.then(() => {
      this.#flushing = this.#waiters.length > 0 ? this.#flushLoop() : undefined;
    });
    return job;
  }

  #rotationDue(): boolean {
    if (this.#goodSize === 0) return false;
    const { rotateBytes, rotateIntervalMs, now } = this.rotation;
    return (rotateBytes !== undefined && this.#goodSize >= rotateBytes) || (rotateIntervalMs !== undefined && now() - this.#startedAt >= rotateIntervalMs);
  }

  /**
   * Renames the file to a segment named by its receive-time range and starts a new one. A crash
   * between the two steps leaves the segment and no active file, which the next open creates.
   */
  async #rotateNow(): Promise<string> {
    if (this.#tailSuspect) await this.#handle.truncate(this.#goodSize);
    this.#tailSuspect = false;
    const now = this.rotation.now();
    // Each segment ends strictly after the one before, so names never repeat and sort in receive order.
    const last = Math.max(now, this.#lastSegmentEnd + 1000);
    const dir = dirname(this.path);
    const segment = join(dir, segmentName(Math.min(this.#startedAt, last), last));
    await rename(this.path, segment);
    const next = await open(this.path, OPEN_FLAGS, FILE_MODE);
    await syncDir(dir);
    const old = this.#handle;
    this.#handle = next;
    await old.close();
    this.#goodSize = 0;
    this.#startedAt = now;
    this.#lastSegmentEnd = last;
    this.#rotations++;
    this.rotation.onRotated?.(segment);
    return segment;
  }

  get appended(): number {
    return this.#appended;
  }

  get fsyncs(): number {
    return this.#fsyncs;
  }

  append(records: readonly Buffer[]): Promise<void> {
    if (this.#closing) return Promise.reject(new Error(`events file ${this.path} is closed`));
    if (records.some((r) => r.includes(NEWLINE))) return Promise.reject(new TypeError('a record must not contain "\\n"'));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      queueLines(this.#queue, records);
      this.#queuedRecords += records.length;
      this.#waiters.push({ resolve, reject });
      // The first caller writes at once; callers arriving meanwhile join the next batch.
      this.#flushing ??= this.#flushLoop();
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#flushing;
      await this.#handle.close();
    })();
    return this.#closing;
  }

  async #flushLoop(): Promise<void> {
    while (this.#waiters.length > 0) {
      if (this.#rotationDue()) {
        try {
          await this.#rotateNow();
        } catch {
          // A failed rotation leaves the file as it was: keep appending to it, try again next time.
        }
      }
      const chunks = this.#queue;
      const waiters = this.#waiters;
      const count = this.#queuedRecords;
      this.#queue = [];
      this.#waiters = [];
      this.#queuedRecords = 0;
      try {
        await this.#writeDurably(chunks);
        this.#appended += count;
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  async #writeDurably(chunks: Buffer[]): Promise<void> {
    // A failed batch may have left part of itself behind: cut it before writing again.
    if (this.#tailSuspect) await this.#handle.truncate(this.#goodSize);
    this.#tailSuspect = true;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    try {
      // One writev of the queued slices: no copy of the batch into a new buffer.
      let offset = (await this.#handle.writev(chunks)).bytesWritten;
      if (offset < length) {
        // A short write (the disk filled up, a signal): the rest goes out piece by piece.
        const rest = Buffer.concat(chunks, length);
        while (offset < length) offset += (await this.#handle.write(rest, offset, length - offset, null)).bytesWritten;
      }
    } catch (error) {
      // Unacknowledged bytes must not stay (a retry would duplicate them, a partial line would tear).
      await this.#handle.truncate(this.#goodSize).then(
        () => (this.#tailSuspect = false),
        () => {},
      );
      throw error;
    }
    this.#fsyncs += 1;
    this.#goodSize += length;
    this.#tailSuspect = false;
  }
}
