import type { PmtRunView, RunView, StepProgress } from '@cicenns/contracts';
import { checklist, outcome, parseCommissionTarget, UsageError } from './commission';
import { LinesDisplay, liveText, pmtPercent, runEvents } from './run-progress';

const step = (id: string, state: StepProgress['state'], extra: Partial<StepProgress> = {}): StepProgress => ({
  id,
  kind: id,
  state,
  progress: state === 'passed' || state === 'failed' ? 1 : 0,
  ...extra,
});
const pmt = (name: string, state: PmtRunView['state'], steps: StepProgress[]): PmtRunView => ({
  pmt: name,
  group: 'crystal',
  tubeType: 'R877-100',
  state,
  steps,
});
function runView(state: RunView['state'], pmts: PmtRunView[], extra: Partial<RunView> = {}): RunView {
  const counts = { pending: 0, running: 0, passed: 0, failed: 0, aborted: 0 };
  for (const p of pmts) counts[p.state]++;
  return {
    runId: 'r1',
    procedure: 'standard',
    title: 'Standard',
    target: 'CsI01',
    state,
    startedBy: 'erin',
    startedAt: 0,
    pendingConfirmations: [],
    confirmations: [],
    pmts,
    counts,
    ...extra,
  };
}

describe('cicenns commission: a run as lines without a terminal', () => {
  it('prints each step as it starts and its verdict as it ends, once', () => {
    const lines: string[] = [];
    const d = new LinesDisplay((l) => lines.push(l));
    d.show(
      runView(
        'waiting',
        [pmt('CsI01-A', 'pending', [step('preconditions', 'waiting'), step('low-voltage', 'pending')])],
        {
          reason: 'waiting for confirmations',
          pendingConfirmations: ['cables'],
        },
      ),
    );
    const running = runView('running', [
      pmt('CsI01-A', 'running', [
        step('preconditions', 'passed', { verdict: 'channel off, 21.3 °C in 15..30 °C' }),
        step('low-voltage', 'running', {
          progress: 0.5,
          live: { what: 'IMon', value: 2.5, unit: 'µA', at: 1 },
        }),
      ]),
    ]);
    d.show(running);
    d.show(running); // nothing new
    d.show(
      runView('finished', [
        pmt('CsI01-A', 'failed', [
          step('preconditions', 'passed'),
          step('low-voltage', 'failed', {
            checks: [{ name: 'IMon', value: 40, unit: 'µA', limit: '2.5 µA ± 20 %', pass: false }],
          }),
        ]),
      ]),
    );
    expect(lines).toEqual([
      'run r1 waiting: waiting for confirmations (to confirm: cables: cicenns commission confirm r1 <item...>) [0 passed, 0 failed, 0 running, 1 pending]',
      'run r1 running [0 passed, 0 failed, 1 running, 0 pending]',
      'CsI01-A preconditions PASS: channel off, 21.3 °C in 15..30 °C',
      'CsI01-A low-voltage started',
      'run r1 finished [0 passed, 1 failed, 0 running, 0 pending]',
      'CsI01-A low-voltage FAIL: IMon 40 µA (limit 2.5 µA ± 20 %)',
    ]);
  });

  it('reports nothing for skipped steps, and the first view of a run in full', () => {
    const r = runView('finished', [
      pmt('CsI01-A', 'failed', [step('low-voltage', 'failed'), step('dcr-scan', 'skipped')]),
    ]);
    expect(runEvents(undefined, r).map((e) => e.kind)).toEqual(['run', 'step-ended']);
  });

  it('measures a PMT over its steps and shows the live value', () => {
    const p = pmt('CsI01-A', 'running', [
      step('a', 'passed'),
      step('b', 'running', { progress: 0.5 }),
      step('c', 'pending'),
    ]);
    expect(pmtPercent(p)).toBe(50);
    expect(liveText(step('b', 'running', { live: { what: 'DCR', value: 512.34, unit: 'Hz', at: 0 } }))).toBe(
      'DCR 512.3 Hz',
    );
    expect(liveText(step('b', 'running', { live: { what: 'gain', value: 2.1e6, unit: '', at: 0 } }))).toBe(
      'gain 2.10e+6 ',
    );
  });

  it('exits 0 only when the run finished with every PMT passed', () => {
    expect(outcome(runView('finished', [pmt('A', 'passed', [])]))).toBe(0);
    expect(outcome(runView('finished', [pmt('A', 'passed', []), pmt('B', 'failed', [])]))).toBe(1);
    expect(outcome(runView('aborted', [pmt('A', 'aborted', [])]))).toBe(1);
  });

  it('shows a checklist with text, not only symbols, and the failing reason', () => {
    const r = runView('finished', [
      pmt('CsI01-A', 'failed', [
        step('low-voltage', 'failed', { verdict: 'IMon 0.0 µA, expected 2.5 µA ± 20 %' }),
        step('dcr-scan', 'skipped'),
      ]),
    ]);
    const text = checklist(r);
    expect(text).toContain('✖ FAIL');
    expect(text).toContain('- skip');
    expect(text).toContain('CsI01-A low-voltage FAIL: IMon 0.0 µA, expected 2.5 µA ± 20 %');
  });

  it('takes one name or a comma list as the target', () => {
    expect(parseCommissionTarget('CsI01')).toBe('CsI01');
    expect(parseCommissionTarget('CsI01-A, CsI02')).toEqual(['CsI01-A', 'CsI02']);
    expect(() => parseCommissionTarget(undefined)).toThrow(UsageError);
  });
});
