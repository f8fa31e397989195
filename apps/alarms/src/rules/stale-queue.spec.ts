import { StaleQueue, type Queued } from './stale-queue';

interface Check extends Queued {
  id: string;
}
const check = (id: string): Check => ({ id, since: -Infinity, queued: false });
const ids = (xs: Check[]) => xs.map((x) => x.id);

describe('StaleQueue', () => {
  it('gives the checks whose last reading is older than the limit, oldest first, and only those', () => {
    const q = new StaleQueue<Check>(3000);
    const [a, b, c] = [check('a'), check('b'), check('c')];
    q.touch(a, 1000);
    q.touch(b, 2000);
    q.touch(c, 3000);
    expect(q.takeDue(4000)).toEqual([]); // a is 3 s old: not more than the limit
    expect(ids(q.takeDue(5500))).toEqual(['a', 'b']);
    expect(ids(q.takeDue(5500))).toEqual([]); // taken out: the caller decides where they go
    expect(ids(q.takeDue(10_000))).toEqual(['c']);
  });

  it('a reading moves its check to the tail: the head is always the next one due', () => {
    const q = new StaleQueue<Check>(3000);
    const [a, b, c] = [check('a'), check('b'), check('c')];
    for (const x of [a, b, c]) q.touch(x, 0);
    q.touch(a, 2000);
    q.touch(c, 2000); // the tail again: stays the tail
    expect(ids(q.takeDue(4000))).toEqual(['b']);
    q.remove(a);
    q.remove(a); // twice is harmless
    expect(ids(q.takeDue(6000))).toEqual(['c']);
  });

  it('counts from the floor (start, or a source back) when that is later than the last reading', () => {
    const q = new StaleQueue<Check>(3000);
    const [a, b] = [check('a'), check('b')];
    q.touch(a, -Infinity); // never seen
    q.touch(b, 9000);
    expect(ids(q.takeDue(5000, 1000))).toEqual(['a']); // started at 1 s: 4 s without a reading
    q.touch(a, 7000);
    q.floor = 8000; // the source came back at 8 s
    expect(ids(q.takeDue(11_000))).toEqual([]);
    expect(ids(q.takeDue(11_001))).toEqual([]); // out of order (a clock stepped back): a waits for b
    expect(ids(q.takeDue(12_001))).toEqual(['b', 'a']);
  });
});
