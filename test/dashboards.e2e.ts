/**
 * Every query of the generated dashboards against a real InfluxDB holding what the system wrote:
 * simulator -> poller + intake -> historian, and the alarm service with faults injected (an HV
 * trip, an open PT100), so alarm transitions and bad readings exist, and a DAQ message for a PMT
 * that does not exist, so the intake's health has a refused message by reason. The aggregate tier is filled
 * by the historian's own continuous query, run as the documented back-fill (this server runs no
 * continuous queries). Template variables are queried first and substituted the way Grafana does
 * ($timeFilter, $__interval, ${__from}, ${__to}, multi-value regexes); then every panel runs for a
 * short recent range (raw) and for a 3-day one (aggregates): the targets of the tier the range
 * picks must return the series, those of the other tier nothing.
 */
import { AlarmsHarness } from './support/alarms-harness';
import { dashboardFiles, dataPanels, loadDashboard, substitute, type Dashboard } from './support/dashboards';
import { Topics } from '@cicenns/contracts';
import { sleep } from './support/processes';
import { readServerState, waitFor } from './support/servers';
import { testClient } from './support/mqtt';

jest.setTimeout(240_000);

const servers = readServerState();
const db = `dash_${process.pid}`;
const RANGE = '10m';
const INTERVAL = '2s';
const DAY = 86_400_000;
/** the two ranges a test looks through: the last 10 minutes (raw) and the last 3 days (> rawMaxSpan) */
const RANGES = {
  raw: () => ({ from: Date.now() - 10 * 60_000, to: Date.now(), interval: INTERVAL }),
  aggregate: () => ({ from: Date.now() - 3 * DAY, to: Date.now(), interval: '1m' }),
};
const RAW = '"cicenns_raw".';
const AGG = '"cicenns_1m".';

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

async function influx(q: string): Promise<Series[]> {
  const res = await fetch(`${servers.influxUrl}/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`);
  const body = (await res.json()) as { results: { error?: string; series?: Series[] }[]; error?: string };
  const error = body.error ?? body.results[0].error;
  if (error) throw new Error(`${error}: ${q}`);
  return body.results[0].series ?? [];
}

/** Grafana's variable values: SHOW TAG VALUES gives (key, value), other SHOW queries the first column. */
async function variableValues(d: Dashboard): Promise<Map<string, string[]>> {
  const values = new Map<string, string[]>();
  for (const v of d.templating.list) {
    const q = substitute(v.query, values, RANGES.raw());
    const rows = (await influx(q)).flatMap((s) => s.values);
    const col = /^SHOW TAG VALUES/i.test(q) ? 1 : 0;
    const found = rows.map((r) => String(r[col]));
    expect({ dashboard: d.uid, variable: v.name, query: q, found: found.length > 0 }).toMatchObject({
      found: true,
    });
    values.set(v.name, found);
  }
  return values;
}

/** The historian's continuous queries (retention-setup.ts tierQueries) run once over [from, to), as docs/DATA.md's back-fill. */
async function backfill(from: number, to: number): Promise<void> {
  const cqs = (await influx('SHOW CONTINUOUS QUERIES')).find((s) => s.name === db)?.values ?? [];
  const names = cqs.map((r) => String(r[0])).filter((n) => n.startsWith('cicenns_aggregate'));
  expect(names.sort()).toEqual([
    'cicenns_aggregate',
    'cicenns_aggregate_alarm',
    'cicenns_aggregate_held',
    'cicenns_aggregate_hv',
  ]);
  for (const name of names) {
    const cq = cqs.find((r) => r[0] === name)?.[1];
    const select = /BEGIN (SELECT .* INTO .* FROM .+?) (GROUP BY .*) END$/.exec(String(cq));
    if (!select) throw new Error(`no continuous query ${name} on ${db}: ${String(cq)}`);
    await influx(`${select[1]} WHERE time >= ${from}ms AND time < ${to}ms ${select[2]}`);
  }
}

