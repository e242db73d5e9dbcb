/**
 * `pull --follow`: after the history, keeps asking the pull API for records at or after the newest
 * one seen minus an overlap, and hands on only those not seen before. The overlap catches records
 * that Konnect makes visible late with an earlier `ts`; a set of the records seen inside the
 * overlap (by `signature`, or by their JSON when unsigned) keeps those already printed from
 * repeating. Times come from the records themselves, so a skewed local clock loses nothing.
 */
import type { PullAuditLog, PullLogType } from '../konnect/types.js';
import { pullPages, type PullSource } from './pager.js';

/** How far before the newest record seen each poll starts again (late-visible records). */
export const DEFAULT_OVERLAP_MS = 60_000;

export interface FollowOptions {
  readonly type?: PullLogType;
  readonly pageSize: number;
  /** The start of the history already read (epoch ms): the first poll's floor when it held nothing. */
  readonly startMs: number;
  readonly overlapMs?: number;
}

/** The identity of a pulled record: its signature, or its JSON when it has none. */
export function pulledRecordKey(record: PullAuditLog): string {
  const signature = (record as { signature?: unknown }).signature;
  return typeof signature === 'string' && signature !== '' ? `s:${signature}` : `j:${JSON.stringify(record)}`;
}

/** A record's `ts` in epoch ms, or undefined when it has none that parses. */
export function pulledRecordTime(record: PullAuditLog): number | undefined {
  const ts = (record as { ts?: unknown }).ts;
  if (typeof ts !== 'string') return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Tracks what was handed on and polls for what is new.
 * @example
 * const follower = new PullFollower(client, { pageSize: 1000, startMs });
 * follower.note(history);
 * for await (const fresh of follower.poll()) print(fresh);
 */
export class PullFollower {
  readonly #overlapMs: number;
  /** Keys of records seen at or after the current floor, with their times. */
  readonly #seen = new Map<string, number>();
  #newestMs: number | undefined;

  constructor(
    private readonly source: PullSource,
    private readonly options: FollowOptions,
  ) {
    this.#overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  }

  /** Where the next poll starts (epoch ms, inclusive). */
  get floorMs(): number {
    return this.#newestMs === undefined ? this.options.startMs : Math.max(this.options.startMs, this.#newestMs - this.#overlapMs);
  }

  /** Records remembered for the overlap. */
  get remembered(): number {
    return this.#seen.size;
  }

  /** Records already handed on (the history): not to be handed on again. */
  note(records: readonly PullAuditLog[]): void {
    for (const record of records) this.#remember(record);
    this.#prune();
  }

  /** Yields, page by page, the records at or after the floor not seen before; remembers them. */
  async *poll(signal?: AbortSignal): AsyncGenerator<PullAuditLog[]> {
    const gte = new Date(this.floorMs).toISOString();
    for await (const page of pullPages(this.source, { gte, type: this.options.type, pageSize: this.options.pageSize }, signal)) {
      const fresh = page.filter((record) => !this.#seen.has(pulledRecordKey(record)));
      for (const record of fresh) this.#remember(record);
      if (fresh.length > 0) yield fresh;
    }
    this.#prune();
  }

  #remember(record: PullAuditLog): void {
    const time = pulledRecordTime(record);
    // A record without a time is remembered at the floor: kept until the floor moves past it.
    this.#seen.set(pulledRecordKey(record), time ?? this.floorMs);
    if (time !== undefined && (this.#newestMs === undefined || time > this.#newestMs)) this.#newestMs = time;
  }

  #prune(): void {
    const floor = this.floorMs;
    for (const [key, time] of this.#seen) if (time < floor) this.#seen.delete(key);
  }
}
