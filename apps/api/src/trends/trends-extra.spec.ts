import { extraRegisters, hvProfileOf, loadSystemConfig } from '@cicenns/model';
import { planTrend, trendsQuerySchema } from './trends-query';

const cfg = loadSystemConfig(undefined, {});
const now = 1_800_000_000_000;
const extras = (id: string) => extraRegisters(hvProfileOf(cfg, id));
const plan = (q: Record<string, string>) => planTrend(trendsQuerySchema.parse(q), cfg.detector, now, extras);

describe("trends of a profile's extra registers", () => {
  it("an extra register of the PMT's crate profile is a field of hv, with its unit", () => {
    const p = plan({ measurement: 'hv', field: 'trip_time', subject: 'CsI01-A' });
    expect(p).toMatchObject({ field: 'trip_time', unit: 's' });
    expect(typeof p !== 'string' && p.subjectWhere).toBe(`"pmt" = 'CsI01-A'`);
  });

  it('a register the profile does not have is refused with the list', () => {
    expect(plan({ measurement: 'hv', field: 'board_temp', subject: 'CsI01-A' })).toMatch(
      /^field: "board_temp" is not a field of hv \(one of .*trip_time/,
    );
  });

  it('without the extras (the default), only the whitelist', () => {
    const q = trendsQuerySchema.parse({ measurement: 'hv', field: 'trip_time', subject: 'CsI01-A' });
    expect(planTrend(q, cfg.detector, now)).toMatch(/^field: "trip_time" is not a field of hv/);
  });
});
