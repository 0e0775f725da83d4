// souk-e2e: serial (moves the shared test clock; ./dev test runs it alone)
// The order room end to end (issue 5, "The order room"): orders made with
// psql in the state a test needs (paid: a payments row and the same ledger
// posting ledger_payment() makes), then everything through HTTP as the
// buyer and the seller: requirements (422 with the values kept), delivery
// with files, private file downloads, revisions within and beyond the
// package's limit, acceptance releasing the escrow, extensions, change
// orders, cancellations (mutual, unanswered and expired by souk-worker's
// sweep, by the buyer alone), refused moves (409), strangers (404) and
// the PDF receipts.  After every test the ledger's invariants hold.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  sql, user, activeGig, Client, locationOf, text, idemKey, tinyPng, advanceClock, moneySweep,
  SOUKCTL, RUN, havePaysim, handOff, simPay, waitPaid, payment, buy, waitFor, sqlFails,
} from './money-helpers.mjs';
import { checkLedger } from './ledger-check.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, outputDir } from './helpers.mjs';

afterEach(async () => { await checkLedger(); });

let seq = 0;

/**
 * A paid order of a fresh buyer for a fresh seller's gig, in @state
 * (awaiting_requirements, or in_progress with the due date set).
 * Returns {id, buyer, seller, gig, subtotal, fee, total, paymentId, b, s}.
 */
function paidOrder({ requirements = true, revisions = 1, currency = 'ZAR', state = 'awaiting_requirements',
  quantity = 1 } = {}) {
  const seller = user('s', ['SELLER']);
  const buyer = user('b');
  const gig = activeGig(seller, currency, { requirements, revisions });
  if (requirements)
    sql(`INSERT INTO gig_requirements (gig_id, position, question, kind, choices, required)
      VALUES (:'v1', 3, 'Which style?', 'choice', '{Modern,Classic}', true)`, gig.id);
  const pkg = gig.packages.basic;
  const subtotal = pkg.price * quantity;
  const fee = Math.floor((subtotal * 550 + 5000) / 10000);
  const total = subtotal + fee;
  const id = Number(sql(`INSERT INTO orders (buyer_id, seller_id, gig_id, package_tier, package_name, gig_title,
      quantity, currency, unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps,
      delivery_days, revisions_allowed)
    VALUES (:'v1', :'v2', :'v3', 'basic', 'Basic', :'v4', :'v5', :'v6', :'v7', :'v8', :'v9', :'v10', 2000, :'v11', :'v12')
    RETURNING id`, buyer.id, seller.id, gig.id, gig.title, quantity, currency, pkg.price, subtotal, fee, total,
  pkg.days, revisions).split('\n')[0]);
  const gw = currency === 'ZAR' ? 'payfast' : currency === 'USD' ? 'stripe' : 'alipay';
  // one transaction, as payments_confirm() does it: the paid payment, the posting
  // ledger_payment() makes (gateway clearing -> escrow) and the order's move, so a
  // concurrent ledger check never sees one without the other
  const started = state === 'in_progress';
  const paymentId = Number(sql(`BEGIN;
    WITH p AS (INSERT INTO payments (order_id, buyer_id, gateway, currency, amount_minor, state, reference, paid_at)
      VALUES (:'v1', :'v2', :'v3', :'v4', :'v5', 'paid', :'v6', souk_now()) RETURNING id)
    SELECT p.id FROM p, LATERAL (SELECT ledger_post('payment', :'v1'::bigint, p.id, NULL, :'v3', 'payment:' || p.id,
      :'v4', ARRAY['gateway_clearing', 'escrow'], ARRAY[NULL, NULL]::bigint[], ARRAY[NULL, :'v1'::bigint],
      ARRAY[:'v3', NULL]::text[], ARRAY[-(:'v5'::bigint), :'v5'::bigint])) l;
    UPDATE orders SET state = 'awaiting_requirements' WHERE id = :'v1';
    INSERT INTO order_events (order_id, kind) VALUES (:'v1', 'paid');
    UPDATE orders SET requirements_at = souk_now(), due_at = souk_now() + make_interval(days => delivery_days)
      WHERE id = :'v1' AND :'v7' = 'true';
    UPDATE orders SET state = 'in_progress' WHERE id = :'v1' AND :'v7' = 'true';
    COMMIT;`, id, buyer.id, gw, currency, total, `room${RUN}x${++seq}`, String(started)).split('\n')[0]);
  assert.ok(paymentId > 0, 'the payment');
  return { id, buyer, seller, gig, subtotal, fee, total, paymentId, b: new Client(buyer), s: new Client(seller) };
}

const stateOf = (id) => sql("SELECT state FROM orders WHERE id = :'v1'", id);
const escrowOf = (id) => Number(sql(`SELECT coalesce(sum(balance_minor), 0) FROM ledger_balances
  WHERE kind = 'escrow' AND order_id = :'v1'`, id));
const balanceOf = (kind, userId, currency = 'ZAR') => Number(sql(`SELECT coalesce(sum(balance_minor), 0)
  FROM ledger_balances WHERE kind = :'v1' AND user_id = :'v2' AND currency = :'v3'`, kind, userId, currency));
const events = (id) => sql("SELECT string_agg(kind, ',' ORDER BY id) FROM order_events WHERE order_id = :'v1'", id).split(',');

