import { IntakeRejects } from './intake-rejects';
import { LiveCache } from './live-cache';

const notice = (i: number) =>
  JSON.stringify({ ts: i, service: 'intake', topic: 't', reason: 'schema', detail: `d${i}` });

describe('IntakeRejects: the bounded ring behind GET /api/intake/rejects', () => {
  it('keeps the newest `capacity`, newest first, and counts what is not a notice', () => {
    const r = new IntakeRejects(3);
    for (let i = 1; i <= 5; i++) r.onMessage(notice(i));
    r.onMessage('{');
    r.onMessage(
      JSON.stringify({ ts: 1, service: 'intake', topic: 'x'.repeat(1000), reason: 'r', detail: '' }),
    );
    r.onMessage(Buffer.alloc(10_000, 0x20));
    expect(r.latest(10).map((n) => n.ts)).toEqual([5, 4, 3]);
    expect(r.latest(2).map((n) => n.ts)).toEqual([5, 4]);
    expect(r.bad).toBe(3);
    expect(r.received).toBe(5);
  });
});

describe('LiveCache: health messages from the bus', () => {
  const ok = (service: string) =>
    Buffer.from(JSON.stringify({ service, state: 'running', ts: 1, connections: {}, counters: {} }));

  it('refuses malformed ones without losing the last good one, and bounds the number of services', () => {
    const c = new LiveCache();
    c.onMessage('cicenns/sc/health/intake', ok('intake'));
    for (const bad of ['null', '5', '{"state":"running"}', '{'])
      c.onMessage('cicenns/sc/health/intake', Buffer.from(bad));
    expect(c.services.get('intake')?.health.state).toBe('running');
    expect(c.badHealth).toBe(4);
    for (let i = 0; i < 200; i++) c.onMessage(`cicenns/sc/health/s${i}`, ok(`s${i}`));
    expect(c.services.size).toBe(64);
    c.onMessage('cicenns/sc/health/intake', Buffer.alloc(0)); // retained report cleared
    expect(c.services.has('intake')).toBe(false);
  });
});
