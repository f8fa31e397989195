import { HttpException, HttpStatus } from '@nestjs/common';
import { hashToken, newToken } from '@cicenns/common';

/**
 * Short-lived single-use tickets for `GET /api/events?ticket=`: EventSource cannot send an
 * Authorization header, and a long-lived API token in a URL ends up in access logs and browser
 * history. A ticket is worth nothing once used or after `ttlMs`. In memory (only its hash),
 * at most `max` outstanding.
 */
export class EventTickets {
  private readonly tickets = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    readonly ttlMs = 30_000,
    private readonly max = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A ticket for the holder of `token` (a session or API token): the stream runs on that. */
  issue(token: string): { ticket: string; expiresAt: string } {
    const now = this.now();
    for (const [k, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(k);
    if (this.tickets.size >= this.max)
      throw new HttpException(
        `too many unused event tickets (${this.max}); try again in ${Math.ceil(this.ttlMs / 1000)} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    const ticket = newToken();
    const expiresAt = now + this.ttlMs;
    this.tickets.set(hashToken(ticket), { token, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The token behind a valid ticket, which is used up by this; undefined if unknown or expired. */
  redeem(ticket: string): string | undefined {
    const key = hashToken(ticket);
    const t = this.tickets.get(key);
    if (!t) return undefined;
    this.tickets.delete(key);
    return t.expiresAt > this.now() ? t.token : undefined;
  }

  get size(): number {
    return this.tickets.size;
  }
}
