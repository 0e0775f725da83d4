-- 0020_stray_payments.sql - stray payments and the refund job's claim
-- (src/payments/payments.c).
--
-- A stray payment is money a gateway confirms for a payment whose order (or
-- change order) no longer waits for it: the order was cancelled meanwhile,
-- or another payment of the same order was captured first.  The money did
-- arrive, so it is booked like any payment (state 'paid', one ledger
-- payment posting into the order's escrow) and sent straight back in the
-- same transaction (a refunds row, ledger_refund, the "refund" job).  The
-- flag keeps such a payment out of payments_one_paid: "one paid payment
-- per order" is about the payment that pays the order, and the stray one
-- never did.  It stays 'paid' (money in) so that every check that pairs
-- paid payments with ledger postings and refunds keeps holding; the flag
-- says it paid nothing.
ALTER TABLE payments ADD COLUMN stray BOOLEAN NOT NULL DEFAULT false;
COMMENT ON COLUMN payments.stray IS
	'paid after its order or change order stopped waiting for it: booked and refunded at once';
DROP INDEX payments_one_paid;
CREATE UNIQUE INDEX payments_one_paid ON payments (order_id, coalesce(change_order_id, 0))
	WHERE state = 'paid' AND NOT stray;

-- The refund job claims a refund before it calls the gateway: 'requested'
-- -> 'processing' (attempts + 1, updated_at the claim's time) in one
-- statement, so two runs of the job (a retry while the first still waits
-- for the gateway, or two workers) never call the gateway at the same
-- time.  The outcome moves it on from 'processing' only: 'succeeded',
-- 'failed' (buyer credit), or back to 'requested' for a later attempt.  A
-- claim older than the job's stale limit is taken for a crashed run's.
ALTER TABLE refunds DROP CONSTRAINT refunds_state_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_state_check
	CHECK (state IN ('requested', 'processing', 'succeeded', 'failed'));
