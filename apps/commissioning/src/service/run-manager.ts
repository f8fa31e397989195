import { randomBytes } from 'node:crypto';
import type { ServiceLogger } from '@cicenns/common';
import type {
  ConfirmCommand,
  DecideCommand,
  ProposalView,
  RunCommand,
  RunSummary,
  RunView,
} from '@cicenns/contracts';
import type { Detector, Procedure } from '@cicenns/model';
import type { CalibrationBook } from '../calibration/calibration-book';
import type { DaqPort, DetectorStatePort, HvPort } from '../runner/ports';
import { RunExecution, waitingReason } from '../runner/run-execution';
import { buildRunView, proposalView, summaryOf } from '../runner/run-view';
import { manualItems, resolveTarget, RunRefused, voltageRefusals } from '../runner/targets';
import type { CommissioningStore, RunRecord } from '../store/commissioning-store';

export interface StartRequest {
  target: string | string[];
  procedure?: string;
  confirmations?: { item: string; by: string }[];
  user: string;
  origin?: string;
  comment?: string;
}

export interface RunManagerDeps {
  store: CommissioningStore;
  detector: Detector;
  procedures: Procedure[];
  state: DetectorStatePort;
  /** the HV actuator and DAQ client of a procedure (their timeouts are the procedure's) */
  hardware(procedure: Procedure): { hv: HvPort; daq: DaqPort };
  book: CalibrationBook;
  log: ServiceLogger;
  /** a run ended, or a decision was taken: its reports are written again */
  onRunChanged(runId: string): void;
  now?: () => number;
}

/**
 * The runs of the service: starts them (target resolved, limits checked, PMTs not in another
 * active run), continues those a previous process left active, and routes each command to its
 * run. Refusals throw RunRefused with the reason.
 */
export class RunManager {
  private readonly active = new Map<string, RunExecution>();
  private readonly now: () => number;
  private stopping = false;

