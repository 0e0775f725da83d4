/*
 * studio_db.c - seller studio queries (see studio.h): SQL and nothing
 * else.  Values only ever travel as text parameters.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studio/studio.h"

/* Minor units as a plain decimal for a form field: 2500 -> "25.00". */
#define DECIMAL(COL) "((" COL ") / 100)::text || '.' || lpad(((" COL ") % 100)::text, 2, '0')"

#define FAQ_JSON(G) \
	"(SELECT coalesce(json_agg(json_build_object('question', q.question," \
	"  'answer', q.answer) ORDER BY q.position, q.id), '[]')" \
	" FROM gig_faq q WHERE q.gig_id = " G ".id)"

#define REQS_JSON(G) \
	"(SELECT coalesce(json_agg(json_build_object('question', r.question, 'kind', r.kind," \
	"  'choices', to_json(r.choices), 'required', r.required," \
	"  'is_text', r.kind = 'text', 'is_choice', r.kind = 'choice', 'is_file', r.kind = 'file')" \
	"  ORDER BY r.position, r.id), '[]')" \
	" FROM gig_requirements r WHERE r.gig_id = " G ".id)"

/*
 * The gallery of gig G as buyers will see it: the list held for review in
 * pending_changes.media (src/studio/gallery.h) when there is one, else the
 * gig_media rows.  [{url, alt}] in order.
 */
#define MEDIA_JSON(G, PC) \
	"CASE WHEN jsonb_typeof(" PC "->'media') = 'array' THEN" \
	" (SELECT coalesce(json_agg(json_build_object('url', coalesce(CASE WHEN" \
	"   l.e->>'media_id' IS NOT NULL THEN gig_media_url((l.e->>'media_id')::bigint) END," \
	"   hm.url), 'alt', l.e->>'alt') ORDER BY l.n), '[]')" \
	"  FROM jsonb_array_elements(" PC "->'media') WITH ORDINALITY AS l(e, n)" \
	"  LEFT JOIN gig_media hm ON hm.id = (l.e->>'id')::bigint)" \
	" ELSE (SELECT coalesce(json_agg(json_build_object('url', gm.url, 'alt', gm.alt)" \
	"  ORDER BY gm.position, gm.id), '[]') FROM gig_media gm WHERE gm.gig_id = " G ".id) END"

static const char sql_gig[] =
	"SELECT json_build_object('id', g.id, 'status', g.status,"
	" 'title', coalesce(g.pending_changes->>'title', g.title),"
	" 'category_id', g.category_id, 'tags', to_json(g.tags), 'lang', g.lang,"
	" 'currency', g.currency,"
	" 'description', coalesce(g.pending_changes->>'description', g.description),"
	" 'review_note', g.review_note, 'pending', g.pending_changes IS NOT NULL,"
	" 'packages', (SELECT coalesce(json_agg(json_build_object('tier', k.tier, 'name', k.name,"
	"   'description', k.description, 'price_minor', k.price_minor,"
	"   'price', " DECIMAL("k.price_minor") ", 'delivery_days', k.delivery_days,"
	"   'revisions', k.revisions, 'features', to_json(k.features))"
	"   ORDER BY array_position(ARRAY['basic', 'standard', 'premium'], k.tier)), '[]')"
	"  FROM gig_packages k WHERE k.gig_id = g.id),"
	" 'extras', (SELECT coalesce(json_agg(json_build_object('kind', e.kind, 'tier', e.tier,"
	"   'title', e.title, 'price', " DECIMAL("e.price_minor") ", 'added_days', e.added_days)"
	"   ORDER BY e.position, e.id), '[]') FROM gig_extras e WHERE e.gig_id = g.id),"
	" 'faq', " FAQ_JSON("g") ","
	" 'requirements', " REQS_JSON("g") ")"
	" FROM gigs g WHERE g.id = $2::bigint AND g.seller_id = $1::bigint";

static const char sql_lock[] =
	"SELECT status FROM gigs WHERE id = $2::bigint"
	" AND ($1::bigint = 0 OR seller_id = $1::bigint) FOR UPDATE";

