/** The console's state: what the server last said, plus who is logged in and what is selected. */
import type { AlarmView } from '@cicenns/contracts';
import type { Beam, Health, HvProgress, PmtView, User } from './types.js';

export interface StoreEvents {
  user: User | null;
  pmts: PmtView[];
  alarms: AlarmView[];
  health: Health;
  beam: Beam;
  selected: string | null;
  connection: 'connecting' | 'live' | 'lost';
  'hv-progress': HvProgress;
}

type Listener<K extends keyof StoreEvents> = (payload: StoreEvents[K]) => void;

export class Store {
  user: User | null = null;
  readonly pmts = new Map<string, PmtView>();
  readonly alarms = new Map<string, AlarmView>();
  health: Health | null = null;
  beam: Beam | null = null;
  selected: string | null = null;
  connection: StoreEvents['connection'] = 'connecting';
  private readonly listeners = new Map<keyof StoreEvents, Set<Listener<never>>>();

  on<K extends keyof StoreEvents>(event: K, fn: Listener<K>): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
  }

  emit<K extends keyof StoreEvents>(event: K, payload: StoreEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) (fn as Listener<K>)(payload);
  }

  setUser(u: User | null): void {
    this.user = u;
    this.emit('user', u);
  }

  /** Whole snapshot (replace) or changed PMTs only (merge). */
  putPmts(list: PmtView[], replace = false): void {
    if (replace) this.pmts.clear();
    for (const p of list) this.pmts.set(p.id, p);
    this.emit('pmts', list);
  }

  putAlarms(list: AlarmView[], replace = false): void {
    if (replace) this.alarms.clear();
    for (const a of list) this.alarms.set(a.alarmId, a);
    this.emit('alarms', list);
  }

  setHealth(h: Health): void {
    this.health = h;
    this.emit('health', h);
  }

  setBeam(b: Beam): void {
    this.beam = b;
    this.emit('beam', b);
  }

  select(id: string | null): void {
    this.selected = id;
    this.emit('selected', id);
  }

  setConnection(c: StoreEvents['connection']): void {
    this.connection = c;
    this.emit('connection', c);
  }

  /** Live alarms about a PMT or its crystal/panel. */
  alarmsOf(subjectId: string): AlarmView[] {
    return [...this.alarms.values()].filter((a) => a.subject.id === subjectId);
  }
}
