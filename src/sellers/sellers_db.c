/*
 * sellers_db.c - seller onboarding queries (see sellers.h): SQL and
 * nothing else.  Values only ever travel as text parameters.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sellers/sellers.h"

#define DAY(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
#define MINUTE(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"

static const char sql_state[] =
	"SELECT json_build_object("
	" 'handle', u.handle,"
	" 'is_seller', EXISTS (SELECT 1 FROM user_roles r"
	"  WHERE r.user_id = u.id AND r.role = 'SELLER'),"
	" 'profile_done', so.profile_done_at IS NOT NULL,"
	" 'profile', CASE WHEN p.user_id IS NULL THEN NULL ELSE json_build_object("
	"  'display_name', p.display_name, 'headline', p.headline, 'bio', p.bio,"
	"  'skills', to_json(p.skills),"
	"  'languages', (SELECT coalesce(json_agg(json_build_object("
	"    'code', e.v->>'code', 'level', e.v->>'level',"
	"    'name', coalesce(souk_loc(lg.name, lg.name_zh, $2), e.v->>'name', e.v->>'code'),"
	"    'level_label', souk_lang_level_label((e.v->>'level'), $2)) ORDER BY e.n), '[]')"
	"   FROM jsonb_array_elements(p.languages) WITH ORDINALITY AS e(v, n)"
	"   LEFT JOIN languages lg ON lg.code = e.v->>'code'),"
	"  'country', p.country,"
	"  'country_name', coalesce((SELECT souk_loc(co.name, co.name_zh, $2)"
	"   FROM countries co WHERE co.code = p.country), p.country),"
	"  'timezone', p.timezone) END,"
	" 'portfolio_links', coalesce(to_json(so.portfolio_links), '[]'::json),"
	" 'payout', CASE WHEN sp.user_id IS NULL THEN NULL ELSE json_build_object("
	"  'method', sp.method, 'sealed', sp.details_sealed, 'updated', " DAY("sp.updated_at") ") END,"
	" 'verification', json_build_object('status', coalesce(sv.status, 'none'),"
	"  'reason', sv.reason, 'submitted', " DAY("sv.submitted_at") ","
	"  'reviewed', " DAY("sv.reviewed_at") "))"
	" FROM users u"
	" LEFT JOIN profiles p ON p.user_id = u.id"
	" LEFT JOIN seller_onboarding so ON so.user_id = u.id"
	" LEFT JOIN seller_payouts sp ON sp.user_id = u.id"
	" LEFT JOIN seller_verifications sv ON sv.user_id = u.id"
	" WHERE u.id = $1::bigint AND u.status = 'active'";

static const char sql_reference[] =
	"SELECT json_build_object("
	" 'countries', (SELECT coalesce(json_agg(json_build_object('code', c.code,"
	"   'name', souk_loc(c.name, c.name_zh, $1))"
	"   ORDER BY souk_loc(c.name, c.name_zh, $1), c.code), '[]') FROM countries c),"
	" 'languages', (SELECT coalesce(json_agg(json_build_object('code', l.code,"
	"   'name', souk_loc(l.name, l.name_zh, $1), 'name_en', l.name)"
	"   ORDER BY souk_loc(l.name, l.name_zh, $1), l.code), '[]') FROM languages l))";

static const char sql_save_profile[] =
	"WITH p AS ("
	" INSERT INTO profiles (user_id, display_name, headline, bio, skills, languages,"
	"  country, timezone)"
	" VALUES ($1::bigint, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)),"
	"  $6::jsonb, $7, $8)"
	" ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name,"
	"  headline = EXCLUDED.headline, bio = EXCLUDED.bio, skills = EXCLUDED.skills,"
	"  languages = EXCLUDED.languages, country = EXCLUDED.country,"
	"  timezone = EXCLUDED.timezone"
	" RETURNING user_id)"
	" INSERT INTO seller_onboarding (user_id, profile_done_at, portfolio_links)"
	" SELECT p.user_id, now(), ARRAY(SELECT jsonb_array_elements_text($9::jsonb)) FROM p"
	" ON CONFLICT (user_id) DO UPDATE SET"
	"  profile_done_at = coalesce(seller_onboarding.profile_done_at, now()),"
	"  portfolio_links = EXCLUDED.portfolio_links";

static const char sql_save_payout[] =
	"INSERT INTO seller_payouts (user_id, method, details_sealed, key_version)"
	" VALUES ($1::bigint, $2, $3, 1)"
	" ON CONFLICT (user_id) DO UPDATE SET method = EXCLUDED.method,"
	"  details_sealed = EXCLUDED.details_sealed, key_version = EXCLUDED.key_version";

/*
 * Mark the grant on the onboarding row first: concurrent requests
 * serialise on that row, and a role taken away later is not granted again.
 * An account that already holds SELLER (granted otherwise) returns no row.
 */
static const char sql_grant[] =
	"WITH g AS (UPDATE seller_onboarding SET seller_granted_at = now()"
	"  WHERE user_id = $1::bigint AND profile_done_at IS NOT NULL"
	"   AND seller_granted_at IS NULL"
	"   AND EXISTS (SELECT 1 FROM seller_payouts WHERE user_id = $1::bigint)"
	"  RETURNING user_id)"
	" INSERT INTO user_roles (user_id, role, granted_by)"
	" SELECT g.user_id, 'SELLER', g.user_id FROM g"
	" ON CONFLICT DO NOTHING"
	" RETURNING user_id";

/*
 * old reads the row as the statement's snapshot sees it (no FOR UPDATE: the
 * row is modified by this same statement, and a locking read would skip
 * it); the ON CONFLICT update locks the row and re-checks its status, so a
 * concurrent second request changes nothing and returns no row.
 */