async function roomPage(client, id) {
  const res = await client.get(`/orders/${id}`);
  assert.equal(res.status, 200, `GET /orders/${id}: ${res.status} ${text(res).slice(0, 300)}`);
  return res.text_;
}
/** The fresh idempotency key of the room's form posting to /orders/<id>/@action. */
async function pageKey(client, id, action) {
  const html = await roomPage(client, id);
  const form = html.match(new RegExp(`<form[^>]*action="/orders/${id}/${action}"[^>]*>([\\s\\S]*?)</form>`));
  assert.ok(form, `a form to /orders/${id}/${action}`);
  const m = form[1].match(/name="idempotency_key" value="([A-Za-z0-9_-]{16,64})"/);
  assert.ok(m, `the ${action} form carries an idempotency key`);
  return m[1];
}
function expect(res, status, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${text(res).slice(0, 400)}`);
  if (status === 303) assert.match(locationOf(res), /^\/orders\/\d+(#[a-z-]+)?$/, `${what}: back to the room`);
  return res;
}
async function deliver(o, message = 'Here is the work', files = [tinyPng()]) {
  return o.s.postMultipart(`/orders/${o.id}/deliver`, { message },
    files.map((data, i) => ({ field: 'file', name: `work-${i + 1}.png`, type: 'image/png', data })));
}
async function sweep() {
  if (SOUKCTL) return moneySweep();
  return null;	// souk-worker sweeps every few seconds
}

test('requirements: a missing required answer is 422 with the values kept; answers start the order', async () => {
  const o = paidOrder();
  let html = await roomPage(o.b, o.id);
  assert.match(html, /data-state="awaiting_requirements"/);
  assert.match(html, /action="\/orders\/\d+\/requirements"[^>]*enctype="multipart\/form-data"/);
  // the seller sees the answers' place, not the form
  assert.doesNotMatch(await roomPage(o.s, o.id), /action="\/orders\/\d+\/requirements"/);

  let res = await o.b.postMultipart(`/orders/${o.id}/requirements`, { answer_1: '   ', answer_3: 'Classic' });
  expect(res, 422, 'required text missing');
  assert.match(res.text_, /<textarea id="answer_1"[^>]*aria-invalid="true"/);
  assert.match(res.text_, /<option selected>Classic<\/option>/, 'the choice is kept');
  assert.equal(stateOf(o.id), 'awaiting_requirements');

  res = await o.b.postMultipart(`/orders/${o.id}/requirements`, { answer_1: 'Acme <Ltd>', answer_3: 'Baroque' });
  expect(res, 422, 'a choice that is not offered');
  assert.match(res.text_, /id="answer_1"[^>]*>Acme &lt;Ltd&gt;<\/textarea>/, 'the text is kept, escaped');
  assert.equal(Number(sql("SELECT count(*) FROM order_requirement_answers WHERE order_id = :'v1'", o.id)), 0);

  // the seller cannot answer for the buyer
  expect(await o.s.postMultipart(`/orders/${o.id}/requirements`, { answer_1: 'x', answer_3: 'Modern' }), 409, 'seller answers');

  // a file media refuses (a shell script named .png): 422, the answers kept, nothing written
  res = await o.b.postMultipart(`/orders/${o.id}/requirements`, { answer_1: 'Acme <Ltd>', answer_3: 'Classic' },
    [{ field: 'file_2', name: 'logo.png', type: 'image/png', data: Buffer.from('#!/bin/sh\necho pwned\n') }]);
  expect(res, 422, 'a file of a refused type');
  assert.match(res.text_, /id="answer_2-error"/, 'the message sits next to the file field');
  assert.match(res.text_, /id="answer_1"[^>]*>Acme &lt;Ltd&gt;<\/textarea>/);
  assert.equal(stateOf(o.id), 'awaiting_requirements');
  assert.equal(Number(sql("SELECT count(*) FROM order_requirement_answers WHERE order_id = :'v1'", o.id)), 0);

  res = await o.b.postMultipart(`/orders/${o.id}/requirements`, { answer_1: 'Acme <Ltd>', answer_3: 'Classic' },
    [{ field: 'file_2', name: 'our-logo.png', type: 'image/png', data: tinyPng() }]);
  expect(res, 303, 'requirements answered');
  assert.equal(stateOf(o.id), 'in_progress');
  const due = sql(`SELECT round(extract(epoch FROM due_at - requirements_at) / 86400)::int || '|' ||
    (abs(extract(epoch FROM requirements_at - souk_now())) < 120)::text FROM orders WHERE id = :'v1'`, o.id);
  assert.equal(due, `${o.gig.packages.basic.days}|true`, 'due = requirements_at + delivery days');
  const answers = sql(`SELECT string_agg(position || ':' || kind || ':' || answer || ':' || (media_id IS NOT NULL), ',' ORDER BY position)
    FROM order_requirement_answers WHERE order_id = :'v1'`, o.id);
  assert.equal(answers, '1:text:Acme <Ltd>:false,2:file::true,3:choice:Classic:false');
  assert.equal(sql(`SELECT m.visibility FROM order_requirement_answers a JOIN media m ON m.id = a.media_id
    WHERE a.order_id = :'v1'`, o.id), 'private');
  html = await roomPage(o.s, o.id);
  assert.match(html, /Acme &lt;Ltd&gt;/);
  assert.match(html, /href="\/orders\/\d+\/files\/\d+">our-logo\.png</);
  assert.ok(events(o.id).includes('requirements'));
  // the seller was told: a notification (sql/0024), whose e-mail replaces the order room's own
  assert.equal(sql(`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
    WHERE u.email = :'v1' AND n.type = 'order.requirements' AND n.data->>'order_id' = :'v2'`, o.seller.email, String(o.id)), '1');
  assert.equal(sql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'template' = 'order_update'
    AND payload->>'to' = :'v1' AND payload->'data' ? 'requirements'`, o.seller.email), '0');
  // answering twice is refused
  expect(await o.b.postMultipart(`/orders/${o.id}/requirements`, { answer_1: 'again', answer_3: 'Modern' }), 409, 'answer twice');
});

