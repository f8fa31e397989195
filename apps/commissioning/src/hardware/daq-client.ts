/**
 * Measurement requests to the DAQ (SPEC 2.4). Steps ask for one PMT at a time; calls arriving
 * together (same kind, duration and run, within BATCH_WINDOW_MS) go out as ONE request listing
 * all their PMTs, and requests go one after another because the DAQ takes one at a time. The
 * DAQ's answers are untrusted: size-limited, parsed, matched to what was asked.
 */
import { subscribeAcked } from '@cicenns/bus';
import type { ServiceLogger } from '@cicenns/common';
import {
  dcrResultSchema,
  gainResultSchema,
  MAX_MEASURE_PAYLOAD_BYTES,
  MAX_PMTS_PER_REQUEST,
  measureResultSchema,
  measureStatusSchema,
  Topics,
  type DcrResult,
  type GainResult,
  type MeasurementKind,
  type MeasureRequest,
  type MeasureResult,
  type MeasureStatus,
} from '@cicenns/contracts';
import type { Procedure } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { abortError } from './abort';

export type MeasureOutcome = { ok: true; dcr?: DcrResult; gain?: GainResult } | { ok: false; reason: string };

/** calls this close together (same kind, duration, run) share one request */
export const BATCH_WINDOW_MS = 20;

interface Entry {
  pmt: string;
  done: boolean;
  resolve: (o: MeasureOutcome) => void;
  reject: (err: Error) => void;
  onWait?: (why: string) => void;
  cleanup: () => void;
}

interface Batch {
  key: string;
  kind: MeasurementKind;
  durationS: number;
  runId: string;
  entries: Entry[];
  /** aborted when every caller has given up: nobody waits for the answer any more */
  abandoned: AbortController;
  timer?: NodeJS.Timeout;
  /** its window has passed while a request was in flight: it goes out after that one */
  ready?: boolean;
}

/** What arrived for the request in flight. */
interface InFlight {
  status?: MeasureStatus;
  result?: MeasureResult;
  wake?: () => void;
}

export class DaqClient {
  private readonly open = new Map<string, Batch>();
  private readonly queue: Batch[] = [];
  private running = false;
  private readonly inFlight = new Map<string, InFlight>();
  private subscribed?: Promise<void>;
  private seq = 0;
  private readonly count = {
    requests: 0,
    timeouts: 0,
    busy: 0,
    rejected: 0,
    results: 0,
    /** not JSON, not the schema, too large, or its request_id not its topic's */
    badAnswers: 0,
    /** results or errors for a PMT the request did not ask for (ignored) */
    foreignResults: 0,
    /** answers for a request id not in flight (late, after a timeout, or someone else's) */
    unknownAnswers: 0,
  };

