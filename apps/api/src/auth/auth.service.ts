import { randomBytes } from 'node:crypto';
import { DUMMY_HASH, hashPassword, hashToken, newToken, verifyPassword } from './passwords';
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

/** Failed logins per user and client address before logins from there are refused for a while. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;

/**
 * Accounts (from the users file), login sessions (in memory: a restart logs everyone out) and
 * API tokens. Session tokens are random 256-bit strings; only their hash is kept.
 */
export class AuthService {
  private users = new Map<string, UserAccount>();
  private readonly tokens = new Map<string, Principal>();
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    users: UserAccount[],
    private readonly sessionTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.setUsers(users);
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

  /** Resolves with the session, or with a refusal reason. */
  async login(username: string, password: string, origin: string): Promise<LoginResult | string> {
    const key = `${username}@${origin}`;
    const f = this.failures.get(key);
    const now = this.now();
    if (f && now - f.since < FAILURE_WINDOW_MS && f.count >= MAX_FAILURES)
      return `too many failed logins for "${username}" from ${origin}; wait a few minutes`;
    const user = this.users.get(username);
    // verify against a dummy hash when there is no such user: the answer takes as long
    const ok = await verifyPassword(password, user?.password ?? DUMMY_HASH);
    if (!user || !user.password || !ok) {
      const fresh = !f || now - f.since >= FAILURE_WINDOW_MS;
      this.failures.set(key, { count: fresh ? 1 : f.count + 1, since: fresh ? now : f.since });
      return 'wrong user name or password';
    }
    this.failures.delete(key);
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
