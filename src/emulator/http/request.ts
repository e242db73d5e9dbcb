/**
 * The emulator's view of one HTTP request: which Konnect host it addressed (a region or the global
 * host, chosen by a path prefix such as `/eu` or by a `<region>.api.konghq.com` Host header), the
 * API path below that, the query and the bounded body.
 */
import type { IncomingMessage } from 'node:http';
import { isRegion, type Region } from '../../konnect/regions.js';

/** Largest API request body the emulator reads. */
export const MAX_API_BODY_BYTES = 1024 * 1024;

/** Which host a request addressed: a region, the global host, or the bare base URL (region `us` plus global). */
export interface HostScope {
  /** The region whose state the request reads and writes (`us` for the bare base URL and for global). */
  readonly region: Region;
  /** True for `/global` or `global.api.konghq.com`: only org-wide resources are served there. */
  readonly globalOnly: boolean;
  /** The path prefix the client used (`''`, `/eu`, `/global`). */
  readonly prefix: string;
}

const PREFIX = /^\/(us|eu|au|me|in|sg|global)(?=\/|$)/;
const HOST = /^(us|eu|au|me|in|sg|global)\.api\.konghq\.com(?::\d+)?$/i;

/** Splits a raw path into the host scope and the API path below it. */
export function resolveHost(rawPath: string, hostHeader: string | undefined): { scope: HostScope; path: string } {
  const prefixed = PREFIX.exec(rawPath);
  if (prefixed) {
    const name = prefixed[1]!;
    const path = rawPath.slice(prefixed[0].length) || '/';
    return { scope: scopeFor(name, `/${name}`), path };
  }
  const host = hostHeader ? HOST.exec(hostHeader) : null;
  if (host) return { scope: scopeFor(host[1]!.toLowerCase(), ''), path: rawPath };
  return { scope: { region: 'us', globalOnly: false, prefix: '' }, path: rawPath };
}

function scopeFor(name: string, prefix: string): HostScope {
  if (name === 'global') return { region: 'us', globalOnly: true, prefix };
  return { region: isRegion(name) ? name : 'us', globalOnly: false, prefix };
}

/** Reads the body up to `limit` bytes; resolves undefined when it is larger. */
export function readBody(req: IncomingMessage, limit = MAX_API_BODY_BYTES): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Parses a deepObject query (`filter[name][eq]=x`, `page[size]=10`) into nested objects, the way
 * Konnect's API reads it. Repeated keys keep the last value.
 */
export function parseDeepQuery(search: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of search) {
    const parts = rawKey.split(/[[\]]+/).filter((p) => p !== '');
    if (parts.length === 0) continue;
    let node: Record<string, unknown> = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i]!;
      const next = node[key];
      if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
      else node = node[key] = {};
    }
    node[parts[parts.length - 1]!] = value;
  }
  return out;
}
