/** `konnect-audit pull`: read history from Konnect's pull API (`GET /v3/audit-logs`). */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { addConnectionOptions, type ConnectionFlagValues } from '../flags.js';
import { collect } from '../parse.js';
import { EVENTS_FORMATS, type EventsFormat } from '../../query/printer.js';

export interface PullFlags extends ConnectionFlagValues {
  since?: string;
  until?: string;
  startTime?: string;
  endTime?: string;
  type?: string;
  limit?: string;
  pageSize?: string;
  follow?: boolean;
  pollInterval?: string;
  jq?: string;
  jqRaw?: boolean;
  jqArg?: string[];
  output?: string;
  store?: boolean;
  print?: boolean;
  dataDir?: string;
}

/** `-o`: checked here so a bad value exits 2 with the choices. */
function format(value: string): EventsFormat {
  if ((EVENTS_FORMATS as readonly string[]).includes(value)) return value as EventsFormat;
  throw new UsageError(`invalid argument "${value}" for "--output" flag: expected jsonl, json, text or table (for example -o table)`, 'pull');
}

export function registerPull(program: Command): void {
  const command = program
    .command('pull')
    .summary("read audit-log history from Konnect's pull API (GET /v3/audit-logs)")
    .description(
      [
        "Read the region's audit records from Konnect's pull API, GET /v3/audit-logs, walking its cursor pages oldest first, and print them as JSON lines (each record as Konnect sent it, compact), through --jq, or as -o json|text|table. Konnect keeps 7 days: older records are gone.",
        "Pull records are not webhook records: their fields are Konnect's pull schema (type, ts, principal_id, granted, client_ip, uri, method, status_code, signature...). Konnect's pull signature scheme is not documented; konnect-audit assumes the emulator's: Ed25519, with the region's webhook keys, over the record's compact JSON with sorted keys and without \"signature\" (verify checks stored pull records that way).",
        'Range: --since/--start-time (default 24h back) and --until/--end-time (default now) take a duration back from now (90m, 6h, 7d) or an RFC 3339 time; both bounds are inclusive, as Konnect\'s filter[ts][gte|lte].',
        '--follow: after the history, poll every --poll-interval for newer records (each poll starts 60 s before the newest record seen, so records that become visible late are not missed; records already printed are not repeated) until Ctrl+C or SIGTERM (exit 0).',
        '--store: add the records to the profile\'s store (events.jsonl, read by events and verify), skipping those it already holds: the same pull record (the listener\'s de-duplication), or the same event as the listener received it from the webhook (same type, time, trace id, principal, address, user agent and the fields of its type; an event whose fields the two shapes spell differently is stored again rather than lost). Pulling the same range twice stores nothing the second time. It needs the profile\'s lock: while a listener runs for the profile it is refused (have Konnect resend a range to the listener with a replay job instead). With --store nothing is printed on stdout unless --print; a summary goes to stderr. The region\'s signing keys are saved beside the events (jwks.json) when none are, so verify works offline.',
      ].join('\n\n'),
    )
    .option('--since <time>', 'start of the range: a duration back from now (6h, 7d) or an RFC 3339 time (default 24h)')
    .option('--start-time <time>', 'the same as --since (Konnect\'s name)')
    .option('--until <time>', 'end of the range, inclusive (default now; not with --follow)')
    .option('--end-time <time>', 'the same as --until')
    .option('--type <type>', 'authentication, authorization or access (gateway_access): only records of this type (filter[type])')
    .option('-n, --limit <n>', 'stop after N records')
    .option('--page-size <n>', 'records per request, 1 to 1000 (page[size])', '1000')
    .option('-f, --follow', 'after the history, keep printing new records until Ctrl+C')
    .option('--poll-interval <duration>', 'with --follow: time between polls, e.g. 30s, 1m, 500ms (default 10s)')
    .option('--jq <expression>', 'print each record through this jq filter (jq 1.8; as events --jq)')
    .option('-r, --jq-raw', "with --jq: print strings without quotes, one result per line (jq's -r)")
    .option('--jq-arg <name=value>', "with --jq: set $name to the string value; also written --jq-arg name value (repeatable)", collect)
    .addOption(new Option('-o, --output <format>', 'jsonl (default: each record as compact JSON), json (one array), text (one aligned line per record), table (text with a header)').argParser(format))
    .option('--store', "add the records to the profile's store, de-duplicated (prints nothing on stdout unless --print)")
    .option('--print', 'with --store: print the records too')
    .option('--data-dir <dir>', 'with --store: where profiles keep their files (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)');
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  konnect-audit pull --since 24h',
      '  konnect-audit pull --since 2026-11-26T00:00:00Z --until 2026-11-26T06:00:00Z --type authorization -o table',
      "  konnect-audit pull --since 1h --type access --jq 'select(.status_code >= 400) | {ts, method, uri, status_code}'",
      '  konnect-audit pull -f --poll-interval 30s --type authentication',
      '  konnect-audit pull --since 3d --store     # fill a gap in the stored events, then: konnect-audit events --since 3d',
    ].join('\n'),
  );
  command.action(async (flags: PullFlags) => {
    const { runPull } = await import('./pullRun.js');
    await runPull(flags);
  });
}
