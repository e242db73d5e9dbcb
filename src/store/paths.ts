/** Where a profile's files live: `<dataDir>/<sanitized profile>/...`. */
import { join } from 'node:path';

const DEFAULT_PROFILE = 'default';
const EVENTS_FILE = 'events.jsonl';
const LISTENER_FILE = 'listener.json';
const DESTINATION_FILE = 'destination.json';
const LOCK_FILE = 'listener.lock';
const JWKS_FILE = 'jwks.json';
const QUARANTINE_FILE = 'quarantine.jsonl';

// Go's unicode.IsSpace, which kongctl's strings.TrimSpace uses (JS trim() also strips U+FEFF).
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGE_SPACES = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'gu');
const KEPT = /^[\p{L}\p{Nd}._-]$/u;

/** The files of one profile. */
export interface ProfilePaths {
  readonly dir: string;
  readonly eventsFile: string;
  readonly listenerFile: string;
  readonly destinationFile: string;
  readonly lockFile: string;
  /** The listener's copy of the region's JWKS, so stored records verify offline later. */
  readonly jwksFile: string;
  /** Records that failed signature checks in `--verify enforce` mode. */
  readonly quarantineFile: string;
}

/**
 * A profile name safe as one path component, as kongctl makes it: trimmed, empty → `default`,
 * Unicode letters, digits and `-_.` kept, every other character → `_`. `.` and `..` become `_`
 * and `__` so a profile can never name the data dir or its parent.
 *
 * @example sanitizeProfile(' my team/prod ') // 'my_team_prod'
 */
export function sanitizeProfile(name: string): string {
  const trimmed = name.replace(EDGE_SPACES, '');
  if (trimmed === '') return DEFAULT_PROFILE;
  let safe = '';
  for (const char of trimmed) safe += KEPT.test(char) ? char : '_';
  return safe === '.' || safe === '..' ? safe.replaceAll('.', '_') : safe;
}

/**
 * The paths of a profile's events, state and lock files under `dataDir`.
 *
 * @example profilePaths('/home/me/.config/konnect-audit/audit-logs', 'prod').eventsFile
 * // '/home/me/.config/konnect-audit/audit-logs/prod/events.jsonl'
 */
export function profilePaths(dataDir: string, profile: string): ProfilePaths {
  const dir = join(dataDir, sanitizeProfile(profile));
  return {
    dir,
    eventsFile: join(dir, EVENTS_FILE),
    listenerFile: join(dir, LISTENER_FILE),
    destinationFile: join(dir, DESTINATION_FILE),
    lockFile: join(dir, LOCK_FILE),
    jwksFile: join(dir, JWKS_FILE),
    quarantineFile: join(dir, QUARANTINE_FILE),
  };
}
