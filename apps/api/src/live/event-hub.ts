import { HttpException, HttpStatus } from '@nestjs/common';
import type { AlarmView, Reading } from '@cicenns/contracts';
import type { Pmt } from '@cicenns/model';
import { Gauge, type Registry } from 'prom-client';
import type { HttpResponse as Response } from '../http/http-types';
import type { AlarmCache } from '../alarms/alarm-cache';
import type { ApiBus } from '../api-bus';
import type { AuthService } from '../auth/auth.service';
import type { LiveCache } from '../live-cache';
import type { Views } from '../views';
import { GROUPINGS, type Grouping, type PmtStates } from '../pmts/pmt-states';

/** What one stream asked for (GET /api/events?crate=...&groupBy=crate). */
export interface StreamFilter {
  /** which PMTs' `pmt` events (by inventory index); none given: every PMT, on a small detector */
  test?: (pmt: number) => boolean;
  /** `group` events: the summaries of this grouping's groups that changed */
  groupBy?: Grouping;
}

interface Client {
  res: Response;
  token: string;
  user: string;
  filter: StreamFilter;
  /** whether it gets `pmt` events at all */
  wantsPmts: boolean;
  /** PMTs changed and not yet sent: a set, so a slow client holds one entry per PMT at most */
  pending: Set<number>;
  pendingGroups: Set<string>;
  /** waiting for its socket to drain */
  blocked: boolean;
}

/**
 * Above this many PMTs, a stream without a PMT filter gets no `pmt` events (45,000 PMT views a
 * second would be some 50 MB/s): it asks for a crate, a panel or ids, and for `group` events.
 */
export const UNFILTERED_MAX_PMTS = 1000;
/** Past this much unsent output, a stream's PMT updates wait (coalesced) until its socket drains. */
const SOFT_BUFFERED_BYTES = 256 * 1024;

/** Concurrent streams allowed: each costs ~130 KB/s at the demo's rates. */
export interface StreamLimits {
  total: number;
  perUser: number;
}

/** A client that stops reading is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Server-Sent Events to the console: `pmt` (PMTs whose data changed and that the stream's filter
 * takes, coalesced to one event per PMT per 100 ms, later while the stream's socket is behind),
 * `group` (the changed summaries of the stream's groupBy), `alarm` (each alarm state change),
 * `beam`, `health` (every 2 s), `hv-progress` (ramps); a comment ping every 15 s, when a stream
 * whose session has ended is closed.
 */
export class EventHub {
  private readonly clients = new Set<Client>();
  private readonly perUser = new Map<string, number>();
  private readonly dirtyPmts = new Set<number>();
  private readonly pmtsBySensor = new Map<string, number[]>();
  private groupsDirty = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pmtMs: number;
  private readonly gatherMs: number;
  private lastPmtFlush = 0;
  private pmtFlush?: NodeJS.Timeout;

