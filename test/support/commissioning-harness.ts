/**
 * The commissioning service on real processes for test/commissioning*.e2e.ts: the simulator
 * with true tubes (spread, channels starting off, DCR settling), the poller and the
 * commissioning service from dist/, a short procedures file and a detector copy whose ramp
 * limits let a ramp take a second; commands and queries over MQTT as the API sends them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { parse, stringify } from 'yaml';
import { Topics, type RunView } from '@cicenns/contracts';
import { freePorts, ROOT, ServiceProcess, type ServiceName } from './processes';
import { testClient } from './mqtt';
import { waitFor } from './servers';
import { writeTestConfig } from './test-config';

/** The shipped procedure's manual items, confirmed up front by a named person. */
export const CONFIRMED = [
  { item: 'cables-checked', by: 'Ada Lovelace' },
  { item: 'light-tight', by: 'Ada Lovelace' },
];

/** the vset values the poller wrote to a PMT's channel, in order (its log of every HV write) */
export function vsetWrites(poller: ServiceProcess, pmt: string): number[] {
  const re = new RegExp(`hv ${pmt} vset=([0-9.]+) by .*: ok`, 'g');
  return [...poller.output.matchAll(re)].map((m) => Number(m[1]));
}

/** V/s: a 1400 V ramp in about 1.4 s */
export const TEST_RAMP_VPS = 1000;

