import { startAll } from './servers';

export default async function globalSetup(): Promise<void> {
  const s = await startAll();
  process.stdout.write(`\n[e2e] mosquitto ${s.mqttUrl}, influxd ${s.influxUrl}, data in ${s.dir}\n`);
}