test('delivery with files; downloads for the parties and staff only; revisions within the limit; accept releases the escrow', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress', revisions: 1 });
  const stranger = new Client(user('x'));
  const staff = new Client(user('st', ['SUPPORT']));

  // a delivery needs a message: 422 with nothing written
  let res = await o.s.postMultipart(`/orders/${o.id}/deliver`, { message: '' }, []);
  expect(res, 422, 'delivery without a message');
  assert.equal(stateOf(o.id), 'in_progress');
  // only the seller delivers
  expect(await o.b.postMultipart(`/orders/${o.id}/deliver`, { message: 'hi' }, []), 409, 'buyer delivers');
  expect(await stranger.postMultipart(`/orders/${o.id}/deliver`, { message: 'hi' }, []), 404, 'stranger delivers');

  const png = tinyPng();
  expect(await deliver(o, 'First version', [png, png]), 303, 'delivery');
  assert.equal(stateOf(o.id), 'delivered');
  assert.equal(sql(`SELECT (auto_complete_at > souk_now() + interval '2 days')::text FROM orders WHERE id = :'v1'`, o.id), 'true');
  const mids = sql(`SELECT string_agg(f.media_id::text, ',') FROM order_files f JOIN order_events e ON e.id = f.event_id
    WHERE f.order_id = :'v1' AND e.kind = 'delivery'`, o.id).split(',').map(Number);
  assert.equal(mids.length, 2);
  for (const c of [o.b, o.s, staff]) {
    const r = await c.get(`/orders/${o.id}/files/${mids[0]}`);
    assert.equal(r.status, 200, `download: ${r.status}`);
    assert.equal(Buffer.from(r.text_, 'latin1').length > 0, true);
    assert.match(r.headers.get('content-disposition') || '', /attachment/);
  }
  const bytes = Buffer.from(await (await fetch(`${process.env.SOUK_TEST_URL || 'http://127.0.0.1:8080'}/orders/${o.id}/files/${mids[0]}`,
    { headers: { cookie: o.b.header() } })).arrayBuffer());
  assert.ok(bytes.equals(png), 'the original file, byte for byte');
  assert.equal((await stranger.get(`/orders/${o.id}/files/${mids[0]}`)).status, 404, 'stranger download');
  // souk-worker finishes private media with an icon (no variants beside the original)
  const ready = await waitFor(() => sql(`SELECT string_agg(status || ':' || (variants->>'icon'), ',' ORDER BY id)
    FROM media WHERE id IN (${mids.map(Number).join(',')})`) === 'ready:/static/img/icon-file.svg,ready:/static/img/icon-file.svg'
    || null, 30000);
  assert.ok(ready, 'delivery files processed as ready with a file icon');
  // another order's id does not open this order's file
  const other = paidOrder({ requirements: false, state: 'in_progress' });
  assert.equal((await other.b.get(`/orders/${other.id}/files/${mids[0]}`)).status, 404, 'file of another order');

  let html = await roomPage(o.b, o.id);
  assert.match(html, /action="\/orders\/\d+\/accept"/);
  assert.match(html, /work-1\.png/);

  // revision 1 of 1
  expect(await o.b.post(`/orders/${o.id}/revision`, { reason: '' }), 422, 'revision without a reason');
  expect(await o.b.post(`/orders/${o.id}/revision`, { reason: 'Make the logo bigger' }), 303, 'revision');
  assert.equal(stateOf(o.id), 'revision_requested');
  assert.equal(sql("SELECT revisions_used FROM orders WHERE id = :'v1'", o.id), '1');
  expect(await o.b.post(`/orders/${o.id}/accept`, { idempotency_key: idemKey() }), 409, 'accept while revising');
  // the seller redelivers (revision_requested -> in_progress -> delivered)
  expect(await deliver(o, 'Bigger logo'), 303, 'redelivery');
  assert.equal(stateOf(o.id), 'delivered');
  // no revision left
  res = await o.b.post(`/orders/${o.id}/revision`, { reason: 'Once more' });
  expect(res, 409, 'revision beyond the limit');
  assert.match(text(res), /No revisions left/);
  assert.equal(stateOf(o.id), 'delivered');
  html = await roomPage(o.b, o.id);
  assert.match(html, /No revisions left/);
  writeFileSync(join(outputDir(), 'orders-room-buyer.html'), html);

  // accept: escrow released; a repeat with the same key changes nothing
  const key = await pageKey(o.b, o.id, 'accept');
  expect(await o.s.post(`/orders/${o.id}/accept`, { idempotency_key: idemKey() }), 409, 'seller accepts');
  assert.equal(escrowOf(o.id), o.total);
  res = await o.b.post(`/orders/${o.id}/accept`, { idempotency_key: key });
  expect(res, 303, 'accept');
  assert.equal(stateOf(o.id), 'completed');
  expect(await o.b.post(`/orders/${o.id}/accept`, { idempotency_key: key }), 303, 'the same accept again');
  expect(await o.b.post(`/orders/${o.id}/accept`, { idempotency_key: idemKey() }), 409, 'a second accept');
  const net = o.subtotal - Math.floor((o.subtotal * 2000 + 5000) / 10000);
  assert.equal(escrowOf(o.id), 0, 'escrow emptied');
  assert.equal(balanceOf('seller_pending', o.seller.id), net, 'seller pending = subtotal - 20%');
  const release = sql(`SELECT string_agg(a.kind || ':' || e.amount_minor, ',' ORDER BY a.kind) FROM ledger_transactions t
    JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
    WHERE t.event_key = 'release:order:' || :'v1'`, o.id);
  assert.equal(release, `escrow:${-o.total},platform_revenue:${o.total - net},seller_pending:${net}`);
  assert.equal(sql(`SELECT amount_minor || '|' || (clears_at > souk_now() + interval '6 days')::text
    FROM seller_clearances WHERE order_id = :'v1'`, o.id), `${net}|true`);
  assert.match(await roomPage(o.s, o.id), /you earn/);
  assert.doesNotMatch(await roomPage(o.b, o.id), /you earn/);
  assert.deepEqual(events(o.id).filter((k) => ['delivery', 'revision', 'completed', 'released'].includes(k)),
    ['delivery', 'revision', 'delivery', 'completed', 'released']);
  // a delivery on a completed order is refused
  expect(await deliver(o, 'late extra'), 409, 'delivery on a completed order');
});

