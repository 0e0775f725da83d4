// The ledger's invariants, checked against the database after every money
// test (issue 5, "Tests"): read in ONE SQL statement, so one snapshot, and
// safe while other tests write.
//
//   1. every ledger transaction sums to zero per currency;
//   2. every transaction has at least two entries;
//   3. no account other than gateway_clearing has a negative balance;
//   4. each order's escrow holds what was paid into it (payments paid:
//      amount_minor + credit_minor, minus its refunds) while the order is in
//      a held state (awaiting_requirements, in_progress, delivered,
//      revision_requested), and nothing when it is awaiting_payment,
//      completed or cancelled; the sum of escrow balances equals the sum
//      over held orders, per currency; no escrow account without an order;
//   5. -sum(gateway_clearing) equals the sum of all other accounts, per
//      currency;
//   6. every paid payment has exactly one ledger posting (ledger_payment:
//      kind payment or change_order_payment, with payment_id), and no
//      payment that is not paid has one;
//   7. each payment's refunded_minor is the sum of its refunds that went
//      through the gateway (refunds.state 'succeeded'), and a refund has a
//      refund_fallback posting (money to buyer credit) only when it failed.
//
// Usage: `await checkLedger()` (SOUK_TEST_DATABASE_URL), or
// `await checkLedger(dbUrl)`.  Throws an AssertionError that lists every
// violation; returns the counts it looked at.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DEFAULT_DB = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';

export const HELD_STATES = ['awaiting_requirements', 'in_progress', 'delivered', 'revision_requested'];

const CHECK_SQL = `
WITH
held(state) AS (VALUES ('awaiting_requirements'), ('in_progress'), ('delivered'), ('revision_requested')),
txn_sums AS (
  SELECT transaction_id, currency, sum(amount_minor) AS total, count(*) AS n
    FROM ledger_entries GROUP BY transaction_id, currency),
escrow AS (
  SELECT order_id, currency, balance_minor FROM ledger_balances WHERE kind = 'escrow'),
paid AS (
  SELECT order_id, sum(amount_minor + credit_minor) AS paid_minor, count(*) AS n
    FROM payments WHERE state = 'paid' GROUP BY order_id),
refunded AS (
  SELECT order_id, sum(amount_minor) AS refunded_minor FROM refunds GROUP BY order_id),
per_order AS (
  SELECT o.id AS order_id, o.state, o.currency,
         coalesce(p.paid_minor, 0)::bigint AS paid_minor,
         coalesce(r.refunded_minor, 0)::bigint AS refunded_minor,
         CASE WHEN o.state IN (SELECT state FROM held)
              THEN coalesce(p.paid_minor, 0) - coalesce(r.refunded_minor, 0)
              ELSE 0 END::bigint AS expected_minor,
         coalesce((SELECT sum(e.balance_minor) FROM escrow e WHERE e.order_id = o.id), 0)::bigint AS escrow_minor
    FROM orders o
    LEFT JOIN paid p ON p.order_id = o.id
    LEFT JOIN refunded r ON r.order_id = o.id),
postings AS (
  SELECT pm.id AS payment_id, pm.order_id, pm.state, pm.amount_minor + pm.credit_minor AS paid_minor,
         (SELECT count(*) FROM ledger_transactions t
           WHERE t.payment_id = pm.id AND t.kind IN ('payment', 'change_order_payment')) AS n
    FROM payments pm)
SELECT json_build_object(
  'transactions', (SELECT count(*) FROM ledger_transactions),
  'entries', (SELECT count(*) FROM ledger_entries),
  'orders', (SELECT count(*) FROM orders),
  'unbalanced', (SELECT coalesce(json_agg(json_build_object('transaction_id', transaction_id,
        'currency', currency, 'sum', total) ORDER BY transaction_id), '[]')
      FROM txn_sums WHERE total <> 0),
  'short', (SELECT coalesce(json_agg(json_build_object('transaction_id', t.id, 'kind', t.kind,
        'entries', (SELECT count(*) FROM ledger_entries e WHERE e.transaction_id = t.id)) ORDER BY t.id), '[]')
      FROM ledger_transactions t
     WHERE (SELECT count(*) FROM ledger_entries e WHERE e.transaction_id = t.id) < 2),
  'negative', (SELECT coalesce(json_agg(json_build_object('account_id', account_id, 'kind', kind,
        'currency', currency, 'user_id', user_id, 'order_id', order_id, 'balance', balance_minor)
        ORDER BY account_id), '[]')
      FROM ledger_balances WHERE kind <> 'gateway_clearing' AND balance_minor < 0),
  'escrow_orders', (SELECT coalesce(json_agg(json_build_object('order_id', order_id, 'state', state,
        'paid', paid_minor, 'refunded', refunded_minor, 'expected', expected_minor,
        'escrow', escrow_minor) ORDER BY order_id), '[]')
      FROM per_order WHERE escrow_minor <> expected_minor),
  'escrow_orphans', (SELECT coalesce(json_agg(json_build_object('order_id', e.order_id,
        'balance', e.balance_minor)), '[]')
      FROM escrow e WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = e.order_id)),
  'escrow_currency', (SELECT coalesce(json_agg(json_build_object('order_id', e.order_id,
        'account_currency', e.currency, 'order_currency', o.currency)), '[]')
      FROM escrow e JOIN orders o ON o.id = e.order_id
     WHERE e.currency <> o.currency AND e.balance_minor <> 0),
  'escrow_totals', (SELECT coalesce(json_agg(x ORDER BY x.currency), '[]') FROM (
      SELECT c.currency,
             coalesce((SELECT sum(balance_minor) FROM escrow e WHERE e.currency = c.currency), 0)::bigint AS escrow,
             coalesce((SELECT sum(expected_minor) FROM per_order po
                        WHERE po.currency = c.currency AND po.state IN (SELECT state FROM held)), 0)::bigint AS held
        FROM (VALUES ('USD'), ('ZAR'), ('CNY')) c(currency)) x),
  'clearing_totals', (SELECT coalesce(json_agg(x ORDER BY x.currency), '[]') FROM (
      SELECT currency,
             coalesce(sum(balance_minor) FILTER (WHERE kind = 'gateway_clearing'), 0)::bigint AS clearing,
             coalesce(sum(balance_minor) FILTER (WHERE kind <> 'gateway_clearing'), 0)::bigint AS others
        FROM ledger_balances GROUP BY currency) x),
  'postings', (SELECT coalesce(json_agg(json_build_object('payment_id', payment_id, 'order_id', order_id,
        'state', state, 'ledger_payment_postings', n) ORDER BY payment_id), '[]')
      FROM postings WHERE (state = 'paid' AND n <> 1) OR (state <> 'paid' AND n <> 0)),
  'refunded', (SELECT coalesce(json_agg(json_build_object('payment_id', pm.id, 'refunded_minor', pm.refunded_minor,
        'succeeded_refunds', x.s) ORDER BY pm.id), '[]')
      FROM payments pm CROSS JOIN LATERAL (SELECT coalesce(sum(r.amount_minor), 0) AS s FROM refunds r
        WHERE r.payment_id = pm.id AND r.state = 'succeeded') x
     WHERE pm.refunded_minor <> x.s),
  'fallbacks', (SELECT coalesce(json_agg(json_build_object('refund_id', r.id, 'state', r.state, 'method', r.method,
        'fallback_postings', f.n) ORDER BY r.id), '[]')
      FROM refunds r CROSS JOIN LATERAL (SELECT count(*) AS n FROM ledger_transactions t
        WHERE t.event_key = 'refund_fallback:' || r.id) f
     WHERE (r.state = 'failed' AND f.n <> 1) OR (r.state <> 'failed' AND f.n <> 0))
)`;

