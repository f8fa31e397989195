/**
 * The detector map: 15 crystals and 32 veto panels, each a pair of PMT cells (A | B). A cell
 * shows the PMT id, its HV state as glyph + word, and its worst live alarm as a word; color and
 * border repeat what the words say. A tube that is not commissioned (datasheet figures only)
 * has a hollow diamond after its id: a shape, not a colour. Only cells whose PMT or alarms
 * changed are touched. A detector of more than MAP_MAX_PMTS tubes is shown by group (HV crate):
 * a tile per group with its worst state and its counts; a click opens the group's PMTs, a page
 * at a time, as the same cells.
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
import { GROUP_PAGE, type Store } from './store.js';
import type { AlarmView } from '@cicenns/contracts';
import type { GroupSummary, PmtState, PmtView } from './types.js';

/** A group's worst state as glyph + word, the words of the PMT cells. */
export const STATE_TEXT: Record<PmtState, string> = {
  on: `${HV_GLYPH.ON} ON`,
  ramp: `${HV_GLYPH.RAMP} RAMP`,
  off: `${HV_GLYPH.OFF} OFF`,
  'no-data': `${HV_GLYPH['NO DATA']} NO DATA`,
  warning: '! WARN',
  trip: `${HV_GLYPH.TRIP} TRIP`,
  alarm: '▲ ALARM',
};
const WORST_FIRST: PmtState[] = ['alarm', 'trip', 'warning', 'no-data', 'off', 'ramp'];

interface Tile {
  el: HTMLButtonElement;
  state: HTMLElement;
  counts: HTMLElement;
}

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
  private readonly tiles = new Map<string, Tile>();
  private groupTitle: HTMLElement | null = null;

  constructor(
    private readonly root: HTMLElement,
    legend: HTMLElement,
    private readonly store: Store,
    /** by group: open a group's page of PMTs (null: back to the groups) */
    private readonly openGroup: (id: string | null, offset: number) => void = () => undefined,
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
    store.on('layout', () => {
      this.build();
      this.updateCalLegend();
    });
    store.on('groups', (list) => {
      if (!store.byGroup) return;
      if (store.openGroup !== null) this.updateGroupTitle();
      else if (list.some((g) => !this.tiles.has(g.id)) || this.tiles.size !== store.groups.size) this.build();
      else for (const g of list) this.updateTile(g);
    });
    store.on('selected', (id) => {
      for (const [pmt, c] of this.cells) setAttr(c.el, 'aria-pressed', String(pmt === id));
    });
  }

  /** (Re)build the grid from the PMT inventory: grouped by crystal / panel, sorted by id. */
  build(): void {
    this.tiles.clear();
    this.groupTitle = null;
    if (this.store.byGroup && this.store.openGroup === null) return this.buildGroups();
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
      if (this.store.byGroup && !pairs.length) return null; // a crate holds one kind of tube
      return h(
        'div',
        { class: 'map-group', role: 'group', 'aria-label': title },
        h('h3', {}, `${title} (${pairs.length})`),
        h('div', { class: 'map-grid' }, ...pairs.map(([parent, ps]) => this.pair(parent, ps))),
      );
    };
    fill(
      this.root,
      this.store.byGroup ? this.groupNav() : null,
      group('crystal', 'CsI(Na) crystals'),
      group('veto', 'Veto panels'),
    );
    for (const p of this.store.pmts.values()) this.update(p);
    this.updateAlarms();
  }

  /** By group: a tile per group, worst state first in words, its PMTs counted by state. */
  private buildGroups(): void {
    const groups = [...this.store.groups.values()];
    const n = groups.reduce((k, g) => k + g.pmts, 0);
    fill(
      this.root,
      h(
        'div',
        { class: 'map-group', role: 'group', 'aria-label': 'HV crates' },
        h('h3', {}, `HV crates (${groups.length}, ${n} PMTs): worst state of each; open one to see its PMTs`),
        h('div', { class: 'map-grid group-grid' }, ...groups.map((g) => this.tile(g))),
      ),
    );
  }

  private tile(g: GroupSummary): HTMLElement {
    const state = h('span', { class: 'group-state' });
    const counts = h('span', { class: 'group-counts' });
    const el = h(
      'button',
      { type: 'button', class: 'group-tile', 'data-group': g.id, onclick: () => this.openGroup(g.id, 0) },
      h('span', { class: 'group-id' }, g.id),
      state,
      counts,
    );
    this.tiles.set(g.id, { el, state, counts });
    this.updateTile(g);
    return el;
  }

  private updateTile(g: GroupSummary): void {
    const t = this.tiles.get(g.id);
    if (!t) return;
    setAttr(t.el, 'data-worst', g.worst);
    setText(t.state, STATE_TEXT[g.worst]);
    const text = countsText(g);
    setText(t.counts, text);
    setAttr(t.el, 'aria-label', `${g.id}: worst ${STATE_TEXT[g.worst].slice(2)}, ${text}`);
  }

  /** Over an open group's PMTs: back to the groups, the group's summary, the pages. */
  private groupNav(): HTMLElement {
    const s = this.store;
    const id = s.openGroup!;
    const last = s.groupOffset + s.pmts.size;
    this.groupTitle = h('span', { id: 'group-title' });
    const nav = h(
      'div',
      { class: 'group-nav', 'data-open-group': id },
      h(
        'button',
        { type: 'button', id: 'group-back', onclick: () => this.openGroup(null, 0) },
        '← All HV crates',
      ),
      this.groupTitle,
    );
    if (s.groupTotal > GROUP_PAGE)
      nav.append(
        h(
          'button',
          {
            type: 'button',
            id: 'group-prev',
            disabled: s.groupOffset === 0,
            onclick: () => this.openGroup(id, Math.max(0, s.groupOffset - GROUP_PAGE)),
          },
          '‹ Previous',
        ),
        h('span', { id: 'group-page' }, `PMTs ${s.groupOffset + 1}–${last} of ${s.groupTotal}`),
        h(
          'button',
          {
            type: 'button',
            id: 'group-next',
            disabled: last >= s.groupTotal,
            onclick: () => this.openGroup(id, s.groupOffset + GROUP_PAGE),
          },
          'Next ›',
        ),
      );
    this.updateGroupTitle();
    return nav;
  }

  private updateGroupTitle(): void {
    const g = this.store.openGroup === null ? undefined : this.store.groups.get(this.store.openGroup);
    if (!this.groupTitle || !g) return;
    setText(this.groupTitle, `${g.id}: ${g.pmts} PMTs, worst ${STATE_TEXT[g.worst]} (${countsText(g)})`);
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
    if (this.store.byGroup && this.store.openGroup === null) {
      setText(
        this.calLegend,
        `Calibration: ${NOT_COMMISSIONED_MARK} marks a tube not commissioned (open a crate)`,
      );
      return;
    }
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

/** "64 PMTs: 2 ✖ TRIP, 1 ▲ ALARM" (states other than ON counted, worst first). */
function countsText(g: GroupSummary): string {
  const parts = WORST_FIRST.filter((st) => g.counts[st] > 0).map((st) => `${g.counts[st]} ${STATE_TEXT[st]}`);
  return `${g.pmts} PMTs${parts.length ? `: ${parts.join(', ')}` : ', all ON'}`;
}
