/**
 * HV control for experts: target (one PMT, its crystal or panel, a whole group), new settings,
 * Preview (the server's table of changes, with refusals), Confirm, then the ramp's progress live
 * from `hv-progress` events. Shown disabled to other roles; the API is the authority (403).
 */
import { api, describeError } from './api.js';
import { h, fill } from './dom.js';
import { num, ROLE_RANK } from './format.js';
import type { Store } from './store.js';
import type { HvApplyResult, HvChange, HvPreview, HvProgress, HvSet, HvTarget } from './types.js';

type TargetKind = 'pmt' | 'parent' | 'crystal-all' | 'veto-all' | 'all';

export class HvPanel {
  private readonly note = h('p', { id: 'hv-role-note', class: 'hint' });
  private readonly fieldset = h('fieldset', { id: 'hv-fieldset' });
  private readonly target = h('select', { id: 'hv-target', name: 'target' });
  private readonly vset = h('input', {
    id: 'hv-vset',
    type: 'number',
    step: '1',
    min: '0',
    inputmode: 'decimal',
  });
  private readonly iset = h('input', { id: 'hv-iset', type: 'number', step: '1', min: '0' });
  private readonly rampUp = h('input', { id: 'hv-rampup', type: 'number', step: '1', min: '1' });
  private readonly rampDown = h('input', { id: 'hv-rampdown', type: 'number', step: '1', min: '1' });
  private readonly power = h(
    'select',
    { id: 'hv-power' },
    h('option', { value: '' }, 'unchanged'),
    h('option', { value: 'on' }, 'ON'),
    h('option', { value: 'off' }, 'OFF'),
  );
  private readonly previewBtn = h(
    'button',
    { type: 'submit', id: 'hv-preview', class: 'primary' },
    'Preview',
  );
  private readonly status = h('p', { id: 'hv-status', role: 'status', 'aria-live': 'polite' });
  private readonly previewOut = h('div', { id: 'hv-preview-out' });
  private readonly progressOut = h('div', { id: 'hv-progress' });
  private preview: HvPreview | null = null;
  private operationId: string | null = null;
  private readonly bars = new Map<string, { bar: HTMLProgressElement; text: HTMLElement; start: number }>();