test('an extra revision is bought as a change order at the gig\'s extra_revision price', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress', revisions: 0 });
  expect(await o.b.post(`/orders/${o.id}/extra-revision`, {}), 409, 'before a delivery');
  expect(await deliver(o), 303, 'delivery');
  let res = await o.b.post(`/orders/${o.id}/revision`, { reason: 'Please change the colour' });
  expect(res, 409, 'no revision in the package');
  assert.match(text(res), /No revisions left/);
  const price = o.gig.extras.find((e) => e.kind === 'extra_revision').price;
  let html = await roomPage(o.b, o.id);
  assert.match(html, /action="\/orders\/\d+\/extra-revision"/);
  assert.ok(html.includes(sql("SELECT souk_money(:'v1', 'ZAR', 'en')", price)), 'the extra revision\'s price');
  expect(await o.s.post(`/orders/${o.id}/extra-revision`, {}), 409, 'the seller buys');
  expect(await o.b.post(`/orders/${o.id}/extra-revision`, {}), 303, 'buy an extra revision');
  expect(await o.b.post(`/orders/${o.id}/extra-revision`, {}), 409, 'a second one while the first is unpaid');
  const [cid, amount, fee, state, extra] = sql(`SELECT id || '|' || amount_minor || '|' || buyer_fee_minor || '|' || state
    || '|' || extra_revisions FROM order_change_orders WHERE order_id = :'v1'`, o.id).split('|');
  assert.deepEqual([Number(amount), Number(fee), state, extra],
    [price, Math.floor((price * 550 + 5000) / 10000), 'accepted', '1']);
  html = await roomPage(o.b, o.id);
  assert.match(html, new RegExp(`action="/orders/${o.id}/change-orders/${cid}/pay"`), 'ready to pay');
  if (!havePaysim()) return;
  res = await o.b.post(`/orders/${o.id}/change-orders/${cid}/pay`, { gateway: 'payfast', idempotency_key: idemKey() });
  assert.equal(res.status, 303, `pay: ${res.status} ${text(res).slice(0, 300)}`);
  const ref = locationOf(res).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  await handOff(o.b, ref);
  await simPay('payfast', ref, 'approve');
  await waitPaid(ref);
  assert.equal(stateOf(o.id), 'delivered', 'an extra revision does not reopen the work by itself');
  assert.equal(sql("SELECT revisions_allowed FROM orders WHERE id = :'v1'", o.id), '1');
  expect(await o.b.post(`/orders/${o.id}/revision`, { reason: 'Please change the colour' }), 303, 'the bought revision');
  assert.equal(stateOf(o.id), 'revision_requested');
  expect(await deliver(o), 303, 'redelivery');
  expect(await o.b.post(`/orders/${o.id}/accept`, { idempotency_key: idemKey() }), 303, 'accept');
  const base = o.subtotal + price;
  assert.equal(balanceOf('seller_pending', o.seller.id), base - Math.floor((base * 2000 + 5000) / 10000));
  assert.equal(escrowOf(o.id), 0);
});

