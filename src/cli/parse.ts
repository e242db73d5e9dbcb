/** Flag value parsers that throw UsageError with a message naming the flag. */
import { UsageError } from './errors.js';

/** `HOST:PORT`, `[::1]:PORT` or `:PORT` (host defaults to 127.0.0.1). */
export function parseListenAddress(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be HOST:PORT (for example 127.0.0.1:8117), got "${value}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`${flag} port must be between 0 and 65535, got ${port}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** A positive integer. */
export function parsePositiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return Number(value);
}

/** A non-negative integer. */
export function parseNonNegativeInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** A positive finite number. */
export function parsePositiveNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got "${value}"`);
  return n;
}

/** Collects a repeatable flag. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `60s`, `2m`, `500ms`, `24h`, `90d`, or a number of seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new UsageError(`invalid ${flag} "${value}": use a duration such as 60s, 2m, 500ms, 24h or 90d`);
  return Math.round(Number(m[1]) * DURATION_UNIT_MS[m[2] ?? 's']!);
}

const SIZE_UNIT: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** `128MiB`, `1GB`, `500KiB`, or a number of bytes. */
export function parseSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? SIZE_UNIT[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`invalid ${flag} "${value}": use a size such as 128MiB, 1GB or 500KiB`);
  return Math.round(Number(m[1]) * unit);
}

