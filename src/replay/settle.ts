/**
 * Waiting for a count to stop changing: Konnect may still be delivering (or retrying) a replay's
 * last batches after it reports the job completed, so the store is counted until two counts
 * `settleMs` apart agree, for at most `maxMs`.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface SettleOptions {
  /** How long the count must stay the same. 0: count once. */
  readonly settleMs: number;
  /** Gives up waiting after this long and returns the last count (default 60 s). */
  readonly maxMs?: number;
  /** Stops waiting early (returns the last count). */
  readonly signal?: AbortSignal;
  /** Current time (tests fix it). */
  readonly now?: () => number;
  /** Waits (tests skip it). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The settled count and whether it really stopped changing (false: gave up at maxMs or aborted). */
export interface Settled {
  readonly count: number;
  readonly stable: boolean;
}

/**
 * Counts until the count has not changed for `settleMs`.
 * @example const { count } = await settledCount(() => counter.count(), { settleMs: 2000 });
 */
export async function settledCount(count: () => Promise<number>, options: SettleOptions): Promise<Settled> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, options.signal ? { signal: options.signal } : {}));
  const deadline = now() + (options.maxMs ?? 60_000);
  let last = await count();
  if (options.settleMs <= 0) return { count: last, stable: true };
  while (!options.signal?.aborted) {
    if (now() + options.settleMs > deadline) return { count: last, stable: false };
    try {
      await sleep(options.settleMs);
    } catch {
      break; // aborted
    }
    const next = await count();
    if (next === last) return { count: next, stable: true };
    last = next;
  }
  return { count: last, stable: false };
}
