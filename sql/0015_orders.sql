-- Orders (src/orders), payments (src/payments) and payouts.
-- Money is BIGINT minor units everywhere; no floating point.

-- Delivery and requirement files may be archives and documents too.
ALTER TABLE media DROP CONSTRAINT media_kind_check;
ALTER TABLE media ADD CONSTRAINT media_kind_check
	CHECK (kind IN ('image', 'video', 'pdf', 'file'));

-- The order state machine: the only allowed moves.  Enforced here by a
-- trigger and in C by orders_transition() before it writes.
CREATE TABLE order_state_transitions (
	from_state	TEXT NOT NULL,
	to_state	TEXT NOT NULL,
	PRIMARY KEY (from_state, to_state)
);
INSERT INTO order_state_transitions (from_state, to_state) VALUES
	('awaiting_payment', 'awaiting_requirements'),
	('awaiting_payment', 'cancelled'),
	('awaiting_requirements', 'in_progress'),
	('awaiting_requirements', 'cancelled'),
	('in_progress', 'delivered'),
	('in_progress', 'cancelled'),
	('delivered', 'revision_requested'),
	('delivered', 'in_progress'),		-- a change order paid after delivery
	('delivered', 'completed'),
	('delivered', 'cancelled'),
	('revision_requested', 'in_progress'),
	('revision_requested', 'cancelled');

CREATE TABLE orders (
	id			BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	buyer_id		BIGINT NOT NULL REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	seller_id		BIGINT NOT NULL REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	gig_id			BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	state			TEXT NOT NULL DEFAULT 'awaiting_payment' CHECK (state IN
				('awaiting_payment', 'awaiting_requirements', 'in_progress',
				 'delivered', 'revision_requested', 'completed', 'cancelled')),
	-- what was bought, frozen at checkout
	package_tier		TEXT NOT NULL CHECK (package_tier IN ('basic', 'standard', 'premium')),
	package_name		TEXT NOT NULL,
	gig_title		TEXT NOT NULL,
	quantity		INT NOT NULL CHECK (quantity BETWEEN 1 AND 20),
	-- [{id, kind, title, price_minor, added_days, quantity}]
	extras			JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(extras) = 'array'),
	currency		TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	unit_price_minor	BIGINT NOT NULL CHECK (unit_price_minor > 0),
	subtotal_minor		BIGINT NOT NULL CHECK (subtotal_minor > 0),
	buyer_fee_minor		BIGINT NOT NULL CHECK (buyer_fee_minor >= 0),
	total_minor		BIGINT NOT NULL CHECK (total_minor = subtotal_minor + buyer_fee_minor),
	seller_fee_bps		INT NOT NULL CHECK (seller_fee_bps BETWEEN 0 AND 10000),
	delivery_days		INT NOT NULL CHECK (delivery_days BETWEEN 1 AND 365),
	revisions_allowed	INT NOT NULL CHECK (revisions_allowed >= -1),	-- -1 = unlimited
	revisions_used		INT NOT NULL DEFAULT 0 CHECK (revisions_used >= 0),
	disputed		BOOLEAN NOT NULL DEFAULT false,
	requirements_at		TIMESTAMPTZ,
	due_at			TIMESTAMPTZ,
	delivered_at		TIMESTAMPTZ,
	auto_complete_at	TIMESTAMPTZ,
	completed_at		TIMESTAMPTZ,
	cancelled_at		TIMESTAMPTZ,
	cancel_reason		TEXT,
	created_at		TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	updated_at		TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK (buyer_id <> seller_id)
);
CREATE INDEX orders_buyer_idx ON orders (buyer_id, created_at DESC);
CREATE INDEX orders_seller_idx ON orders (seller_id, created_at DESC);
CREATE INDEX orders_gig_idx ON orders (gig_id);
CREATE INDEX orders_auto_complete_idx ON orders (auto_complete_at) WHERE state = 'delivered';

CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- SQLSTATE SK409 ("souk: conflict") = a transition the table does not allow;
-- the web layer answers 409.
CREATE FUNCTION orders_state_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
		SELECT 1 FROM order_state_transitions
		 WHERE from_state = OLD.state AND to_state = NEW.state) THEN
		RAISE EXCEPTION 'order %: % -> % is not allowed', OLD.id, OLD.state, NEW.state
			USING ERRCODE = 'SK409';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER orders_state BEFORE UPDATE OF state ON orders
	FOR EACH ROW EXECUTE FUNCTION orders_state_check();

