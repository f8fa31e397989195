import { MEASUREMENTS } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import {
  AGGREGATED_MEASUREMENTS,
  aggregateQuery,
  alarmCountQuery,
  operatorSetup,
  setUpRetention,
} from './retention-setup';

/** the shipped configuration's influx settings (config/cicenns.yaml) */
const cfg = loadSystemConfig(undefined, {}).app.influx;

describe("retention setup: the aggregate tier's continuous queries", () => {
  it('aggregates every reading kind but the alarm journal, and the services, in full', () => {
    expect(new Set(AGGREGATED_MEASUREMENTS)).toEqual(
      new Set([...MEASUREMENTS.filter((m) => m !== 'alarm'), 'service']),
    );
    const q = aggregateQuery(cfg);
    expect(q).toMatch(
      /^CREATE CONTINUOUS QUERY "cicenns_aggregate" ON "cicenns" RESAMPLE EVERY 1m FOR 120s BEGIN /,
    );
    expect(q).toContain(
      'SELECT mean(*), min(*), max(*), count(*) INTO "cicenns"."cicenns_1m".:MEASUREMENT FROM ',
    );
    for (const m of AGGREGATED_MEASUREMENTS) expect(q).toContain(`"cicenns"."cicenns_raw"."${m}"`);
    expect(q).not.toContain('"alarm"');
    expect(q).not.toContain('/.*/');
    expect(q).toMatch(/ GROUP BY time\(1m\), \* END$/);
  });

  it('counts the alarm journal per alarm id: count_state, count_quality, count_error only', () => {
    expect(alarmCountQuery(cfg)).toBe(
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_alarm" ON "cicenns" RESAMPLE EVERY 1m FOR 120s BEGIN ' +
        'SELECT count("state") AS "count_state", count("quality") AS "count_quality", count("error") AS "count_error" ' +
        'INTO "cicenns"."cicenns_1m"."alarm" FROM "cicenns"."cicenns_raw"."alarm" GROUP BY time(1m), * END',
    );
  });

  it('creates the three queries, and replaces one whose definition changed', async () => {
    const sent: string[] = [];
    const existing = new Set(['cicenns_aggregate_alarm']);
    const query = async (q: string) => {
      sent.push(q);
      const created = /^CREATE CONTINUOUS QUERY "([^"]+)"/.exec(q)?.[1];
      if (created && existing.has(created)) throw new Error(`continuous query already exists`);
      const dropped = /^DROP CONTINUOUS QUERY "([^"]+)"/.exec(q)?.[1];
      if (dropped) existing.delete(dropped);
      return /^SHOW RETENTION POLICIES/.test(q) ? { results: [{}] } : {};
    };
    await setUpRetention(cfg, query, () => undefined, ['vset']);
    const cqs = sent.filter((q) => /CONTINUOUS QUERY/.test(q)).map((q) => q.split(' ON ')[0]);
    expect(cqs).toEqual([
      'CREATE CONTINUOUS QUERY "cicenns_aggregate"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_alarm"',
      'DROP CONTINUOUS QUERY "cicenns_aggregate_alarm"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_alarm"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_held"',
    ]);
  });

  it('tells the operator of InfluxDB 2.x/3.x what to aggregate', () => {
    expect(operatorSetup(cfg, '2.7')).toContain('of alarm only count_state, count_quality, count_error');
  });
});
