import type { AuditLog } from '../audit/audit-log';
import type { AuthService, LoginRefusal, LoginResult } from './auth.service';
import type { Principal } from './roles';

/** Logging in and out, each audited (a refused login is audited by AuditFilter). */
export class SessionsService {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditLog,
  ) {}

  async login(username: string, password: string, origin: string): Promise<LoginResult | LoginRefusal> {
    const r = await this.auth.login(username, password, origin);
    if ('reason' in r) return r;
    this.audit.record({
      user: r.user.name,
      role: r.user.role,
      origin,
      action: 'auth.login',
      target: r.user.name,
      params: { username },
      outcome: 'ok',
      detail: `session until ${r.expiresAt}`,
    });
    return r;
  }

  /** End a login session (an API token from the users file is not one: nothing to end). */
  logout(token: string | undefined, principal: Principal | undefined, origin: string): void {
    if (!token || principal?.via !== 'session') return;
    this.auth.logout(token);
    this.audit.record({
      user: principal.name,
      role: principal.role,
      origin,
      action: 'auth.logout',
      target: principal.name,
      params: {},
      outcome: 'ok',
      detail: '',
    });
  }
}
