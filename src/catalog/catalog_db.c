/*
 * catalog_db.c - catalog queries (see catalog_db.h): SQL and nothing else.
 *
 * Each page is one statement returning one JSON value.  The SQL texts are
 * constants assembled at compile time from the fragments below; values
 * only ever travel as text parameters of PQexecParams.  Listings choose
 * among four precompiled texts, one per sort order, so that each ORDER BY
 * is plain SQL the planner can match to an index.
 *
 * Unnamed statements are planned with their parameter values, so the
 * "($n IS NULL OR ...)" filter guards fold away and immutable functions of
 * parameters (souk_search_query) are computed once, at plan time.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog_db.h"

/* ------------------------------------------------------------------ */
/* SQL fragments                                                       */
/* ------------------------------------------------------------------ */

/*
 * Every fragment taking L expects L to be the parameter holding the
 * normalised UI language, 'en' or 'zh-CN' (ui_lang below).
 */

/* {slug, name, url} of the category aliased A. */
#define CAT_LINK(A, L) \
	"json_build_object('slug', " A ".slug, 'name', " \
	"souk_loc(" A ".name, " A ".name_zh, " L "), 'url', '/c/' || " A ".slug)"

/* A rating as a string with one decimal ("4.9"). */
#define RATING(COL) "to_char(" COL ", 'FM0.0')"

/* A timestamp as a UTC date. */
#define DAY(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

/*
 * gig_card of the gig aliased g, with CARD_JOINS providing u (users),
 * p (profiles, may be missing) and cm (cover image, may be missing).
 */
#define CARD_JSON(L) \
	"json_build_object('id', g.id, 'title', g.title," \
	" 'url', '/' || u.handle || '/' || g.slug," \
	" 'image', coalesce(cm.url, '/static/img/gigs/1.svg'), 'lang', g.lang," \
	" 'seller', json_build_object('handle', u.handle," \
	"  'display_name', coalesce(p.display_name, u.handle)," \
	"  'level', coalesce(p.seller_level, 'new')," \
	"  'level_label', souk_level_label(coalesce(p.seller_level, 'new'), " L ")," \
	"  'url', '/u/' || u.handle)," \
	" 'rating', " RATING("g.rating_avg") ", 'rating_count', g.rating_count," \
	" 'price', souk_money(g.basic_price_minor, g.basic_currency, " L ")," \
	" 'price_minor', g.basic_price_minor, 'currency', g.basic_currency," \
	" 'delivery_days', g.basic_delivery_days)"

#define CARD_JOINS \
	" JOIN users u ON u.id = g.seller_id" \
	" LEFT JOIN profiles p ON p.user_id = g.seller_id" \
	" LEFT JOIN LATERAL (SELECT coalesce(media_view(gm.media_id)->'card'->>'jpeg', gm.url) AS url" \
	"  FROM gig_media gm" \
	"  WHERE gm.gig_id = g.id AND gm.kind = 'image'" \
	"  ORDER BY gm.position, gm.id LIMIT 1) cm ON true"

/* The gig aliased G is listed: active, by an active account. */
#define LISTED(G) \
	" " G ".status = 'active' AND EXISTS (SELECT 1 FROM users lu" \
	"  WHERE lu.id = " G ".seller_id AND lu.status = 'active')"

/*
 * Listing filters on the gig aliased g.  Parameter numbers are shared by
 * the category and search statements:
 *	$1 slug or query, $2 UI language, $3 min US cents, $4 max US cents,
 *	$5 max delivery days, $6 seller level, $7 min rating, $8 gig language,
 *	$9 LIMIT, $10 OFFSET (NULL for "no filter").
 */
#define FILTERS \
	" AND" LISTED("g") \
	" AND ($3::bigint IS NULL OR g.basic_price_usd_minor >= $3::bigint)" \
	" AND ($4::bigint IS NULL OR g.basic_price_usd_minor <= $4::bigint)" \
	" AND ($5::int IS NULL OR g.basic_delivery_days <= $5::int)" \
	" AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM profiles lp" \
	"  WHERE lp.user_id = g.seller_id AND lp.seller_level = $6::text))" \
	" AND ($7::numeric IS NULL OR g.rating_avg >= $7::numeric)" \
	" AND ($8::text IS NULL OR g.lang = $8::text)"

