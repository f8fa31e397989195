import type { PmtRunView, ProposalView, RunSummary, RunView, StepProgress } from '@cicenns/contracts';
import type { Detector } from '@cicenns/model';
import type { CommissioningStore, ProposalRecord, RunRecord } from '../store/commissioning-store';

export function proposalView(p: ProposalRecord): ProposalView {
  return {
    pmt: p.pmt,
    version: p.version,
    state: p.state,
    record: p.record as unknown as Record<string, unknown>,
    ...(p.previous && { previous: p.previous as unknown as Record<string, unknown> }),
    ...(p.decidedBy !== undefined && { decidedBy: p.decidedBy }),
    ...(p.decidedAt !== undefined && { decidedAt: p.decidedAt }),
    ...(p.comment !== undefined && { comment: p.comment }),
  };
}

/** A PMT's state in a run, from its steps. */
export function pmtState(steps: StepProgress[]): { state: PmtRunView['state']; step?: string } {
  const failed = steps.find((s) => s.state === 'failed');
  if (failed) return { state: 'failed', step: failed.id };
  const aborted = steps.find((s) => s.state === 'aborted');
  if (aborted) return { state: 'aborted', step: aborted.id };
  if (steps.every((s) => s.state === 'passed' || s.state === 'skipped')) return { state: 'passed' };
  const now = steps.find((s) => s.state === 'running' || s.state === 'waiting');
  if (now) return { state: 'running', step: now.id };
  if (steps.every((s) => s.state === 'pending')) return { state: 'pending' };
  const next = steps.find((s) => s.state === 'pending');
  // between two steps, or the run ended under it (aborted before it started)
  return steps.some((s) => s.state === 'skipped') && !next
    ? { state: 'aborted' }
    : { state: 'running', step: next?.id };
}

/** The whole view of a run, as the API, CLI, console and reports show it. */
export function buildRunView(store: CommissioningStore, detector: Detector, run: RunRecord): RunView {
  const steps = store.steps(run.runId);
  const proposals = new Map(store.proposalsOfRun(run.runId).map((p) => [p.pmt, p]));
  const pmts: PmtRunView[] = run.pmts.map((id) => {
    const pmt = detector.pmt(id);
    const group = pmt?.group ?? 'crystal';
    const byId = steps.get(id) ?? new Map<string, StepProgress>();
    const list = run.procedure.steps.map(
      (s) => byId.get(s.id) ?? { id: s.id, kind: s.kind, state: 'pending' as const, progress: 0 },
    );
    const { state, step } = pmtState(list);
    const proposal = proposals.get(id);
    return {
      pmt: id,
      group,
      tubeType: run.procedure.tubeTypes[group],
      state: state === 'running' && run.state === 'aborted' ? 'aborted' : state,
      ...(step !== undefined && { step }),
      steps: list,
      ...(proposal && { proposal: proposalView(proposal) }),
    };
  });
  const counts = { pending: 0, running: 0, passed: 0, failed: 0, aborted: 0 };
  for (const p of pmts) counts[p.state]++;
  return { ...summaryOf(store, run), pmts, counts };
}

export function summaryOf(store: CommissioningStore, run: RunRecord): RunSummary {
  const confirmations = store.confirmations(run.runId);
  const have = new Set(confirmations.map((c) => c.item));
  const steps = store.steps(run.runId);
  const counts = { pending: 0, running: 0, passed: 0, failed: 0, aborted: 0 };
  for (const id of run.pmts) {
    const byId = steps.get(id);
    const list = run.procedure.steps.map(
      (s) => byId?.get(s.id) ?? { id: s.id, kind: s.kind, state: 'pending' as const, progress: 0 },
    );
    const s = pmtState(list).state;
    counts[s === 'running' && run.state === 'aborted' ? 'aborted' : s]++;
  }
  return {
    runId: run.runId,
    procedure: run.procedure.id,
    title: run.procedure.title,
    target: run.target,
    state: run.state,
    ...(run.reason !== undefined && { reason: run.reason }),
    startedBy: run.startedBy,
    ...(run.origin !== undefined && { origin: run.origin }),
    startedAt: run.startedAt,
    ...(run.endedAt !== undefined && { endedAt: run.endedAt }),
    beam: run.beam ?? null,
    pendingConfirmations: run.manualItems.filter((i) => !have.has(i)),
    confirmations,
    counts,
  };
}
