// souk-e2e: serial (moves the shared test clock; ./dev test runs it alone)
// Earnings, withdrawals, clearance and the weekly payout batch (issue 5,
// "Earnings and payouts"), through nginx, souk-web, PostgreSQL and soukctl:
//
//   money for a seller is set up in SQL the way checkout and the order room
//   leave it (an order, a paid payment, ledger_post() postings for the
//   payment and the escrow release, a seller_clearances row); the test clock
//   moves past clears_at and `soukctl money-sweep` clears it; /earnings and
//   /earnings.csv show the figures and the ledger lines behind them; a
//   withdrawal above the available balance is refused 422 with the values
//   kept; the same idempotency key twice makes one payout; FINANCE (with
//   2FA) approves, holds, fails (money returned) in the console, every
//   decision audited; the clock moves into the next ISO week and the sweep
//   makes the batch with its bank-transfer file (sealed at rest, the real
//   account details in the download); marking the batch paid pays the
//   payout (seller_paid_out = amount).  Other staff get 403 from the
//   finance pages.  The ledger's invariants (tests/e2e/ledger-check.mjs)
//   are checked after each test.
//
// souk-worker runs the same sweep every 5 s, so assertions read the
// database state, never soukctl's counts.
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { get, stripTags, decode } from './helpers.mjs';
import { sql, user, Client, locationOf, advanceClock, secondsToNextMonday, moneySweep, RUN, idemKey, waitFor,
  PAYSIM, simControl, simLog } from './money-helpers.mjs';
import { checkLedger } from './ledger-check.mjs';

const BANK = {
  method: 'bank', holder: 'Thandi Mokoena', bank: 'fnb', branch: '250655',
  account: '62123456789', account_type: 'cheque',
};

let seller, sc, buyer, finance, fc, support, gigId;
const orders = [];

/** An order of @seller worth @subtotal USD cents, paid and released into seller pending. */
function releasedOrder(subtotal, { clearsInDays = 14, who = seller } = {}) {
  const fee = Math.round(subtotal * 0.055);
  const total = subtotal + fee;
  const net = subtotal - Math.round(subtotal * 0.2);
  const orderId = Number(sql(`INSERT INTO orders (buyer_id, seller_id, gig_id, state, package_tier, package_name,
      gig_title, quantity, currency, unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps,
      delivery_days, revisions_allowed, completed_at)
    VALUES (:'v1', :'v2', :'v3', 'completed', 'basic', 'Basic', 'Payout test gig', 1, 'USD', :'v4', :'v4', :'v5', :'v6',
      2000, 3, 1, souk_now()) RETURNING id`, buyer.id, who.id, gigId, subtotal, fee, total).split('\n')[0]);
  const ref = `e2epay${RUN}${orderId}`.replace(/[^A-Za-z0-9]/g, '');
  const paymentId = Number(sql(`INSERT INTO payments (order_id, buyer_id, gateway, currency, amount_minor, state, reference, paid_at)
    VALUES (:'v1', :'v2', 'stripe', 'USD', :'v3', 'paid', :'v4', souk_now()) RETURNING id`,
  orderId, buyer.id, total, ref).split('\n')[0]);
  // the payment into escrow, then the release: as ledger_payment/ledger_release post them
  sql(`SELECT ledger_post('payment', :'v1'::bigint, :'v2'::bigint, NULL, 'stripe', 'payment:' || :'v2', 'USD',
    ARRAY['gateway_clearing', 'escrow'], ARRAY[NULL, NULL]::bigint[], ARRAY[NULL, :'v1']::bigint[],
    ARRAY['stripe', NULL], ARRAY[-(:'v3'::bigint), :'v3'::bigint])`, orderId, paymentId, total);
  sql(`SELECT ledger_post('escrow_release', :'v1'::bigint, NULL, NULL, '', 'release:order:' || :'v1', 'USD',
    ARRAY['escrow', 'seller_pending', 'platform_revenue'], ARRAY[NULL, :'v2', NULL]::bigint[],
    ARRAY[:'v1', NULL, NULL]::bigint[], ARRAY[NULL, NULL, NULL]::text[],
    ARRAY[-(:'v3'::bigint), :'v4'::bigint, (:'v3'::bigint - :'v4'::bigint)])`, orderId, who.id, total, net);
  sql(`INSERT INTO seller_clearances (order_id, seller_id, currency, amount_minor, clears_at)
    VALUES (:'v1', :'v2', 'USD', :'v3', souk_now() + make_interval(days => :'v4'::int))`, orderId, who.id, net, clearsInDays);
  orders.push(orderId);
  return { orderId, paymentId, total, net };
}

