/**
 * Background work on the profile's segments, one job at a time: at start-up, settling what a crash
 * left (partial compressions, uncompressed segments) and applying retention; after each rotation,
 * compressing the new segment and applying retention again. Failures are reported, never fatal:
 * an uncompressed segment is still read by every command and retried at the next start.
 */
import { applyRetention, compressSegment, repairSegments, type RetentionPolicy } from '../store/rotation.js';

export class StoreMaintenance {
  #queue: Promise<void> = Promise.resolve();
  /** Segments compressed and deleted so far (for logs and tests). */
  compressed = 0;
  deleted = 0;

  constructor(
    private readonly dir: string,
    private readonly retention: RetentionPolicy,
    private readonly warn: (message: string) => void,
  ) {}

  /** Settles the segments a crash may have left, then applies retention. */
  start(): void {
    this.#enqueue('settle the segments left by an earlier run', async () => {
      this.compressed += (await repairSegments(this.dir)).length;
      this.deleted += (await applyRetention(this.dir, this.retention)).length;
    });
  }

  /** Compresses a segment just closed, then applies retention. */
  segmentClosed(path: string): void {
    this.#enqueue(`compress ${path}`, async () => {
      if (await compressSegment(path)) this.compressed++;
      this.deleted += (await applyRetention(this.dir, this.retention)).length;
    });
  }

  /** Resolves when every queued job has finished. */
  idle(): Promise<void> {
    return this.#queue;
  }

  #enqueue(what: string, job: () => Promise<void>): void {
    this.#queue = this.#queue.then(job).catch((error: unknown) => this.warn(`warning: could not ${what}: ${(error as Error).message}`));
  }
}
