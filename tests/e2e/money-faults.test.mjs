// souk-e2e: serial (pauses the shared souk-worker; ./dev test runs it alone)
// Faults on the money path, driven through souk-paysim's control knobs
// (POST /_control) and plain HTTP: duplicated, delayed, out-of-order,
// tampered (amount, signature, source address) and replayed notifications;
// PayFast's validate endpoint failing or not answering (503 answered, the
// gateway's retry succeeds); a payment cancelled at the gateway and paid again with another
// method (one charge); a refund larger than the
// escrow holds; someone else's order (404); a revision beyond the package's
// limit; a delivery on a cancelled order (409); a cancellation refunded
// through the gateway (PayFast, Stripe) exactly once even when its refund
// job runs twice at the same moment.  The ledger's invariants hold after
// each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLedger } from './ledger-check.mjs';
import {
  sql, sqlFails, user, activeGig, Client, checkout, handOff, simControl, simLog, simPay, simTxn,
  payment, waitFor, waitPaid, buy, locationOf, text, idemKey, tinyPng, havePaysim, cancelWithRefundRunTwice,
} from './money-helpers.mjs';

const WORKER = process.env.SOUK_TEST_WORKER_BIN;
const WORKER_PIDFILE = process.env.SOUK_TEST_WORKER_PIDFILE;

const skip = !havePaysim() && 'no SOUK_TEST_PAYSIM_URL (souk-paysim not started)';
const T = { skip, timeout: 90000 };

let shared;
/** One seller with a ZAR and a USD gig (basic package: 1 revision), made once. */
function setup() {
  if (!shared) {
    const seller = user('fs', ['SELLER']);
    shared = { seller, zar: activeGig(seller, 'ZAR'), usd: activeGig(seller, 'USD') };
  }
  return shared;
}

/** A checkout handed over to the simulator, not approved yet: {b, buyer, ref, p}. */
async function started(gateway, gig) {
  const buyer = user('fb');
  const b = new Client(buyer);
  const res = await checkout(b, gig, { gateway });
  assert.equal(res.status, 303, `checkout: ${res.status} ${text(res).slice(0, 300)}`);
  await handOff(b, res.reference);
  return { b, buyer, ref: res.reference, p: payment(res.reference) };
}

/** The simulator's log entries for @ref (notification attempts and their answers). */
async function attempts(ref) {
  return simLog({ reference: ref, kind: 'notify' });
}
const statusOf = (e) => Number(e.status);

const notifications = (ref) => Number(sql(`SELECT count(*) FROM gateway_notifications n JOIN payments p ON p.id = n.payment_id
  WHERE p.reference = :'v1'`, ref));
/** The reasons of the rejections of @gateway after id @id whose body names payment @ref. */
const rejectionsSince = (id, gateway, ref) => sql(`SELECT coalesce(string_agg(reason, '|' ORDER BY id), '') FROM gateway_rejections
  WHERE id > :'v1' AND gateway = :'v2' AND strpos(body, :'v3') > 0`, id, gateway, ref);
const lastRejection = () => Number(sql('SELECT coalesce(max(id), 0) FROM gateway_rejections'));
const ledgerPostings = (ref) => Number(sql(`SELECT count(*) FROM ledger_transactions t JOIN payments p ON p.id = t.payment_id
  WHERE p.reference = :'v1'`, ref));

test('a notification duplicated 3 times pays once; 3 acknowledgements', T, async () => {
  const { zar } = setup();
  const s = await started('payfast', zar);
  await simControl({ reference: s.ref, duplicate: 3 });
  await simPay('payfast', s.ref, 'approve');
  await waitPaid(s.ref);
  const seen = await waitFor(async () => {
    const a = (await attempts(s.ref)).filter((e) => statusOf(e) === 200);
    return a.length >= 3 && a;
  }, 15000);
  assert.ok(seen, `three deliveries acknowledged with 200: ${JSON.stringify(await attempts(s.ref)).slice(0, 600)}`);
  assert.equal(notifications(s.ref), 1, 'one gateway_notifications row');
  assert.equal(ledgerPostings(s.ref), 1, 'one ledger posting');
  assert.equal(payment(s.ref).orderState, 'awaiting_requirements');
  await checkLedger();
});

test('a delayed notification: the return page confirms later, never marks paid itself', T, async () => {
  const { zar } = setup();
  const s = await started('payfast', zar);
  await simControl({ reference: s.ref, delay_ms: 3000 });
  await simPay('payfast', s.ref, 'approve');
  const ret = await s.b.get(`/payments/${s.ref}/return`);
  assert.equal(ret.status, 200);
  assert.match(text(ret), /Confirming your payment/, 'the return page waits for the confirmation');
  assert.equal(payment(s.ref).state === 'paid', false, 'not paid before the notification arrives');
  assert.equal(payment(s.ref).orderState, 'awaiting_payment');
  await waitPaid(s.ref, 30000);
  assert.match(text(await s.b.get(`/payments/${s.ref}/return`)), /Payment received/);
  assert.equal(ledgerPostings(s.ref), 1);
  await checkLedger();
});

