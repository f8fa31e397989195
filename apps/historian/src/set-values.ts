import type { Reading } from '@cicenns/contracts';
import { hvSetValueFields, type SystemConfig } from '@cicenns/model';

type Value = Reading['fields'][string];

/** What a reading stores: the reading with the unchanged set values left out, and an edge point. */
export interface Stored {
  reading: Reading;
  /**
   * the old values of the set values that changed, at the channel's previous good reading (a
   * point already stored: InfluxDB merges the fields into it), so that the stored series holds
   * the old value up to the change and a minute's min/max in the aggregates see both
   */
  edge?: { ts: number; fields: Reading['fields'] };
}

interface Channel {
  /** the set values as stored (or held) */
  values: Map<string, Value>;
  /** ts of the last reading that stored every set value */
  keyframeTs: number;
  /** ts of the last good reading */
  lastTs: number;
}

/**
 * The set values of an HV reading (hvSetValueFields: the profiles' rw registers) change only on a command, yet were stored
 * every second: most of InfluxDB's work at scale. They are stored when they change and at least
 * every influx.setValuesKeyframeMs per channel (the measured values every reading), docs/DATA.md.
 * The state is per channel, at most one per PMT of the detector (a channel beyond is stored
 * whole), and starts empty: the first reading after a start stores every field. A reading older
 * than its channel's last (out of order) is stored whole and changes nothing. A reading is
 * judged against the state only when it says (prevTs) that the reading before it is the one the
 * state was last updated by: with several historians each sees only some of a channel's
 * readings, and a value changed and changed back between two of ours would otherwise be lost.
 */
export class SetValueFilter {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly setFields: ReadonlySet<string>,
    private readonly keyframeMs: number,
    private readonly maxChannels: number,
  ) {}

  /** For the configuration: the rw registers of its HV profiles, one channel per PMT; off when keyframeMs is 0. */
  static fromConfig(cfg: SystemConfig): SetValueFilter | undefined {
    const ms = cfg.app.influx.setValuesKeyframeMs;
    if (ms === 0) return undefined;
    return new SetValueFilter(hvSetValueFields(cfg.profiles.values()), ms, cfg.detector.pmts.length);
  }

  apply(r: Reading): Stored {
    if (r.m !== 'hv' || r.quality !== 'good') return { reading: r };
    const ch = this.channels.get(r.id);
    if (!ch) {
      if (this.channels.size < this.maxChannels) this.channels.set(r.id, this.firstOf(r));
      return { reading: r };
    }
    if (r.ts <= ch.lastTs) return { reading: r };
    if (r.prevTs !== ch.lastTs) {
      // the channel's reading before this one went elsewhere (another historian of a shared
      // subscription), or the publisher restarted or does not say: what we hold may be stale
      this.channels.set(r.id, this.firstOf(r));
      return { reading: r };
    }
    const keyframe = r.ts - ch.keyframeTs >= this.keyframeMs;
    let fields: Reading['fields'] | undefined;
    let edge: Reading['fields'] | undefined;
    for (const k in r.fields) {
      const v = r.fields[k]!;
      if (!this.setFields.has(k)) {
        if (!keyframe) (fields ??= {})[k] = v;
        continue;
      }
      const was = ch.values.get(k);
      if (was !== v) {
        if (was !== undefined) (edge ??= {})[k] = was;
        ch.values.set(k, v);
        if (!keyframe) (fields ??= {})[k] = v;
      }
    }
    const stored: Stored = { reading: keyframe ? r : { ...r, fields: fields ?? {} } };
    if (edge) stored.edge = { ts: ch.lastTs, fields: edge };
    if (keyframe) ch.keyframeTs = r.ts;
    ch.lastTs = r.ts;
    return stored;
  }

  private firstOf(r: Reading): Channel {
    const values = new Map<string, Value>();
    for (const k in r.fields) if (this.setFields.has(k)) values.set(k, r.fields[k]!);
    return { values, keyframeTs: r.ts, lastTs: r.ts };
  }
}
