import { DeadLetterStore } from './dead-letters';

describe('DeadLetterStore', () => {
  it('keeps the newest maxRows, with payloads cut to payloadBytes and their real size noted', () => {
    const s = new DeadLetterStore(':memory:', { maxRows: 3, payloadBytes: 8, perSecond: 1000 });
    for (let i = 1; i <= 5; i++) s.add(`t/${i}`, Buffer.alloc(100, 0x41), 'internal_error', `d${i}`, 1000);
    const rows = s.latest(10);
    expect(rows.map((r) => r.topic)).toEqual(['t/5', 't/4', 't/3']);
    expect(rows[0]).toMatchObject({ payloadBytes: 100, detail: 'd5', at: 1000 });
    expect(rows[0].payload.length).toBe(8);
    expect(s.written).toBe(5);
    s.close();
  });

  it('writes at most perSecond rows a second and counts the rest', () => {
    const s = new DeadLetterStore(':memory:', { maxRows: 100, payloadBytes: 8, perSecond: 2 });
    const ids = [0, 1, 2, 3].map(() => s.add('t', 'x', 'r', 'd', 5000));
    expect(ids).toEqual([1, 2, undefined, undefined]);
    expect(s.add('t', 'x', 'r', 'd', 6000)).toBe(3);
    expect(s.skipped).toBe(2);
    s.close();
  });

  it('cuts a huge topic and detail', () => {
    const s = new DeadLetterStore(':memory:', { maxRows: 10, payloadBytes: 8 });
    s.add('t'.repeat(100_000), 'x', 'r', 'd'.repeat(100_000));
    const [r] = s.latest(1);
    expect(r.topic.length).toBe(1024);
    expect(r.detail.length).toBe(2000);
    s.close();
  });
});
