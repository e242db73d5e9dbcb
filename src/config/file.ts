/**
 * YAML config files keyed by profile (`default: {output: text, konnect: {pat, region, base-url}}`),
 * read the way kongctl reads its own: keys match case-insensitively, a missing file is empty.
 *
 * @example
 * const section = await readProfileSection('/home/me/.config/konnect-audit/config.yaml', 'default');
 * settingAt(section, 'konnect.pat', where) // 'kpat_...' or undefined
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { RuntimeError } from '../cli/errors.js';

/** A profile's settings as parsed from YAML. */
export type Section = Readonly<Record<string, unknown>>;

/** Names a file in errors, e.g. `config file /x/config.yaml` or `kongctl config file /y/config.yaml`. */
export interface FileLabel {
  readonly label: string;
  readonly path: string;
  readonly profile: string;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value under `key`, preferring an exact match, else a case-insensitive one (viper lower-cases keys). */
function lookup(mapping: Section, key: string): unknown {
  if (Object.hasOwn(mapping, key)) return mapping[key];
  const lower = key.toLowerCase();
  const found = Object.keys(mapping).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : mapping[found];
}

/** Reads one profile's section; `{}` when the file or the profile is absent. Throws naming the file when it is unreadable or invalid. */
export async function readProfileSection(where: FileLabel): Promise<Section> {
  let text: string;
  try {
    text = await readFile(where.path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new RuntimeError(`cannot read ${where.label} ${where.path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    // yaml's messages end with a code frame; the first line says what and where.
    const first = ((error as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '');
    throw new RuntimeError(`invalid ${where.label} ${where.path}: ${first}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw new RuntimeError(`invalid ${where.label} ${where.path}: expected a mapping of profile names to settings`);
  const section = lookup(doc, where.profile);
  if (section === null || section === undefined) return {};
  if (!isMapping(section)) throw new RuntimeError(`invalid ${where.label} ${where.path}: profile "${where.profile}" must be a mapping`);
  return section;
}

/**
 * A string setting at a dotted path (`konnect.base-url`); undefined when absent or blank.
 * Throws when the value there is not a string.
 */
export function settingAt(section: Section, path: string, where: FileLabel): string | undefined {
  let node: unknown = section;
  for (const key of path.split('.')) {
    if (!isMapping(node)) return undefined;
    node = lookup(node, key);
  }
  if (node === null || node === undefined) return undefined;
  if (typeof node !== 'string') throw new RuntimeError(`invalid ${where.label} ${where.path}: ${where.profile}.${path} must be a string`);
  return node.trim() || undefined;
}

/**
 * The environment variable that overrides a setting: `<PREFIX>_<PROFILE>_<PATH>`, upper-cased,
 * with `.` and `-` as `_`.
 * @example envKey('KONNECT_AUDIT', 'default', 'konnect.base-url') // 'KONNECT_AUDIT_DEFAULT_KONNECT_BASE_URL'
 */
export function envKey(prefix: string, profile: string, path: string): string {
  return `${prefix}_${profile}_${path}`.toUpperCase().replace(/[.-]/g, '_');
}
