// souk-e2e: serial (moves the test clock for the digests)
// Notifications end to end (issue 6, "Notifications"; sql/0024_notifications.sql,
// src/notify/notifications.c): triggers on orders, clearances, payouts, gigs and
// messages create one notification per event and recipient; souk-worker's
// "notification" job renders it, publishes the SSE event "notification"
// (read here through nginx's /events), mails it when the preference is
// "immediate" (read from the SMTP sink's folder) and queues a "push" job when
// the recipient has no open tab (Redis key presence:u:<id>).  The bell, the
// list, read / read-all, the settings page (immediately / daily / off), the
// daily digest and the 15-minute unread-messages digest (test clock +
// soukctl notify-sweep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BASE, sleep } from './helpers.mjs';
import {
  DB, WORKER_CONF, SOUKCTL, sql, redis, user, activeGig, Client, buy, idemKey, locationOf, text,
  tinyPng, waitFor, advanceClock, moneySweep, havePaysim,
} from './money-helpers.mjs';
import { assertOpen, openStream } from './sse-helpers.mjs';

const execFileP = promisify(execFile);
const MAIL_DIR = resolve(process.env.SOUK_MAIL_DIR || resolve(import.meta.dirname, '../../var/mail'));
const noSim = !havePaysim() && 'souk-paysim is not running';

/** Every mail the sink stored so far. */
function mails() {
  if (!existsSync(MAIL_DIR)) return [];
  return readdirSync(MAIL_DIR).filter((f) => /^\d+-.*\.json$/.test(f)).sort()
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(MAIL_DIR, f), 'utf8')) }));
}
const mailsTo = (addr) => mails().filter((m) => m.to.includes(addr));

/** @uid's notifications, oldest first: [{id, type, title, body, url, read, emailed, data}]. */
function notifs(uid) {
  const out = sql(`SELECT coalesce(json_agg(json_build_object('id', id, 'type', type, 'title', title, 'body', body,
      'url', url, 'read', read_at IS NOT NULL, 'emailed', emailed_at IS NOT NULL, 'dispatched', dispatched_at IS NOT NULL,
      'data', data, 'key', event_key) ORDER BY id), '[]') FROM notifications WHERE user_id = :'v1'`, uid);
  return JSON.parse(out);
}
const ofType = (uid, type) => notifs(uid).filter((n) => n.type === type);

/** Waits until @uid has @count notifications of @type, all dispatched; returns them. */
async function dispatched(uid, type, count = 1, ms = 20000) {
  const ok = await waitFor(() => {
    const l = ofType(uid, type);
    return l.length === count && l.every((n) => n.dispatched && n.title !== '') ? l : null;
  }, ms, 150);
  assert.ok(ok, `${count} dispatched ${type} notification(s) for user ${uid}: ${JSON.stringify(notifs(uid))}`);
  return ok;
}

async function notifySweep() {
  assert.ok(SOUKCTL, 'the soukctl binary');
  const { stdout } = await execFileP(SOUKCTL, ['-c', WORKER_CONF, 'notify-sweep'],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB }, timeout: 60000 });
  assert.match(stdout, /^daily=\d+ messages=\d+$/m);
  return stdout;
}

/** Mail jobs of @template to @email: their payloads, oldest first. */
function mailJobs(email, template) {
  return JSON.parse(sql(`SELECT coalesce(json_agg(payload ORDER BY id), '[]') FROM jobs
    WHERE kind = 'mail' AND payload->>'to' = :'v1' AND payload->>'template' = :'v2'`, email, template));
}

/**
 * GET /events as @u through nginx (sse-helpers.mjs openStream): {events,
 * close()}; events: every event but the opening "ready", each {event, json, ...}.
 */
async function openEvents(u) {
  const s = await openStream(u.cookie);
  assertOpen(s, 'GET /events');
  await sleep(300);	// subscribed
  return { events: s.all, close: s.close };
}

/** The bell of a page: {count, hidden}. */
function bellOf(html) {
  const m = html.match(/<span class="badge" data-notifications-badge( hidden)?>(\d+)<\/span>/);
  assert.ok(m, 'the bell badge is on the page');
  return { count: Number(m[2]), hidden: Boolean(m[1]) };
}

const expect = (res, status, what) =>
  assert.equal(res.status, status, `${what}: ${res.status} ${text(res).slice(0, 300)}`);

