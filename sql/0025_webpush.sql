-- 0025_webpush.sql - Web Push subscriptions (issue 6, "Notifications → Web
-- Push"; src/webpush).
--
-- push_subscriptions: one row per browser (device) that subscribed through
-- pushManager.subscribe(); the endpoint is the push resource URL (RFC 8030)
-- and is unique: a device whose browser is used by another account moves
-- to that account.  p256dh (65-byte uncompressed P-256 point) and auth
-- (16 bytes) are kept as the base64url text the browser gives, checked by
-- souk-web before the insert.  failures counts consecutive failed pushes
-- (souk-worker drops the row after WEBPUSH_MAX_FAILURES refusals and at
-- once when the push service answers 404/410).
--
-- push_deliveries: which device accepted which notification, so that a
-- retried "push" job never sends twice to a device that answered 201.
-- version is the notification's created_at when it was sent: a "message"
-- notification refreshed by a further message (0024) is pushed again.

CREATE TABLE push_subscriptions (
	id		BIGSERIAL PRIMARY KEY,
	user_id		BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	endpoint	TEXT NOT NULL UNIQUE
			CHECK (length(endpoint) BETWEEN 9 AND 2000 AND endpoint ~ '^https?://'),
	p256dh		TEXT NOT NULL CHECK (p256dh ~ '^[A-Za-z0-9_-]{87}$'),
	auth		TEXT NOT NULL CHECK (auth ~ '^[A-Za-z0-9_-]{22}$'),
	user_agent	TEXT NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	last_success_at	TIMESTAMPTZ,
	failures	INT NOT NULL DEFAULT 0 CHECK (failures >= 0)
);
COMMENT ON TABLE push_subscriptions IS 'Web Push subscriptions, one per device (src/webpush).';
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id, created_at DESC);

CREATE TABLE push_deliveries (
	notification_id	BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	subscription_id	BIGINT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
	version		TIMESTAMPTZ NOT NULL,
	delivered_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	PRIMARY KEY (notification_id, subscription_id)
);
CREATE INDEX push_deliveries_subscription_idx ON push_deliveries (subscription_id);
CREATE INDEX push_deliveries_delivered_idx ON push_deliveries (delivered_at);