describe('Grafana dashboards on the InfluxDB the system fed', () => {
  const h = new AlarmsHarness({
    mqttUrl: servers.mqttUrl,
    influxUrl: servers.influxUrl,
    database: db,
    tag: 'dash',
    maxDelayMs: 500,
  });

  beforeAll(async () => {
    await h.start();
    // a refused DAQ message early: its reason is in the intake's health points for minutes
    const daq = await testClient(servers.mqttUrl);
    await daq.publishAsync(
      Topics.daq.pmtDcrOf('NoSuchPmt-Z'),
      JSON.stringify({ ts: Date.now(), rate_hz: 120, window_s: 10 }),
      { qos: 1 },
    );
    await daq.endAsync();
    await sleep(8000); // every measurement for a while before the faults
    const trip = await h.fault({ type: 'hv-trip', pmt: 'CsI03-A' });
    const open = await h.fault({ type: 'sensor-open', sensor: 'T-CsI05' });
    const raised = async (alarm: string) =>
      (await influx(`SELECT count("state") FROM "alarm" WHERE "alarm" = '${alarm}' AND "action" = 'raise'`))
        .length > 0;
    await waitFor(
      'hv-trip and sensor-open raised, in InfluxDB',
      async () => (await raised('hv-trip:CsI03-A')) && (await raised('sensor-open:T-CsI05')),
      30_000,
    ).catch((e) => {
      throw new Error(`${e.message}\n${h.logs(1500)}`);
    });
    await h.clearFault(trip);
    await h.clearFault(open);
    await sleep(5000);
    // a rate of change needs two of its 1-min buckets with data: up to a minute more
    await waitFor(
      'temperatures in two 1-min buckets',
      async () =>
        (
          await influx(
            `SELECT derivative(mean("value_c"), 1h) FROM "temperature" WHERE time > now() - ${RANGE} GROUP BY time(1m), "sensor" fill(none)`,
          )
        ).length > 0,
      90_000,
    );
    // the aggregates of every whole minute so far; a rate of change needs two of them, for the
    // temperatures and for the intake's refused messages (its first report counting the refusal
    // comes up to servicePointsMs after it, which can be the next minute)
    const start = Date.now() - 15 * 60_000;
    const rateOf = async (select: string) =>
      (await influx(`${select} WHERE time > now() - ${RANGE} GROUP BY time(1m), * fill(none)`)).length > 0;
    await waitFor(
      'aggregated temperatures and refused messages in two whole minutes',
      async () => {
        await backfill(start, Math.floor(Date.now() / 60_000) * 60_000);
        const both =
          (await rateOf(`SELECT derivative(mean("mean_value_c"), 1h) FROM ${AGG}"temperature"`)) &&
          (await rateOf(
            `SELECT non_negative_derivative(max("max_rejects_unknown_pmt"), 1m) FROM ${AGG}"service"`,
          ));
        if (!both) await sleep(2000);
        return both;
      },
      150_000,
    );
  }, 330_000);

  afterAll(async () => {
    await h.stop();
  });

  it('the tier gates: exactly one tier answers for a range, the aggregates beyond rawMaxSpan or the raw retention', async () => {
    const d = loadDashboard(dashboardFiles().find((f) => f.endsWith('hv.json'))!);
    const vmon = dataPanels(d).find((p) => p.title.startsWith('VMon and VSet'))!;
    const [raw, agg] = [RAW, AGG].map((tier) => vmon.targets.find((t) => t.query.includes(`FROM ${tier}`))!);
    const gate = (q: string) => /WHERE (.*) AND "pmt" =~/.exec(q)![1];
    const now = Date.now();
    const ranges = {
      'last 10 min': [now - 10 * 60_000, now, 'raw'],
      'last 2 days': [now - 2 * DAY, now, 'raw'],
      'last 3 days': [now - 3 * DAY, now, 'aggregate'],
      '1 h, 29 days ago': [now - 29 * DAY, now - 29 * DAY + 3_600_000, 'raw'],
      '1 h, 31 days ago': [now - 31 * DAY, now - 31 * DAY + 3_600_000, 'aggregate'],
    } as const;
    for (const [name, [from, to, tier]] of Object.entries(ranges)) {
      const answers = async (t: typeof raw) => {
        // the gate as Grafana fills it in, over readings that surely exist
        const where = substitute(gate(t.query), new Map(), { from, to, interval: INTERVAL });
        return (
          (await influx(`SELECT count("quality") FROM ${RAW}"hv" WHERE ${where} AND time > now() - 1m`))
            .length > 0
        );
      };
      expect({ range: name, raw: await answers(raw), aggregate: await answers(agg) }).toEqual({
        range: name,
        raw: tier === 'raw',
        aggregate: tier === 'aggregate',
      });
    }
  });

  for (const file of dashboardFiles()) {
    const d = loadDashboard(file);
    for (const tier of ['raw', 'aggregate'] as const) {
      it(`${d.uid}, ${tier} tier: every variable and every panel query of the tier returns the series it shows, the other tier's nothing`, async () => {
        const values = await variableValues(d);
        const range = RANGES[tier]();
        for (const p of dataPanels(d)) {
          for (const t of p.targets) {
            // the alarm journal's texts are in raw only, read whatever the range
            const reads = t.query.includes(`FROM ${AGG}`)
              ? 'aggregate'
              : t.query.includes('${__from}')
                ? 'raw'
                : tier;
            const q = substitute(t.query, values, { ...range, interval: p.interval ?? range.interval });
            const series = await influx(q);
            const hasData = series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
            expect({ panel: p.title, refId: t.refId, query: q, hasData }).toEqual({
              panel: p.title,
              refId: t.refId,
              query: q,
              hasData: reads === tier,
            });
            // a query grouped by PMT shows every PMT it asks for (an explicit list, or all the variable has)
            if (reads === tier && /GROUP BY .*"pmt"/.test(t.query)) {
              const list = /"pmt" =~ \/\^\(([^)]*)\)\$\//.exec(t.query)?.[1].split('|');
              const wanted = (list ?? values.get('pmt') ?? []).filter(
                (x) => !values.has('pmt') || values.get('pmt')!.includes(x),
              );
              const got = new Set(series.map((s) => s.tags?.pmt));
              expect({ panel: p.title, missing: wanted.filter((x) => !got.has(x)) }).toEqual({
                panel: p.title,
                missing: [],
              });
            }
          }
        }
        // the alarm transitions as annotations: the trip is among them
        for (const a of d.annotations.list) {
          const rows = (await influx(substitute(a.target.query, values, range))).flatMap((s) =>
            s.values.map((r) => Object.fromEntries(s.columns.map((c, i) => [c, r[i]]))),
          );
          expect(rows).toContainEqual(expect.objectContaining({ alarm: 'hv-trip:CsI03-A', action: 'raise' }));
        }
      });
    }
  }

  it('the HV set values, stored on change: over the last 30 s (none stored in it) VSet and VMon - VSet show every PMT', async () => {
    const d = loadDashboard(dashboardFiles().find((f) => f.endsWith('hv.json'))!);
    const values = await variableValues(d);
    // the system ran for minutes with no command: vset was stored by the first readings only
    const [stored] = await influx(
      `SELECT count("vset"), count("vmon") FROM ${RAW}"hv" WHERE time > now() - 30s`,
    );
    expect(stored.values[0][2]).toBeGreaterThan(0);
    expect(Number(stored.values[0][1] ?? 0)).toBeLessThan(Number(stored.values[0][2]) / 10); // null: none
    const range = { from: Date.now() - 30_000, to: Date.now(), interval: INTERVAL };
    const targets = dataPanels(d)
      .filter((p) => /^VMon (and|-) VSet/.test(p.title))
      .flatMap((p) => p.targets.filter((t) => t.query.includes('"vset"') && t.query.includes(`FROM ${RAW}`)));
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const t of targets) {
      const series = await influx(substitute(t.query, values, range));
      const pmts = /"pmt" =~ \/\^\(([^)]*)\)\$\//.exec(t.query)![1].split('|');
      expect(series.map((x) => x.tags?.pmt).sort()).toEqual([...pmts].sort());
      // the last interval of the range has a value for each: the set value carried into it
      for (const x of series)
        expect({ pmt: x.tags?.pmt, last: x.values.at(-1)![1] }).toEqual({
          pmt: x.tags?.pmt,
          last: expect.any(Number),
        });
    }
  });

  it('the standing-alarms table lists the trip under its rule; the bad-readings panel sees the open sensor', async () => {
    const overview = loadDashboard(dashboardFiles().find((f) => f.endsWith('detector-overview.json'))!);
    const values = await variableValues(overview);
    const table = dataPanels(overview).find((p) => p.title.startsWith('Alarms standing'))!;
    const series = await influx(substitute(table.targets[0].query, values, RANGES.raw()));
    const trip = series.find((s) => s.tags?.alarm === 'hv-trip:CsI03-A');
    expect(trip?.values[0][trip.columns.indexOf('subsystem')]).toBe('hv-trip');
    const bad = await influx(
      `SELECT count("error") FROM "temperature" WHERE "quality" = 'bad' AND "sensor" = 'T-CsI05' AND time > now() - ${RANGE}`,
    );
    expect(bad.length).toBe(1);
  });
});