async function deliver(s, id, message) {
  return s.postMultipart(`/orders/${id}/deliver`, { message },
    [{ field: 'file', name: 'work.png', type: 'image/png', data: tinyPng() }]);
}

test('an order notifies buyer and seller once per event: SSE event, immediate e-mail, bell, list, read', { skip: noSim }, async () => {
  const seller = user('ns', ['SELLER']);
  const buyer = user('nb');
  const gig = activeGig(seller, 'ZAR', { revisions: 1 });
  const s = new Client(seller), b = new Client(buyer);
  const live = await openEvents(seller);
  try {
    const { orderId } = await buy(b, gig, { gateway: 'payfast' });
    const [placed] = await dispatched(seller.id, 'order.placed');
    assert.equal(placed.url, `/orders/${orderId}`);
    assert.equal(placed.title, `New order #${orderId} from @${buyer.handle}`);
    assert.match(placed.body, new RegExp(`ordered "${gig.title}" and paid R`));
    // the live event reached the seller's open stream
    const ev = await waitFor(() => live.events.find((e) => e.event === 'notification' && e.json.id === placed.id), 10000, 100);
    assert.ok(ev, `a "notification" event on /events: ${JSON.stringify(live.events)}`);
    assert.deepEqual(Object.keys(ev.json).sort(), ['body', 'id', 'title', 'type', 'unread_count', 'url']);
    assert.equal(ev.json.type, 'order.placed');
    assert.equal(ev.json.title, placed.title);
    assert.equal(ev.json.url, placed.url);
    assert.equal(ev.json.unread_count, 1);

    expect(await b.postMultipart(`/orders/${orderId}/requirements`, { answer_1: 'Acme' }), 303, 'requirements');
    expect(await deliver(s, orderId, 'First version'), 303, 'delivery');
    expect(await b.post(`/orders/${orderId}/revision`, { reason: 'Bigger, please' }), 303, 'revision');
    expect(await deliver(s, orderId, 'Second version'), 303, 'second delivery');
    expect(await b.post(`/orders/${orderId}/accept`, { idempotency_key: idemKey() }), 303, 'accept');
    // a repeated status update changes nothing
    sql("UPDATE orders SET state = state WHERE id = :'v1'", orderId);
    sql("UPDATE orders SET state = 'completed' WHERE id = :'v1' AND state = 'completed'", orderId);

    await dispatched(seller.id, 'order.requirements');
    await dispatched(seller.id, 'order.revision');
    await dispatched(seller.id, 'order.completed');
    const delivered = await dispatched(buyer.id, 'order.delivered', 2);
    await dispatched(buyer.id, 'order.completed');
    assert.deepEqual(notifs(seller.id).map((n) => n.type),
      ['order.placed', 'order.requirements', 'order.revision', 'order.completed'], 'the seller: once per event');
    assert.deepEqual(notifs(buyer.id).map((n) => n.type),
      ['order.delivered', 'order.delivered', 'order.completed'], 'the buyer: once per event');
    assert.equal(delivered[0].title, `Order #${orderId} was delivered`);
    assert.ok(notifs(buyer.id).every((n) => n.url === `/orders/${orderId}`));

    // immediate e-mails (the default) through the SMTP sink, once each
    const mail = await waitFor(() => mailsTo(seller.email).find((m) => m.subject === placed.title && m.text.includes('/settings/notifications')), 20000, 200);
    assert.ok(mail, `the "${placed.title}" mail to ${seller.email}`);
    assert.ok(mail.text.includes(`${BASE}/orders/${orderId}`) || /\/orders\/\d+/.test(mail.text), 'the link');
    assert.match(mail.html, /<html/i);
    // (the order room's own "order_update" mails may share a subject: ours link the settings page)
    const ours = (m) => m.text.includes('/settings/notifications');
    const dmail = await waitFor(() => mailsTo(buyer.email).filter((m) => ours(m) && m.subject === delivered[0].title).length === 2, 20000, 200);
    assert.ok(dmail, `one mail per delivery to the buyer: ${JSON.stringify(mailsTo(buyer.email).map((m) => m.subject))}`);
    assert.equal(mailJobs(seller.email, 'notification').length, 4, 'one notification mail per seller notification');
    assert.equal(mailJobs(buyer.email, 'notification').length, 3, 'one notification mail per buyer notification');

    // payment released: the clearance cleared by the money sweep (default preference: daily)
    sql("UPDATE seller_clearances SET clears_at = souk_now() - interval '1 minute' WHERE order_id = :'v1'", orderId);
    await moneySweep();
    const [released] = await dispatched(seller.id, 'payment.released');
    assert.match(released.title, /^Payment released: R/);
    assert.equal(released.url, '/earnings');
    assert.equal(released.emailed, false, 'daily by default: no immediate mail');
    await moneySweep();
    assert.equal(ofType(seller.id, 'payment.released').length, 1, 'a second sweep adds nothing');

    // the bell on a page, the list newest first with unread ones marked
    let res = await s.get('/orders');
    assert.deepEqual(bellOf(res.text_), { count: 5, hidden: false });
    res = await s.get('/notifications');
    expect(res, 200, 'GET /notifications');
    const ids = [...res.text_.matchAll(/data-notification="(\d+)"( data-unread)?/g)].map((m) => [Number(m[1]), Boolean(m[2])]);
    assert.deepEqual(ids.map((x) => x[0]), notifs(seller.id).map((n) => n.id).reverse(), 'newest first');
    assert.ok(ids.every((x) => x[1]), 'all unread');
    assert.ok(res.text_.includes(`New order #${orderId} from @${buyer.handle}`));

    // read one: 303 to its url; another user's id: 404
    res = await s.post(`/notifications/${placed.id}/read`);
    expect(res, 303, 'read');
    assert.equal(locationOf(res), `/orders/${orderId}`);
    expect(await b.post(`/notifications/${placed.id}/read`), 404, "another user's notification");
    expect(await b.post('/notifications/999999999/read'), 404, 'no such notification');
    assert.equal(ofType(seller.id, 'order.placed')[0].read, true);
    res = await s.get('/notifications');
    assert.match(res.text_, new RegExp(`data-notification="${placed.id}">`), 'read: no longer marked');
    assert.deepEqual(bellOf(res.text_), { count: 4, hidden: false });
    // without the csrf field: refused
    assert.equal((await s.post('/notifications/read-all', {}, { csrf: false })).status, 403);
    res = await s.post('/notifications/read-all');
    expect(res, 303, 'read all');
    assert.ok(notifs(seller.id).every((n) => n.read));
    res = await s.get('/');
    assert.deepEqual(bellOf(res.text_), { count: 0, hidden: true }, 'the badge stays, hidden');
    // signed out: no list
    const anon = await new Client(null).get('/notifications');
    assert.ok([302, 303].includes(anon.status), `anonymous: ${anon.status}`);
  } finally {
    live.close();
  }
});