/* The columns a listing CTE "m" carries for sorting. */
#define SORT_COLS \
	" g.id, g.score, g.rating_avg, g.rating_count, g.created_at," \
	" g.basic_price_usd_minor AS price"

/* ORDER BY clauses over "m", in enum sort order. */
#define ORDER_POPULAR	"m.score DESC, m.id"
#define ORDER_RANK	"m.rank DESC, m.score DESC, m.id"
#define ORDER_RATING	"m.rating_avg DESC, m.rating_count DESC, m.id"
#define ORDER_NEWEST	"m.created_at DESC, m.id DESC"
#define ORDER_PRICE	"m.price, m.id"

/* The page of "m" in order, then its cards and the total. */
#define PAGE_CTE(ORDER) \
	" pg AS (SELECT m.id, row_number() OVER (ORDER BY " ORDER ") AS rn" \
	"  FROM m ORDER BY " ORDER " LIMIT $9::int OFFSET $10::bigint)"

#define PAGE_GIGS \
	" 'gigs', (SELECT coalesce(json_agg(" CARD_JSON("$2") " ORDER BY pg.rn), '[]')" \
	"  FROM pg JOIN gigs g ON g.id = pg.id" CARD_JOINS ")," \
	" 'total', (SELECT count(*) FROM m)"

/* The seller object of the account aliased U with profile P. */
#define SELLER_JSON(U, P, L) \
	"json_build_object('handle', " U ".handle, 'display_name', " P ".display_name," \
	" 'url', '/u/' || " U ".handle, 'headline', " P ".headline, 'bio', " P ".bio," \
	" 'level', " P ".seller_level, 'level_label', souk_level_label(" P ".seller_level, " L ")," \
	" 'country', " P ".country," \
	" 'country_name', coalesce((SELECT souk_loc(co.name, co.name_zh, " L ")" \
	"  FROM countries co WHERE co.code = " P ".country), " P ".country)," \
	" 'languages', (SELECT coalesce(json_agg(json_build_object(" \
	"   'name', coalesce(souk_loc(lg.name, lg.name_zh, " L "), e.v->>'name', e.v->>'code')," \
	"   'level', souk_lang_level_label((e.v->>'level'), " L ")) ORDER BY e.n), '[]')" \
	"  FROM jsonb_array_elements(" P ".languages) WITH ORDINALITY AS e(v, n)" \
	"  LEFT JOIN languages lg ON lg.code = e.v->>'code')," \
	" 'skills', to_json(" P ".skills)," \
	" 'rating', " RATING(P ".rating_avg") ", 'rating_count', " P ".rating_count," \
	" 'member_since', to_char(" U ".created_at AT TIME ZONE 'UTC', 'YYYY')," \
	" 'gig_count', (SELECT count(*) FROM gigs sg" \
	"  WHERE sg.seller_id = " U ".id AND sg.status = 'active')," \
	" 'avatar_initials', CASE" \
	"  WHEN " P ".display_name ~ '^[\\u3400-\\u4dbf\\u4e00-\\u9fff]'" \
	"   THEN left(" P ".display_name, 1)" \
	"  ELSE upper(left(btrim(" P ".display_name), 1) ||" \
	"   CASE WHEN btrim(" P ".display_name) ~ '\\s'" \
	"    THEN left(regexp_replace(btrim(" P ".display_name), '^.*\\s', ''), 1)" \
	"    ELSE '' END) END)"

/* ------------------------------------------------------------------ */
/* Statements                                                          */
/* ------------------------------------------------------------------ */

enum { SORT_RELEVANCE, SORT_RATING, SORT_NEWEST, SORT_PRICE, SORT_N };

static const char sql_nav[] =
	"SELECT json_build_object('categories', coalesce(json_agg(" CAT_LINK("t", "$1")
	" ORDER BY t.position, t.id), '[]'))"
	" FROM categories t WHERE t.parent_id IS NULL";

/*
 * Home.  counts: listed gigs per top-level category, computed as the
 * active gigs per category (an index-only scan of a partial index) minus
 * the active gigs of accounts that are not active (usually none).
 */
