import { AsyncLocalStorage } from 'node:async_hooks';
import type { HttpRequest } from './http-types';

/** What the audit log records of the HTTP request an action came in (set per request). */
export interface RequestContext {
  /** the request's Origin header ('' when the client sent none: a script) */
  httpOrigin: string;
}

/**
 * Per-request context, so every audit entry of a request carries its Origin header without each
 * controller and service passing it along. Installed after the body parser: the parser's stream
 * callbacks run outside the context of the middleware that came before it.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

export function httpOriginOf(req: Pick<HttpRequest, 'headers'>): string {
  const o = req.headers.origin;
  return typeof o === 'string' ? o.slice(0, 200) : '';
}

export function requestContextMiddleware(req: HttpRequest, _res: unknown, next: () => void): void {
  requestContext.run({ httpOrigin: httpOriginOf(req) }, next);
}
