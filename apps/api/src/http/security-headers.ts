import helmet from 'helmet';
import type { HttpRequest } from './http-types';

type Middleware = (req: HttpRequest, res: unknown, next: (err?: unknown) => void) => void;

/**
 * The console is our own scripts and stylesheets only (js/*.js, uPlot's iife and css; uPlot sets
 * element styles from script, which CSP allows), talks to its own origin (fetch, EventSource)
 * and draws on canvas. No inline script or style, no frames, no plugins.
 */
const CONSOLE_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

function headers(csp: Record<string, string[]>, hsts: boolean) {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: csp },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // only over TLS: on a plain-HTTP control network a browser ignores it anyway
    strictTransportSecurity: hsts ? { maxAge: 180 * 24 * 3600 } : false,
    xPoweredBy: false,
  }) as unknown as Middleware;
}

/**
 * Response headers of every answer (console, API, errors): CSP with frame-ancestors 'none' and
 * X-Frame-Options DENY (no clickjacking of HV buttons), nosniff, Referrer-Policy no-referrer, HSTS
 * over TLS; no X-Powered-By. Swagger UI (/api/docs) has an inline <style> and style attributes:
 * its CSP also allows inline styles, nothing else.
 */
export function securityHeaders(): Middleware {
  const docsCsp = { ...CONSOLE_CSP, 'style-src': ["'self'", "'unsafe-inline'"] };
  const variants = {
    plain: headers(CONSOLE_CSP, false),
    tls: headers(CONSOLE_CSP, true),
    docsPlain: headers(docsCsp, false),
    docsTls: headers(docsCsp, true),
  };
  return (req, res, next) => {
    const docs = req.path === '/api/docs' || req.path.startsWith('/api/docs/');
    const pick = docs
      ? req.secure
        ? variants.docsTls
        : variants.docsPlain
      : req.secure
        ? variants.tls
        : variants.plain;
    pick(req, res, next);
  };
}
