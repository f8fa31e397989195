/**
 * How `cicenns commission run` and `status --watch` show a run as it goes: what changed between
 * two polls of the run (steps started and ended, the run waiting or ending), printed as plain
 * lines without a terminal, or as one progress bar per PMT (its steps so far, the step running and
 * the value being measured) with each step's verdict printed above the bars.
 */
import type { PmtRunView, RunView, StepProgress } from '@cicenns/contracts';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

export type RunEvent =
  | { kind: 'step-started'; pmt: string; step: StepProgress }
  | { kind: 'step-ended'; pmt: string; step: StepProgress }
  | { kind: 'run'; run: RunView };

const ENDED = new Set(['passed', 'failed', 'skipped', 'aborted']);
const VERDICT: Record<string, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  skipped: 'SKIP',
  aborted: 'ABORTED',
};

/** What happened between two views of a run (prev undefined: the first view). */
export function runEvents(prev: RunView | undefined, next: RunView): RunEvent[] {
  const events: RunEvent[] = [];
  if (!prev || prev.state !== next.state || prev.reason !== next.reason)
    events.push({ kind: 'run', run: next });
  const before = new Map(prev?.pmts.map((p) => [p.pmt, p]));
  for (const p of next.pmts) {
    const old = new Map(before.get(p.pmt)?.steps.map((s) => [s.id, s]));
    for (const s of p.steps) {
      const was = old.get(s.id)?.state ?? 'pending';
      if (was === s.state) continue;
      if (s.state === 'running' && was !== 'running')
        events.push({ kind: 'step-started', pmt: p.pmt, step: s });
      // a skipped step is said once, in the PMT's failure line, not per step
      else if (ENDED.has(s.state) && s.state !== 'skipped')
        events.push({ kind: 'step-ended', pmt: p.pmt, step: s });
    }
  }
  return events;
}

/** "CsI01-A dcr-scan PASS: DCR 510 Hz <= 2000 Hz at 1500 V" */
export function verdictLine(pmt: string, s: StepProgress): string {
  const why = s.verdict ?? failedChecks(s) ?? '';
  return `${pmt} ${s.id} ${VERDICT[s.state] ?? s.state.toUpperCase()}${why ? `: ${why}` : ''}`;
}

function failedChecks(s: StepProgress): string | undefined {
  const bad = (s.checks ?? []).filter((c) => !c.pass);
  return bad.length
    ? bad
        .map((c) => `${c.name} ${String(c.value)}${c.unit ? ` ${c.unit}` : ''} (limit ${c.limit})`)
        .join('; ')
    : undefined;
}

export function runLine(r: RunView): string {
  const c = r.counts;
  const counts = `${c.passed} passed, ${c.failed} failed, ${c.running} running, ${c.pending} pending${c.aborted ? `, ${c.aborted} aborted` : ''}`;
  const confirm = r.pendingConfirmations.length
    ? ` (to confirm: ${r.pendingConfirmations.join(', ')}: cicenns commission confirm ${r.runId} <item...>)`
    : '';
  return `run ${r.runId} ${r.state}${r.reason ? `: ${r.reason}` : ''}${confirm} [${counts}]`;
}

export function eventLine(e: RunEvent): string {
  switch (e.kind) {
    case 'run':
      return runLine(e.run);
    case 'step-started':
      return `${e.pmt} ${e.step.id} started`;
    case 'step-ended':
      return verdictLine(e.pmt, e.step);
  }
}

export function liveText(s: StepProgress | undefined): string {
  const l = s?.live;
  if (!l) return '';
  const v =
    Math.abs(l.value) >= 1e5 || (l.value !== 0 && Math.abs(l.value) < 0.01)
      ? l.value.toExponential(2)
      : l.value.toFixed(1);
  return `${l.what} ${v} ${l.unit}`;
}

/** The step running now, or the last one that ended. */
function currentStep(p: PmtRunView): StepProgress | undefined {
  return (
    p.steps.find((s) => s.state === 'running' || s.state === 'waiting') ??
    [...p.steps].reverse().find((s) => s.state !== 'pending')
  );
}

/** A PMT's progress over its steps, 0..100: the steps done and the part of the one running. */
export function pmtPercent(p: PmtRunView): number {
  if (!p.steps.length) return 0;
  const done = p.steps.reduce(
    (n, s) => n + (ENDED.has(s.state) ? 1 : s.state === 'running' ? s.progress : 0),
    0,
  );
  return Math.round((done / p.steps.length) * 100);
}

export interface RunDisplay {
  show(run: RunView): void;
  end(): void;
}

/** Without a terminal (pipes, logs, tests): one line per thing that happened. */
export class LinesDisplay implements RunDisplay {
  private prev: RunView | undefined;

  constructor(private readonly write: (line: string) => void) {}

  show(run: RunView): void {
    for (const e of runEvents(this.prev, run)) this.write(eventLine(e));
    this.prev = run;
  }

  end(): void {}
}

/** On a terminal: a bar per PMT, verdicts and run changes printed above the bars as they happen. */
export class BarsDisplay implements RunDisplay {
  private readonly bars = new Map<string, SingleBar>();
  private readonly multi: MultiBar;
  private prev: RunView | undefined;
  private ended = false;

  constructor(stream: NodeJS.WriteStream) {
    this.multi = new MultiBar(
      {
        stream,
        format: '{pmt} [{bar}] {percentage}% {step} {state} {live}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
      },
      Presets.shades_classic,
    );
  }

  show(run: RunView): void {
    for (const e of runEvents(this.prev, run))
      if (e.kind !== 'step-started') this.multi.log(`${eventLine(e)}\n`);
    this.prev = run;
    const width = Math.max(...run.pmts.map((p) => p.pmt.length));
    for (const p of run.pmts) {
      const s = currentStep(p);
      const payload = {
        pmt: p.pmt.padEnd(width),
        step: s ? s.id : '',
        state: p.state === 'running' ? (s?.state ?? '') : p.state.toUpperCase(),
        live: p.state === 'running' ? liveText(s) : '',
      };
      const bar = this.bars.get(p.pmt);
      if (bar) bar.update(pmtPercent(p), payload);
      else this.bars.set(p.pmt, this.multi.create(100, pmtPercent(p), payload));
    }
    // drawn now (and the verdicts logged above), not at the library's next frame
    if (this.bars.size) this.multi.update();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.bars.size) this.multi.update(); // the last verdicts, before the final bars
    this.multi.stop();
  }
}
