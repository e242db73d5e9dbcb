/**
 * Identifiers for the emulator: UUIDs, 64-bit trace ids, tokens and trace instances.
 * With a seed every value is derived from it (SHA-256 in counter mode), so a seeded run is
 * reproducible; without one they come from the OS random source.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A source of random bytes, deterministic when seeded. */
export class IdSource {
  private counter = 0;
  private pool = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly seed?: Buffer) {}

  /** `n` bytes. */
  bytes(n: number): Buffer {
    if (!this.seed) return randomBytes(n);
    const out = Buffer.alloc(n);
    let written = 0;
    while (written < n) {
      if (this.offset >= this.pool.length) {
        this.pool = createHash('sha256').update(this.seed).update(String(this.counter++)).digest();
        this.offset = 0;
      }
      const take = Math.min(n - written, this.pool.length - this.offset);
      this.pool.copy(out, written, this.offset, this.offset + take);
      written += take;
      this.offset += take;
    }
    return out;
  }

  /** A version-4 UUID. */
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** A positive 63-bit trace id, like Konnect's 19-digit `trace_id` values (most exceed 2^53). */
  traceId(): bigint {
    const v = this.bytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
    return v === 0n ? 1n : v;
  }

  /** A problem+json `instance` such as `kong:trace:8347343766220159418`. */
  traceInstance(): string {
    return `kong:trace:${this.traceId()}`;
  }

  /** A personal access token shaped like Konnect's (`kpat_` and 46 characters). */
  token(prefix = 'kpat_'): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const b = this.bytes(46);
    let out = prefix;
    for (const byte of b) out += alphabet[byte % alphabet.length];
    return out;
  }
}

/** A stable UUID derived from a name (so the same token always maps to the same principal). */
export function nameUuid(namespace: string, name: string): string {
  const b = createHash('sha256').update(namespace).update('\0').update(name).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
