// souk-e2e: serial (pauses the shared souk-worker; ./dev test runs it alone)
// Gateway notifications and refunds end to end (issue 5; src/payments/payments.c):
// PayFast ITNs built and signed by this test (docs/payment-gateways.md §1.3,
// §1.5) and, through the simulator (tests/tools/souk-paysim.mjs, which ./dev
// starts), every gateway's hand-off and notification: 4 identical ITNs at
// once pay once, a replay changes nothing, a tampered signature or amount is
// refused and recorded in gateway_rejections, a declined payment can be paid
// again, a change order is paid into the same escrow, and the "refund" job
// refunds a cancelled order through the gateway (or, refused, to buyer
// credit).  A foreign source address cannot be simulated through nginx from
// here: the adapters' unit tests cover it.  After each test the ledger's
// invariants are checked (tests/e2e/ledger-check.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { get } from './helpers.mjs';
import {
  DB, WORKER_CONF, sql, user, activeGig, Client, checkout, idemKey, locationOf, text, payment,
  havePaysim, simControl, simLog, simPay, handOff, waitPaid, waitFor, formOf, cancelWithRefundRunTwice,
} from './money-helpers.mjs';

const WORKER = process.env.SOUK_TEST_WORKER_BIN;
const WORKER_PIDFILE = process.env.SOUK_TEST_WORKER_PIDFILE;
// souk-web's log (./dev test: <state>/run/souk-web.pid, <state>/log/souk-web.log)
const SOUK_LOG = process.env.SOUK_TEST_PIDFILE ?
  join(dirname(dirname(process.env.SOUK_TEST_PIDFILE)), 'log', 'souk-web.log') : '';
const noSim = !havePaysim() && 'souk-paysim is not running';
import { checkLedger } from './ledger-check.mjs';

// souk-web's configuration as ./dev wrote it (PayFast credentials).
const CONF = (() => {
  const c = {};
  if (existsSync(WORKER_CONF))
    for (const line of readFileSync(WORKER_CONF, 'utf8').split('\n')) {
      const m = line.match(/^\s*([a-z0-9_]+)\s*=\s*(.*?)\s*$/);
      if (m) c[m[1]] = m[2];
    }
  return c;
})();

