/**
 * The emulated organisation's state (reference §5): org-wide destinations and control planes, and
 * per region (and per Dev Portal) a webhook, its delivery status and a replay job.
 */
import type { LogFormat } from '../records/render.js';
import type { AuditLogDestination, ReplayJobStatus } from '../konnect/types.js';
import { REGIONS, type Region } from '../konnect/regions.js';

/** A destination with its write-only secret. */
export interface DestinationRecord extends AuditLogDestination {
  authorization: string;
  /** Creation order; page cursors point at it, so deleting a destination never shifts a page. */
  readonly order: number;
}

/** The v2 inline webhook configuration. */
export interface InlineWebhook {
  endpoint: string;
  authorization?: string;
  log_format: LogFormat;
  skip_ssl_verification: boolean;
}

/** A webhook as configured by v2 (inline) or v3/portal (destination-bound) calls. */
export interface WebhookState {
  /** False until the first successful PATCH, and again after DELETE: the `unconfigured` state. */
  configured: boolean;
  enabled: boolean;
  /** Bound destination, `''` when none. */
  destinationId: string;
  inline: InlineWebhook | undefined;
  updatedAt: number | undefined;
}

/** What the status endpoint reports (reference §10). */
export interface DeliveryStatus {
  lastAttemptAt: number | undefined;
  lastResponseCode: number | undefined;
  lastResponseMessage: string | undefined;
  /** True after a batch was given up (retries exhausted or not retryable): `inactive`. */
  inactive: boolean;
}

/** A replay job (reference §9). */
export interface ReplayState {
  startAt: number | undefined;
  endAt: number | undefined;
  status: ReplayJobStatus;
  updatedAt: number | undefined;
  /** Records sent by the current or last job. */
  recordsSent: number;
}

/** Where events go: a region's org webhook or one Dev Portal's webhook. */
export interface DeliveryScope {
  /** `org:<region>` or `portal:<id>`. */
  readonly key: string;
  readonly region: Region;
  readonly portalId: string | undefined;
  webhook: WebhookState;
  status: DeliveryStatus;
  replay: ReplayState;
}

/** A Dev Portal known to the emulator. */
export interface PortalRecord {
  readonly id: string;
  readonly name: string;
  readonly region: Region;
  readonly scope: DeliveryScope;
}

/** A control plane (only what the seeds' validation step needs). */
export interface ControlPlaneRecord {
  id: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  cluster_type: string;
  auth_type: string;
  cloud_gateway: boolean;
  created_at: number;
  updated_at: number;
}

/** A delivery scope in its initial, unconfigured state. */
export function newScope(key: string, region: Region, portalId?: string): DeliveryScope {
  return {
    key,
    region,
    portalId,
    webhook: unconfiguredWebhook(),
    status: freshStatus(),
    replay: { startAt: undefined, endAt: undefined, status: 'unconfigured', updatedAt: undefined, recordsSent: 0 },
  };
}

export function unconfiguredWebhook(): WebhookState {
  return { configured: false, enabled: false, destinationId: '', inline: undefined, updatedAt: undefined };
}

export function freshStatus(): DeliveryStatus {
  return { lastAttemptAt: undefined, lastResponseCode: undefined, lastResponseMessage: undefined, inactive: false };
}

/** The whole emulated organisation. */
export class OrgState {
  readonly destinations = new Map<string, DestinationRecord>();
  readonly controlPlanes = new Map<string, ControlPlaneRecord>();
  readonly regions = new Map<Region, DeliveryScope>();
  readonly portals = new Map<string, PortalRecord>();
  private destinationOrder = 0;

  constructor(readonly orgId: string) {
    for (const region of REGIONS) this.regions.set(region, newScope(`org:${region}`, region));
  }

  /** The creation-order position of the next destination. */
  nextDestinationOrder(): number {
    return ++this.destinationOrder;
  }

  region(region: Region): DeliveryScope {
    return this.regions.get(region)!;
  }

  addPortal(id: string, name: string, region: Region): PortalRecord {
    const portal: PortalRecord = { id, name, region, scope: newScope(`portal:${id}`, region, id) };
    this.portals.set(id, portal);
    return portal;
  }

  /** Every scope (regions, then portals). */
  scopes(): DeliveryScope[] {
    return [...this.regions.values(), ...[...this.portals.values()].map((p) => p.scope)];
  }

  /** True when any webhook (org region or portal) is bound to the destination. */
  destinationInUse(id: string): boolean {
    return this.scopes().some((s) => s.webhook.destinationId === id);
  }
}

/** Where a scope's records go right now, or undefined when it delivers nothing. */
export interface DeliveryTarget {
  readonly endpoint: string;
  readonly authorization: string | undefined;
  readonly logFormat: LogFormat;
  readonly skipSslVerification: boolean;
}

/** The effective delivery target: the bound destination if any, else the inline v2 configuration. */
export function deliveryTarget(state: OrgState, scope: DeliveryScope): DeliveryTarget | undefined {
  const webhook = scope.webhook;
  if (!webhook.configured || !webhook.enabled) return undefined;
  if (webhook.destinationId) {
    const d = state.destinations.get(webhook.destinationId);
    if (!d) return undefined;
    return { endpoint: d.endpoint, authorization: d.authorization, logFormat: d.log_format, skipSslVerification: d.skip_ssl_verification };
  }
  const inline = webhook.inline;
  if (!inline) return undefined;
  return { endpoint: inline.endpoint, authorization: inline.authorization, logFormat: inline.log_format, skipSslVerification: inline.skip_ssl_verification };
}
