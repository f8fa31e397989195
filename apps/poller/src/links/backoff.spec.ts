import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs and starts over after reset', () => {
    const b = new Backoff(200, 1500, () => 0);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([200, 400, 800, 1500, 1500]);
    b.reset();
    expect(b.next()).toBe(200);
  });

  it('adds at most 10 % jitter and never exceeds maxMs', () => {
    const b = new Backoff(1000, 1500, () => 0.999);
    expect(b.next()).toBe(1100);
    expect(b.next()).toBe(1500);
  });
});