  constructor(private readonly deps: RunManagerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Continue the runs that were waiting, running or paused when the last process ended. */
  resumeStored(): string[] {
    const ids: string[] = [];
    for (const run of this.deps.store.activeRuns()) {
      const procedure = run.procedure;
      this.deps.store.event({ runId: run.runId, ts: this.now(), kind: 'resume-after-restart' });
      this.deps.log.log(`run ${run.runId}: continued after a restart (${run.state})`);
      this.launch(run, procedure);
      ids.push(run.runId);
    }
    return ids;
  }

  activeCount(): number {
    return this.active.size;
  }

  /** the run id of an active run holding this PMT */
  runOf(pmt: string): string | undefined {
    for (const [id, e] of this.active) if (e.record.pmts.includes(pmt)) return id;
    return undefined;
  }

  start(cmd: StartRequest): RunView {
    if (this.stopping) throw new RunRefused('the commissioning service is stopping');
    const procedure = cmd.procedure
      ? this.deps.procedures.find((p) => p.id === cmd.procedure)
      : this.deps.procedures[0];
    if (!procedure)
      throw new RunRefused(
        `procedure: unknown procedure ${cmd.procedure} (the file has: ${this.deps.procedures.map((p) => p.id).join(', ')})`,
      );
    const pmts = resolveTarget(this.deps.detector, cmd.target);
    const busy = new Map<string, string[]>();
    for (const pmt of pmts) {
      const other = this.runOf(pmt);
      if (other) busy.set(other, [...(busy.get(other) ?? []), pmt]);
    }
    if (busy.size > 0)
      throw new RunRefused(
        [...busy]
          .map(([run, list]) => `${list.join(', ')} ${list.length === 1 ? 'is' : 'are'} in active run ${run}`)
          .join('; '),
      );
    const over = voltageRefusals(this.deps.detector, procedure, pmts);
    if (over.length > 0) throw new RunRefused(`refused, nothing applied: ${over.join('; ')}`);
    const items = manualItems(this.deps.detector, procedure, pmts);
    const unknownItems = (cmd.confirmations ?? []).filter((c) => !items.includes(c.item)).map((c) => c.item);
    if (unknownItems.length > 0)
      throw new RunRefused(
        `confirmations: unknown manual item ${unknownItems.join(', ')} (procedure ${procedure.id} has: ${items.join(', ') || 'none'})`,
      );
    const now = this.now();
    const beam = this.deps.state.beam();
    const confirmed = new Set((cmd.confirmations ?? []).map((c) => c.item));
    const pending = items.filter((i) => !confirmed.has(i));
    const run: RunRecord = {
      runId: `run-${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`,
      procedure,
      target: cmd.target,
      pmts,
      state: pending.length > 0 ? 'waiting' : 'running',
      ...(pending.length > 0 && { reason: waitingReason(pending) }),
      startedBy: cmd.user,
      origin: cmd.origin,
      comment: cmd.comment,
      startedAt: now,
      beam: beam ? { on: beam.on, power_kw: beam.power_kw, at: beam.ts } : null,
      manualItems: items,
    };
    const { store } = this.deps;
    store.transaction(() => {
      store.saveRun(run);
      store.event({
        runId: run.runId,
        ts: now,
        kind: 'start',
        detail: {
          by: cmd.user,
          origin: cmd.origin,
          target: cmd.target,
          procedure: procedure.id,
          pmts: pmts.length,
          beam: run.beam,
        },
      });
      for (const c of cmd.confirmations ?? []) {
        store.confirm(run.runId, { item: c.item, by: c.by, at: now });
        store.event({ runId: run.runId, ts: now, kind: 'confirm', detail: { item: c.item, by: c.by } });
      }
    });
    this.deps.log.log(
      `run ${run.runId}: started by ${cmd.user}, procedure ${procedure.id}, ${pmts.length} PMTs` +
        (pending.length ? `; ${run.reason}` : ''),
    );
    this.launch(run, procedure);
    return this.view(run.runId);
  }

  pause(cmd: RunCommand): RunView {
    this.execution(cmd.runId).pause(cmd.user);
    return this.view(cmd.runId);
  }

  resume(cmd: RunCommand): RunView {
    this.execution(cmd.runId).resume(cmd.user);
    return this.view(cmd.runId);
  }

  /** Answers once the abort is under way (the channels ramp down after it; the run says when done). */
  abort(cmd: RunCommand): RunView {
    void this.execution(cmd.runId)
      .abort(cmd.user)
      .catch((e: Error) => this.deps.log.error(e.message));
    return this.view(cmd.runId);
  }

  confirm(cmd: ConfirmCommand): RunView {
    this.execution(cmd.runId).confirm(cmd.items, cmd.user);
    return this.view(cmd.runId);
  }

  decide(cmd: DecideCommand, decision: 'approved' | 'rejected'): ProposalView[] {
    if (!this.deps.store.run(cmd.runId)) throw new RunRefused(`unknown run ${cmd.runId}`);
    const decided = this.deps.book.decide(
      cmd.runId,
      decision,
      { user: cmd.user, comment: cmd.comment },
      cmd.pmts,
    );
    this.deps.onRunChanged(cmd.runId);
    return decided.map(proposalView);
  }

  view(runId: string): RunView {
    const run = this.active.get(runId)?.record ?? this.deps.store.run(runId);
    if (!run) throw new RunRefused(`unknown run ${runId}`);
    return buildRunView(this.deps.store, this.deps.detector, run);
  }

  list(limit = 100): RunSummary[] {
    return this.deps.store
      .runs(limit)
      .map((r) => summaryOf(this.deps.store, this.active.get(r.runId)?.record ?? r));
  }

  /** Abort nothing: the runs stay active in the store and the next process continues them. */
  async stop(): Promise<void> {
    const runs = [...this.active.values()];
    this.stopping = true;
    await Promise.all(runs.map((e) => e.halt()));
    this.active.clear();
  }

  private execution(runId: string): RunExecution {
    const e = this.active.get(runId);
    if (e) return e;
    const stored = this.deps.store.run(runId);
    if (!stored) throw new RunRefused(`unknown run ${runId}`);
    throw new RunRefused(`run ${runId} is ${stored.state}`);
  }

  private launch(run: RunRecord, procedure: Procedure): void {
    const { hv, daq } = this.deps.hardware(procedure);
    const e = new RunExecution(run, {
      store: this.deps.store,
      detector: this.deps.detector,
      state: this.deps.state,
      hv,
      daq,
      log: this.deps.log,
      now: this.now,
      nextVersion: (pmt) => this.deps.book.nextVersion(pmt),
    });
    this.active.set(run.runId, e);
    void e.start().finally(() => {
      if (this.stopping) return;
      if (this.active.get(run.runId) === e) this.active.delete(run.runId);
      this.deps.onRunChanged(run.runId);
    });
  }
}
