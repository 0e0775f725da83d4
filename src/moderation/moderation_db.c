/*
 * moderation_db.c - the moderation queries (see moderation.h): SQL only.
 */
#include "config.h"

#include <stdio.h>

#include "moderation/moderation.h"

/* A timestamp as UTC "YYYY-MM-DD HH:MI". */
#define AT(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"

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

/* The gig_snapshot of gig g with seller u. */
#define SNAPSHOT \
	"json_build_object('id', g.id, 'status', g.status, 'title', g.title," \
	" 'review_note', g.review_note, 'pending_changes', g.pending_changes," \
	" 'seller', json_build_object('id', u.id, 'handle', u.handle, 'email', u.email," \
	"  'lang', u.lang))"

/*
 * Waiting for a decision: a gig submitted for review, or an edit of a live
 * gig (src/studio keeps it in pending_changes while the approved version
 * stays listed).
 */
#define IN_QUEUE(g) "(" g ".status = 'pending_review' OR (" g ".status IN ('active', 'paused')" \
	" AND " g ".pending_changes IS NOT NULL))"

static const char sql_queue[] =
	"WITH q AS (SELECT g.id, g.title, g.seller_id, g.category_id,"
	"  coalesce(g.submitted_at, g.updated_at) AS sub, g.approved_at IS NOT NULL AS is_edit"
	"  FROM gigs g WHERE " IN_QUEUE("g")
	"  ORDER BY coalesce(g.submitted_at, g.updated_at), g.id LIMIT 200)"
	" SELECT json_build_object('gigs', (SELECT coalesce(json_agg(json_build_object("
	"   'id', q.id, 'title', coalesce(g.pending_changes->>'title', q.title),"
	"   'url', '/admin/moderation/' || q.id, 'is_edit', q.is_edit,"
	"   'submitted', " AT("q.sub") ","
	"   'category', json_build_object('name', souk_loc(c.name, c.name_zh, $1)),"
	"   'seller', json_build_object('handle', u.handle,"
	"    'display_name', coalesce(p.display_name, u.handle),"
	"    'url', '/admin/users/' || u.id)) ORDER BY q.sub, q.id), '[]')"
	"  FROM q JOIN gigs g ON g.id = q.id JOIN users u ON u.id = q.seller_id"
	"  JOIN categories c ON c.id = q.category_id"
	"  LEFT JOIN profiles p ON p.user_id = q.seller_id),"
	" 'total', (SELECT count(*) FROM gigs g WHERE " IN_QUEUE("g") "))";