test('out-of-order notifications (final before pending) end paid and never go back', T, async () => {
  const { zar } = setup();
  const s = await started('ozow', zar);
  await simControl({ reference: s.ref, pending: true, order: 'reverse' });
  await simPay('ozow', s.ref, 'approve');
  await waitPaid(s.ref);
  // both notifications delivered, the final one first, and acknowledged
  const both = await waitFor(async () => {
    const a = await attempts(s.ref);
    return a.filter((e) => e.acked).length >= 2 && a;
  }, 15000);
  assert.ok(both, `two notifications acknowledged: ${JSON.stringify(await attempts(s.ref)).slice(0, 400)}`);
  assert.deepEqual(both.filter((e) => e.attempt === 1).map((e) => e.event), ['Complete', 'Pending'], 'Complete was sent before Pending');
  const p = payment(s.ref);
  assert.equal(p.state, 'paid', 'a later Pending does not undo Complete');
  assert.equal(p.orderState, 'awaiting_requirements');
  assert.equal(ledgerPostings(s.ref), 1);
  await checkLedger();
});

for (const [tamper, why] of [['amount', /amount/i], ['signature', /signature/i], ['source', /source|address|allow/i]]) {
  test(`a notification with a tampered ${tamper} is refused, recorded and changes nothing`, T, async () => {
    const { zar } = setup();
    const s = await started('payfast', zar);
    const since = lastRejection();
    await simControl({ reference: s.ref, tamper });
    await simPay('payfast', s.ref, 'approve');
    const refused = await waitFor(() => rejectionsSince(since, 'payfast', s.ref), 15000);
    assert.match(refused || '', why, `a gateway_rejections row naming the ${tamper}: ${refused}`);
    assert.ok(Number(sql(`SELECT count(*) FROM gateway_rejections WHERE id > :'v1' AND request_id <> ''
      AND strpos(body, :'v2') > 0`, since, s.ref)) >= 1, 'recorded with the request id');
    const a = await attempts(s.ref);
    assert.ok(a.some((e) => statusOf(e) >= 400), `the simulator was refused: ${JSON.stringify(a).slice(0, 400)}`);
    const p = payment(s.ref);
    assert.notEqual(p.state, 'paid');
    assert.equal(p.orderState, 'awaiting_payment', 'the order still awaits payment');
    assert.equal(notifications(s.ref), 0);
    assert.equal(ledgerPostings(s.ref), 0);
    await checkLedger();
  });
}

test('a replayed notification (the same bytes after the acknowledgement) changes nothing', T, async () => {
  const { usd } = setup();
  const s = await started('stripe', usd);
  await simControl({ reference: s.ref, replay: true });
  await simPay('stripe', s.ref, 'approve');
  await waitPaid(s.ref);
  const replay = await waitFor(async () => (await attempts(s.ref)).find((e) => e.copy === 'replay'), 15000);
  assert.ok(replay, `the simulator replayed the webhook: ${JSON.stringify(await attempts(s.ref)).slice(0, 400)}`);
  assert.equal(statusOf(replay), 200, 'a replay is acknowledged as a duplicate');
  assert.equal(notifications(s.ref), 1, 'one gateway_notifications row');
  assert.equal(ledgerPostings(s.ref), 1, 'still one posting');
  assert.equal(payment(s.ref).orderState, 'awaiting_requirements');
  await checkLedger();
});

test('a webhook signed outside the 5-minute tolerance (a stale replay) is refused', T, async () => {
  const { usd } = setup();
  const s = await started('stripe', usd);
  const since = lastRejection();
  await simControl({ reference: s.ref, stale_s: 900 });
  await simPay('stripe', s.ref, 'approve');
  const refused = await waitFor(() => rejectionsSince(since, 'stripe', s.ref), 15000);
  assert.ok(refused, 'a gateway_rejections row');
  const a = await attempts(s.ref);
  assert.ok(a.length >= 1 && a.every((e) => statusOf(e) >= 400), `refused: ${JSON.stringify(a.map(statusOf))}`);
  const p = payment(s.ref);
  assert.notEqual(p.state, 'paid');
  assert.equal(p.orderState, 'awaiting_payment');
  assert.equal(notifications(s.ref), 0);
  assert.equal(ledgerPostings(s.ref), 0);
  await checkLedger();
});

