/**
 * The detector map: 15 crystals and 32 veto panels, each a pair of PMT cells (A | B). A cell
 * shows the PMT id, its HV state as glyph + word, and its worst live alarm as a word; color and
 * border repeat what the words say. A tube that is not commissioned (datasheet figures only)
 * has a hollow diamond after its id: a shape, not a colour. Only cells whose PMT or alarms
 * changed are touched.
 */
import { h, fill, setAttr, setText } from './dom.js';
import {
  HV_GLYPH,
  hvState,
  isLive,
  needsAck,
  NOT_COMMISSIONED_MARK,
  valueText,
  worstSeverity,
} from './format.js';
import type { Store } from './store.js';
import type { AlarmView } from '@cicenns/contracts';
import type { PmtView } from './types.js';

interface Cell {
  el: HTMLButtonElement;
  hv: HTMLElement;
  sev: HTMLElement;
  cal: HTMLElement;
}

/** what the marker of a tube without a calibration of its own means */
const NOT_COMMISSIONED_TEXT =
  'not commissioned: datasheet figures only, not judged by the calibration alarms';

export class DetectorMap {
  private readonly cells = new Map<string, Cell>();
  private readonly pairLabels = new Map<string, HTMLElement>();
  private alarmsBySubject = new Map<string, AlarmView[]>();
  private readonly calLegend = h('span', { id: 'legend-commissioning', title: NOT_COMMISSIONED_TEXT });

  constructor(
    private readonly root: HTMLElement,
    legend: HTMLElement,
    private readonly store: Store,
  ) {
    fill(
      legend,
      h('span', {}, 'HV state:'),
      ...(['ON', 'RAMP', 'OFF', 'TRIP', 'NO DATA'] as const).map((s) => h('span', {}, `${HV_GLYPH[s]} ${s}`)),
      h('span', {}, 'Alarms: ▲ ALARM, ! WARN (blinking border: not acknowledged)'),
      this.calLegend,
    );
    store.on('pmts', (list) => {
      if (list.some((p) => !this.cells.has(p.id))) this.build();
      else for (const p of list) this.update(p);
      this.updateCalLegend();
    });
    store.on('alarms', () => this.updateAlarms());
    store.on('selected', (id) => {
      for (const [pmt, c] of this.cells) setAttr(c.el, 'aria-pressed', String(pmt === id));
    });
  }

