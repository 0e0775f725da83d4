-- 0026_crm.sql - the seller's CRM: pipeline stages, leads, labels, private
-- notes and the lead timeline (issue 7; src/crm).
--
-- Every conversation is a lead on its seller's board: a trigger on
-- conversations creates the lead (and the seller's default stages when the
-- seller has none yet); existing conversations are backfilled below.
-- Triggers on messages keep the lead's activity times current and write a
-- 'message' event per message (id and sender role, never the body); an
-- order paid between the pair moves the lead to the seller's Won stage and
-- writes an 'order' event.
--
-- Errors raised by crm_move_lead() (the web layer maps them):
--   SK403 - the stage or the lead belongs to another seller
--   SK404 - no such lead / stage
--   SK409 - the stage is deleted
--
-- Money is BIGINT minor units.  Time is souk_now() (the test clock).
-- Applied by `soukctl migrate` inside one transaction.

CREATE TABLE crm_stages (
	id		BIGSERIAL PRIMARY KEY,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
	color		TEXT NOT NULL DEFAULT '#6b7280' CHECK (color ~ '^#[0-9a-f]{6}$'),
	position	INT NOT NULL DEFAULT 0,
	outcome		TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost')),
	-- stable key of a default stage ('new', 'qualified', 'proposal',
	-- 'negotiation', 'won', 'lost'); NULL for the seller's own stages
	slug		TEXT CHECK (slug IN ('new', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	deleted_at	TIMESTAMPTZ
);
CREATE INDEX crm_stages_seller_idx ON crm_stages (seller_id, position) WHERE deleted_at IS NULL;
-- one default stage per slug and seller, ever (a deleted default stays
-- deleted: crm_ensure_stages only seeds a seller who has no stage rows)
CREATE UNIQUE INDEX crm_stages_slug_idx ON crm_stages (seller_id, slug) WHERE slug IS NOT NULL;

CREATE TABLE crm_leads (
	conversation_id	BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	buyer_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	stage_id	BIGINT NOT NULL REFERENCES crm_stages (id),
	position	INT NOT NULL DEFAULT 0,
	-- the deal value the seller typed; NULL = not set (the board then shows
	-- crm_lead_value(): an open order's value, then an open offer's)
	value_minor	BIGINT CHECK (value_minor >= 0),
	currency	CHAR(3) CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	score		INT NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
	spam		BOOLEAN NOT NULL DEFAULT false,
	source_gig_id	BIGINT REFERENCES gigs (id) ON DELETE SET NULL,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	stage_changed_at TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	last_activity_at TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	last_buyer_message_at TIMESTAMPTZ,
	last_seller_message_at TIMESTAMPTZ,
	CHECK ((value_minor IS NULL) = (currency IS NULL))
);
CREATE INDEX crm_leads_seller_idx ON crm_leads (seller_id, stage_id, position);
CREATE INDEX crm_leads_stage_idx ON crm_leads (stage_id);

-- The lead timeline.  kind: message, order, offer, stage, note, trigger, label.
CREATE TABLE crm_lead_events (
	id		BIGSERIAL PRIMARY KEY,
	conversation_id	BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN
			('message', 'order', 'offer', 'stage', 'note', 'trigger', 'label')),
	data		JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);
CREATE INDEX crm_lead_events_conv_idx ON crm_lead_events (conversation_id, id DESC);
CREATE INDEX crm_lead_events_seller_idx ON crm_lead_events (seller_id, created_at);

-- The seller's labels, with colours.
CREATE TABLE crm_labels (
	id		BIGSERIAL PRIMARY KEY,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40),
	color		TEXT NOT NULL DEFAULT '#2563eb' CHECK (color ~ '^#[0-9a-f]{6}$'),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);
CREATE UNIQUE INDEX crm_labels_name_idx ON crm_labels (seller_id, lower(name));

