import { EventTickets } from './event-tickets';

describe('EventTickets', () => {
  it('a ticket works once, within its lifetime, and holds the token it was issued for', () => {
    let now = 0;
    const t = new EventTickets(30_000, 10, () => now);
    const a = t.issue('session-token');
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t.redeem(a.ticket)).toBe('session-token');
    expect(t.redeem(a.ticket)).toBeUndefined(); // used
    const b = t.issue('session-token');
    now += 30_000;
    expect(t.redeem(b.ticket)).toBeUndefined(); // expired
    expect(t.redeem('forged')).toBeUndefined();
  });

  it('holds at most max unused tickets (429), and forgets expired ones', () => {
    let now = 0;
    const t = new EventTickets(30_000, 3, () => now);
    for (let i = 0; i < 3; i++) t.issue('x');
    expect(() => t.issue('x')).toThrow(/too many unused event tickets \(3\); try again in 30 s/);
    now += 30_000;
    expect(() => t.issue('x')).not.toThrow();
    expect(t.size).toBe(1);
  });
});
