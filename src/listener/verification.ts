/**
 * Signature checks of received records (`listen --verify`). `warn` stores every record first and
 * checks it afterwards, off the path of Konnect's 202; `enforce` checks before storing and sends
 * records that fail (or carry no signature) to quarantine.jsonl. Records are stored byte for byte
 * either way; the Ed25519 work runs on libuv's thread pool.
 */
import type { Keyring } from '../signatures/keyring.js';
import type { Verification } from '../records/signing.js';

export const VERIFY_MODES = ['off', 'warn', 'enforce'] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];

/** Records waiting for a check in warn mode beyond which new ones go unchecked (memory bound). */
const MAX_BACKLOG = 100_000;
/** Records checked at once. */
const CONCURRENCY = 64;

export interface VerificationCounts {
  valid: number;
  invalid: number;
  unsigned: number;
  /** Not checked: no keys could be had, or the warn-mode backlog was full. */
  unchecked: number;
}

export class RecordVerifier {
  readonly counts: VerificationCounts = { valid: 0, invalid: 0, unsigned: 0, unchecked: 0 };
  #backlog = 0;
  #pending = new Set<Promise<void>>();
  #keysProblemReported = false;

  constructor(
    private readonly keyring: Keyring,
    /** Called for every record that fails, and for problems (rate-limit it: it can fire per record). */
    private readonly warn: (message: string) => void,
  ) {}

  /** Loads the keys ahead of the first record; a failure is reported once and retried later. */
  async prefetchKeys(): Promise<void> {
    try {
      await this.keyring.keys();
    } catch (error) {
      this.#keysProblemReported = true;
      this.warn(`warning: cannot fetch the region's signing keys yet: ${(error as Error).message}`);
    }
  }

  /** enforce: checks the records; valid ones are accepted, the rest quarantined. */
  async partition(records: readonly Buffer[]): Promise<{ accepted: Buffer[]; quarantined: Buffer[] }> {
    const results = await this.#checkAll(records);
    const accepted: Buffer[] = [];
    const quarantined: Buffer[] = [];
    records.forEach((record, i) => (results[i] === 'valid' ? accepted : quarantined).push(record));
    return { accepted, quarantined };
  }

  /** warn: checks the (already stored) records in the background; never throws. */
  checkLater(records: readonly Buffer[]): void {
    if (this.#backlog + records.length > MAX_BACKLOG) {
      this.counts.unchecked += records.length;
      this.warn(`warning: ${records.length} records stored unchecked: more than ${MAX_BACKLOG} records wait for a signature check`);
      return;
    }
    this.#backlog += records.length;
    const job = this.#checkAll(records)
      .then(() => undefined)
      .finally(() => {
        this.#backlog -= records.length;
        this.#pending.delete(job);
      });
    this.#pending.add(job);
  }

  /** Resolves once every background check has finished (at shutdown, for the summary). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** "signatures: 10 valid, 1 invalid, 0 unsigned" (plus unchecked when any). */
  summary(): string {
    const { valid, invalid, unsigned, unchecked } = this.counts;
    return `signatures: ${valid} valid, ${invalid} invalid, ${unsigned} unsigned${unchecked > 0 ? `, ${unchecked} unchecked` : ''}`;
  }

  /** Checks records with bounded concurrency; results in input order ('unchecked' when no keys). */
  async #checkAll(records: readonly Buffer[]): Promise<(Verification | 'unchecked')[]> {
    const results = new Array<Verification | 'unchecked'>(records.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < records.length; i = next++) results[i] = await this.#checkOne(records[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, records.length) }, worker));
    return results;
  }

  async #checkOne(record: Buffer): Promise<Verification | 'unchecked'> {
    let result: Verification;
    try {
      result = await this.keyring.verifyAsync(record.toString('utf8'));
    } catch (error) {
      this.counts.unchecked++;
      if (!this.#keysProblemReported) {
        this.#keysProblemReported = true;
        this.warn(`warning: cannot check signatures: ${(error as Error).message}`);
      }
      return 'unchecked';
    }
    this.counts[result]++;
    if (result !== 'valid') this.warn(`warning: a record ${result === 'invalid' ? 'failed its signature check' : 'carries no signature'}: ${preview(record)}`);
    return result;
  }
}

/** The start of a record, for a warning (records can be long; the full one is in the store). */
function preview(record: Buffer): string {
  const text = record.subarray(0, 120).toString('utf8');
  return record.length > 120 ? `${text}…` : text;
}