  constructor(
    pmts: readonly Pmt[],
    live: LiveCache,
    alarms: AlarmCache,
    private readonly views: Views,
    private readonly bus: ApiBus,
    metrics: Registry,
    private readonly auth: AuthService,
    private readonly states: PmtStates,
    private readonly limits: StreamLimits = { total: 64, perUser: 8 },
    periods = { pmtMs: 100, gatherMs: 15, healthMs: 2000, pingMs: 15_000 },
  ) {
    for (const p of pmts) {
      if (p.sensorId === undefined) continue; // no temperature sensor configured for its group
      const list = this.pmtsBySensor.get(p.sensorId) ?? [];
      list.push(states.index.get(p.id)!);
      this.pmtsBySensor.set(p.sensorId, list);
    }
    this.unsubscribe.push(
      live.onReadings((r) => this.onReadings(r)),
      alarms.onChange((a: AlarmView) => this.emit('alarm', a)),
      states.onChange(() => {
        this.groupsDirty = true;
        this.schedulePmtFlush();
      }),
    );
    const every = (ms: number, f: () => void) => {
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    const streams: Gauge = new Gauge({
      name: 'cicenns_api_event_streams',
      help: 'Server-Sent Event streams open now (capped by api.maxEventStreams)',
      registers: [metrics],
      collect: () => streams.set(this.clients.size),
    });
    this.pmtMs = periods.pmtMs;
    this.gatherMs = periods.gatherMs;
    every(periods.healthMs, () => this.clients.size && this.emit('health', views.health(bus.connected)));
    every(periods.pingMs, () => this.ping());
  }

  get size(): number {
    return this.clients.size;
  }

  /** Open streams of one user. */
  streamsOf(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  /**
   * Take over an HTTP response as an event stream of `user`; the token ends it when the session
   * ends. 429 (nothing written yet) beyond the limits.
   */
  add(res: Response, token: string, user: string, filter: StreamFilter = {}): void {
    const mine = this.streamsOf(user);
    if (mine >= this.limits.perUser)
      throw new HttpException(
        `too many event streams for ${user}: ${mine} open (api.maxEventStreamsPerUser); close one first`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    if (this.clients.size >= this.limits.total)
      throw new HttpException(
        `too many event streams: ${this.clients.size} open in all (api.maxEventStreams)`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    res.write('retry: 2000\n\n');
    const client: Client = {
      res,
      token,
      user,
      filter,
      wantsPmts: filter.test !== undefined || this.states.size <= UNFILTERED_MAX_PMTS,
      pending: new Set(),
      pendingGroups: new Set(),
      blocked: false,
    };
    this.clients.add(client);
    this.perUser.set(user, mine + 1);
    res.on('close', () => this.remove(client));
    res.on('drain', () => {
      client.blocked = false;
      this.writePending(client, Date.now());
      this.frames.clear();
    });
    // the present first, so a fresh page needs no separate load to be complete
    this.write(client, 'health', this.views.health(this.bus.connected));
    const beam = this.views.beam();
    if (beam) this.write(client, 'beam', beam);
  }

  emit(event: string, data: unknown): void {
    if (!this.clients.size) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) this.send(c, frame);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    if (this.pmtFlush) clearTimeout(this.pmtFlush);
    for (const u of this.unsubscribe) u();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    this.perUser.clear();
  }

  /** Forget a stream (once: closing, destroying and the close event all lead here). */
  private remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    const n = (this.perUser.get(c.user) ?? 1) - 1;
    if (n > 0) this.perUser.set(c.user, n);
    else this.perUser.delete(c.user);
  }

  private onReadings(readings: readonly Reading[]): void {
    let beam = false;
    // no stream takes `pmt` events (none open, or a big detector's map by group): only the beam
    if (!this.wantsPmts()) {
      if (readings.some((r) => r.m === 'beam')) this.emit('beam', this.views.beam());
      return;
    }
    for (const r of readings) {
      if (r.m === 'hv' || r.m === 'dcr' || r.m === 'gain') {
        const i = this.states.index.get(r.id);
        if (i !== undefined) this.dirtyPmts.add(i);
      } else if (r.m === 'temperature')
        for (const i of this.pmtsBySensor.get(r.id) ?? []) this.dirtyPmts.add(i);
      else if (r.m === 'beam') beam = true;
    }
    if (beam) this.emit('beam', this.views.beam());
    this.schedulePmtFlush();
  }

  private wantsPmts(): boolean {
    for (const c of this.clients) if (c.wantsPmts) return true;
    return false;
  }

  /**
   * At most one flush per pmtMs, and gatherMs after the first new reading when idle, so the
   * batches of one poll sweep (one per crate, a few ms apart) go out together. A fixed 250 ms
   * timer made every reading wait for its tick (the poll and the timer stay in step).
   */
  private schedulePmtFlush(): void {
    if (this.pmtFlush || (!this.dirtyPmts.size && !this.groupsDirty)) return;
    const wait = Math.max(this.gatherMs, this.lastPmtFlush + this.pmtMs - Date.now());
    this.pmtFlush = setTimeout(() => {
      this.pmtFlush = undefined;
      this.lastPmtFlush = Date.now();
      this.flushPmts();
    }, wait);
    this.pmtFlush.unref();
  }

  /**
   * Coalescing: each stream collects the changed PMTs its filter takes (a set: the latest value of
   * each, however many readings came) and the changed groups of its grouping; a stream whose
   * socket is behind keeps collecting and is written when it drains. One view per PMT per flush,
   * shared by the streams.
   */
  private flushPmts(): void {
    const dirty = [...this.dirtyPmts];
    this.dirtyPmts.clear();
    const groups = new Map<Grouping, string[]>();
    if (this.groupsDirty) {
      this.groupsDirty = false;
      for (const by of GROUPINGS)
        groups.set(
          by,
          this.states.drainChanged(by).map((g) => g.id),
        );
    }
    if (!this.clients.size) return;
    const now = Date.now();
    this.frames.clear();
    for (const c of this.clients) {
      if (c.wantsPmts) {
        const test = c.filter.test;
        for (const i of dirty) if (!test || test(i)) c.pending.add(i);
      }
      if (c.filter.groupBy) for (const id of groups.get(c.filter.groupBy) ?? []) c.pendingGroups.add(id);
      if (!c.blocked) this.writePending(c, now);
    }
    this.frames.clear();
  }

  /** Views made in this flush, by PMT index (several streams often want the same PMT). */
  private readonly frames = new Map<number, string>();

  private writePending(c: Client, now: number): void {
    if (!c.pending.size && !c.pendingGroups.size) return;
    if (c.res.writableLength > SOFT_BUFFERED_BYTES) {
      c.blocked = true; // the 'drain' event writes what has collected by then
      return;
    }
    let out = '';
    for (const i of c.pending) {
      let frame = this.frames.get(i);
      if (frame === undefined) {
        const view = this.views.pmt(this.states.ids[i], now);
        frame = view ? `event: pmt\ndata: ${JSON.stringify(view)}\n\n` : '';
        this.frames.set(i, frame);
      }
      out += frame;
    }
    c.pending.clear();
    if (c.pendingGroups.size && c.filter.groupBy) {
      const by = c.filter.groupBy;
      const list = [...c.pendingGroups].map((id) => this.states.group(by, id)).filter((g) => g !== undefined);
      out += `event: group\ndata: ${JSON.stringify({ by, groups: list })}\n\n`;
    }
    c.pendingGroups.clear();
    if (out) this.send(c, out);
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!this.auth.resolve(c.token)) {
        this.send(c, 'event: session-ended\ndata: {}\n\n');
        c.res.end();
        this.remove(c);
      } else this.send(c, ': ping\n\n');
    }
  }

  private write(c: Client, event: string, data: unknown): void {
    this.send(c, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private send(c: Client, frame: string): void {
    if (c.res.writableLength > MAX_BUFFERED_BYTES) {
      c.res.destroy();
      this.remove(c);
      return;
    }
    c.res.write(frame);
  }
}
