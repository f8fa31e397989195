import { closeBusClient, connectService, HealthReporter, subscribeAcked } from '@cicenns/bus';
import { BusRpc } from '@cicenns/bus/rpc';
import { describeError, serviceLogger, type RunningService, type ServiceLogger } from '@cicenns/common';
import {
  calibrationQuery,
  confirmCommand,
  decideCommand,
  reportQuery,
  runCommand,
  runQuery,
  runsQuery,
  startRunCommand,
  Topics,
} from '@cicenns/contracts';
import { loadProcedures, type Procedure, type SystemConfig } from '@cicenns/model';
import { z } from 'zod';
import { CalibrationBook } from './calibration/calibration-book';
import { DaqClient, DetectorState, HvActuator, HvWriteFailed } from './hardware';
import { renderReportHtml } from './report/report-html';
import { renderReportMarkdown } from './report/report-markdown';
import { CommandResponder, type Route } from './service/command-responder';
import { RunManager } from './service/run-manager';
import { RunReports } from './service/run-reports';
import { CommissioningStore } from './store/commissioning-store';

export const SERVICE = 'commissioning';

export interface Commissioning extends RunningService {
  runs: RunManager;
  store: CommissioningStore;
  /** the ids of the runs continued from the store at start-up */
  resumed: string[];
}

export interface CommissioningOptions {
  log?: ServiceLogger;
  now?: () => number;
  /** at start-up, wait this long for HV readings of the PMTs of runs to continue (default 30 s) */
  resumeWaitMs?: number;
}

/**
 * The commissioning service (SPEC 4): runs procedures PMT by PMT on the real hardware path (HV
 * through the poller, measurements from the DAQ), stores everything as it goes, proposes
 * calibrations and publishes the approved ones. Ready once subscribed; runs left active by a
 * previous process are continued.
 */
