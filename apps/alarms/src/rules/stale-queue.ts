/**
 * Stale-data checks in the order they fall due, so that a tick looks only at the checks whose
 * deadline has passed (issue 13: four checks per PMT, 180,000 at 45,000 PMTs, were all judged
 * every second). A check falls due `limitMs` after the later of its last reading (`since`) and
 * the queue's floor (the engine's start, or the moment a silent source came back).
 *
 * One queue per measurement and limit, as an intrusive doubly linked list ordered by `since`: a
 * reading moves its check to the tail (O(1), no allocation), so the head is always the next
 * one due and a tick stops at the first check that is not. Arrival times only grow (a clock
 * stepped back only delays the checks queued behind a later one until that one is due).
 */
export interface Queued {
  /** arrival time of the last reading, or when the check was put back (-Infinity: never) */
  since: number;
  prev?: this;
  next?: this;
  queued: boolean;
}

export class StaleQueue<T extends Queued> {
  private head?: T;
  private tail?: T;
  /** no check of this queue falls due before floor + limitMs */
  floor = -Infinity;

  constructor(readonly limitMs: number) {}

  /** Put `x` last, as seen at `since` (a reading arrived, or it was looked at and put back). */
  touch(x: T, since: number): void {
    x.since = since;
    if (x.queued && x === this.tail) return;
    this.remove(x);
    x.prev = this.tail;
    if (this.tail) this.tail.next = x;
    else this.head = x;
    this.tail = x;
    x.queued = true;
  }

  remove(x: T): void {
    if (!x.queued) return;
    if (x.prev) x.prev.next = x.next;
    else this.head = x.next;
    if (x.next) x.next.prev = x.prev;
    else this.tail = x.prev;
    x.prev = x.next = undefined;
    x.queued = false;
  }

  /** Take out the checks whose deadline (the later of since and floor, plus the limit) is before now. */
  takeDue(now: number, floor = this.floor): T[] {
    const out: T[] = [];
    const from = Math.max(floor, this.floor);
    while (this.head && Math.max(this.head.since, from) + this.limitMs < now) {
      const x = this.head;
      this.remove(x);
      out.push(x);
    }
    return out;
  }
}