static const char sql_categories[] =
	"SELECT json_build_object('groups', coalesce(json_agg(json_build_object("
	"  'name', souk_loc(t.name, t.name_zh, $1),"
	"  'children', (SELECT coalesce(json_agg(json_build_object('id', c.id,"
	"    'name', souk_loc(c.name, c.name_zh, $1)) ORDER BY c.position, c.id), '[]')"
	"   FROM categories c WHERE c.parent_id = t.id))"
	" ORDER BY t.position, t.id), '[]'))"
	" FROM categories t WHERE t.parent_id IS NULL";

static const char sql_category_ok[] =
	"SELECT 1 FROM categories WHERE id = $1::bigint AND parent_id IS NOT NULL";

static const char sql_default_currency[] =
	"SELECT CASE p.country WHEN 'ZA' THEN 'ZAR' WHEN 'CN' THEN 'CNY' ELSE 'USD' END"
	" FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1::bigint";

static const char sql_create[] =
	"INSERT INTO gigs (seller_id, category_id, title, slug, tags, lang, currency)"
	" SELECT $1::bigint, $3::bigint, $2, s.slug,"
	"  ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5, $6"
	" FROM (SELECT CASE WHEN x.b = '' THEN 'gig' ELSE x.b END || '-' ||"
	"   substr(md5(random()::text || clock_timestamp()::text), 1, 8) AS slug"
	"  FROM (SELECT btrim(left(btrim(regexp_replace(lower($2), '[^a-z0-9]+', '-', 'g'),"
	"   '-'), 60), '-') AS b) x) s"
	" RETURNING id";

/* $7: 't' when the gig is live (active/paused): a changed title waits in pending_changes. */
static const char sql_overview[] =
	"UPDATE gigs SET category_id = $3::bigint,"
	" tags = ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), lang = $5, currency = $6,"
	" title = CASE WHEN $7::boolean THEN title ELSE $2 END,"
	" pending_changes = CASE WHEN NOT $7::boolean THEN pending_changes"
	"  WHEN $2 = title THEN nullif(coalesce(pending_changes, '{}') - 'title', '{}')"
	"  ELSE coalesce(pending_changes, '{}') || jsonb_build_object('title', $2::text) END,"
	" submitted_at = CASE WHEN $7::boolean AND $2 <> title THEN now() ELSE submitted_at END"
	" WHERE id = $1::bigint";

static const char sql_pkg_currency[] =
	"UPDATE gig_packages SET currency = $2 WHERE gig_id = $1::bigint AND currency <> $2";

static const char sql_pkg_delete[] =
	"DELETE FROM gig_packages WHERE gig_id = $1::bigint AND tier NOT IN"
	" (SELECT r.tier FROM jsonb_to_recordset($2::jsonb) AS r(tier text))";

static const char sql_pkg_upsert[] =
	"INSERT INTO gig_packages (gig_id, tier, name, description, price_minor, currency,"
	"  delivery_days, revisions, features)"
	" SELECT g.id, r.tier, r.name, r.description, r.price_minor, g.currency,"
	"  r.delivery_days, r.revisions, ARRAY(SELECT jsonb_array_elements_text(r.features))"
	" FROM gigs g, jsonb_to_recordset($2::jsonb) AS r(tier text, name text, description text,"
	"  price_minor bigint, delivery_days int, revisions int, features jsonb)"
	" WHERE g.id = $1::bigint"
	" ON CONFLICT (gig_id, tier) DO UPDATE SET name = EXCLUDED.name,"
	"  description = EXCLUDED.description, price_minor = EXCLUDED.price_minor,"
	"  currency = EXCLUDED.currency, delivery_days = EXCLUDED.delivery_days,"
	"  revisions = EXCLUDED.revisions, features = EXCLUDED.features";

static const char sql_extras_delete[] =
	"DELETE FROM gig_extras WHERE gig_id = $1::bigint";

static const char sql_extras_insert[] =
	"INSERT INTO gig_extras (gig_id, kind, tier, title, price_minor, added_days, position)"
	" SELECT $1::bigint, r.kind, r.tier, coalesce(r.title, ''), r.price_minor,"
	"  coalesce(r.added_days, 0), n"
	" FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (kind text, tier text, title text,"
	"  price_minor bigint, added_days int)) WITH ORDINALITY"
	"  AS r(kind, tier, title, price_minor, added_days, n)";

