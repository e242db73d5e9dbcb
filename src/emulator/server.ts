/**
 * The emulator's HTTP pipeline: host/region resolution, emulator-only endpoints, fault injection,
 * routing (404/405), bearer authentication (401) and permissions (403 for read-only tokens),
 * the handler, then the audit events Konnect would record for the request.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { ADMIN_PREFIX, handleAdmin } from './api/admin.js';
import { requestEvents, tokenType, type AuthFacts } from './audit/requestEvents.js';
import type { EmulatorCore, Principal } from './core.js';
import { MAX_API_BODY_BYTES, parseDeepQuery, readBody, resolveHost } from './http/request.js';
import { ProblemError, problemResponse, type ApiResponse } from './http/response.js';
import type { RequestContext, Router } from './http/router.js';

const READ_METHODS = new Set(['GET', 'HEAD']);

function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

function write(res: ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string | number> = { ...response.headers };
  if (response.body === undefined) {
    res.writeHead(response.status, headers).end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(response.body), 'utf8');
  headers['Content-Type'] = response.contentType ?? 'application/json';
  headers['Content-Length'] = payload.length;
  res.writeHead(response.status, headers).end(payload);
}

/** Creates the HTTP server for a core and its router. */
export function createEmulatorServer(core: EmulatorCore, router: Router): http.Server {
  const server = http.createServer((req, res) => {
    handle(core, router, req, res).catch((error: unknown) => {
      process.stderr.write(`emulator: internal error: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) write(res, problemResponse(new ProblemError(500, 'Internal emulator error'), core.ids.traceId()));
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

async function handle(core: EmulatorCore, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const { scope: host, path } = resolveHost(url.pathname, req.headers.host);
  let bodyPromise: Promise<Buffer | undefined> | undefined;
  const body = () =>
    (bodyPromise ??= readBody(req).then((raw) => {
      if (raw === undefined) throw new ProblemError(413, `Request body larger than ${MAX_API_BODY_BYTES} bytes`);
      return raw;
    }));

  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
    write(res, await answer(core, () => handleAdmin(core, method, path, url.searchParams, body)));
    return;
  }

  const fault = core.faults.take(method, host.region, path);
  if (fault?.delayMs) await delay(fault.delayMs);
  if (fault?.reset) {
    req.socket.destroy();
    return;
  }
  if (fault?.status !== undefined) {
    const headers = fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : undefined;
    write(res, problemResponse(new ProblemError(fault.status, 'Injected fault', undefined, undefined, headers), core.ids.traceId()));
    return;
  }

  const match = router.match(method, path);
  if (match.kind === 'not-found' || (match.kind === 'found' && host.globalOnly && !match.route.global)) {
    write(res, problemResponse(new ProblemError(404, 'Not Found'), core.ids.traceId()));
    return;
  }
  if (match.kind === 'method-not-allowed') {
    write(res, problemResponse(new ProblemError(405, `Method ${method} not allowed`, undefined, undefined, { Allow: match.allow.join(', ') }), core.ids.traceId()));
    return;
  }

  const { route, params } = match;
  const traceId = core.ids.traceId();
  let principal: Principal | undefined;
  let auth: AuthFacts | undefined;
  let response: ApiResponse;
  let granted = true;
  if (!route.public) {
    const token = bearer(req.headers.authorization);
    principal = token !== undefined ? core.principal(token) : undefined;
    auth = token === undefined ? { kind: 'missing' } : principal ? { kind: 'ok', type: tokenType(token), principalId: principal.principalId } : { kind: 'unknown', type: tokenType(token) };
  }
  if (auth && auth.kind !== 'ok') {
    response = problemResponse(new ProblemError(401, 'Unauthorized'), traceId);
  } else if (principal?.readOnly && !READ_METHODS.has(method)) {
    granted = false;
    response = problemResponse(new ProblemError(403, 'You do not have permission to perform this action'), traceId);
  } else {
    const ctx: RequestContext = {
      core,
      host,
      region: host.region,
      version: Number(/^\/v(\d+)\//.exec(path)?.[1] ?? '2'),
      method,
      path,
      params,
      query: url.searchParams,
      deepQuery: parseDeepQuery(url.searchParams),
      principal,
      body,
    };
    response = await answer(core, () => route.handler(ctx), traceId);
  }

  if (auth) {
    const events = requestEvents(
      {
        method,
        path,
        query: url.searchParams,
        src: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        userAgent: req.headers['user-agent'] ?? '',
        auth,
        authz: auth.kind === 'ok' ? { resource: route.resource(params), action: route.action, granted } : undefined,
        status: response.status,
      },
      { orgId: core.state.orgId, rt: core.now(), traceId },
    );
    core.record(host.region, events);
  }
  write(res, response);
}

/** Runs a handler, turning ProblemErrors (and an over-limit body) into problem+json responses. */
async function answer(core: EmulatorCore, run: () => ApiResponse | Promise<ApiResponse>, traceId?: bigint): Promise<ApiResponse> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProblemError) return problemResponse(error, traceId ?? core.ids.traceId());
    throw error;
  }
}