/** A seller account's balance from the ledger (minor units). */
function balance(kind, userId = seller.id, currency = 'USD') {
  return Number(sql(`SELECT coalesce(sum(balance_minor), 0) FROM ledger_balances
    WHERE kind = :'v1' AND user_id = :'v2' AND currency = :'v3'`, kind, userId, currency));
}

/** The four figures of /earnings for @currency: {pending, available, in_payout, withdrawn} in minor units. */
function figures(html, currency = 'USD') {
  const sec = html.match(new RegExp(`<section[^>]*data-currency="${currency}"[\\s\\S]*?</section>`));
  assert.ok(sec, `an earnings section for ${currency}`);
  const out = {};
  for (const m of sec[0].matchAll(/data-figure="([a-z_]+)" data-amount-minor="(-?\d+)"/g)) out[m[1]] = Number(m[2]);
  return out;
}

const hiddenKey = (html) => {
  const m = html.match(/name="idempotency_key" value="([A-Za-z0-9_-]+)"/);
  assert.ok(m, 'the withdrawal form carries an idempotency key');
  return m[1];
};

before(async () => {
  seller = user('pay', ['SELLER']);
  sc = new Client(seller);
  buyer = user('payb');
  finance = user('fin', ['FINANCE']);
  fc = new Client(finance);
  support = user('sup', ['SUPPORT']);
  gigId = Number(sql('SELECT id FROM gigs ORDER BY id LIMIT 1'));
  // payout details through the real form: sealed with the server key
  const res = await sc.post('/seller/onboarding/payout', BANK);
  assert.equal(res.status, 303, `payout details saved: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
  assert.equal(sql("SELECT method FROM seller_payouts WHERE user_id = :'v1'", seller.id), 'bank');
});

afterEach(async () => {
  await checkLedger();
});

test('access: /earnings is for sellers; the finance console for FINANCE and SUPER_ADMIN only', async () => {
  const anon = await get('/earnings');
  assert.equal(anon.status, 303);
  assert.match(locationOf(anon), /^\/login\?next=/);
  const b = new Client(buyer);
  assert.equal((await b.get('/earnings')).status, 403);
  assert.equal((await b.post('/earnings/withdraw', { currency: 'USD', amount: '1.00', idempotency_key: idemKey() })).status, 403);
  const s = new Client(support);
  for (const path of ['/admin/finance', '/admin/finance/payouts', '/admin/finance/transactions',
    '/admin/finance/escrow', '/admin/finance/refunds', '/admin/finance/batches'])
    assert.equal((await s.get(path)).status, 403, `SUPPORT GET ${path}`);
  assert.equal((await s.post('/admin/finance/payouts/1/approve')).status, 403);
  assert.equal((await b.get('/admin/finance/payouts')).status, 403);
  // FINANCE without 2FA is sent to set it up first
  const no2fa = user('fin2', ['FINANCE']);
  sql("DELETE FROM user_totp WHERE user_id = :'v1'", no2fa.id);
  const r = await new Client(no2fa).get('/admin/finance/payouts');
  assert.equal(r.status, 303);
  assert.match(locationOf(r), /^\/account\/2fa/);
  for (const path of ['/admin/finance', '/admin/finance/payouts', '/admin/finance/transactions',
    '/admin/finance/escrow', '/admin/finance/refunds', '/admin/finance/batches']) {
    const ok = await fc.get(path);
    assert.equal(ok.status, 200, `FINANCE GET ${path}: ${stripTags(ok.text_).slice(0, 200)}`);
    assert.match(ok.headers.get('cache-control') || '', /no-store/);
    assert.match(ok.text_, /<meta name="robots" content="noindex">/);
    assert.doesNotMatch(ok.text_, /\{\{|\}\}/);
  }
  assert.equal((await fc.get('/admin/finance/payouts/999999999/approve')).status, 405);
  assert.equal((await fc.post('/admin/finance/payouts/999999999/approve')).status, 404);
});

test('clearance: pending until clears_at, then available after the money sweep; earnings page and CSV', async () => {
  const o = releasedOrder(10000);
  let html = (await sc.get('/earnings')).text_;
  let f = figures(html);
  assert.equal(f.pending, balance('seller_pending'));
  assert.ok(f.pending >= o.net);
  const availableBefore = balance('seller_available');

  await moneySweep();	// not due yet
  assert.equal(sql("SELECT cleared_at IS NULL FROM seller_clearances WHERE order_id = :'v1'", o.orderId), 't');

  advanceClock(15 * 86400);
  await moneySweep();
  assert.equal(sql("SELECT cleared_at IS NOT NULL FROM seller_clearances WHERE order_id = :'v1'", o.orderId), 't');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'clear:order:' || :'v1'", o.orderId)), 1);
  assert.equal(balance('seller_available'), availableBefore + o.net);
  await moneySweep();	// idempotent: cleared once
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'clear:order:' || :'v1'", o.orderId)), 1);
  assert.equal(balance('seller_available'), availableBefore + o.net);
  assert.equal(sql("SELECT count(*) FROM order_events WHERE order_id = :'v1' AND kind = 'cleared'", o.orderId), '1');

  const res = await sc.get('/earnings');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('cache-control') || '', /no-store/);
  html = res.text_;
  f = figures(html);
  assert.equal(f.available, balance('seller_available'));
  assert.equal(f.pending, balance('seller_pending'));
  assert.equal(f.in_payout, 0);
  assert.equal(f.withdrawn, 0);
  // the lines behind "available": the clearance of this order, linked
  const avail = html.match(/data-figure="available"[\s\S]*?<\/table>/)[0];
  assert.match(avail, new RegExp(`data-kind="clearance" data-amount-minor="${o.net}" data-order="${o.orderId}"`));
  assert.match(avail, new RegExp(`href="/orders/${o.orderId}"`));
  // the shown amount is the formatted figure
  assert.match(stripTags(avail), new RegExp(`\\$${Math.floor(o.net / 100)}\\.${String(o.net % 100).padStart(2, '0')}`));

  const csv = await sc.get('/earnings.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.match(csv.headers.get('content-disposition') || '', /^attachment; filename="souk-earnings\.csv"/);
  assert.match(csv.headers.get('cache-control') || '', /no-store/);
  const rows = csv.text_.trim().split('\r\n');
  assert.equal(rows[0], 'date,currency,account,kind,transaction,order,payout,amount,amount_minor,memo');
  const net = `${Math.floor(o.net / 100)}.${String(o.net % 100).padStart(2, '0')}`;
  assert.ok(rows.some((r) => r.includes(`,USD,seller_pending,escrow_release,`) && r.includes(`,${o.orderId},,${net},${o.net},`)), 'release line');
  assert.ok(rows.some((r) => r.includes(`,USD,seller_pending,clearance,`) && r.includes(`,-${net},-${o.net},`)), 'clearance debit');
  assert.ok(rows.some((r) => r.includes(`,USD,seller_available,clearance,`) && r.includes(`,${net},${o.net},`)), 'clearance credit');
  // one account's lines, paginated view
  const one = await sc.get('/earnings?currency=USD&account=available');
  assert.equal(one.status, 200);
  assert.match(one.text_, /data-figure="available"/);
  assert.doesNotMatch(one.text_, /data-figure="pending"/);
  assert.equal((await sc.get('/earnings?currency=USD&account=available&page=x')).status, 400);
});

test('souk-worker runs the money sweep by itself: a due clearance is cleared within seconds', async () => {
  const o = releasedOrder(2000, { clearsInDays: 0 });
  const cleared = await waitFor(() => sql("SELECT cleared_at IS NOT NULL FROM seller_clearances WHERE order_id = :'v1'", o.orderId) === 't', 20000);
  assert.ok(cleared, 'souk-worker cleared the due clearance (it sweeps every 5 s)');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'clear:order:' || :'v1'", o.orderId)), 1);
});

test('withdraw: bad amounts 422 with values kept, above available 422, one key twice = one payout', async () => {
  const avail = balance('seller_available');
  assert.ok(avail >= 5000, `available ${avail}`);
  let html = (await sc.get('/earnings')).text_;
  const csrfKey = hiddenKey(html);

  for (const amount of ['12.345', '-5', 'abc', '1e3', '0', '']) {
    const r = await sc.post('/earnings/withdraw', { currency: 'USD', amount, idempotency_key: idemKey() });
    assert.equal(r.status, 422, `amount ${JSON.stringify(amount)} → ${r.status}`);
    if (amount) assert.match(r.text_, new RegExp(`id="withdraw-amount"[^>]*value="${amount.replace(/[.]/g, '\\.')}"`));
  }
  const tooMuch = (avail + 1) / 100;
  const over = await sc.post('/earnings/withdraw', { currency: 'USD', amount: tooMuch.toFixed(2), idempotency_key: idemKey() });
  assert.equal(over.status, 422);
  assert.match(over.text_, /data-error="amount-insufficient"/);
  assert.match(over.text_, new RegExp(`value="${tooMuch.toFixed(2).replace('.', '\\.')}"`));
  assert.equal(Number(sql("SELECT count(*) FROM payouts WHERE seller_id = :'v1'", seller.id)), 0);
  assert.equal(balance('seller_available'), avail);
  assert.equal((await sc.post('/earnings/withdraw', { currency: 'EUR', amount: '1.00', idempotency_key: idemKey() })).status, 422);

  // the page's own key, twice (a double click): one payout
  const first = await sc.post('/earnings/withdraw', { currency: 'USD', amount: '50.00', idempotency_key: csrfKey });
  assert.equal(first.status, 303, stripTags(first.text_).slice(0, 300));
  const second = await sc.post('/earnings/withdraw', { currency: 'USD', amount: '50.00', idempotency_key: csrfKey });
  assert.equal(second.status, 303);
  assert.equal(locationOf(second), locationOf(first));
  const rows = sql("SELECT id || ' ' || state || ' ' || method || ' ' || amount_minor FROM payouts WHERE seller_id = :'v1'", seller.id).split('\n');
  assert.equal(rows.length, 1, rows.join('; '));
  const [, state, method, amount] = rows[0].split(' ');
  assert.deepEqual([state, method, amount], ['requested', 'bank', '5000']);
  assert.equal(balance('seller_available'), avail - 5000);
  assert.equal(balance('seller_payout'), 5000);
  // the same key with another amount is refused
  const reused = await sc.post('/earnings/withdraw', { currency: 'USD', amount: '10.00', idempotency_key: csrfKey });
  assert.equal(reused.status, 422);
  assert.match(reused.text_, /data-error="key-reused"/);

  html = (await sc.get(locationOf(first))).text_;
  assert.match(html, /data-done="requested"/);
  const f = figures(html);
  assert.equal(f.in_payout, 5000);
  assert.equal(f.available, avail - 5000);
  assert.match(html, /class="payout-row" data-payout="\d+" data-state="requested" data-amount-minor="5000"/);
});

test('FINANCE decides: approve, hold needs a note, wrong state 409, fail returns the money; all audited', async () => {
  const payoutId = Number(sql("SELECT id FROM payouts WHERE seller_id = :'v1' AND amount_minor = 5000", seller.id));
  let list = await fc.get(`/admin/finance/payouts?seller=${seller.handle}`);
  assert.equal(list.status, 200);
  assert.match(list.text_, new RegExp(`data-payout="${payoutId}" data-state="requested"`));

  const hold = await fc.post(`/admin/finance/payouts/${payoutId}/hold`, { note: '' });
  assert.equal(hold.status, 422);
  const held = await fc.post(`/admin/finance/payouts/${payoutId}/hold`, { note: 'Checking the bank details' });
  assert.equal(held.status, 303);
  assert.equal(sql("SELECT state || '|' || note FROM payouts WHERE id = :'v1'", payoutId), 'held|Checking the bank details');
  const approve = await fc.post(`/admin/finance/payouts/${payoutId}/approve`);
  assert.equal(approve.status, 303);
  assert.equal(locationOf(approve), '/admin/finance/payouts?done=approved');
  assert.equal(sql("SELECT state || '|' || decided_by FROM payouts WHERE id = :'v1'", payoutId), `approved|${finance.id}`);
  const again = await fc.post(`/admin/finance/payouts/${payoutId}/approve`);
  assert.equal(again.status, 409);
  assert.equal(sql(`SELECT string_agg(action, ',' ORDER BY id) FROM audit_log
    WHERE entity_type = 'payout' AND entity_id = :'v1'`, payoutId), 'payout.hold,payout.approve');
  assert.equal(balance('seller_payout'), 5000);

  // a second withdrawal that FINANCE fails: the money goes back to available
  const avail = balance('seller_available');
  const key = idemKey();
  assert.equal((await sc.post('/earnings/withdraw', { currency: 'USD', amount: '5', idempotency_key: key })).status, 303);
  const p2 = Number(sql("SELECT id FROM payouts WHERE seller_id = :'v1' AND amount_minor = 500", seller.id));
  assert.equal(balance('seller_available'), avail - 500);
  assert.equal((await fc.post(`/admin/finance/payouts/${p2}/fail`, {})).status, 422);
  const fail = await fc.post(`/admin/finance/payouts/${p2}/fail`, { note: 'Account closed' });
  assert.equal(fail.status, 303);
  assert.equal(sql("SELECT state FROM payouts WHERE id = :'v1'", p2), 'failed');
  assert.equal(balance('seller_available'), avail);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'payout_returned:' || :'v1'", p2)), 1);
  assert.equal((await fc.post(`/admin/finance/payouts/${p2}/paid`)).status, 409);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'payout.fail' AND entity_id = :'v1' AND actor_id = :'v2'", p2, finance.id), '1');

  list = await fc.get('/admin/finance/payouts?state=approved&currency=USD');
  assert.match(list.text_, new RegExp(`data-payout="${payoutId}" data-state="approved"`));
  assert.doesNotMatch(list.text_, new RegExp(`data-payout="${p2}"`));
});

test('weekly batch: next ISO week → batch with a bank-transfer file; FINANCE downloads it and marks it paid', async () => {
  const payoutId = Number(sql("SELECT id FROM payouts WHERE seller_id = :'v1' AND state = 'approved'", seller.id));
  await moneySweep();	// same week: no batch for it yet
  assert.equal(sql("SELECT batch_id IS NULL FROM payouts WHERE id = :'v1'", payoutId), 't');

  advanceClock(secondsToNextMonday(3600));
  await moneySweep();
  const [batchId, state, week, hasFile, curr] = sql(`SELECT b.id || '|' || b.state || '|' || b.week || '|' || (b.bank_file IS NOT NULL) || '|' || b.currency
    FROM payouts p JOIN payout_batches b ON b.id = p.batch_id WHERE p.id = :'v1'`, payoutId).split('|');
  assert.ok(Number(batchId) > 0);
  assert.equal(state, 'sent');
  assert.equal(curr, 'USD');
  assert.equal(hasFile, 'true');
  assert.equal(week, sql("SELECT date_trunc('week', souk_now() AT TIME ZONE 'UTC')::date"));
  assert.equal(sql("SELECT extract(isodow FROM :'v1'::date)", week), '1');
  // the file is sealed at rest: no account number in the database
  assert.equal(sql("SELECT position('62123456789' in bank_file) FROM payout_batches WHERE id = :'v1'", batchId), '0');
  const batches = Number(sql('SELECT count(*) FROM payout_batches'));
  await moneySweep();	// idempotent
  assert.equal(Number(sql('SELECT count(*) FROM payout_batches')), batches);
  assert.equal(sql("SELECT state FROM payouts WHERE id = :'v1'", payoutId), 'approved');

  const page = await fc.get('/admin/finance/batches');
  assert.match(page.text_, new RegExp(`data-batch="${batchId}" data-state="sent"`));
  assert.equal((await new Client(support).get(`/admin/finance/batches/${batchId}.csv`)).status, 403);
  const csv = await fc.get(`/admin/finance/batches/${batchId}.csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.match(csv.headers.get('cache-control') || '', /no-store/);
  assert.match(csv.headers.get('content-disposition') || '', /^attachment/);
  const lines = csv.text_.trim().split('\r\n');
  assert.equal(lines[0], 'reference,beneficiary,account,branch_code,bank,amount,currency');
  assert.ok(lines.includes(`SOUK-PAYOUT-${payoutId},Thandi Mokoena,62123456789,250655,First National Bank (FNB),50.00,USD`),
    lines.join('\n'));
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'payout_batch.download' AND entity_id = :'v1' AND actor_id = :'v2'",
    batchId, finance.id), '1');
  assert.equal((await fc.get('/admin/finance/batches/999999999.csv')).status, 404);
  assert.equal((await fc.get('/admin/finance/batches/x.csv')).status, 404);

  const paid = await fc.post(`/admin/finance/batches/${batchId}/paid`);
  assert.equal(paid.status, 303);
  assert.equal(sql("SELECT state FROM payouts WHERE id = :'v1'", payoutId), 'paid');
  assert.equal(sql("SELECT state FROM payout_batches WHERE id = :'v1'", batchId), 'done');
  assert.equal(balance('seller_paid_out'), 5000);
  assert.equal(balance('seller_payout'), 0);
  assert.equal((await fc.post(`/admin/finance/batches/${batchId}/paid`)).status, 409);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'payout_batch.paid' AND entity_id = :'v1'", batchId), '1');

  const f = figures((await sc.get('/earnings')).text_);
  assert.equal(f.withdrawn, 5000);
  assert.equal(f.in_payout, 0);
});

