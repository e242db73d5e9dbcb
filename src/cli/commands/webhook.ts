/** `konnect-audit webhook get|status|set|disable`: the region's audit-log webhook (v2, inline configuration). */
import { Option, type Command } from 'commander';
import { LOG_FORMATS } from '../../records/render.js';
import { addBooleanOption, addConnectionOptions, addGeneralOptions, type ConnectionFlagValues, type GeneralFlagValues } from '../flags.js';

export type WebhookFlags = ConnectionFlagValues & GeneralFlagValues & { portalId?: string };
export type WebhookSetFlags = WebhookFlags & {
  destinationId?: string;
  endpoint?: string;
  authorization?: string;
  authorizationFile?: string;
  logFormat?: string;
  skipSslVerification?: boolean;
  enabled?: boolean;
};

/** --portal-id, connection and -o flags on a subcommand, which owns its options (`webhook get -o json`). */
function withCommonOptions(command: Command): Command {
  command.option('--portal-id <uuid>', "a Dev Portal's webhook instead of the region's (it sends the portal's authentication events to a destination)");
  addConnectionOptions(command);
  addGeneralOptions(command);
  return command;
}

export function registerWebhook(program: Command): void {
  const webhook = program
    .command('webhook')
    .summary("show, configure or disable the region's audit-log webhook")
    .description(
      [
        "The region's audit-log webhook (one per region; /v2/audit-log-webhook): where Konnect sends audit logs.",
        'The authorization value is write-only in Konnect and never printed.',
        '',
        "With --portal-id, a Dev Portal's webhook (/v3/portals/{id}/audit-log-webhook) instead. A portal webhook has no",
        'endpoint of its own: it is bound to an audit-log destination (endpoint, authorization, log format), which',
        'get shows; set binds one with --destination-id.',
      ].join('\n'),
    )
    .enablePositionalOptions();

  withCommonOptions(webhook.command('get').description("Show the region's webhook configuration: endpoint, enabled, log format, TLS verification (the authorization is never shown).")).action(
    async (flags: WebhookFlags) => {
      const { runWebhookGet } = await import('./webhookRun.js');
      await runWebhookGet(flags);
    },
  );

  withCommonOptions(
    webhook.command('status').description('Show whether the webhook delivers (active/inactive), its last attempt and response, and what to do when it is inactive.'),
  ).action(async (flags: WebhookFlags) => {
    const { runWebhookStatus } = await import('./webhookRun.js');
    await runWebhookStatus(flags);
  });

  const set = webhook
    .command('set')
    .description(
      [
        "Configure the region's webhook (PATCH /v2/audit-log-webhook, as Kong's SIEM tutorials do). Fields not given stay as they are; --enabled defaults to true. Values are checked before anything is sent.",
        'With --portal-id: bind the Dev Portal webhook to an existing destination (--destination-id) and/or enable it. --endpoint, --authorization, --log-format and --skip-ssl-verification belong to the destination and are refused with --portal-id.',
      ].join('\n\n'),
    )
    .option('--destination-id <uuid>', 'with --portal-id: the audit-log destination the portal webhook sends to')
    .option('--endpoint <url>', 'https:// (or http://) URL that receives the audit logs')
    .option('--authorization <value>', 'Authorization header value Konnect sends, e.g. "Bearer <token>" or "Splunk <token>"')
    .option('--authorization-file <path>', 'read the Authorization value from a file (- for standard input), keeping it out of the process list and shell history')
    .addOption(new Option('--log-format <format>', 'format of delivered records').choices([...LOG_FORMATS]));
  addBooleanOption(set, '--skip-ssl-verification', "do not verify the endpoint's TLS certificate (default false)");
  addBooleanOption(set, '--enabled', 'deliver audit logs (default true)');
  withCommonOptions(set);
  set.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  konnect-audit webhook set --endpoint https://collectors.sumologic.com/receiver/v1/http/XYZ --authorization "Bearer $SIEM_TOKEN" --log-format cef',
      '  pass show siem/sumo | konnect-audit webhook set --authorization-file -   # rotate the secret only',
      '  konnect-audit webhook set --portal-id $PORTAL_ID --destination-id $DESTINATION_ID',
    ].join('\n'),
  );
  set.action(async (flags: WebhookSetFlags) => {
    const { runWebhookSet } = await import('./webhookRun.js');
    await runWebhookSet(flags);
  });

  withCommonOptions(webhook.command('disable').description("Stop delivery: PATCH the region's webhook with enabled=false (its configuration is kept).")).action(
    async (flags: WebhookFlags) => {
      const { runWebhookDisable } = await import('./webhookRun.js');
      await runWebhookDisable(flags);
    },
  );
}