// ---- PayFast ITN (docs/payment-gateways.md §1.3 and §1.5) ----------------
/** PHP urlencode(): A-Z a-z 0-9 - _ . kept, space '+', everything else %XX upper case. */
function phpUrlencode(s) {
  let o = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.-]/.test(c)) o += c;
    else if (c === ' ') o += '+';
    else o += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return o;
}
/** The ITN signature: every field in the order received, empty ones too, then the passphrase. */
function itnSignature(pairs, passphrase) {
  let s = pairs.map(([k, v]) => `${k}=${phpUrlencode(v)}`).join('&');
  if (passphrase) s += `&passphrase=${phpUrlencode(passphrase.trim())}`;
  return createHash('md5').update(s).digest('hex');
}
function itnBody(ref, amountMinor, { pfId = String(Date.now() % 100000000), status = 'COMPLETE' } = {}) {
  const amount = (amountMinor / 100).toFixed(2);
  const pairs = [['m_payment_id', ref], ['pf_payment_id', pfId], ['payment_status', status],
    ['item_name', 'Money test'], ['item_description', ''], ['amount_gross', amount],
    ['amount_fee', '-2.30'], ['amount_net', (amountMinor / 100 - 2.3).toFixed(2)],
    ['custom_str1', ''], ['custom_str2', ''], ['custom_str3', ''], ['custom_str4', ''], ['custom_str5', ''],
    ['custom_int1', ''], ['custom_int2', ''], ['custom_int3', ''], ['custom_int4', ''], ['custom_int5', ''],
    ['name_first', 'Test'], ['name_last', 'Buyer'], ['email_address', 'buyer@example.test'],
    ['merchant_id', CONF.payfast_merchant_id || '10000100']];
  return { pairs, signature: itnSignature(pairs, CONF.payfast_passphrase || '') };
}
const formBody = (pairs) => pairs.map(([k, v]) => `${k}=${phpUrlencode(v)}`).join('&');
async function postItn(body) {
  return get('/payments/notify/payfast', {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

// The test's own signer against the document's vector V-PF-5.
test('the PayFast ITN signature of this test matches vector V-PF-5', () => {
  const pairs = [['m_payment_id', 'JOB-42-M1'], ['pf_payment_id', '1089250'], ['payment_status', 'COMPLETE'],
    ['item_name', 'Logo design – milestone 1'], ['item_description', ''], ['amount_gross', '1500.00'],
    ['amount_fee', '-34.50'], ['amount_net', '1465.50'], ['custom_str1', 'escrow'], ['custom_str2', ''],
    ['custom_str3', ''], ['custom_str4', ''], ['custom_str5', ''], ['custom_int1', '42'], ['custom_int2', ''],
    ['custom_int3', ''], ['custom_int4', ''], ['custom_int5', ''], ['name_first', 'Thandi'],
    ['name_last', 'Mokoena'], ['email_address', 'thandi@example.test'], ['merchant_id', '10000100']];
  assert.equal(itnSignature(pairs, 'jt7NOE43FZPn'), 'd430a916fd5b65e350bb016fce9380b6');
});

test('a PayFast ITN with a bad signature is refused, recorded with the request id, and changes nothing', async () => {
  const seller = user('ckn', ['SELLER']);
  const buyer = user('ckbn');
  const gig = activeGig(seller, 'ZAR');
  const res = await checkout(new Client(buyer), gig, { gateway: 'payfast' });
  assert.equal(res.status, 303);
  const pm = payment(res.reference);
  const { pairs, signature } = itnBody(res.reference, pm.amount);
  const bad = formBody([...pairs, ['signature', signature.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a'))]]);
  const r = await postItn(bad);
  assert.ok(r.status >= 400 && r.status < 500, `refused: ${r.status}`);
  const rid = r.headers.get('x-request-id');
  // (counted by request id: other test files write PayFast rejections at the same time)
  assert.equal(sql("SELECT count(*) FROM gateway_rejections WHERE request_id = :'v1'", rid), '1');
  assert.equal(sql("SELECT count(*) FROM gateway_rejections WHERE request_id = :'v1' AND body = :'v2' AND gateway = 'payfast'", rid, bad), '1');
  assert.equal(payment(res.reference).state, 'created');
  assert.equal(Number(sql("SELECT count(*) FROM gateway_notifications WHERE payment_id = :'v1'", pm.id)), 0);
  // an unknown gateway is not a notification endpoint
  assert.equal((await get('/payments/notify/nopay', { method: 'POST', body: 'x=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 404);
  await checkLedger(DB);
});

// ---- through the simulator (./dev starts it when SOUK_TEST_PAYSIM_URL is set) ----

test('PayFast through the simulator: 4 identical ITNs at once pay once; a replay changes nothing', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('cks4', ['SELLER']);
  const buyer = user('ckb4');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'payfast' });
  assert.equal(res.status, 303);
  const ref = res.reference;
  const go = await c.get(`/payments/${ref}/go`);
  assert.equal(go.status, 200);
  assert.match(go.headers.get('content-security-policy') || '', /form-action 'self' http:\/\/127\.0\.0\.1:\d+;/,
    'the hand-off page may post its form to the gateway');
  assert.match(go.text_, /name="signature" value="[0-9a-f]{32}"/);
  await handOff(c, ref);
  assert.equal(payment(ref).state, 'pending');
  await simControl({ reference: ref, duplicate: 4 });
  const pay = await simPay('payfast', ref, 'approve');
  assert.ok(pay.status < 400, pay.text_);
  await waitPaid(ref);
  const pm = payment(ref);
  assert.notEqual(pm.orderState, 'awaiting_payment');
  const answered = await waitFor(async () => {
    const log = (await simLog()).filter((e) => e.kind === 'notify' && e.reference === ref && e.status);
    return log.length >= 4 ? log : null;
  }, 20000);
  assert.ok(answered, 'four notifications answered');
  for (const e of answered) assert.equal(e.status, 200, `every copy acknowledged: ${JSON.stringify(e).slice(0, 300)}`);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1'", pm.id)), 1);
  assert.equal(Number(sql("SELECT count(*) FROM gateway_notifications WHERE payment_id = :'v1'", pm.id)), 1);

  // the very same bytes once more, straight from the test: acknowledged, nothing moves
  const body = answered[0].request.body;
  const pairs = body.split('&').map((kv) => kv.split('=').map((x) => decodeURIComponent(x.replace(/\+/g, ' '))));
  const sig = pairs.find(([k]) => k === 'signature')[1];
  assert.equal(itnSignature(pairs.filter(([k]) => k !== 'signature'), CONF.payfast_passphrase || ''), sig,
    'the simulator signs as the document says');
  const r = await postItn(body);
  assert.equal(r.status, 200);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1'", pm.id)), 1);
  assert.equal(payment(ref).state, 'paid');
  await checkLedger(DB);
});

test('PayFast through the simulator: a tampered amount is refused as an amount mismatch', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('cksa', ['SELLER']);
  const buyer = user('ckba');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'payfast' });
  const ref = res.reference;
  await handOff(c, ref);
  await simControl({ reference: ref, tamper: 'amount' });
  await simPay('payfast', ref, 'approve');
  const rej = await waitFor(() => Number(sql("SELECT count(*) FROM gateway_rejections WHERE gateway = 'payfast' AND reason = 'amount mismatch' AND body LIKE '%' || :'v1' || '%'", ref)) > 0, 20000);
  assert.ok(rej, 'an amount-mismatch rejection');
  assert.notEqual(payment(ref).state, 'paid');
  assert.equal(payment(ref).orderState, 'awaiting_payment');
  await checkLedger(DB);
});

test('every gateway through the simulator: checkout, hand-off, approve, paid once', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckg', ['SELLER']);
  const buyer = user('ckbg');
  const c = new Client(buyer);
  const gigs = { ZAR: activeGig(seller, 'ZAR'), USD: activeGig(seller, 'USD'), CNY: activeGig(seller, 'CNY') };
  for (const [gateway, cur] of [['ozow', 'ZAR'], ['stripe', 'USD'], ['paypal', 'USD'], ['alipay', 'CNY'], ['wechat', 'CNY']]) {
    const page = await c.get(`/checkout?gig=${gigs[cur].id}&package=basic`);
    assert.match(page.text_, new RegExp(`name="gateway" value="${gateway}"`), `${gateway} offered for ${cur}`);
    const res = await checkout(c, gigs[cur], { gateway });
    assert.equal(res.status, 303, `${gateway}: ${text(res).slice(0, 300)}`);
    const ref = res.reference;
    if (gateway === 'wechat') {
      const go = await c.get(`/payments/${ref}/go`);
      assert.equal(go.status, 200, text(go).slice(0, 300));
      assert.match(go.text_, /<svg\b[^>]*role="img"/, 'a QR code to scan');
    } else await handOff(c, ref);
    const pay = await simPay(gateway, ref, 'approve');
    assert.ok(pay.status < 400, `${gateway} approve: ${pay.status} ${pay.text_.slice(0, 200)}`);
    await waitPaid(ref);
    const pm = payment(ref);
    assert.equal(pm.gateway, gateway);
    assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1'", pm.id)), 1, gateway);
    const ret = await c.get(`/payments/${ref}/return`);
    assert.match(ret.text_, new RegExp(`href="/orders/${pm.orderId}"`), `${gateway}: the return page links the order`);
  }
  await checkLedger(DB);
});

test('a declined payment stays unpaid and the order can be paid again', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckd', ['SELLER']);
  const buyer = user('ckbd');
  const gig = activeGig(seller, 'USD');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'stripe' });
  const ref = res.reference;
  await handOff(c, ref);
  await simPay('stripe', ref, 'decline');
  const failed = await waitFor(() => ['failed', 'cancelled'].includes(payment(ref).state), 20000);
  assert.ok(failed, `declined: ${JSON.stringify(payment(ref))}`);
  const pm = payment(ref);
  assert.equal(pm.orderState, 'awaiting_payment');
  const again = await c.post(`/orders/${pm.orderId}/pay`, { gateway: 'paypal', idempotency_key: idemKey() });
  assert.equal(again.status, 303);
  const ref2 = locationOf(again).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  await handOff(c, ref2);
  await simPay('paypal', ref2, 'approve');
  await waitPaid(ref2);
  assert.notEqual(payment(ref2).orderState, 'awaiting_payment');
  assert.notEqual(payment(ref).state, 'paid');
  await checkLedger(DB);
});

