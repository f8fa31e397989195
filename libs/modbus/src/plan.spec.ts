import { loadSystemConfig } from '@cicenns/model';
import { planDevicePoll, planReads, plannedItems } from './plan';

const cfg = loadSystemConfig(undefined, {});
const hv = cfg.profiles.get('generic-hv')!;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('read planning', () => {
  it('covers 30 crystal channels in the minimum of 4 reads (477 registers / 125)', () => {
    const blocks = planDevicePoll(hv, 1, range(30));
    expect(blocks).toHaveLength(4);
    expect(blocks.every((b) => b.count <= 125 && b.unitId === 1 && b.table === 'holding')).toBe(true);
    expect(blocks.flatMap((b) => b.items)).toHaveLength(30 * hv.poll.length);
  });

  it('covers 64 veto channels in 8 reads (8 channels of 16 registers, reserved tail skipped)', () => {
    expect(planDevicePoll(hv, 2, range(64))).toHaveLength(8);
  });

  it('every item lies inside its block', () => {
    for (const b of planDevicePoll(hv, 2, range(64))) {
      for (const it of b.items) {
        expect(it.address).toBeGreaterThanOrEqual(b.start);
        expect(it.address + it.count).toBeLessThanOrEqual(b.start + b.count);
      }
    }
  });

  it('does not bridge gaps wider than maxGap', () => {
    const items = plannedItems(hv, 1, [0, 10], ['vmon']); // addresses 4 and 164
    expect(planReads(items, 125, 16)).toHaveLength(2);
    expect(planReads(items, 125, 1000)).toHaveLength(2); // 162 registers > 125
    expect(planReads(plannedItems(hv, 1, [0, 5], ['vmon']), 125, 100)).toHaveLength(1);
  });

  it('unit id per channel and separate tables become separate reads', () => {
    const vx = cfg.profiles.get('vendor-x-hv')!;
    const blocks = planDevicePoll(vx, 10, [0, 1, 2]);
    // per unit: holding (vset, iset, power: 0..2) and input (vmon, imon, status: 0..3)
    expect(blocks).toHaveLength(6);
    expect(new Set(blocks.map((b) => b.unitId))).toEqual(new Set([10, 11, 12]));
    expect(blocks.find((b) => b.unitId === 11 && b.table === 'input')).toMatchObject({ start: 0, count: 4 });
  });
});