for (const mode of ['error', 'timeout']) {
  test(`PayFast's validate endpoint ${mode === 'error' ? 'failing (HTTP 500)' : 'not answering'}: 503, then the gateway's retry is paid once`, T, async () => {
    const { zar } = setup();
    const s = await started('payfast', zar);
    const since = lastRejection();
    await simControl({ reference: s.ref, validate: mode });
    await simPay('payfast', s.ref, 'approve');
    const got503 = await waitFor(async () => (await attempts(s.ref)).some((e) => statusOf(e) === 503), 25000);
    assert.ok(got503, `souk answered 503 while validation was down: ${JSON.stringify(await attempts(s.ref)).slice(0, 400)}`);
    assert.equal(payment(s.ref).orderState, 'awaiting_payment', 'nothing changed on a 503');
    assert.equal(notifications(s.ref), 0);
    assert.equal(rejectionsSince(since, 'payfast', s.ref), '', 'a retryable failure is not a rejection');
    // validation is back: the simulator's next retry goes through
    await simControl({ reference: s.ref, validate: null });
    await waitPaid(s.ref, 45000);
    assert.ok((await attempts(s.ref)).some((e) => statusOf(e) === 200), 'a later attempt acknowledged');
    assert.equal(notifications(s.ref), 1);
    assert.equal(ledgerPostings(s.ref), 1);
    await checkLedger();
  });
}

test('an awaiting-payment order can be paid again with a new attempt; charged once', T, async () => {
  const { zar } = setup();
  const s = await started('payfast', zar);
  await simPay('payfast', s.ref, 'cancel');
  const cancel = await s.b.get(`/payments/${s.ref}/cancel`);
  assert.equal(cancel.status, 200);
  assert.equal(payment(s.ref).orderState, 'awaiting_payment');
  const again = await s.b.post(`/orders/${s.p.orderId}/pay`, { gateway: 'ozow', idempotency_key: idemKey() });
  assert.equal(again.status, 303, `pay again: ${again.status} ${text(again).slice(0, 300)}`);
  const ref2 = locationOf(again).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  assert.notEqual(ref2, s.ref);
  await handOff(s.b, ref2);
  await simPay('ozow', ref2, 'approve');
  await waitPaid(ref2);
  assert.equal(Number(sql("SELECT count(*) FROM payments WHERE order_id = :'v1' AND state = 'paid'", s.p.orderId)), 1);
  assert.equal(payment(ref2).orderState, 'awaiting_requirements');
  await checkLedger();
});

test('a refund larger than the escrow holds is refused by the ledger', T, async () => {
  const { zar } = setup();
  const buyer = user('fb');
  const { ref, orderId } = await buy(new Client(buyer), zar, { gateway: 'payfast' });
  const held = Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", orderId));
  assert.equal(held, payment(ref).total);
  const r = sqlFails(`SELECT ledger_post('refund', :'v1', NULL, NULL, 'too much', NULL, 'ZAR',
      ARRAY['escrow', 'refunds'], ARRAY[NULL, NULL]::bigint[], ARRAY[:'v1', NULL]::bigint[],
      ARRAY[NULL, NULL], ARRAY[-(:'v2')::bigint, (:'v2')::bigint])`, orderId, held + 1);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot take/, r.stderr);
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", orderId)), held);
  await checkLedger();
});

test("someone else's order is 404 everywhere", T, async () => {
  const { zar, seller } = setup();
  const buyer = user('fb');
  const b = new Client(buyer);
  const { ref, orderId } = await buy(b, zar, { gateway: 'payfast' });
  const other = new Client(user('fo'));
  for (const path of [`/orders/${orderId}`, `/orders/${orderId}/receipt.pdf`, `/payments/${ref}/return`, `/payments/${ref}/go`])
    assert.equal((await other.get(path)).status, 404, `GET ${path} by a stranger`);
  for (const [path, fields] of [
    [`/orders/${orderId}/requirements`, { answer_1: 'mine now' }],
    [`/orders/${orderId}/accept`, {}],
    [`/orders/${orderId}/cancel`, { reason: 'not mine', idempotency_key: idemKey() }],
    [`/orders/${orderId}/revision`, { reason: 'not mine' }],
    [`/orders/${orderId}/messages`, { body: 'hello' }],
    [`/orders/${orderId}/pay`, { gateway: 'payfast', idempotency_key: idemKey() }],
  ])
    assert.equal((await other.post(path, fields)).status, 404, `POST ${path} by a stranger`);
  assert.equal((await new Client(seller).get(`/orders/${orderId}`)).status, 200, 'the seller sees it');
  assert.equal((await b.get(`/orders/${orderId}`)).status, 200, 'the buyer sees it');
  assert.equal(payment(ref).orderState, 'awaiting_requirements', 'unchanged');
  await checkLedger();
});

