-- 0006_admin.sql - the staff console (src/admin): why, when and by whom an
-- account was suspended, and indexes for the console's user search and
-- dashboard.
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- users.status (0001) stays the one switch that decides whether an account
-- may sign in; the columns below only explain a suspension.  They are set
-- together when staff suspend an account and cleared when they restore it
-- (src/admin/admin_db.c); the change itself is in audit_log with its
-- before and after.

ALTER TABLE users
	ADD COLUMN suspended_at		TIMESTAMPTZ,
	ADD COLUMN suspended_reason	TEXT
			CHECK (length(suspended_reason) BETWEEN 1 AND 500),
	ADD COLUMN suspended_by		BIGINT
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT;

-- Staff search e-mail addresses, handles and display names by substring
-- (ILIKE '%…%'), which pg_trgm (0001) indexes.
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_handle_trgm_idx ON users USING gin (handle gin_trgm_ops);
CREATE INDEX profiles_display_name_trgm_idx ON profiles USING gin (display_name gin_trgm_ops);

-- The dashboard: sign-ups of the last days, accounts that are not active.
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE INDEX users_status_idx ON users (status) WHERE status <> 'active';