CREATE TABLE crm_lead_labels (
	conversation_id	BIGINT NOT NULL REFERENCES crm_leads (conversation_id) ON DELETE CASCADE,
	label_id	BIGINT NOT NULL REFERENCES crm_labels (id) ON DELETE CASCADE,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX crm_lead_labels_label_idx ON crm_lead_labels (label_id);

-- Private notes: the seller's only, never shown to the buyer.
CREATE TABLE crm_lead_notes (
	id		BIGSERIAL PRIMARY KEY,
	conversation_id	BIGINT NOT NULL REFERENCES crm_leads (conversation_id) ON DELETE CASCADE,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	body		TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);
CREATE INDEX crm_lead_notes_conv_idx ON crm_lead_notes (conversation_id, id DESC);

-- crm_ensure_stages(seller) - seed the six default stages for a seller
-- who has no stage rows yet; safe under concurrency (the slug index makes a
-- concurrent seeder's rows win).  Returns nothing.
CREATE FUNCTION crm_ensure_stages(p_seller BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM crm_stages WHERE seller_id = p_seller) THEN
		RETURN;
	END IF;
	INSERT INTO crm_stages (seller_id, name, color, position, outcome, slug)
	VALUES	(p_seller, 'New lead', '#6b7280', 0, 'open', 'new'),
		(p_seller, 'Qualified', '#2563eb', 1, 'open', 'qualified'),
		(p_seller, 'Proposal sent', '#7c3aed', 2, 'open', 'proposal'),
		(p_seller, 'Negotiation', '#d97706', 3, 'open', 'negotiation'),
		(p_seller, 'Won', '#059669', 4, 'won', 'won'),
		(p_seller, 'Lost', '#dc2626', 5, 'lost', 'lost')
	ON CONFLICT DO NOTHING;
END
$$;

-- crm_entry_stage(seller) - the stage a new lead enters: the live 'new'
-- stage, else the seller's first live open stage, else the first live one.
CREATE FUNCTION crm_entry_stage(p_seller BIGINT) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT id FROM crm_stages WHERE seller_id = p_seller AND deleted_at IS NULL
	 ORDER BY (slug IS NOT DISTINCT FROM 'new') DESC, (outcome = 'open') DESC, position, id
	 LIMIT 1
$$;

-- crm_lead_value(conversation) - the automatic deal value of a lead:
-- the newest open (not cancelled, not completed) order between the pair,
-- else the newest completed one; value = the order's subtotal (what the
-- seller sells, without the buyer's fee).  0027 (custom offers) may
-- replace this function to add an open offer after the orders.
-- Returns one row (value_minor, currency, source) or no row.
CREATE FUNCTION crm_lead_value(p_conv BIGINT,
	OUT value_minor BIGINT, OUT currency TEXT, OUT source TEXT)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
	SELECT o.subtotal_minor, o.currency, 'order'::text
	  FROM conversations c
	  JOIN orders o ON o.buyer_id = c.buyer_id AND o.seller_id = c.seller_id
	 WHERE c.id = p_conv AND o.state <> 'cancelled'
	 ORDER BY (o.state <> 'completed') DESC, o.created_at DESC, o.id DESC
	 LIMIT 1
$$;

-- crm_lead_score_breakdown(conversation) - how the lead score is made, as
-- a JSON array of {key, points, max, detail} whose points sum to the
-- score (0..100):
--   recency   0..30  30 × (1 − days since the last message / 30), floored, 0 after 30 days
--   messages  0..25  5 per message from the buyer, at most 25
--   orders    0..20  10 per order (not cancelled), at most 20
--   value     0..10  1 per 10 000 minor units of order subtotal (100.00 of the
--                    order's currency), at most 10
--   response  0..15  mean time of the seller's first reply to each run of buyer
--                    messages: ≤ 1 h 15, ≤ 4 h 10, ≤ 24 h 5, slower 0;
--                    no reply yet 0
CREATE FUNCTION crm_lead_score_breakdown(p_conv BIGINT) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	c conversations%ROWTYPE;
	v_last TIMESTAMPTZ;
	v_days NUMERIC;
	v_recency INT := 0;
	v_nbuyer INT;
	v_norders INT;
	v_sum BIGINT;
	v_resp NUMERIC;
	v_replies INT;
	v_resp_pts INT := 0;
BEGIN
	SELECT * INTO c FROM conversations WHERE id = p_conv;
	IF NOT FOUND THEN
		RETURN '[]'::jsonb;
	END IF;
	SELECT max(created_at), count(*) FILTER (WHERE sender_id = c.buyer_id)
	  INTO v_last, v_nbuyer
	  FROM messages WHERE conversation_id = p_conv AND deleted_at IS NULL;
	IF v_last IS NOT NULL THEN
		v_days := greatest(0, extract(epoch FROM souk_now() - v_last) / 86400.0);
		v_recency := greatest(0, floor(30 * (1 - v_days / 30)))::int;
	END IF;
	SELECT count(*), coalesce(sum(subtotal_minor), 0) INTO v_norders, v_sum
	  FROM orders WHERE buyer_id = c.buyer_id AND seller_id = c.seller_id
	   AND state <> 'cancelled';
	-- the seller's first reply after each run of buyer messages (one pass:
	-- the earliest seller message after each row, walking backwards)
	SELECT avg(extract(epoch FROM m.reply_at - m.created_at)), count(*)
	  INTO v_resp, v_replies
	  FROM (SELECT id, created_at, sender_id,
		       lag(sender_id) OVER (ORDER BY id) AS prev_sender,
		       min(CASE WHEN sender_id = c.seller_id THEN created_at END) OVER (
			   ORDER BY id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reply_at
		  FROM messages WHERE conversation_id = p_conv) m
	 WHERE m.sender_id = c.buyer_id AND m.prev_sender IS DISTINCT FROM c.buyer_id
	   AND m.reply_at IS NOT NULL;
	IF v_replies > 0 THEN
		v_resp_pts := CASE WHEN v_resp <= 3600 THEN 15 WHEN v_resp <= 14400 THEN 10
				   WHEN v_resp <= 86400 THEN 5 ELSE 0 END;
	END IF;
	RETURN jsonb_build_array(
		jsonb_build_object('key', 'recency', 'points', v_recency, 'max', 30,
			'days', CASE WHEN v_days IS NULL THEN NULL ELSE round(v_days, 1) END),
		jsonb_build_object('key', 'messages', 'points', least(25, 5 * v_nbuyer), 'max', 25,
			'count', v_nbuyer),
		jsonb_build_object('key', 'orders', 'points', least(20, 10 * v_norders), 'max', 20,
			'count', v_norders),
		jsonb_build_object('key', 'value', 'points', least(10, v_sum / 10000)::int, 'max', 10,
			'sum_minor', v_sum),
		jsonb_build_object('key', 'response', 'points', v_resp_pts, 'max', 15,
			'replies', v_replies,
			'mean_seconds', CASE WHEN v_replies > 0 THEN round(v_resp)::bigint ELSE NULL END));
END
$$;

-- crm_lead_score(conversation) - the sum of the breakdown's points (0..100).
CREATE FUNCTION crm_lead_score(p_conv BIGINT) RETURNS int
LANGUAGE sql STABLE AS $$
	SELECT coalesce(sum((e->>'points')::int), 0)::int
	  FROM jsonb_array_elements(crm_lead_score_breakdown(p_conv)) e
$$;

-- crm_move_lead(seller, conversation, stage, position, by) - move a lead
-- of @seller to @stage at @position (0 = top; NULL or past the end = last),
-- renumbering the stage's other cards; records a 'stage' event with
-- {from_stage_id, to_stage_id, from, to, position, by} and returns its id
-- (NULL when the lead was already there at that position: nothing changes).
-- Raises SK404 (no lead / no stage), SK403 (another seller's lead or
-- stage), SK409 (deleted stage).  @by: 'seller', 'trigger:<id>', 'order'.
CREATE FUNCTION crm_move_lead(p_seller BIGINT, p_conv BIGINT, p_stage BIGINT,
	p_position INT, p_by TEXT) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	l crm_leads%ROWTYPE;
	s crm_stages%ROWTYPE;
	v_from crm_stages%ROWTYPE;
	v_n INT;
	v_pos INT;
	v_event BIGINT;
BEGIN
	SELECT * INTO l FROM crm_leads WHERE conversation_id = p_conv FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'crm: no lead %', p_conv USING ERRCODE = 'SK404';
	END IF;
	IF l.seller_id <> p_seller THEN
		RAISE EXCEPTION 'crm: lead % is not yours', p_conv USING ERRCODE = 'SK403';
	END IF;
	SELECT * INTO s FROM crm_stages WHERE id = p_stage FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'crm: no stage %', p_stage USING ERRCODE = 'SK404';
	END IF;
	IF s.seller_id <> p_seller THEN
		RAISE EXCEPTION 'crm: stage % is not yours', p_stage USING ERRCODE = 'SK403';
	END IF;
	IF s.deleted_at IS NOT NULL THEN
		RAISE EXCEPTION 'crm: stage % is deleted', p_stage USING ERRCODE = 'SK409';
	END IF;
	-- serialise moves into one column so positions stay a sequence
	PERFORM 1 FROM crm_stages WHERE id = p_stage FOR UPDATE;
	SELECT count(*) INTO v_n FROM crm_leads
	 WHERE stage_id = p_stage AND conversation_id <> p_conv;
	v_pos := CASE WHEN p_position IS NULL OR p_position > v_n THEN v_n
		      WHEN p_position < 0 THEN 0 ELSE p_position END;
	IF l.stage_id = p_stage AND l.position = v_pos THEN
		RETURN NULL;
	END IF;
	UPDATE crm_leads t SET position = r.rn + CASE WHEN r.rn >= v_pos THEN 1 ELSE 0 END
	  FROM (SELECT conversation_id, (row_number() OVER (
			ORDER BY position, last_activity_at DESC, conversation_id) - 1)::int AS rn
		  FROM crm_leads WHERE stage_id = p_stage AND conversation_id <> p_conv) r
	 WHERE t.conversation_id = r.conversation_id AND t.position <> r.rn
		+ CASE WHEN r.rn >= v_pos THEN 1 ELSE 0 END;
	UPDATE crm_leads SET stage_id = p_stage, position = v_pos,
		stage_changed_at = CASE WHEN stage_id <> p_stage THEN souk_now()
				   ELSE stage_changed_at END
	 WHERE conversation_id = p_conv;
	IF l.stage_id = p_stage THEN
		RETURN NULL;	-- a reorder inside a column is not a timeline event
	END IF;
	SELECT * INTO v_from FROM crm_stages WHERE id = l.stage_id;
	INSERT INTO crm_lead_events (conversation_id, seller_id, kind, data)
	VALUES (p_conv, p_seller, 'stage', jsonb_build_object(
		'from_stage_id', l.stage_id, 'to_stage_id', p_stage,
		'from', v_from.name, 'to', s.name, 'position', v_pos, 'by', p_by))
	RETURNING id INTO v_event;
	RETURN v_event;
END
$$;

-- a new conversation: the seller's stages when missing, and its lead at
-- the top of the entry stage
CREATE FUNCTION crm_conversation_created() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_stage BIGINT;
BEGIN
	PERFORM crm_ensure_stages(NEW.seller_id);
	v_stage := crm_entry_stage(NEW.seller_id);
	IF v_stage IS NULL THEN
		RETURN NEW;
	END IF;
	UPDATE crm_leads SET position = position + 1 WHERE stage_id = v_stage;
	INSERT INTO crm_leads (conversation_id, seller_id, buyer_id, stage_id, position,
		created_at, stage_changed_at, last_activity_at)
	VALUES (NEW.id, NEW.seller_id, NEW.buyer_id, v_stage, 0,
		NEW.created_at, NEW.created_at, NEW.created_at)
	ON CONFLICT (conversation_id) DO NOTHING;
	RETURN NEW;
END
$$;
CREATE TRIGGER crm_conversation_created AFTER INSERT ON conversations
	FOR EACH ROW EXECUTE FUNCTION crm_conversation_created();

-- a new message: the lead's activity times, its score, and a summarised
-- 'message' event (id, sender role and message kind; never the body)
CREATE FUNCTION crm_message_posted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	l crm_leads%ROWTYPE;
	v_role TEXT;
BEGIN
	SELECT * INTO l FROM crm_leads WHERE conversation_id = NEW.conversation_id;
	IF NOT FOUND THEN
		RETURN NEW;
	END IF;
	v_role := CASE WHEN NEW.sender_id = l.seller_id THEN 'seller'
		       WHEN NEW.sender_id = l.buyer_id THEN 'buyer' ELSE 'other' END;
	UPDATE crm_leads SET
		last_activity_at = greatest(last_activity_at, NEW.created_at),
		last_buyer_message_at = CASE WHEN v_role = 'buyer' THEN NEW.created_at
			ELSE last_buyer_message_at END,
		last_seller_message_at = CASE WHEN v_role = 'seller' THEN NEW.created_at
			ELSE last_seller_message_at END,
		score = crm_lead_score(NEW.conversation_id)
	 WHERE conversation_id = NEW.conversation_id;
	INSERT INTO crm_lead_events (conversation_id, seller_id, kind, data, created_at)
	VALUES (NEW.conversation_id, l.seller_id, 'message', jsonb_build_object(
		'message_id', NEW.id, 'sender', v_role,
		'message_kind', coalesce(to_jsonb(NEW)->>'kind', 'user')), NEW.created_at);
	RETURN NEW;
END
$$;
CREATE TRIGGER crm_message_posted AFTER INSERT ON messages
	FOR EACH ROW EXECUTE FUNCTION crm_message_posted();

-- an order between the pair: paid (left awaiting_payment for a live state)
-- moves the lead to the seller's Won stage; paid, completed and cancelled
-- are recorded on the timeline
CREATE FUNCTION crm_order_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	l crm_leads%ROWTYPE;
	v_won BIGINT;
	v_what TEXT;
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
		RETURN NEW;
	END IF;
	v_what := CASE
		WHEN TG_OP = 'INSERT' AND NEW.state = 'awaiting_payment' THEN 'placed'
		WHEN TG_OP = 'INSERT' AND NEW.state <> 'cancelled' THEN 'paid'
		WHEN TG_OP = 'UPDATE' AND OLD.state = 'awaiting_payment'
		     AND NEW.state <> 'cancelled' THEN 'paid'
		WHEN NEW.state = 'completed' THEN 'completed'
		WHEN NEW.state = 'cancelled' THEN 'cancelled'
		ELSE NULL END;
	IF v_what IS NULL THEN
		RETURN NEW;
	END IF;
	SELECT l2.* INTO l FROM crm_leads l2
	  JOIN conversations c ON c.id = l2.conversation_id
	 WHERE c.buyer_id = NEW.buyer_id AND c.seller_id = NEW.seller_id;
	IF NOT FOUND THEN
		RETURN NEW;
	END IF;
	INSERT INTO crm_lead_events (conversation_id, seller_id, kind, data)
	VALUES (l.conversation_id, l.seller_id, 'order', jsonb_build_object(
		'order_id', NEW.id, 'event', v_what, 'state', NEW.state,
		'gig_title', NEW.gig_title, 'subtotal_minor', NEW.subtotal_minor,
		'currency', NEW.currency));
	UPDATE crm_leads SET last_activity_at = greatest(last_activity_at, souk_now()),
		source_gig_id = coalesce(source_gig_id, NEW.gig_id)
	 WHERE conversation_id = l.conversation_id;
	IF v_what = 'paid' THEN
		SELECT id INTO v_won FROM crm_stages
		 WHERE seller_id = l.seller_id AND deleted_at IS NULL AND outcome = 'won'
		 ORDER BY (slug IS NOT DISTINCT FROM 'won') DESC, position, id LIMIT 1;
		IF v_won IS NOT NULL AND v_won <> l.stage_id THEN
			PERFORM crm_move_lead(l.seller_id, l.conversation_id, v_won, 0, 'order');
		END IF;
	END IF;
	UPDATE crm_leads SET score = crm_lead_score(l.conversation_id)
	 WHERE conversation_id = l.conversation_id;
	RETURN NEW;
END
$$;
CREATE TRIGGER crm_order_inserted AFTER INSERT ON orders
	FOR EACH ROW EXECUTE FUNCTION crm_order_changed();
CREATE TRIGGER crm_order_state AFTER UPDATE OF state ON orders
	FOR EACH ROW EXECUTE FUNCTION crm_order_changed();

-- backfill: stages for every seller with a conversation, a lead per
-- conversation (positions by latest activity), message times and scores
SELECT crm_ensure_stages(s.seller_id) FROM (SELECT DISTINCT seller_id FROM conversations) s;
INSERT INTO crm_leads (conversation_id, seller_id, buyer_id, stage_id, position,
	created_at, stage_changed_at, last_activity_at, last_buyer_message_at,
	last_seller_message_at)
SELECT c.id, c.seller_id, c.buyer_id, crm_entry_stage(c.seller_id),
	(row_number() OVER (PARTITION BY c.seller_id
		ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id) - 1)::int,
	c.created_at, c.created_at, coalesce(c.last_message_at, c.created_at),
	(SELECT max(m.created_at) FROM messages m
	  WHERE m.conversation_id = c.id AND m.sender_id = c.buyer_id),
	(SELECT max(m.created_at) FROM messages m
	  WHERE m.conversation_id = c.id AND m.sender_id = c.seller_id)
  FROM conversations c
ON CONFLICT (conversation_id) DO NOTHING;
UPDATE crm_leads SET score = crm_lead_score(conversation_id);
-- leads whose pair already has a paid order start in Won
UPDATE crm_leads l SET stage_id = w.id
  FROM crm_stages w
 WHERE w.seller_id = l.seller_id AND w.slug = 'won' AND w.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = l.buyer_id
	AND o.seller_id = l.seller_id AND o.state NOT IN ('awaiting_payment', 'cancelled'));