test('payout sent and gig moderation notify the seller, once, in the seller\'s language', async () => {
  const seller = user('np', ['SELLER']);
  sql("UPDATE users SET lang = 'zh-CN' WHERE id = :'v1'", seller.id);
  // a payout marked paid, inside a transaction that is rolled back (no money moves)
  const out = sql(`BEGIN;
    INSERT INTO payouts (seller_id, currency, amount_minor, method, state, idempotency_key)
      VALUES (:'v1', 'USD', 1234, 'bank', 'approved', 'e2e-notify-' || :'v1');
    UPDATE payouts SET state = 'paid' WHERE seller_id = :'v1';
    UPDATE payouts SET state = 'paid' WHERE seller_id = :'v1';
    SELECT count(*) || '|' || min(url) || '|' || min(data->>'amount_minor') FROM notifications
      WHERE user_id = :'v1' AND type = 'payout.sent';
    SELECT count(*) FROM jobs j JOIN notifications n ON j.payload->>'id' = n.id::text
      WHERE j.kind = 'notification' AND n.user_id = :'v1';
    ROLLBACK;`, seller.id);
  assert.deepEqual(out.split('\n').filter(Boolean), ['1|/earnings|1234', '1'], 'one notification and one job');

  // moderation: needs changes, then approved (the statements moderation_db_decide runs)
  const gig = activeGig(seller, 'USD');
  sql("UPDATE gigs SET status = 'pending_review', submitted_at = now() WHERE id = :'v1'", gig.id);
  sql(`UPDATE gigs SET status = 'requires_changes', review_note = 'Add a photo', status_changed_at = now()
    WHERE id = :'v1'`, gig.id);
  const [changes] = await dispatched(seller.id, 'gig.changes');
  assert.equal(changes.title, '您的服务需要修改', 'rendered in zh-CN (po/zh_CN.po)');
  assert.match(changes.body, /Add a photo/);
  assert.equal(changes.url, `/studio/gigs/${gig.id}`);
  sql("UPDATE gigs SET status = 'pending_review' WHERE id = :'v1'", gig.id);
  sql("UPDATE gigs SET status = 'active', approved_at = now(), status_changed_at = now() WHERE id = :'v1'", gig.id);
  sql("UPDATE gigs SET status = 'active' WHERE id = :'v1'", gig.id);
  const [approved] = await dispatched(seller.id, 'gig.approved');
  assert.equal(approved.title, '您的服务已上线');
  assert.equal(ofType(seller.id, 'gig.changes').length, 1);
  const jobs = await waitFor(() => { const j = mailJobs(seller.email, 'notification'); return j.length === 2 ? j : null; }, 10000, 150);
  assert.ok(jobs, 'two immediate mails');
  assert.deepEqual(jobs.map((j) => [j.lang, j.data.title]), [['zh-CN', changes.title], ['zh-CN', approved.title]]);
  const mail = await waitFor(() => mailsTo(seller.email).find((m) => m.subject === approved.title), 20000, 200);
  assert.ok(mail, 'the zh-CN subject reached the SMTP sink');
});

