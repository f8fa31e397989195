import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { AUDIT_KEY, ROLE_KEY, type Role } from '../auth/roles';

/** One route of the API as its decorators declare it: what AuthGuard enforces, what is audited. */
export interface RouteInfo {
  method: string;
  /** Express form: /api/alarms/:id/shelve */
  path: string;
  /** the least role, or public */
  need: Role | 'public';
  /** the audit action of its refusals and outcomes, if audited */
  audit?: string;
  pattern: RegExp;
}

function joinPath(...parts: (string | undefined)[]): string {
  return `/${parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
}

/**
 * The routes of the given controllers from their metadata (the same that Nest's router and
 * AuthGuard read): for the OpenAPI security marking and for auditing refusals that happen before
 * a route is reached (body too large or too deep, wrong content type, cross-origin).
 */
export function routeTable(controllers: Type[]): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const ctrl of controllers) {
    const base = Reflect.getMetadata(PATH_METADATA, ctrl) as string | undefined;
    const proto = ctrl.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (sub === undefined || method === undefined) continue;
      const path = joinPath(base, sub);
      const need = (Reflect.getMetadata(ROLE_KEY, handler) ??
        Reflect.getMetadata(ROLE_KEY, ctrl) ??
        'viewer') as Role | 'public';
      const audit = (Reflect.getMetadata(AUDIT_KEY, handler) ?? Reflect.getMetadata(AUDIT_KEY, ctrl)) as
        string | undefined;
      const re = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '([^/]+)');
      routes.push({ method: RequestMethod[method], path, need, audit, pattern: new RegExp(`^${re}/?$`) });
    }
  }
  return routes;
}

export function findRoute(routes: RouteInfo[], method: string, path: string): RouteInfo | undefined {
  return routes.find((r) => r.method === method && r.pattern.test(path));
}

/** The `:id` of a path under a route (undefined if it has none or it is not %-decodable). */
export function routeId(route: RouteInfo | undefined, path: string): string | undefined {
  const m = route && route.path.includes(':id') ? route.pattern.exec(path) : null;
  try {
    return m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}
