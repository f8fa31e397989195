/** The top bar: overall health, beam, unacknowledged alarms, connection, user and logout. */
import { h, fill, setAttr, setText } from './dom.js';
import { isLive, needsAck, num, servicesNotRunning } from './format.js';
import type { Store } from './store.js';

export class Header {
  private readonly health = h('span', { class: 'pill', id: 'health', role: 'status' });
  private readonly beam = h('span', { class: 'pill', id: 'beam', role: 'status' });
  private readonly unack = h('a', { class: 'pill', id: 'unack', href: '#alarms-section' });
  private readonly live = h('span', { class: 'pill', id: 'live', role: 'status' });
  private readonly user = h('span', { id: 'user' });

  constructor(
    root: HTMLElement,
    private readonly store: Store,
    onLogout: () => void,
  ) {
    fill(
      root,
      h('span', { class: 'title' }, 'CICENNS shift console'),
      this.health,
      this.beam,
      this.unack,
      this.live,
      this.user,
      h('button', { type: 'button', id: 'logout', onclick: onLogout }, 'Log out'),
    );
    store.on('health', () => this.renderHealth());
    store.on('beam', () => this.renderBeam());
    store.on('alarms', () => this.renderAlarms());
    store.on('connection', () => this.renderConnection());
    store.on('user', (u) => setText(this.user, u ? `${u.name} (${u.role})` : ''));
    this.renderHealth();
    this.renderBeam();
    this.renderAlarms();
    this.renderConnection();
  }

  private renderHealth(): void {
    const s = this.store.health?.status;
    const text = { ok: '✔ System OK', degraded: '▲ System DEGRADED', down: '✖ System DOWN' };
    const level = { ok: 'ok', degraded: 'warning', down: 'alarm' } as const;
    setText(this.health, s ? text[s] : '? System unknown');
    setAttr(this.health, 'data-level', s ? level[s] : 'unknown');
    setAttr(this.health, 'title', servicesNotRunning(this.store.health?.services ?? {}));
  }

  private renderBeam(): void {
    const b = this.store.beam;
    const on = b?.on;
    setText(
      this.beam,
      on === true
        ? `◉ Beam ON ${num(b?.power_kw ?? null, 0)} kW`
        : on === false
          ? '◎ Beam OFF'
          : '? Beam unknown',
    );
    setAttr(this.beam, 'data-level', on === undefined || on === null ? 'unknown' : 'ok');
  }

  private renderAlarms(): void {
    const all = [...this.store.alarms.values()];
    const unack = all.filter(needsAck);
    const live = all.filter(isLive);
    const worst = unack.some((a) => a.severity === 'alarm')
      ? 'alarm'
      : unack.length
        ? 'warning'
        : live.length
          ? 'warning'
          : 'ok';
    setText(
      this.unack,
      unack.length
        ? `▲ ${unack.length} unacknowledged`
        : live.length
          ? `${live.length} active, all acked`
          : '✔ No alarms',
    );
    setAttr(this.unack, 'data-level', worst);
    setAttr(this.unack, 'data-count', String(unack.length));
  }

  private renderConnection(): void {
    const c = this.store.connection;
    setText(this.live, c === 'live' ? '⇄ Live' : c === 'lost' ? '✖ Connection lost' : '… Connecting');
    setAttr(this.live, 'data-level', c === 'live' ? 'ok' : c === 'lost' ? 'alarm' : 'unknown');
  }
}
