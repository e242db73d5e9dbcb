/** The emulated Konnect API: every route, its permission check and its handler. */
import { getAuditLogs } from './api/auditLogs.js';
import { createControlPlane, deleteControlPlane, getControlPlane, listControlPlanes } from './api/controlPlanes.js';
import { createDestination, deleteDestination, getDestination, listDestinations, patchDestination } from './api/destinations.js';
import { getReplay, putReplay } from './api/replay.js';
import { portalScope, regionScope } from './api/scopes.js';
import { deleteWebhook, getJwks, getStatus, getWebhookV2, getWebhookV3, patchWebhookV2, patchWebhookV3 } from './api/webhook.js';
import { Router, type Route } from './http/router.js';

const fixed = (name: string) => () => name;
const portal = (params: Readonly<Record<string, string>>) => `portals/${params.portalId}/audit-log-webhook`;

function forVersions(versions: readonly number[], make: (v: number) => Route[]): Route[] {
  return versions.flatMap(make);
}

/** Builds the router with every Konnect route the emulator serves. */
export function konnectRouter(): Router {
  const router = new Router();
  router.add(
    { method: 'GET', pattern: '/v2/audit-log-webhook/jwks.json', public: true, resource: fixed('audit-log-webhook'), action: 'retrieve', handler: getJwks },
    { method: 'GET', pattern: '/v2/audit-log-webhook', resource: fixed('audit-log-webhook'), action: 'retrieve', handler: (c) => getWebhookV2(c, regionScope(c)) },
    { method: 'PATCH', pattern: '/v2/audit-log-webhook', resource: fixed('audit-log-webhook'), action: 'edit', handler: (c) => patchWebhookV2(c, regionScope(c)) },
    { method: 'GET', pattern: '/v3/audit-log-webhook', resource: fixed('audit-log-webhook'), action: 'retrieve', handler: (c) => getWebhookV3(c, regionScope(c)) },
    { method: 'PATCH', pattern: '/v3/audit-log-webhook', resource: fixed('audit-log-webhook'), action: 'edit', handler: (c) => patchWebhookV3(c, regionScope(c)) },
    { method: 'DELETE', pattern: '/v3/audit-log-webhook', resource: fixed('audit-log-webhook'), action: 'delete', handler: (c) => deleteWebhook(c, regionScope(c)) },
    { method: 'GET', pattern: '/v3/audit-logs', resource: fixed('audit-logs'), action: 'list', handler: getAuditLogs },
  );
  router.add(
    ...forVersions([2, 3], (v) => [
      { method: 'GET', pattern: `/v${v}/audit-log-webhook/status`, resource: fixed('audit-log-webhook'), action: 'retrieve', handler: (c) => getStatus(c, regionScope(c)) },
      { method: 'GET', pattern: `/v${v}/audit-log-replay-job`, resource: fixed('audit-log-replay-job'), action: 'retrieve', handler: (c) => getReplay(c, regionScope(c)) },
      { method: 'PUT', pattern: `/v${v}/audit-log-replay-job`, resource: fixed('audit-log-replay-job'), action: 'edit', handler: (c) => putReplay(c, regionScope(c)) },
      { method: 'GET', pattern: `/v${v}/audit-log-destinations`, global: true, resource: fixed('audit-log-destinations'), action: 'list', handler: listDestinations },
      { method: 'POST', pattern: `/v${v}/audit-log-destinations`, global: true, resource: fixed('audit-log-destinations'), action: 'create', handler: createDestination },
      ...(['GET', 'PATCH', 'DELETE'] as const).map(
        (method): Route => ({
          method,
          pattern: `/v${v}/audit-log-destinations/:id`,
          global: true,
          resource: (p) => `audit-log-destinations/${p.id}`,
          action: method === 'GET' ? 'retrieve' : method === 'PATCH' ? 'edit' : 'delete',
          handler: method === 'GET' ? getDestination : method === 'PATCH' ? patchDestination : deleteDestination,
        }),
      ),
      { method: 'GET', pattern: `/v${v}/portals/:portalId/audit-log-webhook`, resource: portal, action: 'retrieve', handler: (c) => getWebhookV3(c, portalScope(c)) },
      { method: 'PATCH', pattern: `/v${v}/portals/:portalId/audit-log-webhook`, resource: portal, action: 'edit', handler: (c) => patchWebhookV3(c, portalScope(c)) },
      { method: 'DELETE', pattern: `/v${v}/portals/:portalId/audit-log-webhook`, resource: portal, action: 'delete', handler: (c) => deleteWebhook(c, portalScope(c)) },
      { method: 'GET', pattern: `/v${v}/portals/:portalId/audit-log-webhook/status`, resource: portal, action: 'retrieve', handler: (c) => getStatus(c, portalScope(c)) },
      { method: 'GET', pattern: `/v${v}/portals/:portalId/audit-log-replay-job`, resource: (p) => `portals/${p.portalId}/audit-log-replay-job`, action: 'retrieve', handler: (c) => getReplay(c, portalScope(c)) },
      { method: 'PUT', pattern: `/v${v}/portals/:portalId/audit-log-replay-job`, resource: (p) => `portals/${p.portalId}/audit-log-replay-job`, action: 'edit', handler: (c) => putReplay(c, portalScope(c)) },
    ]),
  );
  router.add(
    { method: 'GET', pattern: '/v2/control-planes', resource: fixed('control-planes'), action: 'list', handler: listControlPlanes },
    { method: 'POST', pattern: '/v2/control-planes', resource: fixed('control-planes'), action: 'create', handler: createControlPlane },
    { method: 'GET', pattern: '/v2/control-planes/:id', resource: (p) => `control-planes/${p.id}`, action: 'retrieve', handler: getControlPlane },
    { method: 'DELETE', pattern: '/v2/control-planes/:id', resource: (p) => `control-planes/${p.id}`, action: 'delete', handler: deleteControlPlane },
  );
  return router;
}
