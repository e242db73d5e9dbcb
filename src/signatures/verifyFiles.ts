/**
 * Offline verification of stored records: reads files line by line (plain or gzip, streaming),
 * checks every non-empty line's Ed25519 signature and counts valid, invalid and unsigned records
 * per file and overall, listing failures by file and 1-based line number.
 *
 * @example
 * const report = await verifyFiles(['events-20250101.jsonl.gz', 'events.jsonl'], { keys: importJwks(jwks) });
 * // report.total → { records: 2000, valid: 1999, invalid: 1, unsigned: 0 }; report.failures → [{ file: 'events.jsonl', line: 17, result: 'invalid' }]
 */
import type { KeyObject } from 'node:crypto';
import { verifyRecordAsync, type Verification } from '../records/signing.js';
import { isGzip, readLineBatches } from '../store/read.js';

/** Record counts of one file or of a whole run. */
export interface VerifyCounts {
  records: number;
  valid: number;
  invalid: number;
  unsigned: number;
}

export interface FileCounts extends VerifyCounts {
  readonly file: string;
}

/** A record that did not verify. */
export interface VerifyFailure {
  readonly file: string;
  /** 1-based, counting every line of the (decompressed) file, blank ones included, as `sed -n Np` does. */
  readonly line: number;
  readonly result: Exclude<Verification, 'valid'>;
}

export interface VerifyReport {
  readonly files: readonly FileCounts[];
  readonly total: VerifyCounts;
  /** The first `maxFailures` failures, in file and line order. */
  readonly failures: readonly VerifyFailure[];
  /** Failures beyond `maxFailures` (counted, not listed). */
  readonly failuresOmitted: number;
}

export interface VerifyFilesOptions {
  readonly keys: readonly KeyObject[];
  /** Records being verified at once; default 64 (keeps libuv's thread pool, hence every core, busy). */
  readonly concurrency?: number;
  /** Most failures listed; default 100. Counts are always complete. */
  readonly maxFailures?: number;
  /** List unsigned records as failures; default true (false for `--allow-unsigned`). */
  readonly listUnsigned?: boolean;
  /** Called with the running total of records checked, after each record (keep it cheap). */
  readonly onProgress?: (checked: number) => void;
}

/** A file that could not be read (missing, a directory, corrupt gzip...). */
export class VerifyFileError extends Error {
  override readonly name = 'VerifyFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

function emptyCounts(): VerifyCounts {
  return { records: 0, valid: 0, invalid: 0, unsigned: 0 };
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EISDIR') return 'is a directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code?.startsWith('Z_')) return `not a readable gzip file (${e.message})`;
  return e.message ?? String(error);
}

/** Checks up front that every file can be opened, so a typo fails before minutes of work. */
export async function checkReadable(files: readonly string[]): Promise<void> {
  for (const file of files) {
    try {
      await isGzip(file);
    } catch (error) {
      throw new VerifyFileError(file, reason(error));
    }
  }
}

/**
 * Verifies every non-empty line of the files, in order. At most `concurrency` records are in
 * flight; results are taken oldest first, so failures come out in file and line order.
 * Throws VerifyFileError when a file cannot be read.
 */
export async function verifyFiles(files: readonly string[], options: VerifyFilesOptions): Promise<VerifyReport> {
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const maxFailures = Math.max(0, options.maxFailures ?? 100);
  const listUnsigned = options.listUnsigned ?? true;
  const total = emptyCounts();
  const perFile: FileCounts[] = [];
  const failures: VerifyFailure[] = [];
  let failuresOmitted = 0;

  for (const file of files) {
    const counts: FileCounts = { file, ...emptyCounts() };
    perFile.push(counts);
    // Oldest first; shift() on a 64-entry array costs nothing next to an Ed25519 check.
    const window: { readonly line: number; readonly result: Promise<Verification> }[] = [];
    const settleOldest = async (): Promise<void> => {
      const { line, result } = window.shift()!;
      const verdict = await result;
      counts.records++;
      counts[verdict]++;
      total.records++;
      total[verdict]++;
      options.onProgress?.(total.records);
      if (verdict === 'valid' || (verdict === 'unsigned' && !listUnsigned)) return;
      if (failures.length < maxFailures) failures.push({ file, line, result: verdict });
      else failuresOmitted++;
    };
    try {
      for await (const batch of readLineBatches(file)) {
        for (const { number: line, text } of batch) {
          const result = verifyRecordAsync(text, options.keys);
          // A rejection is awaited later (in order); mark it handled now so it never counts as unhandled.
          result.catch(() => {});
          window.push({ line, result });
          if (window.length >= concurrency) await settleOldest();
        }
      }
      while (window.length > 0) await settleOldest();
    } catch (error) {
      if (error instanceof VerifyFileError) throw error;
      throw new VerifyFileError(file, reason(error));
    }
  }
  return { files: perFile, total, failures, failuresOmitted };
}
