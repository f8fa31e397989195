/**
 * The slow-control system itself, from what InfluxDB holds: readings stored per second by
 * measurement (the ingest rate as the archive sees it), bad readings by measurement, alarm
 * events by action and raised alarms by severity; and from the services' health, which the
 * historian stores as measurement `service` (docs/DATA.md): messages refused by reason, the
 * poller's sweep time per device and the historian's spool backlog.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { Grid, influxql, perTier, rawTier, standard } from '../common';
import { str } from '../influxql';
import { severitySchema } from '@cicenns/contracts';
import type { DashboardInput } from '../input';
import { timeSeries } from '../panels';
import { grafanaUnit } from '../units';

export const SYSTEM_UID = 'cicenns-system';

/** The measurements the system writes (docs/DATA.md). */
const MEASUREMENTS = ['hv', 'temperature', 'dcr', 'gain', 'coincidence', 'beam', 'alarm'] as const;

export function systemDashboard(input: DashboardInput): DashboardBuilder {
  const d = standard(new DashboardBuilder('CICENNS slow-control system').uid(SYSTEM_UID), input).description(
    "What the archive receives, bad readings, alarm activity, and from the services' health: messages refused " +
      'by reason, poll latency and the historian spool.',
  );
  const grid = new Grid();
  const all = (t: { from(m: string): string }) => MEASUREMENTS.map((m) => t.from(m)).join(', ');
  // counts per bucket: whole minutes on raw; on the aggregates the panel's interval, at least theirs
  const minInterval = input.system.app.influx.tiers.aggregate.interval;
  d.withPanel(
    timeSeries({
      title: 'Readings stored per second, by measurement',
      description:
        'Points in InfluxDB per second of their timestamps (a 1 min count / 60): the ingest rate as the archive holds it.',
      unit: grafanaUnit('points/s', 'ingest rate'),
      pos: grid.place(12, 8),
      minInterval,
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.count('quality')} / ${t.bucketSeconds} FROM ${all(t)} ${t.whereAll()} GROUP BY ${t.countBuckets} fill(0)`,
        ).alias('$m'),
      ),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Bad readings per minute, by measurement',
      description:
        'Readings stored as bad (quality bad, with the reason in error): a device that stopped answering, a sensor open.',
      unit: grafanaUnit('events/min', 'bad readings'),
      pos: grid.place(12, 8),
      minInterval,
      // only bad readings have an error field: its count is theirs, on both tiers
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.count('error')} / (${t.bucketSeconds} / 60) FROM ${all(t)} ${t.whereAll()} GROUP BY ${t.countBuckets} fill(0)`,
        ).alias('$m'),
      ),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Alarm journal events per minute',
      description:
        'Every journal event of the alarm service (raise, clear, ack, shelve, ...); the annotations show each one.',
      unit: grafanaUnit('events/min', 'alarm events'),
      pos: grid.place(12, 8),
      minInterval,
      targets: perTier(input, (t) =>
        influxql(
          `SELECT ${t.count('state')} / (${t.bucketSeconds} / 60) FROM ${t.from('alarm')} ${t.whereAll()} GROUP BY ${t.countBuckets} fill(0)`,
        ).alias('events'),
      ),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Alarms raised per minute, by severity',
      description:
        'Raise events of the alarm service, one series per severity; from the raw tier whatever the range (the aggregates keep no action or severity).',
      unit: grafanaUnit('events/min', 'alarms raised'),
      pos: grid.place(12, 8),
      minInterval,
      targets: severitySchema.options.map((sev) =>
        influxql(
          `SELECT count("state") / ($__interval_ms / 60000) FROM ${rawTier(input).from('alarm')} WHERE "action" = 'raise' AND "severity" = ${str('severity', sev)} AND $timeFilter GROUP BY time($__interval) fill(0)`,
        ).alias(sev),
      ),
      dashed: [],
    }),
  );
  // the services' health, one point per service every influx.servicePointsMs (10 s): sparse, so no fill
  const ofService = (name: string) => `"service" = ${str('service', name)}`;
  d.withPanel(
    timeSeries({
      title: 'Messages refused per minute, by service and reason',
      description:
        "From the rejects by reason of each service's health (rejects_<reason>, e.g. the intake's unknown_pmt, schema, " +
        'too_old): the increase of the count per minute. GET /api/intake/rejects shows the latest refused messages.',
      unit: grafanaUnit('events/min', 'refused messages'),
      pos: grid.place(12, 8),
      minInterval,
      // a regex field cannot be renamed or used in arithmetic (InfluxQL 1.x): the series are named by column
      targets: perTier(input, (t) =>
        influxql(
          `SELECT non_negative_derivative(max(/^${t.kind === 'raw' ? '' : 'max_'}rejects_/), 1m) FROM ${t.from('service')} ${t.whereAll()} GROUP BY ${t.countBuckets}, "service" fill(none)`,
        ).alias('$tag_service $col'),
      ),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Poll latency: sweep time per device',
      description:
        "The poller's time to read all of a device's registers once (sweep_ms_<device>, from its health); near the " +
        "device's pollMs it overruns.",
      unit: grafanaUnit('ms', 'poll latency'),
      pos: grid.place(12, 8),
      minInterval,
      targets: perTier(input, (t) =>
        influxql(
          `SELECT mean(/^${t.kind === 'raw' ? '' : 'mean_'}sweep_ms_/) FROM ${t.from('service')} ${t.whereAll(ofService('poller'))} GROUP BY time($__interval) fill(none)`,
        ).alias('$col'),
      ),
    }),
  );
  d.withPanel(
    timeSeries({
      title: 'Historian spool backlog',
      description:
        "Readings in the historian's spool not yet in InfluxDB (it grows while InfluxDB is away and drains after), and " +
        "lines InfluxDB refused, kept in the spool's dead-letter table.",
      unit: grafanaUnit('lines', 'spool backlog'),
      pos: grid.place(12, 8),
      minInterval,
      targets: perTier(input, (t) => [
        influxql(
          `SELECT ${t.max('backlog_lines')} FROM ${t.from('service')} ${t.whereAll(ofService('historian'))} GROUP BY time($__interval) fill(none)`,
        ).alias('backlog'),
        influxql(
          `SELECT ${t.max('dead_letter_lines')} FROM ${t.from('service')} ${t.whereAll(ofService('historian'))} GROUP BY time($__interval) fill(none)`,
        ).alias('dead letters'),
      ]),
    }),
  );
  return d;
}