  /** (Re)build the grid from the PMT inventory: grouped by crystal / panel, sorted by id. */
  build(): void {
    const byParent = new Map<string, PmtView[]>();
    for (const p of [...this.store.pmts.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      const list = byParent.get(p.parent) ?? [];
      list.push(p);
      byParent.set(p.parent, list);
    }
    this.cells.clear();
    this.pairLabels.clear();
    const group = (name: 'crystal' | 'veto', title: string) => {
      const pairs = [...byParent.entries()].filter(([, ps]) => ps[0].group === name);
      return h(
        'div',
        { class: 'map-group', role: 'group', 'aria-label': title },
        h('h3', {}, `${title} (${pairs.length})`),
        h('div', { class: 'map-grid' }, ...pairs.map(([parent, ps]) => this.pair(parent, ps))),
      );
    };
    fill(this.root, group('crystal', 'CsI(Na) crystals'), group('veto', 'Veto panels'));
    for (const p of this.store.pmts.values()) this.update(p);
    this.updateAlarms();
  }

  private pair(parent: string, pmts: PmtView[]): HTMLElement {
    const label = h('span', { class: 'pair-sev' });
    this.pairLabels.set(parent, label);
    return h(
      'div',
      { class: 'pair', 'data-parent': parent },
      h('div', { class: 'pair-label' }, h('span', {}, parent), label),
      h('div', { class: 'pair-cells' }, ...pmts.map((p) => this.cell(p))),
    );
  }

  private cell(p: PmtView): HTMLElement {
    const hv = h('span', { class: 'pmt-hv' });
    const sev = h('span', { class: 'pmt-sev' });
    const cal = h('span', { class: 'pmt-cal', 'aria-hidden': 'true' }, ` ${NOT_COMMISSIONED_MARK}`);
    const el = h(
      'button',
      {
        type: 'button',
        class: 'pmt',
        'data-pmt': p.id,
        'aria-pressed': String(this.store.selected === p.id),
        onclick: () => this.store.select(p.id),
      },
      h('span', { class: 'pmt-id' }, p.id, cal),
      hv,
      sev,
    );
    this.cells.set(p.id, { el, hv, sev, cal });
    return el;
  }

  update(p: PmtView): void {
    const c = this.cells.get(p.id);
    if (!c) return;
    const state = hvState(p);
    setText(c.hv, `${HV_GLYPH[state]} ${state}`);
    setAttr(c.el, 'data-hv', state);
    setAttr(c.el, 'data-quality', p.vmon.quality);
    setAttr(c.el, 'data-ts', String(p.vmon.ts ?? ''));
    setAttr(c.el, 'data-commissioned', String(p.commissioned !== false));
    c.cal.hidden = p.commissioned !== false;
    this.setTitle(p.id);
  }

  private updateAlarms(): void {
    const by = new Map<string, AlarmView[]>();
    for (const a of this.store.alarms.values()) {
      if (!isLive(a)) continue;
      const list = by.get(a.subject.id) ?? [];
      list.push(a);
      by.set(a.subject.id, list);
    }
    this.alarmsBySubject = by;
    for (const [id, c] of this.cells) {
      const list = by.get(id) ?? [];
      const worst = worstSeverity(list);
      setAttr(c.el, 'data-severity', worst ?? 'none');
      setAttr(c.el, 'data-unack', String(list.some(needsAck)));
      c.sev.hidden = !worst;
      setText(c.sev, worst === 'alarm' ? '▲ ALARM' : worst === 'warning' ? '! WARN' : '');
      this.setTitle(id);
    }
    for (const [parent, label] of this.pairLabels) {
      const worst = worstSeverity(by.get(parent) ?? []);
      setText(label, worst === 'alarm' ? '▲ ALARM' : worst === 'warning' ? '! WARN' : '');
      label.className = `pair-sev ${worst ?? ''}`;
    }
  }

  /** The legend names the marker and how many tubes carry it. */
  private updateCalLegend(): void {
    const all = [...this.store.pmts.values()];
    const not = all.filter((p) => p.commissioned === false).length;
    setText(
      this.calLegend,
      not === 0
        ? 'Calibration: all tubes commissioned'
        : `Calibration: ${NOT_COMMISSIONED_MARK} not commissioned, datasheet figures only (${not} of ${all.length})`,
    );
  }

  private setTitle(id: string): void {
    const p = this.store.pmts.get(id);
    const c = this.cells.get(id);
    if (!p || !c) return;
    const alarms = (this.alarmsBySubject.get(id) ?? []).map(
      (a) => `\n${a.severity.toUpperCase()}: ${a.message}`,
    );
    setAttr(
      c.el,
      'title',
      `${id}: HV ${hvState(p)}, VMon ${valueText(p.vmon)}, IMon ${valueText(p.imon, 2)}, ` +
        `DCR ${valueText(p.dcr, 0)}, T ${p.temperature ? valueText(p.temperature) : 'no sensor'}` +
        `${p.commissioned === false ? `\n${NOT_COMMISSIONED_MARK} ${NOT_COMMISSIONED_TEXT}` : ''}${alarms.join('')}`,
    );
    setAttr(
      c.el,
      'aria-label',
      `${id}, HV ${hvState(p)}${p.commissioned === false ? ', not commissioned' : ''}` +
        `${alarms.length ? `, ${alarms.length} alarm(s)` : ''}`,
    );
  }
}