test('finance pages: revenue by day, ledger health, transactions with entries, escrow, refunds', async () => {
  const home = await fc.get('/admin/finance');
  assert.equal(home.status, 200);
  assert.match(home.text_, /data-health-ok="1"/);
  assert.match(home.text_, /data-negative-accounts="0"/);
  assert.match(home.text_, /data-unbalanced="0"/);
  const day = sql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM ledger_transactions WHERE event_key = 'release:order:' || :'v1'", orders[0]);
  const rev = await fc.get(`/admin/finance?from=${day}&to=${day}`);
  const want = Number(sql(`SELECT sum(e.amount_minor) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
    JOIN ledger_transactions t ON t.id = e.transaction_id WHERE a.kind = 'platform_revenue' AND a.currency = 'USD'
    AND (t.created_at AT TIME ZONE 'UTC')::date = :'v1'::date`, day));
  assert.match(rev.text_, new RegExp(`data-day="${day}" data-currency="USD" data-amount-minor="${want}"`));
  assert.equal((await fc.get('/admin/finance?from=2025-02-30')).status, 400);

  const tx = await fc.get(`/admin/finance/transactions?order=${orders[0]}`);
  assert.equal(tx.status, 200);
  assert.match(tx.text_, /data-kind="escrow_release"/);
  assert.match(tx.text_, /data-account="seller_pending"/);
  assert.equal((await fc.get('/admin/finance/transactions?order=abc')).status, 400);
  assert.equal((await fc.get('/admin/finance/escrow')).status, 200);
  assert.equal((await fc.get('/admin/finance/refunds?state=failed')).status, 200);
});