static const char sql_home[] =
	"WITH counts AS MATERIALIZED (SELECT k.parent_id, sum(x.n) AS n FROM ("
	"   SELECT g.category_id, count(*) AS n FROM gigs g"
	"   WHERE g.status = 'active' GROUP BY g.category_id"
	"   UNION ALL"
	"   SELECT g.category_id, -count(*) FROM users u"
	"   JOIN gigs g ON g.seller_id = u.id AND g.status = 'active'"
	"   WHERE u.status <> 'active' GROUP BY g.category_id) AS x"
	"  JOIN categories k ON k.id = x.category_id GROUP BY k.parent_id)"
	" SELECT json_build_object("
	" 'categories', (SELECT coalesce(json_agg(json_build_object("
	"   'slug', t.slug, 'name', souk_loc(t.name, t.name_zh, $1),"
	"   'name_zh', t.name_zh, 'url', '/c/' || t.slug, 'icon', t.icon,"
	"   'gig_count', coalesce((SELECT n FROM counts WHERE counts.parent_id = t.id), 0),"
	"   'children', (SELECT coalesce(json_agg(" CAT_LINK("k", "$1")
	"    ORDER BY k.position, k.id), '[]') FROM categories k WHERE k.parent_id = t.id))"
	"  ORDER BY t.position, t.id), '[]')"
	"  FROM categories t WHERE t.parent_id IS NULL),"
	" 'featured', (SELECT coalesce(json_agg(" CARD_JSON("$1") " ORDER BY f.rn), '[]')"
	"  FROM (SELECT s.id, row_number() OVER (ORDER BY s.pref DESC, s.score DESC, s.id) AS rn"
	"   FROM (SELECT g.id, g.score,"
	"     g.lang = (CASE WHEN $1 = 'zh-CN' THEN 'zh' ELSE 'en' END) AS pref,"
	"     row_number() OVER (PARTITION BY c.parent_id ORDER BY"
	"      g.lang = (CASE WHEN $1 = 'zh-CN' THEN 'zh' ELSE 'en' END) DESC,"
	"      g.score DESC, g.id) AS per_cat"
	"    FROM gigs g JOIN categories c ON c.id = g.category_id"
	"    WHERE g.rating_count >= 50 AND" LISTED("g") ") AS s"
	"   WHERE s.per_cat <= 2"
	"   ORDER BY s.pref DESC, s.score DESC, s.id LIMIT 12) AS f"
	"  JOIN gigs g ON g.id = f.id" CARD_JOINS "))";

/* Category listing; ORDER is one of the ORDER_* clauses. */
#define SQL_CATEGORY(ORDER) \
	"WITH cat AS (SELECT * FROM categories WHERE slug = $1)," \
	" m AS (SELECT" SORT_COLS " FROM gigs g" \
	"  WHERE g.category_id IN (SELECT k.id FROM categories k, cat" \
	"   WHERE k.id = cat.id OR k.parent_id = cat.id)" FILTERS ")," \
	PAGE_CTE(ORDER) \
	" SELECT json_build_object(" \
	" 'category', json_build_object('slug', cat.slug," \
	"  'name', souk_loc(cat.name, cat.name_zh, $2), 'name_zh', cat.name_zh," \
	"  'description', souk_loc(cat.description, cat.description_zh, $2)," \
	"  'url', '/c/' || cat.slug," \
	"  'parent', (SELECT " CAT_LINK("pc", "$2") " FROM categories pc" \
	"   WHERE pc.id = cat.parent_id)," \
	"  'children', (SELECT coalesce(json_agg(json_build_object('slug', k.slug," \
	"    'name', souk_loc(k.name, k.name_zh, $2), 'url', '/c/' || k.slug," \
	"    'current', k.id = cat.id) ORDER BY k.position, k.id), '[]')" \
	"   FROM categories k WHERE k.parent_id = coalesce(cat.parent_id, cat.id)))," \
	PAGE_GIGS ")" \
	" FROM cat"

static const char *const sql_category[SORT_N] = {
	SQL_CATEGORY(ORDER_POPULAR),
	SQL_CATEGORY(ORDER_RATING),
	SQL_CATEGORY(ORDER_NEWEST),
	SQL_CATEGORY(ORDER_PRICE),
};

