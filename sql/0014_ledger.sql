-- The ledger (src/ledger): double-entry bookkeeping for every cent.
--
-- Sign convention.  Each entry is a signed amount in minor units of its
-- currency, and the entries of one transaction sum to zero per currency.
-- A positive balance means "money held in this bucket"; the accounts where
-- money enters and leaves the platform are the only ones that go negative:
--
--   gateway_clearing   money received through a gateway (negative = in)
--   escrow             held for one order (>= 0)
--   seller_pending     released to a seller, in clearance (>= 0)
--   seller_available   cleared, withdrawable (>= 0)
--   seller_payout      withdrawal requested, being paid out (>= 0)
--   seller_paid_out    paid out to the seller, ever (>= 0)
--   platform_revenue   buyer and seller fees earned (>= 0)
--   buyer_credit       refunds kept as credit for checkout (>= 0)
--   refunds            refunded to the original payment method, ever (>= 0)
--
-- So: -sum(gateway_clearing) = everything else, always.  Balances are
-- computed from entries (ledger_balances); nothing stores a balance.
-- Entries are append-only: a mistake is corrected by a new transaction.

-- A clock that tests may move forward (they never sleep for days).  Every
-- time rule of orders, escrow and payouts reads souk_now(), never now().
CREATE TABLE clock_offset (
	singleton	BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
	offset_s	BIGINT NOT NULL DEFAULT 0 CHECK (offset_s >= 0)
);
INSERT INTO clock_offset DEFAULT VALUES;

CREATE FUNCTION souk_now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT now() + make_interval(secs => (SELECT offset_s FROM clock_offset))
$$;

CREATE TABLE ledger_accounts (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		TEXT NOT NULL CHECK (kind IN ('gateway_clearing', 'escrow',
			'seller_pending', 'seller_available', 'seller_payout',
			'seller_paid_out', 'platform_revenue', 'buyer_credit',
			'refunds')),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	-- the owner: a user (seller_*, buyer_credit), an order (escrow) or a
	-- gateway (gateway_clearing); platform accounts have none
	user_id		BIGINT REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	order_id	BIGINT,
	gateway		TEXT CHECK (gateway IN ('payfast', 'ozow', 'stripe', 'paypal',
			'alipay', 'wechat')),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK ((kind IN ('seller_pending', 'seller_available', 'seller_payout',
		'seller_paid_out', 'buyer_credit')) = (user_id IS NOT NULL)),
	CHECK ((kind = 'escrow') = (order_id IS NOT NULL)),
	CHECK ((kind = 'gateway_clearing') = (gateway IS NOT NULL))
);
-- one account per (kind, currency, owner)
CREATE UNIQUE INDEX ledger_accounts_key ON ledger_accounts
	(kind, currency, coalesce(user_id, 0), coalesce(order_id, 0), coalesce(gateway, ''));
CREATE INDEX ledger_accounts_user_idx ON ledger_accounts (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX ledger_accounts_order_idx ON ledger_accounts (order_id) WHERE order_id IS NOT NULL;

-- ledger_account - the id of the account (kind, currency, owner), made on
-- first use.  Safe under concurrency (ON CONFLICT on the unique key).
CREATE FUNCTION ledger_account(p_kind TEXT, p_currency TEXT, p_user BIGINT,
	p_order BIGINT, p_gateway TEXT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
	v_id BIGINT;
BEGIN
	SELECT id INTO v_id FROM ledger_accounts
	 WHERE kind = p_kind AND currency = p_currency
	   AND coalesce(user_id, 0) = coalesce(p_user, 0)
	   AND coalesce(order_id, 0) = coalesce(p_order, 0)
	   AND coalesce(gateway, '') = coalesce(p_gateway, '');
	IF FOUND THEN
		RETURN v_id;
	END IF;
	INSERT INTO ledger_accounts (kind, currency, user_id, order_id, gateway)
	VALUES (p_kind, p_currency, p_user, p_order, p_gateway)
	ON CONFLICT DO NOTHING RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		SELECT id INTO v_id FROM ledger_accounts
		 WHERE kind = p_kind AND currency = p_currency
		   AND coalesce(user_id, 0) = coalesce(p_user, 0)
		   AND coalesce(order_id, 0) = coalesce(p_order, 0)
		   AND coalesce(gateway, '') = coalesce(p_gateway, '');
	END IF;
	RETURN v_id;
END
$$;

CREATE TABLE ledger_transactions (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- what happened: payment, escrow_release, clearance, refund,
	-- credit_refund, credit_spend, payout_request, payout_paid,
	-- payout_returned, change_order_payment
	kind		TEXT NOT NULL CHECK (kind ~ '^[a-z_]{3,40}$'),
	order_id	BIGINT,
	payment_id	BIGINT,
	payout_id	BIGINT,
	memo		TEXT NOT NULL DEFAULT '' CHECK (length(memo) <= 500),
	-- the same business event never posts twice (e.g. 'release:order:42')
	event_key	TEXT UNIQUE CHECK (event_key IS NULL OR length(event_key) BETWEEN 3 AND 200),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);
CREATE INDEX ledger_transactions_order_idx ON ledger_transactions (order_id);

CREATE TABLE ledger_entries (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	transaction_id	BIGINT NOT NULL REFERENCES ledger_transactions (id)
			ON UPDATE RESTRICT ON DELETE RESTRICT,
	account_id	BIGINT NOT NULL REFERENCES ledger_accounts (id)
			ON UPDATE RESTRICT ON DELETE RESTRICT,
	amount_minor	BIGINT NOT NULL CHECK (amount_minor <> 0),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY'))
);
CREATE INDEX ledger_entries_txn_idx ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id);

-- An entry's currency is its account's.
CREATE FUNCTION ledger_entry_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT currency FROM ledger_accounts WHERE id = NEW.account_id)
	   IS DISTINCT FROM NEW.currency THEN
		RAISE EXCEPTION 'ledger entry currency % differs from its account''s', NEW.currency
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER ledger_entries_currency BEFORE INSERT ON ledger_entries
	FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();

