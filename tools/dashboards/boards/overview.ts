/**
 * Detector overview: how much of each kind of reading is good, the alarms that stand by
 * subsystem, the beam, and the coincidence rates of the crystals.
 */
import { DashboardBuilder, MappingType, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { ALARM_STATES } from '@cicenns/contracts';
import { RULE_NAMES } from '../../../apps/alarms/src/rules/alarm-config';
import { Grid, influxql, perTier, rawTier, standard } from '../common';
import { checkedName } from '../influxql';
import type { DashboardInput } from '../input';
import { statPanel, tablePanel, timeSeries } from '../panels';
import { RULE_SUBSYSTEM } from '../subsystems';
import { LEVEL_COLOURS, goodAbove } from '../thresholds';
import { grafanaUnit } from '../units';

export const OVERVIEW_UID = 'cicenns-overview';

/** Readings whose quality the overview shows: measurement and a field every good point has. */
const QUALITY = [
  { m: 'hv', field: 'vmon', title: 'HV readings good' },
  { m: 'temperature', field: 'value_c', title: 'Temperatures good' },
  { m: 'dcr', field: 'rate_hz', title: 'DCR readings good' },
] as const;

/** rule (stale-hv under stale) -> its subsystem, as the table shows it */
function subsystemMappings(): ValueMapping[] {
  return RULE_NAMES.map((r) => ({
    type: MappingType.RegexToText,
    options: { pattern: `^${checkedName('alarm rule', r)}(-[a-z]+)?$`, result: { text: RULE_SUBSYSTEM[r] } },
  }));
}

function stateColours(): ValueMapping[] {
  const colour = (s: string) =>
    s === 'normal' ? LEVEL_COLOURS.normal : s.includes('unack') ? LEVEL_COLOURS.alarm : LEVEL_COLOURS.warning;
  return [
    {
      type: MappingType.ValueToText,
      options: Object.fromEntries(ALARM_STATES.map((s, index) => [s, { text: s, color: colour(s), index }])),
    },
  ];
}

export function overviewDashboard(input: DashboardInput): DashboardBuilder {
  const d = standard(new DashboardBuilder('CICENNS detector overview').uid(OVERVIEW_UID), input).description(
    "Health of the readings, the alarms standing per subsystem, the beam and the crystals' coincidences.",
  );
  const grid = new Grid();
  const ratio = grafanaUnit('ratio', 'share of good readings');
  for (const q of QUALITY) {
    d.withPanel(
      statPanel({
        title: q.title,
        description: `Share of ${q.m} readings with a value (quality good) in the time range; a bad reading carries the reason in its error field.`,
        unit: ratio,
        pos: grid.place(4, 4),
        targets: perTier(input, (t) =>
          influxql(`SELECT ${t.count(q.field)} / ${t.count('quality')} FROM ${t.from(q.m)} ${t.whereAll()}`),
        ),
        // below 99 % something is failing, below 90 % a whole device or the DAQ
        thresholds: goodAbove('share of good readings', 0.9, 0.99),
      }),
    );
  }
  d.withPanel(
    statPanel({
      title: 'Beam',
      description: 'Beam on/off as last reported by the accelerator.',
      unit: grafanaUnit('bool', 'beam on'),
      pos: grid.place(4, 4),
      // on the aggregates: whether the beam was on at any time in the last minute stored
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.kind === 'raw' ? t.last('on') : 'last("max_on")'} FROM ${t.from('beam')} ${t.where()}`,
        ),
      ),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Beam power',
      description: 'Beam power (beam publisher, 1 s).',
      unit: grafanaUnit('kW', 'beam power_kw'),
      pos: grid.place(8, 4),
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.mean('power_kw')} FROM ${t.from('beam')} ${t.where()} GROUP BY time($__interval) ${t.gaps}`,
        ).alias('power'),
      ),
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Alarms standing, by subsystem',
      description:
        'The last journal event of every alarm that is not back to normal, sorted by subsystem (mapped from the rule). ' +
        'Not limited to the time range: an alarm raised long ago and still standing is shown.',
      unit: grafanaUnit('state', 'alarm state'),
      pos: grid.place(24, 10),
      targets: [
        influxql(
          `SELECT last("rule") AS "subsystem", last("state") AS "state", last("severity") AS "severity", last("message") AS "message" FROM ${rawTier(input).from('alarm')} GROUP BY "alarm"`,
        ),
      ],
      mappings: stateColours(),
      overrides: [{ name: 'subsystem', mappings: subsystemMappings() }],
      transformations: [
        {
          id: 'filterByValue',
          options: {
            type: 'exclude',
            match: 'any',
            filters: [{ fieldName: 'state', config: { id: 'equal', options: { value: 'normal' } } }],
          },
        },
        { id: 'sortBy', options: { sort: [{ field: 'subsystem' }] } },
      ],
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Crystal coincidence rates',
      description:
        'A-B coincidence rate of each crystal (DAQ, 10 s); coincidence-excess compares it with the accidentals from the two DCRs.',
      unit: grafanaUnit('Hz', 'coincidence rate_hz'),
      pos: grid.place(24, 8),
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.mean('rate_hz')} FROM ${t.from('coincidence')} ${t.where()} GROUP BY time($__interval), "crystal" ${t.gaps}`,
        ).alias('$tag_crystal'),
      ),
    }),
  );
  return d;
}
