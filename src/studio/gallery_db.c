/*
 * gallery_db.c - the queries of the gig gallery (see gallery.h).  SQL only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studio/gallery.h"

/* The live gallery of gig G (an expression) as a jsonb working list. */
#define LIVE_LIST(G) \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('id', gm.id, 'media_id', gm.media_id," \
	"   'kind', gm.kind, 'alt', gm.alt) ORDER BY gm.position, gm.id), '[]')" \
	"  FROM gig_media gm WHERE gm.gig_id = " G ")"

static const char sql_working[] =
	"SELECT CASE WHEN g.status IN ('active', 'paused')"
	"  AND jsonb_typeof(g.pending_changes->'media') = 'array'"
	"  THEN g.pending_changes->'media' ELSE " LIVE_LIST("g.id") " END"
	" FROM gigs g WHERE g.id = $1::bigint";

static const char sql_live[] = "SELECT " LIVE_LIST("$1::bigint");

static const char sql_list[] =
	"SELECT json_build_object("
	" 'items', coalesce(json_agg(json_build_object('id', x.id, 'kind', x.kind,"
	"   'alt', x.alt, 'position', x.rn - 1, 'is_cover', x.rn = 1,"
	"   'is_first', x.rn = 1, 'is_last', x.rn = x.total,"
	"   'is_image', x.kind = 'image', 'is_video', x.kind = 'video', 'is_pdf', x.kind = 'pdf',"
	"   'processing', coalesce((x.v->>'processing')::boolean, false),"
	"   'failed', coalesce((x.v->>'failed')::boolean, false),"
	"   'name', coalesce(x.v->>'original_name', ''),"
	"   'thumb', coalesce(x.v->'thumb'->>'jpeg', x.v->>'icon', x.url))"
	"   ORDER BY x.rn), '[]'),"
	" 'images', count(*) FILTER (WHERE x.kind = 'image'),"
	" 'videos', count(*) FILTER (WHERE x.kind = 'video'),"
	" 'pdfs', count(*) FILTER (WHERE x.kind = 'pdf'))"
	" FROM (SELECT (l.e->>'id')::bigint AS id, l.e->>'kind' AS kind, l.e->>'alt' AS alt,"
	"   l.n AS rn, count(*) OVER () AS total,"
	"   CASE WHEN l.e->>'media_id' IS NOT NULL"
	"    THEN media_view((l.e->>'media_id')::bigint) END AS v,"
	"   coalesce(gm.url, CASE WHEN l.e->>'media_id' IS NOT NULL"
	"    THEN gig_media_url((l.e->>'media_id')::bigint) END) AS url"
	"  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS l(e, n)"
	"  LEFT JOIN gig_media gm ON gm.id = (l.e->>'id')::bigint AND gm.gig_id = $1::bigint) x";

static const char sql_new_id[] =
	"SELECT nextval(pg_get_serial_sequence('gig_media', 'id'))";

/*
 * Replace the gallery of $1 by the list $2: rows missing from the list go,
 * kept rows take its position and alt text, new ids are inserted.
 */
static const char sql_apply[] =
	"WITH l AS (SELECT (x.e->>'id')::bigint AS id, (x.e->>'media_id')::bigint AS media_id,"
	"   x.e->>'kind' AS kind, coalesce(x.e->>'alt', '') AS alt, (x.n - 1)::int AS pos"
	"  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(e, n)),"
	" del AS (DELETE FROM gig_media g WHERE g.gig_id = $1::bigint"
	"  AND g.id NOT IN (SELECT id FROM l) RETURNING 1),"
	" upd AS (UPDATE gig_media g SET position = l.pos, alt = l.alt FROM l"
	"  WHERE g.id = l.id AND g.gig_id = $1::bigint"
	"   AND (g.position <> l.pos OR g.alt <> l.alt) RETURNING 1),"
	" ins AS (INSERT INTO gig_media (id, gig_id, media_id, kind, alt, url, position)"
	"  OVERRIDING SYSTEM VALUE"
	"  SELECT l.id, $1::bigint, l.media_id, l.kind, l.alt, gig_media_url(l.media_id), l.pos"
	"  FROM l WHERE l.media_id IS NOT NULL"
	"   AND NOT EXISTS (SELECT 1 FROM gig_media g WHERE g.id = l.id) RETURNING 1)"
	" SELECT (SELECT count(*) FROM del) + (SELECT count(*) FROM upd)"
	"  + (SELECT count(*) FROM ins)";