-- The timeline: everything that happened, in order.  kind: created, paid,
-- requirements, message, delivery, revision, accepted, completed,
-- auto_completed, change_order_*, extension_*, cancellation_*, cancelled,
-- refunded, released, cleared, disputed, undisputed, staff_note.
CREATE TABLE order_events (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	actor_id	BIGINT REFERENCES users (id) ON DELETE SET NULL,	-- NULL = the system
	kind		TEXT NOT NULL CHECK (kind ~ '^[a-z_]{3,40}$'),
	body		TEXT NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
	data		JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- Files attached to an event (delivery files, message attachments, file
-- answers to requirements): private media, for the two parties and staff.
CREATE TABLE order_files (
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	event_id	BIGINT NOT NULL REFERENCES order_events (id) ON DELETE CASCADE,
	media_id	BIGINT NOT NULL REFERENCES media (id) ON DELETE RESTRICT,
	PRIMARY KEY (event_id, media_id)
);
CREATE INDEX order_files_media_idx ON order_files (media_id);

-- The buyer's answers to the gig's requirements (frozen question text).
CREATE TABLE order_requirement_answers (
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	position	INT NOT NULL,
	question	TEXT NOT NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('text', 'choice', 'file')),
	answer		TEXT NOT NULL DEFAULT '' CHECK (length(answer) <= 5000),
	media_id	BIGINT REFERENCES media (id) ON DELETE RESTRICT,
	PRIMARY KEY (order_id, position)
);

-- Change orders: new scope the seller prices and the buyer pays into the
-- same order's escrow.  Never a revision.
CREATE TABLE order_change_orders (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	description	TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
	amount_minor	BIGINT NOT NULL CHECK (amount_minor > 0),
	buyer_fee_minor	BIGINT NOT NULL DEFAULT 0 CHECK (buyer_fee_minor >= 0),
	added_days	INT NOT NULL CHECK (added_days BETWEEN 0 AND 90),
	state		TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN
			('proposed', 'accepted', 'paid', 'declined', 'withdrawn')),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	decided_at	TIMESTAMPTZ
);
CREATE INDEX order_change_orders_order_idx ON order_change_orders (order_id);

-- Due-date extensions asked by the seller, answered by the buyer.
CREATE TABLE order_extensions (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	days		INT NOT NULL CHECK (days BETWEEN 1 AND 30),
	reason		TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
	state		TEXT NOT NULL DEFAULT 'requested' CHECK (state IN
			('requested', 'accepted', 'declined', 'withdrawn')),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	decided_at	TIMESTAMPTZ
);
CREATE UNIQUE INDEX order_extensions_open ON order_extensions (order_id) WHERE state = 'requested';

-- Mutual cancellation: one side asks, the other answers within
-- cancel_answer_hours, after which souk-worker cancels.
CREATE TABLE order_cancellations (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	requested_by	BIGINT NOT NULL REFERENCES users (id),
	reason		TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
	state		TEXT NOT NULL DEFAULT 'requested' CHECK (state IN
			('requested', 'accepted', 'declined', 'withdrawn', 'expired')),
	expires_at	TIMESTAMPTZ NOT NULL,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	decided_at	TIMESTAMPTZ
);
CREATE UNIQUE INDEX order_cancellations_open ON order_cancellations (order_id) WHERE state = 'requested';
CREATE INDEX order_cancellations_expiry_idx ON order_cancellations (expires_at) WHERE state = 'requested';

-- Idempotency keys of money-moving POSTs: the first request with a key
-- stores its outcome; a repeat gets the same outcome and changes nothing.
CREATE TABLE idempotency_keys (
	user_id		BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key		TEXT NOT NULL CHECK (key ~ '^[A-Za-z0-9_-]{16,64}$'),
	scope		TEXT NOT NULL CHECK (scope ~ '^[a-z_]{3,40}$'),
	request_hash	TEXT NOT NULL,		-- hex sha256 of the meaningful fields
	status		INT,			-- NULL while the first request runs
	location	TEXT,			-- where the outcome redirects
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, key)
);

-- A payment attempt through one gateway: for an order, or for a change
-- order.  reference is what we send the gateway (m_payment_id,
-- TransactionReference, metadata, out_trade_no); gateway_txn_id is the
-- gateway's own id once known.
CREATE TABLE payments (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
	change_order_id	BIGINT REFERENCES order_change_orders (id) ON DELETE RESTRICT,
	buyer_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	gateway		TEXT NOT NULL CHECK (gateway IN ('payfast', 'ozow', 'stripe', 'paypal',
			'alipay', 'wechat', 'credit')),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	amount_minor	BIGINT NOT NULL CHECK (amount_minor > 0),	-- charged by the gateway
	credit_minor	BIGINT NOT NULL DEFAULT 0 CHECK (credit_minor >= 0),	-- buyer credit used
	state		TEXT NOT NULL DEFAULT 'created' CHECK (state IN
			('created', 'pending', 'paid', 'failed', 'cancelled')),
	reference	TEXT NOT NULL UNIQUE CHECK (reference ~ '^[A-Za-z0-9_-]{6,64}$'),
	gateway_txn_id	TEXT,
	refunded_minor	BIGINT NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	paid_at		TIMESTAMPTZ,
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK (refunded_minor <= amount_minor + credit_minor)
);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE UNIQUE INDEX payments_gateway_txn ON payments (gateway, gateway_txn_id)
	WHERE gateway_txn_id IS NOT NULL;
