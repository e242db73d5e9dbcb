/**
 * The listener's de-duplication: a record already stored (same `sig`, or same bytes when unsigned,
 * or the same event stored as a pulled record) is acknowledged but not written again. The index is rebuilt from the stored files at start-up
 * and forgets keys after DEDUPE_WINDOW_MS, longer than Konnect keeps records to resend.
 */
import { DedupeIndex, indexStoredRecords, recordKey } from '../store/dedupe.js';
import { PulledEvents } from './pulledEvents.js';

/** Konnect keeps 7 days of records for replays; one more day of margin. */
export const DEDUPE_WINDOW_MS = 8 * 24 * 60 * 60 * 1000;
const EVICTION_INTERVAL_MS = 60 * 60 * 1000;

export class Deduplicator {
  /** Records acknowledged without being written again. */
  duplicates = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly index: DedupeIndex,
    /** Records read from the store at start-up. */
    readonly loaded: number,
    /** Events the store holds as pulled records (`pull --store`), which arrive again with another signature. */
    readonly pulled: PulledEvents,
  ) {}

  /**
   * Builds the index from the stored files (missing ones are skipped; an unreadable one is reported
   * to onError and skipped, so a damaged old segment never stops a listener from receiving).
   */
  static async load(files: readonly string[], onError?: (file: string, error: Error) => void): Promise<Deduplicator> {
    const index = new DedupeIndex();
    const pulled = new PulledEvents();
    const loaded = await indexStoredRecords(index, files, Date.now(), onError, (text) => pulled.consider(text));
    return new Deduplicator(index, loaded, pulled);
  }

  /**
   * Wraps a store: records already known (stored before, or earlier in the same request) are
   * dropped first; the keys of the rest are reserved at once, so two requests carrying the same
   * record at the same time store it once, and released again if the store fails.
   */
  wrap(store: (records: Buffer[]) => Promise<void>): (records: Buffer[]) => Promise<void> {
    return async (records) => {
      const fresh: Buffer[] = [];
      const keys: Buffer[] = [];
      for (const record of records) {
        const key = recordKey(record);
        // A record already pulled keeps its key reserved: its repeats are dropped at the first check.
        if (this.index.add(key) && !this.pulled.holds(record)) {
          fresh.push(record);
          keys.push(key);
        } else {
          this.duplicates++;
        }
      }
      if (fresh.length === 0) return;
      try {
        await store(fresh);
      } catch (error) {
        for (const key of keys) this.index.delete(key);
        throw error;
      }
    };
  }

  /** Forgets old keys every hour until stop() (the timer does not keep the process alive). */
  startEviction(now: () => number = Date.now): void {
    this.#timer = setInterval(() => this.index.dropOlderThan(now() - DEDUPE_WINDOW_MS), EVICTION_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
