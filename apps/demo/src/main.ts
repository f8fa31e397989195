import 'reflect-metadata';
import { loadSystemConfig } from '@cicenns/model';
import { runMain, type RunningService } from '@cicenns/common';
import { startSimulator, type Simulator } from '../../simulator/src';
import { startPoller } from '../../poller/src/poller.service';
import { startIntake } from '../../intake/src/start-intake';
import { startHistorian } from '../../historian/src/historian.service';
import { startApi, type Api } from '../../api/src/api.module';
import { startAlarms } from '../../alarms/src/alarms.module';
import { startCommissioning } from '../../commissioning/src/commissioning';
import { startEmbeddedBroker } from './embedded-broker';

/**
 * The whole system in one process on the simulated detector, with embedded defaults: an
 * in-process MQTT broker unless MQTT_URL names a real one, and the historian only when
 * INFLUX_URL (or influx.url in the config) names an InfluxDB. Production runs each service
 * as its own process (deploy/).
 */
runMain('demo', async () => {
  const cfg = loadSystemConfig();
  const running: RunningService[] = [];
  const say = (line: string) => process.stdout.write(`${line}\n`);

  if (!process.env.MQTT_URL) {
    const u = new URL(cfg.app.mqtt.url);
    const broker = await startEmbeddedBroker(u.hostname, Number(u.port || 1883));
    running.push({ stop: () => broker.close() });
    say(`demo: embedded MQTT broker on ${broker.url}`);
  }
  if (!cfg.app.influx.url && (cfg.app.intake.requireHistorian || cfg.app.poller.requireHistorian)) {
    // no historian in this process: waiting for its session would wait for ever
    cfg.app.intake.requireHistorian = false;
    cfg.app.poller.requireHistorian = false;
    say('demo: no historian, so intake and poller do not wait for one (intake/poller.requireHistorian off)');
  }
  // Consumers first, so nothing the simulator publishes at its start is missed (the first gains
  // of every PMT come right away, the next ones only ten minutes later): the API's live cache,
  // the alarm service, the historian, the intake; then the simulated detector and its poller.
  // Each entry starts one service and resolves once it is ready; they stop in reverse order.
  let api!: Api;
  let sim!: Simulator;
  const services: { name: string; start: () => Promise<RunningService> }[] = [
    {
      name: 'api',
      start: async () => {
        // no users file: one account per role with a fresh random password, printed below
        api = await startApi(cfg, { demoAccounts: true });
        return api;
      },
    },
    {
      name: 'alarms',
      start: async () => {
        const alarms = await startAlarms(cfg);
        say(`demo: alarm service with ${alarms.alarmCount} alarms, store ${cfg.app.alarms.storePath}`);
        return alarms;
      },
    },
    {
      // HV goes through the poller started below; the service waits for the readings itself
      name: 'commissioning',
      start: async () => {
        const commissioning = await startCommissioning(cfg);
        say(`demo: commissioning service, store ${cfg.app.commissioning.storePath}`);
        return commissioning;
      },
    },
    {
      name: 'historian',
      start: async () => {
        if (!cfg.app.influx.url) {
          const { windowMinutes } = cfg.app.api.recentHistory;
          say('demo: no InfluxDB configured (set INFLUX_URL to store history); no historian');
          say(
            `demo: trends show the last ${windowMinutes} min, kept in memory by the API; for more, ` +
              'INFLUX_URL=http://127.0.0.1:8086 npm run demo (an InfluxDB 1.x/2.x/3.x with the v1 API)',
          );
          return { stop: async () => undefined };
        }
        const historian = await startHistorian(cfg);
        say(`demo: historian writing to ${cfg.app.influx.url} (database ${cfg.app.influx.database})`);
        return historian;
      },
    },
    {
      name: 'intake',
      start: async () => {
        const intake = await startIntake(cfg);
        await intake.subscribed; // the historian above is ours: its session comes soon
        return intake;
      },
    },
    {
      name: 'simulator',
      start: async () => (sim = await startSimulator(cfg)),
    },
    {
      name: 'poller',
      start: async () => {
        const p = await startPoller(cfg);
        return { stop: () => p.stop() };
      },
    },
  ];
  for (const service of services) running.push(await service.start());

  say('');
  say('CICENNS slow control is running on the simulated detector:');
  say(`  shift console    ${api.url}/   (log in with an account below)`);
  say(`  health           ${api.url}/api/health`);
  say(`  all 94 PMTs      ${api.url}/api/pmts            (these three after logging in to the console)`);
  say(`  one PMT          ${api.url}/api/pmts/CsI01-A`);
  say(`  temperatures     ${api.url}/api/sensors`);
  say(`  metrics          ${api.url}/metrics`);
  say(`  API (OpenAPI)    ${api.url}/api/docs`);
  if (sim.httpUrl)
    say(`  simulator faults ${sim.httpUrl}/api/sim/faults  (truth: ${sim.httpUrl}/api/sim/truth)`);
  // commissioning needs the tubes off (its preconditions): the demo's shift view has them on
  say(
    `commissioning: the console's Commissioning tab, or (expert) cicenns commission run CsI01 --procedure quick; ` +
      `tubes must be off first (hv set CsI01 --off, or start the demo with SIM_HV_START=off)`,
  );
  if (api.demoPasswords) {
    const accounts = Object.entries(api.demoPasswords).map(([u, p]) => `${u}/${p}`);
    say(`demo accounts: ${accounts.join(', ')}`);
  }
  say('Ctrl-C stops it.');
  return async () => {
    for (const service of running.reverse()) await service.stop();
  };
});
