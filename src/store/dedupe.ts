/**
 * Which records a profile already stored, so a record Konnect sends again (a retried batch, a
 * replay job) is acknowledged without being written twice. A record is known by its signature
 * (`sig`) and the content it signs, or by its bytes when it has none, through 16 bytes of SHA-256 (the odds that any two of
 * a billion records share a key are below 10^-20). Keys live in one open-addressing table of typed arrays,
 * 20 bytes per slot (key + the minute it was added), at most 70% full and doubled when it would be
 * more: 29 to 57 bytes per record (41.9 MB for a million), and no JavaScript object per record.
 */
import * as crypto from 'node:crypto';
import { splitSignature } from '../records/signing.js';
import { readLineBatches } from './read.js';

/** `crypto.hash` (Node ≥ 20.12; not yet in @types/node 20): one call, no Hash object per record. */
type OneShotHash = (algorithm: 'sha256', data: string | Buffer, encoding: 'buffer') => Buffer;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
/** SHA-256 of UTF-8 text or bytes: about 1.6 × faster one-shot than through createHash, which earlier Node 20 releases fall back to. */
const sha256: (data: string | Buffer) => Buffer = oneShot ? (data) => oneShot('sha256', data, 'buffer') : (data) => crypto.createHash('sha256').update(data).digest();
const RAW_PREFIX = Buffer.from('raw\0');

const KEY_WORDS = 4;
const MIN_CAPACITY = 1 << 12;
const MAX_LOAD = 0.7;
const EMPTY_STAMP = 0;

/**
 * The identity of a record: 16 bytes of SHA-256 of its `sig` and the content it signs (the same
 * whatever the CPS wrapping or surrounding whitespace), or of its bytes when unsigned.
 */
export function recordKey(record: Buffer): Buffer {
  const line = record.toString('utf8');
  const parts = line.includes('sig') ? splitSignature(line) : undefined;
  // The signed content goes into the key with the sig: a record altered but carrying a genuine sig
  // is a different record (to be stored and flagged), not a repeat of the genuine one. Unsigned
  // records are hashed as bytes: two invalid UTF-8 lines would decode to the same text.
  const digest = parts ? sha256(`sig\0${parts.sig}\0${parts.message}`) : sha256(Buffer.concat([RAW_PREFIX, record]));
  return digest.subarray(0, 16);
}

export class DedupeIndex {
  #capacity: number;
  #keys: Uint32Array;
  /** Minutes since the epoch (+1, so 0 means empty) when each key was added. */
  #stamps: Uint32Array;
  #size = 0;

  constructor(capacity = MIN_CAPACITY) {
    this.#capacity = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(capacity)));
    this.#keys = new Uint32Array(this.#capacity * KEY_WORDS);
    this.#stamps = new Uint32Array(this.#capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#keys.byteLength + this.#stamps.byteLength;
  }

  has(key: Buffer): boolean {
    return this.#stamps[this.#probe(key.readUInt32LE(0), key.readUInt32LE(4), key.readUInt32LE(8), key.readUInt32LE(12))] !== EMPTY_STAMP;
  }

