/**
 * Rotated segment names carry the range of times their records were received:
 * `events-<first>-<last>.jsonl[.gz]`, each time as `20261127T171248Z` (UTC, whole seconds). A
 * record is received after its event happened, so a segment whose last receipt is before a
 * query's start holds nothing newer and need not be read.
 */
import { basename } from 'node:path';

/** First and last receive times of a segment, epoch milliseconds (whole seconds, as named). */
export interface SegmentTimeRange {
  readonly first: number;
  readonly last: number;
}

const STAMP = '(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})Z';
const NAME = new RegExp(`^events-${STAMP}-${STAMP}\\.jsonl(?:\\.gz)?$`);

function stamp(parts: readonly string[]): number | undefined {
  const [y, mo, d, h, mi, s] = parts.map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2026-02-30 over to March: a name that does not round-trip is not ours.
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== s) return undefined;
  return ms;
}

/**
 * The receive-time range in a segment's name (a path works too), or undefined for any other name
 * (such a file must be read).
 * @example segmentTimeRange('events-20261127T171248Z-20261127T181248Z.jsonl.gz') // { first: 1795799568000, last: 1795803168000 }
 */
export function segmentTimeRange(fileName: string): SegmentTimeRange | undefined {
  const m = NAME.exec(basename(fileName));
  if (!m) return undefined;
  const first = stamp(m.slice(1, 7));
  const last = stamp(m.slice(7, 13));
  if (first === undefined || last === undefined || last < first) return undefined;
  return { first, last };
}

/**
 * False only when the segment certainly holds no record with an event time at or after `since`
 * (ms): its last receipt, to the end of that second, is before `since`.
 */
export function segmentMayHoldSince(fileName: string, since: number): boolean {
  const range = segmentTimeRange(fileName);
  return range === undefined || range.last + 999 >= since;
}
