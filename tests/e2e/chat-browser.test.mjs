// souk-e2e: serial (stops and restarts the shared souk-sse)
// Live chat in Debian's chromium (playwright-core), a buyer and a seller in
// two browser contexts on the same conversation page (/inbox/{id}), through
// nginx, souk-web, souk-sse, Redis and PostgreSQL (issue 6, "Tests"):
//   - presence: each page shows the other as online (souk-sse's presence);
//   - typing in one page shows "… is typing" in the other;
//   - a message sent by one (fetch, no reload) appears in the other within
//     one second of the send's completion, without a reload of either page;
//   - the receiver's page marks it read and the sender's receipt turns Read;
//   - with JavaScript disabled the same conversation works by form posts,
//     and a send whose fetch fails on the network falls back to the form;
//   - souk-sse stopped mid-conversation (SIGTERM, then started again): the
//     messages sent meanwhile all appear once it is back (Last-Event-ID
//     replay), none twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, insertUser, redisSession, postAs, sql, redis, runTag, sleep } from './helpers.mjs';
import { CONF, RUN_DIR, STATE, SSE_BIN } from './sse-helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(executablePath) && `no ${executablePath}`;
const RUN = runTag();
let browser, seller, buyer, ss, bs, conv;

before(async () => {
  if (skip) return;
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
      '--disable-dev-shm-usage', '--disable-renderer-backgrounding', '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows'],
  });
  seller = insertUser(`chs_${RUN}`, ['SELLER']);
  buyer = insertUser(`chb_${RUN}`);
  ss = redisSession(seller);
  bs = redisSession(buyer);
  conv = Number(sql(`INSERT INTO conversations (buyer_id, seller_id) VALUES (:'v1', :'v2') RETURNING id`, buyer.id, seller.id));
  sql(`INSERT INTO conversation_members (conversation_id, user_id) VALUES (:'v1', :'v2'), (:'v1', :'v3')`, conv, buyer.id, seller.id);
});
after(async () => { if (browser) await browser.close(); });

