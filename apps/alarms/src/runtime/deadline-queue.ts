/**
 * When each alarm next needs the clock (a delay running out, a shelf expiring): a binary min-heap
 * of (time, alarm id), so a tick touches only the alarms that are due, not all 700,000 records
 * of a 45,000-PMT detector every second. A re-scheduled or cancelled alarm leaves its old entry
 * in the heap; it is recognised as stale (its time is no longer the alarm's) and dropped when it
 * surfaces, which keeps every operation O(log n) without a position index.
 */
export class DeadlineQueue {
  private readonly times: number[] = [];
  private readonly ids: string[] = [];
  private readonly current = new Map<string, number>();

  /** The alarm's next deadline from now on (undefined: none). */
  set(id: string, at: number | undefined): void {
    if (at === undefined) {
      this.current.delete(id);
      return;
    }
    if (this.current.get(id) === at) return;
    this.current.set(id, at);
    this.push(at, id);
    // stale entries must not outgrow the live ones for ever (an alarm re-scheduled on every reading)
    if (this.times.length > 2 * this.current.size + 1024) this.rebuild();
  }

  /** The earliest live deadline, if any. */
  peek(): number | undefined {
    this.dropStale();
    return this.times[0];
  }

  /** Remove and return the alarms due at or before `now`. */
  takeDue(now: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropStale();
      if (this.times.length === 0 || this.times[0] > now) return out;
      const id = this.ids[0];
      this.current.delete(id);
      this.pop();
      out.push(id);
    }
  }

  /** alarms with a pending deadline */
  get size(): number {
    return this.current.size;
  }

  private dropStale(): void {
    while (this.times.length > 0 && this.current.get(this.ids[0]) !== this.times[0]) this.pop();
  }

  private rebuild(): void {
    this.times.length = this.ids.length = 0;
    for (const [id, at] of this.current) this.push(at, id);
  }

  private push(at: number, id: string): void {
    const t = this.times;
    const ids = this.ids;
    let i = t.length;
    t.push(at);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent] <= at) break;
      t[i] = t[parent];
      ids[i] = ids[parent];
      i = parent;
    }
    t[i] = at;
    ids[i] = id;
  }

  private pop(): void {
    const t = this.times;
    const ids = this.ids;
    const lastT = t.pop()!;
    const lastId = ids.pop()!;
    const n = t.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && t[r] < t[l] ? r : l;
      if (t[c] >= lastT) break;
      t[i] = t[c];
      ids[i] = ids[c];
      i = c;
    }
    t[i] = lastT;
    ids[i] = lastId;
  }
}
