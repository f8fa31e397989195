import type { HttpRequest as Request } from '../http/http-types';
import type { Principal } from './roles';

export const SESSION_COOKIE = 'cicenns_session';

/**
 * The token a request carries: `Authorization: Bearer`, else the session cookie. Never one in
 * the URL: it would end up in access logs (event streams use a single-use ticket instead).
 */
export function requestToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (cookie) return cookie;
  return undefined;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined; // a malformed %-escape: no such cookie
      }
    }
  }
  return undefined;
}

/**
 * Where the request came from, for the audit log and login throttling: the peer address, or the
 * client behind a proxy listed in api.trustProxy (X-Forwarded-For).
 */
export function originOf(req: Request): string {
  return (req.ip ?? req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

export type AuthedRequest = Request & {
  principal?: Principal;
  auditAction?: string;
  /** an event stream's credential, from its ticket */
  streamToken?: string;
};
