/**
 * Synthetic audit events for load tests and demos: a chosen number of events with a chosen mix of
 * authentication, authorization and access events, realistic field values (denials, failed
 * logins, server errors, user agents with spaces, 19-digit trace ids) and times spread over a range.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AuditEvent } from '../../records/event.js';
import type { Region } from '../../konnect/regions.js';
import type { IdSource } from '../ids.js';
import { accessEvent, authenticationEvent, authorizationEvent, type AuthenticationOutcome, type AuthenticationType, type CommonFields } from './builders.js';

/** What to generate. */
export interface GenerateRequest {
  readonly count: number;
  readonly region?: Region;
  /** Generate Dev Portal authentication events for this portal (portals record nothing else). */
  readonly portalId?: string;
  /** Relative weights of the three types (default 1 authentication : 3 authorization : 1 access). */
  readonly mix?: { readonly authentication?: number; readonly authorization?: number; readonly access?: number };
  /** Fraction of authorization checks that are denied (default 0.1). */
  readonly deniedRatio?: number;
  /** Fraction of authentications that fail (default 0.05). */
  readonly failedRatio?: number;
  /** Event times are spread evenly from `fromMs` to `toMs` (default: all at "now"). */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Size of the pool of principals acting (default 25). */
  readonly principals?: number;
}

const USER_AGENTS = [
  'grpc-node-js/1.12.4',
  'grpc-go/1.54.0',
  'kongctl/0.3.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36',
  'grpc-node/1.24.11 grpc-c/8.0.0 (linux; chttp2; ganges)',
  'Terraform/1.9.2 terraform-provider-konnect/2.4.0',
  '',
];
const SOURCES = ['127.0.0.6', '127.0.0.1', '203.0.113.17', '198.51.100.42', '192.0.2.8'];
const RESOURCES = ['control-planes', 'control-planes/*', 'api-products', 'portals', 'identity-provider', 'organization', 'usage', 'audit-logs'];
const ACTIONS = ['list', 'retrieve', 'read', 'edit', 'create', 'delete'];
const SERVICES = ['konnect', 'konnect', 'konnect', 'identity'];
const METHODS = ['POST', 'PATCH', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 201, 201, 204, 400, 401, 403, 404, 500];
const FAILURES: AuthenticationOutcome[] = ['NOT_FOUND', 'INVALID_PASSWORD', 'TOKEN_EXPIRED', 'LOCKED', 'DISABLED', 'INVALID'];
const AUTH_TYPES: readonly AuthenticationType[] = ['PAT', 'SPAT', 'SSO', 'BASIC'];
const CHUNK = 5000;

/** A small fast PRNG (xorshift32) seeded from the id source, so seeded runs are reproducible. */
class Rng {
  private s: number;
  constructor(ids: IdSource) {
    this.s = ids.bytes(4).readUInt32BE() || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  traceId(): bigint {
    const hi = BigInt(Math.floor(this.next() * 0x80000000));
    const lo = BigInt(Math.floor(this.next() * 0x100000000));
    return ((hi << 32n) | lo) || 1n;
  }
}

/**
 * Generates events in chunks, handing each chunk to `sink` and yielding to the event loop
 * between chunks so the emulator keeps serving requests.
 */
export async function generateEvents(
  request: GenerateRequest,
  context: { readonly ids: IdSource; readonly orgId: string; readonly now: number },
  sink: (events: AuditEvent[]) => void,
): Promise<void> {
  const rng = new Rng(context.ids);
  const principals = Array.from({ length: Math.max(1, request.principals ?? 25) }, () => context.ids.uuid());
  const controlPlanes = Array.from({ length: 5 }, () => context.ids.uuid());
  const mix = request.portalId
    ? { authentication: 1, authorization: 0, access: 0 }
    : { authentication: request.mix?.authentication ?? 1, authorization: request.mix?.authorization ?? 3, access: request.mix?.access ?? 1 };
  const total = mix.authentication + mix.authorization + mix.access;
  if (total <= 0) throw new RangeError('the mix must give at least one type a positive weight');
  const denied = request.deniedRatio ?? 0.1;
  const failed = request.failedRatio ?? 0.05;
  const from = request.fromMs ?? context.now;
  const to = request.toMs ?? from;
  const count = request.count;

  for (let start = 0; start < count; start += CHUNK) {
    const events: AuditEvent[] = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++) {
      const rt = count > 1 ? Math.round(from + ((to - from) * i) / (count - 1)) : from;
      const principalId = rng.pick(principals);
      const common: CommonFields = { rt, src: rng.pick(SOURCES), orgId: context.orgId, principalId, traceId: rng.traceId(), userAgent: rng.pick(USER_AGENTS) };
      const roll = rng.next() * total;
      if (roll < mix.authentication) {
        const outcome = rng.next() < failed ? rng.pick(FAILURES) : 'SUCCESS';
        // A failed authentication has no principal.
        const who: CommonFields = outcome === 'SUCCESS' ? common : { rt, src: common.src, orgId: context.orgId, traceId: common.traceId, userAgent: common.userAgent };
        events.push(
          authenticationEvent(who, {
            product: request.portalId ? 'Dev-Portal' : 'Konnect',
            type: request.portalId ? 'BASIC' : rng.pick(AUTH_TYPES),
            outcome,
            request: request.portalId ? '/api/v2/developer/authenticate' : '/api/v1/personal-access-tokens/introspect',
            portalId: request.portalId,
          }),
        );
      } else if (roll < mix.authentication + mix.authorization) {
        const resource = rng.pick(RESOURCES).replace('*', rng.pick(controlPlanes));
        events.push(authorizationEvent(common, { service: rng.pick(SERVICES), resource, action: rng.pick(ACTIONS), granted: rng.next() >= denied }));
      } else {
        const query = rng.next() < 0.5 ? '{}' : `{"end":"${Math.floor(rt / 1000)}","start":"${Math.floor(rt / 1000) - 172800}"}`;
        events.push(
          accessEvent(common, {
            request: `/konnect-api/api/control_planes/${rng.pick(controlPlanes)}/services`,
            method: rng.pick(METHODS),
            status: rng.pick(STATUSES),
            query,
          }),
        );
      }
    }
    sink(events);
    if (start + CHUNK < count) await yieldToLoop();
  }
}
