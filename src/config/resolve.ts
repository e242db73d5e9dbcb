/**
 * Which Konnect to talk to and with which token, from flags, environment and config files, in
 * kongctl's order (reference §1), plus `KONNECT_TOKEN` and kongctl's own config and environment
 * (token, region or base URL, KONGCTL_PROFILE) as fallbacks.
 *
 * @example
 * const connection = await resolveConnection({ region: 'eu' });
 * // { profile: 'default', baseUrl: 'https://eu.api.konghq.com', globalBaseUrl: 'https://global.api.konghq.com', token, tokenSource: 'KONNECT_TOKEN', ... }
 */
import { RuntimeError, UsageError } from '../cli/errors.js';
import { GLOBAL_BASE_URL, regionalBaseUrl } from '../konnect/regions.js';
import { envKey, readProfileSection, settingAt, type FileLabel, type Section } from './file.js';
import { defaultConfigFile, kongctlConfigFile } from './paths.js';
import { profileName } from './profile.js';

/** Connection flags shared by every command that calls Konnect. */
export interface ConnectionFlags {
  readonly baseUrl?: string; // --base-url
  readonly region?: string; // --region
  readonly pat?: string; // --pat
  readonly profile?: string; // --profile / -p
  readonly configFile?: string; // --config-file
  readonly globalBaseUrl?: string; // --global-base-url
}

/** A resolved Konnect connection. */
export interface Connection {
  /** The profile name as given (else KONNECT_AUDIT_PROFILE, KONGCTL_PROFILE, 'default'). */
  readonly profile: string;
  /** Regional base URL, no trailing slash. */
  readonly baseUrl: string;
  /** Where destinations live. */
  readonly globalBaseUrl: string;
  readonly token: string;
  /** Where the token came from, for messages (never the token itself): '--pat', 'KONNECT_AUDIT_DEFAULT_KONNECT_PAT', 'KONNECT_TOKEN', 'config file <path>', 'kongctl config file <path>'. */
  readonly tokenSource: string;
  /** Settings from the config file that commands may use as defaults, e.g. 'log-file', 'output', 'log-level' (profile-level keys). */
  readonly profileSettings: Readonly<Record<string, unknown>>;
}

const DEFAULT_BASE_URL = regionalBaseUrl('us');
const OUR_ENV_PREFIX = 'KONNECT_AUDIT';
const KONGCTL_ENV_PREFIX = 'KONGCTL';
/** The variable Kong's tutorials export. */
const TUTORIAL_TOKEN_ENV = 'KONNECT_TOKEN';
const REGION_PATTERN = /^[a-z0-9-]+$/;
const REGION_RULE = '(expected lowercase letters, numbers, or hyphens)';
const KONNECT_HOST = /^[a-z0-9-]+\.api\.konghq\.com$/i;
/** Profile-level settings whose env overrides apply even when the config file does not mention them. */
const WELL_KNOWN_SETTINGS = ['output', 'log-file', 'log-level', 'data-dir'];

/** Trimmed value, or undefined when absent or blank (empty strings count as absent). */
function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The URL without trailing slashes, or why it is not a usable base URL. */
function checkBaseUrl(value: string): { url: string } | { reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: 'the scheme must be http or https' };
  if (url.search || url.hash) return { reason: 'must not have a query or fragment' };
  return { url: url.href.replace(/\/+$/, '') };
}

function baseUrlFlag(flag: string, value: string): string {
  const checked = checkBaseUrl(value);
  if ('reason' in checked) throw new UsageError(`invalid ${flag} ${JSON.stringify(value)}: ${checked.reason}`);
  return checked.url;
}

/** `https://global.api.konghq.com` for Konnect's own hosts; any other base URL (an emulator, a proxy) serves destinations itself. */
function globalFor(baseUrl: string): string {
  return KONNECT_HOST.test(new URL(baseUrl).hostname) ? GLOBAL_BASE_URL : baseUrl;
}