test('staff order page and actions: roles, 404, dispute flag, cancellation of a closed order 409', async () => {
  const id = orders[0];
  const s = new Client(support);
  const page = await s.get(`/admin/orders/${id}`);
  assert.equal(page.status, 200, stripTags(page.text_).slice(0, 300));
  assert.match(page.text_, new RegExp(`href="/orders/${id}"`));
  assert.equal((await s.get('/admin/orders/999999999')).status, 404);
  const mod = user('mod', ['MODERATOR']);
  assert.equal((await new Client(mod).get(`/admin/orders/${id}`)).status, 403);
  assert.equal((await new Client(buyer).get(`/admin/orders/${id}`)).status, 403);

  assert.equal((await s.post(`/admin/orders/${id}/dispute`, { disputed: 'maybe' })).status, 422);
  const d = await s.post(`/admin/orders/${id}/dispute`, { disputed: '1' });
  assert.equal(d.status, 303, stripTags(d.text_).slice(0, 300));
  assert.equal(sql("SELECT disputed FROM orders WHERE id = :'v1'", id), 't');
  assert.equal((await s.post(`/admin/orders/${id}/dispute`, { disputed: '0' })).status, 303);
  assert.equal(sql("SELECT disputed FROM orders WHERE id = :'v1'", id), 'f');
  assert.equal(sql("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE entity_type = 'order' AND entity_id = :'v1'", id),
    'order.dispute,order.undispute');

  assert.equal((await s.post(`/admin/orders/${id}/cancel`, { reason: '' })).status, 422);
  const c = await s.post(`/admin/orders/${id}/cancel`, { reason: 'Buyer asked support' });
  assert.equal(c.status, 409);	// completed orders are not cancelled
  assert.match(c.text_, /Buyer asked support/);
  assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", id), 'completed');
});

