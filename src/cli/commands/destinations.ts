/** `konnect-audit destinations list|get|delete`: the organisation's audit-log destinations (v3, global host). */
import type { Command } from 'commander';
import { addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';

export type DestinationsFlags = ConnectionFlagValues & GeneralFlagValues;

/** Connection and -o flags on a subcommand, which owns its options (`destinations list -o json`). */
function withCommonOptions(command: Command): Command {
  addConnectionOptions(command);
  addGeneralOptions(command);
  return command;
}

export function registerDestinations(program: Command): void {
  const destinations = program
    .command('destinations')
    .summary("list, show or delete the organisation's audit-log destinations")
    .description("The organisation's audit-log destinations (/v3/audit-log-destinations on the global host), as kongctl's `get audit-logs destinations`.")
    .enablePositionalOptions();

  withCommonOptions(destinations.command('list').description('List every destination: id, name, endpoint, log format, created_at.')).action(async (flags: DestinationsFlags) => {
    const { runDestinationsList } = await import('./destinationsRun.js');
    await runDestinationsList(flags);
  });

  withCommonOptions(destinations.command('get').argument('<id>', 'destination id').description('Show one destination (its authorization is write-only in Konnect).')).action(
    async (id: string, flags: DestinationsFlags) => {
      const { runDestinationsGet } = await import('./destinationsRun.js');
      await runDestinationsGet(id, flags);
    },
  );

  withCommonOptions(
    destinations
      .command('delete')
      .argument('<id>', 'destination id')
      .description('Delete a destination. Konnect refuses (409) while a webhook uses it: disable and unbind the webhook first (konnect-audit cleanup --destination-id ID does both, then deletes).'),
  ).action(async (id: string, flags: DestinationsFlags) => {
    const { runDestinationsDelete } = await import('./destinationsRun.js');
    await runDestinationsDelete(id, flags);
  });
}