/** Our settings for one profile: env `KONNECT_AUDIT_<PROFILE>_<PATH>` over the config file. */
class ProfileSettings {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly where: FileLabel,
    private readonly section: Section,
  ) {}

  /** The value at a dotted path and where it came from. */
  get(path: string): { readonly value: string; readonly source: string } | undefined {
    const name = envKey(OUR_ENV_PREFIX, this.where.profile, path);
    const fromEnv = present(this.env[name]);
    if (fromEnv !== undefined) return { value: fromEnv, source: name };
    const fromFile = settingAt(this.section, path, this.where);
    return fromFile !== undefined ? { value: fromFile, source: `${this.where.label} ${this.where.path}` } : undefined;
  }

  /** The config file's own value at a dotted path (no env override). */
  fileValue(path: string): string | undefined {
    return settingAt(this.section, path, this.where);
  }

  /** Profile-level keys for commands' defaults; the `konnect` block (with the token) stays out. */
  defaults(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.section)) if (key.toLowerCase() !== 'konnect') out[key] = value;
    for (const key of new Set([...Object.keys(out), ...WELL_KNOWN_SETTINGS])) {
      const fromEnv = present(this.env[envKey(OUR_ENV_PREFIX, this.where.profile, key)]);
      if (fromEnv !== undefined) out[key] = fromEnv;
    }
    return out;
  }
}

/** The base URL the flags ask for: --base-url, else --region; undefined when neither is given. */
function flagBaseUrl(flags: ConnectionFlags): string | undefined {
  const flagUrl = present(flags.baseUrl);
  if (flagUrl !== undefined) return baseUrlFlag('--base-url', flagUrl);
  const flagRegion = present(flags.region);
  if (flagRegion === undefined) return undefined;
  if (!REGION_PATTERN.test(flagRegion)) throw new UsageError(`invalid konnect region ${JSON.stringify(flagRegion)} ${REGION_RULE}`);
  return regionalBaseUrl(flagRegion);
}

/** A setting at a dotted path and where it came from (for messages), or undefined when unset. */
type SettingLookup = (path: string) => { readonly value: string; readonly source: string } | undefined;

/** A configured base URL: `konnect.base-url`, else `konnect.region`; undefined when neither is set. */
function configuredBaseUrl(get: SettingLookup): string | undefined {
  const configured = get('konnect.base-url');
  if (configured !== undefined) {
    const checked = checkBaseUrl(configured.value);
    if ('reason' in checked) throw new RuntimeError(`invalid konnect base-url ${JSON.stringify(configured.value)} from ${configured.source}: ${checked.reason}`);
    return checked.url;
  }
  const region = get('konnect.region');
  if (region !== undefined) {
    if (!REGION_PATTERN.test(region.value)) throw new RuntimeError(`invalid konnect region ${JSON.stringify(region.value)} from ${region.source} ${REGION_RULE}`);
    return regionalBaseUrl(region.value);
  }
  return undefined;
}

/** kongctl's config file for one profile, read and parsed at most once (the region and the token may both need it). */
class KongctlFile {
  readonly where: FileLabel;
  #section: Promise<Section> | undefined;

  constructor(env: NodeJS.ProcessEnv, profile: string) {
    this.where = { label: 'kongctl config file', path: kongctlConfigFile(env), profile };
  }

