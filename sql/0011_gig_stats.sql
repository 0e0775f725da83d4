-- 0011_gig_stats.sql - per-gig daily statistics for the seller's "My gigs"
-- page (src/gigstats/).
--
-- Impressions (a gig card shown on a category or search page) and clicks
-- (a gig page view) are counted in Redis on the request path, in hashes
-- stats:impr:<yyyymmdd> and stats:click:<yyyymmdd> (field: gig id), with
-- no PostgreSQL write.  souk-worker rolls them up here every few minutes
-- (gigstats_rollup): it RENAMEs a live hash to a processing key, stamps
-- it with a batch id (HSETNX _batch), adds its counts in one statement
-- that also records the batch in gig_stats_rollups, then DELetes it.  A
-- batch already recorded is not added again, so a crash between the
-- commit and the DEL neither loses nor doubles a count.
--
-- orders is kept for the orders module (issue 5): it adds to it when an
-- order is placed; until then it is 0.

CREATE TABLE gig_stats_daily (
	gig_id		BIGINT NOT NULL REFERENCES gigs (id) ON UPDATE CASCADE ON DELETE CASCADE,
	day		DATE NOT NULL,
	impressions	BIGINT NOT NULL DEFAULT 0 CHECK (impressions >= 0),
	clicks		BIGINT NOT NULL DEFAULT 0 CHECK (clicks >= 0),
	orders		BIGINT NOT NULL DEFAULT 0 CHECK (orders >= 0),
	PRIMARY KEY (gig_id, day)
);

-- The batches already added (see above); rows older than 30 days are
-- deleted by the rollup.
CREATE TABLE gig_stats_rollups (
	batch		TEXT PRIMARY KEY CHECK (length(batch) BETWEEN 1 AND 100),
	done_at		TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX gig_stats_rollups_done_idx ON gig_stats_rollups (done_at);
