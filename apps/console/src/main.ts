/** The shift console: wires the store, the live feed and the panels together. */
import { api, apiAll, apiPage, ApiError, setUnauthorizedHandler } from './api.js';
import { AlarmList } from './alarm-list.js';
import { CommissioningPage } from './commissioning-page.js';
import { DetectorMap } from './detector-map.js';
import { byId } from './dom.js';
import { Header } from './header.js';
import { HvPanel } from './hv-panel.js';
import { JournalView } from './journal.js';
import { LiveFeed } from './live.js';
import { askLogin } from './login.js';
import { PmtDetail } from './pmt-detail.js';
import { ShelveDialog } from './shelve-dialog.js';
import { GROUP_PAGE, MAP_MAX_PMTS, Store } from './store.js';
import type { AlarmView } from '@cicenns/contracts';
import type { Beam, GroupSummary, Health, PmtView, User } from './types.js';

const store = new Store();
const feed = new LiveFeed(store, loadSnapshot, () => sessionEnded());
const main = byId('main');
const banner = byId('banner');
let loggingIn = false;

async function optional<T>(path: string): Promise<T | null> {
  try {
    return await api<T>(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 503)) return null;
    throw e;
  }
}

/** The map's groups: HV crates (the stream's groupBy and the /api/pmts filter of the same name). */
const GROUP_BY = 'crate';

/**
 * The full state from the REST API (at start and after a reconnect). The groups first: their
 * sizes say whether the map is flat (every PMT) or by group (the open group's page only).
 */
async function loadSnapshot(): Promise<void> {
  const [groups, alarms, health, beam] = await Promise.all([
    apiAll<GroupSummary>(`/api/groups?by=${GROUP_BY}`),
    optional<AlarmView[]>('/api/alarms'),
    optional<Health>('/api/health'),
    optional<Beam>('/api/beam'),
  ]);
  const byGroup = groups.reduce((n, g) => n + g.pmts, 0) > MAP_MAX_PMTS;
  let pmts: PmtView[] = [];
  if (!byGroup) pmts = await apiAll<PmtView>('/api/pmts');
  else if (store.openGroup !== null) {
    const page = await groupPage(store.openGroup, store.groupOffset);
    pmts = page.items;
    store.groupTotal = page.total;
  }
  if (byGroup !== store.byGroup) store.setLayout(byGroup);
  store.putGroups(byGroup ? groups : [], true);
  store.putPmts(pmts, true);
  if (alarms) store.putAlarms(alarms, true);
  if (health) store.setHealth(health);
  if (beam) store.setBeam(beam);
}

function groupPage(id: string, offset: number) {
  return apiPage<PmtView>(
    `/api/pmts?${GROUP_BY}=${encodeURIComponent(id)}&limit=${GROUP_PAGE}&offset=${offset}`,
  );
}

/** The stream's filter: every PMT on a flat map; by group, the groups and the open group's PMTs. */
function streamQuery(): string {
  if (!store.byGroup) return '';
  return `groupBy=${GROUP_BY}${store.openGroup === null ? '' : `&${GROUP_BY}=${encodeURIComponent(store.openGroup)}`}`;
}

/** By group: show one group's page of PMTs (null: back to the groups), the stream following. */
async function openGroup(id: string | null, offset = 0): Promise<void> {
  if (id === null) {
    store.setLayout(true);
    store.putPmts([], true);
  } else {
    const page = await groupPage(id, offset);
    store.setLayout(true, id, offset, page.total);
    store.putPmts(page.items, true);
  }
  feed.start(streamQuery());
}

async function session(): Promise<void> {
  if (loggingIn) return;
  loggingIn = true;
  try {
    await startSession();
  } finally {
    loggingIn = false;
  }
}

async function startSession(): Promise<void> {
  let user: User | null = null;
  try {
    user = await api<User>('/api/me');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) throw e;
  }
  if (!user) {
    main.hidden = true;
    user = await askLogin();
  }
  store.setUser(user);
  main.hidden = false;
  await loadSnapshot();
  feed.start(streamQuery());
  document.body.dataset.ready = 'true';
  performance.mark('console-ready');
}

async function logout(): Promise<void> {
  feed.stop();
  await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
  store.setUser(null);
  document.body.dataset.ready = 'false';
  await session();
}

/** A 401 or the stream's `session-ended`: show the login form once. */
function sessionEnded(): void {
  if (loggingIn) return;
  feed.stop();
  store.setUser(null);
  void session();
}

function start(): void {
  new Header(byId('header'), store, () => void logout());
  new DetectorMap(byId('map'), byId('map-legend'), store, (id, offset) => {
    openGroup(id, offset).catch((e: unknown) => {
      banner.hidden = false;
      banner.textContent = `✖ Could not open ${id}: ${e instanceof Error ? e.message : String(e)}`;
    });
  });
  new PmtDetail(byId('detail'), store);
  new AlarmList(byId('alarms'), store, new ShelveDialog(), new JournalView());
  const hv = new HvPanel(byId('hv'), store);
  const commissioning = new CommissioningPage(byId('commissioning'), store, (pmt, volts) => {
    showView('shift');
    hv.propose(pmt, volts);
  });
  /** Shift (map, alarms, HV, detail) or Commissioning; the commissioning page polls only while shown. */
  const showView = (view: 'shift' | 'commissioning') => {
    document.body.dataset.view = view;
    for (const b of document.querySelectorAll<HTMLButtonElement>('#views button'))
      b.setAttribute('aria-pressed', String(b.dataset.view === view));
    commissioning.setActive(view === 'commissioning' && store.user !== null);
  };
  for (const b of document.querySelectorAll<HTMLButtonElement>('#views button'))
    b.addEventListener('click', () =>
      showView(b.dataset.view === 'commissioning' ? 'commissioning' : 'shift'),
    );
  store.on('user', (u) =>
    commissioning.setActive(u !== null && document.body.dataset.view === 'commissioning'),
  );
  showView('shift');
  store.on('connection', (c) => {
    banner.hidden = c !== 'lost';
    banner.textContent = '✖ Connection to the server lost: values on this page are frozen. Reconnecting…';
  });
  setUnauthorizedHandler(sessionEnded);
  session().catch((e: unknown) => {
    banner.hidden = false;
    banner.textContent = `✖ The console could not start: ${e instanceof Error ? e.message : String(e)}`;
  });
}

start();
