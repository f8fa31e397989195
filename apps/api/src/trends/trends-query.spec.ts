import { loadSystemConfig } from '@cicenns/model';
import { planTrend, trendPoints, trendsQuerySchema } from './trends-query';

const detector = loadSystemConfig(undefined, {}).detector;
const now = 1_800_000_000_000;
const plan = (q: Record<string, string>) => {
  const parsed = trendsQuerySchema.safeParse(q);
  return parsed.success ? planTrend(parsed.data, detector, now) : `invalid: ${parsed.error.issues[0].path}`;
};

describe('planTrend', () => {
  it('plans a mean per interval with at most `points` buckets, the subject from the detector', () => {
    const p = plan({
      measurement: 'hv',
      field: 'vmon',
      subject: 'CsI01-A',
      from: String(now - 3600_000),
      to: String(now),
      points: '61',
    });
    expect(p).toMatchObject({ unit: 'V', intervalMs: 60_000 });
    expect(typeof p !== 'string' && p.subjectWhere).toBe(`"pmt" = 'CsI01-A'`);
  });

  it('takes ISO times, defaults to the last hour, never goes below 1 s intervals', () => {
    const p = plan({
      measurement: 'temperature',
      field: 'value_c',
      subject: 'T-hall',
      from: new Date(now - 60_000).toISOString(),
      to: String(now),
    });
    expect(p).toMatchObject({ from: now - 60_000, intervalMs: 1000, unit: 'degC' });
    expect(plan({ measurement: 'coincidence', field: 'rate_hz', subject: 'CsI03' })).toMatchObject({
      from: now - 3600_000,
      to: now,
    });
  });

  it.each([
    [{ measurement: 'hv', field: 'vmon"', subject: 'CsI01-A' }, /^field: /],
    [{ measurement: 'hv', field: 'vmon', subject: "CsI01-A' OR '1'='1" }, /^subject: no pmt/],
    [{ measurement: 'temperature', field: 'value_c', subject: 'CsI01-A' }, /^subject: no sensor/],
    [{ measurement: 'coincidence', field: 'rate_hz', subject: 'CsI01-A' }, /^subject: no crystal/],
    [{ measurement: 'hv', field: 'vmon', subject: 'CsI01-A', from: '5', to: '5' }, /^from: must be before/],
    [{ measurement: 'hv', field: 'vmon', subject: 'CsI01-A', from: '0' }, /400 days/],
    [{ measurement: 'hv;DROP', field: 'vmon', subject: 'CsI01-A' }, /^invalid: measurement/],
    [{ measurement: 'hv', field: 'vmon', subject: 'CsI01-A', from: 'now()-1h' }, /^invalid: from/],
  ])('refuses %j', (q, why) => {
    expect(plan(q)).toMatch(why);
  });
});

describe('trendPoints', () => {
  it('reads the series, null for empty buckets; an InfluxDB error is thrown', () => {
    expect(
      trendPoints({
        results: [
          {
            series: [
              {
                values: [
                  [1, 2.5],
                  [2, null],
                ],
              },
            ],
          },
        ],
      }),
    ).toEqual([
      [1, 2.5],
      [2, null],
    ]);
    expect(trendPoints({ results: [{}] })).toEqual([]);
    expect(() => trendPoints({ results: [{ error: 'database not found' }] })).toThrow('database not found');
  });
});
