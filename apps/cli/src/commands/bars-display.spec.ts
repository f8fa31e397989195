import { PassThrough } from 'node:stream';
import type { RunView } from '@cicenns/contracts';
import { BarsDisplay } from './run-progress';

/** A terminal 120 columns wide that keeps what is written to it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let written = '';
  s.on('data', (b: Buffer) => (written += b.toString()));
  Object.assign(s, { isTTY: true, columns: 120, rows: 40 });
  return { stream: s, text: () => written };
}

const view = (state: RunView['state'], low: 'running' | 'failed'): RunView => ({
  runId: 'r1',
  procedure: 'short',
  title: '',
  target: 'CsI01-A',
  state,
  startedBy: 'erin',
  startedAt: 0,
  pendingConfirmations: [],
  confirmations: [],
  counts: {
    pending: 0,
    running: low === 'running' ? 1 : 0,
    passed: 0,
    failed: low === 'failed' ? 1 : 0,
    aborted: 0,
  },
  pmts: [
    {
      pmt: 'CsI01-A',
      group: 'crystal',
      tubeType: 'R877-100',
      state: low === 'running' ? 'running' : 'failed',
      steps: [
        {
          id: 'preconditions',
          kind: 'preconditions',
          state: 'passed',
          progress: 1,
          verdict: 'all preconditions met',
        },
        {
          id: 'low-voltage',
          kind: 'low-voltage',
          state: low,
          progress: low === 'running' ? 0.5 : 1,
          live: { what: 'IMon', value: 21.4, unit: 'µA', at: 0 },
          ...(low === 'failed' && { verdict: 'IMon 40.0 µA above 21.4 µA + 15 %' }),
        },
      ],
    },
  ],
});

describe('cicenns commission on a terminal', () => {
  it('draws a bar per PMT with its step and live value, and prints verdicts above the bars', () => {
    const term = fakeTerminal();
    const d = new BarsDisplay(term.stream);
    d.show(view('running', 'running'));
    d.show(view('finished', 'failed'));
    d.end();
    const text = term.text();
    expect(text).toMatch(/CsI01-A \[[█░]+\] +75% low-voltage running IMon 21\.4 µA/);
    expect(text).toContain('CsI01-A preconditions PASS: all preconditions met');
    expect(text).toContain('CsI01-A low-voltage FAIL: IMon 40.0 µA above 21.4 µA + 15 %');
    expect(text).toMatch(/CsI01-A \[[█░]+\] +100% low-voltage FAILED/);
  });
});
