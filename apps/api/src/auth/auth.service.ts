import { randomBytes } from 'node:crypto';
import { DEFAULT_THROTTLE, LoginThrottle, type Throttled, type ThrottleSettings } from './login-throttle';
import { DUMMY_HASH, hashPassword, hashToken, newToken, verifyPassword } from '@cicenns/common';
import { ROLES, type Principal } from './roles';
import type { UserAccount } from './users-file';

interface Session extends Principal {
  expiresAt: number;
}

export interface LoginResult {
  token: string;
  user: { name: string; role: Principal['role'] };
  expiresAt: string;
  expiresAtMs: number;
}

/** A refused login: wrong credentials, or throttled (then with when to retry). */
export type LoginRefusal = { reason: string; retryAfterS?: number };

/**
 * Accounts (from the users file), login sessions (in memory: a restart logs everyone out) and
 * API tokens. Session tokens are random 256-bit strings; only their hash is kept.
 */
export class AuthService {
  private users = new Map<string, UserAccount>();
  private readonly tokens = new Map<string, Principal>();
  private readonly sessions = new Map<string, Session>();
  private readonly throttle: LoginThrottle;

  constructor(
    users: UserAccount[],
    private readonly sessionTtlMs: number,
    throttle: ThrottleSettings = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new LoginThrottle(throttle);
    this.setUsers(users);
  }

  /** Accounts and addresses with recent failed logins (bounded by loginThrottle.maxTrackedKeys). */
  get throttled(): { accounts: number; sources: number } {
    return this.throttle.tracked;
  }

  setUsers(users: UserAccount[]): void {
    this.users = new Map(users.map((u) => [u.name, u]));
    this.tokens.clear();
    for (const u of users)
      for (const t of u.tokens) this.tokens.set(t.sha256, { name: u.name, role: u.role, via: 'token' });
    // a removed account or a changed role ends that user's sessions
    for (const [k, s] of this.sessions) if (this.users.get(s.name)?.role !== s.role) this.sessions.delete(k);
  }

  listUsers() {
    return [...this.users.values()].map((u) => ({
      name: u.name,
      role: u.role,
      password: u.password !== undefined,
      tokens: u.tokens.map((t) => t.name),
    }));
  }

  /**
   * Resolves with the session, or with the refusal: wrong credentials, or throttled (the password
   * is then not even checked, so a throttled guess learns nothing).
   */
  async login(username: string, password: string, origin: string): Promise<LoginResult | LoginRefusal> {
    const throttled: Throttled | undefined = this.throttle.begin(username, origin, this.now());
    if (throttled) return throttled;
    const user = this.users.get(username);
    // verify against a dummy hash when there is no such user: the answer takes as long
    const ok = await verifyPassword(password, user?.password ?? DUMMY_HASH);
    if (!user || !user.password || !ok) return { reason: 'wrong user name or password' };
    this.throttle.succeeded(username, origin);
    const now = this.now();
    const token = newToken();
    const expiresAtMs = now + this.sessionTtlMs;
    this.sessions.set(hashToken(token), {
      name: user.name,
      role: user.role,
      via: 'session',
      expiresAt: expiresAtMs,
    });
    return {
      token,
      user: { name: user.name, role: user.role },
      expiresAt: new Date(expiresAtMs).toISOString(),
      expiresAtMs,
    };
  }

  logout(token: string): void {
    this.sessions.delete(hashToken(token));
  }

  /** The principal behind a session or API token, if it is valid now. */
  resolve(token: string | undefined): Principal | undefined {
    if (!token) return undefined;
    const h = hashToken(token);
    const s = this.sessions.get(h);
    if (s) {
      if (s.expiresAt > this.now()) return { name: s.name, role: s.role, via: 'session' };
      this.sessions.delete(h);
    }
    return this.tokens.get(h);
  }
}

/**
 * The demo's accounts when there is no users file: one per role, named after it, each with a
 * fresh random password that the demo prints. Never used when NODE_ENV is production.
 */
export async function demoAccounts(): Promise<{ users: UserAccount[]; passwords: Record<string, string> }> {
  const passwords: Record<string, string> = {};
  const users: UserAccount[] = [];
  for (const role of ROLES) {
    passwords[role] = randomBytes(9).toString('base64url');
    users.push({ name: role, role, password: await hashPassword(passwords[role]), tokens: [] });
  }
  return { users, passwords };
}