test('someone else\'s order is 404 everywhere; my orders list both sides', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  const stranger = new Client(user('y'));
  assert.equal((await stranger.get(`/orders/${o.id}`)).status, 404);
  assert.equal((await stranger.get(`/orders/${o.id}/receipt.pdf`)).status, 404);
  assert.equal((await stranger.get(`/orders/${o.id}/invoice.pdf`)).status, 404);
  for (const [path, fields] of [['accept', { idempotency_key: idemKey() }], ['revision', { reason: 'x' }],
    ['messages', { body: 'hello' }], ['cancel', { reason: 'x', idempotency_key: idemKey() }],
    ['extension', { days: '2', reason: 'x' }], ['change-orders', { description: 'x', amount: '5', added_days: '1' }]])
    assert.equal((await stranger.post(`/orders/${o.id}/${path}`, fields)).status, 404, `stranger POST ${path}`);
  assert.equal((await stranger.get('/orders/999999999')).status, 404);
  // anonymous: to the login page
  const anon = await new Client(null).get(`/orders/${o.id}`);
  assert.equal(anon.status, 303);
  assert.match(locationOf(anon), /^\/login\?next=/);
  // staff see it
  assert.equal((await new Client(user('sf', ['SUPPORT'])).get(`/orders/${o.id}`)).status, 200);

  let html = (await o.b.get('/orders')).text_;
  assert.match(html, new RegExp(`href="/orders/${o.id}"`));
  assert.ok(html.includes(sql("SELECT souk_money(:'v1', 'ZAR', 'en')", o.total)), 'the total, formatted');
  html = (await o.s.get('/orders?tab=selling')).text_;
  assert.match(html, new RegExp(`href="/orders/${o.id}"`));
  assert.doesNotMatch((await o.s.get('/orders?tab=buying')).text_, new RegExp(`href="/orders/${o.id}"`));
});

test('messages with a file join the timeline in order', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  expect(await o.b.postMultipart(`/orders/${o.id}/messages`, { body: '' }, []), 422, 'empty message');
  expect(await o.b.postMultipart(`/orders/${o.id}/messages`, { body: 'Hello <b>seller</b>' }, []), 303, 'message');
  expect(await o.s.postMultipart(`/orders/${o.id}/messages`, { body: '' },
    [{ field: 'file', name: 'sketch.png', type: 'image/png', data: tinyPng() }]), 303, 'a file alone');
  const html = await roomPage(o.b, o.id);
  const a = html.indexOf('Hello &lt;b&gt;seller&lt;/b&gt;'), b = html.indexOf('sketch.png');
  assert.ok(a > 0 && b > a, 'both messages, in order, escaped');
  assert.doesNotMatch(html, /<b>seller<\/b>/);
});

test('extension: the seller asks, the buyer accepts and the due date moves', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  const before = sql("SELECT extract(epoch FROM due_at)::bigint FROM orders WHERE id = :'v1'", o.id);
  expect(await o.s.post(`/orders/${o.id}/extension`, { days: '45', reason: 'More time' }), 422, 'too many days');
  expect(await o.s.post(`/orders/${o.id}/extension`, { days: '3', reason: 'The client asked for more' }), 303, 'extension');
  expect(await o.s.post(`/orders/${o.id}/extension`, { days: '2', reason: 'again' }), 409, 'a second open extension');
  const eid = sql("SELECT id FROM order_extensions WHERE order_id = :'v1' AND state = 'requested'", o.id);
  expect(await o.s.post(`/orders/${o.id}/extension/${eid}/accept`, {}), 409, 'the seller answers himself');
  expect(await o.b.post(`/orders/${o.id}/extension/${eid}/accept`, {}), 303, 'buyer accepts');
  const after = sql("SELECT extract(epoch FROM due_at)::bigint FROM orders WHERE id = :'v1'", o.id);
  assert.equal(Number(after) - Number(before), 3 * 86400);
  expect(await o.b.post(`/orders/${o.id}/extension/${eid}/decline`, {}), 409, 'answered already');
  // declined: the due date stays
  expect(await o.s.post(`/orders/${o.id}/extension`, { days: '2', reason: 'once more' }), 303, 'extension 2');
  const eid2 = sql("SELECT id FROM order_extensions WHERE order_id = :'v1' AND state = 'requested'", o.id);
  expect(await o.b.post(`/orders/${o.id}/extension/${eid2}/decline`, {}), 303, 'buyer declines');
  assert.equal(sql("SELECT extract(epoch FROM due_at)::bigint FROM orders WHERE id = :'v1'", o.id), after);
});