/*
 * Search in up to three stages, each run only when the ones before found
 * nothing (one-time filters): full-text matches (fts); the same with the
 * query corrected against the title vocabulary (fq, fz1: "logo desgin");
 * trigram similarity of titles (fz2: "logodesign").  "m" is the union,
 * i.e. whichever stage found something.  rank is ts_rank_cd (or the
 * similarity) scaled by popularity, so that among equally good text
 * matches the better-reviewed gigs come first.
 */
#define SQL_SEARCH(ORDER) \
	"WITH fts AS (SELECT" SORT_COLS "," \
	"  ts_rank_cd(g.search, souk_search_query(left($1, 200)))" \
	"   * (1 + ln(1 + g.score)) AS rank" \
	"  FROM gigs g" \
	"  WHERE numnode(souk_search_query(left($1, 200))) > 0" \
	"   AND g.search @@ souk_search_query(left($1, 200))" FILTERS ")," \
	" fq AS MATERIALIZED (SELECT souk_fuzzy_query(left($1, 200)) AS tq" \
	"  WHERE NOT EXISTS (SELECT 1 FROM fts))," \
	" fz1 AS (SELECT" SORT_COLS "," \
	"  ts_rank_cd(g.search, fq.tq) * (1 + ln(1 + g.score)) AS rank" \
	"  FROM fq JOIN gigs g ON g.search @@ fq.tq" \
	"  WHERE numnode(fq.tq) > 0" FILTERS ")," \
	" fz2 AS (SELECT" SORT_COLS "," \
	"  f.similarity * (1 + ln(1 + g.score)) AS rank" \
	"  FROM souk_fuzzy_gigs(left($1, 200)) f JOIN gigs g ON g.id = f.gig_id" \
	"  WHERE NOT EXISTS (SELECT 1 FROM fts) AND NOT EXISTS (SELECT 1 FROM fz1)" \
	FILTERS ")," \
	" m AS (SELECT * FROM fts UNION ALL SELECT * FROM fz1 UNION ALL SELECT * FROM fz2)," \
	PAGE_CTE(ORDER) \
	" SELECT json_build_object(" PAGE_GIGS "," \
	" 'fuzzy', NOT EXISTS (SELECT 1 FROM fts) AND EXISTS (SELECT 1 FROM m))"

static const char *const sql_search[SORT_N] = {
	SQL_SEARCH(ORDER_RANK),
	SQL_SEARCH(ORDER_RATING),
	SQL_SEARCH(ORDER_NEWEST),
	SQL_SEARCH(ORDER_PRICE),
};

