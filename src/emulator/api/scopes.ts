/** Resolving which delivery scope (region org webhook or Dev Portal webhook) a request addresses. */
import type { RequestContext } from '../http/router.js';
import { notFound } from '../http/response.js';
import type { DeliveryScope } from '../state.js';

/** The org webhook scope of the request's region. */
export function regionScope(ctx: RequestContext): DeliveryScope {
  return ctx.core.state.region(ctx.region);
}

/** The `{portalId}` scope; 404 for an unknown portal or one that lives in another region. */
export function portalScope(ctx: RequestContext): DeliveryScope {
  const portal = ctx.core.state.portals.get(ctx.params.portalId ?? '');
  if (!portal || portal.region !== ctx.region) throw notFound('Portal not found');
  return portal.scope;
}