static const char sql_description[] =
	"UPDATE gigs SET"
	" description = CASE WHEN $4::boolean THEN description ELSE $2 END,"
	" description_html = CASE WHEN $4::boolean THEN description_html ELSE $3 END,"
	" pending_changes = CASE WHEN NOT $4::boolean THEN pending_changes"
	"  WHEN $2 = description THEN nullif(coalesce(pending_changes, '{}') - 'description'"
	"   - 'description_html', '{}')"
	"  ELSE coalesce(pending_changes, '{}') || jsonb_build_object('description', $2::text,"
	"   'description_html', $3::text) END,"
	" submitted_at = CASE WHEN $4::boolean AND $2 <> description THEN now()"
	"  ELSE submitted_at END"
	" WHERE id = $1::bigint";

static const char sql_faq_delete[] = "DELETE FROM gig_faq WHERE gig_id = $1::bigint";

static const char sql_faq_insert[] =
	"INSERT INTO gig_faq (gig_id, question, answer, position)"
	" SELECT $1::bigint, r.question, r.answer, n"
	" FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (question text, answer text))"
	"  WITH ORDINALITY AS r(question, answer, n)";

static const char sql_reqs_delete[] = "DELETE FROM gig_requirements WHERE gig_id = $1::bigint";

static const char sql_reqs_insert[] =
	"INSERT INTO gig_requirements (gig_id, position, question, kind, choices, required)"
	" SELECT $1::bigint, n, r.question, r.kind,"
	"  CASE WHEN r.choices IS NULL OR jsonb_typeof(r.choices) <> 'array' THEN NULL"
	"   ELSE ARRAY(SELECT jsonb_array_elements_text(r.choices)) END, r.required"
	" FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (question text, kind text,"
	"  choices jsonb, required boolean)) WITH ORDINALITY AS r(question, kind, choices, required, n)";

/* The catalog's gig page shape (catalog_db.c sql_gig), any status, edits applied. */
static const char sql_preview[] =
	"SELECT json_build_object("
	" 'gig', json_build_object('id', x.id, 'title', x.t, 'slug', x.slug,"
	"  'description', x.d, 'description_html', x.h,"
	"  'description_paragraphs', (SELECT coalesce(json_agg(btrim(s.p, E' \\t\\r\\n')"
	"    ORDER BY s.n), '[]')"
	"   FROM regexp_split_to_table(x.d, '\\n[ \\t\\r]*\\n') WITH ORDINALITY AS s(p, n)"
	"   WHERE btrim(s.p, E' \\t\\r\\n') <> ''),"
	"  'tags', to_json(x.tags), 'lang', x.lang,"
	"  'url', '/' || xu.handle || '/' || x.slug,"
	"  'created', to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	"  'status', x.status, 'review_note', x.review_note,"
	"  'rating', to_char(x.rating_avg, 'FM0.0'), 'rating_count', x.rating_count,"
	"  'category', json_build_object('slug', xc.slug,"
	"   'name', souk_loc(xc.name, xc.name_zh, $3), 'url', '/c/' || xc.slug,"
	"   'parent', (SELECT json_build_object('slug', pc.slug,"
	"     'name', souk_loc(pc.name, pc.name_zh, $3), 'url', '/c/' || pc.slug)"
	"    FROM categories pc WHERE pc.id = xc.parent_id)),"
	"  'media', " MEDIA_JSON("x", "x.pending_changes") ","
	"  'packages', gig_packages_json(x.id, $3),"
	"  'extras', (SELECT coalesce(json_agg(json_build_object('kind', e.kind,"
	"    'is_fast', e.kind = 'fast_delivery', 'is_revision', e.kind = 'extra_revision',"
	"    'tier_label', CASE WHEN e.tier IS NULL THEN NULL ELSE souk_tier_label(e.tier, $3) END,"
	"    'title', e.title, 'price', souk_money(e.price_minor, x.currency, $3),"
	"    'added_days', e.added_days) ORDER BY e.position, e.id), '[]')"
	"   FROM gig_extras e WHERE e.gig_id = x.id),"
	"  'requirements', " REQS_JSON("x") ","
	"  'faq', " FAQ_JSON("x") "),"
	" 'seller', json_build_object('handle', xu.handle,"
	"  'display_name', coalesce(xp.display_name, xu.handle), 'url', '/u/' || xu.handle,"
	"  'headline', xp.headline, 'bio', xp.bio,"
	"  'level', coalesce(xp.seller_level, 'new'),"
	"  'level_label', souk_level_label(coalesce(xp.seller_level, 'new'), $3),"
	"  'country', xp.country,"
	"  'country_name', coalesce((SELECT souk_loc(co.name, co.name_zh, $3)"
	"   FROM countries co WHERE co.code = xp.country), xp.country),"
	"  'languages', '[]'::json, 'skills', coalesce(to_json(xp.skills), '[]'::json),"
	"  'rating', to_char(coalesce(xp.rating_avg, 0), 'FM0.0'),"
	"  'rating_count', coalesce(xp.rating_count, 0),"
	"  'member_since', to_char(xu.created_at AT TIME ZONE 'UTC', 'YYYY'),"
	"  'avatar_initials', upper(left(btrim(coalesce(xp.display_name, xu.handle)), 1))),"
	" 'related', '[]'::json)"
	" FROM (SELECT g.*, coalesce(g.pending_changes->>'title', g.title) AS t,"
	"   coalesce(g.pending_changes->>'description', g.description) AS d,"
	"   coalesce(g.pending_changes->>'description_html', g.description_html) AS h"
	"  FROM gigs g WHERE g.id = $2::bigint AND g.seller_id = $1::bigint) x"
	" JOIN users xu ON xu.id = x.seller_id"
	" LEFT JOIN profiles xp ON xp.user_id = x.seller_id"
	" JOIN categories xc ON xc.id = x.category_id";

