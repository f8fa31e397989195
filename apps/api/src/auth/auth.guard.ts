import {
  ForbiddenException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
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
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    req.auditAction = this.reflector.getAllAndOverride<string | undefined>(AUDIT_KEY, targets);
    const need = this.reflector.getAllAndOverride<Role | 'public' | undefined>(ROLE_KEY, targets) ?? 'viewer';
    const principal = this.auth.resolve(requestToken(req, req.path === '/api/events'));
    if (principal) req.principal = principal;
    if (need === 'public') return true;
    if (!principal) throw new UnauthorizedException('log in first: no valid session or API token');
    if (!hasRole(principal.role, need)) {
      throw new ForbiddenException(
        `${req.method} ${req.path} needs the ${need} role; ${principal.name} is ${principal.role}`,
      );
    }
    return true;
  }
}
