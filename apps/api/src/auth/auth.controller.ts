import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  Inject,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from '../http/http-types';
import { z } from 'zod';
import { ZodBody, ZodPipe } from '../http/zod-pipe';
import { AuthService } from './auth.service';
import { originOf, requestToken, SESSION_COOKIE, type AuthedRequest } from './request-auth';
import { Audited, Public, RequireRole } from './roles';
import { SessionsService } from './sessions.service';
import { UsersReloader } from './users-reloader';

const loginSchema = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict();

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(UsersReloader) private readonly reloader: UsersReloader,
  ) {}

  @Post('auth/login')
  @HttpCode(200)
  @Public()
  @Audited('auth.login')
  @ZodBody(loginSchema)
  @ApiOperation({
    summary: 'Log in: a session token (for `Authorization: Bearer`) and the HttpOnly cookie cicenns_session',
    description:
      '401 for a wrong user name or password. After a few failures of one account (from anywhere) or from ' +
      'one address (any accounts) each try must wait a back-off that doubles up to auth.loginThrottle.' +
      'maxDelaySeconds: 429 with Retry-After (seconds), the password is then not checked.',
  })
  async login(
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
    @Body(new ZodPipe(loginSchema)) body: z.infer<typeof loginSchema>,
  ) {
    const r = await this.sessions.login(body.username, body.password, originOf(req));
    // a refusal is audited by AuditFilter
    if ('reason' in r) {
      if (r.retryAfterS === undefined) throw new UnauthorizedException(r.reason);
      res.setHeader('Retry-After', String(r.retryAfterS));
      throw new HttpException(r.reason, HttpStatus.TOO_MANY_REQUESTS);
    }
    res.cookie(SESSION_COOKIE, r.token, {
      httpOnly: true,
      sameSite: 'strict',
      // over TLS, directly or behind a proxy in api.trustProxy that says X-Forwarded-Proto: https
      secure: req.secure,
      path: '/',
      maxAge: r.expiresAtMs - Date.now(),
    });
    return { token: r.token, user: r.user, expiresAt: r.expiresAt };
  }

  @Post('auth/logout')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'End the session (its token stops working) and clear the cookie' })
  logout(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response) {
    this.sessions.logout(requestToken(req), req.principal, originOf(req));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiCookieAuth()
  @ApiOperation({ summary: 'Who the session or token belongs to' })
  me(@Req() req: AuthedRequest) {
    return { name: req.principal!.name, role: req.principal!.role };
  }

  @Get('users')
  @RequireRole('admin')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Accounts from the users file: name, role, whether a password is set, token names (admin)',
  })
  users() {
    return this.auth.listUsers();
  }

  @Post('users/reload')
  @HttpCode(200)
  @RequireRole('admin')
  @Audited('users.reload')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Re-read the users file (admin); a removed user or changed role ends their sessions',
  })
  reload(@Req() req: AuthedRequest) {
    return { users: this.reloader.reload(req.principal!, originOf(req)) };
  }
}
