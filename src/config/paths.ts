/**
 * Where konnect-audit and kongctl keep their settings: the XDG config directory, else
 * `~/.config` (kongctl's layout, reference §1 and §5).
 *
 * @example
 * defaultConfigFile({ XDG_CONFIG_HOME: '/cfg' }) // '/cfg/konnect-audit/config.yaml'
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const APP_DIR = 'konnect-audit';
const KONGCTL_DIR = 'kongctl';
const CONFIG_FILE = 'config.yaml';
const DATA_DIR = 'audit-logs';

/** The base config directory: `$XDG_CONFIG_HOME`, else `$HOME/.config`. */
function configHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says to ignore a relative value.
  if (xdg && isAbsolute(xdg)) return xdg;
  return join(env.HOME || homedir(), '.config');
}

/** `$XDG_CONFIG_HOME/konnect-audit`, else `~/.config/konnect-audit`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(configHome(env), APP_DIR);
}

/** kongctl's config file (read-only for us): `$XDG_CONFIG_HOME/kongctl/config.yaml`, else `~/.config/kongctl/config.yaml`. */
export function kongctlConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configHome(env), KONGCTL_DIR, CONFIG_FILE);
}

/** Our config file: `<configDir>/config.yaml`. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), CONFIG_FILE);
}

/** Where listeners store received records by default: `<configDir>/audit-logs`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), DATA_DIR);
}

/**
 * The data dir a command uses: `--data-dir`, else the profile's `data-dir` setting (a non-empty
 * string), else defaultDataDir().
 * @example dataDirOf(flags.dataDir, connection.profileSettings['data-dir'])
 */
export function dataDirOf(flag: string | undefined, configured: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) return flag;
  return typeof configured === 'string' && configured !== '' ? configured : defaultDataDir(env);
}
