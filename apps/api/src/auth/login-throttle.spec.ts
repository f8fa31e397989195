import fc from 'fast-check';
import { Backoff, LoginThrottle } from './login-throttle';

const settings = {
  freeFailuresPerAccount: 3,
  freeFailuresPerSource: 10,
  firstDelaySeconds: 1,
  maxDelaySeconds: 60,
  forgetAfterMinutes: 15,
  maxTrackedKeys: 100,
};

/** Fail as soon as allowed, n times; returns the waits asked for. */
function hammer(
  t: LoginThrottle,
  user: (i: number) => string,
  source: string,
  n: number,
  clock: { now: number },
) {
  const waits: number[] = [];
  for (let i = 0; i < n; i++) {
    let r = t.begin(user(i), source, clock.now);
    if (r) {
      waits.push(r.retryAfterS);
      clock.now += r.retryAfterS * 1000;
      r = t.begin(user(i), source, clock.now);
    }
    expect(r).toBeUndefined();
  }
  return waits;
}

describe('LoginThrottle', () => {
  it('per account: the back-off doubles after the free failures, up to the maximum, never a lock-out', () => {
    const t = new LoginThrottle(settings);
    const clock = { now: 0 };
    const waits = hammer(t, () => 'shift', '10.0.0.1', 12, clock);
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('per source: one password over many accounts from one address is slowed after 10', () => {
    const t = new LoginThrottle(settings);
    const clock = { now: 0 };
    const waits = hammer(t, (i) => `user${i}`, '10.6.6.6', 14, clock);
    expect(waits).toEqual([1, 2, 4, 8]);
    // another machine is not slowed by that
    expect(t.begin('user99', '10.0.0.2', clock.now)).toBeUndefined();
    const r = t.begin('user100', '10.6.6.6', clock.now);
    expect(r?.reason).toBe('too many failed logins from 10.6.6.6: try again in 16 s');
  });

  it('forgets failures after forgetAfterMinutes', () => {
    const t = new LoginThrottle(settings);
    for (let i = 0; i < 3; i++) t.begin('ann', 'pc', 0);
    expect(t.begin('ann', 'pc', 0)).toBeDefined();
    expect(t.begin('ann', 'pc', 15 * 60_000)).toBeUndefined();
  });

  it('a burst of parallel attempts cannot all pass: each is counted before its password is checked', () => {
    const t = new LoginThrottle(settings);
    const passed = Array.from({ length: 50 }, () => t.begin('ann', 'pc', 0)).filter((r) => !r).length;
    expect(passed).toBe(3);
  });

  it('a success clears the account and takes back only its own count from the source', () => {
    const t = new LoginThrottle(settings);
    for (let i = 0; i < 9; i++) t.begin(`u${i}`, 'pc', 0);
    t.begin('ann', 'pc', 0);
    t.succeeded('ann', 'pc');
    expect(t.begin('zed', 'pc', 0)).toBeUndefined(); // the 10th failure of pc
    expect(t.begin('zed2', 'pc', 0)).toBeDefined();
  });

  it('memory stays bounded whatever the names: at most maxTrackedKeys accounts and sources', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 64 }), fc.ipV4()), { maxLength: 400 }),
        (tries) => {
          const t = new LoginThrottle(settings);
          let now = 0;
          for (const [u, ip] of tries) {
            t.begin(u, ip, (now += 10));
          }
          expect(t.tracked.accounts).toBeLessThanOrEqual(100);
          expect(t.tracked.sources).toBeLessThanOrEqual(100);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Backoff evicts the least recently failed key first', () => {
    const b = new Backoff(1, 1000, 60_000, 3600_000, 2);
    b.fail('a', 0);
    b.fail('b', 0);
    b.fail('a', 1);
    b.fail('c', 2); // evicts b
    expect(b.waitMs('b', 2)).toBe(0);
    expect(b.waitMs('a', 2)).toBeGreaterThan(0);
  });
});