test('change orders are kept apart from revisions: propose, decline, withdraw, accept (and pay when checkout runs)', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  let res = await o.s.post(`/orders/${o.id}/change-orders`, { description: '', amount: '12.505', added_days: '200' });
  expect(res, 422, 'bad change order');
  assert.match(res.text_, /id="co-amount"[^>]*aria-invalid="true"/);
  assert.match(res.text_, /id="co-amount" name="amount" inputmode="decimal" value="12\.505"/);
  expect(await o.b.post(`/orders/${o.id}/change-orders`, { description: 'x', amount: '5', added_days: '1' }), 409, 'buyer proposes');
  expect(await o.s.post(`/orders/${o.id}/change-orders`, { description: 'A second logo', amount: '12.50', added_days: '2' }), 303, 'propose');
  const [cid, amount, fee, state] = sql(`SELECT id || '|' || amount_minor || '|' || buyer_fee_minor || '|' || state
    FROM order_change_orders WHERE order_id = :'v1'`, o.id).split('|');
  assert.equal(amount, '1250');
  assert.equal(fee, String(Math.floor((1250 * 550 + 5000) / 10000)));
  assert.equal(state, 'proposed');
  expect(await o.s.post(`/orders/${o.id}/change-orders/${cid}/accept`, {}), 409, 'the seller accepts his own');
  expect(await o.b.post(`/orders/${o.id}/change-orders/${cid}/accept`, {}), 303, 'buyer accepts');
  let html = await roomPage(o.b, o.id);
  assert.match(html, new RegExp(`action="/orders/${o.id}/change-orders/${cid}/pay"`), 'a pay form');
  assert.match(html, /Change orders \(new scope\)/);
  expect(await o.s.post(`/orders/${o.id}/change-orders`, { description: 'Business cards', amount: '30', added_days: '3' }), 303, 'propose 2');
  const cid2 = sql("SELECT max(id) FROM order_change_orders WHERE order_id = :'v1'", o.id);
  expect(await o.b.post(`/orders/${o.id}/change-orders/${cid2}/decline`, {}), 303, 'decline');
  expect(await o.s.post(`/orders/${o.id}/change-orders/${cid2}/withdraw`, {}), 409, 'withdraw a declined one');
  // revisions are untouched by change orders
  assert.equal(sql("SELECT revisions_used FROM orders WHERE id = :'v1'", o.id), '0');

  if (!havePaysim()) return;
  const due0 = Number(sql("SELECT extract(epoch FROM due_at)::bigint FROM orders WHERE id = :'v1'", o.id));
  expect(await deliver(o), 303, 'delivery before the change order is paid');
  res = await o.b.post(`/orders/${o.id}/change-orders/${cid}/pay`, { gateway: 'payfast', idempotency_key: idemKey() });
  assert.equal(res.status, 303, `pay the change order: ${res.status} ${text(res).slice(0, 300)}`);
  const ref = locationOf(res).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  await handOff(o.b, ref);
  await simPay('payfast', ref, 'approve');
  await waitPaid(ref);
  assert.equal(sql("SELECT state FROM order_change_orders WHERE id = :'v1'", cid), 'paid');
  assert.equal(stateOf(o.id), 'in_progress', 'a paid change order sends a delivered order back to work');
  assert.equal(Number(sql("SELECT extract(epoch FROM due_at)::bigint FROM orders WHERE id = :'v1'", o.id)) - due0, 2 * 86400);
  assert.equal(escrowOf(o.id), o.total + 1250 + Number(fee));
  html = await roomPage(o.b, o.id);
  assert.match(html, /Scope change paid/);
  // deliver and accept: the seller earns on the change order too
  expect(await deliver(o), 303, 'delivery with the new scope');
  expect(await o.b.post(`/orders/${o.id}/accept`, { idempotency_key: idemKey() }), 303, 'accept');
  const base = o.subtotal + 1250;
  assert.equal(balanceOf('seller_pending', o.seller.id), base - Math.floor((base * 2000 + 5000) / 10000));
  assert.equal(escrowOf(o.id), 0);
});

test('mutual cancellation: the seller asks, the buyer accepts, everything is refunded; delivery afterwards is 409', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  const key = await pageKey(o.s, o.id, 'cancel');
  expect(await o.s.post(`/orders/${o.id}/cancel`, { reason: '', idempotency_key: key }), 422, 'no reason');
  expect(await o.s.post(`/orders/${o.id}/cancel`, { reason: 'I cannot do it', idempotency_key: key }), 303, 'seller asks');
  assert.equal(stateOf(o.id), 'in_progress', 'only a request');
  expect(await o.s.post(`/orders/${o.id}/cancel`, { reason: 'again', idempotency_key: idemKey() }), 409, 'a second request');
  const cid = sql("SELECT id FROM order_cancellations WHERE order_id = :'v1' AND state = 'requested'", o.id);
  let html = await roomPage(o.b, o.id);
  assert.match(html, new RegExp(`action="/orders/${o.id}/cancellation/${cid}/accept"`));
  expect(await o.s.post(`/orders/${o.id}/cancellation/${cid}/accept`, { idempotency_key: idemKey() }), 409, 'the asker accepts');
  expect(await o.b.post(`/orders/${o.id}/cancellation/${cid}/accept`, { idempotency_key: idemKey() }), 303, 'buyer accepts');
  assert.equal(stateOf(o.id), 'cancelled');
  assert.equal(escrowOf(o.id), 0, 'escrow emptied');
  const refunds = sql(`SELECT sum(amount_minor) || '|' || count(*) || '|' || string_agg(idempotency_key, ',')
    FROM refunds WHERE order_id = :'v1'`, o.id).split('|');
  assert.equal(Number(refunds[0]), o.total);
  assert.equal(refunds[2], `refund:${o.paymentId}`);
  const method = sql("SELECT method || '|' || state FROM refunds WHERE order_id = :'v1'", o.id);
  if (method.startsWith('gateway')) {
    // through the gateway's refund API by the "refund" job (the simulator does not know this
    // psql-made payment, so the refund fails there and falls back to buyer credit)
    assert.ok(Number(sql(`SELECT count(*) FROM jobs WHERE kind = 'refund'
      AND payload->>'refund_id' = (SELECT id::text FROM refunds WHERE order_id = :'v1')`, o.id)) === 1, 'a refund job');
    const final = await waitFor(() => {
      const st = sql("SELECT state FROM refunds WHERE order_id = :'v1'", o.id);
      return st !== 'requested' && st;
    }, 30000);
    assert.ok(final, 'the refund job ran');
    if (final === 'failed') assert.equal(balanceOf('buyer_credit', o.buyer.id), o.total, 'a failed refund becomes credit');
  } else {
    assert.equal(method, 'credit|succeeded');
    assert.equal(balanceOf('buyer_credit', o.buyer.id), o.total);
  }
  // refunded_minor counts refunds that went through: a credit refund at once
  if (method.startsWith('credit'))
    assert.equal(sql("SELECT refunded_minor FROM payments WHERE id = :'v1'", o.paymentId), String(o.total));
  expect(await deliver(o), 409, 'delivery on a cancelled order');
  expect(await o.b.post(`/orders/${o.id}/cancel`, { reason: 'x', idempotency_key: idemKey() }), 409, 'cancel twice');
  html = await roomPage(o.b, o.id);
  assert.match(html, /data-state="cancelled"/);
  assert.match(html, /Refund/);
});

