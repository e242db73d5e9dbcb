/** Replay jobs: `PUT/GET .../audit-log-replay-job` for regions and portals (reference §2.5, §9). */
import type { AuditLogReplayJob } from '../../konnect/types.js';
import { ZERO_TIME } from '../../konnect/types.js';
import { RETENTION_MS } from '../audit/eventStore.js';
import { apiTime } from '../clock.js';
import type { RequestContext } from '../http/router.js';
import { ProblemError, invalid, json, type ApiResponse } from '../http/response.js';
import type { DeliveryScope } from '../state.js';
import { parseObject, requiredDateTime } from './validate.js';

/** Clock skew tolerated for an `end_at` slightly in the future. */
const FUTURE_SKEW_MS = 60_000;

export function replayView(scope: DeliveryScope): AuditLogReplayJob {
  const r = scope.replay;
  return {
    start_at: r.startAt !== undefined ? apiTime(r.startAt) : ZERO_TIME,
    end_at: r.endAt !== undefined ? apiTime(r.endAt) : ZERO_TIME,
    status: r.status,
    updated_at: r.updatedAt !== undefined ? apiTime(r.updatedAt) : ZERO_TIME,
  };
}

export function getReplay(_ctx: RequestContext, scope: DeliveryScope): ApiResponse {
  return json(200, replayView(scope));
}

/** Validates the range (both within the last 7 days, start not after end) and starts the job; 409 while one is active. */
export async function putReplay(ctx: RequestContext, scope: DeliveryScope): Promise<ApiResponse> {
  const body = parseObject(await ctx.body());
  const missing = ['start_at', 'end_at'].filter((field) => body[field] === undefined || body[field] === null || body[field] === '');
  if (missing.length > 0) throw invalid('Required field missing', ...missing.map((field) => ({ field, rule: 'required', reason: 'is a required field', source: 'body' })));
  const startAt = requiredDateTime(body, 'start_at');
  const endAt = requiredDateTime(body, 'end_at');
  const now = ctx.core.now();
  const oldest = now - RETENTION_MS;
  for (const [field, value] of [['start_at', startAt], ['end_at', endAt]] as const) {
    if (value < oldest) throw invalid('Invalid replay range', { field, reason: 'must be within the last 7 days', source: 'body' });
    if (value > now + FUTURE_SKEW_MS) throw invalid('Invalid replay range', { field, reason: 'must not be in the future', source: 'body' });
  }
  if (startAt > endAt) throw invalid('Invalid replay range', { field: 'end_at', reason: 'must not be before start_at', source: 'body' });
  if (ctx.core.replays.isActive(scope)) throw new ProblemError(409, 'A replay job is currently running', undefined, 'Resource Conflict');
  ctx.core.replays.start(scope, startAt, endAt);
  return json(202, replayView(scope));
}
