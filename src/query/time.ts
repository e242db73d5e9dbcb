/** Times in `events` queries: the `--since`/`--until` flag values and a record's own time. */
import { UsageError } from '../cli/errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
/** RFC 3339 (`T`, `t` or a space between date and time), or a bare date (midnight UTC). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$/;
const DIGITS = /^\d{1,16}$/;

/** Epoch ms of an RFC 3339 time, or undefined when `text` is not one (or names no real date). */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  // Date.parse accepts 2026-02-30 as 2 March: check the day exists.
  const days = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(d) < 1 || Number(d) > days) return undefined;
  const ms = Date.parse(m[4] === undefined ? `${y}-${mo}-${d}T00:00:00Z` : `${y}-${mo}-${d}T${h}:${mi}:${s}${m[7] ?? ''}${m[8]!.toUpperCase()}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * A `--since`/`--until` value: a duration back from `now` (`90m`, `6h`, `7d`, also `s`, `ms`, `w`)
 * or an RFC 3339 time. Throws UsageError naming the flag.
 * @example parseTimeFlag('6h', '--since', Date.parse('2026-01-01T12:00:00Z')) // Date.parse('2026-01-01T06:00:00Z')
 */
export function parseTimeFlag(value: string, flag: string, now: number, command = 'events'): number {
  const text = value.trim();
  const d = DURATION.exec(text);
  if (d) return now - Math.round(Number(d[1]) * UNIT_MS[d[2]!]!);
  const ms = parseRfc3339(text);
  if (ms === undefined) {
    throw new UsageError(`invalid argument "${value}" for "${flag}" flag: use a duration back from now (for example 90m, 6h or 7d) or an RFC 3339 time (for example 2026-11-27T17:12:48Z)`, command);
  }
  return ms;
}

/**
 * A record's own time in epoch ms: `rt` (a number or numeric string of milliseconds), else
 * `event_ts` (RFC 3339), else `ts` (RFC 3339, the pull API's records), else undefined.
 */
export function recordTime(record: Readonly<Record<string, unknown>>): number | undefined {
  const rt = record.rt;
  if (typeof rt === 'number' && Number.isFinite(rt)) return rt;
  if (typeof rt === 'string' && DIGITS.test(rt)) return Number(rt);
  const ts = record.event_ts ?? record.ts;
  return typeof ts === 'string' ? parseRfc3339(ts) : undefined;
}
