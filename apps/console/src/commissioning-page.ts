/**
 * The Commissioning tab: runs and their state; a run's checklist (PMT rows, step columns, each
 * cell a glyph and a word, the running one with its progress and live value); for the PMT chosen,
 * the DCR and gain scans filling as points arrive with the fit, every check against its criterion,
 * the proposed calibration beside the previous one. Experts start and control runs, confirm manual
 * items, approve or reject with a comment, and apply an approved operating voltage through the HV
 * panel's preview and confirm. It polls the run about once a second while the tab is open.
 */
import type { PmtRunView, ProposalView, RunSummary, RunView, StepProgress } from '@cicenns/contracts';
import { api, describeError } from './api.js';
import { h, fill, setAttr, setText } from './dom.js';
import {
  ACTIVE_RUN,
  PMT_TEXT,
  RUN_TEXT,
  STEP_TEXT,
  cellText,
  checkValue,
  recordValue,
} from './commissioning-format.js';
import { ScanPlot, dcrData, gainData } from './commissioning-plots.js';
import { ROLE_RANK, num, timeText } from './format.js';
import type { Store } from './store.js';

const RUN_POLL_MS = 1000;
const LIST_POLL_MS = 5000;
const runPath = (id: string, what = '') =>
  `/api/commissioning/runs/${encodeURIComponent(id)}${what ? `/${what}` : ''}`;

/** Open the HV panel's preview for a PMT at a voltage (the existing HV path: preview, confirm). */
export type ApplyVoltage = (pmt: string, volts: number) => void;

