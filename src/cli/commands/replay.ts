/** `konnect-audit replay`: ask Konnect to re-send a time range of audit logs (a replay job) and follow it. */
import type { Command } from 'commander';
import { addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';

export type ReplayFlags = ConnectionFlagValues &
  GeneralFlagValues & {
    since?: string;
    until?: string;
    startTime?: string;
    endTime?: string;
    portalId?: string;
    /** false with --no-wait. */
    wait?: boolean;
    pollInterval?: string;
    timeout?: string;
    settle?: string;
    dataDir?: string;
  };

export function registerReplay(program: Command): void {
  const command = program
    .command('replay')
    .summary('re-send a time range of audit logs (Konnect replay job) and report what the listener received')
    .description(
      [
        "Ask Konnect to re-send the audit logs of a time range (a replay job: PUT /v2/audit-log-replay-job, or a Dev Portal's with --portal-id), follow the job until it completes or fails, and report how many records this profile's listener received for the range. Use it to fill a gap: a listener that was down, an endpoint that failed.",
        "Konnect sends the records to the webhook configured when the job runs, so it must be enabled first: run `konnect-audit listen` (or `listen --detach`), or point it at your SIEM with `konnect-audit webhook set`. A running listener stores each record once: records it already has are dropped as duplicates, so replaying a range that is partly stored is safe.",
        'Range: --since/--start-time (required) and --until/--end-time (default now) take a duration back from now (90m, 6h, 2d) or an RFC 3339 time (2026-11-27T06:00:00Z). Konnect keeps 7 days of audit logs: a range reaching back further is refused before any call. Konnect runs one job at a time per region (and per Dev Portal): while one is accepted, pending or running, a new one is refused (409).',
        "States (accepted, pending, running, then completed or failed) are shown on stderr: a spinner on a terminal, one timestamped line per change otherwise. The result goes to stdout (-o json|yaml: {job, range, listener, records: {before, after, new}}): the listener's stored records whose own event time (rt, else event_ts) is in the range, counted before the job and after it (when the range reaches now, records of the moment count too). Ctrl+C stops following; the job goes on in Konnect. Exit status: 0 completed, 1 failed or still running at --timeout (or refused: 409, webhook not enabled), 2 bad flags or a range Konnect would refuse, 130 Ctrl+C.",
      ].join('\n\n'),
    )
    .option('--since <time>', 'start of the range: a duration back from now (6h, 2d) or an RFC 3339 time (required, or --start-time)')
    .option('--until <time>', 'end of the range (default now): a duration back from now or an RFC 3339 time')
    .option('--start-time <time>', "the same as --since, in Konnect's words (start_at)")
    .option('--end-time <time>', "the same as --until, in Konnect's words (end_at)")
    .option('--portal-id <uuid>', "replay a Dev Portal's audit logs (its own webhook and job) instead of the region's")
    .option('--no-wait', 'return once Konnect has accepted the job (202) and print it, without following it')
    .option('--poll-interval <duration>', 'how often to ask Konnect for the job state', '1s')
    .option('--timeout <duration>', 'stop following after this long (the job goes on in Konnect; exit 1)', '30m')
    .option('--settle <duration>', 'after completion, count until the stored records stay the same this long (Konnect may still be delivering; at most 1 minute; 0: count once)', '2s')
    .option('--data-dir <dir>', "where profiles keep their files, to find the profile's listener and count its records (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)");
  addConnectionOptions(command);
  addGeneralOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  # the listener was down for the last 6 hours: re-send them',
      '  konnect-audit replay --since 6h',
      '  # an exact window, in UTC',
      '  konnect-audit replay --start-time 2026-11-27T06:00:00Z --end-time 2026-11-27T12:00:00Z',
      "  # a Dev Portal's authentication events of the last 2 days",
      '  konnect-audit replay --since 2d --portal-id 9cb77dc2-ff99-4d47-84ab-7c5c1b3ef939',
      '  # start the job and return; follow it later with konnect-audit status',
      '  konnect-audit replay --since 24h --no-wait -o json',
    ].join('\n'),
  );
  command.action(async (flags: ReplayFlags) => {
    const { runReplay } = await import('./replayRun.js');
    await runReplay(flags);
  });
}