export async function startCommissioning(
  cfg: SystemConfig,
  opts: CommissioningOptions = {},
): Promise<Commissioning> {
  const log = opts.log ?? serviceLogger(SERVICE);
  const now = opts.now ?? Date.now;
  const { detector } = cfg;
  // a bad procedures file stops the start-up with file, path and reason (ConfigError)
  const procedures = loadProcedures(cfg.app.files.procedures, detector);
  const store = new CommissioningStore(cfg.app.commissioning.storePath);
  const client = connectService(cfg.app.mqtt, SERVICE, SERVICE);
  const rpc = new BusRpc(cfg.app.mqtt, `${SERVICE}-rpc`);
  const state = new DetectorState(detector, now);
  const hvWrites = { ok: 0, failed: 0 };
  const hardware = new Map<string, { hv: HvActuator; daq: DaqClient }>();
  const hardwareOf = (procedure: Procedure) => {
    let h = hardware.get(procedure.id);
    if (!h) {
      const hv = new HvActuator(rpc, state, detector, procedure.hv, log, now);
      // every HV write into the event log of the run it was made for: the audit of commissioning
      hv.onWrite((w) => {
        if (w.ok) hvWrites.ok++;
        else hvWrites.failed++;
        store.event({ runId: w.runId, ts: w.at, kind: 'hv-write', pmt: w.pmt, detail: { ...w } });
      });
      h = { hv, daq: new DaqClient(client, procedure.daq, log, now) };
      hardware.set(procedure.id, h);
    }
    return h;
  };
  const book = new CalibrationBook(store, detector, client, log, now);
  const reports = new RunReports(
    store,
    { html: renderReportHtml, md: renderReportMarkdown },
    cfg.app.site,
    log,
    now,
  );
  const runs: RunManager = new RunManager({
    store,
    detector,
    procedures,
    state,
    hardware: hardwareOf,
    book,
    log,
    onRunChanged: (runId) => writeReports(runId),
    // the poller or the broker did not answer (HvActuator's wording for RpcUnavailable): retried
    isTransient: (err) =>
      err instanceof HvWriteFailed && /whether it was written is unknown/.test(err.message),
    now,
  });
  const writeReports = (runId: string) => {
    try {
      const view = runs.view(runId);
      if (view.state === 'finished' || view.state === 'aborted') reports.write(view);
    } catch (err) {
      log.error(`run ${runId}: reports not written: ${describeError(err)}`);
    }
  };

  const c = Topics.commissioning;
  const route = <S extends z.ZodType>(schema: S, handle: (d: z.infer<S>) => unknown): Route =>
    ({ schema, handle }) as Route;
  const responder = new CommandResponder(
    client,
    {
      [c.cmd.start]: route(startRunCommand, (d) => runs.start(d)),
      [c.cmd.pause]: route(runCommand, (d) => runs.pause(d)),
      [c.cmd.resume]: route(runCommand, (d) => runs.resume(d)),
      [c.cmd.abort]: route(runCommand, (d) => runs.abort(d)),
      [c.cmd.confirm]: route(confirmCommand, (d) => runs.confirm(d)),
      [c.cmd.approve]: route(decideCommand, (d) => runs.decide(d, 'approved')),
      [c.cmd.reject]: route(decideCommand, (d) => runs.decide(d, 'rejected')),
      [c.query.procedures]: route(z.object({}).strict(), () => procedures.map(describeProcedure)),
      [c.query.runs]: route(runsQuery, (d) => runs.list(d.limit)),
      [c.query.run]: route(runQuery, (d) => runs.view(d.runId)),
      [c.query.report]: route(reportQuery, (d) => reports.get(runs.view(d.runId), d.format)),
      [c.query.reports]: route(z.object({ runId: z.string().max(100).optional() }).strict(), (d) =>
        store.reports(d.runId),
      ),
      [c.query.calibration]: route(calibrationQuery, (d) => {
        if (d.pmt && !detector.pmt(d.pmt)) throw new Error(`unknown PMT ${d.pmt}`);
        return book.history(d.pmt);
      }),
    },
    log,
  );

  client.on('message', (topic, payload) => {
    try {
      if (topic.startsWith(Topics.readingsPrefix)) return state.onBatch(topic, payload);
      if (responder.onMessage(topic, payload)) return;
      const answer = Topics.measure.answerPattern.exec(topic);
      if (answer) {
        // request ids are `<runId>-<n>`: the answer goes to the DAQ client of that run's procedure
        const procedure = runs.procedureOf(answer[1].replace(/-\d+$/, ''));
        const daq = (procedure ? hardware.get(procedure)?.daq : undefined) ?? [...hardware.values()][0]?.daq;
        daq?.onMessage(topic, payload);
      }
    } catch (err) {
      log.error(`${topic}: ${describeError(err)}`);
    }
  });
  const mqttState = { up: false, since: now() };
  client.on('connect', () => Object.assign(mqttState, { up: true, since: now() }));
  client.on('close', () => mqttState.up && Object.assign(mqttState, { up: false, since: now() }));
  client.on('error', (err) => log.warn(`mqtt: ${err.message}`));

  const startedAt = now();
  const health = new HealthReporter(client, SERVICE, () => {
    const daq: Record<string, number> = {};
    for (const h of hardware.values())
      for (const [k, v] of Object.entries(h.daq.counters())) daq[`daq_${k}`] = (daq[`daq_${k}`] ?? 0) + v;
    const st = state.counters();
    return {
      state: mqttState.up ? 'running' : 'degraded',
      startedAt,
      connections: { mqtt: { state: mqttState.up ? 'up' : 'down', since: mqttState.since } },
      counters: {
        runsActive: runs.activeCount(),
        commands: responder.counters.commands,
        commandsRejected: responder.counters.rejected,
        commandsRefused: responder.counters.refused,
        hvWritesOk: hvWrites.ok,
        hvWritesFailed: hvWrites.failed,
        ...daq,
        ...Object.fromEntries(Object.entries(st).map(([k, v]) => [`readings_${k}`, v])),
      },
    };
  });

  await subscribeAcked(client, [Topics.readingsAll, ...Topics.measure.answers, ...responder.topics]);
  health.start();
  const published = book.publishApproved();
  if (published > 0) log.log(`published the approved calibration of ${published} PMTs again`);

  // runs a previous process left active: go on once the HV readings of their PMTs are in
  const toResume = store.activeRuns().flatMap((r) => r.pmts);
  if (toResume.length > 0) await waitForReadings(state, toResume, opts.resumeWaitMs ?? 30_000);
  const resumed = runs.resumeStored();
  log.log(
    `ready: ${procedures.length} procedures from ${cfg.app.files.procedures}, store ${cfg.app.commissioning.storePath}` +
      (resumed.length ? `, continuing ${resumed.join(', ')}` : ''),
  );

  return {
    runs,
    store,
    resumed,
    stop: async () => {
      await runs.stop();
      await health.stop();
      await rpc.close().catch(() => undefined);
      await closeBusClient(client);
      store.close();
    },
  };
}

/** What the procedures query answers: the procedure with its resolved steps. */
function describeProcedure(p: Procedure) {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    maxParallel: p.maxParallel,
    tubeTypes: p.tubeTypes,
    steps: p.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title, byType: s.byType })),
  };
}

async function waitForReadings(state: DetectorState, pmts: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && pmts.some((p) => !state.hv(p))) await new Promise((r) => setTimeout(r, 200));
}
