/**
 * The aggregate tier computed by the historian (influx.tiers.aggregate.computedBy: historian)
 * holds exactly what InfluxDB's own tier queries compute from the raw points: a real historian
 * process stores a stream of every kind of reading into a real InfluxDB 1.6 and is killed with
 * SIGKILL in the middle of an interval and started again; then each tier query of
 * retention-setup.ts is run by InfluxDB over the same raw points into a reference policy, and
 * the two are compared point by point and field by field, types included. Intervals of 5 s
 * (resampleFor 10 s) so that it takes a minute; the shipped interval is 1 m.
 */
import { loadSystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { hvFieldsOf, rangeQuery, tierQueries } from '../apps/historian/src/retention-setup';
import { testClient } from './support/mqtt';
import { ServiceProcess, sleep } from './support/processes';
import { readServerState, waitFor } from './support/servers';
import { writeTestConfig } from './support/test-config';

jest.setTimeout(150_000);

const servers = readServerState();
const db = `aggr_${process.pid}`;
const I = 5000;
const TIERS = {
  raw: { name: 'cicenns_raw', duration: '30d' },
  aggregate: {
    name: 'agg_5s',
    duration: '3650d',
    interval: '5s',
    resampleFor: '10s',
    computedBy: 'historian',
  },
};
const MEASUREMENTS = ['hv', 'dcr', 'temperature', 'alarm', 'beam', 'service'];
type Row = Record<string, unknown>;
type Series = { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] };

async function influxql(q: string): Promise<Series[]> {
  const res = await fetch(`${servers.influxUrl}/query`, {
    method: 'POST',
    body: new URLSearchParams({ db, q, epoch: 'ms' }),
  });
  const body = (await res.json()) as { error?: string; results: { error?: string; series?: Series[] }[] };
  const error = body.error ?? body.results.find((r) => r.error)?.error;
  if (error) throw new Error(`${error}: ${q}`);
  return body.results.flatMap((r) => r.series ?? []);
}

/** The points of one policy's measurement, by their tags and time, with their non-null fields. */
async function points(rp: string, m: string, from: number, to: number): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  const where = `WHERE time >= ${from}ms AND time < ${to}ms`;
  for (const s of await influxql(`SELECT * FROM "${db}"."${rp}"."${m}" ${where} GROUP BY *`))
    for (const v of s.values) {
      const row: Row = {};
      s.columns.forEach((c, i) => {
        if (c !== 'time' && v[i] !== null) row[c] = v[i];
      });
      out.set(`${m} ${JSON.stringify(s.tags ?? {})} ${String(v[0])}`, row);
    }
  return out;
}

/** Where two sets of points differ (numbers within a relative 1e-9: the order of a sum). */
function differences(got: Map<string, Row>, want: Map<string, Row>): string[] {
  const out: string[] = [];
  for (const [k, w] of want) {
    const g = got.get(k);
    if (!g) {
      out.push(`${k}: missing`);
      continue;
    }
    for (const f of new Set([...Object.keys(w), ...Object.keys(g)])) {
      const [a, b] = [g[f], w[f]];
      const same =
        typeof a === 'number' && typeof b === 'number'
          ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))
          : a === b;
      if (!same) out.push(`${k} ${f}: ${String(a)}, InfluxDB's ${String(b)}`);
    }
  }
  for (const k of got.keys()) if (!want.has(k)) out.push(`${k}: not in InfluxDB's`);
  return out;
}

