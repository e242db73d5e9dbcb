/**
 * The listener's log: pino, JSON lines, to `--log-file` (appended, 0600) or to stderr. Secrets are
 * redacted by key wherever they appear, so a token or an Authorization value never reaches a log.
 */
import { closeSync, openSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export { LOG_LEVELS, type LogLevel } from './levels.js';
import type { LogLevel } from './levels.js';

const REDACT = ['authorization', 'pat', 'token', 'password', 'secret', '*.authorization', '*.pat', '*.token', 'headers.authorization', 'req.headers.authorization'];

/** A logger at `level`, writing to `file` (created 0600) or to stderr. */
export function createLogger(options: { readonly level: LogLevel; readonly file?: string | undefined }): { logger: Logger; close(): void } {
  let fd = 2;
  if (options.file) {
    fd = openSync(options.file, 'a', 0o600);
  }
  const destination = pino.destination({ dest: fd, sync: true });
  const logger = pino({ level: options.level, redact: { paths: REDACT, censor: '<redacted>' }, base: { pid: process.pid } }, destination);
  return {
    logger,
    close: () => {
      destination.flushSync();
      if (fd !== 2) closeSync(fd);
    },
  };
}