/* $4: the status locked by the caller; $2: the new one. */
static const char sql_set_status[] =
	"UPDATE gigs SET status = $2, status_changed_at = now(),"
	" submitted_at = CASE WHEN $2 = 'pending_review' THEN now() ELSE submitted_at END,"
	" approved_at = CASE WHEN $2 = 'active' AND $4 = 'pending_review' THEN now()"
	"  ELSE approved_at END,"
	" title = CASE WHEN $2 = 'active' AND $4 IN ('pending_review', 'active')"
	"  THEN coalesce(pending_changes->>'title', title) ELSE title END,"
	" description = CASE WHEN $2 = 'active' AND $4 IN ('pending_review', 'active')"
	"  THEN coalesce(pending_changes->>'description', description) ELSE description END,"
	" description_html = CASE WHEN $2 = 'active' AND $4 IN ('pending_review', 'active')"
	"  THEN coalesce(pending_changes->>'description_html', description_html)"
	"  ELSE description_html END,"
	" pending_changes = CASE WHEN $2 = 'active' AND $4 IN ('pending_review', 'active')"
	"  THEN NULL ELSE pending_changes END,"
	" review_note = CASE WHEN $2 IN ('requires_changes', 'denied') THEN $3"
	"  WHEN $2 IN ('active', 'pending_review') THEN NULL ELSE review_note END"
	" WHERE id = $1::bigint AND status = $4"
	" RETURNING id";

static const char *
ui_lang(const char *lang)
{
	return lang != NULL && strncmp(lang, "zh", 2) == 0 ? "zh-CN" : "en";
}

/* Run @sql; DB_ENOROW when it returned no row. */
static int
exec_row(db_t *db, const char *sql, int n, const char *const *p)
{
	PGresult *res = NULL;
	int rc, rows;

	if ((rc = db_exec(db, &res, sql, n, p)) != DB_OK)
		return rc;
	rows = PQntuples(res);
	PQclear(res);
	return rows > 0 ? DB_OK : DB_ENOROW;
}

/* Run @sql returning one text value, copied into @out (@len bytes). */
static int
exec_text(db_t *db, const char *sql, int n, const char *const *p, char *out, size_t len)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = db_exec(db, &res, sql, n, p)) != DB_OK)
		return rc;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return DB_ENOROW;
	}
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

int
studio_db_gig(db_t *db, long long seller_id, long long gig_id, json_t **out)
{
	char s[24], g[24];
	const char *p[2] = { s, g };

	snprintf(s, sizeof(s), "%lld", seller_id);
	snprintf(g, sizeof(g), "%lld", gig_id);
	*out = NULL;
	return db_query_json(db, out, sql_gig, 2, p);
}

