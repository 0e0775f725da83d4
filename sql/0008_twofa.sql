-- 0008_twofa.sql - two-factor authentication: TOTP secrets and recovery codes.
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- user_totp holds at most one secret per account, sealed with the server key
-- (src/core/secretbox.h: base64url of nonce || MAC || ciphertext).  A row
-- with confirmed_at NULL is a pending enrolment: the QR code was shown but
-- no code was typed back yet; starting again replaces it.  Two-factor
-- authentication is on exactly when confirmed_at IS NOT NULL.
--
-- last_used_step is the RFC 6238 time step (Unix time / 30) of the last
-- code accepted, -1 before any: a code is accepted only for a later step,
-- and the step is stored with "UPDATE ... WHERE last_used_step < $step", so
-- each code works once even when two requests race.
--
-- user_recovery_codes: the ten one-use codes, stored only as keyed hashes
-- (src/twofa/totp.h: recovery_code_hash, 64 hex digits).  A code is spent
-- with "UPDATE ... SET used_at = now() WHERE used_at IS NULL RETURNING".
-- Disabling 2FA or generating new codes deletes the old ones.

CREATE TABLE user_totp (
	user_id		BIGINT PRIMARY KEY
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	secret_sealed	TEXT NOT NULL CHECK (length(secret_sealed) BETWEEN 1 AND 512),
	confirmed_at	TIMESTAMPTZ,
	last_used_step	BIGINT NOT NULL DEFAULT -1 CHECK (last_used_step >= -1),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER user_totp_touch BEFORE UPDATE ON user_totp
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

CREATE TABLE user_recovery_codes (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		BIGINT NOT NULL
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	code_hash	TEXT NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
	used_at		TIMESTAMPTZ,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	UNIQUE (user_id, code_hash)
);