// ---- Stripe Connect: payouts by transfer to the seller's connected account ----
//
// A seller whose payout details are a Stripe connected account (acct_...) is
// paid by the weekly batch with POST /v1/transfers (docs/payment-gateways.md
// §3.4, separate charges and transfers) at souk-paysim, idempotency key
// "payout:<id>"; the simulator's transfer list (GET /stripe/v1/transfers,
// as Stripe's list API) is what the tests count.

let stSeller, stc, stAcct;

/** The transfers souk-paysim made to @destination, newest first. */
async function transfers(destination = stAcct) {
  const res = await fetch(`${PAYSIM}/stripe/v1/transfers?destination=${encodeURIComponent(destination)}`,
    { headers: { authorization: 'Bearer sk_test_souk' }, signal: AbortSignal.timeout(10000) });
  assert.equal(res.status, 200, `paysim GET /v1/transfers: ${res.status}`);
  return (await res.json()).data;
}

/** Withdraws @amount ("12.50") USD as @stc and FINANCE approves it; the payout id. */
async function stripeWithdrawal(amount) {
  const r = await stc.post('/earnings/withdraw', { currency: 'USD', amount, idempotency_key: idemKey() });
  assert.equal(r.status, 303, stripTags(r.text_).slice(0, 300));
  const id = Number(/requested=(\d+)/.exec(locationOf(r))[1]);
  assert.equal(sql("SELECT method || '|' || state FROM payouts WHERE id = :'v1'", id), 'stripe|requested');
  assert.equal((await fc.post(`/admin/finance/payouts/${id}/approve`)).status, 303);
  return id;
}

