// Settling stuck refunds by hand in the FINANCE console (src/admin/finance.c):
// a gateway refund the "refund" job gave up on (a refusal after an earlier
// attempt, or no answer after its last attempt) stays 'requested' (or a stale
// 'processing') with no refund job queued or running.  FINANCE then
//
//   POST /admin/finance/refunds/{id}/retry    a fresh "refund" job (one row),
//        the claim back to 'requested'; against souk-paysim a real Stripe
//        payment is refunded exactly once;
//   POST /admin/finance/refunds/{id}/credit   note; 'failed' + the money to
//        buyer credit (one refund_fallback posting), a "refund_credited"
//        order event on the timeline; a second POST is 409;
//   POST /admin/finance/refunds/{id}/settled  note; 'succeeded',
//        payments.refunded_minor += amount, no ledger posting.
//
// Every action is audited; SUPPORT gets 403, an unknown id 404, a refund
// that is not stuck 409, a missing or too long note 422 with the note kept.
// The stuck refunds are made in SQL the way orders_cancel() and the refund
// job leave them: a paid order (payment + ledger_payment posting), then in
// one transaction the cancellation, the refunds row and ledger_refund's
// posting (escrow -> refunds).  The ledger's invariants
// (tests/e2e/ledger-check.mjs) are checked after each test.
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { stripTags } from './helpers.mjs';
import { sql, user, Client, activeGig, locationOf, RUN, PAYSIM, waitFor, buy, simTxn } from './money-helpers.mjs';
import { checkLedger } from './ledger-check.mjs';

let finance, fc, support, sc, seller, buyer, bc, usdGig;
let seq = 0;

before(() => {
  finance = user('rfin', ['FINANCE']);
  fc = new Client(finance);
  support = user('rsup', ['SUPPORT']);
  sc = new Client(support);
  seller = user('rsel', ['SELLER']);
  buyer = user('rbuy');
  bc = new Client(buyer);
  usdGig = activeGig(seller, 'USD', { requirements: false });
});

afterEach(async () => {
  await checkLedger();
});

/**
 * A cancelled order of @buyer whose whole payment waits in a stuck gateway
 * refund (@state 'requested' or 'processing', @attempts, @error), no job.
 * @paid: an existing paid order {orderId, paymentId, total} to cancel
 * instead of one made in SQL.  Returns {orderId, paymentId, refundId, total}.
 */
function stuckRefund({ state = 'requested', attempts = 3, error = 'card_declined after an earlier attempt', paid } = {}) {
  let orderId, paymentId, total;
  if (paid) {
    ({ orderId, paymentId, total } = paid);
  } else {
    const price = usdGig.packages.basic.price;
    const fee = Math.floor((price * 550 + 5000) / 10000);
    total = price + fee;
    orderId = Number(sql(`INSERT INTO orders (buyer_id, seller_id, gig_id, package_tier, package_name, gig_title,
        quantity, currency, unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps,
        delivery_days, revisions_allowed)
      VALUES (:'v1', :'v2', :'v3', 'basic', 'Basic', :'v4', 1, 'USD', :'v5', :'v5', :'v6', :'v7', 2000, 5, 1)
      RETURNING id`, buyer.id, seller.id, usdGig.id, usdGig.title, price, fee, total).split('\n')[0]);
    // as payments_confirm() leaves it: the paid payment, ledger_payment's posting, the order moved on
    paymentId = Number(sql(`BEGIN;
      WITH p AS (INSERT INTO payments (order_id, buyer_id, gateway, currency, amount_minor, state, reference,
          gateway_txn_id, paid_at)
        VALUES (:'v1', :'v2', 'stripe', 'USD', :'v3', 'paid', :'v4', :'v5', souk_now()) RETURNING id)
      SELECT p.id FROM p, LATERAL (SELECT ledger_post('payment', :'v1'::bigint, p.id, NULL, 'stripe',
        'payment:' || p.id, 'USD', ARRAY['gateway_clearing', 'escrow'], ARRAY[NULL, NULL]::bigint[],
        ARRAY[NULL, :'v1'::bigint], ARRAY['stripe', NULL]::text[], ARRAY[-(:'v3'::bigint), :'v3'::bigint])) l;
      UPDATE orders SET state = 'awaiting_requirements' WHERE id = :'v1';
      INSERT INTO order_events (order_id, kind) VALUES (:'v1', 'paid');
      COMMIT;`, orderId, buyer.id, total, `rf${RUN}x${++seq}`.replace(/[^A-Za-z0-9]/g, ''),
    `pi_e2e_${RUN}_${seq}`).split('\n')[0]);
  }
  // as orders_cancel() then the refund job leave it: cancelled, refund booked (escrow -> refunds), stuck
  const refundId = Number(sql(`BEGIN;
    UPDATE orders SET state = 'cancelled', cancelled_at = souk_now(), cancel_reason = 'e2e stuck refund'
      WHERE id = :'v1';
    WITH r AS (INSERT INTO refunds (order_id, payment_id, amount_minor, currency, method, state, idempotency_key,
        attempts, error)
      VALUES (:'v1', :'v2', :'v3', 'USD', 'gateway', :'v4', :'v5', :'v6', NULLIF(:'v7', '')) RETURNING id)
    SELECT r.id FROM r, LATERAL (SELECT ledger_post('refund', :'v1'::bigint, NULL, NULL, '', 'refund:' || r.id,
      'USD', ARRAY['escrow', 'refunds'], ARRAY[NULL, NULL]::bigint[], ARRAY[:'v1'::bigint, NULL],
      ARRAY[NULL, NULL]::text[], ARRAY[-(:'v3'::bigint), :'v3'::bigint])) l;
    INSERT INTO order_events (order_id, kind, data) VALUES (:'v1', 'cancelled', '{}');
    COMMIT;`, orderId, paymentId, total, state, `refund:e2e:${RUN}:${orderId}`, attempts, error).split('\n')[0]);
  assert.ok(refundId > 0, 'the stuck refund');
  return { orderId, paymentId, refundId, total };
}