test('an unanswered cancellation request expires into a cancellation (test clock + money sweep)', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  expect(await o.b.post(`/orders/${o.id}/cancel`, { reason: 'Changed my mind', idempotency_key: idemKey() }), 303, 'buyer asks');
  assert.equal(stateOf(o.id), 'in_progress');
  const hours = Number(sql(`SELECT round(extract(epoch FROM expires_at - souk_now()) / 3600) FROM order_cancellations
    WHERE order_id = :'v1'`, o.id));
  assert.ok(hours > 0 && hours <= 48, `answer window ${hours} h`);
  advanceClock(hours * 3600 + 120);
  // the seller can no longer accept an expired request
  const cid = sql("SELECT id FROM order_cancellations WHERE order_id = :'v1'", o.id);
  await sweep();
  const ok = await waitFor(() => stateOf(o.id) === 'cancelled', 30000);
  assert.ok(ok, `cancelled by the sweep (state ${stateOf(o.id)})`);
  assert.equal(sql("SELECT state FROM order_cancellations WHERE id = :'v1'", cid), 'expired');
  assert.ok(events(o.id).includes('cancellation_expired'));
  assert.equal(escrowOf(o.id), 0);
});

test('the buyer cancels alone before the requirements or 24 h past the due date, never otherwise', async () => {
  const a = paidOrder();
  expect(await a.b.post(`/orders/${a.id}/cancel`, { reason: 'No longer needed', idempotency_key: idemKey() }), 303, 'cancel before requirements');
  assert.equal(stateOf(a.id), 'cancelled');
  assert.equal(escrowOf(a.id), 0);

  const l = paidOrder({ requirements: false, state: 'in_progress' });
  sql("UPDATE orders SET due_at = souk_now() - interval '23 hours' WHERE id = :'v1'", l.id);
  let html = await roomPage(l.b, l.id);
  assert.match(html, /id="order-late"/, 'late');
  assert.match(html, /Ask to cancel/, 'only a request before 24 h');
  sql("UPDATE orders SET due_at = souk_now() - interval '25 hours' WHERE id = :'v1'", l.id);
  html = await roomPage(l.b, l.id);
  assert.match(html, /Cancel the order/);
  expect(await l.b.post(`/orders/${l.id}/cancel`, { reason: 'Too late', idempotency_key: idemKey() }), 303, 'cancel a late order');
  assert.equal(stateOf(l.id), 'cancelled');
  assert.equal(Number(sql("SELECT count(*) FROM order_cancellations WHERE order_id = :'v1'", l.id)), 0, 'no request: direct');
});

test('auto-completion after the answer window; a disputed order is neither accepted nor auto-completed', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  const d = paidOrder({ requirements: false, state: 'in_progress' });
  expect(await deliver(o), 303, 'delivery');
  expect(await deliver(d), 303, 'delivery');
  sql("UPDATE orders SET disputed = true WHERE id = :'v1'", d.id);
  expect(await d.b.post(`/orders/${d.id}/accept`, { idempotency_key: idemKey() }), 409, 'accept a disputed order');
  const days = Number(sql(`SELECT ceil(extract(epoch FROM auto_complete_at - souk_now()) / 86400) FROM orders WHERE id = :'v1'`, o.id));
  advanceClock(days * 86400 + 60);
  await sweep();
  assert.ok(await waitFor(() => stateOf(o.id) === 'completed', 30000), `auto-completed (${stateOf(o.id)})`);
  assert.ok(events(o.id).includes('auto_completed'));
  assert.equal(escrowOf(o.id), 0);
  assert.equal(stateOf(d.id), 'delivered', 'the disputed order waits');
  assert.equal(escrowOf(d.id), d.total);
});

