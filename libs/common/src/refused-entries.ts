/**
 * Entries refused one by one inside messages that are otherwise good (a bad reading in a batch of
 * 45,000: the rest is kept): how many, how many for each reason, and the latest with where it
 * was. Reasons come from outside, so they are cut to `maxChars` and at most `maxReasons` distinct
 * ones are kept; the rest count under "other".
 */
export class RefusedEntries {
  total = 0;
  readonly byReason = new Map<string, number>();
  last?: { topic: string; index: number; reason: string; at: number };

  constructor(
    private readonly maxReasons = 32,
    private readonly maxChars = 200,
  ) {}

  add(topic: string, index: number, why: string): void {
    this.total++;
    const reason = why.slice(0, this.maxChars);
    const key = this.byReason.has(reason) || this.byReason.size < this.maxReasons ? reason : 'other';
    this.byReason.set(key, (this.byReason.get(key) ?? 0) + 1);
    this.last = { topic: topic.slice(0, this.maxChars), index, reason, at: Date.now() };
  }

  /** The refused entries of one message (parseReadingBatch's `refused`). */
  addAll(topic: string, refused: readonly { index: number; reason: string }[]): void {
    for (const bad of refused) this.add(topic, bad.index, bad.reason);
  }
}
