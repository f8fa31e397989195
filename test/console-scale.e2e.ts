/// <reference lib="dom" />
/**
 * The API and the console at scale (issue 13) on a generated detector of 5,000 PMTs, the API
 * as its process on the test Mosquitto, HV readings published straight onto the bus: /api/pmts
 * paged and filtered (400s naming the parameter), /api/groups with each crate's worst state,
 * and in Chromium the map by HV crate, live, drilling down to one crate's PMTs and back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadSystemConfig, type Pmt } from '@cicenns/model';
import { call } from './support/api-harness';
import { cspViolations, launchChromium, loggedInPage, type ConsoleBrowser } from './support/browser';
import {
  GEN_PASSWORD,
  HV_ON,
  HV_TRIPPED,
  HvFeeder,
  startGeneratedApi,
  type GeneratedApi,
} from './support/generated-api';
import { readServerState } from './support/servers';
import { Topics } from '@cicenns/contracts';

jest.setTimeout(180_000);

const servers = readServerState();
const N = 5000;
const TRIPPED = 'PSV0100-A';
const LATER = 'PSV0101-B';

describe('API and console on a generated 5,000-PMT detector', () => {
  let gen: GeneratedApi;
  let feeder: HvFeeder;
  let pmts: Pmt[];
  let token: string;
  let browser: ConsoleBrowser;
  let page: Page;
  const tripped = new Set([TRIPPED]);
  const sweep = () => feeder.sweep(pmts, (p) => (tripped.has(p.id) ? HV_ON | HV_TRIPPED : HV_ON));
  const get = (path: string) => call(gen.url, 'GET', path, { token });
  const crateOf = (id: string) => pmts.find((p) => p.id === id)!.hv.device;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-scale-'));
    gen = await startGeneratedApi({ pmts: N, dir, mqttUrl: servers.mqttUrl, tag: 'scale' });
    pmts = loadSystemConfig(join(dir, 'cicenns.yaml'), {}).detector.pmts;
    feeder = new HvFeeder(servers.mqttUrl, `scale-feed-${process.pid}`);
    await feeder.ready();
    const login = await call(gen.url, 'POST', '/api/auth/login', {
      body: { username: 'viewer', password: GEN_PASSWORD },
    });
    token = login.body.token;
    await sweep();
    // the API has every reading once the tripped tube shows as such
    const until = Date.now() + 30_000;
    while ((await get(`/api/pmts?pmts=${TRIPPED}`)).body[0]?.status?.flags?.includes('tripped') !== true) {
      if (Date.now() > until) throw new Error('the sweep did not reach the API');
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await feeder?.close();
    await gen?.stop();
  });

  it('pages /api/pmts: 1,000 at most, X-Total-Count, a Link to the next page, every PMT once', async () => {
    const first = await get('/api/pmts');
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(1000);
    expect(first.headers.get('x-total-count')).toBe(String(N));
    expect(first.headers.get('link')).toBe('</api/pmts?offset=1000&limit=1000>; rel="next"');
    const ids: string[] = [];
    let next: string | null = '/api/pmts?limit=700';
    while (next) {
      const r = await get(next);
      ids.push(...(r.body as { id: string }[]).map((p) => p.id));
      next = /<([^>]+)>; rel="next"/.exec(r.headers.get('link') ?? '')?.[1] ?? null;
    }
    expect(ids).toEqual(pmts.map((p) => p.id));
  });

  it('filters /api/pmts by crate, crystal or panel, state, prefix; a bad parameter is a 400 naming it', async () => {
    const crate = await get(`/api/pmts?crate=${crateOf(TRIPPED)}`);
    expect(crate.body).toHaveLength(64);
    expect(crate.headers.get('x-total-count')).toBe('64');
    expect(crate.headers.get('link')).toBeNull();
    const trips = await get('/api/pmts?state=trip');
    expect((trips.body as { id: string }[]).map((p) => p.id)).toEqual([TRIPPED]);
    const parent = await get('/api/pmts?parent=CsI0007&group=crystal');
    expect((parent.body as { id: string }[]).map((p) => p.id)).toEqual(['CsI0007-A', 'CsI0007-B']);
    expect((await get('/api/pmts?prefix=PSV01&limit=5')).headers.get('x-total-count')).toBe('200');
    for (const [q, msg] of [
      ['limit=1001', /^limit: /],
      ['offset=x', /^offset: /],
      ['state=melting', /^state\.0: /],
      ['crate=hv-nowhere', /^crate: no HV crate "hv-nowhere"/],
      ['colour=red', /colour/],
    ] as const) {
      const r = await get(`/api/pmts?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(msg);
    }
    const doc = (await get('/api/openapi.json')).body;
    const params = (doc.paths['/api/pmts'].get.parameters as { name: string }[]).map((p) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(['crate', 'parent', 'state', 'prefix', 'commissioned', 'limit', 'offset']),
    );
    expect(doc.paths['/api/groups']).toBeDefined();
  });

  it('summarises the crates with counts per state and the worst state', async () => {
    const r = await get('/api/groups?by=crate');
    const crates = new Set(pmts.map((p) => p.hv.device));
    expect(r.body).toHaveLength(crates.size);
    const bad = (r.body as { id: string; worst: string; counts: Record<string, number> }[]).filter(
      (g) => g.worst !== 'on',
    );
    expect(bad.map((g) => [g.id, g.worst, g.counts.trip, g.counts.on])).toEqual([
      [crateOf(TRIPPED), 'trip', 1, 63],
    ]);
    const onlyTrips = await get('/api/groups?by=crate&state=trip,alarm');
    expect((onlyTrips.body as { id: string }[]).map((g) => g.id)).toEqual([crateOf(TRIPPED)]);
    expect((await get('/api/groups?by=parent&limit=10')).headers.get('x-total-count')).toBe(String(N / 2));
    expect((await get('/api/groups?by=rack')).body.message).toMatch(/^by: /);
  });

  it('the console shows the detector by HV crate with each worst state, live', async () => {
    ({ page } = await loggedInPage(browser.browser, gen.url, 'shifter', GEN_PASSWORD));
    const crates = new Set(pmts.map((p) => p.hv.device)).size;
    await expect(page.locator('.group-tile').count()).resolves.toBe(crates);
    await expect(page.locator('[data-pmt]').count()).resolves.toBe(0);
    const tile = page.locator(`.group-tile[data-group="${crateOf(TRIPPED)}"]`);
    await expect(tile.getAttribute('data-worst')).resolves.toBe('trip');
    await expect(tile.textContent()).resolves.toContain('✖ TRIP');
    await expect(tile.textContent()).resolves.toContain('64 PMTs: 1 ✖ TRIP');
    // a trip in another crate reaches its tile without a reload
    const other = pmts.find((p) => p.hv.device !== crateOf(TRIPPED) && p.group === 'crystal')!;
    tripped.add(other.id);
    await sweep();
    await page.waitForSelector(`.group-tile[data-group="${other.hv.device}"][data-worst="trip"]`, {
      timeout: 10_000,
    });
    tripped.delete(other.id);
    await sweep();
    await page.waitForSelector(`.group-tile[data-group="${other.hv.device}"][data-worst="on"]`, {
      timeout: 10_000,
    });
  });

  it('drills down to a crate: its 64 PMTs, updated live, and back to the crates', async () => {
    await page.click(`.group-tile[data-group="${crateOf(TRIPPED)}"]`);
    await page.waitForSelector(`[data-open-group="${crateOf(TRIPPED)}"]`);
    await expect(page.locator('[data-pmt]').count()).resolves.toBe(64);
    await expect(page.locator(`[data-pmt="${TRIPPED}"]`).getAttribute('data-hv')).resolves.toBe('TRIP');
    await expect(page.locator('#group-title').textContent()).resolves.toContain('worst ✖ TRIP');
    expect(crateOf(LATER)).toBe(crateOf(TRIPPED));
    tripped.add(LATER);
    await sweep();
    await page.waitForSelector(`[data-pmt="${LATER}"][data-hv="TRIP"]`, { timeout: 10_000 });
    await page.waitForFunction(
      () => document.querySelector('#group-title')?.textContent?.includes('2 ✖ TRIP'),
      null,
      { timeout: 10_000 },
    );
    await page.click(`[data-pmt="${LATER}"]`);
    await expect(page.locator('#detail-pmt').textContent()).resolves.toBe(LATER);
    await page.click('#group-back');
    await page.waitForSelector('.group-tile');
    await expect(page.locator('[data-pmt]').count()).resolves.toBe(0);
    await expect(
      page.locator(`.group-tile[data-group="${crateOf(TRIPPED)}"]`).textContent(),
    ).resolves.toContain('2 ✖ TRIP');
    expect(cspViolations).toEqual([]);
  });

  it('a batch of every PMT with bad entries: the good readings stored, each bad one refused and counted', async () => {
    const before = (await call(gen.url, 'GET', '/api/health')).body.api.badReadings as number;
    const ts = Date.now();
    const readings: unknown[] = pmts.map((p) => ({
      m: 'hv',
      id: p.id,
      ts,
      quality: 'good',
      fields: { vset: 1200, vmon: 1234.5, imon: 2.5, status: tripped.has(p.id) ? HV_ON | HV_TRIPPED : HV_ON },
      source: p.hv.device,
    }));
    const bad = [pmts[10].id, pmts[2500].id, pmts[N - 1].id];
    readings[10] = { ...(readings[10] as object), ts: 'now' };
    readings[2500] = { ...(readings[2500] as object), fields: { vmon: null } };
    readings[N - 1] = { ...(readings[N - 1] as object), m: 'voltage' };
    await feeder.client.publishAsync(
      Topics.readings(`scale-bad-${process.pid}`),
      JSON.stringify({ service: `scale-bad-${process.pid}`, seq: 1, readings }),
    );
    const vmonOf = async (ids: string[]) =>
      ((await get(`/api/pmts?pmts=${ids.join(',')}`)).body as { id: string; vmon: { value: number } }[]).map(
        (p) => p.vmon.value,
      );
    const good = [pmts[0].id, pmts[11].id, pmts[N - 2].id];
    const until = Date.now() + 20_000;
    while ((await vmonOf(good)).some((v) => v !== 1234.5)) {
      if (Date.now() > until) throw new Error('the good readings of the batch did not reach the API');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await vmonOf(bad)).not.toContain(1234.5);
    const health = (await call(gen.url, 'GET', '/api/health')).body.api;
    expect(health.badReadings - before).toBe(3);
    expect(health.lastBadReading).toMatchObject({ index: N - 1, reason: expect.stringMatching(/^m: /) });
    expect((await get('/api/pmts?limit=1')).headers.get('x-total-count')).toBe(String(N));
  });
});
