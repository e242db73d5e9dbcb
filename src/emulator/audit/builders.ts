/**
 * Builders for the three Konnect event types with the documented severity rules and the
 * extension order seen in Kong's examples (reference §6.3).
 */
import { formatEventTs, type AuditEvent, type Extension, type Product } from '../../records/event.js';

/** Fields every event carries. */
export interface CommonFields {
  readonly rt: number;
  readonly src: string;
  readonly orgId: string;
  /** Omitted from the record when unknown (failed authentication). */
  readonly principalId?: string | undefined;
  /** "Present only when configured". */
  readonly principalName?: string | undefined;
  readonly traceId: bigint;
  readonly userAgent: string;
}

export type AuthenticationType = 'INVALID' | 'BASIC' | 'SSO' | 'PAT' | 'SPAT' | 'GOOGLE' | 'GITHUB' | 'WINDOWSLIVE' | 'FEDERATED';
export type AuthenticationOutcome = 'SUCCESS' | 'NOT_FOUND' | 'INVALID_PASSWORD' | 'TOKEN_EXPIRED' | 'LOCKED' | 'DISABLED' | 'INVALID';

/** Authentication severity: 0 success; 1 credential failure; 6 locked or disabled; 7 invalid. */
export function authenticationSeverity(outcome: AuthenticationOutcome): number {
  switch (outcome) {
    case 'SUCCESS':
      return 0;
    case 'NOT_FOUND':
    case 'INVALID_PASSWORD':
    case 'TOKEN_EXPIRED':
      return 1;
    case 'LOCKED':
    case 'DISABLED':
      return 6;
    case 'INVALID':
      return 7;
  }
}

/** Access severity: 6 for 401/403, 10 for server errors, else 1. */
export function accessSeverity(status: number): number {
  if (status === 401 || status === 403) return 6;
  if (status >= 500) return 10;
  return 1;
}

function principal(fields: CommonFields): Extension[] {
  const out: Extension[] = [];
  if (fields.principalId !== undefined) out.push(['principal_id', fields.principalId]);
  if (fields.principalName !== undefined) out.push(['principal_name', fields.principalName]);
  return out;
}

/** An authentication event (`AUTHENTICATION_OUTCOME_*`, class `AUTHENTICATION_TYPE_*`). */
export function authenticationEvent(
  common: CommonFields,
  fields: {
    readonly product?: Product;
    readonly type: AuthenticationType;
    readonly outcome: AuthenticationOutcome;
    readonly request: string;
    readonly portalId?: string | undefined;
  },
): AuditEvent {
  const extensions: Extension[] = [
    ['rt', common.rt],
    ['src', common.src],
    ['request', fields.request],
    ['success', fields.outcome === 'SUCCESS'],
    ['org_id', common.orgId],
  ];
  if (fields.portalId !== undefined) extensions.push(['portal_id', fields.portalId]);
  extensions.push(...principal(common), ['trace_id', common.traceId], ['user_agent', common.userAgent]);
  return {
    eventTs: formatEventTs(common.rt),
    product: fields.product ?? 'Konnect',
    eventClassId: `AUTHENTICATION_TYPE_${fields.type}`,
    name: `AUTHENTICATION_OUTCOME_${fields.outcome}`,
    severity: authenticationSeverity(fields.outcome),
    extensions,
  };
}

/** An authorization event (`Authz.<resource>`); severity 1 when granted, 6 when denied. */
export function authorizationEvent(
  common: CommonFields,
  fields: {
    /** The Kong service that made the check, e.g. `konnect`, `identity`. */
    readonly service?: string;
    /** Resource path after `Authz.`, e.g. `control-planes`. */
    readonly resource: string;
    readonly action: string;
    readonly granted: boolean;
    readonly actorId?: string | undefined;
    readonly kongInitiated?: boolean | undefined;
  },
): AuditEvent {
  const extensions: Extension[] = [
    ['rt', common.rt],
    ['src', common.src],
    ['action', fields.action],
    ['granted', fields.granted],
    ['org_id', common.orgId],
    ...principal(common),
  ];
  if (fields.actorId !== undefined) extensions.push(['actor_id', fields.actorId]);
  if (fields.kongInitiated) extensions.push(['kong_initiated', true]);
  extensions.push(['trace_id', common.traceId], ['user_agent', common.userAgent]);
  return {
    eventTs: formatEventTs(common.rt),
    product: 'Konnect',
    eventClassId: fields.service ?? 'konnect',
    name: `Authz.${fields.resource}`,
    severity: fields.granted ? 1 : 6,
    extensions,
  };
}

/** An access event (`Ingress`, class `KongGateway`) for a mutating API request. */
export function accessEvent(
  common: CommonFields,
  fields: {
    readonly request: string;
    readonly method: string;
    readonly status: number;
    /** Query parameters as a JSON object string, e.g. `{}`. */
    readonly query: string;
    readonly kongInitiated?: boolean | undefined;
  },
): AuditEvent {
  const extensions: Extension[] = [
    ['rt', common.rt],
    ['src', common.src],
    ['request', fields.request],
    ['act', fields.method],
    ['status', fields.status],
    ['org_id', common.orgId],
    ...principal(common),
  ];
  if (fields.kongInitiated) extensions.push(['kong_initiated', true]);
  extensions.push(['user_agent', common.userAgent], ['trace_id', common.traceId], ['query', fields.query]);
  return {
    eventTs: formatEventTs(common.rt),
    product: 'Konnect',
    eventClassId: 'KongGateway',
    name: 'Ingress',
    severity: accessSeverity(fields.status),
    extensions,
  };
}
