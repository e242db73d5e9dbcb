/** The CLI's two error kinds: usage errors exit 2 (bad flags), runtime errors exit 1. */

/** A bad flag or argument; the message says what is wrong, the CLI adds a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command path whose `--help` to point at, e.g. `emulate`. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Something failed while doing the work. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