/**
 * Reads every invariant in one statement.  @db: a PostgreSQL URL (default
 * SOUK_TEST_DATABASE_URL).  Returns the raw report (arrays of violations
 * and the totals), without asserting.
 */
export async function ledgerReport(db = DEFAULT_DB) {
  const { stdout } = await run('psql', ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', db, '-c', CHECK_SQL],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim());
}

/**
 * Asserts the ledger's invariants (see the top of this file).  @pg: a
 * PostgreSQL URL (default SOUK_TEST_DATABASE_URL).  Throws an
 * AssertionError naming every violation; returns the report.
 */
export async function checkLedger(pg = DEFAULT_DB) {
  const r = await ledgerReport(typeof pg === 'string' ? pg : DEFAULT_DB);
  const problems = [];
  const show = (v) => JSON.stringify(v.slice(0, 20)) + (v.length > 20 ? ` … (${v.length} in all)` : '');
  if (r.unbalanced.length) problems.push(`transactions that do not sum to zero: ${show(r.unbalanced)}`);
  if (r.short.length) problems.push(`transactions with fewer than 2 entries: ${show(r.short)}`);
  if (r.negative.length) problems.push(`negative balances outside gateway_clearing: ${show(r.negative)}`);
  if (r.escrow_orders.length) problems.push(`orders whose escrow differs from what they hold: ${show(r.escrow_orders)}`);
  if (r.escrow_orphans.length) problems.push(`escrow accounts without an order: ${show(r.escrow_orphans)}`);
  if (r.escrow_currency.length) problems.push(`escrow in a currency other than the order's: ${show(r.escrow_currency)}`);
  for (const t of r.escrow_totals)
    if (Number(t.escrow) !== Number(t.held))
      problems.push(`${t.currency}: escrow balances sum to ${t.escrow}, held orders hold ${t.held}`);
  for (const t of r.clearing_totals)
    if (-Number(t.clearing) !== Number(t.others))
      problems.push(`${t.currency}: -sum(gateway_clearing) = ${-t.clearing} but the other accounts hold ${t.others}`);
  if (r.refunded.length) problems.push(`payments whose refunded_minor is not the sum of their succeeded refunds: ${show(r.refunded)}`);
  if (r.fallbacks.length) problems.push(`refunds moved to buyer credit without having failed (or failed without it): ${show(r.fallbacks)}`);
  if (r.postings.length) problems.push(`payments without exactly one ledger posting when paid (or with one when not): ${show(r.postings)}`);
  if (problems.length) assert.fail(`ledger invariants violated:\n  ${problems.join('\n  ')}`);
  return r;
}
