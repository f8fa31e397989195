import { RefusedEntries } from './refused-entries';

describe('RefusedEntries', () => {
  it('counts each refusal by reason and keeps the latest with where it was', () => {
    const r = new RefusedEntries();
    r.addAll('cicenns/sc/readings/poller', [
      { index: 3, reason: 'ts: Too small' },
      { index: 9, reason: 'ts: Too small' },
    ]);
    r.add('cicenns/sc/readings/intake', 1, 'fields.rate_hz: Invalid input');
    expect(r.total).toBe(3);
    expect(Object.fromEntries(r.byReason)).toEqual({
      'ts: Too small': 2,
      'fields.rate_hz: Invalid input': 1,
    });
    expect(r.last).toMatchObject({ topic: 'cicenns/sc/readings/intake', index: 1 });
  });

  it('bounds what comes from outside: reasons cut, distinct reasons capped, the rest as "other"', () => {
    const r = new RefusedEntries(2, 10);
    for (let i = 0; i < 5; i++) r.add('t'.repeat(50), i, `r${i}: a reason longer than ten`);
    expect(r.byReason.size).toBe(3);
    expect(r.byReason.get('other')).toBe(3);
    expect([...r.byReason.keys()].every((k) => k.length <= 10)).toBe(true);
    expect(r.last!.topic.length).toBe(10);
  });
});
