/**
 * PMT health: DCR against the DCR expected at the present temperature, with the dcr-high and
 * dcr-low levels drawn at that expectation, and the gain against its calibration with the
 * gain-drift levels; variables crystal, panel and pmt.
 *
 * The expected DCR is not stored: it is computed in the query from what is, the temperature of
 * the PMT's crystal or panel and the calibration in force when the dashboards were generated,
 * DCR_cal * exp(k * (T - T_ref)) (libs/model physics.ts, the alarm service's model). One target per
 * group of PMTs that share a sensor and calibration constants; a group's target returns data only
 * while one of its PMTs is selected in $pmt.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { CalibrationRecord, Pmt } from '@cicenns/model';
import { resolveRuleParams } from '../../../apps/alarms/src/rules/alarm-config';
import { Grid, influxql, perTier, rawTier, standard, tagVariable } from '../common';
import { DashboardInputError } from '../errors';
import { num, oneOf, str } from '../influxql';
import type { Tier } from '../tiers';
import type { DashboardInput } from '../input';
import { timeSeries } from '../panels';
import { LEVEL_COLOURS, band } from '../thresholds';
import { grafanaUnit } from '../units';

export const PMT_HEALTH_UID = 'cicenns-pmt-health';

interface Group<K> {
  key: K;
  pmts: Pmt[];
}

function groupBy<K>(pmts: Pmt[], keyOf: (p: Pmt) => K, same: (a: K, b: K) => boolean): Group<K>[] {
  const groups: Group<K>[] = [];
  for (const p of pmts) {
    const key = keyOf(p);
    const g = groups.find((x) => same(x.key, key));
    if (g) g.pmts.push(p);
    else groups.push({ key, pmts: [p] });
  }
  return groups;
}

function calibration(input: DashboardInput, pmt: Pmt): CalibrationRecord {
  const cal = input.system.detector.currentCalibration(pmt.id, input.at);
  if (!cal) throw new DashboardInputError(`PMT ${pmt.id}`, 'has no calibration record to compare against');
  return cal;
}

/** A condition true while any of these PMTs is selected in $pmt (InfluxQL compares the literals). */
function selected(pmts: Pmt[]): string {
  return `(${pmts.map((p) => `${str('PMT', p.id)} =~ /^$pmt$/`).join(' OR ')})`;
}

/** DCR levels of one PMT: dcr-high warn/alarm and dcr-low warn as factors of the expectation. */
function dcrLevels(input: DashboardInput, pmt: string) {
  const high = resolveRuleParams(input.alarms, 'dcr-high', pmt);
  const low = resolveRuleParams(input.alarms, 'dcr-low', pmt);
  return { warnHigh: high.warnFactor, alarmHigh: high.alarmFactor, warnLow: low.warnFactor };
}

