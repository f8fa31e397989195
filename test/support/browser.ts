/**
 * Debian's Chromium driven by playwright-core (no downloaded browser): headless, no sandbox
 * (root in CI containers). Each launch gets a fresh temporary profile from playwright (which
 * refuses an explicit --user-data-dir with launch()) that it deletes on close.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ConsoleBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** Content-Security-Policy violations Chromium reported on pages from loggedInPage (none expected). */
export const cspViolations: string[] = [];

/** A laptop-sized page in its own context (own cookies), logged in through the console's form. */
export async function loggedInPage(
  b: Browser,
  baseUrl: string,
  username: string,
  password: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await b.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  await page.goto(baseUrl);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-ready="true"]');
  return { context, page };
}
