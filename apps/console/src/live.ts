/**
 * Live updates pushed by the server over Server-Sent Events (/api/events, cookie auth). No
 * polling: EventSource reconnects by itself; after a reconnect the console reloads the snapshot
 * so nothing missed while disconnected stays wrong.
 */
import type { Store } from './store.js';
import type { AlarmView } from '@cicenns/contracts';
import type { Beam, GroupSummary, Health, HvProgress, PmtView } from './types.js';

export class LiveFeed {
  private source: EventSource | null = null;
  private wasLost = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private query = '';

  constructor(
    private readonly store: Store,
    private readonly reloadSnapshot: () => Promise<void>,
    private readonly onSessionEnded: () => void,
  ) {}

  /** Open the stream; `query` is its filter (e.g. groupBy=crate&crate=hv-veto-02). */
  start(query = this.query): void {
    this.stop();
    this.query = query;
    this.store.setConnection('connecting');
    const es = new EventSource(`/api/events${query ? `?${query}` : ''}`, { withCredentials: true });
    this.source = es;
    es.onopen = () => {
      this.store.setConnection('live');
      if (this.wasLost) {
        this.wasLost = false;
        void this.reloadSnapshot();
      }
    };
    es.onerror = () => {
      this.wasLost = true;
      this.store.setConnection('lost');
      // A refused response (401, 5xx) closes an EventSource for good: retry it ourselves.
      if (es.readyState === EventSource.CLOSED && this.source === es) {
        this.retry = setTimeout(() => this.start(), 3000);
      }
    };
    const on = <T>(name: string, fn: (data: T) => void) =>
      es.addEventListener(name, (ev) => {
        try {
          fn(JSON.parse((ev as MessageEvent<string>).data) as T);
        } catch {
          /* a malformed event must not stop the others */
        }
      });
    on<PmtView | PmtView[]>('pmt', (d) => this.store.putPmts(Array.isArray(d) ? d : [d]));
    on<AlarmView | AlarmView[]>('alarm', (d) => this.store.putAlarms(Array.isArray(d) ? d : [d]));
    on<{ groups: GroupSummary[] }>('group', (d) => this.store.putGroups(d.groups));
    on<Health>('health', (d) => this.store.setHealth(d));
    on<Beam>('beam', (d) => this.store.setBeam(d));
    on<HvProgress>('hv-progress', (d) => this.store.emit('hv-progress', d));
    // the server ends the stream when the session expires: ask for a login
    on<unknown>('session-ended', () => {
      this.stop();
      this.onSessionEnded();
    });
  }

  stop(): void {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
  }
}