test('an accepted change order is paid into the same order\'s escrow', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckh', ['SELLER']);
  const buyer = user('ckbh');
  const gig = activeGig(seller, 'ZAR', { requirements: false });
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'payfast' });
  await handOff(c, res.reference);
  await simPay('payfast', res.reference, 'approve');
  await waitPaid(res.reference);
  const orderId = payment(res.reference).orderId;
  const held = Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", orderId));
  const cid = Number(sql(`INSERT INTO order_change_orders (order_id, description, amount_minor, buyer_fee_minor, added_days, state)
    VALUES (:'v1', 'Two more pages', 20000, 1100, 2, 'accepted') RETURNING id`, orderId).split('\n')[0]);
  const stranger = new Client(user('ckhx'));
  assert.equal((await stranger.post(`/orders/${orderId}/change-orders/${cid}/pay`, { gateway: 'payfast', idempotency_key: idemKey() })).status, 404);
  const key = idemKey();
  const r = await c.post(`/orders/${orderId}/change-orders/${cid}/pay`, { gateway: 'payfast', idempotency_key: key });
  assert.equal(r.status, 303, text(r).slice(0, 300));
  const ref = locationOf(r).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  const r2 = await c.post(`/orders/${orderId}/change-orders/${cid}/pay`, { gateway: 'payfast', idempotency_key: key });
  assert.equal(locationOf(r2), locationOf(r));
  assert.equal(payment(ref).amount, 21100);
  await handOff(c, ref);
  await simPay('payfast', ref, 'approve');
  await waitPaid(ref);
  assert.equal(sql("SELECT state FROM order_change_orders WHERE id = :'v1'", cid), 'paid');
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", orderId)), held + 21100);
  // paid: no second payment of it
  const r3 = await c.post(`/orders/${orderId}/change-orders/${cid}/pay`, { gateway: 'payfast', idempotency_key: idemKey() });
  assert.equal(r3.status, 409);
  await checkLedger(DB);
});

