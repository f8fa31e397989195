import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics, type Reading } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig, type SystemConfig } from '@cicenns/model';
import { Registry } from 'prom-client';
import { AlarmCache } from '../alarms/alarm-cache';
import type { ApiBus } from '../api-bus';
import type { AuthService } from '../auth/auth.service';
import type { HttpResponse } from '../http/http-types';
import { LiveCache } from '../live-cache';
import { compileFilter, pmtFilterSchema } from '../pmts/pmt-query';
import { PmtStates } from '../pmts/pmt-states';
import { Views } from '../views';
import { EventHub } from './event-hub';

/** A response that records what was written and can pretend its socket is behind. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  chunks: string[] = [];
  destroyed = false;
  writeHead() {
    return this;
  }
  write(s: string) {
    this.chunks.push(s);
    return true;
  }
  end() {}
  destroy() {
    this.destroyed = true;
  }
  /** the data of every event of this name, in order */
  events(name: string): unknown[] {
    return this.chunks
      .join('')
      .split('\n\n')
      .filter((f) => f.startsWith(`event: ${name}\n`))
      .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));
  }
}

function hubFor(cfg: SystemConfig) {
  const live = new LiveCache();
  const alarms = new AlarmCache();
  const states = new PmtStates(cfg);
  live.onReadings((r) => states.onReadings(r, (id) => live.get('hv', id)));
  alarms.onChange((a) => states.onAlarm(a));
  const views = new Views(cfg, live);
  const bus = { connected: true } as ApiBus;
  const auth = { resolve: () => ({ name: 'viewer' }) } as unknown as AuthService;
  const hub = new EventHub(
    cfg.detector.pmts,
    live,
    alarms,
    views,
    bus,
    new Registry(),
    auth,
    states,
    undefined,
    {
      pmtMs: 20,
      gatherMs: 5,
      healthMs: 60_000,
      pingMs: 60_000,
    },
  );
  let seq = 0;
  const publish = (readings: Reading[]) =>
    live.onMessage(
      Topics.readings('test'),
      Buffer.from(JSON.stringify({ service: 'test', seq: seq++, readings })),
    );
  const open = (query: Record<string, string> = {}, groupBy?: 'crate') => {
    const res = new FakeResponse();
    const { test } = compileFilter(pmtFilterSchema.parse(query), states, cfg.detector);
    hub.add(res as unknown as HttpResponse, 't', 'viewer', {
      test: Object.keys(query).length ? test : undefined,
      groupBy,
    });
    return res;
  };
  return { hub, publish, open, alarms };
}

const hv = (id: string, vmon: number, status = 1): Reading => ({
  m: 'hv',
  id,
  ts: Date.now(),
  quality: 'good',
  fields: { vset: 1000, vmon, imon: 1, status },
  source: 'test',
});
const settle = () => new Promise((r) => setTimeout(r, 60));

describe('EventHub on the demo detector', () => {
  const cfg = loadSystemConfig(undefined, {});

  it('sends every PMT to an unfiltered stream, the latest of each once per flush', async () => {
    const { hub, publish, open } = hubFor(cfg);
    const res = open();
    for (let v = 1; v <= 5; v++) publish([hv('CsI01-A', 1000 + v), hv('PSV01-B', 800 + v)]);
    await settle();
    const pmts = res.events('pmt') as { id: string; vmon: { value: number } }[];
    expect(pmts.map((p) => [p.id, p.vmon.value])).toEqual([
      ['CsI01-A', 1005],
      ['PSV01-B', 805],
    ]);
    hub.close();
  });

  it('sends a filtered stream only its PMTs', async () => {
    const { hub, publish, open } = hubFor(cfg);
    const crystals = open({ crate: 'hv-crystal' });
    const two = open({ pmts: 'PSV03-A,PSV04-B' });
    publish(cfg.detector.pmts.map((p) => hv(p.id, 900)));
    await settle();
    expect(crystals.events('pmt')).toHaveLength(30);
    expect((two.events('pmt') as { id: string }[]).map((p) => p.id)).toEqual(['PSV03-A', 'PSV04-B']);
    hub.close();
  });

  it("holds a slow stream's updates, one per PMT however many come, and sends the latest when it drains", async () => {
    const { hub, publish, open } = hubFor(cfg);
    const slow = open({ crate: 'hv-crystal' });
    await settle();
    slow.chunks = [];
    slow.writableLength = 1024 * 1024; // behind, not yet beyond the drop limit (4 MB)
    for (let v = 1; v <= 20; v++) {
      publish(cfg.detector.pmts.map((p) => hv(p.id, 1000 + v)));
      await new Promise((r) => setTimeout(r, 25)); // each a flush of its own
    }
    expect(slow.chunks).toEqual([]);
    slow.writableLength = 0;
    slow.emit('drain');
    const pmts = slow.events('pmt') as { id: string; vmon: { value: number } }[];
    expect(pmts).toHaveLength(30);
    expect(new Set(pmts.map((p) => p.vmon.value))).toEqual(new Set([1020]));
    hub.close();
  });
});

describe('EventHub on a generated 5,000-PMT detector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'event-hub-'));
  writeGeneratedConfig({ pmts: 5000 }, dir);
  const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});
  rmSync(dir, { recursive: true, force: true });

  it('gives an unfiltered stream no PMT events, but the changed groups of its grouping', async () => {
    const { hub, publish, open, alarms } = hubFor(cfg);
    const all = open({}, 'crate');
    const crate = open({ crate: 'hv-veto-02' });
    publish(cfg.detector.pmts.map((p) => hv(p.id, 900)));
    await settle();
    expect(all.events('pmt')).toEqual([]);
    const groups = all.events('group') as { by: string; groups: { id: string; worst: string }[] }[];
    expect(groups).toHaveLength(1);
    expect(groups[0].by).toBe('crate');
    expect(groups[0].groups).toHaveLength(new Set(cfg.detector.pmts.map((p) => p.hv.device)).size);
    expect(new Set(groups[0].groups.map((g) => g.worst))).toEqual(new Set(['on']));
    expect(crate.events('pmt')).toHaveLength(64);
    expect(crate.events('group')).toEqual([]); // it did not ask for them
    // an alarm changes one group: only that one is sent
    all.chunks = [];
    const id = cfg.detector.pmts.find((p) => p.hv.device === 'hv-veto-02')!.id;
    alarms.onMessage(
      `dcr-high:${id}`,
      Buffer.from(
        JSON.stringify({
          state: 'active-unack',
          severity: 'alarm',
          subject: { kind: 'pmt', id },
          updatedAt: 1,
        }),
      ),
    );
    await settle();
    const changed = all.events('group') as {
      groups: { id: string; worst: string; counts: { alarm: number } }[];
    }[];
    expect(changed.map((e) => e.groups.map((g) => [g.id, g.worst, g.counts.alarm]))).toEqual([
      [['hv-veto-02', 'alarm', 1]],
    ]);
    hub.close();
  });
});
