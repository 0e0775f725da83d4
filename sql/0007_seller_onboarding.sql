-- 0007_seller_onboarding.sql - "Become a seller": onboarding progress and
-- portfolio links, sealed payout details, identity verification.
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- The flow (src/sellers/sellers.c): 1. profile (the public face lives in
-- profiles, 0001; the portfolio links and the step's completion here),
-- 2. payout details, 3. identity verification.  When steps 1 and 2 are both
-- done the account is granted the SELLER role (user_roles, 0003) in the
-- same transaction as the form that completed them.
--
-- Payout details never reach the database in clear: details_sealed is the
-- JSON of the details sealed with crypto_secretbox under the server key
-- (src/core/secretbox.h: base64url of nonce || MAC || ciphertext).  Only
-- the method is kept in clear, for reports and the admin console.
-- key_version names the server key that sealed the row, so the key can be
-- rotated by re-sealing rows one version at a time.
--
-- Identity verification: the seller asks for it (none/rejected ->
-- pending); staff answer (pending -> verified or rejected with a reason).
-- Uploading a document is the media work of a later issue.

-- Step 1's completion, the links that do not fit profiles, and when
-- onboarding granted SELLER.  The grant happens once: a seller whose role
-- staff later take away does not get it back by sending a form again.
CREATE TABLE seller_onboarding (
	user_id		BIGINT PRIMARY KEY
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	profile_done_at	TIMESTAMPTZ,
	seller_granted_at TIMESTAMPTZ,
	portfolio_links	TEXT[] NOT NULL DEFAULT '{}'
			CHECK (cardinality(portfolio_links) <= 5),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every link is an https URL of at most 300 characters (checked strictly
-- in C; this is the last line of defence).
CREATE FUNCTION souk_portfolio_links_ok(links TEXT[]) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(bool_and(l ~ '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$'
	    AND length(l) <= 300), true)
	FROM unnest(links) AS l
$$;

ALTER TABLE seller_onboarding ADD CONSTRAINT seller_onboarding_links_check
	CHECK (souk_portfolio_links_ok(portfolio_links));

CREATE TRIGGER seller_onboarding_touch BEFORE UPDATE ON seller_onboarding
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Where a seller's earnings go.  One row per seller; changing the details
-- replaces the row (and is written to audit_log, without the details).
CREATE TABLE seller_payouts (
	user_id		BIGINT PRIMARY KEY
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	method		TEXT NOT NULL CHECK (method IN ('bank', 'paypal', 'alipay')),
	details_sealed	TEXT NOT NULL
			CHECK (length(details_sealed) BETWEEN 60 AND 4096
			    AND details_sealed ~ '^[A-Za-z0-9_-]+$'),
	key_version	SMALLINT NOT NULL DEFAULT 1 CHECK (key_version >= 1),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER seller_payouts_touch BEFORE UPDATE ON seller_payouts
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Identity verification.  A seller without a row has status 'none'.
-- reason: why staff rejected (required then), else NULL.
-- reviewed_by/reviewed_at: the staff member who set verified or rejected.
CREATE TABLE seller_verifications (
	user_id		BIGINT PRIMARY KEY
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	status		TEXT NOT NULL DEFAULT 'none'
			CHECK (status IN ('none', 'pending', 'verified', 'rejected')),
	reason		TEXT CHECK (length(reason) <= 500),
	submitted_at	TIMESTAMPTZ,
	reviewed_by	BIGINT REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	reviewed_at	TIMESTAMPTZ,
	CHECK (status <> 'rejected' OR length(btrim(coalesce(reason, ''))) > 0),
	CHECK (status <> 'pending' OR submitted_at IS NOT NULL),
	CHECK (status NOT IN ('verified', 'rejected')
	    OR (reviewed_by IS NOT NULL AND reviewed_at IS NOT NULL)),
	CHECK (reviewed_by IS NULL OR reviewed_by <> user_id)
);

-- The staff queue: oldest request first.
CREATE INDEX seller_verifications_pending_idx ON seller_verifications (submitted_at, user_id)
	WHERE status = 'pending';
