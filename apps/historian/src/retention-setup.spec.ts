import { MEASUREMENTS } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import {
  continuousQuery,
  hvFieldsOf,
  operatorSetup,
  setUpRetention,
  tierQueries,
  wildcardMeasurements,
  type HvFields,
} from './retention-setup';

/** the shipped configuration (config/cicenns.yaml and its profiles) */
const shipped = loadSystemConfig(undefined, {});
const cfg = shipped.app.influx;
const hv = hvFieldsOf(shipped.profiles.values());

const byName = (fields: HvFields) => new Map(tierQueries(cfg, fields).map((q) => [q.name, q.select]));

describe("retention setup: the aggregate tier's continuous queries", () => {
  it("the shipped profiles' HV fields: the set values held, vmon, imon, status measured", () => {
    expect(new Set(hv.held)).toEqual(new Set(['vset', 'iset', 'power', 'ramp_up', 'ramp_down', 'trip_time']));
    expect(hv.measured).toEqual(expect.arrayContaining(['vmon', 'imon', 'status']));
    expect(hv.measured.filter((f) => hv.held.includes(f))).toEqual([]);
  });

  it('every field of every measurement but the alarm journal and hv: mean, min, max, count', () => {
    expect(new Set(wildcardMeasurements(hv))).toEqual(
      new Set([...MEASUREMENTS.filter((m) => m !== 'alarm' && m !== 'hv'), 'service']),
    );
    const q = continuousQuery(cfg, tierQueries(cfg, hv)[0]);
    expect(q).toMatch(
      /^CREATE CONTINUOUS QUERY "cicenns_aggregate" ON "cicenns" RESAMPLE EVERY 1m FOR 120s BEGIN /,
    );
    expect(q).toContain(
      'SELECT mean(*), min(*), max(*), count(*) INTO "cicenns"."cicenns_1m".:MEASUREMENT FROM ',
    );
    for (const m of wildcardMeasurements(hv)) expect(q).toContain(`"cicenns"."cicenns_raw"."${m}"`);
    expect(q).not.toMatch(/"(alarm|hv)"/);
    expect(q).not.toContain('/.*/');
    expect(q).toMatch(/ GROUP BY time\(1m\), \* END$/);
  });

  it("hv: its measured fields by name, with the readings' counts; the set values only as last_", () => {
    const q = byName(hv);
    expect(q.get('cicenns_aggregate_hv')).toBe(
      `SELECT ${hv.measured
        .flatMap((f) => ['mean', 'min', 'max', 'count'].map((fn) => `${fn}("${f}") AS "${fn}_${f}"`))
        .join(', ')}, count("quality") AS "count_quality", count("error") AS "count_error" ` +
        'INTO "cicenns"."cicenns_1m"."hv" FROM "cicenns"."cicenns_raw"."hv"',
    );
    expect(q.get('cicenns_aggregate_hv')).not.toMatch(/"vset"|"iset"|"power"/);
    expect(q.get('cicenns_aggregate_held')).toBe(
      `SELECT ${hv.held.map((f) => `last("${f}") AS "last_${f}"`).join(', ')} ` +
        'INTO "cicenns"."cicenns_1m"."hv" FROM "cicenns"."cicenns_raw"."hv"',
    );
  });

  it('the alarm journal: count_state, count_quality, count_error per alarm id only', () => {
    expect(
      continuousQuery(
        cfg,
        tierQueries(cfg, hv).find((q) => q.name === 'cicenns_aggregate_alarm')!,
      ),
    ).toBe(
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_alarm" ON "cicenns" RESAMPLE EVERY 1m FOR 120s BEGIN ' +
        'SELECT count("state") AS "count_state", count("quality") AS "count_quality", count("error") AS "count_error" ' +
        'INTO "cicenns"."cicenns_1m"."alarm" FROM "cicenns"."cicenns_raw"."alarm" GROUP BY time(1m), * END',
    );
  });

  it('without the HV fields (a caller that has no profiles) hv is aggregated in full, nothing held', () => {
    const q = byName({ held: [], measured: [] });
    expect([...q.keys()]).toEqual(['cicenns_aggregate', 'cicenns_aggregate_alarm']);
    expect(q.get('cicenns_aggregate')).toContain('"cicenns"."cicenns_raw"."hv"');
  });

  it('creates the four queries, and replaces one whose definition changed', async () => {
    const sent: string[] = [];
    const existing = new Set(['cicenns_aggregate']);
    const query = async (q: string) => {
      sent.push(q);
      const created = /^CREATE CONTINUOUS QUERY "([^"]+)"/.exec(q)?.[1];
      if (created && existing.has(created)) throw new Error(`continuous query already exists`);
      const dropped = /^DROP CONTINUOUS QUERY "([^"]+)"/.exec(q)?.[1];
      if (dropped) existing.delete(dropped);
      return /^SHOW RETENTION POLICIES/.test(q) ? { results: [{}] } : {};
    };
    await setUpRetention(cfg, query, () => undefined, hv);
    const cqs = sent.filter((q) => /CONTINUOUS QUERY/.test(q)).map((q) => q.split(' ON ')[0]);
    expect(cqs).toEqual([
      'CREATE CONTINUOUS QUERY "cicenns_aggregate"',
      'DROP CONTINUOUS QUERY "cicenns_aggregate"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_hv"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_alarm"',
      'CREATE CONTINUOUS QUERY "cicenns_aggregate_held"',
    ]);
  });

  it('computed by the historian: the policies as ever, and our continuous queries dropped, none created', async () => {
    const mine = {
      ...cfg,
      tiers: { ...cfg.tiers, aggregate: { ...cfg.tiers.aggregate, computedBy: 'historian' as const } },
    };
    const sent: string[] = [];
    const query = async (q: string) => {
      sent.push(q);
      if (/^DROP CONTINUOUS QUERY "cicenns_aggregate_held"/.test(q))
        throw new Error('continuous query not found');
      return /^SHOW RETENTION POLICIES/.test(q) ? { results: [{}] } : {};
    };
    await setUpRetention(mine, query, () => undefined, hv);
    expect(sent.filter((q) => /RETENTION POLICY "cicenns_1m"/.test(q))).toHaveLength(1);
    expect(sent.filter((q) => /CONTINUOUS QUERY/.test(q)).map((q) => q.split(' ON ')[0])).toEqual([
      'DROP CONTINUOUS QUERY "cicenns_aggregate"',
      'DROP CONTINUOUS QUERY "cicenns_aggregate_hv"',
      'DROP CONTINUOUS QUERY "cicenns_aggregate_alarm"',
      'DROP CONTINUOUS QUERY "cicenns_aggregate_held"',
    ]);
    expect(operatorSetup(mine, '2.7')).toContain('the historian writes the aggregates itself');
  });

  it('tells the operator of InfluxDB 2.x/3.x what to aggregate', () => {
    expect(operatorSetup(cfg, '2.7')).toContain(
      'of hv not the set values; of alarm only count_state, count_quality, count_error',
    );
  });
});
