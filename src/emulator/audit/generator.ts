/**
 * Synthetic audit events for load tests and demos: a chosen number of events with a chosen mix of
 * authentication, authorization and access events, realistic field values (denials, failed
 * logins, server errors, user agents with spaces, 19-digit trace ids) and times spread over a range.
 *
 * A generation is a serializable plan cut into slices. Each slice draws from its own seeded
 * random stream, so a slice gives the same events wherever it runs (inline or on a worker
 * thread), and any single event can be rebuilt later from the plan, its index and the stream
 * state before it: the 7-day store keeps that small recipe instead of the event objects.
 */
import type { AuditEvent, EventKind } from '../../records/event.js';
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

/** Everything needed to produce (or rebuild) the events of one generation; plain data, so it can cross to a worker. */
export interface GeneratorPlan {
  readonly count: number;
  readonly portalId: string | undefined;
  readonly weights: { readonly authentication: number; readonly authorization: number; readonly access: number };
  readonly deniedRatio: number;
  readonly failedRatio: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly orgId: string;
  readonly principals: readonly string[];
  readonly controlPlanes: readonly string[];
  /** Base of the per-slice random streams. */
  readonly seed: number;
}

/** Events per slice: the unit of work handed to a worker and of yielding to the event loop. */
export const SLICE_SIZE = 5000;

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

/** A small fast PRNG (xorshift32) whose whole state is one 32-bit number. */
export class Rng {
  constructor(public state: number) {
    if (this.state === 0) this.state = 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x100000000;
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

/** Validates a request and fixes its random choices (pools, seed) into a plan. */
export function planGeneration(request: GenerateRequest, context: { readonly ids: IdSource; readonly orgId: string; readonly now: number }): GeneratorPlan {
  const weights = request.portalId
    ? { authentication: 1, authorization: 0, access: 0 }
    : { authentication: request.mix?.authentication ?? 1, authorization: request.mix?.authorization ?? 3, access: request.mix?.access ?? 1 };
  if (weights.authentication + weights.authorization + weights.access <= 0) throw new RangeError('the mix must give at least one type a positive weight');
  const fromMs = request.fromMs ?? context.now;
  return {
    count: request.count,
    portalId: request.portalId,
    weights,
    deniedRatio: request.deniedRatio ?? 0.1,
    failedRatio: request.failedRatio ?? 0.05,
    fromMs,
    toMs: request.toMs ?? fromMs,
    orgId: context.orgId,
    principals: Array.from({ length: Math.max(1, request.principals ?? 25) }, () => context.ids.uuid()),
    controlPlanes: Array.from({ length: 5 }, () => context.ids.uuid()),
    seed: context.ids.bytes(4).readUInt32BE(),
  };
}

/** How many slices a plan has. */
export function sliceCount(plan: GeneratorPlan): number {
  return Math.ceil(plan.count / SLICE_SIZE);
}

/** Event time of event `index`: spread evenly over the plan's range. */
export function eventTime(plan: GeneratorPlan, index: number): number {
  return plan.count > 1 ? Math.round(plan.fromMs + ((plan.toMs - plan.fromMs) * index) / (plan.count - 1)) : plan.fromMs;
}

function sliceSeed(plan: GeneratorPlan, slice: number): number {
  return (Math.imul(plan.seed ^ (slice + 1), 0x9e3779b1) ^ Math.imul(slice + 1, 0x85ebca6b)) >>> 0;
}

/** The type an event of the plan will have, drawn first so it can be kept without the event. */
function drawKind(plan: GeneratorPlan, rng: Rng): EventKind {
  const w = plan.weights;
  const roll = rng.next() * (w.authentication + w.authorization + w.access);
  if (roll < w.authentication) return 'authentication';
  return roll < w.authentication + w.authorization ? 'authorization' : 'access';
}

/** Builds event `index` from the stream positioned at its start. */
function makeEvent(plan: GeneratorPlan, rng: Rng, index: number): AuditEvent {
  const kind = drawKind(plan, rng);
  const rt = eventTime(plan, index);
  const principalId = rng.pick(plan.principals);
  const common: CommonFields = { rt, src: rng.pick(SOURCES), orgId: plan.orgId, principalId, traceId: rng.traceId(), userAgent: rng.pick(USER_AGENTS) };
  if (kind === 'authentication') {
    const outcome = rng.next() < plan.failedRatio ? rng.pick(FAILURES) : 'SUCCESS';
    // A failed authentication has no principal.
    const who: CommonFields = outcome === 'SUCCESS' ? common : { rt, src: common.src, orgId: plan.orgId, traceId: common.traceId, userAgent: common.userAgent };
    return authenticationEvent(who, {
      product: plan.portalId ? 'Dev-Portal' : 'Konnect',
      type: plan.portalId ? 'BASIC' : rng.pick(AUTH_TYPES),
      outcome,
      request: plan.portalId ? '/api/v2/developer/authenticate' : '/api/v1/personal-access-tokens/introspect',
      portalId: plan.portalId,
    });
  }
  if (kind === 'authorization') {
    const resource = rng.pick(RESOURCES).replace('*', rng.pick(plan.controlPlanes));
    return authorizationEvent(common, { service: rng.pick(SERVICES), resource, action: rng.pick(ACTIONS), granted: rng.next() >= plan.deniedRatio });
  }
  const query = rng.next() < 0.5 ? '{}' : `{"end":"${Math.floor(rt / 1000)}","start":"${Math.floor(rt / 1000) - 172800}"}`;
  return accessEvent(common, {
    request: `/konnect-api/api/control_planes/${rng.pick(plan.controlPlanes)}/services`,
    method: rng.pick(METHODS),
    status: rng.pick(STATUSES),
    query,
  });
}

/**
 * Produces the events of one slice in order, calling `visit` with each event's index, the stream
 * state before it (its recipe) and the event.
 */
export function generateSlice(plan: GeneratorPlan, slice: number, visit: (index: number, state: number, event: AuditEvent) => void): void {
  const rng = new Rng(sliceSeed(plan, slice));
  const end = Math.min(plan.count, (slice + 1) * SLICE_SIZE);
  for (let index = slice * SLICE_SIZE; index < end; index++) {
    const state = rng.state;
    visit(index, state, makeEvent(plan, rng, index));
  }
}

/** Rebuilds event `index` from the state its slice's stream had before it. */
export function rebuildEvent(plan: GeneratorPlan, index: number, state: number): AuditEvent {
  return makeEvent(plan, new Rng(state), index);
}
