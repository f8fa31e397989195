import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestException } from '@nestjs/common';
import { loadSystemConfig, writeGeneratedConfig } from '@cicenns/model';
import { describeZodError } from '../http/zod-pipe';
import { groupsQuerySchema, MAX_PAGE, pmtsQuerySchema, selectGroups, selectPmts } from './pmt-query';
import { PmtStates } from './pmt-states';

const dir = mkdtempSync(join(tmpdir(), 'pmt-query-'));
writeGeneratedConfig({ pmts: 5000 }, dir);
const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});
rmSync(dir, { recursive: true, force: true });
const states = new PmtStates(cfg);

const parse = (q: Record<string, unknown>) => pmtsQuerySchema.parse(q);
const ids = (q: Record<string, unknown>) =>
  selectPmts(parse(q), states, cfg.detector).items.map((i) => states.ids[i]);
const problem = (q: Record<string, unknown>) => {
  const r = pmtsQuerySchema.safeParse(q);
  if (!r.success) return describeZodError(r.error);
  try {
    selectPmts(r.data, states, cfg.detector);
    return 'accepted';
  } catch (e) {
    return (e as BadRequestException).message;
  }
};

describe('/api/pmts selection on a generated 5,000-PMT detector', () => {
  it('pages in inventory order with the total, at most MAX_PAGE a page', () => {
    const first = selectPmts(parse({}), states, cfg.detector);
    expect(first).toMatchObject({ total: 5000, offset: 0, limit: MAX_PAGE });
    expect(first.items).toHaveLength(MAX_PAGE);
    const seen: number[] = [];
    for (let offset = 0; offset < 5000; offset += 700) {
      const p = selectPmts(parse({ limit: '700', offset: String(offset) }), states, cfg.detector);
      expect(p.total).toBe(5000);
      seen.push(...p.items);
    }
    expect(seen).toEqual([...Array(5000).keys()]);
    expect(selectPmts(parse({ offset: '5000' }), states, cfg.detector)).toMatchObject({
      items: [],
      total: 5000,
    });
  });

  it('filters by kind, crystal or panel, crate, ids, prefix and commissioned, all at once', () => {
    expect(selectPmts(parse({ group: 'crystal' }), states, cfg.detector).total).toBe(
      2 * cfg.detector.crystals.length,
    );
    expect(ids({ parent: 'CsI0001,PSV0002' })).toEqual(['CsI0001-A', 'CsI0001-B', 'PSV0002-A', 'PSV0002-B']);
    const crate = selectPmts(parse({ crate: 'hv-veto-01' }), states, cfg.detector);
    expect(crate.total).toBe(64);
    expect(crate.items.every((i) => cfg.detector.pmts[i].hv.device === 'hv-veto-01')).toBe(true);
    expect(ids({ pmts: 'PSV0009-B,CsI0002-A', group: 'veto' })).toEqual(['PSV0009-B']);
    expect(ids({ prefix: 'CsI001', limit: '3' })).toEqual(['CsI0010-A', 'CsI0010-B', 'CsI0011-A']);
    // the generated calibration file holds datasheet figures only
    expect(selectPmts(parse({ commissioned: 'true' }), states, cfg.detector).total).toBe(0);
    expect(
      selectPmts(parse({ commissioned: 'false', crate: 'hv-veto-01' }), states, cfg.detector).total,
    ).toBe(64);
  });

  it('filters by state', () => {
    const s = new PmtStates(cfg);
    const r = { m: 'hv', ts: Date.now(), quality: 'good', fields: { status: 65 }, source: 'x' } as const;
    const tripped = ['PSV0100-A', 'CsI0003-B'].map((id) => ({ ...r, id }));
    s.onReadings(tripped, (id) => tripped.find((t) => t.id === id));
    const p = selectPmts(parse({ state: 'trip,alarm' }), s, cfg.detector);
    expect(p.items.map((i) => s.ids[i])).toEqual(['CsI0003-B', 'PSV0100-A']);
    expect(
      selectGroups(groupsQuerySchema.parse({ by: 'crate', state: 'trip' }), s).items.map((g) => g.id),
    ).toEqual([cfg.detector.pmt('CsI0003-B')!.hv.device, cfg.detector.pmt('PSV0100-A')!.hv.device]);
  });

  it('refuses a bad parameter with a message naming it', () => {
    expect(problem({ limit: '0' })).toMatch(/^limit: /);
    expect(problem({ limit: String(MAX_PAGE + 1) })).toMatch(/^limit: .*1000/);
    expect(problem({ offset: '-1' })).toMatch(/^offset: /);
    expect(problem({ group: 'detector' })).toMatch(/^group: /);
    expect(problem({ state: 'on,burning' })).toMatch(/^state\.1: /);
    expect(problem({ commissioned: 'yes' })).toMatch(/^commissioned: /);
    expect(problem({ color: 'red' })).toMatch(/color/);
    expect(problem({ limit: ['1', '2'] })).toMatch(/^limit: /); // a repeated parameter
    expect(problem({ crate: 'hv-nowhere' })).toBe(
      'crate: no HV crate "hv-nowhere" in the detector inventory',
    );
    expect(problem({ parent: 'CsI0001,CsI9999' })).toMatch(/^parent: no crystal or panel "CsI9999"/);
    expect(problem({ pmts: 'CsI0001-C' })).toMatch(/^pmts: no PMT "CsI0001-C"/);
    expect(problem({ pmts: Array(1001).fill('CsI0001-A').join(',') })).toMatch(/^pmts: at most 1000/);
  });
});

describe('/api/groups on a generated 5,000-PMT detector', () => {
  it('summarises each HV crate, crystal or panel and kind, paged', () => {
    const crates = selectGroups(groupsQuerySchema.parse({}), states);
    expect(crates.total).toBe(new Set(cfg.detector.pmts.map((p) => p.hv.device)).size);
    expect(crates.items[0]).toEqual({
      id: 'hv-crystal-01',
      pmts: 64,
      counts: { on: 0, ramp: 0, off: 0, 'no-data': 64, warning: 0, trip: 0, alarm: 0 },
      worst: 'no-data',
    });
    const parents = selectGroups(
      groupsQuerySchema.parse({ by: 'parent', limit: '10', offset: '2490' }),
      states,
    );
    expect(parents).toMatchObject({ total: 2500, offset: 2490 });
    expect(parents.items).toHaveLength(10);
    expect(selectGroups(groupsQuerySchema.parse({ by: 'kind' }), states).items.map((g) => g.pmts)).toEqual([
      2 * cfg.detector.crystals.length,
      2 * cfg.detector.panels.length,
    ]);
    expect(groupsQuerySchema.safeParse({ by: 'rack' }).success).toBe(false);
  });
});
