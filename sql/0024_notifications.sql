-- 0024_notifications.sql - notifications (issue 6, "Notifications";
-- src/notify/notifications.c, notifications_db.c).
--
-- A notification is one row per recipient, written by the triggers below in
-- the transaction of the change that causes it (so no other module's C code
-- takes part, and a rolled back change notifies nobody).  Each new (or
-- refreshed) row also queues a souk-worker job of kind "notification"
-- {"id": N} exactly as jobs_enqueue() does: the INSERT into jobs fires
-- pg_notify('souk_jobs', kind) (sql/0004), delivered at commit.  The job
-- (notifications_job) renders title and body in the recipient's language,
-- publishes the SSE event "notification", queues the e-mail when the
-- recipient's preference for the type is 'immediate', and queues a "push"
-- job when the recipient has no open tab.
--
-- Idempotency: every row has an event_key unique per recipient, e.g.
-- "order.placed:42"; a trigger fires only on a real change (a state
-- transition, a timestamp going from NULL to a value), and a repeated
-- update that changes nothing fires nothing.  Events that can happen again
-- on the same object (a second delivery after a revision) number their
-- keys by occurrence.
--
-- New messages: one unread "message" notification per conversation and
-- recipient.  While it is unread a further message refreshes it (count,
-- last message, created_at; dispatched again) instead of adding a row;
-- reading the conversation marks it read.
--
-- E-mail preferences: notification_prefs holds the user's choice per type,
-- notification_types the default.  'immediate' mails each notification as
-- it is dispatched, except 'message', whose immediate e-mail is the
-- unread-messages digest (a conversation unread for 15 minutes); 'daily'
-- collects unread notifications of the type into one e-mail a day (for the
-- previous UTC day of souk_now()); 'off' sends nothing.  Digests are sent
-- by souk-worker's sweep (notifications_sweep; soukctl notify-sweep).

CREATE TABLE notification_types (
	type		TEXT PRIMARY KEY,
	default_email	TEXT NOT NULL CHECK (default_email IN ('immediate', 'daily', 'off')),
	position	INT NOT NULL
);
INSERT INTO notification_types (type, default_email, position) VALUES
	('message', 'immediate', 1),
	('order.placed', 'immediate', 2),
	('order.requirements', 'immediate', 3),
	('order.delivered', 'immediate', 4),
	('order.revision', 'immediate', 5),
	('order.completed', 'immediate', 6),
	('payment.released', 'daily', 7),
	('payout.sent', 'immediate', 8),
	('gig.approved', 'immediate', 9),
	('gig.changes', 'immediate', 10);

CREATE TABLE notifications (
	id		BIGSERIAL PRIMARY KEY,
	user_id		BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	type		TEXT NOT NULL REFERENCES notification_types (type),
	event_key	TEXT NOT NULL CHECK (length(event_key) BETWEEN 1 AND 200),
	data		JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
	url		TEXT NOT NULL DEFAULT '/notifications'
			CHECK (url ~ '^/[^/\\]' OR url = '/'),
	title		TEXT NOT NULL DEFAULT '',	-- rendered by the worker, recipient's language
	body		TEXT NOT NULL DEFAULT '',
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	read_at		TIMESTAMPTZ,
	dispatched_at	TIMESTAMPTZ,			-- last run of the "notification" job
	emailed_at	TIMESTAMPTZ,			-- the immediate e-mail was queued
	pushed_at	TIMESTAMPTZ,			-- the "push" job sent it (webpush)
	digested_at	TIMESTAMPTZ,			-- included in a daily digest
	UNIQUE (user_id, event_key)
);
COMMENT ON TABLE notifications IS 'One notification per recipient; written by triggers (0024), dispatched by souk-worker.';
-- the page, newest first
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
-- the bell: SELECT count(*) ... WHERE user_id = $1 AND read_at IS NULL
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
-- at most one unread "message" notification per conversation and recipient
CREATE UNIQUE INDEX notifications_message_unread ON notifications
	(user_id, ((data->>'conversation_id')::bigint)) WHERE type = 'message' AND read_at IS NULL;
-- the daily digest sweep
CREATE INDEX notifications_digest_idx ON notifications (created_at)
	WHERE read_at IS NULL AND digested_at IS NULL;

CREATE TABLE notification_prefs (
	user_id		BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	type		TEXT NOT NULL REFERENCES notification_types (type),
	email		TEXT NOT NULL CHECK (email IN ('immediate', 'daily', 'off')),
	PRIMARY KEY (user_id, type)
);

