import { deviceDown, historianBacklog, staleness } from './data-quality-rules';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';

const { rules } = defaultRuleConfig();

describe('stale', () => {
  it('after staleAfterPeriods expected periods without a reading', () => {
    expect(staleness(29_000, 10_000, 'dcr', rules.stale).severity).toBeUndefined();
    const v = staleness(31_000, 10_000, 'dcr', rules.stale);
    expect(v).toMatchObject({ severity: 'warning', value: 31, limit: 30, unit: 's' });
    expect(v.message).toBe('no dcr reading for 31 s (expected every 10 s)');
  });
});

describe('device-down', () => {
  it('follows the poller connection state', () => {
    const v = deviceDown({ state: 'down', detail: 'timeout' }, rules['device-down']);
    expect(v).toMatchObject({ severity: 'alarm', message: 'device does not answer: timeout' });
    expect(deviceDown({ state: 'up' }, rules['device-down']).severity).toBeUndefined();
    expect(deviceDown({ state: 'connecting' }, rules['device-down']).severity).toBeUndefined();
  });
});

describe('historian-backlog', () => {
  const p = rules['historian-backlog']; // 1e5 / 1e6 lines, 5 min / 1 h, clear at 50 %
  it('raises on lines or age, clears below half the limit', () => {
    expect(historianBacklog(50_000, 60_000, p, undefined).severity).toBeUndefined();
    expect(historianBacklog(150_000, 60_000, p, undefined)).toMatchObject({
      severity: 'warning',
      value: 150_000,
      limit: 100_000,
    });
    expect(historianBacklog(10, 400_000, p, undefined).severity).toBe('warning');
    expect(historianBacklog(2_000_000, 0, p, undefined)).toMatchObject({
      severity: 'alarm',
      limit: 1_000_000,
    });
    expect(historianBacklog(10, 4_000_000, p, undefined).severity).toBe('alarm');
    expect(historianBacklog(600_000, 0, p, 'alarm').severity).toBe('alarm');
    expect(historianBacklog(400_000, 0, p, 'alarm').severity).toBe('warning');
    expect(historianBacklog(60_000, 0, p, 'warning').severity).toBe('warning');
    expect(historianBacklog(40_000, 0, p, 'warning').severity).toBeUndefined();
  });
});