test('preferences: a bad value is refused with the form kept; "off" sends nothing; "daily" makes one digest a day', { skip: noSim }, async () => {
  const seller = user('nd', ['SELLER']);
  const buyer = user('ndb');
  const s = new Client(seller), b = new Client(buyer);
  let res = await s.get('/settings/notifications');
  expect(res, 200, 'settings');
  assert.match(res.text_, /name="email_order_placed" value="immediate" checked/);
  assert.match(res.text_, /name="email_payment_released" value="daily" checked/);
  // linked from the account page
  assert.match((await s.get('/account')).text_, /href="\/settings\/notifications"/);

  res = await s.post('/settings/notifications', { email_order_placed: 'weekly', email_order_requirements: 'off' });
  expect(res, 422, 'a value that is not offered');
  assert.match(res.text_, /<tr data-pref="order.placed" class="notification-settings__invalid" aria-invalid="true">/);
  assert.match(res.text_, /name="email_order_requirements" value="off" checked/, 'the form as sent');
  assert.equal(sql("SELECT count(*) FROM notification_prefs WHERE user_id = :'v1'", seller.id), '0', 'nothing stored');

  res = await s.post('/settings/notifications', { email_order_placed: 'daily', email_order_requirements: 'off' });
  expect(res, 303, 'save');
  assert.equal(locationOf(res), '/settings/notifications?saved=1');
  res = await s.get('/settings/notifications?saved=1');
  assert.match(res.text_, /name="email_order_placed" value="daily" checked/);
  assert.match(res.text_, /name="email_order_requirements" value="off" checked/);
  assert.match(res.text_, /name="email_order_delivered" value="immediate" checked/, 'others keep their value');

  const gig = activeGig(seller, 'ZAR');
  const { orderId } = await buy(b, gig, { gateway: 'payfast' });
  expect(await b.postMultipart(`/orders/${orderId}/requirements`, { answer_1: 'Acme' }), 303, 'requirements');
  const [placed] = await dispatched(seller.id, 'order.placed');
  const [reqs] = await dispatched(seller.id, 'order.requirements');
  await sleep(1500);
  assert.equal(mailJobs(seller.email, 'notification').length, 0, 'daily and off: no immediate mail');
  assert.equal(placed.emailed || reqs.emailed, false);

  // the next day: one digest with the daily notification, without the "off" one
  advanceClock(86400 + 60);
  await notifySweep();
  const digests = await waitFor(() => { const j = mailJobs(seller.email, 'digest_daily'); return j.length ? j : null; }, 40000, 300);
  assert.ok(digests, 'a digest_daily mail job');
  assert.equal(digests.length, 1);
  const titles = digests[0].data.items.map((i) => i.title);
  assert.ok(titles.includes(placed.title), `the digest lists ${placed.title}: ${titles}`);
  assert.ok(!titles.includes(reqs.title), 'not the "off" one');
  const mail = await waitFor(() => mailsTo(seller.email).find((m) => /daily summary/.test(m.subject)), 20000, 200);
  assert.ok(mail, 'the digest reached the SMTP sink');
  assert.ok(mail.text.includes(placed.title));
  assert.ok(!mail.text.includes(reqs.title));
  assert.equal(sql("SELECT (digested_at IS NOT NULL)::text FROM notifications WHERE id = :'v1'", placed.id), 'true');
  // once a day: another sweep (and the worker's own) sends nothing more
  await notifySweep();
  await sleep(500);
  assert.equal(mailJobs(seller.email, 'digest_daily').length, 1, 'one digest');
});