/** Buys @gig through PayFast in the simulator and cancels the order as its buyer. */
async function buyAndCancel(c, gig, before = () => {}) {
  const res = await checkout(c, gig, { gateway: 'payfast' });
  await handOff(c, res.reference);
  await simPay('payfast', res.reference, 'approve');
  await waitPaid(res.reference);
  const pm = payment(res.reference);
  before(pm);
  const r = await c.post(`/orders/${pm.orderId}/cancel`, { reason: 'Changed my mind', idempotency_key: idemKey() });
  assert.ok(r.status === 303 || r.status === 200, `cancel: ${r.status} ${text(r).slice(0, 300)}`);
  assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", pm.orderId), 'cancelled');
  return pm;
}

test('the refund job refunds a cancelled order through the gateway', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckf', ['SELLER']);
  const buyer = user('ckbf');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const pm = await buyAndCancel(c, gig);
  const done = await waitFor(() => sql("SELECT state FROM refunds WHERE payment_id = :'v1'", pm.id) === 'succeeded', 30000);
  assert.ok(done, `refund succeeded: ${sql("SELECT state || ' ' || coalesce(error, '') FROM refunds WHERE payment_id = :'v1'", pm.id)}`);
  assert.equal(Number(sql("SELECT refunded_minor FROM payments WHERE id = :'v1'", pm.id)), pm.amount);
  assert.notEqual(sql("SELECT coalesce(gateway_refund_id, '') FROM refunds WHERE payment_id = :'v1'", pm.id), '');
  assert.equal(Number(sql("SELECT coalesce(sum(balance_minor), 0) FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = :'v1'", buyer.id)), 0);
  await checkLedger(DB);
});

test('a refund the gateway refuses becomes buyer credit', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckfr', ['SELLER']);
  const buyer = user('ckbfr');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  // a payment id PayFast cannot refund: the adapter refuses it for good
  const pm = await buyAndCancel(c, gig, (p) => sql("UPDATE payments SET gateway_txn_id = 'not-a-pf-id-' || id WHERE id = :'v1'", p.id));
  const done = await waitFor(() => sql("SELECT state FROM refunds WHERE payment_id = :'v1'", pm.id) === 'failed', 30000);
  assert.ok(done, 'refund failed');
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = :'v1' AND currency = 'ZAR'", buyer.id)), pm.amount);
  assert.ok(Number(sql("SELECT count(*) FROM order_events WHERE order_id = :'v1' AND kind = 'refunded'", pm.orderId)) >= 2);
  await checkLedger(DB);
});