-- One row per digest e-mail sent: the daily digest at most once per user
-- and day.
CREATE TABLE notification_digests (
	user_id		BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('daily', 'messages')),
	day		DATE NOT NULL,
	sent_at		TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	items		INT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX notification_digests_daily ON notification_digests (user_id, day)
	WHERE kind = 'daily';

-- The unread-messages digest: the last message of the conversation that a
-- digest e-mail already listed to this member (never mailed twice).
ALTER TABLE conversation_members
	ADD COLUMN digest_message_id BIGINT NOT NULL DEFAULT 0;

-- souk_notification_pref - @user_id's e-mail preference for @type.
CREATE FUNCTION souk_notification_pref(p_user BIGINT, p_type TEXT) RETURNS TEXT
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT email FROM notification_prefs WHERE user_id = p_user AND type = p_type),
	    (SELECT default_email FROM notification_types WHERE type = p_type), 'off')
$$;

-- souk_notify - add notification @type for @user_id under @key (once: a
-- second call with the same key does nothing) and queue its dispatch.
-- Returns the new id, or NULL when the key existed.
CREATE FUNCTION souk_notify(p_user BIGINT, p_type TEXT, p_key TEXT, p_data JSONB, p_url TEXT)
RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
	nid BIGINT;
BEGIN
	INSERT INTO notifications (user_id, type, event_key, data, url)
	    VALUES (p_user, p_type, p_key, p_data, p_url)
	    ON CONFLICT DO NOTHING	-- the event key, or a concurrent unread "message" one
	    RETURNING id INTO nid;
	IF nid IS NOT NULL THEN
		INSERT INTO jobs (kind, payload) VALUES ('notification', jsonb_build_object('id', nid));
	END IF;
	RETURN nid;
END
$$;

-- How many notifications of @type about order @order_id @user_id has had:
-- numbers the keys of events that can recur on one order.
CREATE FUNCTION souk_notify_seq(p_user BIGINT, p_type TEXT, p_order BIGINT) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM notifications
	 WHERE user_id = p_user AND type = p_type AND event_key LIKE p_type || ':' || p_order || ':%'
$$;

-- ==== orders: placed (paid), requirements, delivered, revision, completed ====
CREATE FUNCTION souk_orders_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d JSONB;
	url TEXT := '/orders/' || NEW.id;
BEGIN
	IF NEW.state IS NOT DISTINCT FROM OLD.state THEN
		RETURN NULL;
	END IF;
	d := jsonb_build_object('order_id', NEW.id, 'gig_title', NEW.gig_title,
	    'buyer_id', NEW.buyer_id, 'seller_id', NEW.seller_id,
	    'buyer_handle', (SELECT handle FROM users WHERE id = NEW.buyer_id),
	    'seller_handle', (SELECT handle FROM users WHERE id = NEW.seller_id),
	    'amount_minor', NEW.total_minor, 'currency', NEW.currency);
	IF OLD.state = 'awaiting_payment' AND NEW.state = 'awaiting_requirements' THEN
		PERFORM souk_notify(NEW.seller_id, 'order.placed', 'order.placed:' || NEW.id, d, url);
	ELSIF OLD.state = 'awaiting_requirements' AND NEW.state = 'in_progress' THEN
		PERFORM souk_notify(NEW.seller_id, 'order.requirements',
		    'order.requirements:' || NEW.id, d, url);
	ELSIF NEW.state = 'delivered' THEN
		PERFORM souk_notify(NEW.buyer_id, 'order.delivered', 'order.delivered:' || NEW.id || ':'
		    || souk_notify_seq(NEW.buyer_id, 'order.delivered', NEW.id), d, url);
	ELSIF NEW.state = 'revision_requested' THEN
		PERFORM souk_notify(NEW.seller_id, 'order.revision', 'order.revision:' || NEW.id || ':'
		    || souk_notify_seq(NEW.seller_id, 'order.revision', NEW.id), d, url);
	ELSIF NEW.state = 'completed' THEN
		PERFORM souk_notify(NEW.seller_id, 'order.completed', 'order.completed:' || NEW.id, d, url);
		PERFORM souk_notify(NEW.buyer_id, 'order.completed', 'order.completed:' || NEW.id, d, url);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER orders_notify AFTER UPDATE OF state ON orders
	FOR EACH ROW EXECUTE FUNCTION souk_orders_notify();

