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

/** `60s`, `2m`, `500ms`, or a number of seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`invalid ${flag} "${value}": use a duration such as 60s, 2m or 500ms`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

