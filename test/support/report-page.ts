import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser } from './browser';

export interface ReportPage {
  page: Page;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Every request for something other than a file: or data: URL (aborted, never sent). */
  blockedRequests: string[];
  close(): Promise<void>;
}

/** Opens an HTML file in Debian's Chromium, intercepting every request so nothing leaves the machine. */
export async function openReportPage(file: string): Promise<ReportPage> {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1180, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const blockedRequests: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blockedRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, errors, blockedRequests, close: () => browser.close() };
}

/** Writes a self-contained report page to `htmlFile` and a full-page screenshot of it in Chromium to `pngFile`. */
export async function saveReportScreenshot(html: string, htmlFile: string, pngFile: string): Promise<void> {
  mkdirSync(path.dirname(path.resolve(htmlFile)), { recursive: true });
  writeFileSync(htmlFile, html);
  const page = await openReportPage(path.resolve(htmlFile));
  try {
    mkdirSync(path.dirname(path.resolve(pngFile)), { recursive: true });
    await page.page.screenshot({ path: pngFile, fullPage: true });
  } finally {
    await page.close();
  }
}
