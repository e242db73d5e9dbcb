/** `konnect-audit events`: query the stored records of a profile. */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { collect } from '../parse.js';
import { profileOption } from '../flags.js';
import { EVENTS_FORMATS, type EventsFormat } from '../../query/printer.js';
import { EVENT_TYPES, type EventType } from '../../query/filter.js';

export interface EventsFlags {
  dataDir?: string;
  profile?: string;
  configFile?: string;
  since?: string;
  until?: string;
  type?: EventType;
  principal?: string;
  granted?: boolean;
  jq?: string;
  jqRaw?: boolean;
  jqArg?: string[];
  limit?: number;
  follow?: boolean;
  output?: EventsFormat;
}

function invalid(value: string, flag: string, expected: string): UsageError {
  return new UsageError(`invalid argument "${value}" for "${flag}" flag: ${expected}`, 'events');
}

function eventType(value: string): EventType {
  if ((EVENT_TYPES as readonly string[]).includes(value)) return value as EventType;
  throw invalid(value, '--type', 'expected authentication, authorization or access (for example --type authorization)');
}

function granted(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalid(value, '--granted', 'expected true or false (for example --granted false)');
}

function limit(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw invalid(value, '--limit', 'expected a whole number of records (for example -n 100)');
  return Number(value);
}

function format(value: string): EventsFormat {
  if ((EVENTS_FORMATS as readonly string[]).includes(value)) return value as EventsFormat;
  throw invalid(value, '--output', 'expected jsonl, json, text or table (for example -o table)');
}

export function registerEvents(program: Command): void {
  const command = program
    .command('events')
    .summary("query a profile's stored audit events")
    .description(
      [
        "Print the profile's stored audit events, oldest first: the rotated segments (events-*.jsonl, events-*.jsonl.gz) in name order, then events.jsonl. CEF, JSON and CPS records are all seen as Konnect's JSON object, so every filter works on each.",
        'Types (by the record\'s name, as Konnect advises): authentication = name AUTHENTICATION_OUTCOME_* (logins, token use); authorization = name Authz.<resource> (permission checks; carries action and granted); access = anything else, i.e. Ingress (requests to the Konnect API; carries act, request and status).',
        "Times: --since and --until take a duration back from now (90m, 6h, 7d; also s, ms, w) or an RFC 3339 time (2026-11-27T17:12:48Z, or a date). They compare the record's own time (rt, else event_ts); since is inclusive, until exclusive; a record with no time is left out when either is given. Segments whose names show they were received wholly before --since are not read.",
        'Filters combine; --jq runs after the others. Warnings (unreadable records, jq errors) go to stderr, at most one a second; so does progress, on a terminal.',
      ].join('\n\n'),
    )
    .option('--since <time>', 'only events at or after this time: a duration back from now (6h, 7d) or an RFC 3339 time')
    .option('--until <time>', 'only events before this time: a duration back from now (90m) or an RFC 3339 time')
    .option('--type <type>', 'authentication, authorization or access (see above)', eventType)
    .option('--principal <id>', 'only events whose principal_id is this')
    .option('--granted <bool>', 'true or false: only authorization events that were granted (or denied)', granted)
    .option('--jq <expression>', 'print each event through this jq filter (jq 1.8; as tail --jq: none → null, one → compact JSON, several → one-line array)')
    .option('-r, --jq-raw', "with --jq: print strings without quotes, one result per line (jq's -r)")
    .option('--jq-arg <name=value>', "with --jq: set $name to the string value; also written --jq-arg name value, as jq's --arg (repeatable)", collect)
    .option('-n, --limit <n>', 'stop after N events; with --follow, print the last N stored ones, then follow', limit)
    .option('-f, --follow', 'after the stored events, print new ones as the listener stores them (across rotation), until Ctrl+C')
    .addOption(new Option('-o, --output <format>', 'jsonl (each record as stored), json (one array of Konnect JSON objects), text (one aligned line per event), table (text with a header)').argParser(format).default('jsonl'))
    .option('--data-dir <dir>', 'where profiles keep their files (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)')
    .addOption(profileOption())
    .option('--config-file <path>', 'configuration file (default $XDG_CONFIG_HOME/konnect-audit/config.yaml)');
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  konnect-audit events --since 6h -o table',
      '  konnect-audit events --type authorization --granted false --since 7d',
      "  konnect-audit events --principal 87655c36-8d63-48fe-9a1e-53b28dfbc19b --jq '{ts:.event_ts, name, request}'",
      '  konnect-audit events -n 20 -f -o text',
    ].join('\n'),
  );
  command.action(async (flags: EventsFlags) => {
    const { runEvents } = await import('./eventsRun.js');
    await runEvents(flags);
  });
}
