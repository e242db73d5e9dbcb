/** `konnect-audit verify [FILE...]`: check stored records' Ed25519 signatures offline. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';

export type VerifyFlags = ConnectionFlagValues &
  GeneralFlagValues & { dataDir?: string; jwks?: string; allowUnsigned?: boolean; maxFailures?: number };

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid argument "${value}" for "--max-failures" flag: expected a whole number`, 'verify');
  return Number(value);
}

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .argument('[file...]', "files of records, plain or gzip (default: the profile's events.jsonl and rotated events-*.jsonl[.gz] segments)")
    .summary("check stored records' Ed25519 signatures offline")
    .description(
      [
        "Check the Ed25519 signature of every stored record, offline. Without FILE, checks the profile's events: the rotated segments (events-*.jsonl, events-*.jsonl.gz), oldest first, then events.jsonl; quarantine.jsonl only when named.",
        "Keys: --jwks, else the listener's saved copy <data dir>/<profile>/jwks.json, else the JWKS fetched from Konnect (no token needed).",
        'Exit status 1 when a record is invalid, or unsigned without --allow-unsigned.',
      ].join('\n\n'),
    )
    .option('--data-dir <dir>', 'where profiles keep their files (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)')
    .option('--jwks <file>', 'a JWKS JSON file with the public keys (default: the saved jwks.json, else Konnect)')
    .option('--allow-unsigned', 'records without a signature do not fail the run (they are still counted)')
    .option('--max-failures <n>', 'most failures listed; the counts are always complete', count, 100);
  addConnectionOptions(command);
  addGeneralOptions(command);
  command.addHelpText(
    'after',
    ['', 'Examples:', '  konnect-audit verify', '  konnect-audit verify --profile prod -o json', '  konnect-audit verify --jwks keys.json events-20250101T000000Z.jsonl.gz quarantine.jsonl'].join('\n'),
  );
  command.action(async (files: string[], flags: VerifyFlags) => {
    const { runVerify } = await import('./verifyRun.js');
    await runVerify(files, flags);
  });
}