-- The balance rule, checked at commit: every transaction touched sums to
-- zero per currency, and has at least two entries.
CREATE FUNCTION ledger_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_bad RECORD;
BEGIN
	SELECT currency, sum(amount_minor) AS total, count(*) AS n INTO v_bad
	  FROM ledger_entries WHERE transaction_id = NEW.transaction_id
	 GROUP BY currency HAVING sum(amount_minor) <> 0 OR count(*) < 2 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'ledger transaction % does not balance in %: % over % entries',
			NEW.transaction_id, v_bad.currency, v_bad.total, v_bad.n
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON ledger_entries
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION ledger_balance_check();

-- Append-only: no UPDATE or DELETE of transactions or entries, ever.
CREATE FUNCTION ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- The balance of every account, from its entries.
CREATE VIEW ledger_balances AS
	SELECT a.id AS account_id, a.kind, a.currency, a.user_id, a.order_id, a.gateway,
	       coalesce(sum(e.amount_minor), 0)::bigint AS balance_minor
	  FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
	 GROUP BY a.id;

-- A posting is one statement: the legs as parallel arrays.
-- ledger_post(kind, order, payment, payout, memo, event_key, currency,
--             kinds[], users[], orders[], gateways[], amounts[])
-- returns the transaction id, or NULL when event_key was already posted
-- (the event happened before: nothing is written twice).  A debit that
-- would take an account other than gateway_clearing below zero raises
-- SQLSTATE SK402 and the whole transaction rolls back.
CREATE FUNCTION ledger_post(p_kind TEXT, p_order BIGINT, p_payment BIGINT,
	p_payout BIGINT, p_memo TEXT, p_event_key TEXT, p_currency TEXT,
	p_kinds TEXT[], p_users BIGINT[], p_orders BIGINT[], p_gateways TEXT[],
	p_amounts BIGINT[]) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
	v_txn BIGINT;
	v_acct BIGINT;
	v_bal BIGINT;
	i INT;
BEGIN
	INSERT INTO ledger_transactions (kind, order_id, payment_id, payout_id, memo, event_key)
	VALUES (p_kind, p_order, p_payment, p_payout, coalesce(p_memo, ''), p_event_key)
	ON CONFLICT (event_key) DO NOTHING RETURNING id INTO v_txn;
	IF v_txn IS NULL THEN
		RETURN NULL;
	END IF;
	FOR i IN 1 .. coalesce(array_length(p_kinds, 1), 0) LOOP
		IF p_amounts[i] <> 0 THEN
			v_acct := ledger_account(p_kinds[i], p_currency, p_users[i],
				p_orders[i], p_gateways[i]);
			-- only the gateway clearing accounts may go negative; the
			-- account lock serialises concurrent debits of one account
			IF p_amounts[i] < 0 AND p_kinds[i] <> 'gateway_clearing' THEN
				PERFORM pg_advisory_xact_lock(8411, (v_acct % 2147483647)::int);
				SELECT coalesce(sum(amount_minor), 0) INTO v_bal
				  FROM ledger_entries WHERE account_id = v_acct;
				IF v_bal + p_amounts[i] < 0 THEN
					RAISE EXCEPTION 'ledger: % account % holds %, cannot take %',
						p_kinds[i], v_acct, v_bal, -p_amounts[i]
						USING ERRCODE = 'SK402';
				END IF;
			END IF;
			INSERT INTO ledger_entries (transaction_id, account_id, amount_minor, currency)
			VALUES (v_txn, v_acct, p_amounts[i], p_currency);
		END IF;
	END LOOP;
	RETURN v_txn;
END
$$;