/* Gig page: the gig aliased x, its seller xu/xp and its category xc. */
static const char sql_gig[] =
	"SELECT json_build_object("
	" 'gig', json_build_object('id', x.id, 'title', x.title, 'slug', x.slug,"
	"  'description', x.description,"
	"  'description_html', x.description_html,"
	"  'description_paragraphs', (SELECT coalesce(json_agg(btrim(s.p, E' \\t\\r\\n')"
	"    ORDER BY s.n), '[]')"
	"   FROM regexp_split_to_table(x.description, '\\n[ \\t\\r]*\\n')"
	"    WITH ORDINALITY AS s(p, n)"
	"   WHERE btrim(s.p, E' \\t\\r\\n') <> ''),"
	"  'tags', to_json(x.tags), 'lang', x.lang,"
	"  'url', '/' || xu.handle || '/' || x.slug,"
	"  'created', " DAY("x.created_at") ","
	"  'rating', " RATING("x.rating_avg") ", 'rating_count', x.rating_count,"
	"  'category', json_build_object('slug', xc.slug,"
	"   'name', souk_loc(xc.name, xc.name_zh, $3), 'url', '/c/' || xc.slug,"
	"   'parent', (SELECT " CAT_LINK("pc", "$3") " FROM categories pc"
	"    WHERE pc.id = xc.parent_id)),"
	"  'media', (SELECT coalesce(json_agg(json_build_object('url', gm.url, 'alt', gm.alt)"
	"    ORDER BY gm.position, gm.id), '[]') FROM gig_media gm WHERE gm.gig_id = x.id),"
	"  'packages', gig_packages_json(x.id, $3),"
	"  'has_extras', EXISTS (SELECT 1 FROM gig_extras e WHERE e.gig_id = x.id),"
	"  'extras', (SELECT coalesce(json_agg(json_build_object("
	"    'kind', e.kind, 'fast', e.kind = 'fast_delivery',"
	"    'revision', e.kind = 'extra_revision', 'custom', e.kind = 'custom',"
	"    'tier_label', CASE WHEN e.tier IS NULL THEN NULL ELSE souk_tier_label(e.tier, $3) END,"
	"    'title', e.title, 'price', souk_money(e.price_minor, x.currency, $3),"
	"    'added_days', e.added_days)"
	"    ORDER BY array_position(ARRAY['fast_delivery', 'extra_revision', 'custom'], e.kind),"
	"     array_position(ARRAY['basic', 'standard', 'premium'], e.tier), e.position, e.id), '[]')"
	"   FROM gig_extras e WHERE e.gig_id = x.id),"
	"  'faq', (SELECT coalesce(json_agg(json_build_object('question', q.question,"
	"    'answer', q.answer) ORDER BY q.position, q.id), '[]')"
	"   FROM gig_faq q WHERE q.gig_id = x.id)),"
	" 'seller', " SELLER_JSON("xu", "xp", "$3") ","
	" 'related', (SELECT coalesce(json_agg(" CARD_JSON("$3") " ORDER BY r.rn), '[]')"
	"  FROM (SELECT r0.id, row_number() OVER (ORDER BY r0.lang = x.lang DESC,"
	"    r0.score DESC, r0.id) AS rn"
	"   FROM gigs r0 WHERE r0.category_id = x.category_id AND r0.id <> x.id"
	"    AND" LISTED("r0")
	"   ORDER BY r0.lang = x.lang DESC, r0.score DESC, r0.id LIMIT 8) AS r"
	"  JOIN gigs g ON g.id = r.id" CARD_JOINS "))"
	" FROM gigs x"
	" JOIN users xu ON xu.id = x.seller_id"
	" JOIN profiles xp ON xp.user_id = x.seller_id"
	" JOIN categories xc ON xc.id = x.category_id"
	" WHERE xu.handle = $1 AND x.slug = $2 AND x.status = 'active'"
	"  AND xu.status = 'active'";

static const char sql_seller[] =
	"SELECT json_build_object("
	" 'seller', " SELLER_JSON("xu", "xp", "$2") ","
	" 'gigs', (SELECT coalesce(json_agg(" CARD_JSON("$2") " ORDER BY g.score DESC, g.id), '[]')"
	"  FROM gigs g" CARD_JOINS
	"  WHERE g.seller_id = xu.id AND g.status = 'active'))"
	" FROM users xu JOIN profiles xp ON xp.user_id = xu.id"
	" WHERE xu.handle = $1 AND xu.status = 'active'";

static const char sql_sitemap[] =
	"SELECT json_build_object("
	" 'categories', (SELECT coalesce(json_agg(json_build_object('url', '/c/' || c.slug)"
	"   ORDER BY coalesce(t.position, c.position), coalesce(t.id, c.id),"
	"    c.parent_id NULLS FIRST, c.position, c.id), '[]')"
	"  FROM categories c LEFT JOIN categories t ON t.id = c.parent_id),"
	" 'gigs', (SELECT coalesce(json_agg(json_build_object("
	"   'url', '/' || u.handle || '/' || g.slug, 'updated', " DAY("g.updated_at") ")"
	"   ORDER BY g.id), '[]')"
	"  FROM gigs g JOIN users u ON u.id = g.seller_id"
	"  WHERE g.status = 'active' AND u.status = 'active'))";

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */

/* The UI language as the SQL expects it: "zh-CN" for any "zh*", else "en". */
static const char *
ui_lang(const char *lang)
{
	return lang != NULL && strncmp(lang, "zh", 2) == 0 ? "zh-CN" : "en";
}

