-- 0001_catalog.sql - accounts, seller profiles and the gig catalog.
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- Conventions (../shared/seeds/001): every foreign key is ON UPDATE CASCADE
-- ON DELETE RESTRICT unless a child row is part of its parent (packages,
-- media and FAQ of a gig, the profile of a user: ON DELETE CASCADE);
-- enumerations are CHECK constraints; money is BIGINT minor units plus an
-- ISO-4217 currency; created_at/updated_at are timestamptz (UTC) and
-- updated_at is maintained by souk_touch_updated_at().
--
-- Search: gigs.search is a tsvector maintained by a trigger.  English text
-- uses the 'english' configuration (title A, tags B, description C).
-- PostgreSQL has no Chinese parser in Debian, so runs of CJK characters are
-- indexed as overlapping character bigrams (plus single characters in
-- titles and tags) with the 'simple' configuration; souk_search_query() cuts a query the same
-- way.  Typo tolerance, used only when the search finds nothing, comes in
-- two steps: souk_fuzzy_query() corrects each word against the vocabulary
-- of titles and tags (search_words, Levenshtein distance) and relaxes
-- Chinese bigrams to OR; if that finds nothing either, souk_fuzzy_gigs()
-- matches titles by pg_trgm word similarity ("logodesign").
--
-- Listing speed: the price, currency and delivery time of each gig's basic
-- package are copied into gigs (basic_*) by a trigger on gig_packages, with
-- the price also converted to US cents through fx_rates, so that category
-- and search pages filter and sort on one table through partial indexes
-- (WHERE status = 'active': only active gigs are ever listed).

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- ---------------------------------------------------------------------
-- Shared helpers
-- ---------------------------------------------------------------------

-- souk_touch_updated_at - BEFORE UPDATE trigger: stamp updated_at.
CREATE FUNCTION souk_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