test('PayPal: the capture after an approved order is retried while the API fails; paid once it answers', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckpp', ['SELLER']);
  const buyer = user('ckbpp');
  const gig = activeGig(seller, 'USD');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'paypal' });
  const ref = res.reference;
  await handOff(c, ref);
  await simControl({ reference: ref, status_api: 'error' });
  try {
    await simPay('paypal', ref, 'approve');
    const refused = await waitFor(async () => (await simLog()).some((e) => e.kind === 'notify' && e.reference === ref && e.status === 503), 20000);
    assert.ok(refused, 'the approved-order notification is answered 503 while the status API fails');
    assert.equal(payment(ref).state, 'pending');
    assert.equal(payment(ref).orderState, 'awaiting_payment');
  } finally {
    await simControl({ reference: ref, status_api: null });
  }
  await waitPaid(ref);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1'", payment(ref).id)), 1);
  await checkLedger(DB);
});

test('a correctly signed ITN that PayFast does not confirm (validate answers INVALID) is refused', { skip: !havePaysim() && 'souk-paysim is not running' }, async () => {
  const seller = user('ckv', ['SELLER']);
  const buyer = user('ckbv');
  const gig = activeGig(seller, 'ZAR');
  const res = await checkout(new Client(buyer), gig, { gateway: 'payfast' });
  const pm = payment(res.reference);
  // signed by this test with the right passphrase, but never sent by PayFast
  const { pairs, signature } = itnBody(res.reference, pm.amount);
  const body = formBody([...pairs, ['signature', signature]]);
  const r = await postItn(body);
  assert.ok(r.status >= 400 && r.status < 500, `refused: ${r.status}`);
  const reason = sql("SELECT reason FROM gateway_rejections WHERE request_id = :'v1'", r.headers.get('x-request-id'));
  assert.match(reason, /VALID/, `refused by the server confirmation: ${reason}`);
  assert.equal(payment(res.reference).state, 'created');
  assert.equal(Number(sql("SELECT count(*) FROM gateway_notifications WHERE payment_id = :'v1'", pm.id)), 0);
  await checkLedger(DB);
});

// ---- a temporary failure is not a rejection ----

test("PayFast's validate endpoint down or silent: 503, logged with the request id, no rejection recorded", { skip: noSim, timeout: 60000 }, async () => {
  const seller = user('ckvd', ['SELLER']);
  const buyer = user('ckbvd');
  const gig = activeGig(seller, 'ZAR');
  const res = await checkout(new Client(buyer), gig, { gateway: 'payfast' });
  const pm = payment(res.reference);
  const { pairs, signature } = itnBody(res.reference, pm.amount);
  const body = formBody([...pairs, ['signature', signature]]);
  try {
    for (const mode of ['error', 'timeout']) {
      await simControl({ reference: res.reference, validate: mode });
      const r = await postItn(body);
      assert.equal(r.status, 503, `validate ${mode}: try again later (${r.status})`);
      const rid = r.headers.get('x-request-id');
      assert.ok(rid, 'a request id');
      assert.equal(sql("SELECT count(*) FROM gateway_rejections WHERE request_id = :'v1'", rid), '0',
        `validate ${mode}: a temporary failure is not a rejection`);
      if (SOUK_LOG && existsSync(SOUK_LOG)) {
        const logged = await waitFor(() => readFileSync(SOUK_LOG, 'utf8').split('\n')
          .some((l) => l.includes(`request_id=${rid}`) && /retry later/.test(l)), 5000);
        assert.ok(logged, `validate ${mode}: souk-web logs the retry with request_id=${rid}`);
      }
    }
  } finally {
    await simControl({ reference: res.reference, validate: null });
  }
  assert.equal(sql("SELECT count(*) FROM gateway_rejections WHERE body LIKE '%' || :'v1' || '%'", res.reference), '0');
  assert.equal(payment(res.reference).state, 'created');
  assert.equal(payment(res.reference).orderState, 'awaiting_payment');
  assert.equal(Number(sql("SELECT count(*) FROM gateway_notifications WHERE payment_id = :'v1'", pm.id)), 0);
  await checkLedger(DB);
});

// ---- the refund job run twice at once ----


