/**
 * `pull --store`: adds pulled records to a profile's store as the listener would — under the
 * profile's lock (one writer per profile), de-duplicated against every record the store may
 * still hold from Konnect's retention window, appended durably, one compact JSON line each.
 */
import { DEDUPE_WINDOW_MS, Deduplicator } from '../listener/dedupe.js';
import { ensurePrivateDir } from '../store/files.js';
import { openEventLog, type EventLog } from '../store/eventLog.js';
import { acquireProfileLock, ProfileLockedError, type ProfileLock } from '../store/lock.js';
import type { ProfilePaths } from '../store/paths.js';
import { storedEventFiles } from '../store/read.js';
import { segmentMayHoldSince } from '../store/segments.js';
import { indexWebhookEvents, pulledEventKey } from '../store/sameEvent.js';

/** A pulled record and its line as stored (compact JSON, as Konnect sent it). */
export interface PulledLine {
  readonly record: Readonly<Record<string, unknown>>;
  readonly line: string;
}

/** The time range of the records to be added (epoch ms; `toMs` Infinity when following). */
export interface StoreRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** A listener (or another `pull --store`) holds the profile. */
export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError';
  constructor(
    readonly pid: number,
    readonly dir: string,
  ) {
    super(
      `another process (pid ${pid}, a listener or a pull --store) owns the store of this profile (${dir}); ` +
        'a running listener is the only writer of its store: have Konnect send the range to it again with konnect-audit replay --since ..., ' +
        `or stop the listener first (konnect-audit ps stop ${pid}, or Ctrl+C in its terminal), or pull without --store`,
    );
  }
}

/** An open store that pulled records are added to. */
export class PullStore {
  /** Records appended by this run. */
  stored = 0;

  private readonly append: (records: Buffer[]) => Promise<void>;

  private constructor(
    private readonly lock: ProfileLock,
    private readonly log: EventLog,
    private readonly dedupe: Deduplicator,
    /** Event keys of the webhook records stored for the range. */
    private readonly webhookEvents: ReadonlySet<string>,
  ) {
    this.append = dedupe.wrap(async (fresh) => {
      await log.append(fresh);
      this.stored += fresh.length;
    });
  }

  /** The events file records are appended to. */
  get file(): string {
    return this.log.path;
  }

  /** Records skipped because the store already held them as the listener received them (webhook records). */
  sameEvents = 0;

  /** Records skipped because the store already held them, in either shape (or they came twice in this run). */
  get duplicates(): number {
    return this.dedupe.duplicates + this.sameEvents;
  }

  /**
   * Takes the profile's lock (StoreBusyError while a listener runs), opens `events.jsonl` and
   * indexes the stored records Konnect could still send (segments of the last 8 days, the active
   * file, the quarantine), as the listener does at start-up, and the events of the range stored as
   * webhook records (sameEvent.ts).
   * @example
   * const store = await PullStore.open(profilePaths(dataDir, 'default'), { fromMs, toMs }, warn);
   * try { await store.add([{ record, line: JSON.stringify(record) }]); } finally { await store.close(); }
   */
  static async open(paths: ProfilePaths, range: StoreRange, warn: (message: string) => void, now = Date.now()): Promise<PullStore> {
    await ensurePrivateDir(paths.dir);
    let lock: ProfileLock;
    try {
      lock = await acquireProfileLock(paths.lockFile);
    } catch (error) {
      if (error instanceof ProfileLockedError) throw new StoreBusyError(error.pid, paths.dir);
      throw error;
    }
    try {
      const files = await storedEventFiles(paths.dir);
      const onError = (file: string, error: Error) => warn(`warning: cannot read ${file} for de-duplication (records it holds may be stored again): ${error.message}`);
      const recent = files.filter((file) => segmentMayHoldSince(file, now - DEDUPE_WINDOW_MS));
      const dedupe = await Deduplicator.load([...recent, paths.quarantineFile], onError);
      // A record is received after its event: segments closed before the range began hold none of its events.
      const webhookEvents = await indexWebhookEvents(
        files.filter((file) => segmentMayHoldSince(file, range.fromMs)),
        range.fromMs,
        range.toMs,
        onError,
      );
      return new PullStore(lock, await openEventLog(paths.eventsFile), dedupe, webhookEvents);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Appends the records the store does not hold yet, in either shape; resolves once they are on disk. */
  async add(records: readonly PulledLine[]): Promise<void> {
    const lines: Buffer[] = [];
    for (const { record, line } of records) {
      const event = this.webhookEvents.size > 0 ? pulledEventKey(record) : undefined;
      if (event !== undefined && this.webhookEvents.has(event)) this.sameEvents++;
      else lines.push(Buffer.from(line, 'utf8'));
    }
    if (lines.length > 0) await this.append(lines);
  }

  /** Closes the events file and releases the lock. */
  async close(): Promise<void> {
    try {
      await this.log.close();
    } finally {
      await this.lock.release();
    }
  }
}
