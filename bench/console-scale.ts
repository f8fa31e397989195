/**
 * The API and the console at scale (issue 13): for a generated detector of 94 and of 45,000
 * PMTs (gen:detector's writeGeneratedConfig), the API as its own process on a Mosquitto of its
 * own, HV readings for every PMT published once a second straight onto the bus (one batch per
 * crate, stamped as built: the simulator cannot serve HV for 45,000 tubes), Debian's headless
 * Chromium logged in as a shifter:
 *  - page load: navigation start to the console's `console-ready` mark (snapshot fetched, map
 *    drawn: every PMT at 94, the HV crates by group at 45,000; live stream open);
 *  - reading -> screen: a cell's data-ts changed (MutationObserver) against the reading's
 *    timestamp, for every PMT at 94 and for the 64 of an opened crate at 45,000; to the DOM and
 *    to the next animation frame;
 *  - /api/pmts and /api/groups: response time and size per page;
 *  - the API's RSS and CPU while fed.
 * Writes docs/PERFORMANCE-console-scale.md. Usage: npm run bench:console-scale [-- SAMPLES LOADS]
 * (SIZES=94,45000 by default).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSystemConfig } from '@cicenns/model';
import { CHROMIUM, launchChromium, loggedInPage } from '../test/support/browser';
import { GEN_PASSWORD, startGeneratedApi, viewerToken, waitForEveryPmt } from '../test/support/generated-api';
import { ROOT, freePort } from '../test/support/processes';
import { startMosquitto, waitFor } from '../test/support/servers';
import { createConnection } from 'node:net';
import { pct, percentileRow } from './percentiles';

const SAMPLES = Number(process.argv[2] ?? 600);
const LOADS = Number(process.argv[3] ?? 20);
const SIZES = (process.env.SIZES ?? '94,45000').split(',').map(Number);

const PROBE = `(() => {
  const out = { dom: [], frame: [] };
  window.__bench = out;
  new MutationObserver((records) => {
    const now = Date.now();
    const lags = [];
    for (const r of records) {
      const ts = Number(r.target.getAttribute('data-ts'));
      if (ts) lags.push(now - ts);
    }
    out.dom.push(...lags);
    requestAnimationFrame(() => {
      const painted = Date.now();
      for (const l of lags) out.frame.push(l + (painted - now));
    });
  }).observe(document.getElementById('map'), { attributes: true, attributeFilter: ['data-ts'], subtree: true });
})()`;

const row = percentileRow;

const portOpen = (port: number) =>
  new Promise<boolean>((r) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('connect', () => (s.end(), r(true)));
    s.once('error', () => r(false));
  });

/** CPU seconds (user + system) and RSS of a process, from /proc. */
function procStat(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  return { cpuS: ticks / 100, rssMb: Number(rss) / 1024 };
}

async function timed(url: string, token: string, n: number) {
  const times: number[] = [];
  let bytes = 0;
  let total = '';
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.arrayBuffer();
    times.push(performance.now() - t0);
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    bytes = body.byteLength;
    total = res.headers.get('x-total-count') ?? '';
  }
  return { times, bytes, total };
}

