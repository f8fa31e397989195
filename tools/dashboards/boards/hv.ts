/**
 * HV: VMon against VSet, VMon - VSet with the hv-deviation levels, IMon, and the channel status
 * as a timeline, one row per crate (from cicenns.yaml's devices and detector.yaml's channel map),
 * filtered by crystal/panel ($parent).
 */
import {
  DashboardBuilder,
  MappingType,
  RowBuilder,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { resolveRuleParams } from '../../../apps/alarms/src/rules/alarm-config';
import { Grid, influxql, perTier, rawTier, standard, tagVariable } from '../common';
import { DashboardInputError } from '../errors';
import { oneOf } from '../influxql';
import type { DashboardInput } from '../input';
import { stateTimeline, timeSeries } from '../panels';
import { LEVEL_COLOURS, band } from '../thresholds';
import { grafanaUnit } from '../units';

export const HV_UID = 'cicenns-hv';

/** Status values the timeline names: off, on, and on + each flag the crate's profile defines. */
function statusMappings(input: DashboardInput, profileName: string): ValueMapping[] {
  const profile = input.system.profiles.get(profileName);
  if (!profile?.statusBits) throw new DashboardInputError(`HV profile ${profileName}`, 'has no statusBits');
  const bits = Object.entries(profile.statusBits).map(([bit, name]) => ({ bit: Number(bit), name }));
  const onBit = bits.find((b) => b.name === 'on')?.bit;
  // a flag's colour is the severity of the alarm rule watching it (hv-trip: alarm), else a warning
  const severityOf = (flag: string) => {
    for (const rule of ['hv-over-current', 'hv-trip', 'hv-interlock', 'hv-temperature-error'] as const) {
      const r = input.alarms.rules[rule];
      if (r.statusBit === flag) return LEVEL_COLOURS[r.severity];
    }
    return LEVEL_COLOURS.warning;
  };
  const options: Record<string, { text: string; color: string; index: number }> = {
    '0': { text: 'off', color: 'text', index: 0 },
  };
  let index = 1;
  const on = onBit === undefined ? 0 : 2 ** onBit;
  if (onBit !== undefined) options[String(on)] = { text: 'on', color: LEVEL_COLOURS.normal, index: index++ };
  for (const b of bits) {
    if (b.bit === onBit) continue;
    const v = 2 ** b.bit;
    options[String(v)] = { text: b.name, color: severityOf(b.name), index: index++ };
    if (on) options[String(v | on)] = { text: `on, ${b.name}`, color: severityOf(b.name), index: index++ };
  }
  return [{ type: MappingType.ValueToText, options }];
}

export function hvDashboard(input: DashboardInput): DashboardBuilder {
  const { detector, app } = input.system;
  const d = standard(new DashboardBuilder('CICENNS HV').uid(HV_UID), input)
    .description('HV channels per crate: VMon against VSet, IMon and status; levels from config/alarms.yaml.')
    .withVariable(
      tagVariable(
        'parent',
        'Crystal / panel',
        `SHOW TAG VALUES FROM ${rawTier(input).from('hv')} WITH KEY = "parent"`,
      ),
    );
  const grid = new Grid();
  const deviation = input.alarms.rules['hv-deviation'];
  for (const device of app.devices) {
    const profile = input.system.profiles.get(device.profile);
    if (profile?.kind !== 'hv') continue;
    const pmts = detector.pmts.filter((p) => p.hv.device === device.id).map((p) => p.id);
    if (pmts.length === 0) continue;
    const inCrate = `"pmt" =~ ${oneOf(`PMT of crate ${device.id}`, pmts)} AND "parent" =~ /^$parent$/`;
    const unit = (register: string) =>
      grafanaUnit(profile.registers[register]?.unit, `register ${register} of profile ${profile.name}`);
    d.withRow(
      new RowBuilder(`Crate ${device.id} (${profile.name}, ${pmts.length} channels)`).gridPos(grid.row()),
    );
    d.withPanel(
      timeSeries({
        title: `VMon and VSet: ${device.id}`,
        description:
          'Monitored voltage per PMT (solid) and its set voltage (dashed; stored on change and every few minutes, held in between).',
        unit: unit('vmon'),
        pos: grid.place(12, 8),
        targets: perTier(input, (t) => [
          influxql(
            `SELECT ${t.mean('vmon')} FROM ${t.from('hv')} ${t.where(inCrate)} GROUP BY time($__interval), "pmt" ${t.gaps}`,
          ).alias('$tag_pmt'),
          influxql(
            `SELECT ${t.held('vset')} FROM ${t.from('hv')} ${t.whereHeld(inCrate)} GROUP BY time($__interval), "pmt" fill(previous)`,
          ).alias('$tag_pmt VSet'),
        ]),
        dashed: [{ regex: '.* VSet$' }],
      }),
    );
    // hv-deviation levels, with the PMTs an override in alarms.yaml gives their own
    const perSeries = pmts.flatMap((pmt) => {
      const p = resolveRuleParams(input.alarms, 'hv-deviation', pmt);
      if (p.warnV === deviation.warnV && p.alarmV === deviation.alarmV) return [];
      return [{ name: pmt, thresholds: band(`hv-deviation for ${pmt}`, p.warnV, p.alarmV) }];
    });
    d.withPanel(
      timeSeries({
        title: `VMon - VSet: ${device.id}`,
        description: `Deviation from the set voltage (the last one stored: set values are stored on change, so the series is filled with the previous value, VMon's gaps too); hv-deviation warns at ${deviation.warnV} V and alarms at ${deviation.alarmV} V (while on and not ramping).`,
        unit: unit('vmon'),
        pos: grid.place(12, 8),
        targets: perTier(input, (t) =>
          influxql(
            `SELECT ${t.mean('vmon')} - ${t.held('vset')} FROM ${t.from('hv')} ${t.whereHeld(inCrate)} GROUP BY time($__interval), "pmt" fill(previous)`,
          ).alias('$tag_pmt'),
        ),
        thresholds: band('hv-deviation', deviation.warnV, deviation.alarmV),
        perSeries,
      }),
    );
    d.withPanel(
      timeSeries({
        title: `IMon: ${device.id}`,
        description: 'Monitored current per PMT; the crate trips a channel above ISet for trip_time.',
        unit: unit('imon'),
        pos: grid.place(12, 8),
        targets: perTier(input, (t) =>
          influxql(
            `SELECT ${t.mean('imon')} FROM ${t.from('hv')} ${t.where(inCrate)} GROUP BY time($__interval), "pmt" ${t.gaps}`,
          ).alias('$tag_pmt'),
        ),
      }),
    );
    d.withPanel(
      stateTimeline({
        title: `Status: ${device.id}`,
        description: `Channel status bits (profile ${profile.name}); colours from the severity of the alarm rule watching each flag.`,
        unit: 'none',
        pos: grid.place(12, 8),
        // on the aggregates the largest status of the bucket: a flag raised in it outranks plain "on"
        targets: perTier(input, (t) =>
          influxql(
            `SELECT ${t.kind === 'raw' ? t.last('status') : t.max('status')} FROM ${t.from('hv')} ${t.where(inCrate)} GROUP BY time($__interval), "pmt" fill(previous)`,
          ).alias('$tag_pmt'),
        ),
        mappings: statusMappings(input, profile.name),
      }),
    );
  }
  return d;
}
