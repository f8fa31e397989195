/**
 * Every query of the generated dashboards against a real InfluxDB holding what the system wrote:
 * simulator -> poller + intake -> historian, and the alarm service with faults injected (an HV
 * trip, an open PT100), so alarm transitions and bad readings exist. Template variables are
 * queried first and substituted the way Grafana does ($timeFilter, $__interval, $rp, multi-value
 * regexes); a panel query or a variable that returns nothing fails.
 */
import { AlarmsHarness } from './support/alarms-harness';
import { dashboardFiles, dataPanels, loadDashboard, substitute, type Dashboard } from './support/dashboards';
import { sleep } from './support/processes';
import { readServerState, waitFor } from './support/servers';

jest.setTimeout(240_000);

const servers = readServerState();
const db = `dash_${process.pid}`;
const RANGE = '10m';
const INTERVAL = '2s';

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
    const q = substitute(v.query, values, { range: RANGE, interval: INTERVAL });
    const rows = (await influx(q)).flatMap((s) => s.values);
    const col = /^SHOW TAG VALUES/i.test(q) ? 1 : 0;
    const found = rows.map((r) => String(r[col]));
    expect({ dashboard: d.uid, variable: v.name, query: q, found: found.length > 0 }).toMatchObject({
      found: true,
    });
    // $rp: its default (the raw policy) must be one the database has; then it is what the queries use
    if (v.name === 'rp') {
      expect(found).toContain(String(v.current.value));
      values.set('rp', [String(v.current.value)]);
    } else values.set(v.name, found);
  }
  return values;
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
  });

  afterAll(async () => {
    await h.stop();
  });

  for (const file of dashboardFiles()) {
    const d = loadDashboard(file);
    it(`${d.uid}: every variable and every panel query returns the series it shows`, async () => {
      const values = await variableValues(d);
      for (const p of dataPanels(d)) {
        for (const t of p.targets) {
          const q = substitute(t.query, values, { range: RANGE, interval: p.interval ?? INTERVAL });
          const series = await influx(q);
          const hasData = series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
          expect({ panel: p.title, refId: t.refId, query: q, hasData }).toEqual({
            panel: p.title,
            refId: t.refId,
            query: q,
            hasData: true,
          });
          // a query grouped by PMT shows every PMT it asks for (an explicit list, or all the variable has)
          if (/GROUP BY .*"pmt"/.test(t.query)) {
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
        const rows = (
          await influx(substitute(a.target.query, values, { range: RANGE, interval: INTERVAL }))
        ).flatMap((s) => s.values.map((r) => Object.fromEntries(s.columns.map((c, i) => [c, r[i]]))));
        expect(rows).toContainEqual(expect.objectContaining({ alarm: 'hv-trip:CsI03-A', action: 'raise' }));
      }
    });
  }

  it('the standing-alarms table lists the trip under its rule; the bad-readings panel sees the open sensor', async () => {
    const overview = loadDashboard(dashboardFiles().find((f) => f.endsWith('detector-overview.json'))!);
    const values = await variableValues(overview);
    const table = dataPanels(overview).find((p) => p.title.startsWith('Alarms standing'))!;
    const series = await influx(
      substitute(table.targets[0].query, values, { range: RANGE, interval: INTERVAL }),
    );
    const trip = series.find((s) => s.tags?.alarm === 'hv-trip:CsI03-A');
    expect(trip?.values[0][trip.columns.indexOf('subsystem')]).toBe('hv-trip');
    const bad = await influx(
      `SELECT count("error") FROM "temperature" WHERE "quality" = 'bad' AND "sensor" = 'T-CsI05' AND time > now() - ${RANGE}`,
    );
    expect(bad.length).toBe(1);
  });
});
