/** Log levels, apart from the logger so that declaring `--log-level` does not load pino at start-up. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