const payoutRow = (id) => {
  const [state, ref, batch] = sql("SELECT state || '|' || coalesce(gateway_ref, '') || '|' || coalesce(batch_id::text, '') FROM payouts WHERE id = :'v1'", id).split('|');
  return { state, ref, batch };
};

test('Stripe Connect: a connected-account seller withdraws USD (ZAR refused 422) and is paid by exactly one transfer', async (t) => {
  if (!PAYSIM) return t.skip('souk-paysim not running (SOUK_TEST_PAYSIM_URL)');
  stSeller = user('payst', ['SELLER']);
  stc = new Client(stSeller);
  stAcct = `acct_1Souk${RUN}Tr`.replace(/[^A-Za-z0-9_]/g, '');
  let res = await stc.post('/seller/onboarding/payout', { method: 'stripe', stripe_account: 'acct_bad!' });
  assert.equal(res.status, 422);
  res = await stc.post('/seller/onboarding/payout', { method: 'stripe', stripe_account: stAcct });
  assert.equal(res.status, 303, `payout details saved: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
  assert.equal(sql("SELECT method FROM seller_payouts WHERE user_id = :'v1'", stSeller.id), 'stripe');

  // available USD money: an order released, cleared by the sweep
  const o = releasedOrder(10000, { who: stSeller });
  advanceClock(15 * 86400);
  await moneySweep();
  assert.equal(sql("SELECT cleared_at IS NOT NULL FROM seller_clearances WHERE order_id = :'v1'", o.orderId), 't');
  assert.equal(balance('seller_available', stSeller.id), o.net);
  const page = await stc.get('/earnings');
  assert.match(page.text_, /data-usd-only/);

  // a connected account is paid in USD only: ZAR is refused with the values kept, nothing written
  const zar = await stc.post('/earnings/withdraw', { currency: 'ZAR', amount: '10.00', idempotency_key: idemKey() });
  assert.equal(zar.status, 422);
  assert.match(zar.text_, /data-error="currency-unsupported"/);
  assert.match(zar.text_, /id="withdraw-amount"[^>]*value="10\.00"/);
  assert.equal(Number(sql("SELECT count(*) FROM payouts WHERE seller_id = :'v1'", stSeller.id)), 0);

  const id = await stripeWithdrawal('30.00');
  assert.equal(balance('seller_payout', stSeller.id), 3000);
  await moneySweep();	// same week: not in a batch yet, no transfer
  assert.equal(payoutRow(id).batch, '');
  assert.equal((await transfers()).length, 0);

  advanceClock(secondsToNextMonday(3600));
  await moneySweep();
  assert.ok(await waitFor(() => payoutRow(id).state === 'paid', 20000), `paid: ${JSON.stringify(payoutRow(id))}`);
  const list = await transfers();
  assert.equal(list.length, 1, JSON.stringify(list));
  assert.equal(list[0].amount, 3000);
  assert.equal(list[0].currency, 'usd');
  assert.equal(list[0].destination, stAcct);
  assert.equal(list[0].source_transaction, null);
  const row = payoutRow(id);
  assert.equal(row.ref, list[0].id, 'payouts.gateway_ref = the transfer id');
  assert.match(row.ref, /^tr_/);
  assert.equal(balance('seller_paid_out', stSeller.id), 3000);
  assert.equal(balance('seller_payout', stSeller.id), 0);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'payout_paid' AND payout_id = :'v1'", id)), 1);
  assert.equal(sql("SELECT state || '|' || (bank_file IS NULL) FROM payout_batches WHERE id = :'v1'", row.batch), 'done|true',
    'a batch of transfers only: done, no bank file');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'payout.gateway_paid' AND entity_id = :'v1' AND actor_id IS NULL", id), '1');
  // every call carried the idempotency key payout:<id>; exactly one made a transfer
  const calls = (await simLog({ gateway: 'stripe', kind: 'api' })).filter((e) => e.path === '/v1/transfers' && e.idempotency_key === `payout:${id}`);
  assert.equal(calls.filter((e) => e.status === 200 && !e.replayed).length, 1, JSON.stringify(calls));

  await moneySweep();	// again: no second transfer, nothing posted twice
  assert.equal((await transfers()).length, 1);
  assert.equal(balance('seller_paid_out', stSeller.id), 3000);
  assert.equal(payoutRow(id).state, 'paid');
  const f = figures((await stc.get('/earnings')).text_);
  assert.equal(f.withdrawn, 3000);
});

test('Stripe Connect: a transfer error leaves the payout approved for the next sweep, then it is paid once', async (t) => {
  if (!PAYSIM || !stSeller) return t.skip('souk-paysim not running');
  const id = await stripeWithdrawal('10.00');
  await simControl({ reference: stAcct, transfers: 'error' });
  try {
    advanceClock(secondsToNextMonday(3600));
    await moneySweep();
    const row = payoutRow(id);
    assert.equal(row.state, 'approved', 'a temporary error: left for the next sweep');
    assert.equal(row.ref, '');
    assert.ok(Number(row.batch) > 0);
    assert.equal(sql("SELECT state FROM payout_batches WHERE id = :'v1'", row.batch), 'open', 'the batch stays open for the retry');
    const faults = (await simLog({ gateway: 'stripe', kind: 'api' })).filter((e) => e.idempotency_key === `payout:${id}`);
    assert.ok(faults.length >= 1 && faults.every((e) => e.status === 500), JSON.stringify(faults));
    assert.equal((await transfers()).length, 1, 'no transfer made');
    assert.equal(balance('seller_payout', stSeller.id), 1000);
    assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payout_id = :'v1' AND kind <> 'payout_request'", id)), 0);
  } finally {
    await simControl({ reference: stAcct, transfers: null });
  }
  await moneySweep();
  assert.ok(await waitFor(() => payoutRow(id).state === 'paid', 20000), `paid: ${JSON.stringify(payoutRow(id))}`);
  const list = await transfers();
  assert.equal(list.length, 2, JSON.stringify(list));
  assert.equal(list.filter((x) => x.amount === 1000).length, 1);
  const row = payoutRow(id);
  assert.equal(row.ref, list.find((x) => x.amount === 1000).id);
  assert.equal(sql("SELECT state FROM payout_batches WHERE id = :'v1'", row.batch), 'done');
  assert.equal(balance('seller_paid_out', stSeller.id), 4000);
  assert.equal(balance('seller_payout', stSeller.id), 0);
  await moneySweep();
  assert.equal((await transfers()).length, 2, 'paid once');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'payout_paid' AND payout_id = :'v1'", id)), 1);
});

test('Stripe Connect: a transfer the gateway refuses fails the payout and returns the money; audited', async (t) => {
  if (!PAYSIM || !stSeller) return t.skip('souk-paysim not running');
  const avail = balance('seller_available', stSeller.id);
  const id = await stripeWithdrawal('5.00');
  assert.equal(balance('seller_available', stSeller.id), avail - 500);
  await simControl({ reference: stAcct, transfers: 'reject' });
  try {
    advanceClock(secondsToNextMonday(3600));
    await moneySweep();
    assert.ok(await waitFor(() => payoutRow(id).state === 'failed', 20000), `failed: ${JSON.stringify(payoutRow(id))}`);
  } finally {
    await simControl({ reference: stAcct, transfers: null });
  }
  assert.match(sql("SELECT note FROM payouts WHERE id = :'v1'", id), /stripe refused the payout/);
  assert.equal(balance('seller_available', stSeller.id), avail);
  assert.equal(balance('seller_payout', stSeller.id), 0);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'payout_returned:' || :'v1'", id)), 1);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'payout.gateway_failed' AND entity_id = :'v1'", id), '1');
  assert.equal((await transfers()).length, 2, 'no transfer');
  await moneySweep();
  assert.equal(payoutRow(id).state, 'failed');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'payout_returned:' || :'v1'", id)), 1);
});
