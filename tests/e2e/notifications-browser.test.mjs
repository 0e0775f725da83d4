// The live header badges in Debian's chromium (playwright-core), through nginx,
// souk-web, souk-worker, souk-sse, Redis and PostgreSQL (issue 6,
// "Notifications"; static/js/app.js):
//   - a signed-in seller has an ordinary page open (/orders, not a thread);
//   - a buyer writes to them (POST /inbox/{id}/messages): the inbox link's
//     [data-unread] badge appears with 1, and the bell
//     [data-notifications-badge] shows the unread count of the "message"
//     notification souk-worker dispatched, both without a reload;
//   - a second buyer writes: the inbox badge says 2, the bell 2;
//   - a gig moderation decision (the SQL trigger path moderation_db_decide
//     takes): the bell says 3; the notification is really unread in the
//     database and a fresh page renders the same counts the live page shows;
//   - read-all on another tab's form post, then the next notification: the
//     bell restarts at 1 (the count comes from the server, not a local sum).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { BASE, insertUser, redisSession, postAs, as, sql, runTag } from './helpers.mjs';
import { activeGig, waitFor } from './money-helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(executablePath) && `no ${executablePath}`;
const RUN = runTag();
let browser;

before(async () => {
  if (skip) return;
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
      '--disable-dev-shm-usage', '--disable-renderer-backgrounding', '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows'],
  });
});
after(async () => { if (browser) await browser.close(); });

/** A conversation between @buyer and @seller (as the contact page makes it): its id. */
function conversation(buyer, seller) {
  const id = Number(sql(`INSERT INTO conversations (buyer_id, seller_id) VALUES (:'v1', :'v2') RETURNING id`, buyer.id, seller.id));
  sql(`INSERT INTO conversation_members (conversation_id, user_id) VALUES (:'v1', :'v2'), (:'v1', :'v3')`, id, buyer.id, seller.id);
  return id;
}

/** Wait until @page's one EventSource (app.js) is open and has its position (souk-sse's "ready"). */
async function streamReady(page) {
  await page.evaluate(async () => {
    const { live } = await import('/static/js/app.js');
    for (let i = 0; i < 400; i++) {
      if (live.es && live.es.readyState === EventSource.OPEN && live.lastId) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the page\'s event stream did not open');
  });
}

/** The header badges of @page as the user sees them: {inbox, bell, bellHidden}. */
function badges(page) {
  return page.evaluate(() => {
    const u = document.querySelector('[data-inbox-link] [data-unread]');
    const b = document.querySelector('[data-notifications-badge]');
    return {
      inbox: u ? Number(u.getAttribute('data-unread')) : 0,
      inboxText: u ? u.textContent.replace(/\D+/g, '') : '',
      bell: b ? Number(b.textContent.trim() || 0) : -1,
      bellHidden: b ? b.hidden : true,
    };
  });
}

/** Wait until @page's badges match @want ({inbox, bell}); fails with what the page shows. */
async function badgesBecome(page, want, ms = 20000) {
  const ok = await waitFor(async () => {
    const b = await badges(page);
    return b.inbox === want.inbox && b.bell === want.bell && b.bellHidden === (want.bell === 0) &&
      (want.inbox === 0 || b.inboxText === String(want.inbox)) ? b : null;
  }, ms, 100);
  assert.ok(ok, `badges ${JSON.stringify(want)}; the page shows ${JSON.stringify(await badges(page))}`);
}

const unreadNotifications = (uid) => Number(sql(`SELECT count(*) FROM notifications WHERE user_id = :'v1' AND read_at IS NULL`, uid));

test('the bell and the inbox badge follow new notifications and messages without a reload', { skip }, async () => {
  const seller = insertUser(`nbs_${RUN}`, ['SELLER']);
  const buyer1 = insertUser(`nb1_${RUN}`);
  const buyer2 = insertUser(`nb2_${RUN}`);
  const ss = redisSession(seller), b1 = redisSession(buyer1), b2 = redisSession(buyer2);
  const conv1 = conversation(buyer1, seller), conv2 = conversation(buyer2, seller);

  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US' });
  await ctx.addCookies([{ name: 'souk_sess', value: ss.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(20000);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    const res = await page.goto(`${BASE}/orders`);
    assert.equal(res.status(), 200);
    await streamReady(page);
    await page.evaluate(() => { window.__noReload = 1; });
    await badgesBecome(page, { inbox: 0, bell: 0 });

    // a message from another user: inbox badge 1 (the `message` event), bell 1 (the `notification`)
    let r = await postAs(b1, `/inbox/${conv1}/messages`, { body: `Hello from the first buyer ${RUN}` });
    assert.equal(r.status, 303, 'message 1');
    await badgesBecome(page, { inbox: 1, bell: 1 });

    // another conversation: 2 and 2
    r = await postAs(b2, `/inbox/${conv2}/messages`, { body: `Hello from the second buyer ${RUN}` });
    assert.equal(r.status, 303, 'message 2');
    await badgesBecome(page, { inbox: 2, bell: 2 });

    // a notification that is not a message (gig moderation, the trigger path): the bell only
    const gig = activeGig(seller, 'USD');
    sql("UPDATE gigs SET status = 'pending_review', submitted_at = now() WHERE id = :'v1'", gig.id);
    sql(`UPDATE gigs SET status = 'requires_changes', review_note = 'Add a photo', status_changed_at = now()
      WHERE id = :'v1'`, gig.id);
    await badgesBecome(page, { inbox: 2, bell: 3 });
    assert.equal(unreadNotifications(seller.id), 3, 'three unread notifications in the database');

    // the live page agrees with what the server renders now
    const fresh = (await as(ss, '/orders')).text_;
    assert.match(fresh, /<span class="badge" data-notifications-badge>3<\/span>/, 'a fresh page: bell 3');
    assert.match(fresh, /data-inbox-link>[^<]*<span class="badge" data-unread="2">/, 'a fresh page: inbox 2');

    // read all elsewhere (a form post of another tab); the next notification carries the server's count
    const list = (await as(ss, '/notifications')).text_;
    assert.match(list, /name="csrf"/);
    r = await postAs(ss, '/notifications/read-all');
    assert.equal(r.status, 303, 'read all');
    assert.equal(unreadNotifications(seller.id), 0);
    sql("UPDATE gigs SET status = 'pending_review' WHERE id = :'v1'", gig.id);
    sql("UPDATE gigs SET status = 'active', approved_at = now(), status_changed_at = now() WHERE id = :'v1'", gig.id);
    await badgesBecome(page, { inbox: 2, bell: 1 });

    assert.equal(await page.evaluate(() => window.__noReload), 1, 'the page was never reloaded');
    assert.deepEqual(errors, [], 'no script errors');
  } finally {
    await ctx.close();
  }
});
