/*
 * gallery_db.c - the queries of the gig gallery (see gallery.h).  SQL only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studio/gallery.h"

static const char sql_list[] =
	"SELECT json_build_object("
	" 'items', coalesce(json_agg(json_build_object('id', x.id, 'kind', x.kind,"
	"   'alt', x.alt, 'position', x.position, 'is_cover', x.rn = 1,"
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
	" FROM (SELECT gm.*, media_view(gm.media_id) AS v,"
	"  row_number() OVER (ORDER BY gm.position, gm.id) AS rn,"
	"  count(*) OVER () AS total"
	"  FROM gig_media gm WHERE gm.gig_id = $1) x";

static const char sql_count[] =
	"SELECT count(*) FROM gig_media WHERE gig_id = $1 AND kind = $2";

static const char sql_add[] =
	"INSERT INTO gig_media (gig_id, media_id, kind, alt, url, position)"
	" SELECT $1, $2, $3, $4, gig_media_url($2),"
	"  coalesce((SELECT max(position) + 1 FROM gig_media WHERE gig_id = $1), 0)";

static const char sql_renumber[] =
	"UPDATE gig_media g SET position = r.rn - 1"
	" FROM (SELECT id, row_number() OVER (ORDER BY position, id) AS rn"
	"  FROM gig_media WHERE gig_id = $1) r"
	" WHERE g.id = r.id AND g.position <> r.rn - 1";

static const char sql_exists[] =
	"SELECT 1 FROM gig_media WHERE gig_id = $1 AND id = $2";

static const char sql_swap[] =
	"WITH me AS (SELECT id, position FROM gig_media WHERE gig_id = $1 AND id = $2),"
	" nb AS (SELECT g.id, g.position FROM gig_media g, me"
	"  WHERE g.gig_id = $1 AND g.position = me.position + $3::int)"
	" UPDATE gig_media g SET position = CASE WHEN g.id = me.id THEN nb.position"
	"  ELSE me.position END"
	" FROM me, nb WHERE g.id IN (me.id, nb.id)";

static const char sql_front[] =
	"UPDATE gig_media SET position = -1 WHERE gig_id = $1 AND id = $2";

static const char sql_alt[] =
	"UPDATE gig_media SET alt = $3 WHERE gig_id = $1 AND id = $2";

static const char sql_delete[] =
	"DELETE FROM gig_media WHERE gig_id = $1 AND id = $2"
	" RETURNING coalesce(media_id::text, '')";

static const char sql_media_delete[] =
	"DELETE FROM media m WHERE m.id = $1::bigint"
	" AND NOT EXISTS (SELECT 1 FROM gig_media WHERE media_id = m.id)"
	" RETURNING m.storage_key";

int
gallery_db_list(db_t *db, long long gig_id, json_t **out)
{
	char g[24];
	const char *p[] = { g };

	snprintf(g, sizeof(g), "%lld", gig_id);
	return db_query_json(db, out, sql_list, 1, p);
}

int
gallery_db_count(db_t *db, long long gig_id, const char *kind, long long *n)
{
	char g[24], *v = NULL;
	const char *p[] = { g, kind };
	arena_t *a;
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	if ((a = arena_new(0)) == NULL)
		return DB_ERROR;
	if ((rc = db_query_value(db, a, &v, sql_count, 2, p)) == DB_OK)
		*n = v != NULL ? strtoll(v, NULL, 10) : 0;
	arena_free(a);
	return rc;
}

int
gallery_db_add(db_t *db, long long gig_id, long long media_id, const char *kind,
    const char *alt)
{
	char g[24], m[24];
	const char *p[] = { g, m, kind, alt };

	snprintf(g, sizeof(g), "%lld", gig_id);
	snprintf(m, sizeof(m), "%lld", media_id);
	return db_exec(db, NULL, sql_add, 4, p);
}

/* DB_OK when gig @g has item @i, else DB_ENOROW (or an error). */
static int
has_item(db_t *db, const char *const *p)
{
	arena_t *a;
	char *v = NULL;
	int rc;

	if ((a = arena_new(0)) == NULL)
		return DB_ERROR;
	rc = db_query_value(db, a, &v, sql_exists, 2, p);
	arena_free(a);
	return rc;
}

int
gallery_db_move(db_t *db, long long gig_id, long long item_id, int delta)
{
	char g[24], i[24], d[8];
	const char *p[] = { g, i, d };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	snprintf(i, sizeof(i), "%lld", item_id);
	snprintf(d, sizeof(d), "%d", delta);
	if ((rc = has_item(db, p)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, NULL, sql_renumber, 1, p)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, NULL, delta == 0 ? sql_front : sql_swap, delta == 0 ? 2 : 3,
	    p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_renumber, 1, p);
}

int
gallery_db_alt(db_t *db, long long gig_id, long long item_id, const char *alt)
{
	char g[24], i[24];
	const char *p[] = { g, i, alt };
	int rc;

	snprintf(g, sizeof(g), "%lld", gig_id);
	snprintf(i, sizeof(i), "%lld", item_id);
	if ((rc = has_item(db, p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, sql_alt, 3, p);
}

int
gallery_db_remove(db_t *db, arena_t *a, long long gig_id, long long item_id, char **key)
{
	char g[24], i[24], *mid = NULL;
	const char *p[] = { g, i };
	const char *q[1];
	int rc;

	*key = NULL;
	snprintf(g, sizeof(g), "%lld", gig_id);
	snprintf(i, sizeof(i), "%lld", item_id);
	if ((rc = db_query_value(db, a, &mid, sql_delete, 2, p)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, NULL, sql_renumber, 1, p)) != DB_OK)
		return rc;
	if (mid == NULL || mid[0] == '\0')
		return DB_OK;
	q[0] = mid;
	rc = db_query_value(db, a, key, sql_media_delete, 1, q);
	if (rc == DB_ENOROW) {
		*key = NULL;
		rc = DB_OK;
	}
	return rc;
}