const refundRow = (id) => {
  const [state, attempts, error] = sql("SELECT state || '|' || attempts || '|' || coalesce(error, '') FROM refunds WHERE id = :'v1'", id).split('|');
  return { state, attempts: Number(attempts), error };
};
const refundJobs = (id) => Number(sql(`SELECT count(*) FROM jobs WHERE kind = 'refund'
  AND payload @> jsonb_build_object('refund_id', :'v1'::bigint)`, id));
const buyerCredit = () => Number(sql(`SELECT coalesce(sum(balance_minor), 0) FROM ledger_balances
  WHERE kind = 'buyer_credit' AND user_id = :'v1' AND currency = 'USD'`, buyer.id));
const audits = (id) => sql(`SELECT coalesce(string_agg(action || ':' || coalesce(actor_id::text, '') || ':'
  || coalesce(after->>'state', '') || ':' || coalesce(after->>'note', ''), ',' ORDER BY id), '')
  FROM audit_log WHERE entity_type = 'refund' AND entity_id = :'v1'`, id);
const refundedMinor = (paymentId) => Number(sql("SELECT refunded_minor FROM payments WHERE id = :'v1'", paymentId));
/** The <tr> of refund @id in the list @html, or null. */
const rowOf = (html, id) => (html.match(new RegExp(`<tr class="refund-row" data-refund="${id}"[\\s\\S]*?</tr>`)) || [null])[0];

