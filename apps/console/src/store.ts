/** The console's state: what the server last said, plus who is logged in and what is selected. */
import type { AlarmView } from '@cicenns/contracts';
import type { Beam, GroupSummary, Health, HvProgress, PmtView, User } from './types.js';

export interface StoreEvents {
  user: User | null;
  pmts: PmtView[];
  alarms: AlarmView[];
  health: Health;
  beam: Beam;
  selected: string | null;
  connection: 'connecting' | 'live' | 'lost';
  'hv-progress': HvProgress;
  groups: GroupSummary[];
  /** the map's layout changed: flat or by group, which group is open, which page */
  layout: null;
}

/**
 * Above this many PMTs the map shows groups (HV crates) with their worst state and opens one
 * group's PMTs at a time; the API's unfiltered stream stops carrying PMT events at the same size.
 */
export const MAP_MAX_PMTS = 1000;
/** PMTs of an open group shown per page */
export const GROUP_PAGE = 100;

type Listener<K extends keyof StoreEvents> = (payload: StoreEvents[K]) => void;

export class Store {
  user: User | null = null;
  readonly pmts = new Map<string, PmtView>();
  readonly alarms = new Map<string, AlarmView>();
  health: Health | null = null;
  beam: Beam | null = null;
  selected: string | null = null;
  connection: StoreEvents['connection'] = 'connecting';
  /** the map by group (a detector of more than MAP_MAX_PMTS), with the groups' summaries */
  byGroup = false;
  readonly groups = new Map<string, GroupSummary>();
  /** the group whose PMTs are shown (by group only), its page and how many PMTs it has */
  openGroup: string | null = null;
  groupOffset = 0;
  groupTotal = 0;
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

  /**
   * Whole snapshot (replace) or changed PMTs only (merge). By group, a live update only of PMTs
   * on the open page (the stream takes the whole group).
   */
  putPmts(list: PmtView[], replace = false): void {
    if (replace) this.pmts.clear();
    else if (this.byGroup) list = list.filter((p) => this.pmts.has(p.id));
    for (const p of list) this.pmts.set(p.id, p);
    this.emit('pmts', list);
  }

  putGroups(list: GroupSummary[], replace = false): void {
    if (replace) this.groups.clear();
    for (const g of list) this.groups.set(g.id, g);
    this.emit('groups', list);
  }

  /** Flat or by group, and which group's page is open. */
  setLayout(byGroup: boolean, openGroup: string | null = null, offset = 0, total = 0): void {
    this.byGroup = byGroup;
    this.openGroup = openGroup;
    this.groupOffset = offset;
    this.groupTotal = total;
    this.emit('layout', null);
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
