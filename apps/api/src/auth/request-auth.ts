import type { HttpRequest as Request } from '../http/http-types';
import type { Principal } from './roles';

export const SESSION_COOKIE = 'cicenns_session';

/** The token a request carries: `Authorization: Bearer`, else the session cookie. */
export function requestToken(req: Request, allowQuery = false): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (cookie) return cookie;
  // EventSource cannot send headers; a token in a URL ends up in logs, so only where needed
  if (allowQuery && typeof req.query.token === 'string') return req.query.token;
  return undefined;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/** Where the request came from, for the audit log (the peer address; no proxy headers trusted). */
export function originOf(req: Request): string {
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

export type AuthedRequest = Request & { principal?: Principal; auditAction?: string };