function expect(res, status, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${stripTags(res.text_ || '').slice(0, 300)}`);
}

test('the refunds list: a stuck refund with attempts, last error and the settling actions; roles, 404, 422, 409', async () => {
  const r = stuckRefund({ attempts: 8, error: 'gateway unavailable <timeout>' });
  const list = await fc.get('/admin/finance/refunds?state=stuck');
  expect(list, 200, 'FINANCE GET the stuck refunds');
  const row = rowOf(list.text_, r.refundId);
  assert.ok(row, 'the stuck refund is listed under ?state=stuck');
  assert.match(row, /data-state="requested"/);
  assert.match(row, /data-attempts="8"/);
  assert.match(row, / data-stuck/);
  assert.match(row, /gateway unavailable &lt;timeout&gt;/, 'the last error, escaped');
  for (const a of ['retry', 'credit', 'settled'])
    assert.match(row, new RegExp(`action="/admin/finance/refunds/${r.refundId}/${a}" method="post"><input type="hidden" name="csrf" value="[0-9a-f]{64}"`),
      `the ${a} form with its CSRF field`);
  assert.doesNotMatch(list.text_, /\{\{|\}\}/);

  // a succeeded refund is listed without the buttons
  const all = await fc.get('/admin/finance/refunds?state=succeeded');
  expect(all, 200, 'FINANCE GET the succeeded refunds');
  for (const m of all.text_.matchAll(/<tr class="refund-row"[\s\S]*?<\/tr>/g))
    assert.doesNotMatch(m[0], /\/admin\/finance\/refunds\/\d+\//, 'no settling action on a settled refund');

  // SUPPORT (and a buyer) may not settle: 403, nothing changed
  for (const a of ['retry', 'credit', 'settled']) {
    expect(await sc.post(`/admin/finance/refunds/${r.refundId}/${a}`, { note: 'x' }), 403, `SUPPORT ${a}`);
    expect(await bc.post(`/admin/finance/refunds/${r.refundId}/${a}`, { note: 'x' }), 403, `buyer ${a}`);
  }
  // no CSRF field: refused, nothing changed
  const noCsrf = await fc.post(`/admin/finance/refunds/${r.refundId}/retry`, {}, { csrf: false });
  assert.ok(noCsrf.status === 403 || noCsrf.status === 400, `without CSRF: ${noCsrf.status}`);
  expect(await fc.post('/admin/finance/refunds/999999999/retry'), 404, 'unknown refund');
  expect(await fc.post('/admin/finance/refunds/999999999/credit', { note: 'n' }), 404, 'unknown refund');
  expect(await fc.get(`/admin/finance/refunds/${r.refundId}/retry`), 405, 'GET on an action');

  // the note is required for credit and settled: 422, nothing written
  let res = await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: '   ' });
  expect(res, 422, 'credit without a note');
  assert.match(res.text_, new RegExp(`data-error data-refund="${r.refundId}"`));
  res = await fc.post(`/admin/finance/refunds/${r.refundId}/settled`, {});
  expect(res, 422, 'settled without a note');
  const long = `Bank <EFT> ${'x'.repeat(1000)}`;
  res = await fc.post(`/admin/finance/refunds/${r.refundId}/settled`, { note: long });
  expect(res, 422, 'a note over 1000 characters');
  assert.match(res.text_, /data-kept-note>Bank &lt;EFT&gt; x{20}/, 'the note typed is kept, escaped');
  assert.match(rowOf(res.text_, r.refundId) || '', /value="Bank &lt;EFT&gt; x{20}/, 'and in the row\'s note fields');
  assert.deepEqual(refundRow(r.refundId), { state: 'requested', attempts: 8, error: 'gateway unavailable <timeout>' });
  assert.equal(refundJobs(r.refundId), 0);
  assert.equal(audits(r.refundId), '');

  // a refund job queued for it (here: later) means it is not stuck: 409 for every action, note kept
  const jobId = Number(sql(`INSERT INTO jobs (kind, payload, run_at) VALUES ('refund',
    jsonb_build_object('refund_id', :'v1'::bigint), now() + interval '1 day') RETURNING id`, r.refundId).split('\n')[0]);
  try {
    res = await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: 'Gateway says no refund made' });
    expect(res, 409, 'credit while a refund job is queued');
    assert.match(res.text_, /data-kept-note>Gateway says no refund made</);
    expect(await fc.post(`/admin/finance/refunds/${r.refundId}/retry`), 409, 'retry while a refund job is queued');
    expect(await fc.post(`/admin/finance/refunds/${r.refundId}/settled`, { note: 'n' }), 409, 'settled while a refund job is queued');
    const l = await fc.get('/admin/finance/refunds?state=requested');
    const qrow = rowOf(l.text_, r.refundId);
    assert.ok(qrow, 'listed under requested');
    assert.doesNotMatch(qrow, / data-stuck|\/admin\/finance\/refunds\/\d+\//, 'no actions while a job is queued');
    assert.doesNotMatch(rowOf((await fc.get('/admin/finance/refunds?state=stuck')).text_, r.refundId) || '', /./, 'not under stuck');
  } finally {
    sql("UPDATE jobs SET status = 'dead', finished_at = now() WHERE id = :'v1'", jobId);
  }
  assert.equal(refundRow(r.refundId).state, 'requested');
  assert.equal(audits(r.refundId), '');
  // a dead job is no live job: stuck again, so it can be settled (credit, below)
  const ok = await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: 'Checked at Stripe: no refund' });
  expect(ok, 303, 'credit once the job is dead');
});

test('credit: the stuck refund becomes buyer credit exactly once, on the timeline, audited; a second POST is 409', async () => {
  const r = stuckRefund({ attempts: 4, error: 'refused after an earlier attempt' });
  const creditBefore = buyerCredit();
  const res = await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: 'Stripe shows no refund; credit agreed with the buyer' });
  expect(res, 303, 'credit');
  assert.equal(locationOf(res), '/admin/finance/refunds?done=credited');
  const after = refundRow(r.refundId);
  assert.equal(after.state, 'failed');
  assert.equal(after.error, 'refused after an earlier attempt', 'the last gateway error is kept');
  assert.equal(buyerCredit() - creditBefore, r.total, 'the whole refund is buyer credit');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'refund_fallback:' || :'v1'", r.refundId)), 1);
  assert.equal(refundedMinor(r.paymentId), 0, 'nothing went back through the gateway');
  assert.equal(sql(`SELECT kind || '|' || (data->>'amount_minor') || '|' || (data->>'refund_id') FROM order_events
    WHERE order_id = :'v1' AND kind = 'refund_credited'`, r.orderId), `refund_credited|${r.total}|${r.refundId}`);
  assert.equal(audits(r.refundId), `refund.credit:${finance.id}:failed:Stripe shows no refund; credit agreed with the buyer`);
  assert.equal(sql("SELECT before->>'state' FROM audit_log WHERE entity_type = 'refund' AND entity_id = :'v1'", r.refundId), 'requested');
  const done = await fc.get('/admin/finance/refunds?done=credited');
  assert.match(done.text_, /data-done="credited"/);
  assert.doesNotMatch(rowOf(done.text_, r.refundId) || '', /\/admin\/finance\/refunds\/\d+\//, 'no more actions');

  // the buyer's timeline tells it
  const room = await bc.get(`/orders/${r.orderId}`);
  expect(room, 200, 'the order room');
  assert.match(stripTags(room.text_), /could not be completed; it is now Souk credit/);

  // again: 409, no second credit; the other actions too
  const again = await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: 'twice' });
  expect(again, 409, 'credit twice');
  assert.match(again.text_, /data-kept-note>twice</);
  expect(await fc.post(`/admin/finance/refunds/${r.refundId}/settled`, { note: 'n' }), 409, 'settled after credit');
  expect(await fc.post(`/admin/finance/refunds/${r.refundId}/retry`), 409, 'retry after credit');
  assert.equal(buyerCredit() - creditBefore, r.total, 'credited once');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'refund_fallback:' || :'v1'", r.refundId)), 1);
  assert.equal(refundJobs(r.refundId), 0);
});

test('settled: refunded outside Souk → succeeded, refunded_minor += amount, no ledger posting, audited; then 409', async () => {
  const r = stuckRefund({ state: 'processing', attempts: 8, error: 'gateway unavailable' });
  // a stale claim with no job is stuck too
  sql("UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE id = :'v1'", r.refundId);
  const postings = Number(sql("SELECT count(*) FROM ledger_transactions WHERE order_id = :'v1'", r.orderId));
  const creditBefore = buyerCredit();
  const res = await fc.post(`/admin/finance/refunds/${r.refundId}/settled`, { note: 'Paid back by EFT, bank ref 7781' });
  expect(res, 303, 'settled');
  assert.equal(locationOf(res), '/admin/finance/refunds?done=settled');
  assert.deepEqual(refundRow(r.refundId), { state: 'succeeded', attempts: 8, error: '' });
  assert.equal(refundedMinor(r.paymentId), r.total);
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE order_id = :'v1'", r.orderId)), postings,
    'no ledger posting: ledger_refund booked it when it was requested');
  assert.equal(buyerCredit(), creditBefore);
  assert.equal(audits(r.refundId), `refund.settled:${finance.id}:succeeded:Paid back by EFT, bank ref 7781`);
  assert.equal(sql("SELECT before->>'state' FROM audit_log WHERE entity_type = 'refund' AND entity_id = :'v1'", r.refundId), 'processing');
  expect(await fc.post(`/admin/finance/refunds/${r.refundId}/settled`, { note: 'again' }), 409, 'settled twice');
  expect(await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: 'n' }), 409, 'credit after settled');
  assert.equal(refundedMinor(r.paymentId), r.total, 'counted once');
});

test('retry: a stale processing claim goes back to requested with exactly one fresh refund job; audited', async () => {
  const r = stuckRefund({ state: 'processing', attempts: 3, error: 'refused after an earlier attempt' });
  const res = await fc.post(`/admin/finance/refunds/${r.refundId}/retry`);
  expect(res, 303, 'retry');
  assert.equal(locationOf(res), '/admin/finance/refunds?done=retried');
  assert.equal(refundJobs(r.refundId), 1, 'one refund job');
  const job = sql(`SELECT id || '|' || (payload->>'refund_id') FROM jobs WHERE kind = 'refund'
    AND payload @> jsonb_build_object('refund_id', :'v1'::bigint)`, r.refundId).split('|');
  assert.equal(Number(job[1]), r.refundId);
  // the claim was reset in the same transaction (the job may have run since)
  assert.equal(audits(r.refundId), `refund.retry:${finance.id}:requested:`);
  assert.equal(Number(sql("SELECT after->>'job_id' FROM audit_log WHERE entity_type = 'refund' AND entity_id = :'v1'", r.refundId)),
    Number(job[0]));
  assert.equal(sql("SELECT before->>'state' FROM audit_log WHERE entity_type = 'refund' AND entity_id = :'v1'", r.refundId), 'processing');
  // the job has no PaymentIntent it can refund at the simulator: a refusal after
  // earlier attempts, so it never becomes credit by itself; it ends stuck again
  const settled = await waitFor(() => sql(`SELECT count(*) FROM jobs WHERE kind = 'refund' AND status IN ('queued', 'running')
    AND payload @> jsonb_build_object('refund_id', :'v1'::bigint)`, r.refundId) === '0', 30000);
  assert.ok(settled, 'the refund job finished');
  assert.notEqual(refundRow(r.refundId).state, 'failed', 'a refusal after earlier attempts is not turned into credit');
  assert.equal(Number(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = 'refund_fallback:' || :'v1'", r.refundId)), 0);
});

test('retry against souk-paysim: a real Stripe payment stuck in its refund is refunded exactly once', async (t) => {
  if (!PAYSIM) return t.skip('souk-paysim not running (SOUK_TEST_PAYSIM_URL)');
  const gig = activeGig(seller, 'USD', { requirements: true });
  const { ref, orderId } = await buy(bc, gig, { gateway: 'stripe' });
  const [paymentId, total] = sql("SELECT id || '|' || amount_minor FROM payments WHERE reference = :'v1'", ref).split('|').map(Number);
  // the refund job ran out of attempts on timeouts: 'requested', attempts 8, no job
  const r = stuckRefund({ paid: { orderId, paymentId, total }, attempts: 8, error: 'gateway unavailable' });
  assert.equal((await simTxn('stripe', ref)).refunded_minor, 0);
  const res = await fc.post(`/admin/finance/refunds/${r.refundId}/retry`);
  expect(res, 303, 'retry');
  assert.equal(refundJobs(r.refundId), 1, 'one refund job');
  // a second retry while that job is queued or running is refused (unless it already finished)
  const second = await fc.post(`/admin/finance/refunds/${r.refundId}/retry`);
  assert.ok(second.status === 409, `a second retry: ${second.status}`);
  const ok = await waitFor(() => refundRow(r.refundId).state === 'succeeded', 30000);
  assert.ok(ok, `the refund succeeded: ${JSON.stringify(refundRow(r.refundId))} jobs: ${sql(`SELECT string_agg(status || ':' || coalesce(last_error, ''), ', ')
    FROM jobs WHERE kind = 'refund' AND payload @> jsonb_build_object('refund_id', :'v1'::bigint)`, r.refundId)}`);
  const atSim = await simTxn('stripe', ref);
  assert.equal(atSim.refunds.length, 1, 'the simulator refunded once');
  assert.equal(atSim.refunded_minor, total);
  assert.equal(refundedMinor(paymentId), total);
  assert.ok(sql("SELECT gateway_refund_id FROM refunds WHERE id = :'v1'", r.refundId), 'the gateway refund id is kept');
  assert.equal(refundJobs(r.refundId), 1, 'still one job');
  // settled now: every action 409
  expect(await fc.post(`/admin/finance/refunds/${r.refundId}/retry`), 409, 'retry after success');
  expect(await fc.post(`/admin/finance/refunds/${r.refundId}/credit`, { note: 'n' }), 409, 'credit after success');
});
