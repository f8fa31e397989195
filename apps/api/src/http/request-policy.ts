import { ForbiddenException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { HttpRequest } from './http-types';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Cross-site request forgery, refused before the body is read. A browser attaches the session
 * cookie to a request that another page makes (SameSite=Strict does not help against a page on
 * another port of the same host, a Grafana or the simulator, or a sibling subdomain), but never an
 * `Authorization: Bearer` header, so:
 *  - a state-changing request (not GET/HEAD/OPTIONS) without a Bearer token whose `Origin` is
 *    neither the API's own origin (scheme and host as the client addressed it; behind a trusted
 *    proxy its X-Forwarded-Proto/-Host) nor one of api.allowedOrigins is refused 403; without an
 *    Origin header, a `Sec-Fetch-Site` other than same-origin/none is refused likewise;
 *  - requests with neither header are not from a browser page (curl, the CLI, scripts): allowed;
 *  - every state-changing request must say `Content-Type: application/json` (415 otherwise): a
 *    page elsewhere can send a form or text/plain without asking, but JSON only after a CORS
 *    preflight, which this API never grants. So even a browser that sends no Origin cannot forge.
 */
export function requestPolicyProblem(
  req: HttpRequest,
  allowedOrigins: readonly string[],
): ForbiddenException | UnsupportedMediaTypeException | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const bearer = /^Bearer\s/i.test(req.headers.authorization ?? '');
  if (!bearer) {
    const own = `${req.protocol}://${req.host}`;
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (origin !== undefined) {
      if (origin !== own && !allowedOrigins.includes(origin))
        return new ForbiddenException(
          `cross-origin request refused: Origin ${origin.slice(0, 100)} is neither this API (${own}) nor in api.allowedOrigins`,
        );
    } else if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
      return new ForbiddenException(`cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 30)})`);
    }
  }
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type))
    return new UnsupportedMediaTypeException(
      `${req.method} ${req.path.slice(0, 200)}: the body must be JSON with Content-Type: application/json` +
        ` (got ${type ? type.slice(0, 100) : 'no Content-Type'})`,
    );
  return undefined;
}

export function requestPolicy(allowedOrigins: readonly string[]) {
  return (req: HttpRequest, _res: unknown, next: (err?: unknown) => void): void =>
    next(requestPolicyProblem(req, allowedOrigins));
}