-- souk_money - format @minor units of @currency for display.
-- USD "$1,234.50", CNY "¥1,234.50", ZAR "R 1 234,50" (space between
-- thousands, decimal comma, as written in South Africa); any other currency
-- "1,234.50 XXX".  @lang ('en' or 'zh-CN') selects the same formats today;
-- it is part of the signature so that locales can differ later.
-- Assumes two decimal places, true of all currencies in fx_rates.
CREATE FUNCTION souk_money(minor BIGINT, currency TEXT, lang TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN minor IS NULL OR currency IS NULL THEN NULL ELSE
		CASE WHEN minor < 0 THEN '-' ELSE '' END ||
		CASE currency
		WHEN 'USD' THEN '$' || s.i || '.' || s.f
		WHEN 'CNY' THEN '¥' || s.i || '.' || s.f
		WHEN 'ZAR' THEN 'R ' || replace(s.i, ',', ' ') || ',' || s.f
		ELSE s.i || '.' || s.f || ' ' || currency
		END
	END
	FROM (SELECT regexp_replace((abs(minor) / 100)::text,
	    '(\d)(?=(\d{3})+$)', '\1,', 'g') AS i,
	    lpad((abs(minor) % 100)::text, 2, '0') AS f) AS s
$$;

-- ---------------------------------------------------------------------
-- Currencies
-- ---------------------------------------------------------------------

-- Fixed conversion rates, used only to compare and filter prices across
-- currencies (never to charge).  usd_cents_per_minor: US cents worth one
-- minor unit of the currency (all three currencies have two decimals).
CREATE TABLE fx_rates (
	currency		TEXT PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
	usd_cents_per_minor	NUMERIC(18,8) NOT NULL CHECK (usd_cents_per_minor > 0),
	created_at		TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at		TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER fx_rates_touch BEFORE UPDATE ON fx_rates
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

INSERT INTO fx_rates (currency, usd_cents_per_minor) VALUES
	('USD', 1),
	('ZAR', 0.055),
	('CNY', 0.14);

-- ---------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------

-- One account can buy and sell.  Handles appear in URLs ("/<handle>/<gig>",
-- "/u/<handle>"), so the first path segments used by the site are reserved.
CREATE TABLE users (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email		TEXT NOT NULL
			CHECK (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
	handle		TEXT NOT NULL UNIQUE
			CHECK (handle ~ '^[a-z0-9_]{2,32}$' AND handle NOT IN ('about',
			    'account', 'admin', 'api', 'dashboard', 'events', 'gig', 'help',
			    'inbox', 'login', 'logout', 'media', 'messages', 'orders',
			    'privacy', 'register', 'robots', 'search', 'settings', 'signup',
			    'sitemap', 'static', 'terms')),
	password_hash	TEXT,
	status		TEXT NOT NULL DEFAULT 'active'
			CHECK (status IN ('active', 'suspended', 'deleted')),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- E-mail addresses are unique whatever their case; look them up with
-- lower(email) = lower($1) so that this index is used.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TRIGGER users_touch BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- The public face of an account.  languages: [{code, name, level}] with
-- code an ISO 639-1 code, name its English name and level one of 'native',
-- 'fluent', 'conversational', 'basic'.  rating_* summarise the reviews of
-- all the seller's gigs.
CREATE TABLE profiles (
	user_id		BIGINT PRIMARY KEY
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	display_name	TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
	headline	TEXT NOT NULL DEFAULT '' CHECK (length(headline) <= 160),
	bio		TEXT NOT NULL DEFAULT '' CHECK (length(bio) <= 5000),
	skills		TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(skills) <= 30),
	languages	JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(languages) = 'array'),
	country		TEXT CHECK (country ~ '^[A-Z]{2}$'),
	timezone	TEXT CHECK (length(timezone) <= 64),
	seller_level	TEXT NOT NULL DEFAULT 'new'
			CHECK (seller_level IN ('new', 'level_1', 'level_2', 'top_rated')),
	rating_avg	NUMERIC(3,2) NOT NULL DEFAULT 0 CHECK (rating_avg BETWEEN 0 AND 5),
	rating_count	INT NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX profiles_seller_level_idx ON profiles (seller_level);

CREATE TRIGGER profiles_touch BEFORE UPDATE ON profiles
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Display names for the codes stored in profiles (reference data, filled by
-- 0002).  A code missing here is shown as stored.
CREATE TABLE countries (
	code		TEXT PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
	name		TEXT NOT NULL,
	name_zh		TEXT NOT NULL
);

CREATE TABLE languages (
	code		TEXT PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}$'),
	name		TEXT NOT NULL,
	name_zh		TEXT NOT NULL
);

-- ---------------------------------------------------------------------
-- Categories: two levels
-- ---------------------------------------------------------------------

-- Top-level categories have parent_id NULL; gigs belong to second-level
-- ones.  Two levels are enforced by souk_categories_check().
CREATE TABLE categories (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	parent_id	BIGINT REFERENCES categories (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	slug		TEXT NOT NULL UNIQUE
			CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
	name		TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
	name_zh		TEXT NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 80),
	description	TEXT NOT NULL DEFAULT '',
	description_zh	TEXT NOT NULL DEFAULT '',
	icon		TEXT NOT NULL DEFAULT '',
	position	INT NOT NULL DEFAULT 0,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	CHECK (parent_id <> id)
);

CREATE INDEX categories_parent_idx ON categories (parent_id, position, id);

-- souk_categories_check - a parent must be top-level, a category with
-- children cannot get a parent, and a category holding gigs must stay
-- second-level.
CREATE FUNCTION souk_categories_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.parent_id IS NOT NULL THEN
		IF EXISTS (SELECT 1 FROM categories
		    WHERE id = NEW.parent_id AND parent_id IS NOT NULL) THEN
			RAISE EXCEPTION 'category %: parent % is not top-level',
			    NEW.slug, NEW.parent_id USING ERRCODE = 'check_violation';
		END IF;
		IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM categories
		    WHERE parent_id = NEW.id) THEN
			RAISE EXCEPTION 'category % has children: it must stay top-level',
			    NEW.slug USING ERRCODE = 'check_violation';
		END IF;
	ELSIF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM gigs
	    WHERE category_id = NEW.id) THEN
		RAISE EXCEPTION 'category % holds gigs: it must stay second-level',
		    NEW.slug USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER categories_check BEFORE INSERT OR UPDATE OF parent_id ON categories
	FOR EACH ROW EXECUTE FUNCTION souk_categories_check();

