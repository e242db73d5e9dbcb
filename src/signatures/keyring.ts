/**
 * The region's signing keys for verifying records: the JWKS fetched from Konnect, kept for a TTL,
 * saved beside the events (so `verify` works offline later), and fetched again at most once per
 * `minRefreshMs` when a record fails with the keys at hand (Konnect may have rotated its key).
 * Records carry no `kid`, so every key is tried.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { importJwks, verifyRecord, verifyRecordAsync, type Jwks, type Verification } from '../records/signing.js';
import { writeJsonAtomic } from '../store/files.js';

export interface KeyringOptions {
  /** Fetches the JWKS (e.g. `KonnectClient.getJwks`). */
  readonly fetch: () => Promise<Jwks>;
  /** Where a copy of the last fetched JWKS is kept (0600), and read from when Konnect cannot be reached. */
  readonly cacheFile?: string;
  /** How long fetched keys are used before fetching again; default 10 minutes. */
  readonly ttlMs?: number;
  /** Fewest milliseconds between two fetches prompted by failing records; default 60 s. */
  readonly minRefreshMs?: number;
  readonly now?: () => number;
}

/** Checks that a parsed document is a JWKS with at least one Ed25519 key. */
export function parseJwks(value: unknown, where: string): Jwks {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error(`${where} is not a JWKS (no "keys" array)`);
  const jwks = value as Jwks;
  if (importJwks(jwks).length === 0) throw new Error(`${where} holds no Ed25519 key`);
  return jwks;
}

/** Reads a JWKS file; undefined when it does not exist. */
export async function readJwksFile(file: string): Promise<Jwks | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
  return parseJwks(value, file);
}

export class Keyring {
  readonly #options: KeyringOptions;
  readonly #ttlMs: number;
  readonly #minRefreshMs: number;
  readonly #now: () => number;
  #keys: KeyObject[] | undefined;
  #fetchedAt = -Infinity;
  #lastRefreshAt = -Infinity;
  #loading: Promise<KeyObject[]> | undefined;
  /** Changes whenever a fetch brings keys. */
  #generation = 0;

  constructor(options: KeyringOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#minRefreshMs = options.minRefreshMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The keys: fetched when none are held or they are older than the TTL. */
  async keys(): Promise<KeyObject[]> {
    if (this.#keys && this.#now() - this.#fetchedAt < this.#ttlMs) return this.#keys;
    return this.#load();
  }

  /**
   * Fetches the keys again unless that was done less than `minRefreshMs` ago; resolves true when
   * a fetch happened.
   */
  async refresh(): Promise<boolean> {
    if (this.#now() - this.#lastRefreshAt < this.#minRefreshMs) return false;
    this.#lastRefreshAt = this.#now();
    this.#fetchedAt = -Infinity;
    await this.#load();
    return true;
  }

  /**
   * Verifies one record; a record that fails with the keys held is tried again with newer keys:
   * fetched for it, or by a concurrent check that failed first (records arrive in batches, and
   * after a key rotation a whole batch fails at once while one refresh runs).
   */
  async verify(line: string): Promise<Verification> {
    return this.#verifyWith(line, (keys) => Promise.resolve(verifyRecord(line, keys)));
  }

  /** As verify, with the Ed25519 checks on the thread pool (see verifyRecordAsync). */
  async verifyAsync(line: string): Promise<Verification> {
    return this.#verifyWith(line, (keys) => verifyRecordAsync(line, keys));
  }

  async #verifyWith(line: string, check: (keys: readonly KeyObject[]) => Promise<Verification>): Promise<Verification> {
    const keys = await this.keys();
    const generation = this.#generation;
    const first = await check(keys);
    if (first !== 'invalid') return first;
    await this.refresh().catch(() => false);
    if (this.#loading) await this.#loading.catch(() => undefined);
    if (this.#generation === generation) return first;
    return check(await this.keys());
  }

  #load(): Promise<KeyObject[]> {
    if (!this.#loading) {
      const loading = this.#fetchKeys();
      this.#loading = loading;
      // One fetch at a time: callers arriving meanwhile share it.
      loading.then(
        () => (this.#loading = undefined),
        () => (this.#loading = undefined),
      );
    }
    return this.#loading;
  }

  async #fetchKeys(): Promise<KeyObject[]> {
    try {
      const jwks = parseJwks(await this.#options.fetch(), 'the JWKS Konnect returned');
      this.#keys = importJwks(jwks);
      this.#fetchedAt = this.#now();
      this.#generation++;
      if (this.#options.cacheFile) await writeJsonAtomic(this.#options.cacheFile, jwks).catch(() => {});
      return this.#keys;
    } catch (error) {
      // Konnect unreachable: keep using what we have, else the saved copy, and ask again after
      // minRefreshMs rather than on every record.
      this.#fetchedAt = this.#now() - this.#ttlMs + this.#minRefreshMs;
      if (this.#keys) return this.#keys;
      const cached = this.#options.cacheFile ? await readJwksFile(this.#options.cacheFile).catch(() => undefined) : undefined;
      if (!cached) throw error;
      this.#keys = importJwks(cached);
      return this.#keys;
    }
  }
}