int
studio_db_lock(db_t *db, long long seller_id, long long gig_id, char *status, size_t len)
{
	char s[24], g[24];
	const char *p[2] = { s, g };

	snprintf(s, sizeof(s), "%lld", seller_id);
	snprintf(g, sizeof(g), "%lld", gig_id);
	return exec_text(db, sql_lock, 2, p, status, len);
}

int
studio_db_categories(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { ui_lang(lang) };

	*out = NULL;
	return db_query_json(db, out, sql_categories, 1, p);
}

int
studio_db_category_ok(db_t *db, const char *id)
{
	const char *p[1] = { id };

	return exec_row(db, sql_category_ok, 1, p);
}

int
studio_db_default_currency(db_t *db, long long user_id, char *out, size_t len)
{
	char u[24];
	const char *p[1] = { u };

	snprintf(u, sizeof(u), "%lld", user_id);
	return exec_text(db, sql_default_currency, 1, p, out, len);
}

int
studio_db_create(db_t *db, long long seller_id, const char *title, const char *category_id,
    const char *tags, const char *lang, const char *currency, long long *id)
{
	char s[24], v[24];
	const char *p[6] = { s, title, category_id, tags, lang, currency };
	int rc;

	snprintf(s, sizeof(s), "%lld", seller_id);
	if ((rc = exec_text(db, sql_create, 6, p, v, sizeof(v))) != DB_OK)
		return rc;
	*id = strtoll(v, NULL, 10);
	return DB_OK;
}

int
studio_db_save_overview(db_t *db, long long gig_id, const char *title,
    const char *category_id, const char *tags, const char *lang, const char *currency,
    int live)
{
	char g[24];
	const char *p[7] = { g, title, category_id, tags, lang, currency, live ? "t" : "f" };
	const char *q[2] = { g, currency };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((rc = db_exec(db, NULL, sql_overview, 7, p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_pkg_currency, 2, q);
}

int
studio_db_save_packages(db_t *db, long long gig_id, const char *packages)
{
	char g[24];
	const char *p[2] = { g, packages };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((rc = db_exec(db, NULL, sql_pkg_delete, 2, p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_pkg_upsert, 2, p);
}

int
studio_db_save_extras(db_t *db, long long gig_id, const char *extras)
{
	char g[24];
	const char *p[2] = { g, extras };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((rc = db_exec(db, NULL, sql_extras_delete, 1, p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_extras_insert, 2, p);
}

int
studio_db_save_description(db_t *db, long long gig_id, const char *md, const char *html,
    const char *faq, int live)
{
	char g[24];
	const char *p[4] = { g, md, html, live ? "t" : "f" };
	const char *q[2] = { g, faq };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((rc = db_exec(db, NULL, sql_description, 4, p)) != DB_OK ||
	    (rc = db_exec(db, NULL, sql_faq_delete, 1, q)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_faq_insert, 2, q);
}

int
studio_db_save_requirements(db_t *db, long long gig_id, const char *reqs)
{
	char g[24];
	const char *p[2] = { g, reqs };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((rc = db_exec(db, NULL, sql_reqs_delete, 1, p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_reqs_insert, 2, p);
}

int
studio_db_preview(db_t *db, long long seller_id, long long gig_id, const char *lang,
    json_t **out)
{
	char s[24], g[24];
	const char *p[3] = { s, g, ui_lang(lang) };

	snprintf(s, sizeof(s), "%lld", seller_id);
	snprintf(g, sizeof(g), "%lld", gig_id);
	*out = NULL;
	return db_query_json(db, out, sql_preview, 3, p);
}

int
studio_db_set_status(db_t *db, long long gig_id, const char *from, const char *to,
    const char *reason, char *before, size_t len)
{
	char g[24], cur[24];
	const char *lp[2] = { "0", g };
	const char *p[4] = { g, to, reason, cur };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((rc = exec_text(db, sql_lock, 2, lp, cur, sizeof(cur))) != DB_OK)
		return rc;
	if ((from != NULL && strcmp(from, cur) != 0) || !studio_transition_ok(cur, to))
		return DB_ENOROW;
	if ((rc = exec_row(db, sql_set_status, 4, p)) != DB_OK)
		return rc;
	snprintf(before, len, "%s", cur);
	return DB_OK;
}
