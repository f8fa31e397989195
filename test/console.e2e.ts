/// <reference lib="dom" />
/**
 * The shift console in a real headless Chromium (Debian's, driven by playwright-core) against
 * the demo process (simulator, poller, intake, alarm service and API in one, on the test
 * Mosquitto): a shifter logs in and sees 94 PMTs; an HV trip injected into the simulator shows
 * up live (no reload) on the map and in the alarm list; the shifter acknowledges it; the HV
 * panel is closed to the shifter (UI and API); an expert previews and applies an HV change and
 * sees the ramp. UPDATE_SCREENSHOTS=1 saves the README's screenshots in docs/screenshots/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { cspViolations, launchChromium, loggedInPage, type ConsoleBrowser } from './support/browser';
import { ServiceProcess, ROOT, freePorts } from './support/processes';
import { readServerState } from './support/servers';
import { asNewDemo, writeTestConfig } from './support/test-config';
import { writeCommissionedCalibration } from './support/fixtures/commissioned';

jest.setTimeout(180_000);

const servers = readServerState();
// README pictures are rewritten only on request, so a test run leaves the working tree clean
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'cicenns-shots-'));
const TRIPPED = 'CsI03-A';
const NOISY = 'PSV07-B';
/** left with their datasheet records; every other tube is commissioned */
const DATASHEET_ONLY = ['CsI14-A', 'CsI14-B'];

async function injectFault(simUrl: string, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${simUrl}/api/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(res.ok).toBe(true);
}

/** `demo accounts: viewer/<pw>, shifter/<pw>, ...` from the demo's output. */
function parseAccounts(output: string): Record<string, string> {
  const line = /demo accounts: (.*)/.exec(output)?.[1] ?? '';
  return Object.fromEntries(line.split(/,\s*/).map((pair) => pair.trim().split('/') as [string, string]));
}