  /** The profile's section; rejects when the file cannot be read or parsed. */
  section(): Promise<Section> {
    return (this.#section ??= readProfileSection(this.where));
  }
}

/**
 * kongctl's settings for the profile: `KONGCTL_<PROFILE>_<PATH>` over its config file, so that a
 * kongctl user's region comes along with their token. The file is only a fallback here: when it
 * cannot be read or parsed it counts as empty (the token lookup reports it when it is needed).
 */
async function kongctlSettings(env: NodeJS.ProcessEnv, file: KongctlFile): Promise<SettingLookup> {
  const { where } = file;
  const section = await file.section().catch(() => ({}));
  return (path) => {
    const name = envKey(KONGCTL_ENV_PREFIX, where.profile, path);
    const fromEnv = present(env[name]);
    if (fromEnv !== undefined) return { value: fromEnv, source: name };
    const fromFile = settingAt(section, path, where);
    return fromFile !== undefined ? { value: fromFile, source: `${where.label} ${where.path}` } : undefined;
  };
}

/** Token: --pat, our env, KONNECT_TOKEN, our config file, kongctl's env, kongctl's config file (read only when needed). */
async function resolveToken(flags: ConnectionFlags, env: NodeJS.ProcessEnv, settings: ProfileSettings, kongctlFile: KongctlFile): Promise<{ token: string; tokenSource: string }> {
  const profile = settings.where.profile;
  const flagPat = present(flags.pat);
  if (flagPat !== undefined) return { token: flagPat, tokenSource: '--pat' };
  const ourEnvName = envKey(OUR_ENV_PREFIX, profile, 'konnect.pat');
  const ourEnv = present(env[ourEnvName]);
  if (ourEnv !== undefined) return { token: ourEnv, tokenSource: ourEnvName };
  const tutorialEnv = present(env[TUTORIAL_TOKEN_ENV]);
  if (tutorialEnv !== undefined) return { token: tutorialEnv, tokenSource: TUTORIAL_TOKEN_ENV };
  const ours = settings.fileValue('konnect.pat');
  if (ours !== undefined) return { token: ours, tokenSource: `${settings.where.label} ${settings.where.path}` };
  const kongctlEnvName = envKey(KONGCTL_ENV_PREFIX, profile, 'konnect.pat');
  const kongctlEnv = present(env[kongctlEnvName]);
  if (kongctlEnv !== undefined) return { token: kongctlEnv, tokenSource: kongctlEnvName };
  const kongctl = kongctlFile.where;
  const kongctlPat = settingAt(await kongctlFile.section(), 'konnect.pat', kongctl);
  if (kongctlPat !== undefined) return { token: kongctlPat, tokenSource: `${kongctl.label} ${kongctl.path}` };
  throw new RuntimeError(
    `no Konnect token found for profile ${JSON.stringify(profile)}. Provide one with --pat, the ${ourEnvName} or ${TUTORIAL_TOKEN_ENV} environment variable, ` +
      `"konnect: pat:" under profile ${JSON.stringify(profile)} in ${settings.where.path}, or kongctl's config ${kongctl.path} (or ${kongctlEnvName})`,
  );
}

/**
 * Resolves the connection. Throws UsageError (from src/cli/errors.ts) for bad flag values and a
 * RuntimeError when a config file is unreadable or invalid or no token can be found.
 * @example await resolveConnection({ profile: 'prod', region: 'eu' }, { KONNECT_TOKEN: 'kpat_x' })
 */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const profile = profileName(flags.profile, env);
  // Flags first: a usage error (exit 2) should not depend on the state of a config file.
  const flagGlobal = present(flags.globalBaseUrl);
  const globalOverride = flagGlobal !== undefined ? baseUrlFlag('--global-base-url', flagGlobal) : undefined;
  const fromFlags = flagBaseUrl(flags);
  const ourFile: FileLabel = { label: 'config file', path: present(flags.configFile) ?? defaultConfigFile(env), profile };
  const settings = new ProfileSettings(env, ourFile, await readProfileSection(ourFile));
  // Ours first, then kongctl's (its users keep their region there), then the US.
  const kongctlFile = new KongctlFile(env, profile);
  const baseUrl = fromFlags ?? configuredBaseUrl((path) => settings.get(path)) ?? configuredBaseUrl(await kongctlSettings(env, kongctlFile)) ?? DEFAULT_BASE_URL;
  const { token, tokenSource } = await resolveToken(flags, env, settings, kongctlFile);
  return {
    profile,
    baseUrl,
    globalBaseUrl: globalOverride ?? globalFor(baseUrl),
    token,
    tokenSource,
    profileSettings: settings.defaults(),
  };
}
