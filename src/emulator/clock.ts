/**
 * Time for the emulator: `now()` for event and API timestamps, and scaled delays so tests can run
 * Konnect's 1 s..30 s retry and replay timing at a fraction of real time.
 */

/** Wall-clock source; tests inject one to place "now" anywhere. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Schedules delays multiplied by a time scale and cancels them all on close. */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Map<(ok: boolean) => void, NodeJS.Timeout>();
  private closed = false;

  constructor(
    readonly clock: Clock,
    /** Multiplies every delivery, retry and replay delay (1 = real time). */
    readonly timeScale: number,
  ) {}

  /** Milliseconds actually waited for a nominal delay. */
  scaled(ms: number): number {
    return Math.max(0, ms * this.timeScale);
  }

  /** Runs `fn` after the scaled delay, unless the scheduler is closed first. */
  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.scaled(ms));
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Resolves after the scaled delay; resolves false at once if the scheduler closes meanwhile. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false);
      const timer = this.after(ms, () => {
        this.sleepers.delete(resolve);
        resolve(true);
      });
      if (timer) this.sleepers.set(resolve, timer);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const resolve of this.sleepers.keys()) resolve(false);
    this.sleepers.clear();
  }
}

/**
 * RFC 3339 as Go's `time.RFC3339Nano` writes it, the way Konnect's API timestamps look:
 * fractional seconds without trailing zeros (`2023-03-21T09:29:14.52Z`), none when whole.
 */
export function apiTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}