test('unread messages: one notification per conversation, refreshed; a digest after 15 minutes, once per batch; push only without an open tab', async () => {
  const seller = user('nm', ['SELLER']);
  const buyer = user('nmb');
  const s = new Client(seller), b = new Client(buyer);
  let res = await b.get(`/contact/${seller.handle}`);
  expect(res, 303, 'contact');
  const conv = Number(locationOf(res).match(/^\/inbox\/(\d+)/)[1]);
  // an open tab: no push
  redis('SET', `presence:u:${seller.id}`, '1', 'EX', '120');
  expect(await b.post(`/inbox/${conv}/messages`, { body: 'Hello there, first question' }), 303, 'message 1');
  let [n] = await dispatched(seller.id, 'message');
  assert.equal(n.url, `/inbox/${conv}`);
  assert.equal(n.title, `New message from @${buyer.handle}`);
  await sleep(500);
  const pushJobs = (id) => Number(sql(`SELECT count(*) FROM jobs WHERE kind = 'push'
    AND payload->>'notification_id' = :'v1'`, id));
  assert.equal(pushJobs(n.id), 0, 'an open tab: no push job');
  // no open tab: the refresh of the same notification queues a push
  redis('DEL', `presence:u:${seller.id}`);
  expect(await b.post(`/inbox/${conv}/messages`, { body: 'And a second one' }), 303, 'message 2');
  const refreshed = await waitFor(() => { const l = ofType(seller.id, 'message'); return l.length === 1 && l[0].data.count === 2 && /2 unread/.test(l[0].body) ? l : null; }, 20000, 150);
  assert.ok(refreshed, `one notification, refreshed: ${JSON.stringify(ofType(seller.id, 'message'))}`);
  assert.ok(await waitFor(() => pushJobs(n.id) === 1, 10000, 150), 'no open tab: one push job {"notification_id": N}');
  assert.equal(mailJobs(seller.email, 'notification').length, 0, 'messages are mailed by the digest only');

  // not yet 15 minutes: no digest
  await notifySweep();
  assert.equal(mailJobs(seller.email, 'digest_messages').length, 0);
  advanceClock(16 * 60);
  await notifySweep();
  let jobs = mailJobs(seller.email, 'digest_messages');
  assert.equal(jobs.length, 1, 'a digest after 15 minutes');
  assert.deepEqual(jobs[0].data.conversations.map((c) => c.messages.map((m) => m.body)),
    [['Hello there, first question', 'And a second one']]);
  const mail = await waitFor(() => mailsTo(seller.email).find((m) => /unread message/.test(m.subject)), 20000, 200);
  assert.ok(mail, 'the digest reached the SMTP sink');
  assert.match(mail.text, /Hello there, first question/);
  assert.match(mail.text, new RegExp(`/inbox/${conv}`));
  // the same messages are never mailed again
  advanceClock(16 * 60);
  await notifySweep();
  assert.equal(mailJobs(seller.email, 'digest_messages').length, 1);
  // a new batch: mailed once, alone
  expect(await b.post(`/inbox/${conv}/messages`, { body: 'Third, later' }), 303, 'message 3');
  advanceClock(16 * 60);
  await notifySweep();
  jobs = mailJobs(seller.email, 'digest_messages');
  assert.equal(jobs.length, 2);
  assert.deepEqual(jobs[1].data.conversations[0].messages.map((m) => m.body), ['Third, later']);
  // the buyer, who read everything, got none
  assert.equal(mailJobs(buyer.email, 'digest_messages').length, 0);

  // reading the conversation reads its notification; the next message starts a new one
  expect(await s.get(`/inbox/${conv}`), 200, 'thread');
  assert.equal(ofType(seller.id, 'message')[0].read, true);
  expect(await b.post(`/inbox/${conv}/messages`, { body: 'After you read' }), 303, 'message 4');
  const two = await dispatched(seller.id, 'message', 2);
  assert.equal(two[1].read, false);
  assert.equal(two[1].data.count, 1);
  // a user who turned message e-mails off gets no digest
  expect(await s.post('/settings/notifications', { email_message: 'off' }), 303, 'messages off');
  advanceClock(16 * 60);
  await notifySweep();
  assert.equal(mailJobs(seller.email, 'digest_messages').length, 2, '"off": no digest');
});
