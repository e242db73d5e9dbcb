/**
 * A region's retained audit events, ordered by time, for replay jobs and the pull API.
 * Konnect keeps events 7 days; the emulator also caps the count so long load runs stay bounded.
 */
import type { AuditEvent, EventKind } from '../../records/event.js';

/** Konnect's retention: 7 days. */
export const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** A way to rebuild an event that is not kept as an object (generated events keep only their recipe). */
export interface EventRecipe {
  rebuild(): AuditEvent;
}

/** One retained event. */
export interface StoredEvent {
  /** Emulator-wide sequence number, unique and increasing in creation order. */
  readonly seq: number;
  /** Event time (`rt`), epoch milliseconds. */
  readonly rt: number;
  /** Set for Dev Portal events. */
  readonly portalId: string | undefined;
  readonly kind: EventKind;
  /** The event, or its recipe: see `eventOf`. */
  readonly event: AuditEvent | EventRecipe;
}

/** The event of a stored entry, rebuilt from its recipe when only that was kept. */
export function eventOf(stored: StoredEvent): AuditEvent {
  const e = stored.event;
  return 'rebuild' in e ? e.rebuild() : e;
}

/** Position of an event in time order: by `rt`, then by `seq`. */
export interface EventKey {
  readonly rt: number;
  readonly seq: number;
}

function before(a: EventKey, b: EventKey): boolean {
  return a.rt < b.rt || (a.rt === b.rt && a.seq < b.seq);
}

/** Events of one region in time order. */
export class EventStore {
  private events: StoredEvent[] = [];

  constructor(private readonly maxEvents: number) {}

  get size(): number {
    return this.events.length;
  }

  /** Adds events (in any order) and drops the oldest beyond the count cap. */
  add(batch: readonly StoredEvent[]): void {
    if (batch.length === 0) return;
    let inOrder = true;
    for (let i = 1; i < batch.length && inOrder; i++) inOrder = !before(batch[i]!, batch[i - 1]!);
    const sorted = inOrder ? batch : [...batch].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    const last = this.events[this.events.length - 1];
    if (!last || !before(sorted[0]!, last)) {
      for (const e of sorted) this.events.push(e);
    } else {
      this.events = merge(this.events, sorted);
    }
    if (this.events.length > this.maxEvents) this.events = this.events.slice(this.events.length - this.maxEvents);
  }

  /** Drops events older than the retention window. */
  prune(nowMs: number): void {
    const cutoff = nowMs - RETENTION_MS;
    const first = this.lowerBound({ rt: cutoff, seq: -Infinity });
    if (first > 0) this.events = this.events.slice(first);
  }

  /** Index of the first event not before `key`. */
  lowerBound(key: EventKey): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.events[mid]!, key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Events with `fromMs <= rt <= toMs`, in time order, that pass `keep`. */
  range(fromMs: number, toMs: number, keep: (e: StoredEvent) => boolean = () => true): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (let i = this.lowerBound({ rt: fromMs, seq: -Infinity }); i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.rt > toMs) break;
      if (keep(e)) out.push(e);
    }
    return out;
  }

  /** Up to `limit` matching events strictly after `key` (ascending). */
  pageAfter(key: EventKey, toMs: number, limit: number, keep: (e: StoredEvent) => boolean): StoredEvent[] {
    const out: StoredEvent[] = [];
    let i = this.lowerBound(key);
    const at = this.events[i];
    if (at && at.rt === key.rt && at.seq === key.seq) i++;
    for (; i < this.events.length && out.length < limit; i++) {
      const e = this.events[i]!;
      if (e.rt > toMs) break;
      if (keep(e)) out.push(e);
    }
    return out;
  }

  /** Up to `limit` matching events strictly before `key`, returned in ascending order. */
  pageBefore(key: EventKey, fromMs: number, limit: number, keep: (e: StoredEvent) => boolean): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (let i = this.lowerBound(key) - 1; i >= 0 && out.length < limit; i--) {
      const e = this.events[i]!;
      if (e.rt < fromMs) break;
      if (keep(e)) out.push(e);
    }
    return out.reverse();
  }
}

function merge(a: readonly StoredEvent[], b: readonly StoredEvent[]): StoredEvent[] {
  const out: StoredEvent[] = new Array<StoredEvent>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = before(b[j]!, a[i]!) ? b[j++]! : a[i++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
