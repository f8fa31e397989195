/**
 * bench/console-scale.ts's HV source in its own process (so building 45,000 readings a second
 * does not share an event loop with the page and the timed requests): one sweep of every PMT of
 * the configuration per second, one batch per crate. argv: mqttUrl configFile service. Prints
 * one JSON line per sweep: {sweepMs}.
 */
import { loadSystemConfig } from '@cicenns/model';
import { HvFeeder } from '../test/support/generated-api';

const [url, file, service] = process.argv.slice(2);
const pmts = loadSystemConfig(file, {}).detector.pmts;
const feeder = new HvFeeder(url, service);

async function main(): Promise<void> {
  await feeder.ready();
  for (;;) {
    const t0 = Date.now();
    await feeder.sweep(pmts);
    const sweepMs = Date.now() - t0;
    process.stdout.write(`${JSON.stringify({ sweepMs })}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - sweepMs)));
  }
}

process.on('SIGTERM', () => void feeder.close().then(() => process.exit(0)));
void main();