-- ==== payment released: the escrow release cleared to the seller ====
CREATE FUNCTION souk_clearances_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.cleared_at IS NULL AND NEW.cleared_at IS NOT NULL THEN
		PERFORM souk_notify(NEW.seller_id, 'payment.released', 'payment.released:' || NEW.order_id,
		    jsonb_build_object('order_id', NEW.order_id, 'amount_minor', NEW.amount_minor,
		    'currency', NEW.currency, 'gig_title',
		    (SELECT gig_title FROM orders WHERE id = NEW.order_id)), '/earnings');
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER seller_clearances_notify AFTER UPDATE OF cleared_at ON seller_clearances
	FOR EACH ROW EXECUTE FUNCTION souk_clearances_notify();

-- ==== payout sent ====
CREATE FUNCTION souk_payouts_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state = 'paid' AND OLD.state IS DISTINCT FROM 'paid' THEN
		PERFORM souk_notify(NEW.seller_id, 'payout.sent', 'payout.sent:' || NEW.id,
		    jsonb_build_object('payout_id', NEW.id, 'amount_minor', NEW.amount_minor,
		    'currency', NEW.currency, 'method', NEW.method), '/earnings');
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER payouts_notify AFTER UPDATE OF state ON payouts
	FOR EACH ROW EXECUTE FUNCTION souk_payouts_notify();

-- ==== gig moderation: approved (a new gig, or an edit of a live one), needs changes ====
CREATE FUNCTION souk_gigs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d JSONB := jsonb_build_object('gig_id', NEW.id, 'gig_title', NEW.title,
	    'review_note', coalesce(NEW.review_note, ''));
BEGIN
	IF NEW.status = 'active' AND NEW.approved_at IS NOT NULL
	    AND NEW.approved_at IS DISTINCT FROM OLD.approved_at
	    AND (OLD.status = 'pending_review' OR OLD.pending_changes IS NOT NULL) THEN
		PERFORM souk_notify(NEW.seller_id, 'gig.approved', 'gig.approved:' || NEW.id || ':'
		    || extract(epoch FROM NEW.approved_at)::text, d, '/seller/gigs');
	ELSIF NEW.status = 'requires_changes' AND OLD.status IS DISTINCT FROM 'requires_changes' THEN
		PERFORM souk_notify(NEW.seller_id, 'gig.changes', 'gig.changes:' || NEW.id || ':'
		    || extract(epoch FROM NEW.status_changed_at)::text, d,
		    '/studio/gigs/' || NEW.id);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER gigs_notify AFTER UPDATE OF status, approved_at ON gigs
	FOR EACH ROW EXECUTE FUNCTION souk_gigs_notify();

-- ==== new message: one unread notification per conversation and recipient ====
CREATE FUNCTION souk_messages_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	r RECORD;
	nid BIGINT;
	sender TEXT := (SELECT handle FROM users WHERE id = NEW.sender_id);
BEGIN
	FOR r IN SELECT user_id FROM conversation_members
	    WHERE conversation_id = NEW.conversation_id AND user_id <> NEW.sender_id LOOP
		UPDATE notifications SET
		    data = data || jsonb_build_object('last_message_id', NEW.id,
		        'sender_id', NEW.sender_id, 'sender_handle', sender,
		        'count', coalesce((data->>'count')::int, 1) + 1),
		    created_at = souk_now()
		 WHERE user_id = r.user_id AND type = 'message' AND read_at IS NULL
		   AND (data->>'conversation_id')::bigint = NEW.conversation_id
		 RETURNING id INTO nid;
		IF nid IS NOT NULL THEN
			INSERT INTO jobs (kind, payload)
			    VALUES ('notification', jsonb_build_object('id', nid));
		ELSE
			PERFORM souk_notify(r.user_id, 'message',
			    'message:' || NEW.conversation_id || ':' || NEW.id,
			    jsonb_build_object('conversation_id', NEW.conversation_id,
			    'first_message_id', NEW.id, 'last_message_id', NEW.id,
			    'sender_id', NEW.sender_id, 'sender_handle', sender, 'count', 1),
			    '/inbox/' || NEW.conversation_id);
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;
CREATE TRIGGER messages_notify AFTER INSERT ON messages
	FOR EACH ROW EXECUTE FUNCTION souk_messages_notify();

-- reading a conversation reads its "message" notification
CREATE FUNCTION souk_members_read_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE notifications SET read_at = souk_now()
	 WHERE user_id = NEW.user_id AND type = 'message' AND read_at IS NULL
	   AND (data->>'conversation_id')::bigint = NEW.conversation_id;
	RETURN NULL;
END
$$;
CREATE TRIGGER conversation_members_read_notify AFTER UPDATE OF unread_count
	ON conversation_members FOR EACH ROW
	WHEN (NEW.unread_count = 0 AND OLD.unread_count > 0)
	EXECUTE FUNCTION souk_members_read_notify();
