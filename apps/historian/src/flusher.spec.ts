import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flusher, type FlushTarget } from './flusher';
import type { WriteOutcome } from './influx-writer';
import { Spool } from './spool';

/** A fake InfluxDB whose writes the test answers one by one, in any order. */
class HeldWrites implements FlushTarget {
  readonly pending: { body: string; answer: (o: WriteOutcome) => void }[] = [];
  readonly accepted: string[] = [];
  readonly events: string[] = [];
  maxInFlight = 0;
  prepareResults: boolean[] = [];

  async prepare(): Promise<boolean> {
    this.events.push('prepare');
    return this.prepareResults.shift() ?? true;
  }

  write(body: string): Promise<WriteOutcome> {
    this.events.push(`write ${body}`);
    return new Promise((resolve) => {
      this.pending.push({
        body,
        answer: (o) => {
          if (o.ok) this.accepted.push(body);
          resolve(o);
        },
      });
      this.maxInFlight = Math.max(this.maxInFlight, this.pending.length);
    });
  }

  wrote(): void {}

  /** Answer the write of `body` (it must be in flight). */
  answer(body: string, o: WriteOutcome = { ok: true }): void {
    const i = this.pending.findIndex((p) => p.body === body);
    if (i < 0)
      throw new Error(`no write of ${body} in flight (${this.pending.map((p) => p.body).join(', ')})`);
    const [p] = this.pending.splice(i, 1);
    p!.answer(o);
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('flusher: several writes in flight', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flusher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const settings = { batchSize: 1, flushIntervalMs: 5, writeConcurrency: 3 };
  let n = 0;
  const spoolWith = (bodies: string[]) => {
    const s = new Spool(join(dir, `s${n++}.db`));
    for (const b of bodies) s.append([b]);
    return s;
  };

  it('keeps writeConcurrency writes in flight, completions in any order, each row removed once written', async () => {
    const spool = spoolWith(['a', 'b', 'c', 'd', 'e']);
    const target = new HeldWrites();
    const flusher = new Flusher(spool, target, settings).start();
    await until('three writes in flight', () => target.pending.length === 3);
    expect(target.pending.map((p) => p.body)).toEqual(['a', 'b', 'c']);
    target.answer('c');
    target.answer('b');
    await until('d in flight', () => target.pending.some((p) => p.body === 'd'));
    expect(spool.backlogLines).toBe(5); // b and c taken, but a is still out: nothing removed
    target.answer('a');
    await until('e in flight', () => target.pending.some((p) => p.body === 'e'));
    expect(spool.backlogLines).toBe(2); // a, b, c removed together
    target.answer('e');
    target.answer('d');
    await until('the spool empty', () => spool.backlogLines === 0);
    expect(target.accepted.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(target.maxInFlight).toBe(3);
    // set up once, before the first write, for all three writers
    expect(target.events.filter((e) => e === 'prepare')).toHaveLength(1);
    expect(target.events[0]).toBe('prepare');
    await flusher.stop();
    spool.close();
  });

  it('retries a write that failed in the middle, after setting up again, and loses or repeats nothing', async () => {
    const spool = spoolWith(['a', 'b', 'c', 'd']);
    const target = new HeldWrites();
    const flusher = new Flusher(spool, target, settings).start();
    await until('three writes in flight', () => target.pending.length === 3);
    target.answer('b', { ok: false, retry: true, message: 'InfluxDB 503' });
    target.answer('a');
    target.answer('c');
    // b is written again (after its back-off and a new set-up); d goes meanwhile
    await until('b again and d', () => target.pending.length === 2);
    expect(target.pending.map((p) => p.body).sort()).toEqual(['b', 'd']);
    expect(spool.backlogLines).toBe(3); // only a removed: c waits for b
    expect(target.events.filter((e) => e === 'prepare')).toHaveLength(2);
    expect(target.events.lastIndexOf('prepare')).toBeLessThan(target.events.lastIndexOf('write b'));
    target.answer('d');
    target.answer('b');
    await until('the spool empty', () => spool.backlogLines === 0);
    expect(target.accepted.sort()).toEqual(['a', 'b', 'c', 'd']);
    await flusher.stop();
    spool.close();
  });

  it('dead-letters a chunk refused for good while the others are stored', async () => {
    const spool = spoolWith(['a', 'b', 'c']);
    const target = new HeldWrites();
    const flusher = new Flusher(spool, target, settings).start();
    await until('three writes in flight', () => target.pending.length === 3);
    target.answer('c');
    target.answer('a', { ok: false, retry: false, message: 'field type conflict' });
    target.answer('b');
    await until('the spool empty', () => spool.backlogLines === 0);
    expect(spool.deadLetterLines()).toBe(1);
    expect(target.accepted.sort()).toEqual(['b', 'c']);
    await flusher.stop();
    spool.close();
  });

  it('backs off while the set-up fails, writing nothing before it is done', async () => {
    const spool = spoolWith(['a']);
    const target = new HeldWrites();
    target.prepareResults = [false, false];
    const flusher = new Flusher(spool, target, settings).start();
    await until('a written', () => target.pending.length === 1);
    expect(target.events).toEqual(['prepare', 'prepare', 'prepare', 'write a']);
    target.answer('a');
    await until('the spool empty', () => spool.backlogLines === 0);
    await flusher.stop();
    spool.close();
  });

  it('stop() waits for the writes in flight and settles them; a write stopped in back-off stays spooled', async () => {
    const spool = spoolWith(['a', 'b', 'c']);
    const target = new HeldWrites();
    const flusher = new Flusher(spool, target, settings).start();
    await until('three writes in flight', () => target.pending.length === 3);
    target.answer('a', { ok: false, retry: true, message: 'cannot reach InfluxDB' });
    let stopped = false;
    const stopping = flusher.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false); // b and c still in flight
    target.answer('b');
    target.answer('c');
    await stopping;
    expect(target.pending).toHaveLength(0);
    expect(spool.backlogLines).toBe(3); // a was not taken: a, b and c stay (b and c are re-sent)
    spool.close();
  });

  it('a partial batch waits flushIntervalMs; drain() writes it at once', async () => {
    const spool = spoolWith(['a']);
    const target = new HeldWrites();
    const flusher = new Flusher(spool, target, {
      batchSize: 10,
      flushIntervalMs: 60_000,
      writeConcurrency: 2,
    }).start();
    await new Promise((r) => setTimeout(r, 30));
    expect(target.pending).toHaveLength(0);
    flusher.drain();
    await until('a written', () => target.pending.length === 1);
    target.answer('a');
    await until('the spool empty', () => spool.backlogLines === 0);
    await flusher.stop();
    spool.close();
  });
});
