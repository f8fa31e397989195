/**
 * The generated Grafana dashboards: the committed files are what the generator makes from the
 * shipped configuration (not stale), their structure (uids, data source, units, layout) and their
 * threshold lines equal to the alarm levels of config/alarms.yaml; input the generator cannot
 * express fails with its name.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { basename, join } from 'node:path';
import { resolveRuleParams } from '../apps/alarms/src/rules/alarm-config';
import { DATASOURCE_UID } from '../tools/dashboards/common';
import { DashboardInputError } from '../tools/dashboards/errors';
import { dashboardJson, generateDashboards } from '../tools/dashboards/generate';
import { loadDashboardInput, type DashboardInput } from '../tools/dashboards/input';
import { tierGates } from '../tools/dashboards/tiers';
import { ROOT } from './support/processes';
import { dashboardFiles, dataPanels, loadDashboard, type DataPanel } from './support/dashboards';

const input = () => loadDashboardInput(join(ROOT, 'config', 'cicenns.yaml'), {});
const files = dashboardFiles();
const byName = new Map(files.map((f) => [basename(f), loadDashboard(f)]));
const panel = (file: string, title: RegExp): DataPanel => {
  const p = dataPanels(byName.get(file)!).find((x) => title.test(x.title));
  if (!p) throw new Error(`${file}: no panel ${title}`);
  return p;
};
const steps = (p: {
  fieldConfig: { defaults: { thresholds?: { steps: { value: number | null; color: string }[] } } };
}) => p.fieldConfig.defaults.thresholds?.steps;
const band = (warn: number, alarm: number) => [
  { value: null, color: 'red' },
  { value: -alarm, color: 'orange' },
  { value: -warn, color: 'green' },
  { value: warn, color: 'orange' },
  { value: alarm, color: 'red' },
];

describe('Grafana dashboards generated from the model', () => {
  it('the committed dashboards/*.json are what `npm run dashboards` makes now (not stale), and nothing else', () => {
    const generated = generateDashboards(input());
    expect([...byName.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [file, d] of generated) {
      const committed = JSON.parse(readFileSync(join(ROOT, 'dashboards', file), 'utf8'));
      expect({ file, json: committed }).toEqual({ file, json: JSON.parse(dashboardJson(d)) });
    }
  });

  it('unique dashboard uids; panels with unique ids, inside the grid, not overlapping', () => {
    const uids = [...byName.values()].map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const [file, d] of byName) {
      const ids = d.panels.map((p) => p.id);
      expect({ file, unique: new Set(ids).size }).toEqual({ file, unique: ids.length });
      for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let i = 0; i < d.panels.length; i++) {
        for (let j = i + 1; j < d.panels.length; j++) {
          const [a, b] = [d.panels[i].gridPos, d.panels[j].gridPos];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect({ file, a: d.panels[i].title, b: d.panels[j].title, overlap }).toMatchObject({
            overlap: false,
          });
        }
      }
    }
  });

  it('every panel, target, variable and annotation uses the InfluxDB data source by its fixed uid; every panel has a unit; every query reads a tier by name', () => {
    for (const [file, d] of byName) {
      for (const p of dataPanels(d)) {
        expect({ file, panel: p.title, uid: p.datasource.uid }).toEqual({
          file,
          panel: p.title,
          uid: DATASOURCE_UID,
        });
        expect(p.fieldConfig.defaults.unit.length).toBeGreaterThan(0);
        for (const t of p.targets) {
          expect({ panel: p.title, uid: t.datasource.uid }).toEqual({ panel: p.title, uid: DATASOURCE_UID });
          expect({ panel: p.title, query: t.query }).toEqual({
            panel: p.title,
            query: expect.stringMatching(/FROM "cicenns_(raw|1m)"\./),
          });
        }
      }
      for (const v of d.templating.list)
        expect({ file, v: v.name, uid: v.datasource.uid }).toMatchObject({ uid: DATASOURCE_UID });
      expect(d.annotations.list.map((a) => a.datasource.uid)).toEqual([DATASOURCE_UID]);
    }
    // the template variables the PMT dashboard promises
    expect(byName.get('pmt-health.json')!.templating.list.map((v) => v.name)).toEqual([
      'crystal',
      'panel',
      'pmt',
    ]);
  });

  it('a panel reading the aggregates has, for each such target, a twin on raw with the same series name; the gates are the tiers of cicenns.yaml', () => {
    const { tiers } = input().system.app.influx;
    const gates = tierGates(tiers);
    expect(gates).toEqual({
      raw: `\${__to} - \${__from} <= 172800000 AND '\${__from:date:iso}' >= now() - 2592000000ms`,
      aggregate: `(\${__to} - \${__from} > 172800000 OR '\${__from:date:iso}' < now() - 2592000000ms)`,
    });
    for (const [file, d] of byName) {
      for (const p of dataPanels(d)) {
        const onAgg = p.targets.filter((t) => t.query.includes(`FROM "${tiers.aggregate.name}".`));
        const onRaw = p.targets.filter((t) => t.query.includes(gates.raw));
        if (onAgg.length === 0) continue; // the alarm journal's texts: raw only
        expect({ file, panel: p.title, raw: onRaw.map((t) => t.alias) }).toEqual({
          file,
          panel: p.title,
          raw: onAgg.map((t) => t.alias),
        });
        for (const t of onAgg) expect(t.query).toContain(`WHERE ${gates.aggregate} AND `);
        for (const t of onRaw) expect(t.query).toContain(`FROM "${tiers.raw.name}".`);
      }
    }
    // raw kept forever: the span alone decides
    expect(
      tierGates({ ...tiers, raw: { ...tiers.raw, duration: '0s', durationMs: 0 }, rawMaxSpanMs: 3_600_000 }),
    ).toEqual({ raw: '${__to} - ${__from} <= 3600000', aggregate: '${__to} - ${__from} > 3600000' });
  });

  it('threshold lines are the alarm levels of config/alarms.yaml, with the per-subject overrides', () => {
    const { alarms, system } = input();
    const dev = alarms.rules['hv-deviation'];
    expect(steps(panel('hv.json', /^VMon - VSet: hv-crystal/))).toEqual(band(dev.warnV, dev.alarmV));
    const drift = alarms.rules['gain-drift'];
    expect(steps(panel('pmt-health.json', /^Gain against calibration/))).toEqual(
      band(drift.warnPct, drift.alarmPct),
    );
    const rate = alarms.rules['temperature-rate'];
    const ratePanel = panel('environment.json', /^Rate of change/);
    expect(steps(ratePanel)).toEqual(band(rate.warnCPerHour, rate.alarmCPerHour));
    // T-hall's override (warnCPerHour 8, alarmCPerHour 15) is its own series' lines
    const hall = resolveRuleParams(alarms, 'temperature-rate', 'T-hall');
    expect(hall.warnCPerHour).not.toBe(rate.warnCPerHour);
    expect(ratePanel.fieldConfig.overrides).toContainEqual({
      matcher: { id: 'byName', options: 'T-hall' },
      properties: expect.arrayContaining([
        { id: 'thresholds', value: { mode: 'absolute', steps: band(hall.warnCPerHour, hall.alarmCPerHour) } },
      ]),
    });
    // each sensor's range (detector.yaml) and the temperature-range margin
    const margin = alarms.rules['temperature-range'].alarmMarginC;
    const temp = panel('environment.json', /^Temperature/);
    for (const s of system.detector.sensors) {
      const [lo, hi] = s.rangeC;
      expect(temp.fieldConfig.overrides).toContainEqual({
        matcher: { id: 'byName', options: s.id },
        properties: expect.arrayContaining([
          {
            id: 'thresholds',
            value: {
              mode: 'absolute',
              steps: [
                { value: null, color: 'red' },
                { value: lo - margin, color: 'orange' },
                { value: lo, color: 'green' },
                { value: hi, color: 'orange' },
                { value: hi + margin, color: 'red' },
              ],
            },
          },
        ]),
      });
    }
    // DCR levels: the factors of dcr-high and dcr-low times the expectation from the calibration
    const high = alarms.rules['dcr-high'];
    const low = alarms.rules['dcr-low'];
    const dcr = panel('pmt-health.json', /^DCR against/);
    // on each tier: the DCR itself, then one expectation per group of PMTs
    const expected = dcr.targets.filter((t) => t.query.includes(' AS "expected"'));
    expect(expected.length).toBe(dcr.targets.length - 2);
    for (const t of expected) {
      const e = /SELECT (.*?) AS "expected"/.exec(t.query)![1];
      expect(t.query).toContain(`${high.warnFactor} * ${e} AS "dcr-high warning"`);
      expect(t.query).toContain(`${high.alarmFactor} * ${e} AS "dcr-high alarm"`);
      expect(t.query).toContain(`${low.warnFactor} * ${e} AS "dcr-low warning"`);
    }
    const cal = system.detector.currentCalibration('CsI01-A', Number.MAX_SAFE_INTEGER)!;
    expect(expected[0].query).toContain(
      `${cal.dcrHz} * exp(${cal.dcrTempCoeffPerC} * (mean("value_c") - ${cal.dcrRefTempC}))`,
    );
    expect(expected.at(-1)!.query).toMatch(/mean\("mean_(value_c|rate_hz)"\)/);
    // a tripped channel is red on the status timeline: hv-trip is an alarm
    const status = byName
      .get('hv.json')!
      .panels.find((p) => p.title.startsWith('Status: hv-crystal')) as unknown as {
      fieldConfig: { defaults: { mappings: { options: Record<string, { text: string; color: string }> }[] } };
    };
    const mapped = Object.values(status.fieldConfig.defaults.mappings[0].options);
    expect(mapped).toContainEqual(expect.objectContaining({ text: 'on, tripped', color: 'red' }));
  });
});

describe('the generator refuses what it cannot express, naming it', () => {
  const failure = (mutate: (i: DashboardInput) => void): DashboardInputError => {
    const i = input();
    mutate(i);
    try {
      generateDashboards(i);
    } catch (e) {
      if (e instanceof DashboardInputError) return e;
      throw e;
    }
    throw new Error('generated without complaint');
  };

  it('a PMT id with a quote', () => {
    const e = failure((i) => ((i.system.detector.pmts[0] as { id: string }).id = "CsI01'A"));
    expect(e.message).toMatch(/PMT.*"CsI01'A".*not expressible in InfluxQL/);
  });

  it('a register unit Grafana has no id for', () => {
    const e = failure((i) => (i.system.profiles.get('generic-hv')!.registers.vmon.unit = 'furlong'));
    expect(e.message).toMatch(/unit "furlong" of register vmon of profile generic-hv: no Grafana unit/);
  });

  it('a register without a unit', () => {
    const e = failure((i) => delete i.system.profiles.get('generic-hv')!.registers.imon.unit);
    expect(e.message).toMatch(/register imon of profile generic-hv: has no unit/);
  });

  it('a threshold that is not a finite number, and levels out of order', () => {
    expect(failure((i) => (i.alarms.rules['hv-deviation'].warnV = Number.NaN)).message).toMatch(
      /hv-deviation.*: threshold NaN is not a finite number/,
    );
    expect(failure((i) => (i.alarms.rules['temperature-rate'].alarmCPerHour = 2)).message).toMatch(
      /temperature-rate: thresholds must rise/,
    );
  });

  it('a calibration constant that is not a number', () => {
    const e = failure((i) => {
      const cal = i.system.detector.currentCalibration('CsI02-A', i.at)!;
      cal.dcrHz = Number.POSITIVE_INFINITY;
    });
    expect(e.message).toMatch(/DCR expectation of CsI02-A.*Infinity is not a finite number/);
  });
});

describe('Grafana provisioning (deploy/grafana)', () => {
  it('provisions the InfluxDB data source with the uid the dashboards use, and a file provider for dashboards/', () => {
    const dir = join(ROOT, 'deploy', 'grafana', 'provisioning');
    const ds = parse(readFileSync(join(dir, 'datasources', 'cicenns.yaml'), 'utf8'));
    expect(ds.datasources).toEqual([
      expect.objectContaining({
        uid: DATASOURCE_UID,
        type: 'influxdb',
        jsonData: expect.objectContaining({ dbName: 'cicenns' }),
      }),
    ]);
    const providers = parse(readFileSync(join(dir, 'dashboards', 'cicenns.yaml'), 'utf8')).providers;
    expect(providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: expect.stringMatching(/\/dashboards$/) }),
      }),
    ]);
  });
});
