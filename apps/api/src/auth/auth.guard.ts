import {
  ForbiddenException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { EventTickets } from '../live/event-tickets';
import type { AuthService } from './auth.service';
import { requestToken, type AuthedRequest } from './request-auth';
import { AUDIT_KEY, hasRole, ROLE_KEY, type Role } from './roles';

/**
 * Every route needs a valid session or API token and at least the role it declares
 * (@RequireRole; default viewer), unless it is @Public. 401 without a valid token, 403 with the
 * reason when the role is too low.
 */
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly tickets: EventTickets,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    req.auditAction = this.reflector.getAllAndOverride<string | undefined>(AUDIT_KEY, targets);
    const need = this.reflector.getAllAndOverride<Role | 'public' | undefined>(ROLE_KEY, targets) ?? 'viewer';
    const principal = this.auth.resolve(requestToken(req)) ?? this.ticketHolder(req);
    if (principal) req.principal = principal;
    if (need === 'public') return true;
    if (!principal) {
      if (req.path === '/api/events' && req.query.token !== undefined)
        throw new UnauthorizedException(
          'tokens are not accepted in the URL (they end up in logs): POST /api/events/ticket, then ?ticket=',
        );
      if (req.path === '/api/events' && req.query.ticket !== undefined)
        throw new UnauthorizedException('event ticket unknown, used or expired: get a new one');
      throw new UnauthorizedException('log in first: no valid session or API token');
    }
    if (!hasRole(principal.role, need)) {
      throw new ForbiddenException(
        `${req.method} ${req.path} needs the ${need} role; ${principal.name} is ${principal.role}`,
      );
    }
    return true;
  }

  /** `GET /api/events?ticket=`: the ticket's holder (the ticket is used up by this). */
  private ticketHolder(req: AuthedRequest) {
    const ticket = req.query.ticket;
    if (req.method !== 'GET' || req.path !== '/api/events' || typeof ticket !== 'string') return undefined;
    const token = this.tickets.redeem(ticket);
    const principal = this.auth.resolve(token);
    if (principal) req.streamToken = token;
    return principal;
  }
}
