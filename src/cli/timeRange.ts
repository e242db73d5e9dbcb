/**
 * The time range of `replay` and `pull`: `--since`/`--until` (durations back from now or RFC 3339
 * times) or their spellings `--start-time`/`--end-time`, as Konnect's API names them.
 */
import { UsageError } from './errors.js';
import { parseTimeFlag } from '../query/time.js';

export interface TimeRangeFlags {
  since?: string;
  until?: string;
  startTime?: string;
  endTime?: string;
}

/**
 * The range in epoch ms. `--since` and `--start-time` (and `--until` and `--end-time`) are the
 * same flag: giving both is a usage error. A missing start is `defaultSince` back from now; a
 * missing end is now.
 * @example parseTimeRange({ since: '6h' }, 'replay', now) // { startMs: now - 6 h, endMs: now }
 */
export function parseTimeRange(flags: TimeRangeFlags, command: string, now: number, defaultSinceMs?: number): { startMs: number; endMs: number } {
  if (flags.since !== undefined && flags.startTime !== undefined) throw new UsageError('give --since or --start-time, not both (they are the same)', command);
  if (flags.until !== undefined && flags.endTime !== undefined) throw new UsageError('give --until or --end-time, not both (they are the same)', command);
  const [startFlag, startValue] = flags.startTime !== undefined ? ['--start-time', flags.startTime] : ['--since', flags.since];
  const [endFlag, endValue] = flags.endTime !== undefined ? ['--end-time', flags.endTime] : ['--until', flags.until];
  const endMs = endValue === undefined ? now : parseTimeFlag(endValue, endFlag, now, command);
  if (startValue === undefined && defaultSinceMs === undefined) throw new UsageError('give the start of the range: --since <duration|time> (e.g. --since 6h) or --start-time <RFC 3339 time>', command);
  const startMs = startValue === undefined ? now - defaultSinceMs! : parseTimeFlag(startValue, startFlag, now, command);
  if (startMs > endMs) throw new UsageError(`the range is empty: ${startFlag} (${new Date(startMs).toISOString()}) is after ${endFlag} (${new Date(endMs).toISOString()})`, command);
  return { startMs, endMs };
}
