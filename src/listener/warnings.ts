/** Warnings that could repeat for every record, written at most once a second with a count of the rest. */
export class RateLimitedWarnings {
  private last = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes `message` unless one was written less than the interval ago. */
  warn(message: string): void {
    const now = this.now();
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more since the last warning)` : '';
    this.suppressed = 0;
    this.last = now;
    this.write(`${message}${more}\n`);
  }
}