export class CommissioningPage {
  private readonly status = h('p', { id: 'comm-status', role: 'status', 'aria-live': 'polite' });
  private readonly startForm = h('form', { id: 'comm-start', class: 'toolbar' });
  private readonly runsBody = h('tbody', {});
  private readonly runHead = h('div', { id: 'comm-run-head' });
  private readonly checklist = h('div', { id: 'comm-checklist', class: 'alarm-scroll' });
  private readonly detail = h('div', { id: 'comm-pmt' });
  private runs: RunSummary[] = [];
  private run: RunView | null = null;
  private runId: string | null = null;
  private pmt: string | null = null;
  private active = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastList = 0;
  private busy = false;
  private cells = new Map<string, HTMLElement>();
  private rowsOf = '';
  private readonly dcrPlot = new ScanPlot('dcr', 'DCR against HV');
  private readonly gainPlot = new ScanPlot('gain', 'Gain against HV');
  private readonly checks = h('div', { id: 'comm-checks' });
  private readonly proposal = h('div', { id: 'comm-proposal' });
  private proposalKey = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly store: Store,
    private readonly applyVoltage: ApplyVoltage,
  ) {
    fill(
      root,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'comm-runs-title' },
        h('h2', { id: 'comm-runs-title' }, 'Commissioning runs'),
        this.startForm,
        this.status,
        h(
          'div',
          { class: 'alarm-scroll' },
          h(
            'table',
            { id: 'comm-runs' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Run', 'State', 'Procedure', 'Target', 'Started', 'By', 'Passed', 'Failed'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            this.runsBody,
          ),
        ),
      ),
      h(
        'section',
        { class: 'panel', id: 'comm-run', 'aria-labelledby': 'comm-run-title' },
        h('h2', { id: 'comm-run-title' }, 'Run checklist'),
        this.runHead,
        this.checklist,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'comm-pmt-title' },
        h('h2', { id: 'comm-pmt-title' }, 'PMT scans, checks and proposal'),
        this.detail,
      ),
    );
    fill(this.detail, h('p', { class: 'hint' }, 'Select a PMT in the checklist.'));
    store.on('user', () => {
      this.renderStart();
      this.proposalKey = '';
      this.renderRun();
    });
    this.renderStart();
  }

  private expert(): boolean {
    return ROLE_RANK[this.store.user?.role ?? 'viewer'] >= ROLE_RANK.expert;
  }

  /** The tab is shown (poll) or hidden (stop polling). */
  setActive(on: boolean): void {
    this.active = on;
    clearTimeout(this.timer);
    if (on) {
      this.lastList = 0;
      void this.tick();
    }
  }

  private async tick(): Promise<void> {
    if (!this.active) return;
    try {
      if (Date.now() - this.lastList >= LIST_POLL_MS || !this.runs.length) await this.loadRuns();
      if (this.runId && (!this.run || this.run.runId !== this.runId || ACTIVE_RUN.has(this.run.state)))
        await this.loadRun();
    } catch (e) {
      this.say(`Commissioning: ${describeError(e)}`);
    }
    if (this.active) this.timer = setTimeout(() => void this.tick(), RUN_POLL_MS);
  }

  private async loadRuns(): Promise<void> {
    this.lastList = Date.now();
    this.runs = await api<RunSummary[]>('/api/commissioning/runs');
    this.renderRuns();
  }

  private async loadRun(): Promise<void> {
    const id = this.runId!;
    const r = await api<RunView>(runPath(id));
    if (id !== this.runId) return;
    const ended =
      this.run && this.run.runId === id && ACTIVE_RUN.has(this.run.state) && !ACTIVE_RUN.has(r.state);
    this.run = r;
    this.renderRun();
    if (ended) await this.loadRuns(); // its line in the list says how it ended
  }

  // ---------- runs list and start ----------

  private renderStart(): void {
    if (!this.expert()) {
      fill(
        this.startForm,
        h(
          'span',
          { class: 'hint', id: 'comm-role-note' },
          'Watching: runs are started, controlled and approved by experts.',
        ),
      );
      return;
    }
    const target = h('input', {
      id: 'comm-target',
      name: 'target',
      required: true,
      placeholder: 'CsI01-A, CsI01, veto, all…',
      'aria-label': 'Target to commission',
    });
    const procedure = h('input', {
      id: 'comm-procedure',
      name: 'procedure',
      placeholder: 'procedure (default: first)',
      'aria-label': 'Procedure',
    });
    const confirm = h('input', {
      id: 'comm-confirm-items',
      name: 'confirm',
      placeholder: 'items done, comma separated',
      'aria-label': 'Manual items confirmed',
    });
    fill(
      this.startForm,
      target,
      procedure,
      confirm,
      h('button', { type: 'submit', class: 'primary', id: 'comm-start-btn', 'data-act': true }, 'Start run'),
    );
    this.startForm.onsubmit = (ev) => {
      ev.preventDefault();
      const names = target.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const items = confirm.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      void this.act('Starting', async () => {
        const r = await api<RunView>('/api/commissioning/runs', {
          body: {
            target: names.length === 1 ? names[0] : names,
            ...(procedure.value.trim() && { procedure: procedure.value.trim() }),
            ...(items.length && { confirmations: items }),
          },
        });
        this.select(r.runId, r);
        await this.loadRuns();
        return `Started run ${r.runId}.`;
      });
    };
  }

  private renderRuns(): void {
    fill(
      this.runsBody,
      ...this.runs.map((r) =>
        h(
          'tr',
          {
            'data-run': r.runId,
            'data-state': r.state,
            class: r.runId === this.runId ? 'selected' : undefined,
            tabindex: 0,
            onclick: () => this.select(r.runId),
            onkeydown: (ev: Event) => {
              if ((ev as KeyboardEvent).key === 'Enter') this.select(r.runId);
            },
          },
          h('td', {}, r.runId),
          h('td', { class: `run-${r.state}` }, RUN_TEXT[r.state] ?? r.state),
          h('td', {}, r.procedure),
          h('td', {}, Array.isArray(r.target) ? r.target.join(', ') : r.target),
          h('td', {}, timeText(r.startedAt)),
          h('td', {}, r.startedBy),
          h('td', {}, r.counts.passed),
          h('td', {}, r.counts.failed),
        ),
      ),
    );
    if (!this.runs.length)
      this.runsBody.append(h('tr', {}, h('td', { colspan: 8, class: 'hint' }, 'No runs yet.')));
  }

  /** Show a run (its view when already at hand) and poll it. */
  select(runId: string, view?: RunView): void {
    if (runId !== this.runId) {
      this.runId = runId;
      this.run = view ?? null;
      this.pmt = null;
      this.rowsOf = '';
      this.proposalKey = '';
      this.dcrPlot.destroy();
      this.gainPlot.destroy();
      fill(this.detail, h('p', { class: 'hint' }, 'Select a PMT in the checklist.'));
    }
    this.renderRuns();
    if (view) this.renderRun();
    else void this.loadRun().catch((e) => this.say(describeError(e)));
  }

  // ---------- the run: head, checklist ----------

  private renderRun(): void {
    const r = this.run;
    if (!r) return;
    this.renderHead(r);
    this.renderChecklist(r);
    if (this.pmt) this.renderPmt();
  }

  private renderHead(r: RunView): void {
    const expert = this.expert();
    const active = ACTIVE_RUN.has(r.state);
    const button = (id: string, text: string, what: 'pause' | 'resume' | 'abort', cls = '') =>
      h(
        'button',
        {
          type: 'button',
          id,
          class: cls || undefined,
          'data-act': true,
          disabled: this.busy,
          onclick: () => {
            if (
              what === 'abort' &&
              !window.confirm(`Abort run ${r.runId}? Every channel of the run is ramped off.`)
            )
              return;
            void this.act(what, async () => {
              this.run = await api<RunView>(runPath(r.runId, what), { body: {} });
              this.renderRun();
              return `Run ${r.runId}: ${what} sent.`;
            });
          },
        },
        text,
      );
    const controls =
      expert && active
        ? h(
            'div',
            { class: 'toolbar' },
            r.state === 'paused'
              ? button('comm-resume', 'Resume', 'resume')
              : button('comm-pause', 'Pause', 'pause'),
            button('comm-abort', 'Abort (channels off)', 'abort', 'danger'),
          )
        : null;
    const pending = r.pendingConfirmations.length
      ? h(
          'div',
          { id: 'comm-pending' },
          h('strong', {}, '… waiting for confirmation: '),
          ...r.pendingConfirmations.map((item) =>
            expert
              ? h(
                  'button',
                  {
                    type: 'button',
                    'data-item': item,
                    'data-act': true,
                    disabled: this.busy,
                    onclick: () =>
                      void this.act('confirm', async () => {
                        this.run = await api<RunView>(runPath(r.runId, 'confirm'), {
                          body: { items: [item] },
                        });
                        this.renderRun();
                        return `Confirmed “${item}” in your name.`;
                      }),
                  },
                  `Confirm: ${item}`,
                )
              : h('span', { class: 'pill' }, item),
          ),
        )
      : null;
    const c = r.counts;
    fill(
      this.runHead,
      h(
        'p',
        { id: 'comm-run-state', 'data-state': r.state },
        h('strong', {}, `${r.runId} · ${r.title || r.procedure} · ${RUN_TEXT[r.state] ?? r.state}`),
        r.reason ? ` — ${r.reason}` : '',
        h('br', {}),
        `${c.passed} passed, ${c.failed} failed, ${c.running} running, ${c.pending} pending${c.aborted ? `, ${c.aborted} aborted` : ''}`,
        ` · started ${timeText(r.startedAt)} by ${r.startedBy}`,
        r.beam ? ` · beam ${r.beam.on ? 'ON' : 'off'} (${num(r.beam.power_kw, 1)} kW)` : '',
      ),
      pending,
      controls,
      h(
        'p',
        { class: 'toolbar' },
        h(
          'a',
          {
            id: 'comm-report-html',
            href: `${runPath(r.runId, 'report')}?format=html`,
            target: '_blank',
            rel: 'noopener',
          },
          'Report (HTML)',
        ),
        h(
          'a',
          { id: 'comm-report-md', href: `${runPath(r.runId, 'report')}?format=md` },
          'Report (Markdown)',
        ),
      ),
    );
  }

  /** The table is built once per run and set of PMTs; polls update its cells in place. */
  private renderChecklist(r: RunView): void {
    const steps = r.pmts[0]?.steps.map((s) => s.id) ?? [];
    const shape = JSON.stringify([r.runId, steps, r.pmts.map((p) => p.pmt)]);
    if (shape !== this.rowsOf) {
      this.rowsOf = shape;
      this.cells.clear();
      const rows = r.pmts.map((p) => {
        const cell = (key: string, attrs: Record<string, string> = {}) => {
          const td = h('td', attrs);
          this.cells.set(`${p.pmt}|${key}`, td);
          return td;
        };
        return h(
          'tr',
          {
            'data-pmt': p.pmt,
            tabindex: 0,
            onclick: () => this.choose(p.pmt),
            onkeydown: (ev: Event) => {
              if ((ev as KeyboardEvent).key === 'Enter') this.choose(p.pmt);
            },
          },
          h('th', { scope: 'row' }, p.pmt),
          cell('state'),
          ...steps.map((id) => cell(id, { 'data-step': id })),
          cell('proposal'),
        );
      });
      fill(
        this.checklist,
        h(
          'table',
          { id: 'comm-checklist-table', class: 'checklist' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'PMT'),
              h('th', { scope: 'col' }, 'State'),
              ...steps.map((s) => h('th', { scope: 'col' }, s)),
              h('th', { scope: 'col' }, 'Proposal'),
            ),
          ),
          h('tbody', {}, ...rows),
        ),
      );
    }
    for (const p of r.pmts) {
      const state = this.cells.get(`${p.pmt}|state`);
      if (state) {
        setText(state, PMT_TEXT[p.state] ?? p.state);
        setAttr(state, 'data-state', p.state);
      }
      for (const s of p.steps) {
        const td = this.cells.get(`${p.pmt}|${s.id}`);
        if (!td) continue;
        setText(td, cellText(s));
        setAttr(td, 'data-state', s.state);
        setAttr(td, 'class', `step step-${s.state}`);
        setAttr(td, 'title', s.verdict ?? STEP_TEXT[s.state]);
      }
      const prop = this.cells.get(`${p.pmt}|proposal`);
      if (prop) {
        setText(prop, p.proposal ? `${p.proposal.state} v${p.proposal.version}` : '—');
        setAttr(prop, 'data-state', p.proposal?.state ?? 'none');
      }
    }
    for (const tr of this.checklist.querySelectorAll('tbody tr'))
      tr.classList.toggle('selected', (tr as HTMLElement).dataset.pmt === this.pmt);
  }

  // ---------- one PMT ----------

  private choose(pmt: string): void {
    if (pmt !== this.pmt) {
      this.pmt = pmt;
      this.proposalKey = '';
      this.dcrPlot.destroy();
      this.gainPlot.destroy();
      fill(
        this.detail,
        h('h3', { id: 'comm-pmt-name' }, pmt),
        h('div', { class: 'scan-plots' }, this.dcrPlot.el, this.gainPlot.el),
        this.checks,
        this.proposal,
      );
    }
    if (this.run) this.renderChecklist(this.run);
    this.renderPmt();
  }

  private pmtView(): PmtRunView | undefined {
    return this.run?.pmts.find((p) => p.pmt === this.pmt);
  }

  private renderPmt(): void {
    const p = this.pmtView();
    if (!p) return;
    const dcr = p.steps.find((s) => s.kind === 'dcr-scan');
    const gain = p.steps.find((s) => s.kind === 'gain-curve');
    const dcrPts = dcr?.points ?? [];
    const gainPts = gain?.points ?? [];
    this.dcrPlot.update(dcrData(dcrPts), dcrPts.length, dcr?.state === 'running' ? 'measuring' : '');
    const f = gain?.fit;
    this.gainPlot.update(
      gainData(gainPts, f),
      gainPts.length,
      f
        ? `fit β = ${num(f.beta, 2)} ± ${num(f.betaErr, 2)}, V(G=${num(f.targetGain, 0)}) = ${f.vOp === null ? 'unreachable' : `${num(f.vOp, 1)} ± ${num(f.vOpErr, 1)} V`}`
        : '',
    );
    fill(this.checks, ...p.steps.map((s) => this.stepBlock(s)));
    this.renderProposal(p);
  }

  private stepBlock(s: StepProgress): HTMLElement {
    return h(
      'div',
      { class: 'step-block', 'data-step': s.id, 'data-state': s.state },
      h('h4', {}, `${s.id}: `, h('span', { class: `step-${s.state}` }, cellText(s))),
      s.verdict ? h('p', { class: 'verdict' }, s.verdict) : null,
      s.checks?.length
        ? h(
            'table',
            { class: 'checks' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Check', 'Value', 'Criterion', 'Result'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              ...s.checks.map((c) =>
                h(
                  'tr',
                  { 'data-pass': String(c.pass) },
                  h('td', {}, c.name),
                  h('td', {}, checkValue(c)),
                  h('td', {}, c.limit),
                  h('td', { class: c.pass ? 'allowed' : 'refused' }, c.pass ? '✔ pass' : '✖ fail'),
                ),
              ),
            ),
          )
        : null,
    );
  }

  /** Re-rendered only when the proposal or the role changes, so a comment being typed stays. */
  private renderProposal(p: PmtRunView): void {
    const pr = p.proposal;
    const key = JSON.stringify([p.pmt, pr?.state, pr?.version, pr?.decidedAt, this.store.user?.role]);
    if (key === this.proposalKey) return;
    this.proposalKey = key;
    if (!pr) {
      fill(this.proposal, h('p', { class: 'hint' }, 'No calibration proposed (yet).'));
      return;
    }
    const fields: [string, string][] = [
      ['hvV', 'Operating voltage (V)'],
      ['gain', 'Gain'],
      ['beta', 'β'],
      ['dcrHz', 'DCR (Hz)'],
      ['dcrRefTempC', 'DCR reference (°C)'],
      ['version', 'Version'],
      ['method', 'Method'],
    ];
    fill(
      this.proposal,
      h('h3', {}, `Proposed calibration v${pr.version}: ${pr.state}`),
      h(
        'table',
        { id: 'comm-proposal-table' },
        h('thead', {}, h('tr', {}, ...['', 'Proposed', 'Previous'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          ...fields.map(([k, label]) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, label),
              h('td', {}, recordValue(pr.record, k)),
              h('td', {}, recordValue(pr.previous, k)),
            ),
          ),
        ),
      ),
      pr.decidedBy
        ? h(
            'p',
            { id: 'comm-decision' },
            `${pr.state} by ${pr.decidedBy} at ${timeText(pr.decidedAt)}${pr.comment ? `: “${pr.comment}”` : ''}`,
          )
        : null,
      this.decision(p.pmt, pr),
    );
  }

  private decision(pmt: string, pr: ProposalView): HTMLElement | null {
    if (!this.expert())
      return h('p', { class: 'hint', id: 'comm-decide-note' }, 'Approval needs the expert role.');
    const hvV = typeof pr.record.hvV === 'number' ? pr.record.hvV : null;
    if (pr.state === 'approved')
      return hvV === null
        ? null
        : h(
            'button',
            {
              type: 'button',
              id: 'comm-apply-hv',
              class: 'primary',
              onclick: () => this.applyVoltage(pmt, hvV),
            },
            `Apply operating voltage ${num(hvV, 1)} V (HV preview, then confirm)`,
          );
    if (pr.state !== 'proposed') return null;
    const comment = h('textarea', {
      id: 'comm-comment',
      rows: 2,
      maxlength: 2000,
      required: true,
      'aria-label': 'Comment (required)',
      placeholder: 'Comment (required): why approve or reject',
    });
    const approve = h(
      'button',
      { type: 'button', id: 'comm-approve', class: 'primary', disabled: true },
      `Approve ${pmt}`,
    );
    const reject = h(
      'button',
      { type: 'button', id: 'comm-reject', class: 'danger', disabled: true },
      `Reject ${pmt}`,
    );
    comment.addEventListener('input', () => {
      approve.disabled = reject.disabled = comment.value.trim() === '';
    });
    const decide = (what: 'approve' | 'reject') =>
      void this.act(what, async () => {
        await api(runPath(this.runId!, what), { body: { pmts: [pmt], comment: comment.value.trim() } });
        await this.loadRun();
        return `${pmt}: ${what === 'approve' ? 'approved: the alarms use it now' : 'rejected'}.`;
      });
    approve.addEventListener('click', () => decide('approve'));
    reject.addEventListener('click', () => decide('reject'));
    return h(
      'div',
      { class: 'decision' },
      h('label', { for: 'comm-comment' }, 'Comment (required)'),
      comment,
      h('div', { class: 'toolbar' }, approve, reject),
    );
  }

  /**
   * One action at a time (a double click must not start two runs), its outcome in the status
   * line. While one is in flight the action buttons are disabled, so a second click waits
   * visibly instead of being lost.
   */
  private async act(what: string, fn: () => Promise<string>): Promise<void> {
    if (this.busy) return;
    this.setBusy(true);
    this.say(`${what}…`);
    try {
      this.say(await fn());
    } catch (e) {
      this.say(`${what} refused: ${describeError(e)}`);
    } finally {
      this.setBusy(false);
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    for (const b of this.root.querySelectorAll<HTMLButtonElement>('button[data-act]')) b.disabled = busy;
  }

  private say(text: string): void {
    this.status.textContent = text;
  }
}
