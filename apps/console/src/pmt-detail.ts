/** One PMT: live values with their quality, calibration, its alarms, and trend plots. */
import { h, fill } from './dom.js';
import {
  ageText,
  compareAlarms,
  HV_GLYPH,
  hvState,
  NOT_COMMISSIONED_MARK,
  num,
  STATE_TEXT,
  valueText,
} from './format.js';
import type { Store } from './store.js';
import { RANGES, Trends } from './trends.js';
import type { PmtView, ValueView } from './types.js';

/**
 * Whose figures the alarms compare this tube with: "not commissioned: datasheet figures" (the
 * calibration alarms do not judge it), or the approved calibration's version, run and people.
 */
export function calibrationText(p: Pick<PmtView, 'commissioned' | 'calibration'>): string {
  const cal = p.calibration;
  if (!cal) return 'none on record';
  if (p.commissioned === false)
    return `${NOT_COMMISSIONED_MARK} not commissioned: datasheet figures (calibration alarms not compared)`;
  const parts = [`calibration v${cal.version}`];
  if (cal.run) parts.push(`run ${cal.run}`);
  if (cal.by) parts.push(`measured by ${cal.by}${cal.measuredAt ? ` ${cal.measuredAt.slice(0, 10)}` : ''}`);
  if (cal.approvedBy)
    parts.push(`approved by ${cal.approvedBy}${cal.approvedAt ? ` ${cal.approvedAt.slice(0, 10)}` : ''}`);
  return parts.join(' · ');
}

export class PmtDetail {
  private readonly live = h('div', { id: 'detail-live' });
  private readonly alarms = h('div', { id: 'detail-alarms' });
  private readonly trends = new Trends();
  private rangeMs: number = RANGES[0].ms;
  private shown: string | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly store: Store,
  ) {
    store.on('selected', (id) => this.show(id));
    store.on('pmts', (list) => {
      const p = list.find((x) => x.id === this.shown);
      if (p) {
        this.renderLive(p);
        this.trends.push(p);
      }
    });
    store.on('alarms', () => this.renderAlarms());
  }

  private show(id: string | null): void {
    const p = id ? this.store.pmts.get(id) : undefined;
    this.shown = p ? p.id : null;
    if (!p) return;
    const ranges = h(
      'div',
      { class: 'ranges', role: 'group', 'aria-label': 'Trend range' },
      ...RANGES.map((r) =>
        h(
          'button',
          {
            type: 'button',
            'aria-pressed': String(r.ms === this.rangeMs),
            onclick: (ev: Event) => {
              this.rangeMs = r.ms;
              for (const b of ranges.querySelectorAll('button'))
                b.setAttribute('aria-pressed', String(b === ev.currentTarget));
              void this.trends.load(this.store.pmts.get(p.id) ?? p, r.ms);
            },
          },
          r.label,
        ),
      ),
    );
    fill(
      this.root,
      this.live,
      h('h3', {}, 'Alarms'),
      this.alarms,
      h('h3', {}, 'Trends'),
      ranges,
      this.trends.el,
    );
    this.renderLive(p);
    this.renderAlarms();
    void this.trends.load(p, this.rangeMs);
  }

  private renderLive(p: PmtView): void {
    const state = hvState(p);
    const row = (label: string, v: ValueView, digits = 1) =>
      [
        h('dt', {}, label),
        h(
          'dd',
          { 'data-field': label },
          valueText(v, digits),
          h('span', { class: 'q', 'data-q': v.quality }, v.quality === 'none' ? 'no data yet' : v.quality),
          v.quality === 'none' ? null : h('span', { class: 'muted' }, ` ${ageText(v.ts)}`),
          v.error ? h('div', { class: 'error' }, v.error) : null,
        ),
      ] as const;
    const cal = p.calibration;
    fill(
      this.live,
      h(
        'p',
        { class: 'detail-head' },
        h('strong', { id: 'detail-pmt' }, p.id),
        ` · ${p.group === 'crystal' ? 'crystal' : 'veto panel'} ${p.parent} · HV ${p.hv.device} ch ${p.hv.channel} · `,
        h('strong', { 'data-hv': state }, `${HV_GLYPH[state]} ${state}`),
      ),
      h(
        'dl',
        { class: 'kv' },
        ...row('VSet', p.vset),
        ...row('VMon', p.vmon),
        ...row('IMon', p.imon, 2),
        h('dt', {}, 'Status'),
        h('dd', {}, p.status.flags.length ? p.status.flags.join(', ') : 'off (no flags)'),
        ...(p.temperature
          ? row(`Temperature (${p.sensor})`, p.temperature)
          : [h('dt', {}, 'Temperature'), h('dd', {}, 'no sensor configured')]),
        ...row('DCR', p.dcr, 0),
        ...row('Gain', p.gain),
        ...Object.entries(p.extra ?? {}).flatMap(([name, v]) => row(name, v)),
        h('dt', {}, 'Limits'),
        h('dd', {}, `≤ ${p.limits.vmax} V, ≤ ${p.limits.imaxUa} µA, ramp ≤ ${p.limits.rampMaxVps} V/s`),
        h('dt', {}, 'Calibration'),
        h(
          'dd',
          { id: 'detail-calibration', 'data-commissioned': String(p.commissioned !== false) },
          calibrationText(p),
          cal
            ? h(
                'div',
                { class: 'muted' },
                `v${cal.version}: ${num(cal.hvV, 0)} V, gain ${num(cal.gain)}, DCR ${num(cal.dcrHz, 0)} Hz`,
              )
            : null,
        ),
      ),
    );
  }

  private renderAlarms(): void {
    const p = this.shown ? this.store.pmts.get(this.shown) : undefined;
    if (!p) return;
    const list = [...this.store.alarms.values()]
      .filter((a) => (a.subject.id === p.id || a.subject.id === p.parent) && a.state !== 'normal')
      .sort(compareAlarms);
    fill(
      this.alarms,
      list.length
        ? h(
            'ul',
            {},
            ...list.map((a) =>
              h(
                'li',
                { 'data-alarm': a.alarmId },
                h('strong', {}, a.severity === 'alarm' ? '▲ ALARM ' : '! WARNING '),
                `${a.message} — ${STATE_TEXT[a.state]}`,
                h('div', { class: 'muted' }, `→ ${a.guidance}`),
              ),
            ),
          )
        : h(
            'p',
            { class: 'hint' },
            '✔ No alarms on this PMT or its ' + (p.group === 'crystal' ? 'crystal' : 'panel') + '.',
          ),
    );
  }
}