-- at most one paid payment per order (or per change order)
CREATE UNIQUE INDEX payments_one_paid ON payments (order_id, coalesce(change_order_id, 0))
	WHERE state = 'paid';
CREATE TRIGGER payments_touch BEFORE UPDATE ON payments
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Every notification that passed its signature check, stored under the
-- gateway's own id before anything else happens: a duplicate hits the
-- unique key and changes nothing.
CREATE TABLE gateway_notifications (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gateway		TEXT NOT NULL,
	event_id	TEXT NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
	payment_id	BIGINT REFERENCES payments (id),
	status		TEXT NOT NULL DEFAULT '',	-- the gateway's status word
	remote_addr	TEXT NOT NULL DEFAULT '',
	request_id	TEXT NOT NULL DEFAULT '',
	body		TEXT NOT NULL,
	received_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	UNIQUE (gateway, event_id)
);

-- Refused notifications (signature, source address, amount, validation),
-- kept for staff; they change nothing else.
CREATE TABLE gateway_rejections (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gateway		TEXT NOT NULL,
	reason		TEXT NOT NULL,
	remote_addr	TEXT NOT NULL DEFAULT '',
	request_id	TEXT NOT NULL DEFAULT '',
	body		TEXT NOT NULL DEFAULT '',
	received_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE refunds (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	BIGINT NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
	payment_id	BIGINT NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
	amount_minor	BIGINT NOT NULL CHECK (amount_minor > 0),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	method		TEXT NOT NULL CHECK (method IN ('gateway', 'credit')),
	state		TEXT NOT NULL DEFAULT 'requested' CHECK (state IN
			('requested', 'succeeded', 'failed')),
	idempotency_key	TEXT NOT NULL UNIQUE,
	gateway_refund_id TEXT,
	error		TEXT,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_idx ON refunds (order_id);

-- The weekly payout batch, per currency.
CREATE TABLE payout_batches (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	week		DATE NOT NULL,		-- the Monday of the batch's week
	state		TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'sent', 'done')),
	bank_file	TEXT,			-- CSV for FINANCE, when any payout is a bank transfer
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	UNIQUE (currency, week)
);

-- A seller's withdrawal: requested -> approved -> paid (or held by FINANCE,
-- or failed/cancelled, which returns the money to available).
CREATE TABLE payouts (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	amount_minor	BIGINT NOT NULL CHECK (amount_minor > 0),
	method		TEXT NOT NULL CHECK (method IN ('stripe', 'payfast', 'paypal', 'alipay',
			'wechat', 'bank')),
	state		TEXT NOT NULL DEFAULT 'requested' CHECK (state IN
			('requested', 'approved', 'held', 'paid', 'failed', 'cancelled')),
	batch_id	BIGINT REFERENCES payout_batches (id),
	idempotency_key	TEXT NOT NULL UNIQUE,
	gateway_ref	TEXT,
	note		TEXT,
	decided_by	BIGINT REFERENCES users (id),
	requested_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	decided_at	TIMESTAMPTZ,
	paid_at		TIMESTAMPTZ,
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payouts_seller_idx ON payouts (seller_id, requested_at DESC);
CREATE INDEX payouts_state_idx ON payouts (state);
CREATE TRIGGER payouts_touch BEFORE UPDATE ON payouts
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Escrow releases waiting for clearance: one row per release, cleared by
-- souk-worker when clears_at passes (souk_now()).
CREATE TABLE seller_clearances (
	order_id	BIGINT PRIMARY KEY REFERENCES orders (id),
	seller_id	BIGINT NOT NULL REFERENCES users (id),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	amount_minor	BIGINT NOT NULL CHECK (amount_minor >= 0),
	clears_at	TIMESTAMPTZ NOT NULL,
	cleared_at	TIMESTAMPTZ
);
CREATE INDEX seller_clearances_due_idx ON seller_clearances (clears_at) WHERE cleared_at IS NULL;
