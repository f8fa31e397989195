/**
 * Retention tiers on a real InfluxDB 1.6 that runs continuous queries (its own server here: the
 * shared one runs none). The real historian creates the policies and the continuous query,
 * readings published as the poller does land in raw, the continuous query writes the aggregates,
 * and the real API stitches a trend from both without a gap. The aggregate interval is 10 s
 * (RESAMPLE EVERY 1s) so the test takes seconds, not minutes; the shipped one is 1 m.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { loadSystemConfig } from '@cicenns/model';
import { setUpRetention } from '../apps/historian/src/retention-setup';
import { startApiHarness, SCRIPT_TOKEN, type ApiHarness } from './support/api-harness';
import { testClient } from './support/mqtt';
import { freePort } from './support/processes';
import { readServerState, startInflux, stopPid, waitFor } from './support/servers';

jest.setTimeout(120_000);

const servers = readServerState();
const db = `tiers_${process.pid}`;
const TIERS = {
  raw: { name: 'cicenns_raw', duration: '30d' },
  aggregate: { name: 'cicenns_10s', duration: '3650d', interval: '10s', resampleEvery: '1s' },
  rawMaxSpan: '20s',
};
type Row = Record<string, number | string | null>;

describe('retention tiers on InfluxDB 1.6 with continuous queries', () => {
  let influxUrl: string;
  let influxPid: number;
  let h: ApiHarness;
  let pub: MqttClient;
  let publishing: NodeJS.Timeout;
  /** vset goes from 1500 to 1600 here, mid-way through a 10 s bucket; stored on change, a keyframe every 15 s */
  const changeAt = Math.ceil((Date.now() + 35_000) / 10_000) * 10_000 + 5000;
  const KEYFRAME_MS = 15_000;

  const influxql = async (q: string): Promise<Row[]> => {
    const res = await fetch(`${influxUrl}/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`);
    const body = (await res.json()) as {
      results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[];
    };
    if (body.results[0].error) throw new Error(body.results[0].error);
    return (body.results[0].series ?? []).flatMap((s) =>
      s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) as Row),
    );
  };

  /**
   * The time of the first reading stored in raw, waited for: the buckets the tests compare start
   * at the next whole interval. Not the time of the first publish: the historian sets up the
   * policies and the continuous query at its first write, which can be its own health point
   * before any reading is published (so "the continuous query exists" does not mean "readings
   * flow"), and readings published before it subscribed are not stored.
   */
  let firstStored = 0;
  const firstReading = async (): Promise<number> => {
    if (!firstStored)
      await waitFor(
        'the first reading in raw',
        async () => {
          const [row] = await influxql(
            `SELECT vmon FROM "${db}"."cicenns_raw"."hv" ORDER BY time ASC LIMIT 1`,
          );
          firstStored = Number(row?.time ?? 0);
          return firstStored > 0;
        },
        30_000,
      );
    return firstStored;
  };

  beforeAll(async () => {
    const port = await freePort();
    influxUrl = `http://127.0.0.1:${port}`;
    influxPid = await startInflux(mkdtempSync(join(tmpdir(), 'influx-cq-')), port, {
      continuousQueries: true,
    });
    await waitFor('influxd /ping', async () => (await fetch(`${influxUrl}/ping`)).status === 204);
    h = await startApiHarness({
      mqttUrl: servers.mqttUrl,
      influxUrl,
      database: db,
      services: ['historian', 'api'],
      tag: 'tiers',
      mutate: (cfg) => {
        cfg.influx.tiers = TIERS;
        cfg.influx.setValuesKeyframeMs = KEYFRAME_MS;
      },
    });
    pub = await testClient(servers.mqttUrl);
    // one PMT's HV readings, 4 a second, with a value that moves within each 10 s bucket
    let seq = 0;
    let prevTs: number | undefined; // as the poller says it (set values stored on change)
    const publish = () => {
      const ts = Date.now();
      const batch = {
        service: 'test',
        seq: seq++,
        readings: [
          {
            m: 'hv',
            id: 'CsI01-A',
            ts,
            quality: 'good',
            source: 'poller',
            ...(prevTs === undefined ? {} : { prevTs }),
            fields: {
              vmon: 1000 + (ts % 10_000) / 100,
              imon: 1.5,
              status: 3,
              vset: ts < changeAt ? 1500 : 1600,
            },
          },
        ],
      };
      prevTs = ts;
      void pub.publishAsync('cicenns/sc/readings/test', JSON.stringify(batch), { qos: 1 });
    };
    publishing = setInterval(publish, 250);
  });

  afterAll(async () => {
    clearInterval(publishing);
    await pub?.endAsync();
    await h?.stop();
    if (influxPid) stopPid(influxPid);
  });

  it('the historian creates both policies (raw the default) and the continuous query', async () => {
    await waitFor(
      'the continuous query',
      async () => (await influxql('SHOW CONTINUOUS QUERIES')).length > 0,
      30_000,
    );
    const policies = await influxql(`SHOW RETENTION POLICIES ON "${db}"`);
    expect(policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'cicenns_raw', duration: '720h0m0s', default: true }),
        expect.objectContaining({ name: 'cicenns_10s', duration: '87600h0m0s', default: false }),
      ]),
    );
    const cqs = (await influxql('SHOW CONTINUOUS QUERIES')).filter((r) => r.name === 'cicenns_aggregate');
    expect(cqs).toHaveLength(1);
    expect(cqs[0].query).toMatch(
      /RESAMPLE EVERY 1s FOR 20s BEGIN SELECT mean\(\*\), min\(\*\), max\(\*\), count\(\*\)/,
    );
  });

  it('readings land in raw, and the continuous query writes mean, min, max, count per interval with the tags', async () => {
    // three whole buckets after the first reading, the last of them surely aggregated
    const whole = Math.ceil((await firstReading()) / 10_000) * 10_000;
    await waitFor(
      'three aggregated buckets',
      async () => {
        const rows = await influxql(
          `SELECT count_vmon FROM "${db}"."cicenns_10s"."hv" WHERE time >= ${whole}ms`,
        );
        return rows.length >= 4 && Date.now() > whole + 40_000;
      },
      90_000,
    );
    const until = whole + 30_000;
    const agg = await influxql(
      `SELECT * FROM "${db}"."cicenns_10s"."hv" WHERE time >= ${whole}ms AND time < ${until}ms`,
    );
    const raw = await influxql(
      `SELECT mean(vmon), min(vmon), max(vmon), count(vmon) FROM "${db}"."cicenns_raw"."hv" ` +
        `WHERE time >= ${whole}ms AND time < ${until}ms GROUP BY time(10s)`,
    );
    expect(agg).toHaveLength(3);
    expect(raw).toHaveLength(3);
    agg.forEach((a, i) => {
      expect(a).toMatchObject({ pmt: 'CsI01-A', group: 'crystal', parent: 'CsI01', time: raw[i].time });
      expect(a.count_vmon).toBe(raw[i].count);
      expect(a.count_vmon).toBeGreaterThanOrEqual(38); // 4 a second
      expect(a.mean_vmon).toBeCloseTo(raw[i].mean as number, 9);
      expect(a.min_vmon).toBe(raw[i].min);
      expect(a.max_vmon).toBe(raw[i].max);
      expect(a.mean_imon).toBeCloseTo(1.5, 9);
      expect(a.mean_status).toBe(3);
    });
  });

  it('a trend longer than rawMaxSpan reads aggregates, then raw, stitched without a gap', async () => {
    const to = Date.now() - 2000; // readings up to here are surely written
    const from = Math.ceil((await firstReading()) / 10_000) * 10_000;
    const points = Math.ceil((to - from) / 10_000) + 1; // 10 s intervals
    const res = await fetch(
      `${h.apiUrl}/api/trends?measurement=hv&field=vmon&subject=CsI01-A&from=${from}&to=${to}&points=${points}`,
      { headers: { Authorization: `Bearer ${SCRIPT_TOKEN}` } },
    );
    const body = (await res.json()) as {
      intervalMs: number;
      tiers: { tier: string; policy: string; from: number; to: number }[];
      points: [number, number | null][];
    };
    expect(res.status).toBe(200);
    expect(body.intervalMs).toBe(10_000);
    expect(body.tiers.map((t) => [t.tier, t.policy])).toEqual([
      ['aggregate', 'cicenns_10s'],
      ['raw', 'cicenns_raw'],
    ]);
    const [agg, raw] = body.tiers;
    expect(agg).toMatchObject({ from, to: raw.from });
    expect(raw.to).toBe(to);
    expect(raw.from).toBeGreaterThan(from + 20_000); // the aggregates really answer a part

    // every 10 s bucket from `from` to `to` once, each with a value: no gap at the seam
    const times = body.points.map(([t]) => t);
    expect(times).toEqual(Array.from({ length: times.length }, (_, i) => from + i * 10_000));
    expect(times.at(-1)).toBeGreaterThan(to - 10_000);
    expect(body.points.filter(([, v]) => typeof v !== 'number')).toEqual([]);
    // and the aggregate part equals what raw readings give for the same buckets
    const rawMeans = await influxql(
      `SELECT mean(vmon) FROM "${db}"."cicenns_raw"."hv" WHERE time >= ${from}ms AND time < ${raw.from}ms GROUP BY time(10s)`,
    );
    const aggPart = body.points.filter(([t]) => t < raw.from);
    expect(aggPart.length).toBe(rawMeans.length);
    aggPart.forEach(([, v], i) => expect(v).toBeCloseTo(rawMeans[i].mean as number, 9));
  });

  it('the set value is stored on change and every keyframe; the aggregates and the API trend hold it in between', async () => {
    const from = Math.ceil((await firstReading()) / 10_000) * 10_000;
    await waitFor(
      'the change aggregated, a keyframe after it',
      async () => Date.now() > changeAt + 25_000,
      90_000,
    );
    const to = Date.now() - 2000;
    // raw: vmon every reading, vset a few times: the first reading, keyframes, the change
    const [counts] = await influxql(
      `SELECT count(vset), count(vmon) FROM "${db}"."cicenns_raw"."hv" WHERE time >= ${from}ms AND time < ${to}ms`,
    );
    expect(counts.count_1).toBeGreaterThan(100);
    expect(counts.count).toBeLessThanOrEqual(Math.ceil((to - from) / KEYFRAME_MS) + 3);
    expect(counts.count).toBeGreaterThan(0);
    // the change: the old value held up to the reading before it (an edge point), then the new
    const around = await influxql(
      `SELECT vset, vmon FROM "${db}"."cicenns_raw"."hv" WHERE time >= ${changeAt - 2000}ms AND time < ${changeAt + 2000}ms AND vset > 0`,
    );
    // (a keyframe, 1500 before the change or 1600 after it, may fall in the window too: one
    // every 15 s, the window is 4 s wide)
    const before = around.filter((r) => r.vset === 1500);
    const after = around.filter((r) => r.vset === 1600);
    expect(around.map((r) => r.vset)).toEqual([...before.map(() => 1500), ...after.map(() => 1600)]);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(around.length).toBeLessThanOrEqual(3);
    const edge = before[before.length - 1];
    expect((after[0].time as number) - (edge.time as number)).toBeLessThan(1000);
    expect(edge.vmon).not.toBeNull(); // merged into the stored reading, not a point of its own
    // the aggregate minute (here 10 s) of the change holds the value in force at its end; the set
    // values have no mean, min, max or count there (docs/DATA.md), the measured ones do
    const [bucket] = await influxql(
      `SELECT * FROM "${db}"."cicenns_10s"."hv" WHERE time = ${changeAt - 5000}ms AND pmt = 'CsI01-A'`,
    );
    expect(bucket).toMatchObject({ last_vset: 1600, count_quality: expect.any(Number) });
    expect(bucket.mean_vmon).toEqual(expect.any(Number));
    const setValueAggregates = Object.keys(bucket).filter(
      (k) => /^(mean|min|max|count)_(vset|iset|power)$/.test(k) && bucket[k] !== null,
    );
    expect(setValueAggregates).toEqual([]);
    // the API's trend: every interval has the set value in force, from the aggregates and raw
    const points = Math.ceil((to - from) / 10_000) + 1;
    const res = await fetch(
      `${h.apiUrl}/api/trends?measurement=hv&field=vset&subject=CsI01-A&from=${from}&to=${to}&points=${points}`,
      { headers: { Authorization: `Bearer ${SCRIPT_TOKEN}` } },
    );
    const body = (await res.json()) as { tiers: { tier: string }[]; points: [number, number | null][] };
    expect(res.status).toBe(200);
    expect(body.tiers.map((t) => t.tier)).toEqual(['aggregate', 'raw']);
    expect(body.points[0][0]).toBe(from);
    for (const [t, v] of body.points) {
      if (t + 10_000 <= changeAt) expect({ t, v }).toEqual({ t, v: 1500 });
      else if (t > changeAt) expect({ t, v }).toEqual({ t, v: 1600 });
      else expect(v).toBeGreaterThanOrEqual(1500); // the interval of the change
    }
  });

  it('setting up again is idempotent, and changed settings are brought into InfluxDB', async () => {
    const cfg = loadSystemConfig(h.configFile, {}).app.influx;
    const query = async (q: string) => {
      const res = await fetch(`${influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
      const body = (await res.json()) as { error?: string; results?: { error?: string }[] };
      const error = body.error ?? body.results?.[0]?.error;
      if (error) throw new Error(error);
      return body;
    };
    const warnings: string[] = [];
    await setUpRetention(cfg, query, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    const changed = {
      ...cfg,
      tiers: {
        ...cfg.tiers,
        raw: { ...cfg.tiers.raw, duration: '14d', durationMs: 14 * 86_400_000 },
        aggregate: {
          ...cfg.tiers.aggregate,
          duration: '520w',
          durationMs: 520 * 7 * 86_400_000,
          resampleFor: '30s',
        },
      },
    };
    await setUpRetention(changed, query, (m) => warnings.push(m));
    await setUpRetention(changed, query, (m) => warnings.push(m));
    expect(warnings).toEqual([
      'retention policy cicenns_raw shortened from 30d to 2w: InfluxDB deletes what is older at its next retention check',
      'retention policy cicenns_10s shortened from 3650d to 520w: InfluxDB deletes what is older at its next retention check',
    ]);
    const policies = await influxql(`SHOW RETENTION POLICIES ON "${db}"`);
    expect(policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'cicenns_raw', duration: '336h0m0s', default: true }),
        expect.objectContaining({ name: 'cicenns_10s', duration: '87360h0m0s', default: false }),
      ]),
    );
    const cqs = (await influxql('SHOW CONTINUOUS QUERIES')).filter((r) => r.name === 'cicenns_aggregate');
    expect(cqs).toHaveLength(1);
    expect(cqs[0].query).toMatch(/RESAMPLE EVERY 1s FOR 30s /);
  });
});