test('the state machine is enforced in SQL too; top-rated sellers clear sooner', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  const r = sqlFails("UPDATE orders SET state = 'completed' WHERE id = :'v1'", o.id);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not allowed/);
  assert.equal(stateOf(o.id), 'in_progress');
  // clearance: top-rated sellers wait clearance_days_top instead of clearance_days
  const t = paidOrder({ requirements: false, state: 'in_progress' });
  sql("UPDATE profiles SET seller_level = 'top_rated' WHERE user_id = :'v1'", t.seller.id);
  expect(await o.s.post(`/orders/${o.id}/change-orders`, { description: 'More pages', amount: '10', added_days: '1' }), 303, 'propose');
  const cid = sql("SELECT id FROM order_change_orders WHERE order_id = :'v1'", o.id);
  for (const x of [o, t]) {
    expect(await deliver(x), 303, 'delivery');
    expect(await x.b.post(`/orders/${x.id}/accept`, { idempotency_key: idemKey() }), 303, 'accept');
  }
  // nothing stays open on a completed order
  assert.equal(sql("SELECT state FROM order_change_orders WHERE id = :'v1'", cid), 'withdrawn');
  expect(await o.b.post(`/orders/${o.id}/change-orders/${cid}/accept`, {}), 409, 'accept a change order of a completed order');
  const hold = (x) => Number(sql(`SELECT round(extract(epoch FROM c.clears_at - o.completed_at) / 86400)
    FROM seller_clearances c JOIN orders o ON o.id = c.order_id WHERE c.order_id = :'v1'`, x.id));
  assert.ok(hold(t) < hold(o), `top-rated ${hold(t)} days < ${hold(o)} days`);
});

test('receipts and invoices are PDFs for the parties', async () => {
  const o = paidOrder({ requirements: false, state: 'in_progress' });
  for (const c of [o.b, o.s]) {
    for (const doc of ['receipt', 'invoice']) {
      const res = await fetch(`${process.env.SOUK_TEST_URL || 'http://127.0.0.1:8080'}/orders/${o.id}/${doc}.pdf`,
        { headers: { cookie: c.header() }, redirect: 'manual' });
      assert.equal(res.status, 200, `${doc}: ${res.status}`);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(body.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.ok(body.length > 1000);
      assert.match(body.subarray(-1024).toString('latin1'), /%%EOF\s*$/, 'a complete PDF');
      if (c === o.b) writeFileSync(join(outputDir(), `orders-${doc}.pdf`), body);
    }
  }
  // before payment there is none
  sql("INSERT INTO orders (buyer_id, seller_id, gig_id, package_tier, package_name, gig_title, quantity, currency, unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps, delivery_days, revisions_allowed) SELECT buyer_id, seller_id, gig_id, package_tier, package_name, gig_title, 1, currency, unit_price_minor, unit_price_minor, 0, unit_price_minor, 2000, 3, 1 FROM orders WHERE id = :'v1'", o.id);
  const unpaid = sql("SELECT max(id) FROM orders WHERE buyer_id = :'v1'", o.buyer.id);
  assert.equal((await o.b.get(`/orders/${unpaid}/receipt.pdf`)).status, 409);
  assert.match(await roomPage(o.b, unpaid), new RegExp(`action="/orders/${unpaid}/pay"`), 'the buyer may pay again');
  assert.doesNotMatch(await roomPage(o.s, unpaid), /action="\/orders\/\d+\/pay"/);
  // the buyer cancels an unpaid order alone: nothing to refund
  expect(await o.b.post(`/orders/${unpaid}/cancel`, { reason: 'Not paying', idempotency_key: idemKey() }), 303, 'cancel unpaid');
  assert.equal(stateOf(unpaid), 'cancelled');
  assert.equal(Number(sql("SELECT count(*) FROM refunds WHERE order_id = :'v1'", unpaid)), 0);
});

test('paid through checkout: the order waits for requirements and both sides are mailed', { skip: !havePaysim() && 'no souk-paysim' }, async () => {
  const seller = user('cs', ['SELLER']);
  const buyerU = user('cb');
  const gig = activeGig(seller, 'ZAR', { requirements: true });
  const b = new Client(buyerU);
  const { orderId } = await buy(b, gig, { gateway: 'payfast' });
  assert.equal(stateOf(orderId), 'awaiting_requirements');
  assert.ok(events(orderId).includes('paid'));
  assert.equal(Number(sql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'to' = :'v1'
    AND payload->'data' ? 'paid_requirements'`, buyerU.email)), 1, 'paid_requirements mail');
  // the seller hears of the new order through the notification (sql/0024), mailed per preference
  assert.equal(Number(sql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'to' = :'v1'
    AND payload->'data' ? 'new_order'`, seller.email)), 0, 'no second new_order mail');
  assert.equal(Number(sql(`SELECT count(*) FROM notifications WHERE user_id = :'v1' AND type = 'order.placed'
    AND data->>'order_id' = :'v2'`, String(seller.id), String(orderId))), 1, 'order.placed notification');
  const html = await roomPage(b, orderId);
  assert.match(html, /action="\/orders\/\d+\/requirements"/);
  assert.equal(payment(sql("SELECT reference FROM payments WHERE order_id = :'v1'", orderId)).state, 'paid');
  // a gig without requirements starts at once, the due date counting from the payment
  const gig2 = activeGig(seller, 'ZAR', { requirements: false });
  const second = await buy(b, gig2, { gateway: 'ozow' });
  assert.equal(stateOf(second.orderId), 'in_progress');
  assert.equal(sql(`SELECT (requirements_at IS NOT NULL)::text || '|' ||
    round(extract(epoch FROM due_at - requirements_at) / 86400)::int FROM orders WHERE id = :'v1'`, second.orderId),
  `true|${gig2.packages.basic.days}`);
  assert.deepEqual(events(second.orderId).slice(-2), ['paid', 'started']);
  assert.equal(Number(sql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'to' = :'v1'
    AND payload->'data' ? 'paid_started'`, buyerU.email)), 1);
  void decode;
});
