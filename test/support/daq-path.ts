import { ServiceProcess } from './processes';
import { writeTestConfig } from './test-config';

/**
 * The DAQ path's own services, intake and historian, as real processes on one test
 * configuration (no Modbus devices), started and ready to take messages.
 */
export async function startDaqPath(o: {
  mqttUrl: string;
  influxUrl: string;
  database: string;
  clientIdPrefix: string;
  /** extra node options for both, e.g. --cpu-prof */
  nodeArgs?: string[];
  /** extra environment for both, e.g. MALLOC_TRIM_THRESHOLD_ (a benchmark's variant) */
  env?: Record<string, string>;
}): Promise<{ intake: ServiceProcess; historian: ServiceProcess }> {
  const { nodeArgs, env: extraEnv, ...settings } = o;
  const { file } = writeTestConfig({ hvPort: 1, tempPort: 2, ...settings });
  const env = { ...extraEnv, CICENNS_CONFIG: file };
  const intake = new ServiceProcess('intake', env, nodeArgs).start();
  const historian = new ServiceProcess('historian', env, nodeArgs).start();
  await intake.waitForOutput(/intake: subscribed/);
  await historian.waitForOutput(/historian: .* -> /);
  return { intake, historian };
}