static const char sql_gig[] =
	"SELECT json_build_object("
	" 'gig', json_build_object('id', x.id, 'title', x.title, 'slug', x.slug,"
	"  'description', x.description, 'description_html', x.description_html,"
	"  'description_paragraphs', (SELECT coalesce(json_agg(btrim(s.p, E' \\t\\r\\n')"
	"    ORDER BY s.n), '[]')"
	"   FROM regexp_split_to_table(x.description, '\\n[ \\t\\r]*\\n')"
	"    WITH ORDINALITY AS s(p, n)"
	"   WHERE btrim(s.p, E' \\t\\r\\n') <> ''),"
	"  'tags', to_json(x.tags), 'lang', x.lang,"
	"  'url', '/' || xu.handle || '/' || x.slug,"
	"  'category', json_build_object('slug', xc.slug,"
	"   'name', souk_loc(xc.name, xc.name_zh, $2), 'url', '/c/' || xc.slug,"
	"   'parent', (SELECT json_build_object('slug', pc.slug, 'name', "
	"souk_loc(pc.name, pc.name_zh, $2), 'url', '/c/' || pc.slug)"
	"    FROM categories pc WHERE pc.id = xc.parent_id)),"
	"  'media', " MEDIA_JSON("x", "x.pending_changes") ","
	"  'packages', gig_packages_json(x.id, $2),"
	"  'faq', (SELECT coalesce(json_agg(json_build_object('question', q.question,"
	"    'answer', q.answer) ORDER BY q.position, q.id), '[]')"
	"   FROM gig_faq q WHERE q.gig_id = x.id)),"
	" 'seller', json_build_object('handle', xu.handle,"
	"  'display_name', coalesce(xp.display_name, xu.handle),"
	"  'url', '/u/' || xu.handle, 'admin_url', '/admin/users/' || xu.id,"
	"  'level', coalesce(xp.seller_level, 'new'),"
	"  'level_label', souk_level_label(coalesce(xp.seller_level, 'new'), $2),"
	"  'avatar_initials', upper(left(coalesce(xp.display_name, xu.handle), 1))),"
	" 'review', json_build_object('status', x.status,"
	"  'pending', x.status = 'pending_review' OR (x.status IN ('active', 'paused')"
	"   AND x.has_changes), 'is_edit', x.approved_at IS NOT NULL,"
	"  'has_changes', x.has_changes,"
	"  'submitted', " AT("coalesce(x.submitted_at, x.updated_at)") ","
	"  'review_note', x.review_note))"
	" FROM (SELECT g.id, g.seller_id, g.category_id, g.slug, g.tags, g.lang, g.status,"
	"   g.submitted_at, g.updated_at, g.approved_at, g.review_note,"
	"   g.pending_changes IS NOT NULL AS has_changes, g.pending_changes,"
	"   coalesce(g.pending_changes->>'title', g.title) AS title,"
	"   coalesce(g.pending_changes->>'description', g.description) AS description,"
	"   coalesce(g.pending_changes->>'description_html', g.description_html)"
	"    AS description_html"
	"  FROM gigs g WHERE g.id = $1::bigint) AS x"
	" JOIN users xu ON xu.id = x.seller_id"
	" LEFT JOIN profiles xp ON xp.user_id = x.seller_id"
	" JOIN categories xc ON xc.id = x.category_id";

static const char sql_lock[] =
	"SELECT " SNAPSHOT " FROM gigs g JOIN users u ON u.id = g.seller_id"
	" WHERE g.id = $1::bigint FOR UPDATE OF g";

static const char sql_decide[] =
	"UPDATE gigs g SET status = $2,"
	" review_note = $4,"
	" title = CASE WHEN $3 = 'approve'"
	"  THEN coalesce(g.pending_changes->>'title', g.title) ELSE g.title END,"
	" description = CASE WHEN $3 = 'approve'"
	"  THEN coalesce(g.pending_changes->>'description', g.description) ELSE g.description END,"
	" description_html = CASE WHEN $3 = 'approve'"
	"  THEN coalesce(g.pending_changes->>'description_html', g.description_html)"
	"  ELSE g.description_html END,"
	" pending_changes = CASE WHEN $3 IN ('approve', 'deny') THEN NULL"
	"  ELSE g.pending_changes END,"
	" approved_at = CASE WHEN $3 = 'approve' THEN now() ELSE g.approved_at END,"
	" status_changed_at = CASE WHEN $2 = g.status THEN g.status_changed_at ELSE now() END"
	" FROM users u WHERE g.id = $1::bigint AND u.id = g.seller_id"
	" RETURNING " SNAPSHOT;

int
moderation_db_queue(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { lang != NULL && lang[0] == 'z' ? "zh-CN" : "en" };

	return db_query_json(db, out, sql_queue, 1, p);
}

int
moderation_db_gig(db_t *db, long long id, const char *lang, json_t **out)
{
	char ids[24];
	const char *p[2] = { ids, lang != NULL && lang[0] == 'z' ? "zh-CN" : "en" };

	snprintf(ids, sizeof(ids), "%lld", id);
	return db_query_json(db, out, sql_gig, 2, p);
}

int
moderation_db_lock(db_t *db, long long id, json_t **out)
{
	char ids[24];
	const char *p[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	return db_query_json(db, out, sql_lock, 1, p);
}

int
moderation_db_decide(db_t *db, long long id, const char *status, const char *decision,
    const char *note, json_t **out)
{
	char ids[24];
	const char *p[4] = { ids, status, decision, note };

	snprintf(ids, sizeof(ids), "%lld", id);
	return db_query_json(db, out, sql_decide, 4, p);
}
