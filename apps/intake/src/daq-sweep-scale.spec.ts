import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics, type Reading } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig } from '@cicenns/model';
import { DaqHandler } from './daq-handler';
import { DaqValidator } from './daq-validator';
import { IntakeStats } from './intake-stats';

/**
 * Bad input at scale (issue 13): one DCR sweep of a 45,000-PMT detector with some bad entries.
 * The good ones are forwarded, each bad one is counted with its reason. Nothing here is timed
 * (bench: the intake's cost for 45,000 vs 4,500 entries is in docs/PERFORMANCE.md).
 */
const dir = mkdtempSync(join(tmpdir(), 'sweep-45k-'));
writeGeneratedConfig({ pmts: 45_000 }, dir);
const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});

function sweepOf(ids: string[], bad: { unknown: number; notNumber: number; tooHigh: number }) {
  const rates: Record<string, unknown> = {};
  ids.forEach((id, i) => {
    if (i < bad.notNumber) rates[id] = 'high';
    else if (i < bad.notNumber + bad.tooHigh) rates[id] = 5e7;
    else rates[id] = 2900 + (i % 100);
  });
  for (let i = 0; i < bad.unknown; i++) rates[`GHOST${i}-A`] = 100;
  return JSON.stringify({ ts: Date.now(), window_s: 1, rates_hz: rates });
}

describe('a DCR sweep of 45,000 entries with bad ones', () => {
  it('stores the 44,850 good entries and counts each of the 150 bad ones with its reason', () => {
    const ids = cfg.detector.pmts.map((p) => p.id);
    expect(ids).toHaveLength(45_000);
    // 45,000 entries are ~1.2 MB: the sweep needs intake.maxPayloadBytes (and the broker's
    // max_packet_size) raised above their 64 KB / 1 MB defaults, or a DAQ that splits it
    const validator = new DaqValidator(cfg.detector, { ...cfg.app.intake, maxPayloadBytes: 4 * 2 ** 20 });
    const stats = new IntakeStats();
    const stored: Reading[] = [];
    const notices: string[] = [];
    const handler = new DaqHandler({
      validator,
      readings: { add: (r) => stored.push(...r) },
      stats,
      notify: (n) => notices.push(`${n.reason}: ${n.detail}`),
      warn: () => undefined,
    });
    const payload = sweepOf(ids.slice(0, 44_950), { unknown: 50, notNumber: 40, tooHigh: 60 });
    handler.handle(Topics.daq.sweepDcr, payload);
    expect(stored).toHaveLength(44_850);
    expect(new Set(stored.map((r) => r.id)).size).toBe(44_850);
    expect(stats.rejectedEntries).toEqual({ unknown_pmt: 50, schema: 40, out_of_range: 60 });
    expect(stats.counters()).toMatchObject({ accepted: 1, readingsAccepted: 44_850, rejectedEntries: 150 });
    // one bounded notice for the message, not 150
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^schema: 150 entries refused, first: rates_hz\./);
  });
});