  constructor(
    private readonly client: MqttClient,
    private readonly settings: Procedure['daq'],
    private readonly log: ServiceLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Subscribe to the answers (once; measure() does it before its first request). The owner of
   * the MQTT client passes every message to onMessage.
   */
  subscribe(): Promise<void> {
    this.subscribed ??= subscribeAcked(this.client, Topics.measure.answers);
    return this.subscribed;
  }

  /** one PMT's measurement; rejects only on abort (signal's reason) */
  measure(
    kind: MeasurementKind,
    pmt: string,
    durationS: number,
    runId: string,
    signal?: AbortSignal,
    onWait?: (why: string) => void,
  ): Promise<MeasureOutcome> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const key = `${kind}/${durationS}/${runId}`;
    let batch = this.open.get(key);
    if (!batch) {
      const b: Batch = { key, kind, durationS, runId, entries: [], abandoned: new AbortController() };
      b.timer = setTimeout(() => this.close(b), BATCH_WINDOW_MS);
      this.open.set(key, b);
      batch = b;
    }
    const b = batch;
    return new Promise<MeasureOutcome>((resolve, reject) => {
      const onAbort = () => {
        if (entry.done) return;
        entry.done = true;
        reject(abortError(signal!));
        if (b.entries.every((e) => e.done)) b.abandoned.abort();
      };
      const entry: Entry = {
        pmt,
        done: false,
        resolve,
        reject,
        onWait,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      b.entries.push(entry);
      if (new Set(b.entries.map((e) => e.pmt)).size >= MAX_PMTS_PER_REQUEST) this.close(b);
    });
  }

  /** true if it was a status/result topic (handled here, whatever its content) */
  onMessage(topic: string, payload: Buffer): boolean {
    const m = Topics.measure.answerPattern.exec(topic);
    if (!m) return false;
    const [, id, which] = m;
    if (payload.length > MAX_MEASURE_PAYLOAD_BYTES) {
      this.bad(`${which} for ${id}: ${payload.length} bytes, above ${MAX_MEASURE_PAYLOAD_BYTES}`);
      return true;
    }
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      this.bad(`${which} for ${id}: not JSON`);
      return true;
    }
    const parsed = (which === 'status' ? measureStatusSchema : measureResultSchema).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.bad(`${which} for ${id}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
      return true;
    }
    if (parsed.data.request_id !== id) {
      this.bad(`${which} on the topic of ${id} names request ${parsed.data.request_id}`);
      return true;
    }
    const f = this.inFlight.get(id);
    if (!f) {
      this.count.unknownAnswers++;
      return true;
    }
    if (which === 'status') f.status = parsed.data as MeasureStatus;
    else f.result = parsed.data as MeasureResult;
    f.wake?.();
    return true;
  }

  counters(): Record<string, number> {
    return { ...this.count, queued: this.queue.length };
  }

  private bad(what: string): void {
    this.count.badAnswers++;
    this.log.warn(`DAQ answer refused: ${what}`);
  }

  private close(b: Batch): void {
    clearTimeout(b.timer);
    if (this.open.get(b.key) !== b) return;
    if (this.running && new Set(b.entries.map((e) => e.pmt)).size < MAX_PMTS_PER_REQUEST) {
      // the DAQ is busy with another request: keep gathering callers of this kind until it is
      // done, so PMTs that drifted apart in time meet again in one request instead of queueing
      // one request each behind it
      b.ready = true;
      return;
    }
    this.open.delete(b.key);
    this.queue.push(b);
    void this.drain();
  }

  /** the batches that gathered while a request was in flight join the queue */
  private flushReady(): void {
    for (const b of [...this.open.values()])
      if (b.ready) {
        this.open.delete(b.key);
        this.queue.push(b);
      }
  }

  /** one request at a time: the DAQ takes one */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let b = this.queue.shift(); b; this.flushReady(), b = this.queue.shift()) {
        if (b.abandoned.signal.aborted) continue;
        let outcome: Map<string, MeasureOutcome> | MeasureOutcome;
        try {
          outcome = await this.run(b);
        } catch (err) {
          // abandoned (every caller aborted) or an unexpected failure: nobody may hang
          outcome = { ok: false, reason: `measurement failed: ${(err as Error).message}` };
        }
        for (const e of b.entries) {
          e.cleanup();
          if (e.done) continue;
          e.done = true;
          e.resolve(outcome instanceof Map ? outcome.get(e.pmt)! : outcome);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Ask until answered: retries after a timeout, asks again while busy. */
  private async run(b: Batch): Promise<Map<string, MeasureOutcome> | MeasureOutcome> {
    await this.subscribe();
    const pmts = [...new Set(b.entries.map((e) => e.pmt))];
    const { acceptTimeoutS, resultMarginS, whenBusy, busyRetryS, busyMaxWaitS, retries } = this.settings;
    const signal = b.abandoned.signal;
    let timeoutsLeft = retries;
    let busySince: number | undefined;
    for (;;) {
      const id = this.requestId(b.runId);
      const req: MeasureRequest = {
        request_id: id,
        kind: b.kind,
        pmts,
        duration_s: b.durationS,
        run: b.runId,
      };
      const f: InFlight = {};
      this.inFlight.set(id, f);
      try {
        this.count.requests++;
        await this.client.publishAsync(Topics.measure.request, JSON.stringify(req), { qos: 1 });
        const answered = await this.until(f, () => !!(f.status || f.result), acceptTimeoutS, signal);
        let timedOutAfter = answered ? undefined : acceptTimeoutS;
        const status = f.status;
        if (!f.result && status?.state === 'busy') {
          this.count.busy++;
          const why = `DAQ busy: ${status.reason ?? 'no reason given'}`;
          if (whenBusy === 'stop') return { ok: false, reason: why };
          busySince ??= this.now();
          const waited = (this.now() - busySince) / 1000;
          if (waited + busyRetryS > busyMaxWaitS)
            return {
              ok: false,
              reason: `${why}; still busy after ${Math.round(waited)} s (busyMaxWaitS ${busyMaxWaitS})`,
            };
          for (const e of b.entries) if (!e.done) e.onWait?.(why);
          await sleep(busyRetryS * 1000, signal);
          continue;
        }
        if (!f.result && status?.state === 'rejected') {
          this.count.rejected++;
          return {
            ok: false,
            reason: `the DAQ rejected request ${id}: ${status.reason ?? 'no reason given'}`,
          };
        }
        if (answered && !f.result) {
          const limit = Math.round((b.durationS + resultMarginS) * 1000) / 1000;
          if (!(await this.until(f, () => !!f.result, limit, signal))) timedOutAfter = limit;
        }
        if (f.result) {
          this.count.results++;
          return this.outcomes(id, b.kind, pmts, f.result);
        }
        this.count.timeouts++;
        const reason = `the DAQ did not answer request ${id} within ${timedOutAfter} s`;
        if (timeoutsLeft-- <= 0) return { ok: false, reason };
        this.log.warn(`${reason}: asking again (${timeoutsLeft + 1} retries left)`);
      } finally {
        this.inFlight.delete(id);
      }
    }
  }

  /** The result matched to the PMTs asked for. */
  private outcomes(id: string, kind: MeasurementKind, pmts: string[], r: MeasureResult) {
    if (r.kind !== kind)
      return {
        ok: false as const,
        reason: `the DAQ's result for request ${id} is a ${r.kind} result, asked ${kind}`,
      };
    const asked = new Set(pmts);
    const errors = r.errors ?? {};
    const foreign = [...Object.keys(r.results), ...Object.keys(errors)].filter((p) => !asked.has(p));
    if (foreign.length) {
      this.count.foreignResults += foreign.length;
      this.log.warn(`DAQ result ${id}: ignored PMTs not asked for: ${foreign.slice(0, 5).join(', ')}`);
    }
    const out = new Map<string, MeasureOutcome>();
    for (const pmt of pmts) {
      const value = Object.hasOwn(r.results, pmt) ? r.results[pmt] : undefined;
      const error = Object.hasOwn(errors, pmt) ? errors[pmt] : undefined;
      if (error !== undefined) {
        out.set(pmt, { ok: false, reason: `DAQ: ${error}` });
      } else if (value === undefined) {
        out.set(pmt, { ok: false, reason: `the DAQ's result for request ${id} has nothing for ${pmt}` });
      } else if (kind === 'dcr') {
        const v = dcrResultSchema.safeParse(value);
        out.set(pmt, v.success ? { ok: true, dcr: v.data } : { ok: false, reason: notKind(id, pmt, kind) });
      } else {
        const v = gainResultSchema.safeParse(value);
        out.set(pmt, v.success ? { ok: true, gain: v.data } : { ok: false, reason: notKind(id, pmt, kind) });
      }
    }
    return out;
  }

  /** `<runId>-<n>`, made a valid topic level (measureRequestIdSchema) */
  private requestId(runId: string): string {
    const safe = runId.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 60) || 'run';
    return `${safe}-${++this.seq}`;
  }

  /** true once cond() holds; false after seconds; rejects when signal aborts */
  private until(f: InFlight, cond: () => boolean, seconds: number, signal: AbortSignal): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise<boolean>((resolve, reject) => {
      const finish = (v: boolean | Error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        f.wake = undefined;
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
      const onAbort = () => finish(abortError(signal));
      const timer = setTimeout(() => finish(false), seconds * 1000);
      f.wake = () => {
        if (cond()) finish(true);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function notKind(id: string, pmt: string, kind: MeasurementKind): string {
  return `the DAQ's result for request ${id} has no ${kind} value for ${pmt}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
