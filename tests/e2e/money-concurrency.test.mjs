// Concurrency on the money path.
//
// 1. 50 PayFast orders, each notified 4 times at once: the 50 payments are
//    approved in souk-paysim at the same moment with the control knob
//    {"duplicate": 4}, so the simulator sends 200 ITNs (each correctly signed
//    with the passphrase and confirmed by its validate endpoint, which only
//    answers VALID for ITNs it really sent) in parallel.  Each order is paid
//    exactly once: one gateway_notifications row per event (pf_payment_id),
//    one ledger payment posting per order, escrow = total.
// 2. 50 checkouts each submitted twice at once with the same idempotency key
//    (100 parallel POSTs): exactly 50 orders and 50 payments, both requests
//    of a pair answered with the same outcome.
// The ledger's invariants hold after each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLedger } from './ledger-check.mjs';
import {
  sql, sqlAsync, user, activeGig, Client, checkout, handOff, simControl, simLog, simPay,
  waitFor, locationOf, text, idemKey, havePaysim,
} from './money-helpers.mjs';

const skip = !havePaysim() && 'no SOUK_TEST_PAYSIM_URL (souk-paysim not started)';
const N = 50;

/** Runs @fn over @items with at most @limit at a time; results in order. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

test('50 orders each notified 4 times at once (200 ITNs) are each paid exactly once', { skip, timeout: 240000 }, async () => {
  const seller = user('cs', ['SELLER']);
  const gig = activeGig(seller, 'ZAR');
  const buyers = Array.from({ length: 5 }, () => new Client(user('cb')));
  // 50 checkouts handed over to the simulator (a few at a time)
  const refs = await pool(Array.from({ length: N }, (_, i) => i), 5, async (i) => {
    const b = buyers[i % buyers.length];
    const res = await checkout(b, gig, { gateway: 'payfast', quantity: 1 + (i % 3) });
    assert.equal(res.status, 303, `checkout ${i}: ${res.status} ${text(res).slice(0, 200)}`);
    await handOff(b, res.reference);
    return res.reference;
  });
  assert.equal(new Set(refs).size, N);
  const since = (await simLog()).reduce((m, e) => Math.max(m, e.seq), 0);
  for (const ref of refs) await simControl({ reference: ref, duplicate: 4 });

  // approve all 50 at the same moment: 4 copies of each ITN leave together
  const approved = await Promise.all(refs.map((ref) => simPay('payfast', ref, 'approve')));
  approved.forEach((r, i) => assert.equal(r.status, 200, `approve ${refs[i]}: ${r.text_}`));

  const paid = await waitFor(async () => Number(await sqlAsync(
    `SELECT count(*) FROM payments WHERE reference = ANY (string_to_array(:'v1', ',')) AND state = 'paid'`, refs.join(','))) === N, 120000, 500);
  assert.ok(paid, `all ${N} payments paid: ${sql("SELECT state || ' ' || count(*) FROM payments WHERE reference = ANY (string_to_array(:'v1', ',')) GROUP BY state", refs.join(','))}`);

  // every copy was delivered and answered; the simulator's retries (after a 5xx under load) included
  const acked = await waitFor(async () => {
    const log = (await simLog({ since, kind: 'notify', gateway: 'payfast' })).filter((e) => refs.includes(e.reference));
    const copies = new Set(log.filter((e) => e.acked).map((e) => `${e.reference}/${e.copy}`));
    return copies.size === N * 4 && log;
  }, 60000, 500);
  assert.ok(acked, 'all 200 notifications acknowledged');
  const firstAttempts = acked.filter((e) => e.attempt === 1);
  assert.equal(firstAttempts.length, N * 4, '200 notifications sent');
  const started = firstAttempts.map((e) => Date.parse(e.at)).sort((x, y) => x - y);
  console.log(`200 ITNs: first answers within ${started[started.length - 1] - started[0]} ms; ` +
    `${firstAttempts.filter((e) => e.status === 200).length} answered 200 at the first attempt, ` +
    `${acked.filter((e) => e.attempt > 1).length} retries`);

  const rows = sql(`SELECT p.reference, p.state, o.state, o.total_minor, p.amount_minor,
      (SELECT count(*) FROM gateway_notifications n WHERE n.payment_id = p.id),
      (SELECT count(DISTINCT n.event_id) FROM gateway_notifications n WHERE n.payment_id = p.id),
      (SELECT count(*) FROM ledger_transactions t WHERE t.payment_id = p.id AND t.kind = 'payment'),
      (SELECT coalesce(sum(b.balance_minor), 0) FROM ledger_balances b WHERE b.kind = 'escrow' AND b.order_id = o.id),
      (SELECT count(*) FROM order_events e WHERE e.order_id = o.id AND e.kind = 'paid')
    FROM payments p JOIN orders o ON o.id = p.order_id
    WHERE p.reference = ANY (string_to_array(:'v1', ',')) ORDER BY p.id`, refs.join(',')).split('\n');
  assert.equal(rows.length, N);
  for (const r of rows) {
    const [ref, pstate, ostate, total, amount, notes, events, postings, escrow, paidEvents] = r.split('|');
    assert.equal(pstate, 'paid', ref);
    assert.equal(ostate, 'awaiting_requirements', `${ref}: the order moved on once`);
    assert.equal(amount, total, `${ref}: charged the total`);
    assert.equal(notes, '1', `${ref}: one gateway_notifications row for the one event`);
    assert.equal(events, '1');
    assert.equal(postings, '1', `${ref}: one ledger payment posting`);
    assert.equal(escrow, total, `${ref}: escrow holds the total once`);
    assert.equal(paidEvents, '1', `${ref}: one "paid" event on the timeline`);
  }
  await checkLedger();
});

test('50 checkouts double-submitted at once with the same idempotency key make exactly 50 orders', { timeout: 180000 }, async () => {
  const seller = user('cs', ['SELLER']);
  const gig = activeGig(seller, 'USD');
  const buyers = Array.from({ length: 5 }, () => new Client(user('cd')));
  const pairs = Array.from({ length: N }, (_, i) => ({ b: buyers[i % buyers.length], key: idemKey(), quantity: 1 + (i % 4) }));
  const results = await Promise.all(pairs.flatMap((p) => [0, 1].map(() =>
    checkout(p.b, gig, { gateway: 'stripe', quantity: p.quantity, key: p.key }))));
  for (let i = 0; i < N; i++) {
    const [a, b] = [results[2 * i], results[2 * i + 1]];
    for (const r of [a, b])
      assert.ok(r.status === 303 || r.status === 409, `pair ${i}: ${r.status} ${text(r).slice(0, 200)}`);
    assert.ok(a.status === 303 || b.status === 303, `pair ${i}: one of the two went through`);
    if (a.status === 303 && b.status === 303) assert.equal(locationOf(a), locationOf(b), `pair ${i}: the same outcome`);
  }
  const ids = buyers.map((b) => b.u.id).join(',');
  const orders = sql(`SELECT count(*) FROM orders WHERE gig_id = :'v1' AND buyer_id = ANY (string_to_array(:'v2', ',')::bigint[])`, gig.id, ids);
  assert.equal(Number(orders), N, 'exactly one order per idempotency key');
  const payments = sql(`SELECT count(*), count(DISTINCT p.order_id) FROM payments p JOIN orders o ON o.id = p.order_id
    WHERE o.gig_id = :'v1'`, gig.id);
  assert.equal(payments, `${N}|${N}`, 'one payment per order');
  const keys = sql(`SELECT count(*) FROM idempotency_keys WHERE key = ANY (string_to_array(:'v1', ','))`, pairs.map((p) => p.key).join(','));
  assert.equal(Number(keys), N);
  // each order has the quantity its own pair asked for
  for (const p of pairs.slice(0, 10)) {
    const r = results[2 * pairs.indexOf(p)].status === 303 ? results[2 * pairs.indexOf(p)] : results[2 * pairs.indexOf(p) + 1];
    const ref = r.reference;
    assert.equal(sql("SELECT o.quantity FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.reference = :'v1'", ref), String(p.quantity));
  }
  // a later replay of a key answers the same outcome and creates nothing
  const again = await checkout(pairs[0].b, gig, { gateway: 'stripe', quantity: pairs[0].quantity, key: pairs[0].key });
  assert.equal(again.status, 303);
  assert.equal(sql(`SELECT count(*) FROM orders WHERE gig_id = :'v1'`, gig.id), String(N));
  await checkLedger();
});
