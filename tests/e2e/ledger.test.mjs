// The ledger's guards in PostgreSQL (sql/0014_ledger.sql), exercised with
// psql: a balanced posting through ledger_post() is stored once per event
// key; an unbalanced transaction is refused at COMMIT by the deferred
// trigger; entries and transactions cannot be updated or deleted; a debit
// below zero of an account other than gateway_clearing is refused (SK402);
// and checkLedger() (tests/e2e/ledger-check.mjs) holds afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { checkLedger } from './ledger-check.mjs';

const DB = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;

/** psql with :'vN' variables (values never pasted into SQL); trimmed output. */
function sql(query, ...params) {
  const args = ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', DB];
  params.forEach((p, i) => args.push('-v', `v${i + 1}=${p}`));
  return execFileSync('psql', args, { input: query, encoding: 'utf8' }).trim();
}
/** Like sql() but expects a failure: returns {status, stdout, stderr}. */
function sqlFails(query, ...params) {
  const args = ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', DB];
  params.forEach((p, i) => args.push('-v', `v${i + 1}=${p}`));
  const r = spawnSync('psql', args, { input: query, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

let seq = 0;
function buyer() {
  const handle = `lg${++seq}_${RUN}`.slice(0, 32);
  return Number(sql("INSERT INTO users (email, handle) VALUES (:'v1', :'v2') RETURNING id",
    `${handle}@example.test`, handle));
}

/** A top-up of buyer credit through PayFast's clearing account: 2 legs. */
const POST_CREDIT = `SELECT ledger_post('test_topup', NULL, NULL, NULL, 'ledger.test', :'v1', 'ZAR',
  ARRAY['gateway_clearing', 'buyer_credit'], ARRAY[NULL, :'v2']::bigint[], ARRAY[NULL, NULL]::bigint[],
  ARRAY['payfast', NULL], ARRAY[-(:'v3')::bigint, (:'v3')::bigint])`;

test('ledger_post stores a balanced transaction once per event key', async () => {
  const uid = buyer();
  const key = `e2e:ledger:${RUN}:1`;
  const txn = sql(POST_CREDIT, key, uid, 1250);
  assert.match(txn, /^\d+$/, 'a transaction id');
  assert.equal(sql("SELECT count(*) || ' ' || sum(amount_minor) || ' ' || string_agg(DISTINCT currency, ',') FROM ledger_entries WHERE transaction_id = :'v1'", txn),
    '2 0 ZAR', 'two entries summing to zero in ZAR');
  assert.equal(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = :'v1' AND currency = 'ZAR'", uid), '1250');
  // the same business event again writes nothing
  assert.equal(sql(POST_CREDIT, key, uid, 1250), '', 'NULL for an event already posted');
  assert.equal(sql("SELECT count(*) FROM ledger_transactions WHERE event_key = :'v1'", key), '1');
  assert.equal(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = :'v1' AND currency = 'ZAR'", uid), '1250');
  await checkLedger(DB);
});

test('an unbalanced transaction is refused at COMMIT, not before', async () => {
  const uid = buyer();
  const memo = `unbalanced ${RUN}`;
  const r = sqlFails(`BEGIN;
INSERT INTO ledger_transactions (kind, memo) VALUES ('test_unbalanced', :'v1');
INSERT INTO ledger_entries (transaction_id, account_id, amount_minor, currency)
  VALUES (currval(pg_get_serial_sequence('ledger_transactions', 'id')),
          ledger_account('gateway_clearing', 'USD', NULL, NULL, 'stripe'), -1000, 'USD'),
         (currval(pg_get_serial_sequence('ledger_transactions', 'id')),
          ledger_account('buyer_credit', 'USD', :'v2', NULL, NULL), 999, 'USD');
SELECT 'inserted';
COMMIT;`, memo, uid);
  assert.equal(r.stdout, 'inserted', 'the inserts themselves pass (the check is deferred)');
  assert.notEqual(r.status, 0, 'COMMIT fails');
  assert.match(r.stderr, /does not balance/, r.stderr);
  assert.equal(sql("SELECT count(*) FROM ledger_transactions WHERE memo = :'v1'", memo), '0', 'nothing stored');

  // a transaction of a single entry is refused as well
  const one = sqlFails(`BEGIN;
INSERT INTO ledger_transactions (kind, memo) VALUES ('test_unbalanced', :'v1');
INSERT INTO ledger_entries (transaction_id, account_id, amount_minor, currency)
  VALUES (currval(pg_get_serial_sequence('ledger_transactions', 'id')),
          ledger_account('platform_revenue', 'USD', NULL, NULL, NULL), 0 + 1, 'USD');
COMMIT;`, memo);
  assert.notEqual(one.status, 0);
  assert.match(one.stderr, /does not balance/, one.stderr);
  // and through ledger_post with legs that do not sum to zero
  const lp = sqlFails(`SELECT ledger_post('test_unbalanced', NULL, NULL, NULL, :'v1', NULL, 'CNY',
    ARRAY['gateway_clearing', 'platform_revenue'], ARRAY[NULL, NULL]::bigint[], ARRAY[NULL, NULL]::bigint[],
    ARRAY['alipay', NULL], ARRAY[-500, 400]::bigint[])`, memo);
  assert.notEqual(lp.status, 0);
  assert.match(lp.stderr, /does not balance/, lp.stderr);
  assert.equal(sql("SELECT count(*) FROM ledger_transactions WHERE memo = :'v1'", memo), '0', 'nothing stored');
  await checkLedger(DB);
});

test('ledger entries and transactions are append-only; no debit below zero', async () => {
  const uid = buyer();
  const txn = sql(POST_CREDIT, `e2e:ledger:${RUN}:2`, uid, 700);
  const before = sql("SELECT string_agg(id || ':' || amount_minor, ',' ORDER BY id) FROM ledger_entries WHERE transaction_id = :'v1'", txn);
  for (const stmt of [
    "UPDATE ledger_entries SET amount_minor = amount_minor * 2 WHERE transaction_id = :'v1'",
    "DELETE FROM ledger_entries WHERE transaction_id = :'v1'",
    "UPDATE ledger_transactions SET memo = 'changed' WHERE id = :'v1'",
    "DELETE FROM ledger_transactions WHERE id = :'v1'",
  ]) {
    const r = sqlFails(stmt, txn);
    assert.notEqual(r.status, 0, `${stmt} must fail`);
    assert.match(r.stderr, /append-only/, r.stderr);
  }
  assert.equal(sql("SELECT string_agg(id || ':' || amount_minor, ',' ORDER BY id) FROM ledger_entries WHERE transaction_id = :'v1'", txn), before);

  // taking more than the buyer credit holds: SK402, nothing written
  const memo = `overdraw ${RUN}`;
  const r = sqlFails(`SELECT ledger_post('test_spend', NULL, NULL, NULL, :'v1', NULL, 'ZAR',
    ARRAY['buyer_credit', 'platform_revenue'], ARRAY[:'v2', NULL]::bigint[], ARRAY[NULL, NULL]::bigint[],
    ARRAY[NULL, NULL], ARRAY[-701, 701]::bigint[])`, memo, uid);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot take 701/, r.stderr);
  assert.equal(sql("SELECT count(*) FROM ledger_transactions WHERE memo = :'v1'", memo), '0');
  assert.equal(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = :'v1' AND currency = 'ZAR'", uid), '700');
  await checkLedger(DB);
});