test('the refund job run twice at once calls the gateway once, succeeds, and adds no buyer credit', {
  skip: noSim || (!(WORKER && WORKER_PIDFILE) && 'no SOUK_TEST_WORKER_BIN / SOUK_TEST_WORKER_PIDFILE'), timeout: 90000,
}, async () => {
  const seller = user('ckrr', ['SELLER']);
  const buyer = user('ckbrr');
  const gig = activeGig(seller, 'USD');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'stripe' });
  await handOff(c, res.reference);
  await simPay('stripe', res.reference, 'approve');
  await waitPaid(res.reference);
  const pm = payment(res.reference);
  const since = Math.max(0, ...(await simLog()).map((e) => e.seq));
  const refundId = await cancelWithRefundRunTwice(c, pm.orderId);
  // the key the gateway sees: the refund's own, ':' written '-' (src/payments/payments.h)
  const key = sql("SELECT idempotency_key FROM refunds WHERE id = :'v1'", refundId).replace(/[^A-Za-z0-9_-]/g, '-');
  const refundCalls = async () => (await simLog({ since })).filter((e) => e.kind === 'api' && e.gateway === 'stripe' &&
    e.path === '/v1/refunds' && e.idempotency_key === key);
  const calls = await refundCalls();
  assert.equal(calls.length, 1, `one call to Stripe's refund API, with the refund's idempotency key: ${JSON.stringify(calls)}`);
  assert.equal(calls[0].status, 200);
  assert.equal(calls[0].replayed, false);
  const r = sql("SELECT state || ' ' || attempts || ' ' || coalesce(gateway_refund_id, '') FROM refunds WHERE id = :'v1'", refundId).split(' ');
  assert.equal(r[0], 'succeeded');
  assert.equal(r[1], '1', 'one attempt: the second run found it claimed');
  assert.match(r[2], /^re_/);
  assert.equal(Number(sql("SELECT refunded_minor FROM payments WHERE id = :'v1'", pm.id)), pm.amount);
  assert.equal(Number(sql(`SELECT coalesce(sum(balance_minor), 0) FROM ledger_balances WHERE kind = 'buyer_credit'
    AND user_id = :'v1'`, buyer.id)), 0, 'no buyer credit on top of the gateway refund');
  assert.equal(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'refund_fallback:' || :'v1'", refundId), '0');
  // a third run, later (a retried job): done before, no call
  sql(`INSERT INTO jobs (kind, payload) VALUES ('refund', jsonb_build_object('refund_id', :'v1'::bigint));
       SELECT pg_notify('souk_jobs', '')`, refundId);
  assert.ok(await waitFor(() => sql(`SELECT count(*) FROM jobs WHERE kind = 'refund' AND payload->>'refund_id' = :'v1'
    AND status <> 'done'`, refundId) === '0', 20000), 'the third run is done');
  assert.equal((await refundCalls()).length, 1, 'still one call');
  await checkLedger(DB);
});

// ---- stray payments: money that arrives when the order no longer waits for it ----

/** The refund of stray payment @pm: waits until the refund job is done, checks it all. */
async function strayRefunded(pm, orderState) {
  const p = sql("SELECT state || ' ' || stray FROM payments WHERE id = :'v1'", pm.id);
  assert.equal(p, 'paid true', 'the money is booked as a paid, stray payment');
  const done = await waitFor(() => sql("SELECT state FROM refunds WHERE payment_id = :'v1'", pm.id) === 'succeeded', 30000);
  assert.ok(done, `the stray payment is refunded through the gateway: ${sql("SELECT state || ' ' || coalesce(error, '') FROM refunds WHERE payment_id = :'v1'", pm.id)}`);
  assert.equal(Number(sql("SELECT amount_minor FROM refunds WHERE payment_id = :'v1'", pm.id)), pm.amount);
  assert.equal(Number(sql("SELECT refunded_minor FROM payments WHERE id = :'v1'", pm.id)), pm.amount);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1' AND kind = 'payment'", pm.id)), 1, 'booked once');
  assert.equal(Number(sql("SELECT count(*) FROM order_events WHERE order_id = :'v1' AND kind = 'stray_payment_refunded' AND (data->>'payment_id')::bigint = :'v2'", pm.orderId, pm.id)), 1,
    'a stray_payment_refunded event');
  assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", pm.orderId), orderState, 'the order is not touched');
  const answered = (await simLog({ reference: pm.ref, kind: 'notify' })).filter((e) => e.status);
  assert.ok(answered.length >= 1 && answered.every((e) => Number(e.status) === 200), `the gateway is acknowledged: ${JSON.stringify(answered.map((e) => e.status))}`);
  await checkLedger(DB);
}

