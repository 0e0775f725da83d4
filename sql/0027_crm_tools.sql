-- 0027_crm_tools.sql - the seller's working tools in the chat composer
-- (issue 7, "Working tools in the chat composer"; src/crm/tools.h):
-- saved replies with a /shortcut, and custom offers the buyer accepts and
-- pays through the money path of issue 5.
--
-- A custom offer is posted into the conversation as a message of kind
-- 'offer' (messages.kind, sql/0023) and shown as a card by that message.
-- Accepting it creates an order (sql/0015) whose price snapshot is the
-- offer's: package_tier 'custom', quantity 1, no extras, unit price and
-- subtotal = price_minor, the buyer fee added as for any order.  Such an
-- order need not be based on a gig (orders.gig_id NULL); the offer keeps
-- the link (crm_offers.order_id, one order per offer).  Money is BIGINT
-- minor units; no floating point.

CREATE TABLE crm_saved_replies (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	shortcut	TEXT NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
	title		TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
	body		TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	UNIQUE (seller_id, shortcut)
);
CREATE TRIGGER crm_saved_replies_touch BEFORE UPDATE ON crm_saved_replies
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- status: open -> accepted (an order awaits payment) -> paid (the order
-- was paid: the trigger below; an unpaid order cancelled: open again);
-- open -> withdrawn (by the seller);
-- open -> expired (marked when someone tries to accept it after
-- expires_at; an open offer past expires_at is shown as expired anyway).
CREATE TABLE crm_offers (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation_id	BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	buyer_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	gig_id		BIGINT REFERENCES gigs (id) ON DELETE SET NULL,	-- the gig it is based on, if any
	description	TEXT NOT NULL CHECK (char_length(description) BETWEEN 1 AND 2000),
	price_minor	BIGINT NOT NULL CHECK (price_minor > 0 AND price_minor <= 100000000000),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	delivery_days	INT NOT NULL CHECK (delivery_days BETWEEN 1 AND 365),
	revisions	INT NOT NULL CHECK (revisions BETWEEN 0 AND 99),
	expires_at	TIMESTAMPTZ NOT NULL,
	status		TEXT NOT NULL DEFAULT 'open' CHECK (status IN
			('open', 'accepted', 'withdrawn', 'expired', 'paid')),
	message_id	BIGINT REFERENCES messages (id) ON DELETE SET NULL,
	order_id	BIGINT UNIQUE REFERENCES orders (id) ON DELETE RESTRICT,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	decided_at	TIMESTAMPTZ,
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK (buyer_id <> seller_id),
	CHECK ((order_id IS NULL) = (status IN ('open', 'withdrawn', 'expired')))
);
CREATE INDEX crm_offers_conversation_idx ON crm_offers (conversation_id, id);
CREATE INDEX crm_offers_message_idx ON crm_offers (message_id);
CREATE TRIGGER crm_offers_touch BEFORE UPDATE ON crm_offers
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Orders of a custom offer: tier 'custom', and no gig needed.
ALTER TABLE orders DROP CONSTRAINT orders_package_tier_check;
ALTER TABLE orders ADD CONSTRAINT orders_package_tier_check
	CHECK (package_tier IN ('basic', 'standard', 'premium', 'custom'));
ALTER TABLE orders ALTER COLUMN gig_id DROP NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_gig_or_custom_check
	CHECK (gig_id IS NOT NULL OR package_tier = 'custom');

-- The order of an accepted offer was paid (awaiting_payment -> a held
-- state): the offer becomes 'paid'.  It was cancelled unpaid: the offer
-- lets go of it and is open again (expired when past expires_at), so the
-- buyer may accept it anew.  Either way on the lead's timeline.
CREATE FUNCTION crm_offers_order_paid() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	f crm_offers%ROWTYPE;
	v_action TEXT;
BEGIN
	IF OLD.state <> 'awaiting_payment' THEN
		RETURN NEW;
	END IF;
	IF NEW.state IN ('awaiting_requirements', 'in_progress') THEN
		v_action := 'paid';
		UPDATE crm_offers SET status = 'paid', decided_at = souk_now()
		    WHERE order_id = NEW.id AND status = 'accepted' RETURNING * INTO f;
	ELSIF NEW.state = 'cancelled' THEN
		v_action := 'reopened';
		UPDATE crm_offers SET order_id = NULL, decided_at = souk_now(),
		    status = CASE WHEN expires_at > souk_now() THEN 'open' ELSE 'expired' END
		    WHERE order_id = NEW.id AND status = 'accepted' RETURNING * INTO f;
	ELSE
		RETURN NEW;
	END IF;
	IF FOUND THEN
		INSERT INTO crm_lead_events (conversation_id, seller_id, kind, data)
		VALUES (f.conversation_id, f.seller_id, 'offer',
		    jsonb_build_object('offer_id', f.id, 'action', v_action, 'order_id', NEW.id,
		    'price_minor', f.price_minor, 'currency', f.currency));
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER orders_crm_offer_paid AFTER UPDATE OF state ON orders
	FOR EACH ROW EXECUTE FUNCTION crm_offers_order_paid();

-- The lead's automatic deal value (sql/0026_crm.sql, used while the seller
-- has set none: crm_leads.value_minor NULL), now with custom offers: the
-- newest open order between the pair, else the newest open, unexpired
-- offer of the conversation, else the newest completed order.  Values are
-- what the seller sells, without the buyer's fee.
CREATE OR REPLACE FUNCTION crm_lead_value(p_conv BIGINT,
	OUT value_minor BIGINT, OUT currency TEXT, OUT source TEXT)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
	SELECT v.value_minor, v.currency, v.source FROM (
		SELECT o.subtotal_minor AS value_minor, o.currency, 'order'::text AS source,
		       CASE WHEN o.state <> 'completed' THEN 0 ELSE 2 END AS rank,
		       o.created_at AS at, o.id
		  FROM conversations c
		  JOIN orders o ON o.buyer_id = c.buyer_id AND o.seller_id = c.seller_id
		 WHERE c.id = p_conv AND o.state <> 'cancelled'
		UNION ALL
		SELECT f.price_minor, f.currency, 'offer'::text, 1, f.created_at, f.id
		  FROM crm_offers f
		 WHERE f.conversation_id = p_conv AND f.status = 'open' AND f.expires_at > souk_now()
	) v
	 ORDER BY v.rank, v.at DESC, v.id DESC
	 LIMIT 1
$$;
