import { extraRegisters, hvProfileOf, type SystemConfig } from '@cicenns/model';
import { RecentHistory } from './recent-history';
import { trendFields, trendSubject } from './trends-query';

/** The recent history of api.recentHistory, keeping only what the trends API can plot. */
export function recentHistoryFor(cfg: SystemConfig): RecentHistory {
  const { windowMinutes, bucketSeconds, maxSeries } = cfg.app.api.recentHistory;
  // the fields per (measurement, subject), looked up once: readings come every second
  const known = new Map<string, Record<string, string>>();
  const accepts = (m: string, subject: string, field: string) => {
    const key = `${m}\0${subject}`;
    let fields = known.get(key);
    if (!fields) {
      // subjects not in the detector are not kept: an invented one cannot take a real one's room
      fields = trendSubject(m, subject, cfg.detector)
        ? trendFields(m, subject, (id) => extraRegisters(hvProfileOf(cfg, id)))
        : {};
      if (known.size < 4 * maxSeries) known.set(key, fields);
    }
    return Object.hasOwn(fields, field);
  };
  return new RecentHistory(
    { windowMs: windowMinutes * 60_000, bucketMs: bucketSeconds * 1000, maxSeries },
    accepts,
  );
}
