-- 0005_accounts.sql - accounts: sign-up, e-mail verification, log in
-- throttling and lock-out, password changes and resets.
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- users (0001) already has id, email (unique on lower(email):
-- users_email_lower_key), handle (unique, ^[a-z0-9_]{2,32}$ minus a reserved
-- list), password_hash (argon2id, NULL = cannot log in, as the demo sellers)
-- and status.  This adds what signing in needs:
--   email_verified_at     when the owner proved the address (NULL: not yet;
--                         the account works, the site asks them to verify)
--   failed_logins         consecutive wrong passwords since the last success
--                         (back to 0 on success, on a reset and when a lock
--                         starts)
--   locked_until          no log in before this time (after 5 failures in a row)
--   password_changed_at   last change (sign-up, change, reset)
--   last_login_at         last successful log in
--   lang                  preferred UI language, for e-mails ('en' or 'zh-CN')
--
-- Tokens mailed to the owner (verify the address, reset the password) are
-- 256-bit random strings; only their SHA-256 (hex) is stored, so the table
-- leaking does not let anyone use a link.  A token works once (used_at) and
-- until expires_at (one hour).

ALTER TABLE users
	ADD COLUMN email_verified_at	TIMESTAMPTZ,
	ADD COLUMN failed_logins	INT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	ADD COLUMN locked_until		TIMESTAMPTZ,
	ADD COLUMN password_changed_at	TIMESTAMPTZ,
	ADD COLUMN last_login_at	TIMESTAMPTZ,
	ADD COLUMN lang			TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh-CN'));

COMMENT ON COLUMN users.email_verified_at IS 'When the owner opened the verification link; NULL = not verified.';
COMMENT ON COLUMN users.failed_logins IS 'Wrong passwords in a row since the last success, reset or lock.';
COMMENT ON COLUMN users.locked_until IS 'Log in refused before this time (too many wrong passwords).';
COMMENT ON COLUMN users.lang IS 'Preferred UI language, used for e-mails.';

-- Handles that would shadow a two-segment path of the site
-- (/{handle}/{gig} is the catch-all gig route): the pages of modules that
-- 0001's list predates.
ALTER TABLE users ADD CONSTRAINT users_handle_reserved_more_check
	CHECK (handle NOT IN ('dev', 'forgot', 'lang', 'reset', 'seller', 'sellers',
	    'signin', 'support', 'verify'));

CREATE TABLE email_tokens (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		BIGINT NOT NULL
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	purpose		TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
	token_hash	TEXT NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	email		TEXT NOT NULL CHECK (length(email) <= 254),
	expires_at	TIMESTAMPTZ NOT NULL,
	used_at		TIMESTAMPTZ,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

COMMENT ON TABLE email_tokens IS 'Single-use links mailed to account owners; only SHA-256 hashes are kept.';
COMMENT ON COLUMN email_tokens.email IS 'The address the link was sent to (a verification applies to it only).';

-- The live tokens of a user (resend limits, expiring older reset links).
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose, created_at DESC);
-- Purging old tokens.
CREATE INDEX email_tokens_expires_idx ON email_tokens (expires_at);
