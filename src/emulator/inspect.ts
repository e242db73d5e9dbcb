/** A read-only snapshot of the emulator's state for tests and `GET /_emulator/state` (no secrets). */
import type { AuditLogDestination, AuditLogReplayJob, AuditLogWebhookStatus } from '../konnect/types.js';
import type { Region } from '../konnect/regions.js';
import type { EmulatorCore } from './core.js';
import type { DeliveryStats } from './delivery/hub.js';
import { apiTime } from './clock.js';
import { destinationView } from './api/destinations.js';
import { replayView } from './api/replay.js';
import { statusView } from './api/webhook.js';
import type { DeliveryScope } from './state.js';

/** One scope's configuration and delivery state. */
export interface ScopeSnapshot {
  readonly key: string;
  readonly region: Region;
  readonly portal_id?: string;
  readonly webhook: {
    readonly configured: boolean;
    readonly enabled: boolean;
    readonly audit_log_destination_id: string;
    readonly endpoint?: string;
    readonly log_format?: string;
    readonly authorization_configured: boolean;
    readonly updated_at?: string;
  };
  readonly status: AuditLogWebhookStatus;
  readonly replay: AuditLogReplayJob & { readonly records_sent: number };
  readonly delivery: DeliveryStats;
}

export interface EmulatorSnapshot {
  readonly org_id: string;
  readonly regions: Readonly<Record<string, ScopeSnapshot & { readonly stored_events: number }>>;
  readonly portals: readonly (ScopeSnapshot & { readonly id: string; readonly name: string })[];
  readonly destinations: readonly AuditLogDestination[];
  readonly control_planes: number;
  readonly jwks_kids: readonly string[];
}

function scopeSnapshot(core: EmulatorCore, scope: DeliveryScope): ScopeSnapshot {
  const w = scope.webhook;
  const d = w.destinationId ? core.state.destinations.get(w.destinationId) : undefined;
  const endpoint = d?.endpoint ?? w.inline?.endpoint;
  const logFormat = d?.log_format ?? w.inline?.log_format;
  return {
    key: scope.key,
    region: scope.region,
    ...(scope.portalId ? { portal_id: scope.portalId } : {}),
    webhook: {
      configured: w.configured,
      enabled: w.enabled,
      audit_log_destination_id: w.destinationId,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(logFormat !== undefined ? { log_format: logFormat } : {}),
      authorization_configured: (d?.authorization ?? w.inline?.authorization) !== undefined,
      ...(w.updatedAt !== undefined ? { updated_at: apiTime(w.updatedAt) } : {}),
    },
    status: statusView(scope),
    replay: { ...replayView(scope), records_sent: scope.replay.recordsSent },
    delivery: { ...core.hub.stats(scope.key) },
  };
}

/** The snapshot. */
export function snapshot(core: EmulatorCore): EmulatorSnapshot {
  const regions: Record<string, ScopeSnapshot & { stored_events: number }> = {};
  for (const [region, scope] of core.state.regions) regions[region] = { ...scopeSnapshot(core, scope), stored_events: core.store(region).size };
  return {
    org_id: core.state.orgId,
    regions,
    portals: [...core.state.portals.values()].map((p) => ({ ...scopeSnapshot(core, p.scope), id: p.id, name: p.name })),
    destinations: [...core.state.destinations.values()].map(destinationView),
    control_planes: core.state.controlPlanes.size,
    jwks_kids: core.keys.jwks().keys.map((k) => k.kid ?? ''),
  };
}
