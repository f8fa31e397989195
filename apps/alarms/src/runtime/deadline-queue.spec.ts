import { DeadlineQueue } from './deadline-queue';

describe('DeadlineQueue: which alarms a tick must look at', () => {
  it('gives the due alarms in time order; a rescheduled or cancelled one only at its current time', () => {
    const q = new DeadlineQueue();
    q.set('a', 300);
    q.set('b', 100);
    q.set('c', 200);
    q.set('b', 400); // rescheduled: its entry at 100 is stale
    q.set('c', undefined); // cancelled
    expect(q.size).toBe(2);
    expect(q.peek()).toBe(300);
    expect(q.takeDue(299)).toEqual([]);
    expect(q.takeDue(1000)).toEqual(['a', 'b']);
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
  });

  it('100,000 random deadlines come out sorted, and stale entries do not pile up', () => {
    const q = new DeadlineQueue();
    const at = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const id = `x${i % 20_000}`; // every alarm rescheduled five times
      const t = Math.floor(Math.random() * 1e6);
      q.set(id, t);
      at.set(id, t);
    }
    expect(q.size).toBe(20_000);
    const out = q.takeDue(1e6);
    expect(out).toHaveLength(20_000);
    const times = out.map((id) => at.get(id)!);
    expect(times.every((t, i) => i === 0 || times[i - 1] <= t)).toBe(true);
  });
});
