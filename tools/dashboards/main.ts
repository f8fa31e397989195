/**
 * npm run dashboards: writes dashboards/*.json from config/ (or $CICENNS_CONFIG) and
 * config/alarms.yaml. Run it after changing the detector, the profiles, the calibration or the
 * alarm levels; test/dashboards.spec.ts fails while the committed files are stale.
 */
import { readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'prettier';
import { dashboardJson, generateDashboards } from './generate';
import { loadDashboardInput } from './input';

async function main(): Promise<void> {
  const outDir = resolve(process.argv[2] ?? join(__dirname, '..', '..', '..', 'dashboards'));
  const boards = generateDashboards(loadDashboardInput());
  // a dashboard no longer generated must not stay provisioned
  for (const f of readdirSync(outDir)) if (f.endsWith('.json') && !boards.has(f)) unlinkSync(join(outDir, f));
  for (const [file, d] of boards) {
    const text = await format(dashboardJson(d), { parser: 'json', printWidth: 110 });
    writeFileSync(join(outDir, file), text);
    console.log(`dashboards: ${join(outDir, file)} (${d.panels?.length ?? 0} panels)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
