/** `konnect-audit cleanup`: release the regional webhook and delete a listener's destination. */
import type { Command } from 'commander';
import { addBooleanOption, addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';

export type CleanupFlags = ConnectionFlagValues & GeneralFlagValues & { destinationId?: string; dataDir?: string; configureWebhook?: boolean };

export function registerCleanup(program: Command): void {
  const command = program
    .command('cleanup')
    .summary("remove a listener's Konnect state: disable and unbind the regional webhook, delete the destination")
    .description(
      [
        "Remove what a listener created in Konnect when it could not do so itself (killed, crashed, or",
        'its clean-up failed): disables and unbinds the regional webhook if it is bound to the',
        'destination, then deletes the destination. The destination is the one recorded in the',
        "profile's destination.json, or the one given with --destination-id.",
      ].join('\n'),
    )
    .option('--destination-id <id>', "destination to delete (default: the one in the profile's destination.json)")
    .option('--data-dir <dir>', 'where profiles keep their state (default $XDG_CONFIG_HOME/konnect-audit/audit-logs)');
  addBooleanOption(command, '--configure-webhook', 'also release the regional webhook when it is bound to the destination (default true)');
  addConnectionOptions(command);
  addGeneralOptions(command);
  command.addHelpText('after', ['', 'Examples:', '  konnect-audit cleanup', '  konnect-audit cleanup --profile prod --destination-id 07ec3858-066b-4629-bdc5-d4aa893b424d'].join('\n'));
  command.action(async (flags: CleanupFlags) => {
    const { runCleanup } = await import('./cleanupRun.js');
    await runCleanup(flags);
  });
}