describe('shift console in Chromium on the demo', () => {
  let demo: ServiceProcess;
  let browser: ConsoleBrowser;
  let base: string;
  let simUrl: string;
  let accounts: Record<string, string>;
  let shifter: Page;

  beforeAll(async () => {
    const [hvPort, tempPort, apiPort, simHttp] = await freePorts(4);
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-console-'));
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      apiPort,
      mqttUrl: servers.mqttUrl,
      influxUrl: servers.influxUrl, // the historian runs, so the trend plots have history
      database: `console_${process.pid}`,
      pollMs: 500,
      clientIdPrefix: `console${process.pid}`,
      mutate: (c) => {
        asNewDemo(dir)(c); // no users file: the demo prints its generated accounts
        c.files.calibration = writeCommissionedCalibration(dir, DATASHEET_ONLY);
      },
    });
    demo = new ServiceProcess('demo', {
      CICENNS_CONFIG: file,
      MQTT_URL: servers.mqttUrl,
      SIM_HTTP_PORT: String(simHttp),
      SIM_DCR_PERIOD_MS: '1000',
      SIM_GAIN_PERIOD_MS: '2000',
      SIM_COINC_PERIOD_MS: '1000',
      SIM_BEAM_PERIOD_MS: '500',
    }).start();
    await demo.waitForOutput(/demo accounts: .*admin\/\S+/, 60_000);
    accounts = parseAccounts(demo.output);
    base = `http://127.0.0.1:${apiPort}`;
    simUrl = `http://127.0.0.1:${simHttp}`;
    // a second alarm for the list (its rule waits 30 s before raising it)
    await injectFault(simUrl, { type: 'dcr-jump', pmt: NOISY, factor: 8 });
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('a shifter sees the 94 PMTs of the detector with their HV state', async () => {
    ({ page: shifter } = await loggedInPage(browser.browser, base, 'shifter', accounts.shifter));
    await expect(shifter.locator('[data-pmt]').count()).resolves.toBe(94);
    await expect(shifter.locator('.pair[data-parent^="CsI"]').count()).resolves.toBe(15);
    await expect(shifter.locator('.pair[data-parent^="PSV"]').count()).resolves.toBe(32);
    // every channel reports ON once the poller's first readings are through
    await shifter.waitForFunction(
      () => document.querySelectorAll('[data-pmt][data-hv="ON"]').length === 94,
      null,
      {
        timeout: 30_000,
      },
    );
    await expect(shifter.locator('#user').textContent()).resolves.toContain('shifter');
    await expect(shifter.locator('#live').textContent()).resolves.toContain('Live');
  });

  it('marks the tubes not commissioned on the map (shape, tooltip, legend) and in the PMT detail', async () => {
    for (const id of DATASHEET_ONLY) {
      const cell = shifter.locator(`[data-pmt="${id}"]`);
      await expect(cell.getAttribute('data-commissioned')).resolves.toBe('false');
      await expect(cell.locator('.pmt-cal').isVisible()).resolves.toBe(true);
      await expect(cell.getAttribute('title')).resolves.toContain(
        '◇ not commissioned: datasheet figures only',
      );
      await expect(cell.getAttribute('aria-label')).resolves.toContain('not commissioned');
    }
    const other = shifter.locator('[data-pmt="CsI13-B"]');
    await expect(other.getAttribute('data-commissioned')).resolves.toBe('true');
    await expect(other.locator('.pmt-cal').isVisible()).resolves.toBe(false);
    // another test file's approval on the shared broker could commission one more: count loosely
    await expect(shifter.locator('#legend-commissioning').textContent()).resolves.toMatch(
      /^Calibration: ◇ not commissioned, datasheet figures only \([12] of 94\)$/,
    );
    await shifter.click('[data-pmt="CsI14-A"]');
    await expect(shifter.locator('#detail-calibration').textContent()).resolves.toMatch(
      /^◇ not commissioned: datasheet figures \(calibration alarms not compared\)v1: 1400 V/,
    );
    await shifter.click('[data-pmt="CsI13-B"]');
    await expect(shifter.locator('#detail-calibration').textContent()).resolves.toMatch(
      /^calibration v2 · run fixture · measured by test fixture 2026-01-01v2: 1400 V/,
    );
  });

  it('an HV trip injected in the simulator appears live on the map and in the alarm list', async () => {
    await shifter.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));
    await injectFault(simUrl, { type: 'hv-trip', pmt: TRIPPED });
    const cell = shifter.locator(`[data-pmt="${TRIPPED}"]`);
    await shifter.waitForSelector(`[data-pmt="${TRIPPED}"][data-hv="TRIP"]`, { timeout: 15_000 });
    await expect(cell.textContent()).resolves.toContain('TRIP');
    const rows = shifter.locator('tr.alarm-row[data-state="active-unack"]', { hasText: TRIPPED });
    await rows.first().waitFor({ timeout: 30_000 });
    await shifter.waitForSelector(
      `[data-pmt="${TRIPPED}"][data-severity="alarm"], [data-pmt="${TRIPPED}"][data-severity="warning"]`,
    );
    // no reload happened: the page's own state survived
    await expect(
      shifter.evaluate(() => (window as unknown as { noReload?: boolean }).noReload),
    ).resolves.toBe(true);
    await expect(shifter.locator('#unack').getAttribute('data-count')).resolves.not.toBe('0');

    await cell.click();
    await expect(shifter.locator('#detail-pmt').textContent()).resolves.toBe(TRIPPED);
    await expect(shifter.locator('#detail-alarms').textContent()).resolves.toMatch(/ALARM|WARNING/);
  });

  it('the shifter acknowledges the alarms of the tripped PMT (several at once)', async () => {
    const rows = shifter.locator('tr.alarm-row[data-state="active-unack"]', { hasText: TRIPPED });
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.alarm!));
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids)
      await shifter.locator(`tr.alarm-row[data-alarm="${id}"] input[data-action="select"]`).check();
    await shifter.fill('#ack-comment', 'e2e: trip seen, HV expert called');
    await shifter.click('#ack-selected');
    for (const id of ids)
      await shifter.waitForSelector(`tr.alarm-row[data-alarm="${id}"]:not([data-state="active-unack"])`, {
        timeout: 10_000,
      });
    const states = await shifter
      .locator('tr.alarm-row', { hasText: TRIPPED })
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.state));
    expect(states.every((s) => s !== 'active-unack')).toBe(true);
    await expect(
      shifter.locator('tr.alarm-row', { hasText: TRIPPED }).first().textContent(),
    ).resolves.toContain('by shifter');
  });

  it('the HV panel is closed to a shifter: the form is disabled and the API answers 403', async () => {
    // every control of the HV form sits in a disabled fieldset
    for (const control of ['#hv-target', '#hv-vset', '#hv-iset', '#hv-power', '#hv-preview'])
      await expect(shifter.locator(control).isDisabled()).resolves.toBe(true);
    await expect(shifter.locator('#hv-role-note').textContent()).resolves.toContain('expert');
    const status = await shifter.evaluate(async () => {
      const r = await fetch('/api/hv/preview', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: { pmts: ['CsI05-A'] }, set: { vset: 1450 } }),
      });
      return r.status;
    });
    expect(status).toBe(403);
  });

  it('an expert previews an HV change (with a refusal), confirms it and sees the ramp progress', async () => {
    const { page, context } = await loggedInPage(browser.browser, base, 'expert', accounts.expert);
    await page.click('[data-pmt="CsI05-A"]');
    await expect(page.locator('#hv-preview').isDisabled()).resolves.toBe(false);
    // a voltage above the tube's limit is refused in the preview
    await page.selectOption('#hv-target', 'pmt');
    await page.fill('#hv-vset', '2000');
    await page.click('#hv-preview');
    await page.waitForSelector('#hv-preview-table tr[data-pmt="CsI05-A"][data-allowed="false"]');
    await expect(page.locator('#hv-confirm').isDisabled()).resolves.toBe(true);
    // a small step is allowed; confirm and watch it ramp
    await page.fill('#hv-vset', '1410');
    await page.click('#hv-preview');
    await page.waitForSelector('#hv-preview-table tr[data-pmt="CsI05-A"][data-allowed="true"]');
    await expect(page.locator('#hv-preview-table').textContent()).resolves.toContain('1410');
    await page.click('#hv-confirm');
    await page.waitForSelector('#hv-progress .hv-bar[data-pmt="CsI05-A"]', { timeout: 20_000 });
    await page.waitForFunction(
      () => document.querySelector('#hv-progress')?.textContent?.includes('done'),
      null,
      {
        timeout: 30_000,
      },
    );
    await context.close();
  });

  it('screenshots for the README: the map, the alarm list, the detail of the tripped PMT', async () => {
    await shifter.locator('tr.alarm-row', { hasText: NOISY }).first().waitFor({ timeout: 40_000 });
    await shifter.click('#map-title'); // no focus ring in the pictures
    await shifter.screenshot({ path: join(SHOTS, 'map.png') });
    await shifter.locator('#alarms-section').screenshot({ path: join(SHOTS, 'alarms.png') });
    // reload the trends: by now they hold the trip's whole ramp down
    await shifter.click(`[data-pmt="${TRIPPED}"]`);
    await shifter.locator('.trend .uplot').first().waitFor({ timeout: 15_000 });
    await shifter.locator('#detail-section').screenshot({ path: join(SHOTS, 'pmt-detail.png') });
  });

  it('the shifter shelves an alarm with a reason, and the journal shows the ack and the shelve', async () => {
    const row = shifter.locator('tr.alarm-row', { hasText: NOISY }).first();
    const id = await row.getAttribute('data-alarm');
    await row.locator('button[data-action="shelve"]').click();
    await shifter.fill('#shelve-reason', 'e2e: panel opened for maintenance');
    await shifter.selectOption('#shelve-minutes', '30');
    await shifter.click('#shelve-dialog button[type="submit"]');
    await shifter.waitForSelector(`tr.alarm-row[data-alarm="${id}"][data-state="shelved"]`, {
      timeout: 10_000,
    });
    await expect(shifter.locator(`tr.alarm-row[data-alarm="${id}"]`).textContent()).resolves.toContain(
      'panel opened for maintenance',
    );
    await shifter.click('#open-journal');
    await shifter.waitForSelector('#journal-table');
    const journal = (await shifter.locator('#journal-table').textContent()) ?? '';
    expect(journal).toContain('shelve');
    expect(journal).toContain('ack');
    expect(journal).toContain('shifter');
    await shifter.keyboard.press('Escape');
  });

  it('says so plainly when the connection to the server is lost', async () => {
    await demo.stop();
    await shifter.waitForSelector('#banner:not([hidden])', { timeout: 10_000 });
    await expect(shifter.locator('#banner').textContent()).resolves.toContain(
      'Connection to the server lost',
    );
    await expect(shifter.locator('#live').textContent()).resolves.toContain('Connection lost');
  });

  it('runs under its Content-Security-Policy: no violation on any page of this file (trends, dialogs, HV)', () => {
    expect(cspViolations).toEqual([]);
  });
});
