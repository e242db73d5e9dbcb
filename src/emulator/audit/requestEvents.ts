/**
 * The events Konnect records for one API request (reference §6.1): an authentication event for the
 * bearer token, an authorization event for the permission check (`granted=false` on a 403), and
 * for mutating requests an access event with the response status. All share one trace id.
 */
import type { AuditEvent } from '../../records/event.js';
import { accessEvent, authenticationEvent, authorizationEvent, type AuthenticationOutcome, type AuthenticationType, type CommonFields } from './builders.js';

/** How the request's bearer token fared. */
export type AuthFacts =
  | { readonly kind: 'missing' }
  | { readonly kind: 'unknown'; readonly type: AuthenticationType }
  | { readonly kind: 'ok'; readonly type: AuthenticationType; readonly principalId: string };

/** What the emulator knows about a request once it has been answered. */
export interface RequestFacts {
  readonly method: string;
  /** Path as called, without the region prefix. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly src: string;
  readonly userAgent: string;
  readonly auth: AuthFacts;
  /** The permission check, when authentication succeeded. */
  readonly authz: { readonly resource: string; readonly action: string; readonly granted: boolean } | undefined;
  readonly status: number;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `kpat_` tokens are personal access tokens, `spat_` system-account tokens; anything else counts as a PAT. */
export function tokenType(token: string): AuthenticationType {
  return token.startsWith('spat_') ? 'SPAT' : 'PAT';
}

const INTROSPECT: Record<string, string> = {
  PAT: '/api/v1/personal-access-tokens/introspect',
  SPAT: '/api/v1/system-accounts/access-tokens/introspect',
  INVALID: '/api/v1/authenticate',
};

/** Query parameters as the JSON object string access events carry (`{}` when none). */
export function queryJson(query: URLSearchParams): string {
  const entries = [...query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

/** The events for one answered request. */
export function requestEvents(facts: RequestFacts, context: { readonly orgId: string; readonly rt: number; readonly traceId: bigint }): AuditEvent[] {
  const principalId = facts.auth.kind === 'ok' ? facts.auth.principalId : undefined;
  const common: CommonFields = { rt: context.rt, src: facts.src, orgId: context.orgId, principalId, traceId: context.traceId, userAgent: facts.userAgent };
  const type: AuthenticationType = facts.auth.kind === 'missing' ? 'INVALID' : facts.auth.type;
  const outcome: AuthenticationOutcome = facts.auth.kind === 'ok' ? 'SUCCESS' : facts.auth.kind === 'missing' ? 'INVALID' : 'NOT_FOUND';
  const events: AuditEvent[] = [authenticationEvent(common, { type, outcome, request: INTROSPECT[type] ?? INTROSPECT.PAT! })];
  if (facts.authz) events.push(authorizationEvent(common, facts.authz));
  if (MUTATING.has(facts.method)) {
    events.push(accessEvent(common, { request: facts.path, method: facts.method, status: facts.status, query: queryJson(facts.query) }));
  }
  return events;
}
