/** `konnect-audit status`: one screen with the webhook, its delivery status, the replay job, the local listeners and the store. */
import type { Command } from 'commander';
import { addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';

export type StatusFlags = ConnectionFlagValues &
  GeneralFlagValues & {
    dataDir?: string;
    portalId?: string;
  };

export function registerStatus(program: Command): void {
  const command = program
    .command('status')
    .summary('one screen: the webhook and its delivery status, the replay job, local listeners, the store, and what to do')
    .description(
      [
        "One screen with everything about the audit-log flow of a region (or of a Dev Portal with --portal-id):",
        '  Konnect  the webhook (endpoint, enabled, log format, TLS verification, destination; never the authorization),',
        '           its status (active/inactive, last attempt, last response) and the replay job',
        "  Local    the profile's listener (running or not, where it serves) and the detached listeners (as ps lists them),",
        "           and whether the webhook points at a running listener",
        '  Store    records (counted), size on disk, files, the newest record time, quarantined records',
        'When the webhook is inactive, disabled or unconfigured it ends with what to do, including the',
        '`konnect-audit replay --since` that recovers the records lost meanwhile.',
        '',
        'Each Konnect call runs in parallel and a failed one is shown in its place. Exit status: 0 when the',
        'screen was made; 1 when no Konnect call succeeded (Konnect unreachable, the token refused, an',
        'unknown portal), after printing the local sections; 2 for bad flags.',
      ].join('\n'),
    )
    .option('--portal-id <uuid>', "show a Dev Portal's webhook, status and replay job instead of the region's")
    .option('--data-dir <dir>', 'where profiles keep their files (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)');
  addConnectionOptions(command);
  addGeneralOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  konnect-audit status',
      '  konnect-audit status --region eu -p prod -o json',
      '  konnect-audit status --portal-id 7f3c5a0e-2b1d-4c6e-9a8f-0d1e2f3a4b5c',
    ].join('\n'),
  );
  command.action(async (flags: StatusFlags) => {
    const { runStatus } = await import('./statusRun.js');
    await runStatus(flags);
  });
}
