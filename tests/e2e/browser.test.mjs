// One walk through the site in a real browser (Debian's chromium driven by
// playwright-core): home → search → first gig → the package table.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { BASE, outputDir } from './helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
let browser;

after(async () => {
  if (browser) await browser.close();
});

test('search from the home page and open a gig', { skip: !existsSync(executablePath) && `no ${executablePath}` }, async () => {
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
      '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });

  const res = await page.goto(`${BASE}/`, { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.match(await page.title(), /Souk/);

  // type in the header's search box and submit with Enter
  const box = page.locator('#site-q');
  await box.fill('logo');
  await Promise.all([page.waitForURL(/\/search\?q=logo/), box.press('Enter')]);
  await page.locator('h1').filter({ hasText: 'logo' }).waitFor();
  const cards = page.locator('.gig-card');
  assert.ok(await cards.count() > 0, 'search results');
  await page.screenshot({ path: join(outputDir(), 'search-logo.png'), fullPage: false });

  // open the first gig
  const first = cards.first().locator('.gig-card__title a');
  const title = (await first.textContent()).trim();
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/search')), first.click()]);
  await assert.doesNotReject(page.locator('h1.gig-header__title').waitFor());
  assert.equal((await page.locator('h1.gig-header__title').textContent()).trim(), title);

  const table = page.locator('table.pkg-table');
  await table.scrollIntoViewIfNeeded();
  assert.ok(await table.isVisible(), 'package table is visible on a wide screen');
  const heads = await table.locator('thead .pkg-table__tier').allTextContents();
  assert.deepEqual(heads.map((s) => s.trim()), ['Basic', 'Standard', 'Premium']);
  const prices = await table.locator('.pkg-table__price').allTextContents();
  assert.equal(prices.length, 3);
  for (const p of prices) assert.match(p, /\d/);
  await page.screenshot({ path: join(outputDir(), 'gig-page.png'), fullPage: true });

  // on a phone the table gives way to package cards
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await table.isVisible(), false, 'table hidden on a narrow screen');
  assert.ok(await page.locator('.pkg-cards .pkg-card').first().isVisible(), 'package cards on a narrow screen');
  await page.screenshot({ path: join(outputDir(), 'gig-page-narrow.png'), fullPage: false });

  assert.deepEqual(problems, [], 'no console errors, CSP violations or failed loads');
  await context.close();
});
