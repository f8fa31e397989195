import { extraRegisters, hvProfileOf, type SystemConfig } from '@cicenns/model';
import { RecentHistory, type FieldFilter } from './recent-history';
import { trendFields, trendSubject } from './trends-query';

/** The recent history of api.recentHistory, keeping only what the trends API can plot. */
export function recentHistoryFor(cfg: SystemConfig): RecentHistory {
  const { windowMinutes, bucketSeconds, maxSeries } = cfg.app.api.recentHistory;
  // The fields per measurement, and for HV per crate (a crate's profile names its extra
  // registers), looked up once: readings come every second. Keyed by subject, as it was, the
  // cache held 4 x maxSeries subjects and a 45,000-PMT detector recomputed the fields for every
  // reading beyond them: half the API's CPU at 45,000 HV readings a second.
  const known = new Map<string, ReadonlySet<string>>();
  const fieldsOf = (m: string, subject: string): FieldFilter | undefined => {
    // subjects not in the detector are not kept: an invented one cannot take a real one's room
    if (!trendSubject(m, subject, cfg.detector)) return undefined;
    const key = m === 'hv' ? `hv\0${cfg.detector.pmt(subject)!.hv.device}` : m;
    let fields = known.get(key);
    if (!fields) {
      fields = new Set(Object.keys(trendFields(m, subject, (id) => extraRegisters(hvProfileOf(cfg, id)))));
      known.set(key, fields); // bounded: measurements + HV devices
    }
    return fields.size ? fields : undefined;
  };
  return new RecentHistory(
    { windowMs: windowMinutes * 60_000, bucketMs: bucketSeconds * 1000, maxSeries },
    fieldsOf,
  );
}