export function pmtHealthDashboard(input: DashboardInput): DashboardBuilder {
  const { detector } = input.system;
  const hz = grafanaUnit('Hz', 'DCR (docs/DATA.md: rate_hz)');
  const d = standard(new DashboardBuilder('CICENNS PMT health').uid(PMT_HEALTH_UID), input)
    .description(
      'DCR against its expectation at the present temperature and gain against calibration, per crystal, panel and PMT. ' +
        'Expectations use the calibration in force when the dashboards were generated (npm run dashboards).',
    )
    .withVariable(
      tagVariable(
        'crystal',
        'Crystal',
        `SHOW TAG VALUES FROM ${rawTier(input).from('dcr')} WITH KEY = "parent" WHERE "group" = 'crystal'`,
      ),
    )
    .withVariable(
      tagVariable(
        'panel',
        'Veto panel',
        `SHOW TAG VALUES FROM ${rawTier(input).from('dcr')} WITH KEY = "parent" WHERE "group" = 'veto'`,
      ),
    )
    .withVariable(
      tagVariable(
        'pmt',
        'PMT',
        `SHOW TAG VALUES FROM ${rawTier(input).from('dcr')} WITH KEY = "pmt" WHERE "parent" =~ /^$crystal$/ OR "parent" =~ /^$panel$/`,
      ),
    );
  const grid = new Grid();
  const selectedPmt = `"pmt" =~ /^$pmt$/`;

  // ---- DCR against expectation and levels ----
  const dcrGroups = groupBy(
    detector.pmts,
    (p) => {
      const c = calibration(input, p);
      return { sensor: p.sensorId, c, levels: dcrLevels(input, p.id) };
    },
    (a, b) =>
      a.sensor === b.sensor &&
      a.c.dcrHz === b.c.dcrHz &&
      a.c.dcrRefTempC === b.c.dcrRefTempC &&
      a.c.dcrTempCoeffPerC === b.c.dcrTempCoeffPerC &&
      JSON.stringify(a.levels) === JSON.stringify(b.levels),
  );
  const expectedTargets = (t: Tier) =>
    dcrGroups.map(({ key, pmts }) => {
      const names =
        pmts.length <= 3 ? pmts.map((p) => p.id).join(', ') : `${pmts[0].id}..${pmts[pmts.length - 1].id}`;
      const what = `DCR expectation of ${names}`;
      const l = key.levels;
      // without a sensor the alarm rules judge at the reference temperature: a constant, carried by the DCR series' times
      const expected = key.sensor
        ? `${num(what, key.c.dcrHz)} * exp(${num(what, key.c.dcrTempCoeffPerC)} * (${t.mean('value_c')} - ${num(what, key.c.dcrRefTempC)}))`
        : `0 * ${t.mean('rate_hz')} + ${num(what, key.c.dcrHz)}`;
      const source = key.sensor
        ? `${t.from('temperature')} ${t.where(`"sensor" = ${str('sensor', key.sensor)}`, selected(pmts))}`
        : `${t.from('dcr')} ${t.where(
            `"pmt" =~ ${oneOf(
              'PMT',
              pmts.map((p) => p.id),
            )}`,
            selected(pmts),
          )}`;
      const cols = [
        `${expected} AS "expected"`,
        `${num(what, l.warnHigh)} * ${expected} AS "dcr-high warning"`,
        `${num(what, l.alarmHigh)} * ${expected} AS "dcr-high alarm"`,
        `${num(what, l.warnLow)} * ${expected} AS "dcr-low warning"`,
      ];
      return influxql(`SELECT ${cols.join(', ')} FROM ${source} GROUP BY time($__interval) ${t.gaps}`).alias(
        `${names}: $col`,
      );
    });
  d.withPanel(
    timeSeries({
      title: 'DCR against its expectation at the present temperature: $pmt',
      description:
        'Measured DCR per PMT (solid); dashed: the DCR its calibration expects at the present temperature of its crystal or panel, ' +
        'and the dcr-high (warning, alarm) and dcr-low (warning) levels of config/alarms.yaml at that expectation. ' +
        'The alarm service also corrects for VMon away from the calibrated HV; at the calibrated HV the factor is 1.',
      unit: hz,
      pos: grid.place(24, 10),
      targets: perTier(input, (t) => [
        influxql(
          `SELECT ${t.mean('rate_hz')} FROM ${t.from('dcr')} ${t.where(selectedPmt)} GROUP BY time($__interval), "pmt" ${t.gaps}`,
        ).alias('$tag_pmt'),
        ...expectedTargets(t),
      ]),
      dashed: [
        { regex: '.*: expected$', color: 'text' },
        { regex: '.*: dcr-high warning$', color: LEVEL_COLOURS.warning },
        { regex: '.*: dcr-low warning$', color: LEVEL_COLOURS.warning },
        { regex: '.*: dcr-high alarm$', color: LEVEL_COLOURS.alarm },
      ],
    }),
  );

  // ---- gain against calibration ----
  const drift = input.alarms.rules['gain-drift'];
  const gainGroups = groupBy(
    detector.pmts,
    (p) => calibration(input, p).gain,
    (a, b) => a === b,
  );
  const perSeries = detector.pmts.flatMap((p) => {
    const r = resolveRuleParams(input.alarms, 'gain-drift', p.id);
    if (r.warnPct === drift.warnPct && r.alarmPct === drift.alarmPct) return [];
    return [{ name: p.id, thresholds: band(`gain-drift for ${p.id}`, r.warnPct, r.alarmPct) }];
  });
  d.withPanel(
    timeSeries({
      title: 'Gain against calibration: $pmt',
      description:
        `Measured SPE gain relative to the calibrated gain, (G / G_cal - 1) in %; gain-drift warns at ${drift.warnPct} % and alarms at ${drift.alarmPct} %. ` +
        'The alarm service corrects G_cal for the temperature; this panel compares at the reference temperature.',
      unit: grafanaUnit('%', 'gain deviation'),
      pos: grid.place(12, 9),
      targets: perTier(input, (t) =>
        gainGroups.map(({ key, pmts }) =>
          influxql(
            `SELECT (${t.mean('gain')} / ${num('calibrated gain', key)} - 1) * 100 FROM ${t.from('gain')} ${t.where(
              `"pmt" =~ ${oneOf(
                'PMT',
                pmts.map((p) => p.id),
              )}`,
              selectedPmt,
            )} GROUP BY time($__interval), "pmt" ${t.gaps}`,
          ).alias('$tag_pmt'),
        ),
      ),
      thresholds: band('gain-drift', drift.warnPct, drift.alarmPct),
      perSeries,
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Gain: $pmt',
      description: 'Measured SPE gain per PMT (DAQ, every 10 min); dashed: the calibrated gain.',
      unit: grafanaUnit('gain', 'SPE gain'),
      pos: grid.place(12, 9),
      targets: perTier(input, (t) => [
        influxql(
          `SELECT ${t.mean('gain')} FROM ${t.from('gain')} ${t.where(selectedPmt)} GROUP BY time($__interval), "pmt" ${t.gaps}`,
        ).alias('$tag_pmt'),
        ...gainGroups.map(({ key, pmts }) =>
          influxql(
            `SELECT 0 * ${t.mean('gain')} + ${num('calibrated gain', key)} FROM ${t.from('gain')} ${t.where(
              `"pmt" =~ ${oneOf(
                'PMT',
                pmts.map((p) => p.id),
              )}`,
              selectedPmt,
            )} GROUP BY time($__interval), "pmt" ${t.gaps}`,
          ).alias('$tag_pmt calibrated'),
        ),
      ]),
      dashed: [{ regex: '.* calibrated$', color: 'text' }],
    }),
  );
  return d;
}