async function measure(n: number, mqttUrl: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `console-scale-${n}-`));
  const gen = await startGeneratedApi({ pmts: n, dir, mqttUrl, tag: `cscale${n}` });
  const pmts = loadSystemConfig(join(dir, 'cicenns.yaml'), {}).detector.pmts;
  // the feeder in its own process: its sweeps do not delay the page's or the requests' timings
  const feeder = spawn(
    process.execPath,
    [join(__dirname, 'hv-feeder.js'), mqttUrl, join(dir, 'cicenns.yaml'), `cscale-feed-${n}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sweepMs: number[] = [];
  let partial = '';
  feeder.stdout!.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (l) sweepMs.push((JSON.parse(l) as { sweepMs: number }).sweepMs);
  });
  const browser = await launchChromium();
  try {
    const base = gen.url;
    const token = await viewerToken(base);
    await waitForEveryPmt(base, token, 60_000);
    const byGroup = n > 1000;
    const crates = [...new Set(pmts.map((p) => p.hv.device))];
    const crate = crates[Math.floor(crates.length / 2)];

    // HTTP: response time and size per page
    const urls: [string, string][] = [
      ['/api/pmts (first page)', '/api/pmts'],
      ...(n > 1000
        ? ([
            ['/api/pmts, a page in the middle', `/api/pmts?offset=${Math.floor(n / 2)}`],
            ['/api/pmts?state=trip (none: a scan of all)', '/api/pmts?state=trip'],
          ] as [string, string][])
        : []),
      [`/api/pmts?crate= (one crate)`, `/api/pmts?crate=${crate}`],
      ['/api/groups?by=crate', '/api/groups?by=crate'],
      ['/api/groups?by=parent (first page)', '/api/groups?by=parent'],
    ];
    const http: string[] = [];
    for (const [name, path] of urls) {
      const t = await timed(`${base}${path}`, token, 20);
      http.push(
        `| ${name} | ${t.total} | ${(t.bytes / 1024).toFixed(0)} KB | ${pct(t.times, 50).toFixed(1)} | ${pct(t.times, 99).toFixed(1)} |`,
      );
    }

    // page load
    const { page, context } = await loggedInPage(browser.browser, base, 'shifter', GEN_PASSWORD);
    const drawn = byGroup ? '.group-tile' : '[data-pmt]';
    const loads: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      await page.goto(base);
      await page.waitForSelector('body[data-ready="true"]');
      const shown = (await page.evaluate(
        `document.querySelectorAll(${JSON.stringify(drawn)}).length`,
      )) as number;
      if (shown !== (byGroup ? crates.length : n)) throw new Error(`page shows ${shown} of ${drawn}`);
      loads.push(
        (await page.evaluate('performance.getEntriesByName("console-ready")[0].startTime')) as number,
      );
    }

    // reading -> screen
    let cells = n;
    if (byGroup) {
      await page.click(`.group-tile[data-group="${crate}"]`);
      await page.waitForSelector(`[data-open-group="${crate}"]`);
      await page.waitForSelector('[data-pmt]');
      cells = (await page.evaluate('document.querySelectorAll("[data-pmt]").length')) as number;
      await page.waitForTimeout(1500); // the crate's stream is open
    }
    const cpu0 = procStat(gen.api.child!.pid!);
    const t0 = Date.now();
    await page.evaluate(PROBE);
    // a function, not a string: the console's CSP forbids eval, which a string predicate needs
    await page.waitForFunction(
      (k: number) => (globalThis as unknown as { __bench: { dom: number[] } }).__bench.dom.length >= k,
      SAMPLES,
      { timeout: 300_000, polling: 500 },
    );
    await page.waitForTimeout(100);
    const r = (await page.evaluate('window.__bench')) as Record<'dom' | 'frame', number[]>;
    const cpu1 = procStat(gen.api.child!.pid!);
    const seconds = (Date.now() - t0) / 1000;
    await context.close();
    return `## ${n.toLocaleString('en')} PMTs (${crates.length} HV crates)${byGroup ? ': the map by crate' : ': the flat map'}

| | count | p50 ms | p99 ms | max ms |
|---|---|---|---|---|
${row(`page load: navigation to ${byGroup ? `${crates.length} crate tiles` : `${n} cells`} drawn`, loads)}
${row(`reading timestamp to the cell updated in the DOM (${cells} cells${byGroup ? ` of crate ${crate}` : ''})`, r.dom)}
${row('reading timestamp to the next animation frame (on screen)', r.frame)}

| request | total | size | p50 ms | p99 ms |
|---|---|---|---|---|
${http.join('\n')}

The API while fed ${n.toLocaleString('en')} HV readings a second and streaming to the page: RSS ${cpu1.rssMb.toFixed(0)} MB,
CPU ${(((cpu1.cpuS - cpu0.cpuS) / seconds) * 100).toFixed(0)} % of a core over ${seconds.toFixed(0)} s. Publishing one sweep took
p50 ${pct(sweepMs, 50)} ms in the feeder (its own process). Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} (the machine is shared with other work).
`;
  } finally {
    const exited = new Promise((r) => feeder.once('exit', r));
    feeder.kill('SIGTERM');
    await exited;
    await browser.close();
    await gen.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'console-scale-mqtt-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const pid = startMosquitto(dir, port);
  try {
    await waitFor('mosquitto', () => portOpen(port), 10_000);
    const sections: string[] = [];
    for (const n of SIZES) sections.push(await measure(n, `mqtt://127.0.0.1:${port}`));
    const chromium = execFileSync(CHROMIUM, ['--version']).toString().trim();
    const md = `# The console at scale (issue 13)

\`npm run bench:console-scale\` (= \`bench/console-scale.ts\`; arguments: samples, page loads;
\`SIZES=94,45000\`). A generated detector (\`gen:detector\`'s configuration), the API as its own
process on a Mosquitto of its own, HV readings for every PMT published once a second straight
onto the bus (one batch per 64-channel crate, stamped as it is built, as the poller stamps a
crate's answer: the simulator does not serve HV for 45,000 tubes), Debian's headless Chromium
logged in as a shifter. Above 1,000 PMTs the map shows the HV crates with their worst state;
reading to screen is then measured on an opened crate (its 64 cells, the stream filtered to
that crate). Same machine, same clock.

Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} threads),
Node ${process.version}, ${chromium}.

${sections.join('\n')}`;
    const out = join(ROOT, 'docs', 'PERFORMANCE-console-scale.md');
    writeFileSync(out, md);
    execFileSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--write', out]);
    process.stdout.write(md);
  } finally {
    process.kill(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
