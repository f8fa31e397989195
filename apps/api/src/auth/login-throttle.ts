/**
 * Login throttling as OWASP and NIST SP 800-63B advise: no lock-out that a colleague (or an
 * attacker) can trigger for hours, but a short back-off that doubles with each failure, tracked
 *  - per account, from anywhere: an online guess of one account's password is slowed to one try
 *    per maxDelay, whichever machines it comes from;
 *  - per client address, across accounts: one password tried over many user names (spraying)
 *    from one machine is slowed the same way.
 * The shared control-room PC is not locked out by a few typing errors: the account waits a
 * second or two, then a minute at most. Memory is bounded: at most maxTrackedKeys accounts and
 * addresses each (user names need not exist, so they are attacker-chosen); the least recently
 * failed are forgotten first.
 */
export interface ThrottleSettings {
  freeFailuresPerAccount: number;
  freeFailuresPerSource: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  forgetAfterMinutes: number;
  maxTrackedKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  freeFailuresPerAccount: 3,
  freeFailuresPerSource: 10,
  firstDelaySeconds: 1,
  maxDelaySeconds: 60,
  forgetAfterMinutes: 15,
  maxTrackedKeys: 10_000,
};

interface Failures {
  count: number;
  last: number;
}

/** Failures per key with an exponential back-off after `free` of them (an LRU of bounded size). */
export class Backoff {
  private readonly entries = new Map<string, Failures>();

  constructor(
    private readonly free: number,
    private readonly firstMs: number,
    private readonly maxMs: number,
    private readonly forgetMs: number,
    private readonly cap: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** How long the next attempt for `key` must wait (0: now). */
  waitMs(key: string, now: number): number {
    const f = this.live(key, now);
    if (!f || f.count < this.free) return 0;
    const delay = Math.min(this.firstMs * 2 ** Math.min(f.count - this.free, 30), this.maxMs);
    return Math.max(0, f.last + delay - now);
  }

  fail(key: string, now: number): void {
    const f = this.live(key, now);
    this.entries.delete(key); // re-inserted last: the map's order is the eviction order
    this.entries.set(key, { count: (f?.count ?? 0) + 1, last: now });
    while (this.entries.size > this.cap) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Take back one failure (an attempt counted in advance that succeeded). */
  undo(key: string): void {
    const f = this.entries.get(key);
    if (!f) return;
    if (f.count <= 1) this.entries.delete(key);
    else f.count--;
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  private live(key: string, now: number): Failures | undefined {
    const f = this.entries.get(key);
    if (f && now - f.last >= this.forgetMs) {
      this.entries.delete(key);
      return undefined;
    }
    return f;
  }
}

/** A refused attempt: why, and when to try again. */
export interface Throttled {
  reason: string;
  retryAfterS: number;
}

export class LoginThrottle {
  private readonly accounts: Backoff;
  private readonly sources: Backoff;

  constructor(s: ThrottleSettings = DEFAULT_THROTTLE) {
    const [first, max, forget] = [
      s.firstDelaySeconds * 1000,
      s.maxDelaySeconds * 1000,
      s.forgetAfterMinutes * 60_000,
    ];
    this.accounts = new Backoff(s.freeFailuresPerAccount, first, max, forget, s.maxTrackedKeys);
    this.sources = new Backoff(s.freeFailuresPerSource, first, max, forget, s.maxTrackedKeys);
  }

  get tracked(): { accounts: number; sources: number } {
    return { accounts: this.accounts.size, sources: this.sources.size };
  }

  /**
   * Before checking a password: a refusal, or undefined and the attempt is counted as a failure
   * in advance (so a burst of parallel attempts cannot all pass before the first one failed);
   * `succeeded` takes it back.
   */
  begin(user: string, source: string, now: number): Throttled | undefined {
    const account = this.accounts.waitMs(user, now);
    const from = this.sources.waitMs(source, now);
    if (account || from) {
      const wait = Math.max(account, from);
      const retryAfterS = Math.ceil(wait / 1000);
      return {
        reason:
          account >= from
            ? `too many failed logins for "${user}": try again in ${retryAfterS} s`
            : `too many failed logins from ${source}: try again in ${retryAfterS} s`,
        retryAfterS,
      };
    }
    this.accounts.fail(user, now);
    this.sources.fail(source, now);
    return undefined;
  }

  /** The password was right: the account starts afresh; the address keeps its other failures. */
  succeeded(user: string, source: string): void {
    this.accounts.clear(user);
    this.sources.undo(source);
  }
}