  /** Adds a key; false if it was already there. `nowMs` dates it for `dropOlderThan`. */
  add(key: Buffer, nowMs = Date.now()): boolean {
    const k0 = key.readUInt32LE(0);
    const k1 = key.readUInt32LE(4);
    const k2 = key.readUInt32LE(8);
    const k3 = key.readUInt32LE(12);
    let slot = this.#probe(k0, k1, k2, k3);
    if (this.#stamps[slot] !== EMPTY_STAMP) return false;
    if ((this.#size + 1) / this.#capacity > MAX_LOAD) {
      this.#resize(this.#capacity * 2);
      slot = this.#probe(k0, k1, k2, k3);
    }
    this.#put(slot, k0, k1, k2, k3, stampOf(nowMs));
    this.#size++;
    return true;
  }

  /** Removes a key (a reservation whose record could not be written). */
  delete(key: Buffer): boolean {
    const slot = this.#probe(key.readUInt32LE(0), key.readUInt32LE(4), key.readUInt32LE(8), key.readUInt32LE(12));
    if (this.#stamps[slot] === EMPTY_STAMP) return false;
    this.#stamps[slot] = EMPTY_STAMP;
    this.#size--;
    // Open addressing: re-insert the run after the hole so later keys stay reachable.
    const mask = this.#capacity - 1;
    const keys = this.#keys;
    for (let i = (slot + 1) & mask; this.#stamps[i] !== EMPTY_STAMP; i = (i + 1) & mask) {
      const stamp = this.#stamps[i]!;
      const at = i * KEY_WORDS;
      const k0 = keys[at]!;
      const k1 = keys[at + 1]!;
      const k2 = keys[at + 2]!;
      const k3 = keys[at + 3]!;
      this.#stamps[i] = EMPTY_STAMP;
      this.#put(this.#probe(k0, k1, k2, k3), k0, k1, k2, k3, stamp);
    }
    return true;
  }

  /** Forgets keys added before `cutoffMs` (older than Konnect can resend); returns how many. */
  dropOlderThan(cutoffMs: number): number {
    const before = this.#size;
    this.#rebuild(this.#capacity, stampOf(cutoffMs));
    return before - this.#size;
  }

  /** The slot holding the key, or the empty slot where it would go. */
  #probe(k0: number, k1: number, k2: number, k3: number): number {
    const mask = this.#capacity - 1;
    const keys = this.#keys;
    const stamps = this.#stamps;
    let i = k0 & mask;
    while (stamps[i] !== EMPTY_STAMP) {
      const at = i * KEY_WORDS;
      if (keys[at] === k0 && keys[at + 1] === k1 && keys[at + 2] === k2 && keys[at + 3] === k3) return i;
      i = (i + 1) & mask;
    }
    return i;
  }

  #put(slot: number, k0: number, k1: number, k2: number, k3: number, stamp: number): void {
    const at = slot * KEY_WORDS;
    this.#keys[at] = k0;
    this.#keys[at + 1] = k1;
    this.#keys[at + 2] = k2;
    this.#keys[at + 3] = k3;
    this.#stamps[slot] = stamp;
  }

  #resize(capacity: number): void {
    this.#rebuild(capacity, EMPTY_STAMP + 1);
  }

  /** Moves every key stamped at or after `minStamp` into fresh arrays of `capacity` slots. */
  #rebuild(capacity: number, minStamp: number): void {
    const keys = this.#keys;
    const stamps = this.#stamps;
    const old = this.#capacity;
    this.#capacity = capacity;
    this.#keys = new Uint32Array(capacity * KEY_WORDS);
    this.#stamps = new Uint32Array(capacity);
    this.#size = 0;
    for (let slot = 0; slot < old; slot++) {
      const stamp = stamps[slot]!;
      if (stamp === EMPTY_STAMP || stamp < minStamp) continue;
      const at = slot * KEY_WORDS;
      const k0 = keys[at]!;
      const k1 = keys[at + 1]!;
      const k2 = keys[at + 2]!;
      const k3 = keys[at + 3]!;
      this.#put(this.#probe(k0, k1, k2, k3), k0, k1, k2, k3, stamp);
      this.#size++;
    }
  }
}

function stampOf(ms: number): number {
  return Math.floor(ms / 60_000) + 1;
}

/**
 * Adds the key of every record stored in `files` (plain or gzip; missing files are skipped), dated
 * now: the index a listener starts with, so a record stored before a restart (or a rotation) is not
 * stored again. Resolves with the number of records read.
 */
export async function indexStoredRecords(
  index: DedupeIndex,
  files: readonly string[],
  nowMs = Date.now(),
  /** Called for a file that cannot be read (a corrupt segment); without it, the error is thrown. */
  onError?: (file: string, error: Error) => void,
  /** Sees every stored line as it is indexed (one pass over the store for other start-up indexes). */
  onLine?: (text: string) => void,
): Promise<number> {
  let records = 0;
  for (const file of files) {
    try {
      for await (const batch of readLineBatches(file)) {
        for (const line of batch) {
          index.add(recordKey(line.bytes), nowMs);
          onLine?.(line.text);
        }
        records += batch.length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (!onError) throw error;
      onError(file, error as Error);
    }
  }
  return records;
}
