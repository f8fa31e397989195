/**
 * Environment: every temperature with its configured range (temperature-range levels) and its
 * rate of change (temperature-rate levels, with the per-sensor overrides of alarms.yaml).
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { resolveRuleParams } from '../../../apps/alarms/src/rules/alarm-config';
import { Grid, influxql, perTier, rawTier, standard, tagVariable } from '../common';
import type { DashboardInput } from '../input';
import { timeSeries } from '../panels';
import { band, range } from '../thresholds';
import { grafanaUnit } from '../units';

export const ENVIRONMENT_UID = 'cicenns-environment';

export function environmentDashboard(input: DashboardInput): DashboardBuilder {
  const { detector, profiles, app } = input.system;
  const tempProfile = app.devices.map((d) => profiles.get(d.profile)).find((p) => p?.kind === 'temperature');
  const unit = grafanaUnit(
    tempProfile?.registers.value?.unit ?? 'degC',
    `temperature profile ${tempProfile?.name}`,
  );
  const d = standard(new DashboardBuilder('CICENNS environment').uid(ENVIRONMENT_UID), input)
    .description('Temperatures of the housings, the hall, the rack and the veto, and their rates of change.')
    .withVariable(
      tagVariable(
        'sensor',
        'Sensor',
        `SHOW TAG VALUES FROM ${rawTier(input).from('temperature')} WITH KEY = "sensor"`,
      ),
    );
  const grid = new Grid();
  const sensor = `"sensor" =~ /^$sensor$/`;
  const margin = input.alarms.rules['temperature-range'].alarmMarginC;
  const rate = input.alarms.rules['temperature-rate'];
  d.withPanel(
    timeSeries({
      title: 'Temperature: $sensor',
      description: `Each sensor's configured range (detector.yaml rangeC) is its warning line; ${margin} degC beyond it, the alarm (temperature-range).`,
      unit,
      pos: grid.place(24, 9),
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.mean('value_c')} FROM ${t.from('temperature')} ${t.where(sensor)} GROUP BY time($__interval), "sensor" ${t.gaps}`,
        ).alias('$tag_sensor'),
      ),
      perSeries: detector.sensors.map((s) => {
        const m = resolveRuleParams(input.alarms, 'temperature-range', s.id).alarmMarginC;
        return {
          name: s.id,
          thresholds: range(`temperature-range for ${s.id}`, s.rangeC[0], s.rangeC[1], m),
        };
      }),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Rate of change: $sensor',
      description:
        `d T / d t per hour; temperature-rate warns at ${rate.warnCPerHour} and alarms at ${rate.alarmCPerHour} degC/h ` +
        `(fitted over ${rate.windowMs / 60000} min by the alarm service; sensors with overrides have their own lines).`,
      unit: grafanaUnit('degC/h', 'temperature rate'),
      pos: grid.place(24, 9),
      minInterval: '1m',
      targets: perTier(input, (t) =>
        influxql(
          `SELECT derivative(${t.mean('value_c')}, 1h) FROM ${t.from('temperature')} ${t.where(sensor)} GROUP BY time($__interval), "sensor" fill(none)`,
        ).alias('$tag_sensor'),
      ),
      thresholds: band('temperature-rate', rate.warnCPerHour, rate.alarmCPerHour),
      perSeries: detector.sensors.flatMap((s) => {
        const p = resolveRuleParams(input.alarms, 'temperature-rate', s.id);
        if (p.warnCPerHour === rate.warnCPerHour && p.alarmCPerHour === rate.alarmCPerHour) return [];
        return [
          { name: s.id, thresholds: band(`temperature-rate for ${s.id}`, p.warnCPerHour, p.alarmCPerHour) },
        ];
      }),
    }),
  );
  return d;
}
