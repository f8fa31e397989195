import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectService, subscribeAcked } from '@cicenns/bus';
import { Topics } from '@cicenns/contracts';
import type { SystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { DaqPublisher } from './daq/daq-publisher';
import { MeasurementDaq } from './daq/measurement-daq';
import { applyFaultCommand } from './faults/fault-commands';
import { FaultRegistry } from './faults/fault-registry';
import { SimulatorModule } from './http/simulator-http.module';
import { ModbusTcpServer } from './modbus/modbus-tcp-server';
import { RtuOverTcpServer } from './modbus/rtu-over-tcp-server';
import { SlaveSet } from './modbus/slave-set';
import { DetectorSim } from './physics/detector-sim';
import { nestLogger, Random, serviceLogger, type RunningService, type ServiceLogger } from '@cicenns/common';
import { loadSimSettings, type SimSettings } from './settings';

export interface SimulatorOptions {
  /** where the SIM_* variables come from; default process.env */
  env?: NodeJS.ProcessEnv;
  /** overrides on top of the SIM_* variables */
  settings?: Partial<SimSettings>;
  /** false: no HTTP server (a host app can mount SimulatorModule.forSimulation itself) */
  http?: boolean;
  /** default: the simulator's service logger */
  log?: ServiceLogger;
}

export interface Simulator extends RunningService {
  config: SystemConfig;
  settings: SimSettings;
  sim: DetectorSim;
  faults: FaultRegistry;
  daq: DaqPublisher;
  /** answers measurement requests (SPEC 2.4) */
  measure: MeasurementDaq;
  /** e.g. http://127.0.0.1:8090, when the HTTP server runs */
  httpUrl?: string;
  /** where each link is served: link id -> port */
  ports: Record<string, number>;
  startLine: string;
}

/**
 * Start the simulated detector: Modbus servers, physics clock, DAQ over MQTT, HTTP API. Resolves
 * once every server listens (the DAQ publishes as soon as the broker is reached).
 */
export async function startSimulator(config: SystemConfig, opts: SimulatorOptions = {}): Promise<Simulator> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? serviceLogger('simulator');
  const settings: SimSettings = { ...loadSimSettings(env), ...opts.settings };
  const rng = new Random(settings.seed);
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(config, faults, rng, settings, Date.now());

  const closers: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of closers.reverse()) await c();
    closers.length = 0;
  };
  try {
    const tick = setInterval(() => sim.tick(Date.now()), settings.tickMs);
    closers.push(() => clearInterval(tick));

    const ports: Record<string, number> = {};
    const parts: string[] = [];
    for (const link of config.app.links) {
      const devices = config.app.devices.filter((d) => d.link === link.id);
      const slaves = new SlaveSet(devices, config.profiles, sim, faults);
      if (link.type === 'rtu') {
        log.log(`link ${link.id} is a serial line (${link.path}): not simulated`);
        continue;
      }
      const server = link.type === 'tcp' ? new ModbusTcpServer(slaves) : new RtuOverTcpServer(slaves);
      const port = await server.listen(link.host, link.port).catch((err: Error) => {
        throw new Error(`cannot serve link ${link.id} on ${link.host}:${link.port}: ${err.message}`);
      });
      closers.push(() => server.close());
      ports[link.id] = port;
      const kind = link.type === 'tcp' ? 'modbus tcp' : 'rtu-over-tcp';
      parts.push(`${kind} ${link.host}:${port} (units ${slaves.unitIds().join(',')})`);
    }

    const mqttUrl = config.app.mqtt.url;
    const client = connectService(config.app.mqtt, `simulator-${process.pid}`, 'simulator', { clean: true });
    closers.push(() => new Promise<void>((r) => client.end(false, {}, () => r())));
    const daq = new DaqPublisher(sim, settings, client);
    const measure = new MeasurementDaq(sim, faults, rng, settings, client, log);
    sim.measurementState = () => ({ current: measure.current, counters: { ...measure.counters } });
    watchMqtt(client, mqttUrl, faults, daq, measure, log);
    daq.start();
    closers.push(() => daq.stop());
    closers.push(() => measure.stop());

    let httpUrl: string | undefined;
    if (opts.http !== false) {
      const app: INestApplication = await NestFactory.create(SimulatorModule.forSimulation(sim, faults), {
        logger: nestLogger('simulator', ['error', 'warn']),
      });
      closers.push(() => app.close());
      await app.listen(settings.httpPort, settings.httpHost).catch((err: Error) => {
        throw new Error(`cannot serve HTTP on ${settings.httpHost}:${settings.httpPort}: ${err.message}`);
      });
      const addr = app.getHttpServer().address() as AddressInfo;
      httpUrl = `http://${settings.httpHost}:${addr.port}`;
      parts.push(`http ${httpUrl}`);
    }
    parts.push(`mqtt ${mqttUrl}`);
    const started = `${parts.join(', ')}, seed ${settings.seed}`;
    log.log(started);
    const startLine = `simulator: ${started}`;
    return { config, settings, sim, faults, daq, measure, httpUrl, ports, startLine, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Log connection changes once each, take fault commands, publish everything on first connect. */
function watchMqtt(
  client: MqttClient,
  url: string,
  faults: FaultRegistry,
  daq: DaqPublisher,
  measure: MeasurementDaq,
  log: ServiceLogger,
): void {
  let first = true;
  let lastError = '';
  client.on('connect', () => {
    lastError = '';
    log.log(`mqtt connected to ${url}`);
    if (first) daq.publishAll();
    first = false;
  });
  subscribeAcked(client, [Topics.simFault]).then(
    () => log.log(`taking fault commands on ${Topics.simFault}`),
    (e: Error) => log.log(`no fault commands over MQTT: ${e.message}`),
  );
  subscribeAcked(client, [Topics.measure.request], 1).then(
    () => log.log(`taking measurement requests on ${Topics.measure.request}`),
    (e: Error) => log.log(`no measurement requests: ${e.message}`),
  );
  client.on('error', (err) => {
    if (err.message !== lastError) log.log(`mqtt ${url}: ${err.message} (retrying)`);
    lastError = err.message;
  });
  client.on('message', (topic, payload) => {
    if (topic === Topics.measure.request) return measure.handle(payload);
    if (topic !== Topics.simFault) return;
    const r = applyFaultCommand(faults, payload.toString());
    if (!r.ok) log.log(`fault command rejected: ${r.reason}`);
    else if ('added' in r) log.log(`fault ${r.added.id} injected: ${JSON.stringify(r.added)}`);
    else log.log(`faults cleared: ${r.cleared.map((f) => f.id).join(', ') || '(none)'}`);
  });
}
