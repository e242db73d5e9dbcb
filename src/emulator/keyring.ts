/**
 * The emulator's signing keys. One org-wide Ed25519 key signs every region's and portal's records
 * (with the reference's seed it is exactly the §8.5 key); rotation adds a key, signs with the
 * newest and keeps serving the older ones in the JWKS, as a key rollover would.
 */
import { createHash } from 'node:crypto';
import { signingKeyFromSeed, type Jwks, type SigningKey } from '../records/signing.js';

export class KeyRing {
  private readonly keys: SigningKey[];
  private readonly seeds: Buffer[];

  constructor(private readonly seed: Buffer) {
    this.keys = [signingKeyFromSeed(seed)];
    this.seeds = [seed];
  }

  /** The seed of the active key, for generator threads that sign with it. */
  get activeSeed(): Buffer {
    return this.seeds[this.seeds.length - 1]!;
  }

  /** The key that signs new records. */
  get active(): SigningKey {
    return this.keys[this.keys.length - 1]!;
  }

  /** Adds a key derived from the seed and makes it active; returns its JWK kid. */
  rotate(): string {
    const next = createHash('sha256').update(this.seed).update(`rotation:${this.keys.length}`).digest();
    this.keys.push(signingKeyFromSeed(next));
    this.seeds.push(next);
    return this.active.jwk.kid!;
  }

  /** The JWKS served at `/v2/audit-log-webhook/jwks.json`, newest key first. */
  jwks(): Jwks {
    return { keys: [...this.keys].reverse().map((k) => k.jwk) };
  }
}
