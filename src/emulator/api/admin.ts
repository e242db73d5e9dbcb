/**
 * Emulator-only endpoints under `/_emulator/` (not part of Konnect; no token, no audit events):
 * inspect state, generate synthetic events, inject faults, flush and wait for deliveries, rotate
 * the signing key, add Dev Portals.
 */
import { isRegion } from '../../konnect/regions.js';
import type { EmulatorCore } from '../core.js';
import type { GenerateRequest } from '../audit/generator.js';
import type { FaultSpec } from '../faults.js';
import { snapshot } from '../inspect.js';
import { ProblemError, invalid, json, noContent, notFound, type ApiResponse } from '../http/response.js';
import { parseObject, type Body } from './validate.js';

/** Prefix of the emulator-only endpoints. */
export const ADMIN_PREFIX = '/_emulator';

function num(body: Body, field: string, { min = 0, integer = true } = {}): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw invalid('Invalid request body', { field, reason: `must be a${integer ? 'n integer' : ' number'} >= ${min}`, source: 'body' });
  }
  return v;
}

function time(body: Body, field: string): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw invalid('Invalid request body', { field, reason: 'must be epoch milliseconds or an RFC 3339 date-time', source: 'body' });
  return ms;
}

function regionField(body: Body): GenerateRequest['region'] {
  const v = body.region;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !isRegion(v)) throw invalid('Invalid request body', { field: 'region', reason: 'must be one of: us, eu, au, me, in, sg', source: 'body' });
  return v;
}

/** Parses `POST /_emulator/generate`. */
export function parseGenerate(body: Body): GenerateRequest {
  const count = num(body, 'count', { min: 1 });
  if (count === undefined) throw invalid('Required field missing', { field: 'count', rule: 'required', reason: 'is a required field', source: 'body' });
  const mix = body.mix;
  if (mix !== undefined && (typeof mix !== 'object' || mix === null)) throw invalid('Invalid request body', { field: 'mix', reason: 'must be an object', source: 'body' });
  const m = (mix ?? {}) as Body;
  const portalId = body.portal_id;
  if (portalId !== undefined && typeof portalId !== 'string') throw invalid('Invalid request body', { field: 'portal_id', reason: 'must be a string', source: 'body' });
  return {
    count,
    region: regionField(body),
    portalId,
    mix: { authentication: num(m, 'authentication', { integer: false }), authorization: num(m, 'authorization', { integer: false }), access: num(m, 'access', { integer: false }) },
    deniedRatio: num(body, 'denied_ratio', { integer: false }),
    failedRatio: num(body, 'failed_ratio', { integer: false }),
    fromMs: time(body, 'from'),
    toMs: time(body, 'to'),
    principals: num(body, 'principals', { min: 1 }),
  };
}

/** Parses `POST /_emulator/faults`. */
export function parseFault(body: Body): FaultSpec {
  const path = body.path;
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid('Invalid request body', { field: 'path', reason: 'must be an API path such as /v2/audit-log-webhook', source: 'body' });
  const method = body.method;
  if (method !== undefined && typeof method !== 'string') throw invalid('Invalid request body', { field: 'method', reason: 'must be a string', source: 'body' });
  const retryAfter = body.retry_after;
  if (retryAfter !== undefined && typeof retryAfter !== 'string' && typeof retryAfter !== 'number') {
    throw invalid('Invalid request body', { field: 'retry_after', reason: 'must be seconds or an HTTP date', source: 'body' });
  }
  const status = num(body, 'status', { min: 100 });
  const delayMs = num(body, 'delay_ms');
  const reset = body.reset === true;
  if (status === undefined && delayMs === undefined && !reset) throw invalid('Invalid fault', { field: 'status', reason: 'give status, reset or delay_ms', source: 'body' });
  return {
    path,
    ...(method ? { method } : {}),
    ...(regionField(body) ? { region: regionField(body)! } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(retryAfter !== undefined ? { retryAfter: String(retryAfter) } : {}),
    ...(reset ? { reset } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
    times: num(body, 'times', { min: 1 }) ?? 1,
  };
}

/** Answers an emulator-only request. */
export async function handleAdmin(core: EmulatorCore, method: string, path: string, query: URLSearchParams, readBody: () => Promise<Buffer | undefined>): Promise<ApiResponse> {
  const route = `${method} ${path.replace(/\/$/, '')}`;
  switch (route) {
    case 'GET /_emulator/state':
      return json(200, snapshot(core));
    case 'POST /_emulator/generate': {
      const request = parseGenerate(parseObject(await readBody()));
      try {
        return json(200, { generated: await core.generate(request) });
      } catch (error) {
        throw invalid('Invalid generate request', { field: 'portal_id', reason: (error as Error).message, source: 'body' });
      }
    }
    case 'POST /_emulator/faults': {
      const fault = core.faults.add(parseFault(parseObject(await readBody())));
      return json(201, { id: fault.id });
    }
    case 'GET /_emulator/faults':
      return json(200, { data: core.faults.list() });
    case 'DELETE /_emulator/faults':
      core.faults.clear();
      return noContent();
    case 'POST /_emulator/flush':
      core.hub.flushAll();
      return noContent();
    case 'GET /_emulator/idle': {
      const timeout = Number(query.get('timeout_ms') ?? '30000');
      core.hub.flushAll();
      const idle = await Promise.race([core.hub.idle().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeout).unref())]);
      if (!idle) throw new ProblemError(504, `deliveries still in progress after ${timeout} ms`);
      return json(200, { idle: true });
    }
    case 'POST /_emulator/keys/rotate':
      return json(200, { kid: core.keys.rotate() });
    case 'POST /_emulator/portals': {
      const body = parseObject(await readBody());
      const region = regionField(body) ?? 'us';
      const name = typeof body.name === 'string' && body.name ? body.name : 'portal';
      const id = typeof body.id === 'string' && body.id ? body.id : core.ids.uuid();
      if (core.state.portals.has(id)) throw new ProblemError(409, `portal ${id} already exists`);
      core.state.addPortal(id, name, region);
      return json(201, { id, name, region });
    }
    default:
      throw notFound('Unknown emulator endpoint; see GET /_emulator/state, POST /_emulator/generate, POST /_emulator/faults');
  }
}