CREATE TRIGGER categories_touch BEFORE UPDATE ON categories
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- ---------------------------------------------------------------------
-- Text search helpers
-- ---------------------------------------------------------------------

-- souk_cjk_tokens - the CJK runs of @t as space-separated tokens: every
-- overlapping bigram ('标志设计' gives '标志 志设 设计'), plus every single
-- character when @unigrams (titles and tags get both, so that a
-- one-character query finds them; queries use bigrams, or the character
-- of a one-character run).  Non-CJK text is dropped.
CREATE FUNCTION souk_cjk_tokens(t TEXT, unigrams BOOLEAN) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT coalesce(string_agg(tok, ' ' ORDER BY r.n, k.i), '')
	FROM regexp_matches(t, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', 'g')
	    WITH ORDINALITY AS r(m, n)
	CROSS JOIN LATERAL (
		SELECT i, substr(r.m[1], i, 2) AS tok
		FROM generate_series(1, greatest(length(r.m[1]) - 1, 1)) AS i
		UNION ALL
		SELECT i + 0.5, substr(r.m[1], i, 1)
		FROM generate_series(1, length(r.m[1])) AS i
		WHERE unigrams AND length(r.m[1]) > 1
	) AS k
$$;

-- souk_strip_cjk - @t with its CJK runs replaced by spaces (the part that
-- goes through the 'english' configuration).
CREATE FUNCTION souk_strip_cjk(t TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT regexp_replace(t, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', ' ', 'g')
$$;

-- souk_text_tsv - tsvector of one piece of text in either language, with
-- weight @w; single CJK characters are indexed too when @unigrams.  Text
-- without CJK characters skips the CJK work.
CREATE FUNCTION souk_text_tsv(t TEXT, w "char", unigrams BOOLEAN) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN t IS NULL THEN ''::tsvector
	WHEN t !~ '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]'
	THEN setweight(to_tsvector('english', t), w)
	ELSE setweight(to_tsvector('english', souk_strip_cjk(t)), w) ||
	    setweight(to_tsvector('simple', souk_cjk_tokens(t, unigrams)), w)
	END
$$;

-- souk_search_query - the tsquery for what a user typed: Latin-script words
-- through websearch_to_tsquery('english') (quotes, "or" and -word work;
-- operators and SQL or HTML metacharacters are plain text), CJK text as
-- bigrams, all ANDed.  An empty tsquery (numnode = 0) means "nothing to
-- search for".  The notice about stop words is silenced.
CREATE FUNCTION souk_search_query(q TEXT) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET client_min_messages = warning AS $$
	SELECT websearch_to_tsquery('english', souk_strip_cjk(q)) &&
	    plainto_tsquery('simple', souk_cjk_tokens(q, false))
$$;

-- ---------------------------------------------------------------------
-- Gigs
-- ---------------------------------------------------------------------

-- A service offered by a seller.  basic_* mirror the basic package
-- (souk_gig_packages_sync); score is the popularity used by the "relevance"
-- sort of category pages: rating weighted by the log of the review count.
CREATE TABLE gigs (
	id			BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	seller_id		BIGINT NOT NULL
				REFERENCES users (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	category_id		BIGINT NOT NULL
				REFERENCES categories (id) ON UPDATE CASCADE ON DELETE RESTRICT,
	title			TEXT NOT NULL CHECK (length(title) BETWEEN 5 AND 120),
	slug			TEXT NOT NULL
				CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
	description		TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
	lang			TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh')),
	status			TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft',
				    'pending', 'active', 'paused', 'rejected', 'archived')),
	tags			TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
	rating_avg		NUMERIC(3,2) NOT NULL DEFAULT 0 CHECK (rating_avg BETWEEN 0 AND 5),
	rating_count		INT NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
	orders_count		INT NOT NULL DEFAULT 0 CHECK (orders_count >= 0),
	score			DOUBLE PRECISION GENERATED ALWAYS AS
				(rating_avg::float8 * ln(1.0::float8 + rating_count)) STORED,
	basic_price_minor	BIGINT,
	basic_currency		TEXT REFERENCES fx_rates (currency) ON UPDATE CASCADE ON DELETE RESTRICT,
	basic_price_usd_minor	BIGINT,
	basic_delivery_days	INT,
	search			TSVECTOR NOT NULL DEFAULT ''::tsvector,
	created_at		TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at		TIMESTAMPTZ NOT NULL DEFAULT now(),
	UNIQUE (seller_id, slug),
	-- A gig is listed only with its basic package.
	CHECK (status <> 'active' OR (basic_price_minor IS NOT NULL AND
	    basic_price_usd_minor IS NOT NULL AND basic_delivery_days IS NOT NULL))
);

-- Seller pages and "more from this seller".
CREATE INDEX gigs_seller_idx ON gigs (seller_id, status);
-- Category pages: one partial index per sort order, led by category_id
-- (a top-level category reads the ranges of its children).
CREATE INDEX gigs_cat_score_idx ON gigs (category_id, score DESC, id)
	WHERE status = 'active';
CREATE INDEX gigs_cat_rating_idx ON gigs (category_id, rating_avg DESC, rating_count DESC, id)
	WHERE status = 'active';
CREATE INDEX gigs_cat_newest_idx ON gigs (category_id, created_at DESC, id DESC)
	WHERE status = 'active';
CREATE INDEX gigs_cat_price_idx ON gigs (category_id, basic_price_usd_minor, id)
	WHERE status = 'active';
-- Whole-catalogue orders: featured gigs (covering: read index-only),
-- price filters without a category.
CREATE INDEX gigs_score_idx ON gigs (score DESC, id)
	INCLUDE (category_id, lang, rating_count, seller_id) WHERE status = 'active';
CREATE INDEX gigs_price_idx ON gigs (basic_price_usd_minor, id) WHERE status = 'active';
-- Full-text and typo-tolerant search.
CREATE INDEX gigs_search_idx ON gigs USING gin (search) WHERE status = 'active';
CREATE INDEX gigs_title_trgm_idx ON gigs USING gin (lower(title) gin_trgm_ops)
	WHERE status = 'active';

-- souk_gigs_before - keep the search vector current and check that the
-- category is second-level.
CREATE FUNCTION souk_gigs_before() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.category_id <> OLD.category_id THEN
		IF NOT EXISTS (SELECT 1 FROM categories
		    WHERE id = NEW.category_id AND parent_id IS NOT NULL) THEN
			RAISE EXCEPTION 'gig category % is not a second-level category',
			    NEW.category_id USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title OR
	    NEW.tags IS DISTINCT FROM OLD.tags OR
	    NEW.description IS DISTINCT FROM OLD.description THEN
		NEW.search := souk_text_tsv(NEW.title, 'A', true) ||
		    souk_text_tsv(array_to_string(NEW.tags, ' '), 'B', true) ||
		    souk_text_tsv(NEW.description, 'C', false);
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER gigs_before BEFORE INSERT OR UPDATE ON gigs
	FOR EACH ROW EXECUTE FUNCTION souk_gigs_before();

CREATE TRIGGER gigs_touch BEFORE UPDATE ON gigs
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- Basic, Standard and Premium offers of a gig.  revisions: -1 = unlimited.
CREATE TABLE gig_packages (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gig_id		BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE CASCADE,
	tier		TEXT NOT NULL CHECK (tier IN ('basic', 'standard', 'premium')),
	name		TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
	description	TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
	price_minor	BIGINT NOT NULL CHECK (price_minor > 0),
	currency	TEXT NOT NULL CHECK (currency IN ('USD', 'ZAR', 'CNY'))
			REFERENCES fx_rates (currency) ON UPDATE CASCADE ON DELETE RESTRICT,
	delivery_days	INT NOT NULL CHECK (delivery_days BETWEEN 1 AND 90),
	revisions	INT NOT NULL DEFAULT 1 CHECK (revisions >= -1),
	features	TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(features) <= 20),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	UNIQUE (gig_id, tier)
);

CREATE TRIGGER gig_packages_touch BEFORE UPDATE ON gig_packages
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- souk_gigs_refresh_basic - copy the basic package of the gigs @ids into
-- their basic_* columns (NULLs when there is none).  A row is written only
-- when a value changes, so bulk loads that fill basic_* up front cost no
-- update.
CREATE FUNCTION souk_gigs_refresh_basic(ids BIGINT[]) RETURNS void
LANGUAGE sql AS $$
	UPDATE gigs AS g SET
		basic_price_minor = b.price_minor,
		basic_currency = b.currency,
		basic_price_usd_minor = b.usd_minor,
		basic_delivery_days = b.delivery_days
	FROM (SELECT x.id, p.price_minor, p.currency, p.delivery_days,
		    round(p.price_minor * f.usd_cents_per_minor)::bigint AS usd_minor
		FROM unnest(ids) AS x (id)
		LEFT JOIN gig_packages AS p ON p.gig_id = x.id AND p.tier = 'basic'
		LEFT JOIN fx_rates AS f ON f.currency = p.currency) AS b
	WHERE g.id = b.id AND
	    (g.basic_price_minor, g.basic_currency, g.basic_price_usd_minor,
	     g.basic_delivery_days) IS DISTINCT FROM
	    (b.price_minor, b.currency, b.usd_minor, b.delivery_days)
$$;

-- souk_gig_packages_sync - AFTER statement trigger on gig_packages: the
-- gigs whose basic package was inserted, changed or deleted are refreshed
-- in one statement (transition tables old_rows / new_rows).
CREATE FUNCTION souk_gig_packages_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM souk_gigs_refresh_basic(ARRAY(SELECT DISTINCT gig_id
		    FROM new_rows WHERE tier = 'basic'));
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM souk_gigs_refresh_basic(ARRAY(SELECT DISTINCT gig_id
		    FROM old_rows WHERE tier = 'basic'));
	ELSE
		PERFORM souk_gigs_refresh_basic(ARRAY(
		    SELECT gig_id FROM old_rows WHERE tier = 'basic'
		    UNION SELECT gig_id FROM new_rows WHERE tier = 'basic'));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER gig_packages_sync_insert AFTER INSERT ON gig_packages
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION souk_gig_packages_sync();
CREATE TRIGGER gig_packages_sync_update AFTER UPDATE ON gig_packages
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION souk_gig_packages_sync();
CREATE TRIGGER gig_packages_sync_delete AFTER DELETE ON gig_packages
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION souk_gig_packages_sync();

-- souk_fx_rates_sync - a changed rate re-prices the gigs in that currency.
CREATE FUNCTION souk_fx_rates_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE gigs SET basic_price_usd_minor =
	    round(basic_price_minor * NEW.usd_cents_per_minor)::bigint
	WHERE basic_currency = NEW.currency;
	RETURN NULL;
END
$$;

CREATE TRIGGER fx_rates_sync AFTER UPDATE OF usd_cents_per_minor ON fx_rates
	FOR EACH ROW EXECUTE FUNCTION souk_fx_rates_sync();

-- Pictures and videos of a gig, shown in position order; the first image
-- is the card picture.
CREATE TABLE gig_media (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gig_id		BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE CASCADE,
	url		TEXT NOT NULL CHECK (url ~ '^(/|https://)' AND length(url) <= 500),
	alt		TEXT NOT NULL DEFAULT '' CHECK (length(alt) <= 300),
	kind		TEXT NOT NULL DEFAULT 'image' CHECK (kind IN ('image', 'video')),
	position	INT NOT NULL DEFAULT 0,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX gig_media_gig_idx ON gig_media (gig_id, position, id);

CREATE TRIGGER gig_media_touch BEFORE UPDATE ON gig_media
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

CREATE TABLE gig_faq (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gig_id		BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE CASCADE,
	question	TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
	answer		TEXT NOT NULL CHECK (length(answer) BETWEEN 1 AND 3000),
	position	INT NOT NULL DEFAULT 0,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX gig_faq_gig_idx ON gig_faq (gig_id, position, id);

CREATE TRIGGER gig_faq_touch BEFORE UPDATE ON gig_faq
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- ---------------------------------------------------------------------
-- Typo tolerance
-- ---------------------------------------------------------------------

-- The Latin-script words of active gigs' titles and tags, with the number
-- of gigs using each: the dictionary that misspelt query words are
-- corrected against.  Kept current by souk_search_words_sync().
CREATE TABLE search_words (
	word		TEXT PRIMARY KEY CHECK (word ~ '^[a-z][a-z0-9]{2,29}$'),
	-- No CHECK (ndoc >= 0): PostgreSQL checks the proposed row of INSERT
	-- ... ON CONFLICT, which carries negative deltas; the update clamps.
	ndoc		INT NOT NULL DEFAULT 0
);

-- souk_title_words - the distinct dictionary words of a title and tags.
CREATE FUNCTION souk_title_words(title TEXT, tags TEXT[]) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(DISTINCT w ORDER BY w), '{}')
	FROM regexp_split_to_table(lower(coalesce(title, '') || ' ' ||
	    coalesce(array_to_string(tags, ' '), '')), '[^a-z0-9]+') AS w
	WHERE w ~ '^[a-z][a-z0-9]{2,29}$'
$$;

-- souk_search_words_apply - add deltas[i] to the count of words[i].
-- Rows are written in word order, so concurrent writers lock them in the
-- same order and cannot deadlock; counts never go below zero.
CREATE FUNCTION souk_search_words_apply(words TEXT[], deltas INT[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO search_words AS s (word, ndoc)
	SELECT d.w, d.n FROM unnest(words, deltas) AS d (w, n)
	WHERE d.n > 0 OR EXISTS (SELECT 1 FROM search_words x WHERE x.word = d.w)
	ORDER BY d.w
	ON CONFLICT (word) DO UPDATE SET ndoc = greatest(s.ndoc + EXCLUDED.ndoc, 0)
$$;

-- souk_search_words_sync - AFTER statement trigger on gigs: count the
-- words of gigs entering the active state (or changing title or tags)
-- and discount those of gigs leaving it.
CREATE FUNCTION souk_search_words_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	ws TEXT[];
	ns INT[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(w ORDER BY w), array_agg(n ORDER BY w) INTO ws, ns
		FROM (SELECT w, count(*)::int AS n FROM new_rows AS r,
		    unnest(souk_title_words(r.title, r.tags)) AS w
		    WHERE r.status = 'active' GROUP BY w) AS d;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(w ORDER BY w), array_agg(n ORDER BY w) INTO ws, ns
		FROM (SELECT w, -count(*)::int AS n FROM old_rows AS r,
		    unnest(souk_title_words(r.title, r.tags)) AS w
		    WHERE r.status = 'active' GROUP BY w) AS d;
	ELSE
		SELECT array_agg(w ORDER BY w), array_agg(n ORDER BY w) INTO ws, ns
		FROM (SELECT w, sum(n)::int AS n FROM (
			SELECT n.title, n.tags, n.status AS st, 1 AS n
			FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
			WHERE (o.title, o.tags, o.status) IS DISTINCT FROM (n.title, n.tags, n.status)
			UNION ALL
			SELECT o.title, o.tags, o.status, -1
			FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
			WHERE (o.title, o.tags, o.status) IS DISTINCT FROM (n.title, n.tags, n.status)
		    ) AS r, unnest(souk_title_words(r.title, r.tags)) AS w
		    WHERE r.st = 'active' GROUP BY w HAVING sum(n) <> 0) AS d;
	END IF;
	IF ws IS NOT NULL THEN
		PERFORM souk_search_words_apply(ws, ns);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER gigs_search_words_insert AFTER INSERT ON gigs
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION souk_search_words_sync();
CREATE TRIGGER gigs_search_words_update AFTER UPDATE ON gigs
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION souk_search_words_sync();
CREATE TRIGGER gigs_search_words_delete AFTER DELETE ON gigs
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION souk_search_words_sync();

-- souk_fuzzy_query - a forgiving tsquery for @q.  Each Latin word of 3+
-- letters (stop words left out, at most 8) is replaced by the closest
-- dictionary words: itself when known, else up to three words at the
-- smallest Levenshtein distance within 1 (words of up to 4 letters) or 2,
-- most used first ("desgin" -> design); words with no close match are
-- dropped.  The corrected words are ANDed; CJK bigrams are ORed (ranking
-- favours gigs matching more of them).  Empty (numnode 0) when nothing
-- is left.  Dictionary words are [a-z0-9] only, so building the query
-- text for to_tsquery from them is safe.
CREATE FUNCTION souk_fuzzy_query(q TEXT) RETURNS tsquery
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET client_min_messages = warning AS $$
	WITH w AS (
		SELECT DISTINCT word,
		    CASE WHEN length(word) <= 4 THEN 1 ELSE 2 END AS k
		FROM regexp_split_to_table(lower(left(q, 200)), '[^a-z0-9]+') AS word
		WHERE word ~ '^[a-z][a-z0-9]{2,29}$' AND
		    to_tsvector('english', word) <> ''::tsvector
		LIMIT 8
	), c AS (
		SELECT w.word, w.k, s.word AS alt, s.ndoc,
		    levenshtein_less_equal(w.word, s.word, w.k) AS d
		FROM w JOIN search_words AS s ON s.ndoc > 0
		    AND length(s.word) BETWEEN length(w.word) - w.k AND length(w.word) + w.k
	), r AS (
		SELECT word, alt, row_number() OVER (PARTITION BY word
		    ORDER BY d, ndoc DESC, alt) AS n,
		    d = min(d) OVER (PARTITION BY word) AS best
		FROM c WHERE d <= k
	), latin AS (
		SELECT to_tsquery('english', string_agg(e, ' & ' ORDER BY word)) AS tq
		FROM (SELECT word, '(' || string_agg(alt, ' | ' ORDER BY n) || ')' AS e
			FROM r WHERE best AND n <= 3 GROUP BY word) AS x
	), cjk AS (
		SELECT to_tsquery('simple', string_agg(t, ' | ')) AS tq
		FROM regexp_split_to_table(souk_cjk_tokens(q, false), ' ') AS t
		WHERE t <> ''
	)
	SELECT coalesce(latin.tq, ''::tsquery) && coalesce(cjk.tq, ''::tsquery)
	FROM latin, cjk
$$;

-- souk_fuzzy_gigs - trigram title match for @q, the last resort when
-- neither the search nor souk_fuzzy_query() finds anything (joined or
-- garbled words: "logodesign").  About 20 µs per candidate title, hence
-- last.  Each word of the query (3+ characters, English
-- stop words left out, at most 8) is matched against titles with pg_trgm
-- word similarity (the <% operator, GIN index); a gig qualifies when the
-- mean similarity over all query words is at least 0.5, so "logo desgin"
-- finds logo design gigs but not every gig saying "design".
-- Returns: (gig_id, similarity in 0..1), unordered, active gigs only.
CREATE FUNCTION souk_fuzzy_gigs(q TEXT) RETURNS TABLE (gig_id BIGINT, similarity REAL)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET pg_trgm.word_similarity_threshold = 0.4 AS $$
	WITH w AS (
		SELECT DISTINCT word
		FROM regexp_split_to_table(lower(left(q, 200)),
		    '[^[:alnum:]\u3400-\u4dbf\u4e00-\u9fff]+') AS word
		WHERE length(word) >= 3 AND to_tsvector('english', word) <> ''::tsvector
		LIMIT 8
	), n AS (
		SELECT count(*)::real AS n FROM w
	)
	SELECT m.id, (sum(m.s) / n.n)::real
	FROM (SELECT g.id, word_similarity(w.word, lower(g.title)) AS s
		FROM w JOIN gigs AS g ON w.word <% lower(g.title) AND g.status = 'active') AS m
	CROSS JOIN n
	GROUP BY m.id, n.n
	HAVING sum(m.s) / n.n >= 0.5
$$;