async function contextFor(s, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US', ...opts });
  await ctx.addCookies([{ name: 'souk_sess', value: s.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(15000);
  return ctx;
}

/** The thread page of @s, with its live stream open (the other's presence state arrived). */
async function openThread(ctx) {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  const res = await page.goto(`${BASE}/inbox/${conv}`);
  assert.equal(res.status(), 200);
  await page.locator('[data-thread][data-events]').waitFor();
  await streamReady(page);
  // a marker that a reload would wipe
  await page.evaluate(() => { window.__noReload = 1; });
  return page;
}

/** Wait until @page's one EventSource (app.js) is open and has its position (souk-sse's "ready"). */
async function streamReady(page) {
  await page.evaluate(async () => {
    const { live } = await import('/static/js/app.js');
    for (let i = 0; i < 200; i++) {
      if (live.es && live.es.readyState === EventSource.OPEN && live.lastId) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the page\'s event stream did not open');
  });
  await page.evaluate(async () => {
    const { live } = await import('/static/js/app.js');
    window.__seen = [];
    for (const type of ['message', 'presence', 'typing', 'conversation.read', 'ready', 'notification', 'message.edited']) {
      document.addEventListener('souk:' + type, (e) => window.__seen.push([Date.now() % 100000, type, e.detail.id,
        e.detail.data.message_id || e.detail.data.online]));
    }
    for (const type of ['message', 'notification', 'error', 'open']) {
      live.es.addEventListener(type, (e) => window.__seen.push([Date.now() % 100000, 'raw-' + type, e.lastEventId, live.es.readyState]));
    }
  });
}

/** What @page's stream saw (for failure messages): its state and the events since streamReady(). */
async function streamState(page) {
  return page.evaluate(async () => {
    const { live } = await import('/static/js/app.js');
    return JSON.stringify({ url: live.url, state: live.es && live.es.readyState, lastId: live.lastId,
      failures: live.failures, seen: window.__seen || [] });
  }).catch((e) => String(e));
}

/** Wait for the message @text on @page within @ms; on failure say what the stream and Redis saw. */
async function arrives(page, text, ms) {
  try {
    await messageLi(page, text).waitFor({ timeout: ms });
  } catch (e) {
    const who = page === undefined ? 0 : await page.evaluate(() => document.querySelector('[data-thread]').dataset.me);
    const stream = redis('XRANGE', `ev:u:${who}`, '-', '+').split('\n').filter((l) => /^\d+-\d+$|^(message|notification|conversation\.read|message\.\w+)$/.test(l)).join(' ');
    let log = '';
    try { log = readFileSync(join(STATE, 'log', 'souk-web.log'), 'utf8').split('\n').filter((l) => /publish|level=error/.test(l)).slice(-5).join('\n'); } catch { /* none */ }
    assert.fail(`"${text}" did not appear within ${ms} ms: ${await streamState(page)}\nstream ev:u:${who}: ${stream}\n${log}`);
  }
}

const messageLi = (page, text) => page.locator('[data-messages] > li[data-message]', { hasText: text });

/** Type @text in @page's composer and press Send; resolves when the POST answered. */
async function send(page, text) {
  await page.locator('form[data-message-form] textarea[name="body"]').fill(text);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/inbox/${conv}/messages`) && r.request().method() === 'POST'),
    page.locator('form[data-message-form] button[type="submit"]').click(),
  ]);
  assert.equal(res.status(), 201, `the JSON send answered ${res.status()}`);
  return res;
}

test('live: presence, typing, a message within a second without reload, read receipt', { skip }, async (t) => {
  const bctx = await contextFor(bs), sctx = await contextFor(ss);
  try {
    const bp = await openThread(bctx), sp = await openThread(sctx);
    // presence: both streams are open, so each page shows the other online
    await bp.locator('[data-presence][data-online="true"]').waitFor({ timeout: 5000 });
    await sp.locator('[data-presence][data-online="true"]').waitFor({ timeout: 5000 });
    assert.match(await bp.locator('[data-presence]').innerText(), /Online/);

    // typing: the seller types, the buyer sees the indicator
    assert.ok(await bp.locator('[data-typing]').isHidden());
    await sp.locator('form[data-message-form] textarea[name="body"]').pressSequentially('Hel', { delay: 30 });
    await bp.locator('[data-typing]').waitFor({ state: 'visible', timeout: 3000 });
    assert.match(await bp.locator('[data-typing]').innerText(), new RegExp(`@${seller.handle} is typing`));

    // a message from the seller appears on the buyer's page within 1 s of the send completing
    const text1 = `Hello buyer ${RUN} **live**`;
    await send(sp, text1);
    const t0 = Date.now();
    await arrives(bp, `Hello buyer ${RUN}`, 1000);
    t.diagnostic(`the message appeared ${Date.now() - t0} ms after the send completed`);
    assert.equal(await messageLi(bp, `Hello buyer ${RUN}`).locator('strong').innerText(), 'live', 'the server\'s Markdown');
    assert.equal(await messageLi(sp, `Hello buyer ${RUN}`).count(), 1, 'the sender\'s page shows it once');
    assert.ok(await bp.locator('[data-typing]').isHidden(), 'the indicator goes with the message');
    assert.equal(await sp.locator('form[data-message-form] textarea[name="body"]').inputValue(), '', 'the composer is cleared');

    // the buyer's visible page marks it read: the seller's receipt turns Read
    const mine = messageLi(sp, `Hello buyer ${RUN}`).locator('[data-receipt]');
    await assert.doesNotReject(() => mine.filter({ hasText: /^Read$/ }).waitFor({ timeout: 3000 }), 'receipt Read');
    const read = Number(sql(`SELECT last_read_message_id FROM conversation_members WHERE conversation_id = :'v1' AND user_id = :'v2'`, conv, buyer.id));
    assert.equal(read, Number(await messageLi(bp, `Hello buyer ${RUN}`).getAttribute('data-message')));

    // the seller's other tab (the home page) keeps the header's inbox badge live
    const home = await sctx.newPage();
    await home.goto(`${BASE}/`);
    await home.evaluate(() => { window.__noReload = 1; });
    assert.equal(await home.locator('[data-inbox-link] [data-unread]').count(), 0, 'nothing unread yet');
    await streamReady(home);
    await home.evaluate(() => {
      window.__badgeMax = 0;
      new MutationObserver(() => {
        const b = document.querySelector('[data-inbox-link] [data-unread]');
        if (b) window.__badgeMax = Math.max(window.__badgeMax, Number(b.getAttribute('data-unread')));
      }).observe(document.querySelector('[data-inbox-link]'), { subtree: true, childList: true, attributes: true, characterData: true });
    });

    // and back: the buyer answers, the seller sees it within a second
    const text2 = `Hi seller ${RUN}`;
    await send(bp, text2);
    await arrives(sp, text2, 1000);
    await messageLi(bp, text2).locator('[data-receipt]').filter({ hasText: /^Read$/ }).waitFor({ timeout: 3000 });
    // the badge went up on the message, and down again once the open thread read it
    const badgeSeen = await home.evaluate(() => window.__badgeMax || 0);
    assert.ok(badgeSeen >= 1, `the home page's badge showed the new message (max ${badgeSeen})`);
    await home.locator('[data-inbox-link] [data-unread]').waitFor({ state: 'detached', timeout: 3000 });
    assert.equal(await home.evaluate(() => window.__noReload), 1, 'the home page did not reload');

    // an edit and a delete by the seller show on the buyer's page in place
    const mid = await messageLi(sp, `Hello buyer ${RUN}`).getAttribute('data-message');
    const json = { accept: 'application/json' };
    let r = await postAs(ss, `/inbox/${conv}/messages/${mid}/edit`, { body: `Edited hello ${RUN}` }, json);
    assert.equal(r.status, 200, `edit: ${r.status} ${r.text_.slice(0, 200)}`);
    const edited = bp.locator(`#m${mid}`);
    await edited.filter({ hasText: `Edited hello ${RUN}` }).waitFor({ timeout: 2000 });
    assert.equal(await edited.locator('[data-edited]').count(), 1, 'marked edited');
    r = await postAs(ss, `/inbox/${conv}/messages/${mid}/delete`, {}, json);
    assert.ok([200, 204].includes(r.status), `delete: ${r.status}`);
    await edited.locator('[data-deleted]').waitFor({ timeout: 2000 });
    assert.match(await edited.innerText(), /This message was deleted/);
    assert.doesNotMatch(await edited.innerText(), /Edited hello/);

    // a refused send (empty) shows the server's message and keeps the page
    await bp.locator('form[data-message-form] textarea[name="body"]').fill('   ');
    const [bad] = await Promise.all([
      bp.waitForResponse((x) => x.url().endsWith(`/inbox/${conv}/messages`) && x.request().method() === 'POST'),
      bp.locator('form[data-message-form] button[type="submit"]').click(),
    ]);
    assert.equal(bad.status(), 422);
    await bp.locator('[data-live-error]').waitFor({ state: 'visible' });
    assert.ok((await bp.locator('[data-live-error]').innerText()).trim().length > 0, 'an error text');

    // nothing reloaded, nothing shown twice, no script error
    for (const p of [bp, sp]) {
      assert.equal(await p.evaluate(() => window.__noReload), 1, 'no reload');
      for (const t of [text2]) assert.equal(await messageLi(p, t).count(), 1);
      assert.deepEqual(p.errors, []);
    }
  } finally {
    await bctx.close();
    await sctx.close();
  }
});

test('without JavaScript the conversation works by form posts', { skip }, async () => {
  const bctx = await contextFor(bs, { javaScriptEnabled: false });
  const sctx = await contextFor(ss, { javaScriptEnabled: false });
  try {
    const bp = await bctx.newPage(), sp = await sctx.newPage();
    await bp.goto(`${BASE}/inbox/${conv}`);
    const text = `No script here ${RUN}`;
    await bp.locator('form[data-message-form] textarea[name="body"]').fill(text);
    const [nav] = await Promise.all([
      bp.waitForNavigation({ waitUntil: 'load' }),
      bp.locator('form[data-message-form] button[type="submit"]').click(),
    ]);
    assert.equal(nav.status(), 200);
    assert.match(new URL(bp.url()).pathname, new RegExp(`^/inbox/${conv}$`), 'redirected back to the thread');
    await messageLi(bp, text).waitFor();
    await sp.goto(`${BASE}/inbox/${conv}`);
    await messageLi(sp, text).waitFor();
    const reply = `Answer by form ${RUN}`;
    await sp.locator('form[data-message-form] textarea[name="body"]').fill(reply);
    await Promise.all([sp.waitForNavigation(), sp.locator('form[data-message-form] button[type="submit"]').click()]);
    await messageLi(sp, reply).waitFor();
    await bp.reload();
    await messageLi(bp, reply).waitFor();
    // an empty message: the error, no JSON
    await bp.locator('form[data-message-form] textarea[name="body"]').fill('   ');
    await Promise.all([bp.waitForNavigation(), bp.locator('form[data-message-form] button[type="submit"]').click()]);
    assert.ok(await bp.locator('[data-error="empty"]').count() > 0, 'the empty error on the page');
  } finally {
    await bctx.close();
    await sctx.close();
  }
});

test('a send whose fetch fails on the network falls back to the form post', { skip }, async () => {
  // no service worker here, so that the page's own requests are the ones routed
  const bctx = await contextFor(bs, { serviceWorkers: 'block' });
  try {
    const bp = await openThread(bctx);
    let aborted = 0;
    await bp.route(`**/inbox/${conv}/messages`, (route) => {
      if (route.request().resourceType() === 'fetch') { aborted++; return route.abort('connectionreset'); }
      return route.continue();
    });
    const text = `Through the fallback ${RUN}`;
    await bp.locator('form[data-message-form] textarea[name="body"]').fill(text);
    await Promise.all([
      bp.waitForNavigation({ waitUntil: 'load' }),
      bp.locator('form[data-message-form] button[type="submit"]').click(),
    ]);
    assert.equal(aborted, 1, 'the fetch was tried first');
    assert.equal(await bp.evaluate(() => window.__noReload), undefined, 'then the page was posted');
    assert.equal(new URL(bp.url()).pathname, `/inbox/${conv}`);
    await messageLi(bp, text).waitFor();
    assert.equal(await messageLi(bp, text).count(), 1, 'sent once');
  } finally {
    await bctx.close();
  }
});

/** Stop the stack's souk-sse (SIGTERM) and return a function that starts it again. */
async function stopSse() {
  const pidFile = join(RUN_DIR, 'souk-sse.pid');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + 10000;
  while (existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) {
    assert.ok(Date.now() < end, 'souk-sse stopped');
    await sleep(50);
  }
  return async () => {
    const log = join(STATE, 'log', 'souk-sse.log');
    const fd = openSync(log, 'a');
    const child = spawn(SSE_BIN, ['-c', CONF], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    const until = Date.now() + 15000;
    while (!readFileSync(log, 'utf8').includes(`pid=${child.pid} level=info msg="sse: subscribed`)) {
      assert.ok(Date.now() < until && child.exitCode === null, 'souk-sse started again');
      await sleep(50);
    }
  };
}

test('souk-sse stopped mid-conversation: the messages sent meanwhile all arrive once, in order', { skip: skip || (!SSE_BIN && 'needs ./dev test') }, async (t) => {
  const bctx = await contextFor(bs), sctx = await contextFor(ss);
  let restart = null;
  try {
    const bp = await openThread(bctx), sp = await openThread(sctx);
    await bp.locator('[data-presence][data-online="true"]').waitFor({ timeout: 5000 });
    const before = `Before the cut ${RUN}`;
    await send(sp, before);
    await arrives(bp, before, 1000);

    restart = await stopSse();
    // while souk-sse is down: the seller's page still sends (souk-web is up), and so does a plain POST
    const during = [`During the cut one ${RUN}`, `During the cut two ${RUN}`];
    await send(sp, during[0]);
    const r = await postAs(ss, `/inbox/${conv}/messages`, { body: during[1] });
    assert.equal(r.status, 303);
    await sleep(1500);
    assert.equal(await messageLi(bp, during[0]).count(), 0, 'nothing live while souk-sse is down');
    await restart();
    restart = null;
    for (const x of during) await arrives(bp, x, 15000);
    // live again (the one-second bound is the first test's; here only that it comes live)
    const after = `After the cut ${RUN}`;
    await send(sp, after);
    const t0 = Date.now();
    await arrives(bp, after, 5000);
    t.diagnostic(`after the restart, a live message took ${Date.now() - t0} ms`);

    const ids = await bp.locator('[data-messages] > li[data-message]').evaluateAll((lis) => lis.map((li) => Number(li.dataset.message)));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in order');
    assert.equal(new Set(ids).size, ids.length, 'none twice');
    for (const t of [before, ...during, after]) assert.equal(await messageLi(bp, t).count(), 1, t);
    assert.equal(await bp.evaluate(() => window.__noReload), 1, 'no reload');
  } finally {
    if (restart) await restart();
    await bctx.close();
    await sctx.close();
  }
});
