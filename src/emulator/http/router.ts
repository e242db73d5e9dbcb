/** A small method+path router for the emulated Konnect API. */
import type { Region } from '../../konnect/regions.js';
import type { EmulatorCore, Principal } from '../core.js';
import type { HostScope } from './request.js';
import type { ApiResponse } from './response.js';

/** Everything a handler may use. */
export interface RequestContext {
  readonly core: EmulatorCore;
  readonly host: HostScope;
  readonly region: Region;
  /** `2` or `3`, from the path. */
  readonly version: number;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The query parsed as deepObject (`filter[name][eq]` → `{filter:{name:{eq}}}`). */
  readonly deepQuery: Readonly<Record<string, unknown>>;
  /** The authenticated principal (undefined on public routes). */
  readonly principal: Principal | undefined;
  /** The body, read at most once, bounded; undefined when over the limit. */
  body(): Promise<Buffer | undefined>;
}

export type Handler = (ctx: RequestContext) => ApiResponse | Promise<ApiResponse>;

/** One API operation. */
export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handler: Handler;
  /** Served without a token (the JWKS). */
  readonly public?: boolean;
  /** Served on the global host (destinations); every route is served on regional hosts. */
  readonly global?: boolean;
  /** The permission check recorded as `Authz.<resource>`. */
  readonly resource: (params: Readonly<Record<string, string>>) => string;
  /** `list`, `retrieve`, `create`, `edit`, `delete`. */
  readonly action: string;
}

interface Compiled {
  readonly route: Route;
  readonly regex: RegExp;
  readonly names: readonly string[];
}

/** The outcome of matching a path. */
export type Match =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

export class Router {
  private readonly routes: Compiled[] = [];

  add(...routes: Route[]): this {
    for (const route of routes) {
      const names: string[] = [];
      const source = route.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      this.routes.push({ route, regex: new RegExp(`^${source}/?$`), names });
    }
    return this;
  }

  match(method: string, path: string): Match {
    const allow: string[] = [];
    for (const { route, regex, names } of this.routes) {
      const m = regex.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allow.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
      return { kind: 'found', route, params };
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}
