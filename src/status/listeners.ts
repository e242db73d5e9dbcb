/**
 * The local half of `status`: the profile's own listener (listener.json, and whether the pid in
 * listener.lock is alive and still that process) and the detached listeners' process records.
 */
import { assessRecord } from '../processes/inspect.js';
import { readRecords } from '../processes/records.js';
import { runningListener } from '../processes/runningListener.js';
import { readJsonObject } from '../store/files.js';
import type { ProfilePaths } from '../store/paths.js';

/** The profile's listener: `running` (the lock's holder is alive), `stopped` (it ran here before), `none`. */
export interface ProfileListener {
  readonly state: 'running' | 'stopped' | 'none';
  readonly pid: number | null;
  readonly started_at: string | null;
  /** Where it serves locally, e.g. `http://127.0.0.1:19090/audit-logs`. */
  readonly local_endpoint: string | null;
  /** The public endpoint its destination names (while it runs). */
  readonly endpoint: string | null;
  readonly destination_id: string | null;
}

/** A detached listener as `ps` classifies it. */
export interface DetachedListener {
  readonly pid: number;
  readonly status: 'running' | 'starting' | 'exited' | 'failed' | 'stale';
  readonly profile: string;
  readonly endpoint: string | null;
  readonly local_endpoint: string | null;
  readonly destination_id: string | null;
  readonly created_at: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The profile's listener: the running one as runningListener() finds it, else the last one's
 * listener.json (stopped).
 * @example const l = await profileListener(profilePaths(dataDir, 'default')); if (l.state === 'running') console.log(l.local_endpoint);
 */
export async function profileListener(paths: ProfilePaths): Promise<ProfileListener> {
  const running = await runningListener(paths);
  if (running) {
    return {
      state: 'running',
      pid: running.pid,
      started_at: running.startedAt ?? null,
      local_endpoint: running.localEndpoint ?? null,
      endpoint: running.endpoint ?? null,
      destination_id: running.destinationId ?? null,
    };
  }
  const listener = await readJsonObject(paths.listenerFile);
  if (listener === undefined) return { state: 'none', pid: null, started_at: null, local_endpoint: null, endpoint: null, destination_id: null };
  // destination.json is removed when the listener stops: only a running listener's is current.
  return {
    state: 'stopped',
    pid: typeof listener.pid === 'number' ? listener.pid : null,
    started_at: str(listener.started_at),
    local_endpoint: str(listener.local_endpoint),
    endpoint: null,
    destination_id: null,
  };
}

/** Every detached listener record (all profiles), classified as `ps` does. */
export async function detachedListeners(configDir: string): Promise<DetachedListener[]> {
  const records = await readRecords(configDir);
  return records.map((r) => ({
    pid: r.pid,
    status: assessRecord(r).status,
    profile: r.profile,
    endpoint: r.endpoint ?? null,
    local_endpoint: r.local_endpoint ?? null,
    destination_id: r.destination_id ?? null,
    created_at: r.created_at,
  }));
}

/** URLs compared without a trailing slash, case-insensitively in scheme and host. */
export function sameEndpoint(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`;
    } catch {
      return u.replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

/** Where the webhook points, seen from the running local listeners. */
export interface EndpointMatch {
  /** `listener`: a running local listener receives the webhook's deliveries; `elsewhere`: none does. */
  readonly target: 'listener' | 'elsewhere' | 'no-listener';
  /** The matching (or, for `elsewhere`, the running) listeners' endpoints. */
  readonly listener_endpoints: readonly string[];
}

/**
 * Whether a running listener (the profile's or a detached one) is the webhook's receiver: same
 * endpoint, or bound destination id.
 * @example matchEndpoint({ endpoint: 'https://h/audit-logs', destination_id: null }, [{ endpoint: 'https://h/audit-logs', destination_id: 'd' }])
 */
export function matchEndpoint(
  webhook: { readonly endpoint: string; readonly destination_id: string | null },
  running: readonly { readonly endpoint: string | null; readonly destination_id: string | null }[],
): EndpointMatch {
  const endpoints = running.map((l) => l.endpoint).filter((e): e is string => e !== null);
  if (running.length === 0) return { target: 'no-listener', listener_endpoints: [] };
  const hits = running.filter((l) => (l.endpoint !== null && sameEndpoint(l.endpoint, webhook.endpoint)) || (l.destination_id !== null && l.destination_id === webhook.destination_id));
  if (hits.length > 0) return { target: 'listener', listener_endpoints: hits.map((l) => l.endpoint ?? webhook.endpoint) };
  return { target: 'elsewhere', listener_endpoints: endpoints };
}
