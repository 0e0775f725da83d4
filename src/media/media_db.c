/*
 * media_db.c - the queries of the media module (media.h): SQL and nothing
 * else.  Values only ever travel as text parameters.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

int
media_db_insert(db_t *db, long long owner_id, const char *kind, const char *mime,
    long long bytes, const char *sha256, const char *storage_key, const char *visibility,
    const char *original_name, long long *id)
{
	char owner[32], size[32];
	const char *p[8] = { owner, kind, mime, size, sha256, storage_key, visibility,
	    original_name };
	PGresult *res;
	int rc;

	snprintf(owner, sizeof(owner), "%lld", owner_id);
	snprintf(size, sizeof(size), "%lld", bytes);
	rc = db_exec(db, &res,
	    "INSERT INTO media (owner_id, kind, mime, bytes, sha256, storage_key,"
	    " visibility, original_name)"
	    " VALUES ($1::bigint, $2, $3, $4::bigint, $5, $6, $7, $8) RETURNING id", 8, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_ERROR;
	}
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return DB_OK;
}

int
media_db_get(db_t *db, arena_t *a, long long id, struct media_row *row)
{
	char sid[32];
	const char *p[1] = { sid };
	PGresult *res;
	int rc;

	snprintf(sid, sizeof(sid), "%lld", id);
	rc = db_exec(db, &res,
	    "SELECT kind, mime, storage_key, visibility, status, original_name"
	    " FROM media WHERE id = $1::bigint", 1, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_ENOROW;
	}
	row->id = id;
	row->kind = arena_strdup(a, PQgetvalue(res, 0, 0));
	row->mime = arena_strdup(a, PQgetvalue(res, 0, 1));
	row->storage_key = arena_strdup(a, PQgetvalue(res, 0, 2));
	row->visibility = arena_strdup(a, PQgetvalue(res, 0, 3));
	row->status = arena_strdup(a, PQgetvalue(res, 0, 4));
	row->original_name = arena_strdup(a, PQgetvalue(res, 0, 5));
	PQclear(res);
	return DB_OK;
}

int
media_db_finish(db_t *db, long long id, const char *status, json_t *variants)
{
	char sid[32], *v = NULL;
	const char *p[3] = { sid, status, NULL };
	PGresult *res;
	int rc;

	snprintf(sid, sizeof(sid), "%lld", id);
	if (variants != NULL) {
		if ((v = json_dumps(variants, JSON_COMPACT)) == NULL)
			return DB_ERROR;
		p[2] = v;
	}
	rc = db_exec(db, &res,
	    "UPDATE media SET status = $2, variants = coalesce($3::jsonb, variants)"
	    " WHERE id = $1::bigint", 3, p);
	free(v);
	if (rc != DB_OK)
		return rc;
	rc = strcmp(PQcmdTuples(res), "0") == 0 ? DB_ENOROW : DB_OK;
	PQclear(res);
	return rc;
}
