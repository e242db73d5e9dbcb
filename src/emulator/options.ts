/** Options of `startEmulator()` and `konnect-audit emulate`, with their defaults. */
import type { Clock } from './clock.js';
import type { AttemptEvent } from './delivery/hub.js';

export interface EmulatorOptions {
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 8117; 0 picks a free one). */
  readonly port?: number;
  /** Tokens with full access; one `kpat_` token is generated when none is given. */
  readonly tokens?: readonly string[];
  /** Tokens that may read but not change anything (403 on writes). */
  readonly readOnlyTokens?: readonly string[];
  /** 32-byte Ed25519 seed (hex or bytes): fixes the signing key and makes every id deterministic. */
  readonly seed?: string | Buffer;
  /** Multiplies every delivery, retry and replay delay (tests use 0.01). Default 1. */
  readonly timeScale?: number;
  /** Most records per delivered batch (default 1000). */
  readonly batchMax?: number;
  /** Most decoded bytes per batch (default 1 MiB, the limit of kongctl's listener). */
  readonly batchMaxBytes?: number;
  /** Nominal wait before a partial batch is delivered (default 1000 ms, scaled). */
  readonly flushMs?: number;
  /** Per-attempt timeout of a webhook POST (default 30 s, not scaled). */
  readonly attemptTimeoutMs?: number;
  /** Stop delivering new batches while a webhook's status is `inactive` (default false: keep trying). */
  readonly suspendOnInactive?: boolean;
  /** `Content-Encoding` of deliveries: `gzip` (default) or the documented literal `application/gzip`. */
  readonly contentEncoding?: string;
  /** JSON `cef_version` as the string "0" instead of the number 0. */
  readonly cefVersionAsString?: boolean;
  /** Most events retained per region for replay and pull (default 1,000,000), besides the 7-day window. */
  readonly retainMax?: number;
  /** Most records waiting for delivery per scope before the oldest are dropped (default 1,000,000). */
  readonly maxQueuedRecords?: number;
  /** Sign records (default true); Konnect documents `sig` as present "only when signing is configured". */
  readonly sign?: boolean;
  /** Threads that generate synthetic events (default: one per core; 0 generates on the main thread). */
  readonly generatorThreads?: number;
  /** Wall clock for event and API times (tests move "now"). */
  readonly clock?: Clock;
  /** Dev Portals to create at start (a default portal in `us` is always there). */
  readonly portals?: readonly { readonly id?: string; readonly name?: string; readonly region?: string }[];
  /** Called after every delivery attempt. */
  readonly onAttempt?: (event: AttemptEvent) => void;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8117,
  timeScale: 1,
  batchMax: 1000,
  batchMaxBytes: 1024 * 1024,
  flushMs: 1000,
  attemptTimeoutMs: 30_000,
  retainMax: 1_000_000,
  maxQueuedRecords: 1_000_000,
  contentEncoding: 'gzip',
} as const;

/** Parses a 32-byte seed given as 64 hex characters. */
export function parseSeed(seed: string | Buffer): Buffer {
  if (Buffer.isBuffer(seed)) {
    if (seed.length !== 32) throw new RangeError(`seed must be 32 bytes, got ${seed.length}`);
    return seed;
  }
  const hex = seed.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError('seed must be 64 hex characters (32 bytes)');
  return Buffer.from(hex, 'hex');
}
