import {
  Catch,
  HttpException,
  type ArgumentsHost,
  type ExceptionFilter,
  type HttpServer,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { AuthedRequest } from '../auth/request-auth';
import { originOf } from '../auth/request-auth';
import type { AuditLog } from './audit-log';

/**
 * Writes the refusals and failures of audited actions (bad body, no session, role too low,
 * conflict, alarm service away) to the audit log, then answers as Nest would.
 */
@Catch()
export class AuditFilter extends BaseExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly audit: AuditLog,
    adapter: HttpServer,
  ) {
    super(adapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<AuthedRequest>();
    if (req?.auditAction) {
      const status = exception instanceof HttpException ? exception.getStatus() : 500;
      const body = exception instanceof HttpException ? exception.getResponse() : String(exception);
      const message =
        typeof body === 'object' && body && 'message' in body ? String(body.message) : String(body);
      this.audit.record({
        user: req.principal?.name ?? 'anonymous',
        role: req.principal?.role ?? '',
        origin: originOf(req),
        action: req.auditAction,
        target: auditTarget(req),
        params: auditParams(req),
        outcome: status < 500 ? 'refused' : 'failed',
        detail: `${status} ${message}`,
      });
    }
    super.catch(exception, host);
  }
}

/** What an action is about: an alarm id from the path, else the alarm ids, HV target or preview. */
export function auditTarget(req: AuthedRequest): string {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const t = req.params?.id ?? b.alarmIds ?? b.target ?? b.previewId ?? b.username ?? '';
  return (typeof t === 'string' ? t : JSON.stringify(t)).slice(0, 500);
}

/** The request's parameters, never a password. */
export function auditParams(req: AuthedRequest): unknown {
  const b = req.body && typeof req.body === 'object' ? { ...(req.body as Record<string, unknown>) } : {};
  if ('password' in b) b.password = '(not logged)';
  return b;
}