/* Hold the list $2 in pending_changes.media; equal to the live gallery: none held. */
static const char sql_stage[] =
	"UPDATE gigs g SET"
	" pending_changes = CASE WHEN $2::jsonb = " LIVE_LIST("g.id")
	"  THEN nullif(coalesce(g.pending_changes, '{}') - 'media', '{}')"
	"  ELSE coalesce(g.pending_changes, '{}') || jsonb_build_object('media', $2::jsonb) END,"
	" submitted_at = CASE WHEN $2::jsonb = " LIVE_LIST("g.id") " THEN g.submitted_at"
	"  ELSE now() END"
	" WHERE g.id = $1::bigint";

/* Media of $1 (a JSON array of ids) that no gallery, live or held, uses any more. */
static const char sql_cleanup[] =
	"WITH d AS (DELETE FROM media m"
	"  WHERE m.id IN (SELECT t.v::bigint FROM jsonb_array_elements_text($1::jsonb) AS t(v)"
	"    WHERE t.v ~ '^[0-9]{1,18}$')"
	"   AND NOT EXISTS (SELECT 1 FROM gig_media gm WHERE gm.media_id = m.id)"
	"   AND NOT EXISTS (SELECT 1 FROM gigs g,"
	"    jsonb_array_elements(g.pending_changes->'media') AS e(v)"
	"    WHERE jsonb_typeof(g.pending_changes->'media') = 'array'"
	"     AND e.v->>'media_id' = m.id::text)"
	"  RETURNING m.storage_key)"
	" SELECT coalesce(json_agg(d.storage_key), '[]') FROM d";

static int
gig_param(char *buf, size_t len, long long id)
{
	return snprintf(buf, len, "%lld", id);
}

int
gallery_db_working(db_t *db, long long gig_id, json_t **out)
{
	char g[24];
	const char *p[] = { g };

	gig_param(g, sizeof(g), gig_id);
	return db_query_json(db, out, sql_working, 1, p);
}

int
gallery_db_live(db_t *db, long long gig_id, json_t **out)
{
	char g[24];
	const char *p[] = { g };

	gig_param(g, sizeof(g), gig_id);
	return db_query_json(db, out, sql_live, 1, p);
}

int
gallery_db_list(db_t *db, long long gig_id, const json_t *list, json_t **out)
{
	char g[24], *l;
	const char *p[2];
	int rc;

	gig_param(g, sizeof(g), gig_id);
	if ((l = json_dumps(list, JSON_COMPACT)) == NULL)
		return DB_ERROR;
	p[0] = g;
	p[1] = l;
	rc = db_query_json(db, out, sql_list, 2, p);
	free(l);
	return rc;
}

int
gallery_db_new_id(db_t *db, long long *id)
{
	arena_t *a;
	char *v = NULL;
	int rc;

	if ((a = arena_new(0)) == NULL)
		return DB_ERROR;
	if ((rc = db_query_value(db, a, &v, sql_new_id, 0, NULL)) == DB_OK)
		*id = v != NULL ? strtoll(v, NULL, 10) : 0;
	arena_free(a);
	return rc;
}

/* Run @sql with gig @gig_id and the list @list as parameters. */
static int
with_list(db_t *db, const char *sql, long long gig_id, const json_t *list)
{
	char g[24], *l;
	const char *p[2];
	int rc;

	gig_param(g, sizeof(g), gig_id);
	if ((l = json_dumps(list, JSON_COMPACT)) == NULL)
		return DB_ERROR;
	p[0] = g;
	p[1] = l;
	rc = db_exec(db, NULL, sql, 2, p);
	free(l);
	return rc;
}

int
gallery_db_apply(db_t *db, long long gig_id, const json_t *list)
{
	return with_list(db, sql_apply, gig_id, list);
}

int
gallery_db_stage(db_t *db, long long gig_id, const json_t *list)
{
	return with_list(db, sql_stage, gig_id, list);
}

int
gallery_db_cleanup(db_t *db, const json_t *media_ids, json_t **keys)
{
	char *l;
	const char *p[1];
	int rc;

	*keys = NULL;
	if (json_array_size(media_ids) == 0) {
		*keys = json_array();
		return DB_OK;
	}
	if ((l = json_dumps(media_ids, JSON_COMPACT)) == NULL)
		return DB_ERROR;
	p[0] = l;
	rc = db_query_json(db, keys, sql_cleanup, 1, p);
	free(l);
	return rc;
}
