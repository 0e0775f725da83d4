-- Identity base: roles and the append-only audit log.
-- Accounts themselves (users) come from 0001; sessions live in Redis.

-- Every account is a buyer; the other roles are granted.
CREATE TABLE user_roles (
	user_id		BIGINT NOT NULL REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	role		TEXT NOT NULL CHECK (role IN ('SELLER', 'SUPPORT', 'MODERATOR', 'FINANCE',
			    'ADMIN', 'SUPER_ADMIN')),
	granted_by	BIGINT REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	granted_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role);

-- The demo sellers are sellers.
INSERT INTO user_roles (user_id, role)
SELECT DISTINCT seller_id, 'SELLER' FROM gigs
ON CONFLICT DO NOTHING;

-- Who did what to which row, and how it looked before and after.
CREATE TABLE audit_log (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		TIMESTAMPTZ NOT NULL DEFAULT now(),
	actor_id	BIGINT REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	action		TEXT NOT NULL CHECK (action ~ '^[a-z0-9_.]{2,64}$'),
	entity_type	TEXT NOT NULL CHECK (length(entity_type) BETWEEN 1 AND 64),
	entity_id	TEXT CHECK (length(entity_id) <= 128),
	before		JSONB,
	after		JSONB,
	ip		TEXT CHECK (length(ip) <= 64),
	request_id	TEXT CHECK (length(request_id) <= 64),
	user_agent	TEXT CHECK (length(user_agent) <= 512)
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

-- Append-only: rows can be added, never changed or removed.
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();