  constructor(
    root: HTMLElement,
    private readonly store: Store,
  ) {
    const label = (text: string, input: HTMLElement) => [h('label', { for: input.id }, text), input] as const;
    fill(
      this.fieldset,
      h('legend', { class: 'muted' }, 'Leave a field empty to keep its present value'),
      h(
        'div',
        { class: 'hv-form' },
        ...label('Target', this.target),
        ...label('Voltage set (V)', this.vset),
        ...label('Current limit (µA)', this.iset),
        ...label('Ramp up (V/s)', this.rampUp),
        ...label('Ramp down (V/s)', this.rampDown),
        ...label('Channel power', this.power),
        h('div', { class: 'row-span' }, this.previewBtn),
      ),
    );
    const form = h('form', { id: 'hv-form', 'aria-describedby': 'hv-role-note' }, this.fieldset);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.doPreview();
    });
    fill(root, this.note, form, this.status, this.previewOut, this.progressOut);
    store.on('user', () => this.renderRole());
    store.on('selected', () => this.renderTargets());
    store.on('hv-progress', (p) => this.onProgress(p));
    this.renderRole();
    this.renderTargets();
  }

  private allowed(): boolean {
    return ROLE_RANK[this.store.user?.role ?? 'viewer'] >= ROLE_RANK.expert;
  }

  private renderRole(): void {
    const ok = this.allowed();
    this.fieldset.disabled = !ok;
    this.note.textContent = ok
      ? 'Expert: changes are previewed first and applied only after you confirm.'
      : `Read-only: HV control needs the expert role (you are ${this.store.user?.role ?? 'not logged in'}).`;
  }

  private renderTargets(): void {
    const sel = this.store.selected ? this.store.pmts.get(this.store.selected) : undefined;
    const prev = this.target.value;
    const opts: [TargetKind, string, boolean][] = [
      ['pmt', sel ? `PMT ${sel.id}` : 'PMT (select one on the map)', !!sel],
      [
        'parent',
        sel
          ? `${sel.group === 'crystal' ? 'Crystal' : 'Panel'} ${sel.parent} (both PMTs)`
          : 'Crystal / panel of the selected PMT',
        !!sel,
      ],
      ['crystal-all', 'All 30 crystal PMTs', true],
      ['veto-all', 'All 64 veto PMTs', true],
      ['all', 'All 94 PMTs', true],
    ];
    fill(this.target, ...opts.map(([v, t, enabled]) => h('option', { value: v, disabled: !enabled }, t)));
    const keep = opts.find(([v, , e]) => v === prev && e);
    this.target.value = keep ? prev : sel ? 'pmt' : 'veto-all';
  }

  private targetBody(): HvTarget | null {
    const sel = this.store.selected ? this.store.pmts.get(this.store.selected) : undefined;
    switch (this.target.value as TargetKind) {
      case 'pmt':
        return sel ? { pmts: [sel.id] } : null;
      case 'parent':
        return sel ? (sel.group === 'crystal' ? { crystal: sel.parent } : { panel: sel.parent }) : null;
      case 'crystal-all':
        return { group: 'crystal' };
      case 'veto-all':
        return { group: 'veto' };
      case 'all':
        return { group: 'all' };
    }
  }

  private setBody(): HvSet {
    const n = (el: HTMLInputElement) => (el.value.trim() === '' ? undefined : Number(el.value));
    const set: HvSet = {
      vset: n(this.vset),
      iset: n(this.iset),
      rampUp: n(this.rampUp),
      rampDown: n(this.rampDown),
    };
    if (this.power.value) set.power = this.power.value as 'on' | 'off';
    for (const k of Object.keys(set) as (keyof HvSet)[]) if (set[k] === undefined) delete set[k];
    return set;
  }

  private async doPreview(): Promise<void> {
    const target = this.targetBody();
    const set = this.setBody();
    fill(this.previewOut);
    if (!target) return this.say('Select a PMT on the map first.');
    if (!Object.keys(set).length) return this.say('Nothing to change: fill in at least one field.');
    this.say('Asking the server for a preview…');
    try {
      this.preview = await api<HvPreview>('/api/hv/preview', { body: { target, set } });
      this.renderPreview(this.preview);
      this.say('');
    } catch (e) {
      this.preview = null;
      this.say(`Preview refused: ${describeError(e)}`);
    }
  }

  /**
   * A change proposed elsewhere (an approved commissioning voltage): the PMT selected, its voltage
   * filled in, and the server's preview asked for; the expert still confirms it here.
   */
  propose(pmt: string, vset: number): void {
    this.store.select(pmt);
    this.target.value = 'pmt';
    for (const el of [this.iset, this.rampUp, this.rampDown]) el.value = '';
    this.power.value = '';
    this.vset.value = String(vset);
    this.vset.scrollIntoView({ block: 'center' });
    this.vset.focus();
    void this.doPreview();
  }

  private renderPreview(p: HvPreview): void {
    const ok = p.changes.filter((c) => c.allowed).length;
    const refused = p.changes.length - ok;
    const confirm = h(
      'button',
      { type: 'button', id: 'hv-confirm', class: 'danger', disabled: ok === 0 },
      refused
        ? `Confirm: apply the ${ok} allowed, skip ${refused} refused`
        : `Confirm: apply ${ok} change(s)`,
    );
    confirm.addEventListener('click', () => void this.apply(p.previewId, refused > 0, confirm));
    fill(
      this.previewOut,
      h(
        'h3',
        {},
        `Preview: ${ok} allowed, ${refused} refused (valid until ${new Date(p.expiresAt).toLocaleTimeString([], { hour12: false })})`,
      ),
      h(
        'div',
        { class: 'alarm-scroll' },
        h(
          'table',
          { id: 'hv-preview-table' },
          h(
            'thead',
            {},
            h('tr', {}, ...['PMT', 'Change', 'Verdict'].map((t) => h('th', { scope: 'col' }, t))),
          ),
          h('tbody', {}, ...p.changes.map((c) => this.changeRow(c))),
        ),
      ),
      h(
        'div',
        { class: 'toolbar' },
        confirm,
        h('button', { type: 'button', onclick: () => fill(this.previewOut) }, 'Cancel'),
      ),
    );
  }

  private changeRow(c: HvChange): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-pmt': c.pmt, 'data-allowed': String(c.allowed) },
      h('td', {}, c.pmt),
      h('td', {}, changeText(c.from, c.to)),
      h(
        'td',
        { class: c.allowed ? 'allowed' : 'refused' },
        c.allowed ? '✔ allowed' : `✖ refused: ${c.refusal ?? ''}`,
      ),
    );
  }

  private async apply(previewId: string, partial: boolean, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    this.say('Applying…');
    try {
      const r = await api<HvApplyResult>('/api/hv/apply', {
        body: { previewId, ...(partial && { partial }) },
      });
      this.operationId = r.operationId;
      const failed = r.results.filter((x) => !x.ok);
      this.say(
        `Applied to ${r.results.length - failed.length} channel(s)${failed.length ? `; ${failed.length} failed` : ''}. Ramping…`,
      );
      this.bars.clear();
      fill(
        this.progressOut,
        h('h3', {}, `Operation ${r.operationId}`),
        ...failed.map((x) => h('p', { class: 'error' }, `✖ ${x.pmt}: ${x.error ?? 'failed'}`)),
      );
    } catch (e) {
      this.say(`Apply refused: ${describeError(e)}`);
      btn.disabled = false;
    }
  }

  private onProgress(p: HvProgress): void {
    if (this.operationId && p.operationId !== this.operationId) return;
    let b = this.bars.get(p.pmt);
    if (!b) {
      const bar = h('progress', { max: 100, 'aria-label': `${p.pmt} ramp progress` });
      const text = h('span', {});
      b = { bar, text, start: p.vmon };
      this.bars.set(p.pmt, b);
      this.progressOut.append(
        h('div', { class: 'hv-bar', 'data-pmt': p.pmt }, h('span', {}, `${p.pmt} `), text, bar),
      );
    }
    const span = p.target - b.start;
    b.bar.value = p.done
      ? 100
      : span === 0
        ? 100
        : Math.max(0, Math.min(100, ((p.vmon - b.start) / span) * 100));
    b.text.textContent = `${num(p.vmon, 0)} V → ${num(p.target, 0)} V ${p.done ? '✔ done' : '↕ ramping'}`;
  }

  private say(text: string): void {
    this.status.textContent = text;
  }
}

/** "vset 1400 → 1450 V, power on → off": each requested setting from its present value. */
function changeText(from: unknown, to: unknown): string {
  const f = from && typeof from === 'object' ? (from as Record<string, unknown>) : {};
  if (!to || typeof to !== 'object') return `${show(from)} → ${show(to)}`;
  const units: Record<string, string> = { vset: ' V', iset: ' µA', rampUp: ' V/s', rampDown: ' V/s' };
  return Object.entries(to as Record<string, unknown>)
    .map(([k, v]) => `${k} ${show(f[k])} → ${show(v)}${units[k] ?? ''}`)
    .join(', ');
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'number' ? num(v, 1) : Array.isArray(v) ? v.join(' ') : String(v);
}
