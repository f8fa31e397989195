/**
 * Values computed once per key and kept, for keys that repeat (topics, channel ids). When keys
 * come from outside, a publisher inventing new ones must not grow it without end: at `max`
 * entries it starts again empty.
 */
export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(
    private readonly max: number,
    private readonly compute: (key: K) => V,
  ) {}

  get(key: K): V {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.max) this.values.clear();
      value = this.compute(key);
      this.values.set(key, value);
    }
    return value;
  }
}
