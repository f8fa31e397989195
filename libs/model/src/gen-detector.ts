/**
 * `npm run gen:detector -- --pmts N --out DIR [--port-base 5020]`: writes the configuration of a
 * generated detector of N PMTs (writeGeneratedConfig), then loads it with loadSystemConfig, so
 * what it wrote is known to be accepted, and says how long that took.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGeneratedConfig } from './generate-detector';
import { loadSystemConfig } from './load-config';

function main(): number {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string' },
      out: { type: 'string' },
      'port-base': { type: 'string', default: '5020' },
    },
  });
  if (!values.pmts || !values.out) {
    process.stderr.write('usage: gen:detector -- --pmts N --out DIR [--port-base 5020]\n');
    return 2;
  }
  const out = resolve(values.out);
  const g = writeGeneratedConfig({ pmts: Number(values.pmts), portBase: Number(values['port-base']) }, out);
  const t0 = process.hrtime.bigint();
  const cfg = loadSystemConfig(join(out, 'cicenns.yaml'), {});
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(
    `wrote ${out}: ${cfg.detector.pmts.length} PMTs (${g.crystals} crystals, ${g.panels} panels), ` +
      `${g.hvCrates} HV crates behind ${g.hvGateways} gateways, ${g.sensors} sensors on ` +
      `${g.transmitters} transmitters, ${g.tempLines} serial lines; loadSystemConfig ${ms.toFixed(0)} ms\n`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`gen:detector: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
