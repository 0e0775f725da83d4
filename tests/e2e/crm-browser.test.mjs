// The CRM board in a real browser (issue 7, "The board"; Debian's chromium
// driven by playwright-core): drag a card between columns and it stays
// there after a reload; move one with the keyboard "Move to…" menu; move
// one with JavaScript off (the card's stage form); a second browser
// context of the same seller sees the moves live through souk-sse
// (crm.lead events).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, sql, user, Client, locationOf } from './money-helpers.mjs';
import { outputDir } from './helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(executablePath) && `no ${executablePath}`;
let browser, seller, convs = [], st = {};

async function contextFor(u, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'en-US', ...opts });
  await ctx.addCookies([{ name: 'souk_sess', value: u.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(15000);
  return ctx;
}

const stageOf = (conv) => Number(sql(`SELECT stage_id FROM crm_leads WHERE conversation_id = :'v1'`, conv));
const card = (p, conv) => p.locator(`.crm-card[data-lead="${conv}"]`);
const inColumn = (p, stage, conv) => p.locator(`[data-cards][data-stage="${stage}"] > .crm-card[data-lead="${conv}"]`);

async function board(ctx) {
  const p = await ctx.newPage();
  const problems = [];
  p.on('pageerror', (e) => problems.push(e.message));
  p.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  p.problems = problems;
  const res = await p.goto(`${BASE}/crm`);
  assert.equal(res.status(), 200);
  return p;
}

before(async () => {
  if (skip) return;
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
  seller = user('crmw', ['SELLER']);
  for (let i = 0; i < 3; i++) {
    const b = user(`crmv${i}`);
    const c = new Client(b);
    const res = await c.post('/messages/new', { seller: seller.handle });
    assert.equal(res.status, 303);
    const id = Number(locationOf(res).match(/^\/inbox\/(\d+)/)[1]);
    await c.post(`/inbox/${id}/messages`, { body: `Hello from buyer ${i}` });
    convs.push(id);
  }
  // a deal value on the card that is dragged: the column totals follow it
  sql(`UPDATE crm_leads SET value_minor = 12345, currency = 'USD' WHERE conversation_id = :'v1'`, convs[0]);
  for (const row of sql(`SELECT slug || '=' || id FROM crm_stages WHERE seller_id = :'v1'`, seller.id).split('\n')) {
    const [k, v] = row.split('=');
    st[k] = Number(v);
  }
});
after(async () => { if (browser) await browser.close(); });

test('drag a card to another column: it persists, and another tab sees it live', { skip }, async () => {
  const ctxA = await contextFor(seller);
  const ctxB = await contextFor(seller);
  try {
    const a = await board(ctxA);
    const b = await board(ctxB);
    await a.locator('[data-crm-board][data-ready="1"]').waitFor();
    await b.locator('[data-crm-board][data-ready="1"]').waitFor();
    await b.waitForTimeout(1500);	// B's EventSource is open
    const conv = convs[0];
    assert.equal(stageOf(conv), st.new);
    await inColumn(a, st.new, conv).waitFor();
    const from = await card(a, conv).locator('.crm-card__activity').boundingBox();
    const target = await a.locator(`[data-cards][data-stage="${st.qualified}"]`).boundingBox();
    const moved = a.waitForResponse((r) => r.url().endsWith(`/crm/leads/${conv}/move`) && r.request().method() === 'POST');
    await a.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await a.mouse.down();
    for (let i = 1; i <= 15; i++) {
      await a.mouse.move(from.x + (target.x + target.width / 2 - from.x) * i / 15,
        from.y + (target.y + 20 - from.y) * i / 15);
      await a.waitForTimeout(30);
    }
    await a.mouse.up();
    const res = await moved;
    assert.equal(res.status(), 200, await res.text());
    assert.equal((await res.json()).stage_id, st.qualified);
    await inColumn(a, st.qualified, conv).waitFor();
    assert.equal(stageOf(conv), st.qualified, 'saved');
    assert.equal(await a.locator(`[data-stage-col="${st.qualified}"] [data-count]`).textContent(), '1');
    // the value totals follow without a reload: USD 123.45 leaves New for Qualified
    const usd = (p, stage) => p.locator(`[data-stage-col="${stage}"] [data-totals] [data-total="USD"]`);
    await usd(a, st.qualified).filter({ hasText: '$123.45' }).waitFor();
    await usd(a, st.new).waitFor({ state: 'detached' });
    assert.equal(await a.locator(`[data-stage-col="${st.new}"] [data-count]`).textContent(), '2');
    // the other tab moved the card by itself, and its totals too
    await inColumn(b, st.qualified, conv).waitFor({ timeout: 10000 });
    await usd(b, st.qualified).filter({ hasText: '$123.45' }).waitFor({ timeout: 10000 });
    await usd(b, st.new).waitFor({ state: 'detached' });
    assert.equal(await b.locator(`[data-stage-col="${st.qualified}"] [data-count]`).textContent(), '1');
    assert.equal(await b.locator(`[data-stage-col="${st.new}"] [data-count]`).textContent(), '2');
    // after a reload it is still there
    await a.reload();
    await inColumn(a, st.qualified, conv).waitFor();
    await a.screenshot({ path: join(outputDir(), 'crm-board.png'), fullPage: true });
    assert.deepEqual(a.problems, []);
    assert.deepEqual(b.problems, []);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});

test('the keyboard "Move to…" menu moves a card, live in another tab', { skip }, async () => {
  const ctxA = await contextFor(seller);
  const ctxB = await contextFor(seller);
  try {
    const a = await board(ctxA);
    const b = await board(ctxB);
    await a.locator('[data-crm-board][data-ready="1"]').waitFor();
    await b.locator('[data-crm-board][data-ready="1"]').waitFor();
    await b.waitForTimeout(1500);
    const conv = convs[1];
    const toggle = card(a, conv).locator('[data-move-toggle]');
    await toggle.focus();
    await a.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    // focus is on the first other stage (Qualified); one down is Proposal sent
    assert.equal((await a.evaluate(() => document.activeElement.textContent)).trim(), 'Qualified');
    await a.keyboard.press('ArrowDown');
    assert.equal((await a.evaluate(() => document.activeElement.textContent)).trim(), 'Proposal sent');
    const moved = a.waitForResponse((r) => r.url().endsWith(`/crm/leads/${conv}/move`));
    await a.keyboard.press('Enter');
    assert.equal((await moved).status(), 200);
    await inColumn(a, st.proposal, conv).waitFor();
    assert.equal(stageOf(conv), st.proposal);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await inColumn(b, st.proposal, conv).waitFor({ timeout: 10000 });
    // Escape closes the menu and gives the focus back
    await toggle.focus();
    await a.keyboard.press('ArrowDown');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await a.keyboard.press('Escape');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await a.evaluate(() => document.activeElement.hasAttribute('data-move-toggle')), true);
    await a.reload();
    await inColumn(a, st.proposal, conv).waitFor();
    assert.deepEqual(a.problems, []);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});

test('a refused move puts the card back (deleted stage → 409)', { skip }, async () => {
  const ctx = await contextFor(seller);
  try {
    const p = await board(ctx);
    await p.locator('[data-crm-board][data-ready="1"]').waitFor();
    const conv = convs[2];
    const at = stageOf(conv);
    // the stage is removed elsewhere after this page was loaded
    sql(`UPDATE crm_stages SET deleted_at = souk_now() WHERE id = :'v1'`, st.negotiation);
    const moved = p.waitForResponse((r) => r.url().endsWith(`/crm/leads/${conv}/move`));
    await card(p, conv).locator('[data-move-toggle]').click();
    await card(p, conv).locator(`[data-move-list] button[value="${st.negotiation}"]`).click();
    assert.equal((await moved).status(), 409);
    await inColumn(p, at, conv).waitFor();
    assert.match(await p.locator('[data-crm-status]').textContent(), /removed/);
    assert.equal(stageOf(conv), at);
    sql(`UPDATE crm_stages SET deleted_at = NULL WHERE id = :'v1'`, st.negotiation);
  } finally {
    await ctx.close();
  }
});

test('with JavaScript off, the card form moves the lead', { skip }, async () => {
  const ctx = await contextFor(seller, { javaScriptEnabled: false });
  try {
    const p = await board(ctx);
    const conv = convs[2];
    const form = card(p, conv).locator('form.crm-card__move');
    await form.locator('select[name="stage_id"]').selectOption(String(st.negotiation));
    const [res] = await Promise.all([p.waitForNavigation(), form.locator('[data-move-submit]').click()]);
    assert.equal(res.status(), 200);
    assert.equal(new URL(p.url()).pathname, '/crm');
    await inColumn(p, st.negotiation, conv).waitFor();
    assert.equal(stageOf(conv), st.negotiation);
    // the "Move to…" buttons are plain submit buttons without JavaScript
    const [res2] = await Promise.all([p.waitForNavigation(),
      card(p, conv).locator(`[data-move-list] button[value="${st.lost}"]`).click()]);
    assert.equal(res2.status(), 200);
    await inColumn(p, st.lost, conv).waitFor();
    assert.equal(stageOf(conv), st.lost);
    // the lead page and the stages page work without JavaScript too
    assert.equal((await p.goto(`${BASE}/crm/leads/${conv}`)).status(), 200);
    await p.locator('[data-timeline] [data-kind="stage"]').first().waitFor();
    await p.screenshot({ path: join(outputDir(), 'crm-lead.png'), fullPage: true });
    const noLeak = async (what) => {
      const t = await p.locator('body').innerText();
      assert.doesNotMatch(t, /\{\{|\}\}/, `${what} shows no template text`);
    };
    await noLeak('the lead page');
    assert.equal((await p.goto(`${BASE}/crm/stages`)).status(), 200);
    await p.screenshot({ path: join(outputDir(), 'crm-stages.png'), fullPage: true });
    await noLeak('the stages page');
    for (const path of ['/crm', '/crm?view=list']) {
      assert.equal((await p.goto(`${BASE}${path}`)).status(), 200);
      await noLeak(path);
    }
  } finally {
    await ctx.close();
  }
});

test('a full column shows 50 cards and "Show all N"; a move elsewhere updates N and the totals live', { skip }, async () => {
  const big = user('crmz', ['SELLER']);
  const tag = `z${big.id}`;
  sql(`WITH u AS (INSERT INTO users (email, handle)
      SELECT 'b' || i || '_${tag}@example.test', 'b' || i || '_${tag}' FROM generate_series(1, 51) i RETURNING id)
    INSERT INTO conversations (buyer_id, seller_id) SELECT u.id, :'v1' FROM u ORDER BY u.id`, big.id);
  sql(`UPDATE crm_leads SET value_minor = 200, currency = 'ZAR' WHERE seller_id = :'v1'`, big.id);
  const ids = {};
  for (const row of sql(`SELECT slug || '=' || id FROM crm_stages WHERE seller_id = :'v1'`, big.id).split('\n')) {
    const [k, v] = row.split('=');
    ids[k] = Number(v);
  }
  const ctxA = await contextFor(big);
  const ctxB = await contextFor(big);
  try {
    const a = await board(ctxA);
    const b = await board(ctxB);
    await a.locator('[data-crm-board][data-ready="1"]').waitFor();
    await b.locator('[data-crm-board][data-ready="1"]').waitFor();
    await b.waitForTimeout(1500);
    const col = (p, stage) => p.locator(`[data-stage-col="${stage}"]`);
    assert.equal(await col(a, ids.new).locator('.crm-card').count(), 50);
    assert.equal(await col(a, ids.new).locator('[data-count]').textContent(), '51');
    assert.equal(await col(a, ids.new).locator('[data-total="ZAR"]').textContent(), 'R 102,00');
    const more = col(a, ids.new).locator('[data-show-all]');
    assert.ok(await more.isVisible(), 'Show all is shown');
    assert.match((await more.textContent()).replace(/\s+/g, ' ').trim(), /^Show all 51$/);
    assert.equal(await more.getAttribute('href'), `/crm?view=list&stage=${ids.new}`);
    assert.equal(await col(a, ids.qualified).locator('[data-show-all]').isVisible(), false);
    // move the top card to Qualified with the keyboard menu in A
    const first = Number(await col(a, ids.new).locator('.crm-card').first().getAttribute('data-lead'));
    const moved = a.waitForResponse((r) => r.url().endsWith(`/crm/leads/${first}/move`));
    await card(a, first).locator('[data-move-toggle]').click();
    await card(a, first).locator(`[data-move-list] button[value="${ids.qualified}"]`).click();
    assert.equal((await moved).status(), 200);
    for (const p of [a, b]) {
      // 50 left: the link goes; R 2,00 moved with the card
      await col(p, ids.new).locator('[data-show-all-wrap]').waitFor({ state: 'hidden', timeout: 10000 });
      await col(p, ids.new).locator('[data-count]', { hasText: /^50$/ }).waitFor();
      await col(p, ids.new).locator('[data-total="ZAR"]', { hasText: 'R 100,00' }).waitFor();
      await col(p, ids.qualified).locator('[data-total="ZAR"]', { hasText: 'R 2,00' }).waitFor({ timeout: 10000 });
      assert.equal(await col(p, ids.qualified).locator('[data-count]').textContent(), '1');
    }
    // the list view behind the link holds every lead of the stage
    const res = await a.goto(`${BASE}/crm?view=list&stage=${ids.new}`);
    assert.equal(res.status(), 200);
    assert.equal(await a.locator('tr[data-lead]').count(), 50);
    assert.deepEqual(a.problems, []);
    assert.deepEqual(b.problems, []);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});
