/**
 * `listen` and `tail` in kongctl's forms: `listen`, `listen audit-logs`, `listen konnect audit-logs`
 * (aliases `lsn`, `audit-log`, `al`), and the same for `tail` (= `listen --tail`). Flags and help
 * here; the work is in listenRun.ts, loaded on use.
 */
import { Option, type Command } from 'commander';
import { addBooleanOption, addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';
import { DEFAULT_BACKFILL, DEFAULT_HEADER_TIMEOUT, DEFAULT_LISTEN_ADDRESS, DEFAULT_MAX_BODY_BYTES, DEFAULT_PATH, DEFAULT_REQUEST_TIMEOUT, type ListenFlags } from '../../listener/settings.js';

/** Every flag value of listen/tail. */
export type ListenCommandFlags = ListenFlags & ConnectionFlagValues & GeneralFlagValues & { dataDir?: string; detach?: boolean; detachTimeout?: string };

const HELP_AFTER = (verb: 'listen' | 'tail') =>
  [
    '',
    'What it does:',
    '  1. binds --listen-address (before touching Konnect: a busy port creates nothing)',
    '  2. checks the regional webhook is unconfigured (unless --configure-webhook=false)',
    '  3. creates an audit-log destination pointing at --endpoint (or --public-url + --path)',
    '  4. binds and enables the regional webhook to it',
    '  5. stores every record, byte for byte, in <data dir>/<profile>/events.jsonl (fsynced before 202)',
    '  6. back-fills the gap since the newest stored record: a Konnect replay job (--backfill)',
    `  7. on Ctrl+C or SIGTERM releases the webhook and deletes the destination${verb === 'tail' ? '' : ''}`,
    '',
    'Examples:',
    verb === 'tail'
      ? "  konnect-audit tail --endpoint https://my-host.ts.net/audit-logs --authorization 'Bearer s3cret' --jq '{ts:.event_ts, name}'"
      : "  konnect-audit listen --endpoint https://my-host.ts.net/audit-logs --authorization 'Bearer s3cret'",
    "  konnect-audit listen --public-url https://my-host.ts.net --path /audit-logs --authorization 'Bearer s3cret' --region eu",
    '  konnect-audit emulate &   # then, offline:',
    `  konnect-audit ${verb} --base-url http://127.0.0.1:8117 --pat <emulator token> --endpoint http://127.0.0.1:19090/audit-logs --authorization 'Bearer x'`,
  ].join('\n');

function defineListenOptions(command: Command, verb: 'listen' | 'tail'): Command {
  command
    .argument('[args...]')
    .option('--endpoint <url>', 'public URL Konnect posts to (wins over --public-url)')
    .option('--public-url <url>', 'public base URL; the endpoint is it plus --path')
    .option('--path <path>', 'listener path', DEFAULT_PATH)
    .option('--listen-address <host:port>', 'local address to listen on', DEFAULT_LISTEN_ADDRESS)
    .option('--max-body-bytes <n>', 'largest request body, raw and decoded', String(DEFAULT_MAX_BODY_BYTES))
    .option('--header-timeout <duration>', 'a client must send its request headers within this time, or gets 408 and is cut off', DEFAULT_HEADER_TIMEOUT)
    .option('--request-timeout <duration>', 'a client must send its whole request, body included, within this time', DEFAULT_REQUEST_TIMEOUT)
    .option('--rotate-size <size>', 'events.jsonl becomes a segment (events-<first>-<last>.jsonl.gz, compressed in the background) once this big, e.g. 128MiB, 1GB', '128MiB')
    .option('--rotate-interval <duration>', '... or once its first record is this old, e.g. 24h')
    .option('--retain <duration>', 'delete segments whose last record is older than this, e.g. 90d (default: keep)')
    .option('--retain-size <size>', 'delete the oldest segments while all of them are larger than this, e.g. 10GiB (default: no limit)')
    .option('--verify <mode>', "check each record's Ed25519 signature with the region's keys: off, warn (store every record, report failures) or enforce (records that fail or carry no signature go to quarantine.jsonl)", 'warn')
    .option(
      '--backfill <mode>',
      'gap back-fill at start: when the store has records (or the last listener was killed), request a replay of the audit events missed since (auto), only say what is missing and how to request it (off), or ask first on the terminal (ask)',
      DEFAULT_BACKFILL,
    )
    .option('--name <name>', 'destination name (default konnect-audit-<host>-<pid>)')
    .option('--log-format <format>', 'record format Konnect sends: cef, json or cps', 'json')
    .option('--authorization <value>', 'Authorization header Konnect must send (required; compared exactly); or set KONNECT_AUDIT_AUTHORIZATION, which keeps it out of the process list');
  addBooleanOption(command, '--skip-ssl-verification', "Konnect skips TLS verification of the endpoint (affects Konnect's delivery, not the listener)");
  addBooleanOption(command, '--keep-duplicates', 'store a record again when Konnect resends it (a retry or a replay job); by default it is acknowledged and not stored twice');
  addBooleanOption(command, '--configure-webhook', 'check, bind and release the regional webhook (default true); false: destination only');
  command.option('--no-configure-webhook', 'same as --configure-webhook=false');
  addBooleanOption(command, '--tail', verb === 'tail' ? 'stream records to stdout (default true for tail; --tail=false behaves like listen)' : 'stream records to stdout');
  command.option('--jq <expression>', 'with --tail: print each record through this jq filter (jq 1.8; CEF and CPS records are seen as Konnect JSON objects)');
  command.option('-r, --jq-raw', "with --jq: print strings without quotes, one result per line (jq's -r)");
  command.option('--jq-arg <name=value>', 'with --jq: set $name to the string value; also written --jq-arg name value, as jq\'s --arg (repeatable)', (value: string, previous: string[] = []) => [...previous, value]);
  // Hidden on tail (= listen --tail): `tail -d` gets kongctl's "--detach is not supported with --tail", and `tail --tail=false -d` detaches as listen does.
  const hidden = verb === 'tail';
  addBooleanOption(command, '-d, --detach', 'run in the background; returns once the listener is serving (or has failed)', { hidden });
  command.addOption(new Option('--detach-timeout <duration>', 'with --detach: how long to wait for the listener to be ready, e.g. 60s, 2m').default('60s').hideHelp(hidden));
  command.option('--data-dir <dir>', 'where profiles keep their events (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)');
  addConnectionOptions(command);
  addGeneralOptions(command);
  command.addHelpText('after', HELP_AFTER(verb));
  command.action(async (args: string[], flags: ListenCommandFlags) => {
    const { runListenCommand } = await import('./listenRun.js');
    await runListenCommand(verb, args, { ...flags, tail: flags.tail ?? verb === 'tail' });
  });
  return command;
}

/** Registers `listen` and `tail` with their `audit-logs` and `konnect audit-logs` forms. */
export function registerListen(program: Command): void {
  for (const verb of ['listen', 'tail'] as const) {
    const summary = verb === 'listen' ? 'receive Konnect audit logs: create a destination, bind the webhook, store events' : 'listen and stream each record to stdout (listen --tail)';
    const root = program.command(verb).summary(summary).description(`${summary}.`);
    if (verb === 'listen') root.alias('lsn');
    defineListenOptions(root, verb);
    defineListenOptions(root.command('audit-logs').aliases(['audit-log', 'al']).description(`${summary}.`), verb);
    defineListenOptions(root.command('konnect').description('Konnect products').command('audit-logs').aliases(['audit-log', 'al']).description(`${summary}.`), verb);
  }
}