describe('the aggregate tier computed by the historian', () => {
  let pub: MqttClient;
  let historian: ServiceProcess;
  let publishing: NodeJS.Timeout | undefined;
  const { file } = writeTestConfig({
    hvPort: 1,
    tempPort: 2,
    mqttUrl: servers.mqttUrl,
    influxUrl: servers.influxUrl,
    database: db,
    clientIdPrefix: `aggr-${process.pid}`,
    mutate: (cfg) => {
      cfg.influx.tiers = TIERS;
      cfg.influx.setValuesKeyframeMs = 7000;
    },
  });

  afterAll(async () => {
    clearInterval(publishing);
    await pub?.endAsync();
    await historian?.stop('SIGKILL');
  });

  it('equals what InfluxDB computes from the raw points, across a SIGKILL and a restart', async () => {
    historian = new ServiceProcess('historian', { CICENNS_CONFIG: file }).start();
    await historian.waitForOutput(/historian: .* -> /);
    pub = await testClient(servers.mqttUrl);
    // every kind of reading, 10 a second: measured values that move, an integer status, a set
    // value that changes (stored on change), bad readings with an error, strings and a boolean
    let seq = 0;
    let prevTs: number | undefined;
    const changeAt = Date.now() + 12_000;
    publishing = setInterval(() => {
      const ts = Date.now();
      const n = seq;
      const good = { quality: 'good', source: 'test' };
      const readings: Row[] = [
        {
          m: 'hv',
          id: 'CsI01-A',
          ts,
          ...good,
          ...(prevTs === undefined ? {} : { prevTs }),
          fields: {
            vmon: 1000 + (ts % 5000) / 97,
            imon: 1.5 + (n % 7) / 10,
            status: n % 20 < 10 ? 3 : 1,
            vset: ts < changeAt ? 1500 : 1600,
          },
        },
        { m: 'dcr', id: 'CsI01-A', ts, ...good, fields: { rate_hz: 250 + Math.sin(n) * 30 } },
        { m: 'temperature', id: 'T-CsI01', ts, ...good, fields: { celsius: 21 + (n % 13) / 7 } },
      ];
      if (n % 5 === 0)
        readings.push({
          m: 'hv',
          id: 'CsI01-B',
          ts,
          quality: 'bad',
          source: 'test',
          error: 'timeout',
          fields: {},
        });
      if (n % 10 === 0)
        readings.push({
          m: 'alarm',
          id: 'dcr-high:CsI01-A',
          ts,
          ...good,
          fields: {
            state: n % 20 ? 'active' : 'normal',
            rule: 'dcr-high',
            message: `event ${n}`,
            value: n / 3,
          },
        });
      if (n % 3 === 0)
        readings.push({
          m: 'beam',
          id: '',
          ts,
          ...good,
          fields: { on: n % 2 === 0, power_kw: 140 + (n % 4) },
        });
      prevTs = ts;
      seq++;
      void pub.publishAsync(
        'cicenns/sc/readings/test',
        JSON.stringify({ service: 'test', seq: n, readings }),
        { qos: 1 },
      );
    }, 100);

    // killed in the middle of an interval, with points of it stored and in memory only
    await sleep(17_000);
    const mid = Date.now() % I;
    if (mid < 1000 || mid > 4000) await sleep((I + 2500 - mid) % I);
    await historian.stop('SIGKILL');
    const killedAt = Date.now();
    await sleep(3000); // the broker keeps what comes meanwhile for the historian's session
    historian.start();
    await historian.waitForOutput(/historian: .* -> /);
    await sleep(16_000);
    clearInterval(publishing);
    publishing = undefined;
    const lastTs = Date.now();

    const [first] = await influxql(`SELECT vmon FROM "${db}"."cicenns_raw"."hv" ORDER BY time ASC LIMIT 1`);
    const from = Math.floor(Number(first!.values[0]![0]) / I) * I;
    const to = Math.floor(lastTs / I) * I + I;
    expect(to - from).toBeGreaterThan(30_000);

    // InfluxDB's own computation of the same tier, into a policy of its own
    const cfg = loadSystemConfig(file, {});
    const refCfg = {
      ...cfg.app.influx,
      tiers: { ...cfg.app.influx.tiers, aggregate: { ...cfg.app.influx.tiers.aggregate, name: 'ref' } },
    };
    await influxql(`CREATE RETENTION POLICY "ref" ON "${db}" DURATION 1d REPLICATION 1`);
    const hv = hvFieldsOf(cfg.profiles.values());

    // the last interval is given up resampleFor + 2 s after its start; the restart's
    // recomputes wait for the spool
    let diffs: string[] = ['not compared yet'];
    await waitFor(
      'the aggregate tier equal to InfluxDB computing it',
      async () => {
        for (const q of tierQueries(refCfg, hv)) await influxql(rangeQuery(refCfg, q, from, to));
        diffs = [];
        for (const m of MEASUREMENTS)
          diffs.push(...differences(await points('agg_5s', m, from, to), await points('ref', m, from, to)));
        return diffs.length === 0;
      },
      60_000,
    ).catch(() => undefined);
    expect(diffs.slice(0, 20)).toEqual([]);

    // both sides have the intervals of the kill, and they hold points from before and after it
    const killed = Math.floor(killedAt / I) * I;
    const [around] = await influxql(
      `SELECT count_vmon FROM "${db}"."agg_5s"."hv" WHERE time >= ${killed - I}ms AND time <= ${killed + I}ms`,
    );
    expect(around!.values.map((v) => v[1])).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ]);
    const countOf = async (rp: string) =>
      (
        await influxql(
          `SELECT sum(count_vmon) FROM "${db}"."${rp}"."hv" WHERE time >= ${from}ms AND time < ${to}ms`,
        )
      )[0]!.values[0]![1];
    const [raw] = await influxql(
      `SELECT count(vmon) FROM "${db}"."cicenns_raw"."hv" WHERE time >= ${from}ms AND time < ${to}ms`,
    );
    expect(await countOf('agg_5s')).toBe(raw!.values[0]![1]);
    // the same field types as InfluxDB's own
    for (const m of MEASUREMENTS) {
      const keys = async (rp: string) =>
        (await influxql(`SHOW FIELD KEYS FROM "${db}"."${rp}"."${m}"`))[0]?.values;
      expect({ m, types: await keys('agg_5s') }).toEqual({ m, types: await keys('ref') });
    }
    // and no continuous query of ours: the historian computes the tier
    const cqs = (await influxql('SHOW CONTINUOUS QUERIES')).filter((s) => s.name === db);
    expect(cqs.flatMap((s) => s.values)).toEqual([]);
    expect(historian.output).not.toMatch(/could not recompute/);
  });
});
