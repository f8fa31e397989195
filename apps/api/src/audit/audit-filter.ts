import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { describeError, serviceLogger } from '@cicenns/common';
import type { AuthService } from '../auth/auth.service';
import type { AuthedRequest } from '../auth/request-auth';
import { originOf, requestToken } from '../auth/request-auth';
import { errorResponse } from '../http/error-response';
import type { HttpResponse } from '../http/http-types';
import { findRoute, routeId, type RouteInfo } from '../http/route-table';
import { httpOriginOf } from '../http/request-context';
import type { AuditLog } from './audit-log';
import { boundedJson } from './bounded-json';

/**
 * Every error of the API ends here (Nest routes middleware errors and unknown paths to it too):
 * the refusals and failures of audited actions (bad body, wrong content type, cross-origin, no
 * session, role too low, conflict, alarm service away) are written to the audit log, then the
 * answer is JSON `{statusCode, error, message}`, never a stack trace or a server path. Nothing in
 * here may throw: a throwing filter is what made Express answer with its HTML stack-trace page.
 */
@Catch()
export class AuditFilter implements ExceptionFilter {
  private readonly log = serviceLogger('api');

  constructor(
    private readonly audit: AuditLog,
    private readonly auth: AuthService,
    private readonly routes: RouteInfo[],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<AuthedRequest>();
    const res = host.switchToHttp().getResponse<HttpResponse>();
    const body = errorResponse(exception);
    if (body.statusCode >= 500 && !(exception instanceof Error && 'getStatus' in exception))
      this.log.error(`${req?.method} ${req?.path}: ${describeError(exception)}`);
    try {
      this.record(req, body.statusCode, body.message);
    } catch (err) {
      this.log.error(`audit entry of a refusal not written: ${(err as Error).message}`);
    }
    if (res.headersSent) {
      res.end(); // an event stream that had started
      return;
    }
    res.statusCode = body.statusCode;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  }

  private record(req: AuthedRequest | undefined, status: number, message: string): void {
    if (!req) return;
    // refused before the guard ran (body parser, content type, origin): the route says the action
    const route = req.auditAction ? undefined : findRoute(this.routes, req.method, req.path);
    const action = req.auditAction ?? route?.audit;
    if (!action) return;
    // no route params yet when refused by middleware: the id from the path
    if (route && !req.params?.id) {
      const id = routeId(route, req.path);
      if (id !== undefined) req.params = { ...req.params, id };
    }
    const principal = req.principal ?? this.auth.resolve(requestToken(req));
    this.audit.record({
      user: principal?.name ?? 'anonymous',
      role: principal?.role ?? '',
      origin: originOf(req),
      httpOrigin: httpOriginOf(req),
      action,
      target: auditTarget(req),
      params: auditParams(req),
      outcome: status < 500 ? 'refused' : 'failed',
      detail: `${status} ${message}`,
    });
  }
}

/** What an action is about: an alarm id from the path, else the alarm ids, HV target or preview. */
export function auditTarget(req: AuthedRequest): string {
  const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  const t = req.params?.id ?? b.alarmIds ?? b.target ?? b.previewId ?? b.username ?? '';
  return (typeof t === 'string' ? t : boundedJson(t)).slice(0, 500);
}

/** The request's parameters, never a password (stored bounded by AuditLog). */
export function auditParams(req: AuthedRequest): unknown {
  const b = req.body && typeof req.body === 'object' ? { ...(req.body as Record<string, unknown>) } : {};
  if ('password' in b) b.password = '(not logged)';
  return b;
}