/** A short procedure: the shipped steps with times of a second or two. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a YAML document the tests change freely
export function shortProcedures(): Record<string, any> {
  return {
    tubeTypes: { crystal: 'R877-100', veto: 'N2041' },
    procedures: [
      {
        id: 'short',
        title: 'PMT commissioning, short times (e2e)',
        maxParallel: 94,
        daq: {
          acceptTimeoutS: 5,
          resultMarginS: 10,
          whenBusy: 'wait',
          busyRetryS: 1,
          busyMaxWaitS: 60,
          retries: 1,
        },
        hv: { reachedToleranceV: 3, rampTimeFactor: 2, rampMarginS: 15, writeTimeoutS: 10 },
        steps: [
          {
            id: 'preconditions',
            kind: 'preconditions',
            params: {
              temperatureC: [15, 30],
              maxOffVmonV: 5,
              maxReadingAgeS: 10,
              manual: ['cables-checked', 'light-tight'],
            },
          },
          {
            id: 'low-voltage',
            kind: 'low-voltage',
            params: { imonTolerancePct: 15, settleS: 0.5 },
            byType: {
              'R877-100': { voltage: 300, dividerMOhm: 14 },
              N2041: { voltage: 200, dividerMOhm: 10 },
            },
          },
          {
            id: 'dcr-scan',
            kind: 'dcr-scan',
            params: { windowS: 1, settleSigma: 3, settleTolerancePct: 5, maxWindows: 8, settleS: 0 },
            byType: {
              'R877-100': { voltages: [1250, 1310, 1370, 1430, 1490], maxRateHz: 15000, minRateHz: 50 },
              N2041: { voltages: [800, 860, 920, 980, 1040], maxRateHz: 1500, minRateHz: 5 },
            },
          },
          {
            id: 'gain-curve',
            kind: 'gain-curve',
            params: {
              durationS: 2,
              betaRange: [4, 12],
              // 5 voltages (3 dof): a limit of 5 fails a good tube by chance 1 time in 550 (chi2 >
              // 15), one in six 94-tube runs; 12 (chi2 > 36) 1 in 13 million. The e2e files check
              // the flow and the fitted values, not how often chance fails a tube.
              maxChi2PerDof: 12,
              maxVopErrV: 15,
              matchTolerancePct: 3,
              settleS: 0,
            },
            byType: {
              'R877-100': { voltages: [1250, 1310, 1370, 1430, 1490], v0: 1400, targetGain: 3.6e6 },
              N2041: { voltages: [800, 860, 920, 980, 1040], v0: 900, targetGain: 1.4e7 },
            },
          },
          {
            id: 'stability',
            kind: 'stability',
            params: {
              holdS: 1,
              dcrWindowS: 1,
              gainDurationS: 2,
              // A reading fails the hold when it is beyond 3 sigma of its own error from the mean
              // and beyond this percentage. With 2 s gain and 1 s DCR windows the 3 sigma is 5-9 %
              // of a crystal tube's gain and 16-27 % of a veto tube's gain and DCR (135-370 Hz), so
              // with 5 % / 15 % noise alone failed a good tube's hold about 1 time in 1000
              // (crystal) to 1 in 120 (PSV09-A), 1-1.4 % per run of a 4-PMT e2e test (a Monte
              // Carlo of the simulator's Poisson counts and 1.5 / sqrt(n) gain scatter with the
              // real stabilityVerdict). 30 %: under 3e-4 for the quietest tube, and still fails a
              // gross wander; test/commissioning-faults.e2e.ts sets 5 % / 15 % to test the criterion.
              maxGainChangePct: 30,
              maxDcrChangePct: 30,
              minRounds: 3,
            },
          },
          {
            id: 'result',
            kind: 'result',
            params: { gainTempCoeffPerC: -0.003, dcrTempCoeffPerC: 0.05, switchOff: true },
          },
        ],
      },
    ],
  };
}

export interface CommissioningHarness {
  simUrl: string;
  dir: string;
  configFile: string;
  procs: Map<ServiceName, ServiceProcess>;
  mqtt: MqttClient;
  /** a command or query as the API sends it; a refusal rejects with the service's message */
  call<T = any>(topic: string, data: unknown, timeoutMs?: number): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  run(runId: string): Promise<RunView>;
  /** until the run is in one of these states */
  waitRun(runId: string, states: string[], timeoutMs?: number): Promise<RunView>;
  truth(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  fault(spec: Record<string, unknown>): Promise<string>;
  clearFaults(): Promise<void>;
  /** start the commissioning service again (after a kill), waiting until it is ready */
  startCommissioning(): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export async function startCommissioningHarness(o: {
  mqttUrl: string;
  tag: string;
  /** change the procedures document before it is written */
  procedures?: (doc: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  simEnv?: Record<string, string>;
  /** start the commissioning service (default true) */
  commissioning?: boolean;
}): Promise<CommissioningHarness> {
  const [hvPort, tempPort, simHttp] = await freePorts(3);
  const clientIdPrefix = `${o.tag}${process.pid}`;
  const { file, dir } = writeTestConfig({
    hvPort,
    tempPort,
    mqttUrl: o.mqttUrl,
    pollMs: 250,
    clientIdPrefix,
  });
  // the detector copy, the procedures file and the store in the test's own dir
  const cfg = parse(readFileSync(file, 'utf8'));
  const detector = parse(readFileSync(join(ROOT, 'config', 'detector.yaml'), 'utf8'));
  for (const g of ['crystal', 'veto']) detector.hvLimits[g].rampMaxVps = TEST_RAMP_VPS;
  writeFileSync(join(dir, 'detector.yaml'), stringify(detector));
  const doc = shortProcedures();
  o.procedures?.(doc);
  writeFileSync(join(dir, 'commissioning.yaml'), stringify(doc));
  cfg.files.detector = join(dir, 'detector.yaml');
  cfg.files.procedures = join(dir, 'commissioning.yaml');
  cfg.commissioning = { storePath: join(dir, 'commissioning.db') };
  writeFileSync(file, stringify(cfg));

  const simEnv = {
    SIM_TUBE_SPREAD: '1',
    SIM_HV_START: 'off',
    SIM_DCR_SETTLE_AMPLITUDE: '0.5',
    SIM_DCR_SETTLE_TAU_S: '0.3',
    SIM_SEED: '11',
    ...o.simEnv,
  };
  const env = { CICENNS_CONFIG: file, SIM_HTTP_PORT: String(simHttp) };
  const procs = new Map<ServiceName, ServiceProcess>();
  const sim = new ServiceProcess('simulator', { ...env, ...simEnv }).start();
  procs.set('simulator', sim);
  await sim.waitForOutput(/simulator: .*http/);
  procs.set('poller', new ServiceProcess('poller', env).start());
  const mqtt = await testClient(o.mqttUrl, `${clientIdPrefix}-test-${randomUUID().slice(0, 8)}`);
  const replies = new Map<string, (r: { response?: unknown; err?: { message?: string } }) => void>();
  mqtt.on('message', (_topic, payload) => {
    try {
      const r = JSON.parse(payload.toString());
      replies.get(r.id)?.(r);
    } catch {
      /* not ours */
    }
  });
  await mqtt.subscribeAsync(
    [`${Topics.commissioning.prefix}cmd/+/reply`, `${Topics.commissioning.prefix}query/+/reply`],
    { qos: 1 },
  );

  const startCommissioning = async () => {
    const p = new ServiceProcess('commissioning', env).start();
    procs.set('commissioning', p);
    await p.waitForOutput(/commissioning: ready/, 60_000);
    return p;
  };
  if (o.commissioning !== false) await startCommissioning();

  const h: CommissioningHarness = {
    simUrl: `http://127.0.0.1:${simHttp}`,
    dir,
    configFile: file,
    procs,
    mqtt,
    call: (topic, data, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const id = randomUUID();
        const t = setTimeout(() => {
          replies.delete(id);
          reject(new Error(`no reply on ${topic} within ${timeoutMs} ms`));
        }, timeoutMs);
        replies.set(id, (r) => {
          clearTimeout(t);
          replies.delete(id);
          if (r.err) reject(new Error(r.err.message ?? JSON.stringify(r.err)));
          else resolve(r.response as never);
        });
        mqtt.publish(topic, JSON.stringify({ pattern: topic, id, data }), { qos: 1 });
      }),
    run: (runId) => h.call(Topics.commissioning.query.run, { runId }),
    waitRun: async (runId, states, timeoutMs = 240_000) => {
      let last: RunView | undefined;
      await waitFor(
        `run ${runId} ${states.join('/')}`,
        async () => {
          last = await h.run(runId);
          return states.includes(last.state);
        },
        timeoutMs,
      );
      return last!;
    },
    truth: async () => (await fetch(`${h.simUrl}/api/sim/truth`)).json(),
    fault: async (spec) => {
      const r = await fetch(`${h.simUrl}/api/sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      const body = (await r.json()) as { id: string };
      if (!r.ok) throw new Error(`fault ${JSON.stringify(spec)}: ${r.status} ${JSON.stringify(body)}`);
      return body.id;
    },
    clearFaults: async () => {
      await fetch(`${h.simUrl}/api/sim/faults`, { method: 'DELETE' });
    },
    startCommissioning,
    stop: async () => {
      await mqtt.endAsync();
      for (const name of ['commissioning', 'poller', 'simulator'] as ServiceName[])
        await procs.get(name)?.stop();
    },
  };
  return h;
}