static int
sort_index(const char *sort)
{
	if (sort == NULL)
		return SORT_RELEVANCE;
	if (strcmp(sort, "rating") == 0)
		return SORT_RATING;
	if (strcmp(sort, "newest") == 0)
		return SORT_NEWEST;
	if (strcmp(sort, "price_asc") == 0)
		return SORT_PRICE;
	return SORT_RELEVANCE;
}

/* Text forms of a filter's numbers; lives on the caller's stack. */
struct filter_params {
	char min[24], max[24], days[16], rating[16], limit[16], offset[24];
	const char *v[10];
};

/*
 * Fill @fp->v with the ten listing parameters ($1..$10, see FILTERS) for
 * @f, with @first as $1.  Out-of-range values are clamped, unset filters
 * become NULL.
 */
static void
filter_params(struct filter_params *fp, const struct catalog_filter *f, const char *first)
{
	long long page = f->page < 1 ? 1 : f->page;
	int per = f->per_page < 1 ? 1 : f->per_page > 100 ? 100 : f->per_page;

	fp->v[0] = first;
	fp->v[1] = ui_lang(f->lang);
	fp->v[2] = fp->v[3] = fp->v[4] = fp->v[6] = NULL;
	if (f->min_price >= 0) {
		snprintf(fp->min, sizeof(fp->min), "%lld", f->min_price);
		fp->v[2] = fp->min;
	}
	if (f->max_price >= 0) {
		snprintf(fp->max, sizeof(fp->max), "%lld", f->max_price);
		fp->v[3] = fp->max;
	}
	if (f->max_delivery > 0) {
		snprintf(fp->days, sizeof(fp->days), "%d", f->max_delivery);
		fp->v[4] = fp->days;
	}
	fp->v[5] = f->level != NULL && f->level[0] != '\0' ? f->level : NULL;
	if (f->min_rating > 0) {
		snprintf(fp->rating, sizeof(fp->rating), "%.2f",
		    f->min_rating > 5 ? 5.0 : f->min_rating);
		fp->v[6] = fp->rating;
	}
	fp->v[7] = f->language != NULL && f->language[0] != '\0' ? f->language : NULL;
	snprintf(fp->limit, sizeof(fp->limit), "%d", per);
	snprintf(fp->offset, sizeof(fp->offset), "%lld", (page - 1) * per);
	fp->v[8] = fp->limit;
	fp->v[9] = fp->offset;
}

/* ------------------------------------------------------------------ */
/* Public functions                                                    */
/* ------------------------------------------------------------------ */

int
catalog_db_nav(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { ui_lang(lang) };

	return db_query_json(db, out, sql_nav, 1, p);
}

int
catalog_db_home(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { ui_lang(lang) };

	return db_query_json(db, out, sql_home, 1, p);
}

int
catalog_db_category(db_t *db, const struct catalog_filter *f, json_t **out)
{
	struct filter_params fp;

	*out = NULL;
	if (f->category == NULL || f->category[0] == '\0')
		return DB_ENOROW;
	filter_params(&fp, f, f->category);
	return db_query_json(db, out, sql_category[sort_index(f->sort)], 10, fp.v);
}

int
catalog_db_search(db_t *db, const struct catalog_filter *f, json_t **out)
{
	struct filter_params fp;

	*out = NULL;
	filter_params(&fp, f, f->q != NULL ? f->q : "");
	return db_query_json(db, out, sql_search[sort_index(f->sort)], 10, fp.v);
}

int
catalog_db_gig(db_t *db, const char *handle, const char *slug, const char *lang,
    json_t **out)
{
	const char *p[3] = { handle, slug, ui_lang(lang) };

	*out = NULL;
	if (handle == NULL || slug == NULL)
		return DB_ENOROW;
	return db_query_json(db, out, sql_gig, 3, p);
}

int
catalog_db_seller(db_t *db, const char *handle, const char *lang, json_t **out)
{
	const char *p[2] = { handle, ui_lang(lang) };

	*out = NULL;
	if (handle == NULL)
		return DB_ENOROW;
	return db_query_json(db, out, sql_seller, 2, p);
}

int
catalog_db_sitemap(db_t *db, json_t **out)
{
	return db_query_json(db, out, sql_sitemap, 0, NULL);
}
