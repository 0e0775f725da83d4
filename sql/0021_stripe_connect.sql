-- Stripe Connect payouts (src/sellers, src/payouts): a seller may be paid
-- to a Stripe connected account ("separate charges and transfers",
-- docs/payment-gateways.md §3.4).  seller_payouts.method gains 'stripe';
-- its sealed details are {"v":1,"method":"stripe","account":"acct_..."}.
-- payouts.method already allows 'stripe' (sql/0015_orders.sql).
--
-- The CHECK of 0007 is unnamed in its CREATE TABLE, so PostgreSQL named it
-- seller_payouts_method_check; it is looked up rather than assumed, then
-- re-added under that name.
DO $$
DECLARE
	c TEXT;
BEGIN
	FOR c IN
		SELECT con.conname FROM pg_constraint con
		WHERE con.conrelid = 'seller_payouts'::regclass AND con.contype = 'c'
		  AND pg_get_constraintdef(con.oid) LIKE '%method%'
	LOOP
		EXECUTE format('ALTER TABLE seller_payouts DROP CONSTRAINT %I', c);
	END LOOP;
END
$$;

ALTER TABLE seller_payouts ADD CONSTRAINT seller_payouts_method_check
	CHECK (method IN ('bank', 'paypal', 'alipay', 'stripe'));
