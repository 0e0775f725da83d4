/*
 * gigstats_db.c - the queries of My gigs and of the statistics rollup
 * (see gigstats.h): SQL only.
 */
#include "config.h"

#include <stdio.h>

#include "gigstats/gigstats.h"

/*
 * A paid order: past awaiting_payment, and when cancelled, cancelled
 * after its payment (a paid payment of the order itself) rather than
 * before it.
 */
#define PAID(O) "(" O ".state <> 'awaiting_payment' AND (" O ".state <> 'cancelled'" \
	" OR EXISTS (SELECT 1 FROM payments p WHERE p.order_id = " O ".id" \
	"  AND p.change_order_id IS NULL AND p.state = 'paid')))"

/* Today as a UTC date. */
#define TODAY "(now() AT TIME ZONE 'UTC')::date"

static const char sql_mygigs[] =
	"SELECT json_build_object("
	" 'counts', (SELECT json_object_agg(s.st, (SELECT count(*) FROM gigs c"
	"   WHERE c.seller_id = $1::bigint AND c.status = s.st))"
	"  FROM unnest(ARRAY['active', 'pending_review', 'requires_changes', 'draft',"
	"   'denied', 'paused', 'archived']) AS s(st)),"
	" 'gigs', (SELECT coalesce(json_agg(json_build_object('id', x.id, 'title', x.title,"
	"   'status', x.status, 'url', '/' || u.handle || '/' || x.slug,"
	"   'review_note', x.review_note,"
	"   'updated', to_char(x.status_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	"   'i7', coalesce(st.i7, 0), 'c7', coalesce(st.c7, 0), 'o7', od.o7,"
	"   'i30', coalesce(st.i30, 0), 'c30', coalesce(st.c30, 0), 'o30', od.o30)"
	"   ORDER BY x.status_changed_at DESC, x.id DESC), '[]')"
	"  FROM (SELECT g.* FROM gigs g WHERE g.seller_id = $1::bigint AND g.status = $2"
	"   ORDER BY g.status_changed_at DESC, g.id DESC LIMIT $3::int) AS x"
	"  JOIN users u ON u.id = x.seller_id"
	"  LEFT JOIN LATERAL (SELECT"
	"    sum(d.impressions) FILTER (WHERE d.day > " TODAY " - 7) AS i7,"
	"    sum(d.clicks) FILTER (WHERE d.day > " TODAY " - 7) AS c7,"
	"    sum(d.impressions) AS i30, sum(d.clicks) AS c30"
	"   FROM gig_stats_daily d WHERE d.gig_id = x.id AND d.day > " TODAY " - 30) AS st"
	"  ON true"
	"  CROSS JOIN LATERAL (SELECT"
	"    count(*) FILTER (WHERE o.created_at > souk_now() - interval '7 days') AS o7,"
	"    count(*) AS o30"
	"   FROM orders o WHERE o.gig_id = x.id"
	"    AND o.created_at > souk_now() - interval '30 days' AND " PAID("o") ") AS od))";

static const char sql_lock[] =
	"SELECT json_build_object('id', g.id, 'status', g.status, 'title', g.title)"
	" FROM gigs g WHERE g.id = $1::bigint AND g.seller_id = $2::bigint FOR UPDATE";

static const char sql_set_status[] =
	"UPDATE gigs g SET status = $2, status_changed_at = now() WHERE g.id = $1::bigint"
	" RETURNING json_build_object('id', g.id, 'status', g.status, 'title', g.title)";

static const char sql_copy_gig[] =
	"INSERT INTO gigs (seller_id, category_id, title, slug, description, description_html,"
	"  lang, status, tags, currency)"
	" SELECT g.seller_id, g.category_id, left(g.title, 113) || ' (copy)',"
	"  rtrim(left(g.slug, 60), '-') || '-copy-'"
	"   || substr(md5(random()::text || clock_timestamp()::text), 1, 8),"
	"  g.description, g.description_html, g.lang, 'draft', g.tags, g.currency"
	" FROM gigs g WHERE g.id = $1::bigint"
	" RETURNING json_build_object('id', id, 'status', status, 'title', title, 'slug', slug)";

