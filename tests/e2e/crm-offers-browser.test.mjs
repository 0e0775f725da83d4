// Live custom offers in Debian's chromium (playwright-core): a buyer and a
// seller in two browser contexts on the same conversation page
// (/inbox/{id}), through nginx, souk-web, souk-sse, Redis, PostgreSQL and
// souk-worker (issue 7; src/crm/offers.c, static/js/chat.js):
//   - the seller sends a custom offer (the offer form, in another tab): the
//     buyer's open page shows its card with the accept form within a few
//     seconds, without a reload; the seller's open page shows the card with
//     the withdraw button;
//   - the seller withdraws it from the card: the buyer's card turns
//     "withdrawn" live and loses its accept form;
//   - a live-inserted card works: the buyer accepts from it and reaches the
//     gateway hand-off, and the seller's open page shows "accepted" live;
//   - an offer expired by the CRM sweep (`soukctl crm-sweep`) turns
//     "expired" on the buyer's open page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { BASE, outputDir } from './helpers.mjs';
import { DB, SOUKCTL, WORKER_CONF, sql, user, Client, locationOf, payment } from './money-helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(executablePath) && `no ${executablePath}`;
const LIVE_MS = 5000; // "within a few seconds"
let browser, seller, buyer, conv, sctx, bctx, sp, bp;

before(async () => {
  if (skip) return;
  seller = user('lofs', ['SELLER']);
  buyer = user('lofb');
  const res = await new Client(buyer).get(`/contact/${seller.handle}`);
  assert.equal(res.status, 303, `contact: ${res.status}`);
  conv = Number(locationOf(res).match(/^\/inbox\/(\d+)$/)[1]);
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
      '--disable-dev-shm-usage', '--disable-renderer-backgrounding', '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows'],
  });
  sctx = await contextFor(seller);
  bctx = await contextFor(buyer);
  sp = await openThread(sctx);
  bp = await openThread(bctx);
});
after(async () => { if (browser) await browser.close(); });

async function contextFor(u) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US' });
  await ctx.addCookies([{ name: 'souk_sess', value: u.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(15000);
  return ctx;
}

/** The thread page in @ctx with its event stream open, marked so that a reload would show. */
async function openThread(ctx) {
  const page = await ctx.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.text())) page.problems.push(`console: ${m.text()}`); });
  const res = await page.goto(`${BASE}/inbox/${conv}`);
  assert.equal(res.status(), 200);
  await page.locator('[data-thread][data-events]').waitFor();
  await page.evaluate(async () => {
    const { live } = await import('/static/js/app.js');
    for (let i = 0; i < 400; i++) {
      if (live.es && live.es.readyState === EventSource.OPEN && live.lastId) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the page\'s event stream did not open');
  });
  await page.evaluate(() => {
    window.__noReload = 1;
    window.__seen = [];
    for (const type of ['message', 'offer'])
      document.addEventListener('souk:' + type, (e) => window.__seen.push([type, e.detail.id, e.detail.data.message_id, e.detail.data.status || e.detail.data.kind]));
  });
  return page;
}

/** Wait for @locator on @page within @ms; on failure say what the page's stream saw and the message shows. */
async function shows(page, locator, o, ms = LIVE_MS) {
  try {
    await locator.waitFor({ timeout: ms });
  } catch (e) {
    const state = await page.evaluate(async (mid) => {
      const { live } = await import('/static/js/app.js');
      const li = document.querySelector(`li[data-message="${mid}"]`);
      return JSON.stringify({ state: live.es && live.es.readyState, lastId: live.lastId, seen: window.__seen,
        li: li ? li.outerHTML.slice(0, 1500) : null });
    }, o.messageId).catch((err) => String(err));
    assert.fail(`${e.message}\n${state}`);
  }
}

const notReloaded = async (page) => assert.equal(await page.evaluate(() => window.__noReload), 1, 'the page was not reloaded');

/** The seller sends an offer through the offer form in a new tab: {id, messageId}. */
async function sendOffer(description, price, expiry = '7') {
  const tab = await sctx.newPage();
  await tab.goto(`${BASE}/inbox/${conv}/offers/new`);
  await tab.locator('#offer-description').fill(description);
  await tab.locator('#offer-price').fill(price);
  await tab.locator('#offer-currency').selectOption('USD');
  const exp = tab.locator('[name="expiry_days"]');
  if (await exp.count()) await exp.fill(expiry);
  await Promise.all([
    tab.waitForURL((u) => u.pathname === `/inbox/${conv}`),
    tab.locator('form[data-offer-form] button[type="submit"]').click(),
  ]);
  const messageId = Number(new URL(tab.url()).hash.replace('#m', ''));
  await tab.close();
  assert.ok(messageId > 0, 'back to the offer message');
  const id = Number(sql("SELECT id FROM crm_offers WHERE message_id = :'v1'", messageId));
  assert.ok(id > 0);
  return { id, messageId };
}

/** The card of offer @id inside its message on @page. */
const cardOn = (page, o) => page.locator(`[data-messages] > li[data-message="${o.messageId}"] [data-offer="${o.id}"]`);

