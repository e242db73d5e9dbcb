/** `konnect-audit emulate`: flags and help; the work is in emulateRun.ts, loaded on use. */
import type { Command} from 'commander';
import { Option } from 'commander';
import { collect } from '../parse.js';

/** Raw option values as commander collects them. */
export interface EmulateFlags {
  listen: string;
  token?: string[];
  readOnlyToken?: string[];
  seed?: string;
  timeScale?: string;
  batchMax?: string;
  batchMaxBytes?: string;
  flushMs?: string;
  attemptTimeoutMs?: string;
  retainMax?: string;
  generatorThreads?: string;
  portal?: string[];
  suspendOnInactive?: boolean;
  contentEncoding: string;
  cefVersionString?: boolean;
  sign: boolean;
  logDeliveries?: boolean;
  output: string;
}

export function registerEmulate(program: Command): void {
  program
    .command('emulate')
    .summary('run an offline Konnect audit-log API and webhook delivery emulator')
    .description(
      [
        'Run an offline emulator of Kong Konnect\'s audit-log API and webhook delivery.',
        '',
        'One process serves every region and the global host: http://HOST:PORT is region us plus',
        'the global API; http://HOST:PORT/eu (au, me, in, sg, global) addresses one host.',
        'Every authenticated API call records Konnect-style authentication, authorization and',
        '(for writes) access events, signed with Ed25519 and delivered to the configured webhook',
        'as gzip batches with Konnect\'s retry rules. Emulator-only endpoints live under /_emulator/.',
      ].join('\n'),
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8117')
    .option('--token <token>', 'accept this bearer token (repeatable; one is generated when none is given)', collect)
    .option('--read-only-token <token>', 'accept this token for reads only: writes answer 403 (repeatable)', collect)
    .option('--seed <hex>', '32-byte Ed25519 seed as 64 hex characters: fixed signing key and deterministic ids')
    .option('--time-scale <factor>', 'multiply every delivery, retry and replay delay (0.01 = 100x faster)', '1')
    .option('--batch-max <n>', 'most records per delivered batch', '1000')
    .option('--batch-max-bytes <n>', 'most uncompressed bytes per batch', String(1024 * 1024))
    .option('--flush-ms <ms>', 'wait before sending a partial batch (scaled by --time-scale)', '1000')
    .option('--attempt-timeout-ms <ms>', 'timeout of one delivery attempt', '30000')
    .option('--retain-max <n>', 'most events kept per region for replay and pull (besides the 7-day window)', '1000000')
    .option('--generator-threads <n>', 'threads that generate synthetic events (default: one per core; 0: main thread only)')
    .option('--portal <id[@region]>', 'add a Dev Portal with this id (repeatable; a default portal always exists)', collect)
    .option('--suspend-on-inactive', 'stop delivering new batches while a webhook is inactive')
    .addOption(new Option('--content-encoding <value>', 'Content-Encoding header of deliveries').choices(['gzip', 'application/gzip']).default('gzip'))
    .option('--cef-version-string', 'render JSON cef_version as the string "0" instead of the number 0')
    .option('--no-sign', 'deliver unsigned records (no sig field)')
    .option('--log-deliveries', 'print one line per delivery attempt to stderr')
    .addOption(new Option('-o, --output <format>', 'format of the ready line').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  konnect-audit emulate',
        '  konnect-audit emulate --listen 127.0.0.1:0 --token kpat_test --time-scale 0.01 -o json',
        '  curl -s -X PATCH http://127.0.0.1:8117/v2/audit-log-webhook -H "Authorization: Bearer $TOKEN" \\',
        '       -H "Content-Type: application/json" \\',
        '       -d \'{"endpoint":"http://127.0.0.1:9000/audit","authorization":"Bearer x","log_format":"json","enabled":true}\'',
        '  curl -s -X POST http://127.0.0.1:8117/_emulator/generate -d \'{"count":1000}\'',
      ].join('\n'),
    )
    .action(async (flags: EmulateFlags) => {
      const { runEmulate } = await import('./emulateRun.js');
      await runEmulate(flags);
    });
}
