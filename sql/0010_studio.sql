-- 0010_studio.sql - the seller studio: the gig wizard and the gig status
-- machine (src/studio/).
--
-- Status (gigs.status):
--   draft -> pending_review -> active | requires_changes | denied
--   requires_changes -> pending_review (the seller resubmits)
--   active <-> paused;  any -> archived
-- Only 'active' gigs are listed anywhere (the catalog's queries filter on
-- status = 'active'; unchanged).  The old values 'pending' and 'rejected'
-- become 'pending_review' and 'denied'.
--
-- Descriptions: description (the catalog's column) holds the Markdown
-- source as the seller typed it (so search and the catalog keep working);
-- description_html is the same text rendered once at save time by cmark in
-- safe mode (src/studio/markdown.c): no raw HTML, no javascript: URLs, links
-- with rel="nofollow ugc".  Pages print description_html unescaped.
--
-- Editing an active (or paused) gig: the changes that need review (title,
-- description, later media) are kept in pending_changes, a JSONB object
--   {"title": "...", "description": "...", "description_html": "..."}
-- (only the keys that changed) with submitted_at set, while the status
-- stays as it is and the approved version stays listed.  The moderation
-- queue shows status = 'pending_review' and active/paused gigs with
-- pending_changes; studio_set_status() applies pending_changes to the row
-- on approval (pending_review -> active, or active -> active for an edit)
-- and clears it (also when the edit is refused: reason in review_note).
-- Prices, extras and requirements apply at once.

ALTER TABLE gigs DROP CONSTRAINT IF EXISTS gigs_status_check;
UPDATE gigs SET status = 'pending_review' WHERE status = 'pending';
UPDATE gigs SET status = 'denied' WHERE status = 'rejected';
ALTER TABLE gigs ADD CONSTRAINT gigs_status_check CHECK (status IN ('draft',
    'pending_review', 'active', 'requires_changes', 'denied', 'paused', 'archived'));

ALTER TABLE gigs
	ADD COLUMN description_html TEXT NOT NULL DEFAULT ''
		CHECK (length(description_html) <= 200000),
	ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD'
		CHECK (currency IN ('USD', 'ZAR', 'CNY')),
	ADD COLUMN review_note TEXT CHECK (length(review_note) <= 2000),
	ADD COLUMN pending_changes JSONB
		CHECK (pending_changes IS NULL OR jsonb_typeof(pending_changes) = 'object'),
	ADD COLUMN submitted_at TIMESTAMPTZ,
	ADD COLUMN approved_at TIMESTAMPTZ,
	ADD COLUMN status_changed_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- The moderation queue reads pending gigs oldest first.
CREATE INDEX gigs_review_idx ON gigs (submitted_at, id) WHERE status = 'pending_review';

-- Gig extras.  kind: fast_delivery (one per package tier: the package is
-- delivered in added_days days instead, for price_minor more; tier names
-- the package), extra_revision (one more revision for price_minor,
-- added_days more), custom (up to 5: title, price, added days).
CREATE TABLE gig_extras (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gig_id		BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('fast_delivery', 'extra_revision', 'custom')),
	tier		TEXT CHECK (tier IN ('basic', 'standard', 'premium')),
	title		TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 80),
	price_minor	BIGINT NOT NULL CHECK (price_minor > 0),
	added_days	INT NOT NULL DEFAULT 0 CHECK (added_days BETWEEN 0 AND 90),
	position	INT NOT NULL DEFAULT 0,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK ((kind = 'fast_delivery') = (tier IS NOT NULL)),
	CHECK (kind <> 'custom' OR length(title) >= 1)
);
CREATE INDEX gig_extras_gig_idx ON gig_extras (gig_id, position);
CREATE UNIQUE INDEX gig_extras_fast_uq ON gig_extras (gig_id, tier) WHERE kind = 'fast_delivery';
CREATE UNIQUE INDEX gig_extras_rev_uq ON gig_extras (gig_id) WHERE kind = 'extra_revision';

-- What a buyer answers after ordering.  choices: the options of a 'choice'
-- question (2..10), NULL otherwise.
CREATE TABLE gig_requirements (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gig_id		BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE CASCADE,
	position	INT NOT NULL DEFAULT 0,
	question	TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
	kind		TEXT NOT NULL CHECK (kind IN ('text', 'choice', 'file')),
	choices		TEXT[] CHECK (choices IS NULL OR cardinality(choices) BETWEEN 2 AND 10),
	required	BOOLEAN NOT NULL DEFAULT true,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK ((kind = 'choice') = (choices IS NOT NULL))
);
CREATE INDEX gig_requirements_gig_idx ON gig_requirements (gig_id, position);