static const char sql_submit[] =
	"WITH old AS MATERIALIZED (SELECT status FROM seller_verifications"
	"  WHERE user_id = $1::bigint),"
	" up AS (INSERT INTO seller_verifications (user_id, status, submitted_at)"
	"  VALUES ($1::bigint, 'pending', now())"
	"  ON CONFLICT (user_id) DO UPDATE SET status = 'pending', submitted_at = now(),"
	"   reason = NULL, reviewed_by = NULL, reviewed_at = NULL"
	"  WHERE seller_verifications.status IN ('none', 'rejected')"
	"  RETURNING user_id)"
	" SELECT coalesce((SELECT status FROM old), 'none') FROM up";

static const char sql_pending[] =
	"SELECT json_build_object('pending', coalesce(json_agg(json_build_object("
	"  'user_id', x.id, 'handle', x.handle, 'display_name', x.display_name,"
	"  'country_name', x.country_name, 'email', x.email,"
	"  'submitted', " MINUTE("x.submitted_at") ", 'url', '/u/' || x.handle)"
	"  ORDER BY x.submitted_at, x.id), '[]'),"
	" 'count', count(*))"
	" FROM (SELECT u.id, u.handle, u.email, sv.submitted_at,"
	"   coalesce(p.display_name, u.handle) AS display_name,"
	"   coalesce((SELECT souk_loc(co.name, co.name_zh, $1)"
	"    FROM countries co WHERE co.code = p.country), p.country) AS country_name"
	"  FROM seller_verifications sv"
	"  JOIN users u ON u.id = sv.user_id"
	"  LEFT JOIN profiles p ON p.user_id = u.id"
	"  WHERE sv.status = 'pending'"
	"  ORDER BY sv.submitted_at, u.id LIMIT 200) x";

static const char sql_review[] =
	"UPDATE seller_verifications SET status = $3, reason = $4, reviewed_by = $2::bigint,"
	"  reviewed_at = now()"
	" WHERE user_id = $1::bigint AND status = 'pending' AND user_id <> $2::bigint"
	" RETURNING user_id";

/* "en" or "zh-CN", as the SQL expects. */
static const char *
ui_lang(const char *lang)
{
	return lang != NULL && strncmp(lang, "zh", 2) == 0 ? "zh-CN" : "en";
}

/* Run @sql and report whether it returned a row: DB_OK with rows, else DB_ENOROW. */
static int
exec_rows(db_t *db, const char *sql, int n, const char *const *p, int *rows)
{
	PGresult *res = NULL;
	int rc;

	*rows = 0;
	if ((rc = db_exec(db, &res, sql, n, p)) != DB_OK)
		return rc;
	*rows = PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
sellers_db_state(db_t *db, long long user_id, const char *lang, json_t **out)
{
	char id[24];
	const char *p[2] = { id, ui_lang(lang) };

	snprintf(id, sizeof(id), "%lld", user_id);
	*out = NULL;
	return db_query_json(db, out, sql_state, 2, p);
}

int
sellers_db_reference(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { ui_lang(lang) };

	*out = NULL;
	return db_query_json(db, out, sql_reference, 1, p);
}

int
sellers_db_save_profile(db_t *db, long long user_id, const char *display_name,
    const char *headline, const char *bio, const char *skills, const char *languages,
    const char *country, const char *timezone, const char *links)
{
	char id[24];
	const char *p[9] = { id, display_name, headline, bio, skills, languages, country,
	    timezone, links };

	snprintf(id, sizeof(id), "%lld", user_id);
	return db_exec(db, NULL, sql_save_profile, 9, p);
}

int
sellers_db_save_payout(db_t *db, long long user_id, const char *method, const char *sealed)
{
	char id[24];
	const char *p[3] = { id, method, sealed };

	snprintf(id, sizeof(id), "%lld", user_id);
	return db_exec(db, NULL, sql_save_payout, 3, p);
}

int
sellers_db_grant_if_ready(db_t *db, long long user_id, int *granted)
{
	char id[24];
	const char *p[1] = { id };
	int rows, rc;

	snprintf(id, sizeof(id), "%lld", user_id);
	*granted = 0;
	if ((rc = exec_rows(db, sql_grant, 1, p, &rows)) != DB_OK)
		return rc;
	*granted = rows > 0;
	return DB_OK;
}

int
sellers_db_submit_verification(db_t *db, long long user_id, const char **before)
{
	static const char *const states[] = { "none", "pending", "verified", "rejected" };
	PGresult *res = NULL;
	char id[24];
	const char *p[1] = { id };
	const char *v;
	int rc;

	snprintf(id, sizeof(id), "%lld", user_id);
	*before = "none";
	if ((rc = db_exec(db, &res, sql_submit, 1, p)) != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return DB_ENOROW;
	}
	v = PQgetvalue(res, 0, 0);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(states[i], v) == 0)
			*before = states[i];
	PQclear(res);
	return DB_OK;
}

int
sellers_db_pending(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { ui_lang(lang) };

	*out = NULL;
	return db_query_json(db, out, sql_pending, 1, p);
}

int
sellers_db_review(db_t *db, long long seller_id, long long staff_id, const char *status,
    const char *reason)
{
	char sid[24], uid[24];
	const char *p[4] = { sid, uid, status, reason };
	int rows, rc;

	snprintf(sid, sizeof(sid), "%lld", seller_id);
	snprintf(uid, sizeof(uid), "%lld", staff_id);
	if ((rc = exec_rows(db, sql_review, 4, p, &rows)) != DB_OK)
		return rc;
	return rows > 0 ? DB_OK : DB_ENOROW;
}
