/**
 * A few ordinary Konnect endpoints (`/v2/control-planes`) so that the seeds' validation step
 * ("GET /v2/control-planes triggers an Authz.control-planes record") works against the emulator.
 */
import type { InvalidParameter } from '../../konnect/problem.js';
import { apiTime } from '../clock.js';
import type { RequestContext } from '../http/router.js';
import { ProblemError, invalid, json, noContent, notFound, type ApiResponse } from '../http/response.js';
import type { ControlPlaneRecord } from '../state.js';
import { optionalBoolean, optionalNonBlank, optionalString, parseObject } from './validate.js';

function invalidParam(field: string, reason: string): InvalidParameter {
  return { field, rule: 'invalid', reason, source: 'body' };
}

function view(ctx: RequestContext, cp: ControlPlaneRecord) {
  const host = `${cp.id.slice(0, 10)}.${ctx.region}.cp0.konghq.com`;
  return {
    id: cp.id,
    name: cp.name,
    description: cp.description,
    labels: cp.labels,
    config: {
      control_plane_endpoint: `https://${host}`,
      telemetry_endpoint: `https://${cp.id.slice(0, 10)}.${ctx.region}.tp0.konghq.com`,
      cluster_type: cp.cluster_type,
      auth_type: cp.auth_type,
      cloud_gateway: cp.cloud_gateway,
      proxy_urls: [],
    },
    created_at: apiTime(cp.created_at),
    updated_at: apiTime(cp.updated_at),
  };
}

/** `GET /v2/control-planes` with `page[size]` / `page[number]` pagination (`meta.page.{number,size,total}`). */
export function listControlPlanes(ctx: RequestContext): ApiResponse {
  const size = positive(ctx.query.get('page[size]'), 'page[size]', 10);
  const number = positive(ctx.query.get('page[number]'), 'page[number]', 1);
  const all = [...ctx.core.state.controlPlanes.values()];
  const data = all.slice((number - 1) * size, number * size).map((cp) => view(ctx, cp));
  return json(200, { meta: { page: { number, size, total: all.length } }, data });
}

function positive(raw: string | null, field: string, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalid('Invalid query parameter', invalidParam(field, 'must be a positive integer'));
  return Number(raw);
}

export async function createControlPlane(ctx: RequestContext): Promise<ApiResponse> {
  const body = parseObject(await ctx.body());
  const name = optionalNonBlank(body, 'name');
  if (name === undefined) throw invalid('Required field missing', { field: 'name', rule: 'required', reason: 'is a required field', source: 'body' });
  if ([...ctx.core.state.controlPlanes.values()].some((cp) => cp.name === name)) {
    throw new ProblemError(409, `Key (org_id, name)=(${ctx.core.state.orgId}, ${name}) already exists.`);
  }
  const labels = body.labels;
  if (labels !== undefined && (typeof labels !== 'object' || labels === null || Array.isArray(labels))) {
    throw invalid('Invalid request body', invalidParam('labels', 'must be an object'));
  }
  const now = ctx.core.now();
  const cp: ControlPlaneRecord = {
    id: ctx.core.ids.uuid(),
    name,
    description: optionalString(body, 'description') ?? '',
    labels: (labels as Record<string, string> | undefined) ?? {},
    cluster_type: optionalString(body, 'cluster_type') ?? 'CLUSTER_TYPE_CONTROL_PLANE',
    auth_type: optionalString(body, 'auth_type') ?? 'pinned_client_certs',
    cloud_gateway: optionalBoolean(body, 'cloud_gateway') ?? false,
    created_at: now,
    updated_at: now,
  };
  ctx.core.state.controlPlanes.set(cp.id, cp);
  return json(201, view(ctx, cp));
}

function find(ctx: RequestContext): ControlPlaneRecord {
  const cp = ctx.core.state.controlPlanes.get(ctx.params.id ?? '');
  if (!cp) throw notFound();
  return cp;
}

export function getControlPlane(ctx: RequestContext): ApiResponse {
  return json(200, view(ctx, find(ctx)));
}

export function deleteControlPlane(ctx: RequestContext): ApiResponse {
  ctx.core.state.controlPlanes.delete(find(ctx).id);
  return noContent();
}
