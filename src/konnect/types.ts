/**
 * Shapes of the Konnect audit-log API (reference §2-§4 and the OpenAPI files), shared by the
 * emulator and the client.
 */
import type { LogFormat } from '../records/render.js';

/** The zero time Konnect returns for timestamps that were never set. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** v2 `GET/PATCH /v2/audit-log-webhook` (inline configuration; `authorization` is never returned). */
export interface AuditLogWebhookV2 {
  endpoint: string;
  enabled: boolean;
  log_format: LogFormat;
  skip_ssl_verification: boolean;
  updated_at: string;
  /** Present when the webhook is bound to a destination (v3 style), as kongctl reads it. */
  audit_log_destination_id?: string;
}

/** Body of `PATCH /v2/audit-log-webhook`. */
export interface UpdateAuditLogWebhookV2 {
  endpoint?: string;
  authorization?: string;
  enabled?: boolean;
  log_format?: LogFormat;
  skip_ssl_verification?: boolean;
}

/** v3 and Dev Portal webhook: bound to a destination. */
export interface AuditLogWebhookV3 {
  audit_log_destination_id: string;
  enabled: boolean;
}

/** Body of `PATCH /v3/audit-log-webhook` and the portal webhook. */
export interface UpdateAuditLogWebhookV3 {
  audit_log_destination_id?: string;
  enabled?: boolean;
}

/** `webhook_status` values; `unconfigured` is documented in prose, not in the enum. */
export type WebhookStatusValue = 'active' | 'inactive' | 'unconfigured';

/** `GET .../audit-log-webhook/status` (reference §10). */
export interface AuditLogWebhookStatus {
  webhook_status: WebhookStatusValue;
  webhook_enabled: boolean;
  last_attempt_at?: string;
  last_response_code?: number;
  last_response_message?: string;
}

/** Replay job states (reference §9). */
export type ReplayJobStatus = 'unconfigured' | 'accepted' | 'pending' | 'running' | 'completed' | 'failed';

/** `GET/PUT .../audit-log-replay-job`. */
export interface AuditLogReplayJob {
  start_at: string;
  end_at: string;
  status: ReplayJobStatus;
  updated_at: string;
}

/** A destination as the API returns it (`authorization` is write-only). */
export interface AuditLogDestination {
  id: string;
  name: string;
  endpoint: string;
  log_format: LogFormat;
  skip_ssl_verification: boolean;
  created_at: string;
  updated_at: string;
}

/** Body of `POST .../audit-log-destinations`. */
export interface CreateAuditLogDestination {
  name: string;
  endpoint: string;
  authorization: string;
  log_format: LogFormat;
  skip_ssl_verification?: boolean;
}

/** Body of `PATCH .../audit-log-destinations/{id}`. */
export type UpdateAuditLogDestination = Partial<CreateAuditLogDestination>;

/** Cursor pagination metadata. Destinations return it as `meta` directly, the pull API under `meta.page`. */
export interface CursorMetaPage {
  first?: string;
  last?: string;
  next: string | null;
  previous: string | null;
  size: number;
}

/** `GET .../audit-log-destinations`. */
export interface AuditLogDestinationList {
  data: AuditLogDestination[];
  meta: CursorMetaPage;
}

/** Pull API record (`GET /v3/audit-logs`), discriminated by `type`. Field names differ from webhook records. */
export type PullAuditLog = PullAuthorizationLog | PullGatewayAccessLog | PullAuthenticationLog;

export interface PullAuthorizationLog {
  type: 'authorization';
  signature: string;
  service: string;
  resource: string;
  action: string;
  granted: boolean;
  org_id: string;
  ts: string;
  principal_id: string;
  actor_id?: string;
  client_ip?: string;
  uri?: string;
  user_agent?: string;
  trace_id?: string;
  portal_id?: string;
}

export interface PullGatewayAccessLog {
  type: 'gateway_access';
  ts: string;
  org_id: string;
  principal_id: string;
  actor_id: string;
  client_ip: string;
  trace_id: string;
  user_agent: string;
  method: string;
  uri: string;
  query: string;
  status_code: number;
  signature: string;
  portal_id?: string;
}

export interface PullAuthenticationLog {
  type: 'authentication';
  successful: boolean;
  principal_id?: string;
  signature: string;
  org_id?: string;
  outcome: string;
  authentication_type: string;
  ts: string;
  client_ip: string;
  uri: string;
  user_agent: string;
  trace_id: string;
  portal_id?: string;
}

/** `filter[type]` values of the pull API. */
export type PullLogType = PullAuditLog['type'];
export const PULL_LOG_TYPES: readonly PullLogType[] = ['authorization', 'authentication', 'gateway_access'];

/** `GET /v3/audit-logs`. */
export interface PullAuditLogPage {
  data: PullAuditLog[];
  meta: { page: CursorMetaPage };
}

/** A control plane, as much of it as the seeds' validation step needs. */
export interface ControlPlane {
  id: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  config: {
    control_plane_endpoint: string;
    telemetry_endpoint: string;
    cluster_type: string;
    auth_type: string;
    cloud_gateway: boolean;
    proxy_urls: unknown[];
  };
  created_at: string;
  updated_at: string;
}