async function crmSweep() {
  assert.ok(SOUKCTL, 'the soukctl binary');
  await promisify(execFile)(SOUKCTL, ['-c', WORKER_CONF, 'crm-sweep'],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB }, timeout: 60000 });
}

test('an offer appears live on both pages; withdrawn, it turns withdrawn on the buyer\'s page', { skip, timeout: 90000 }, async () => {
  const o = await sendOffer('Five icons in SVG, live.', '45');
  const started = Date.now();
  const bc = cardOn(bp, o);
  await shows(bp, bc, o);
  await shows(bp, bc.locator('form[data-offer-accept] button[type="submit"]'), o);
  const took = Date.now() - started;
  await notReloaded(bp);
  assert.equal(await bc.getAttribute('data-offer-status'), 'open');
  assert.equal(await bc.locator('[data-offer-price]').textContent(), '$45.00');
  assert.equal(await bc.locator('form[data-offer-accept] input[name="csrf"]').inputValue(), buyer.csrf, 'the form carries the csrf token');
  assert.equal(await bc.locator('[data-offer-withdraw]').count(), 0);
  assert.equal(await bp.locator(`[data-offer="${o.id}"]`).count(), 1, 'one card');
  // the message text is there too, above its card
  assert.match(await bp.locator(`li[data-message="${o.messageId}"] .message__body`).textContent(), /Custom offer/);
  // the seller's open page too, with the withdraw button
  const sc = cardOn(sp, o);
  await shows(sp, sc.locator('form[data-offer-withdraw] button'), o);
  await notReloaded(sp);
  assert.equal(await sc.locator('[data-offer-accept]').count(), 0);
  await bp.screenshot({ path: `${outputDir()}/crm-offer-live-buyer.png`, fullPage: true });

  // withdraw from the seller's card (a form post: the seller's page reloads), the buyer's follows live
  await Promise.all([sp.waitForURL((u) => u.pathname === `/inbox/${conv}`), sc.locator('form[data-offer-withdraw] button').click()]);
  await shows(bp, bp.locator(`li[data-message="${o.messageId}"] [data-offer="${o.id}"][data-offer-status="withdrawn"]`), o);
  await notReloaded(bp);
  assert.equal(await cardOn(bp, o).locator('[data-offer-accept]').count(), 0, 'no accept form any more');
  assert.match(await cardOn(bp, o).locator('[data-offer-badge]').textContent(), /Withdrawn/);
  assert.equal(sql("SELECT status FROM crm_offers WHERE id = :'v1'", o.id), 'withdrawn');
  assert.deepEqual(bp.problems, []);
  assert.ok(took < LIVE_MS, `shown after ${took} ms`);
  await sp.close();
  sp = await openThread(sctx);
});

test('the buyer accepts from a live card: the hand-off, and the seller\'s page shows accepted live', { skip, timeout: 90000 }, async () => {
  const o = await sendOffer('A landing page, accepted live.', '80');
  const bc = cardOn(bp, o);
  await shows(bp, bc.locator('form[data-offer-accept] button[type="submit"]'), o);
  await notReloaded(bp);
  const radio = bc.locator('input[name="gateway"][value="stripe"]');
  if (await radio.count()) await radio.check();
  await Promise.all([
    bp.waitForURL((u) => /\/payments\/[^/]+\/go$/.test(u.pathname), { timeout: 30000 }),
    bc.locator('form[data-offer-accept] button[type="submit"]').click(),
  ]);
  const ref = bp.url().match(/\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  assert.equal(sql("SELECT subtotal_minor FROM orders WHERE id = :'v1'", payment(ref).orderId), '8000', 'the offer\'s price');
  assert.equal(sql("SELECT status FROM crm_offers WHERE id = :'v1'", o.id), 'accepted');
  await shows(sp, sp.locator(`li[data-message="${o.messageId}"] [data-offer="${o.id}"][data-offer-status="accepted"]`), o);
  await notReloaded(sp);
  assert.equal(await cardOn(sp, o).locator('[data-offer-withdraw]').count(), 0, 'an accepted offer cannot be withdrawn');
  assert.deepEqual(sp.problems, []);
  await bp.close();
  bp = await openThread(bctx);
});

test('an offer expired by the CRM sweep turns expired on the buyer\'s open page', { skip, timeout: 90000 }, async () => {
  const o = await sendOffer('A short video, soon expired.', '30', '1');
  await shows(bp, cardOn(bp, o).locator('form[data-offer-accept]'), o);
  sql("UPDATE crm_offers SET expires_at = souk_now() - interval '1 second' WHERE id = :'v1'", o.id);
  await crmSweep();
  assert.equal(sql("SELECT status FROM crm_offers WHERE id = :'v1'", o.id), 'expired');
  await shows(bp, bp.locator(`li[data-message="${o.messageId}"] [data-offer="${o.id}"][data-offer-status="expired"]`), o);
  await notReloaded(bp);
  assert.equal(await cardOn(bp, o).locator('[data-offer-accept]').count(), 0);
  await shows(sp, sp.locator(`li[data-message="${o.messageId}"] [data-offer="${o.id}"][data-offer-status="expired"]`), o);
  assert.deepEqual(bp.problems, []);
});
