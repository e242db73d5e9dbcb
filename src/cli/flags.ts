/** Flags shared by commands that talk to Konnect, and kongctl-style boolean flags. */
import { Option, type Command } from 'commander';
import { defaultProfile } from '../config/profile.js';
import { UsageError } from './errors.js';
import { OUTPUT_FORMATS } from './output/formats.js';
import { LOG_LEVELS } from '../log/levels.js';

/** Values of the connection flags. */
export interface ConnectionFlagValues {
  baseUrl?: string;
  region?: string;
  pat?: string;
  profile?: string;
  configFile?: string;
  globalBaseUrl?: string;
}

/** Values of the general flags. */
export interface GeneralFlagValues {
  output?: string;
  logLevel?: string;
  logFile?: string;
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** A parser for `--flag`, `--flag=true` and `--flag=false` (Go's strconv.ParseBool spellings). */
export function booleanValue(flag: string): (value: string) => boolean {
  return (value) => {
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    throw new UsageError(`invalid argument "${value}" for "${flag}" flag: expected true or false`);
  };
}

/** Adds a kongctl-style boolean flag that also takes `=true` / `=false`. */
export function addBooleanOption(command: Command, flag: string, description: string, options: { readonly hidden?: boolean } = {}): Command {
  return command.addOption(new Option(`${flag} [bool]`, description).argParser(booleanValue(flag)).hideHelp(options.hidden ?? false));
}

/** `--base-url`, `--region`, `--pat`, `--profile/-p`, `--config-file`, `--global-base-url`. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--base-url <url>', 'Konnect regional API base URL (default https://us.api.konghq.com)')
    .option('--region <region>', 'Konnect region, e.g. us, eu, au, me, in, sg (becomes https://<region>.api.konghq.com)')
    .option('--global-base-url <url>', 'host for audit-log destinations (default: global.api.konghq.com for Konnect URLs, else --base-url)')
    .option('--pat <token>', 'Konnect personal or system access token (else KONNECT_AUDIT_<PROFILE>_KONNECT_PAT, KONNECT_TOKEN, the config file, kongctl\'s config)')
    .addOption(profileOption())
    .option('--config-file <path>', 'configuration file (default $XDG_CONFIG_HOME/konnect-audit/config.yaml)');
}

/** `-p/--profile`: env KONNECT_AUDIT_PROFILE, else kongctl's KONGCTL_PROFILE, else `default`. */
export function profileOption(): Option {
  return new Option('-p, --profile <name>', "configuration profile (else KONNECT_AUDIT_PROFILE, then kongctl's KONGCTL_PROFILE)").default(defaultProfile());
}

/** `-o/--output`, `--log-level`, `--log-file`. */
export function addGeneralOptions(command: Command): Command {
  return command
    .addOption(new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text'))
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default('error'))
    .option('--log-file <path>', 'write logs to this file instead of stderr');
}

/** Rejects positional arguments with kongctl's message. */
export function rejectPositionals(args: readonly string[]): void {
  if (args.length > 0) throw new UsageError('the audit-logs command does not accept positional arguments');
}