/** A paid order of @gig past its requirements: {b, s, orderId}. */
async function inProgress(gig) {
  const { seller } = setup();
  const buyer = user('fb');
  const b = new Client(buyer);
  const { orderId } = await buy(b, gig, { gateway: 'payfast' });
  const r = await b.postMultipart(`/orders/${orderId}/requirements`, { answer_1: 'Acme' });
  assert.equal(r.status, 303, `requirements: ${r.status} ${text(r).slice(0, 300)}`);
  assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", orderId), 'in_progress');
  return { b, s: new Client(seller), orderId };
}
const deliver = (s, orderId, n) => s.postMultipart(`/orders/${orderId}/deliver`, { message: `Version ${n}` },
  [{ field: 'file', name: `v${n}.png`, type: 'image/png', data: tinyPng() }]);

test("a revision beyond the package's limit is refused", T, async () => {
  const { zar } = setup();
  const { b, s, orderId } = await inProgress(zar);
  assert.equal(sql("SELECT revisions_allowed FROM orders WHERE id = :'v1'", orderId), '1');
  let r = await deliver(s, orderId, 1);
  assert.equal(r.status, 303, `deliver: ${r.status} ${text(r).slice(0, 300)}`);
  r = await b.post(`/orders/${orderId}/revision`, { reason: 'Bigger, please.' });
  assert.equal(r.status, 303, `first revision: ${r.status}`);
  r = await deliver(s, orderId, 2);
  assert.equal(r.status, 303);
  r = await b.post(`/orders/${orderId}/revision`, { reason: 'And again.' });
  assert.ok([409, 422].includes(r.status), `a second revision of a 1-revision package is refused: ${r.status}`);
  assert.match(text(r), /revision/i, 'the page says why');
  assert.equal(sql("SELECT state || ' ' || revisions_used FROM orders WHERE id = :'v1'", orderId), 'delivered 1');
  await checkLedger();
});


for (const [gateway, cur] of [['stripe', 'usd'], ['payfast', 'zar']]) {
  test(`${gateway}: a cancellation is refunded through the gateway exactly once although the refund job runs twice at once; a delivery then is 409`, {
    ...T, skip: skip || (!(WORKER && WORKER_PIDFILE) && 'no SOUK_TEST_WORKER_BIN / SOUK_TEST_WORKER_PIDFILE'),
  }, async () => {
    const gig = setup()[cur];
    const buyer = user('fb');
    const b = new Client(buyer);
    const { ref, orderId } = await buy(b, gig, { gateway });
    const total = payment(ref).total;
    // requirements never submitted: the buyer may cancel alone
    const refundId = await cancelWithRefundRunTwice(b, orderId);
    assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", orderId), 'cancelled');
    const diag = () => sql(`SELECT r.state || ' method=' || r.method || ' error=' || coalesce(r.error, '')
        || ' attempts=' || r.attempts || ' payments.refunded_minor=' || p.refunded_minor
        || ' buyer_credit=' || coalesce((SELECT sum(balance_minor) FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = p.buyer_id), 0)
        || ' jobs=' || (SELECT string_agg(j.id || ':' || j.status || ':' || j.attempts || ':' || coalesce(j.last_error, ''), ', ' ORDER BY j.id)
                        FROM jobs j WHERE j.kind = 'refund' AND j.payload->>'refund_id' = r.id::text)
      FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = :'v1'`, refundId);
    const atSim = await simTxn(gateway, ref);
    console.log(`${gateway} refund run twice: ${diag()}`);
    const where = `souk: ${diag()}; simulator: ${JSON.stringify(atSim.refunds)}`;
    assert.equal(atSim.refunds.length, 1, `the simulator recorded one refund (${where})`);
    assert.equal(atSim.refunded_minor, total, `the whole total refunded once (${where})`);
    assert.equal(sql("SELECT state FROM refunds WHERE id = :'v1'", refundId), 'succeeded', `the refund succeeded (${where})`);
    assert.ok(sql("SELECT gateway_refund_id FROM refunds WHERE id = :'v1'", refundId), 'the gateway refund id is kept');
    assert.equal(Number(sql("SELECT refunded_minor FROM payments WHERE reference = :'v1'", ref)), total, where);
    assert.equal(Number(sql(`SELECT coalesce(sum(balance_minor), 0) FROM ledger_balances WHERE kind = 'buyer_credit'
      AND user_id = :'v1'`, buyer.id)), 0, `no buyer credit on top of the gateway refund (${where})`);
    assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", orderId)), 0);
    assert.equal(sql("SELECT string_agg(kind, ',' ORDER BY id) FROM ledger_transactions WHERE order_id = :'v1' AND kind LIKE '%refund%'", orderId),
      'refund', 'one refund posting, no fallback to credit');

    // a delivery on the cancelled order
    const d = await deliver(new Client(setup().seller), orderId, 1);
    assert.equal(d.status, 409, `delivery on a cancelled order: ${d.status}`);
    assert.equal(sql("SELECT state FROM orders WHERE id = :'v1'", orderId), 'cancelled');
    await checkLedger();
  });
}