test('a payment confirmed after its order was cancelled is booked and sent back', { skip: noSim, timeout: 60000 }, async () => {
  const seller = user('ckst', ['SELLER']);
  const buyer = user('ckbst');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'payfast' });
  await handOff(c, res.reference);
  const pm = { ...payment(res.reference), ref: res.reference };
  const r = await c.post(`/orders/${pm.orderId}/cancel`, { reason: 'Found another seller', idempotency_key: idemKey() });
  assert.equal(r.status, 303, `cancel: ${r.status} ${text(r).slice(0, 200)}`);
  assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", pm.orderId), 'cancelled');
  // the buyer had already paid at the gateway: its ITN arrives now
  await simPay('payfast', res.reference, 'approve');
  assert.ok(await waitFor(() => payment(res.reference).state === 'paid', 20000), 'the ITN is processed');
  await strayRefunded(pm, 'cancelled');
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", pm.orderId)), 0);
});

test('a second payment captured after the order was paid by another is booked and sent back', { skip: noSim, timeout: 60000 }, async () => {
  const seller = user('ck2p', ['SELLER']);
  const buyer = user('ckb2p');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'payfast' });
  await handOff(c, res.reference);
  const first = { ...payment(res.reference), ref: res.reference };
  // a second tab: pay the same order again, and that one is paid first
  const again = await c.post(`/orders/${first.orderId}/pay`, { gateway: 'payfast', idempotency_key: idemKey() });
  assert.equal(again.status, 303);
  const ref2 = locationOf(again).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  await handOff(c, ref2);
  await simPay('payfast', ref2, 'approve');
  await waitPaid(ref2);
  const state = payment(ref2).orderState;
  assert.notEqual(state, 'awaiting_payment');
  const held = Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", first.orderId));
  assert.equal(held, payment(ref2).amount);
  // then the first tab's payment is captured too
  await simPay('payfast', res.reference, 'approve');
  assert.ok(await waitFor(() => payment(res.reference).state === 'paid', 20000), 'the ITN is processed');
  await strayRefunded(first, state);
  assert.equal(sql("SELECT stray FROM payments WHERE reference = :'v1'", ref2), 'f', 'the payment that paid the order is not stray');
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", first.orderId)), held,
    'the escrow still holds the order\'s one payment');
  assert.equal(Number(sql("SELECT count(*) FROM payments WHERE order_id = :'v1' AND state = 'paid' AND NOT stray", first.orderId)), 1);
});

// ---- the hand-off when the gateway does not answer ----

test('the gateway does not answer the hand-off: nothing charged, the order waits, a retry works', { skip: noSim, timeout: 60000 }, async () => {
  const seller = user('ckto', ['SELLER']);
  const buyer = user('ckbto');
  const gig = activeGig(seller, 'USD');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'stripe' });
  const ref = res.reference;
  try {
    for (const mode of ['error', 'timeout']) {
      await simControl({ reference: ref, start: mode });
      const go = await c.get(`/payments/${ref}/go`);
      assert.equal(go.status, 503, `start ${mode}: ${go.status}`);
      assert.match(go.text_, /did not answer/);
      assert.match(go.text_, new RegExp(`href="/payments/${ref}/go"`), 'a try-again link');
      assert.equal(go.headers.get('retry-after'), '5');
      const pm = payment(ref);
      assert.equal(pm.state, 'created', `start ${mode}: the payment is not started`);
      assert.equal(pm.orderState, 'awaiting_payment');
      assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1'", pm.id)), 0);
    }
    const faults = (await simLog({ reference: ref })).filter((e) => e.kind === 'api' && e.fault);
    assert.equal(faults.length, 2, 'the simulator saw both attempts');
  } finally {
    await simControl({ reference: ref, start: null });
  }
  // the provider is back: the same payment goes through, once
  const go = await c.get(`/payments/${ref}/go`);
  assert.equal(go.status, 200);
  assert.ok(formOf(go.text_, 'gateway-form'), 'the hand-off form');
  await handOff(c, ref);
  await simPay('stripe', ref, 'approve');
  await waitPaid(ref);
  const pm = payment(ref);
  assert.notEqual(pm.orderState, 'awaiting_payment');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE payment_id = :'v1'", pm.id)), 1, 'charged once');
  assert.equal(Number(sql("SELECT count(*) FROM payments WHERE order_id = :'v1'", pm.orderId)), 1);
  await checkLedger(DB);
});
