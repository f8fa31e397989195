/**
 * Bad input at scale (issue 13): the intake's cost for one DCR sweep of 45,000 entries vs 4,500,
 * each with 1 % bad entries (unknown PMT, not a number, above the bound), on a generated
 * 45,000-PMT detector. Linear means a ratio near 10.
 *
 *   npm run bench:sweep-scale
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig } from '@cicenns/model';
import { DaqValidator } from '../apps/intake/src/daq-validator';
import { IntakeStats } from '../apps/intake/src/intake-stats';

function sweep(ids: string[]): string {
  const rates: Record<string, unknown> = {};
  ids.forEach((id, i) => {
    const k = i % 300; // 1 % bad: a third each kind
    rates[k === 0 ? `GHOST${i}-A` : id] = k === 1 ? 'high' : k === 2 ? 5e7 : 2900 + (i % 100);
  });
  return JSON.stringify({ ts: Date.now(), window_s: 1, rates_hz: rates });
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-scale-'));
  writeGeneratedConfig({ pmts: 45_000 }, dir);
  const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});
  rmSync(dir, { recursive: true, force: true });
  const validator = new DaqValidator(cfg.detector, { ...cfg.app.intake, maxPayloadBytes: 4 * 2 ** 20 });
  const ids = cfg.detector.pmts.map((p) => p.id);
  const rows: string[] = [];
  const median: Record<number, number> = {};
  for (const n of [4_500, 45_000]) {
    const payload = sweep(ids.slice(0, n));
    const times: number[] = [];
    let stats = new IntakeStats();
    for (let i = 0; i < 15; i++) {
      stats = new IntakeStats();
      const t0 = process.hrtime.bigint();
      stats.record(validator.validate(Topics.daq.sweepDcr, payload));
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    median[n] = times[7];
    rows.push(
      `| ${n.toLocaleString('en')} | ${(payload.length / 1024).toFixed(0)} KB | ${times[7].toFixed(1)} | ` +
        `${((times[7] * 1000) / n).toFixed(2)} | ${stats.readings} | ${JSON.stringify(stats.rejectedEntries)} |`,
    );
  }
  process.stdout.write(
    '| entries | payload | median ms | us per entry | stored | refused entries by reason |\n|---|---|---|---|---|---|\n' +
      rows.join('\n') +
      `\n\nratio 45,000 / 4,500: ${(median[45_000] / median[4_500]).toFixed(1)} (linear: 10)\n`,
  );
}

main();