static const char sql_copy_children[] =
	"WITH pk AS (INSERT INTO gig_packages (gig_id, tier, name, description, price_minor,"
	"   currency, delivery_days, revisions, features)"
	"  SELECT $2::bigint, k.tier, k.name, k.description, k.price_minor, k.currency,"
	"   k.delivery_days, k.revisions, k.features"
	"  FROM gig_packages k WHERE k.gig_id = $1::bigint RETURNING 1),"
	" fq AS (INSERT INTO gig_faq (gig_id, question, answer, position)"
	"  SELECT $2::bigint, q.question, q.answer, q.position"
	"  FROM gig_faq q WHERE q.gig_id = $1::bigint RETURNING 1),"
	" ex AS (INSERT INTO gig_extras (gig_id, kind, tier, title, price_minor, added_days,"
	"   position)"
	"  SELECT $2::bigint, e.kind, e.tier, e.title, e.price_minor, e.added_days, e.position"
	"  FROM gig_extras e WHERE e.gig_id = $1::bigint RETURNING 1),"
	" rq AS (INSERT INTO gig_requirements (gig_id, position, question, kind, choices,"
	"   required)"
	"  SELECT $2::bigint, r.position, r.question, r.kind, r.choices, r.required"
	"  FROM gig_requirements r WHERE r.gig_id = $1::bigint RETURNING 1)"
	" SELECT (SELECT count(*) FROM pk) + (SELECT count(*) FROM fq)"
	"  + (SELECT count(*) FROM ex) + (SELECT count(*) FROM rq)";

/*
 * One batch: $1 batch id, $2 day, $3 column, $4 {"<gig id>": "<n>"}.
 * mark is empty when the batch was added before, and then so is the insert.
 */
static const char sql_add[] =
	"WITH old AS (DELETE FROM gig_stats_rollups"
	"  WHERE done_at < now() - interval '30 days' RETURNING 1),"
	" mark AS (INSERT INTO gig_stats_rollups (batch) VALUES ($1)"
	"  ON CONFLICT (batch) DO NOTHING RETURNING batch),"
	" v AS MATERIALIZED (SELECT"
	"  CASE WHEN e.key ~ '^[0-9]{1,18}$' THEN e.key::bigint END AS gig_id,"
	"  CASE WHEN e.value ~ '^[0-9]{1,18}$' THEN e.value::bigint END AS n"
	"  FROM json_each_text($4::json) AS e),"
	" ins AS (INSERT INTO gig_stats_daily (gig_id, day, impressions, clicks)"
	"  SELECT v.gig_id, $2::date, CASE WHEN $3 = 'impressions' THEN v.n ELSE 0 END,"
	"   CASE WHEN $3 = 'clicks' THEN v.n ELSE 0 END"
	"  FROM v WHERE v.gig_id IS NOT NULL AND v.n > 0 AND EXISTS (SELECT 1 FROM mark)"
	"   AND EXISTS (SELECT 1 FROM gigs g WHERE g.id = v.gig_id)"
	"  ON CONFLICT (gig_id, day) DO UPDATE SET"
	"   impressions = gig_stats_daily.impressions + EXCLUDED.impressions,"
	"   clicks = gig_stats_daily.clicks + EXCLUDED.clicks"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins) + 0 * (SELECT count(*) FROM old)";

int
gigstats_db_mygigs(db_t *db, long long seller_id, const char *status, json_t **out)
{
	char ids[24], lim[16];
	const char *p[3] = { ids, status, lim };

	snprintf(ids, sizeof(ids), "%lld", seller_id);
	snprintf(lim, sizeof(lim), "%d", GIGSTATS_MAX_ROWS);
	return db_query_json(db, out, sql_mygigs, 3, p);
}

int
gigstats_db_lock(db_t *db, long long id, long long seller_id, json_t **out)
{
	char a[24], b[24];
	const char *p[2] = { a, b };

	snprintf(a, sizeof(a), "%lld", id);
	snprintf(b, sizeof(b), "%lld", seller_id);
	return db_query_json(db, out, sql_lock, 2, p);
}

int
gigstats_db_set_status(db_t *db, long long id, const char *status, json_t **out)
{
	char a[24];
	const char *p[2] = { a, status };

	snprintf(a, sizeof(a), "%lld", id);
	return db_query_json(db, out, sql_set_status, 2, p);
}

int
gigstats_db_duplicate(db_t *db, long long id, json_t **out)
{
	char a[24], b[24];
	const char *p[2] = { a, b };
	int rc;

	snprintf(a, sizeof(a), "%lld", id);
	if ((rc = db_query_json(db, out, sql_copy_gig, 1, p)) != DB_OK)
		return rc;
	snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(json_object_get(*out, "id")));
	if ((rc = db_exec(db, NULL, sql_copy_children, 2, p)) != DB_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
gigstats_db_add(db_t *db, const char *batch, const char *day, const char *column,
    const char *counts)
{
	const char *p[4] = { batch, day, column, counts };

	return db_exec(db, NULL, sql_add, 4, p);
}
