/*
 * db.h - PostgreSQL access through libpq.
 *
 * One db_t per process (each souk-web worker has its own).  All SQL goes
 * through PQexecParams with text parameters: user input is never formatted
 * into SQL.  Queries that feed a page return the view model as one JSON
 * value built in SQL (json_build_object, json_agg), which db_query_json()
 * hands back parsed, ready to be a template context.
 *
 * When the server goes away the next call fails with DB_EDOWN and the
 * connection is re-established by a later call (db_ensure), so a worker
 * recovers without a restart once PostgreSQL is back.
 */
#ifndef SOUK_DB_DB_H
#define SOUK_DB_DB_H

#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "core/arena.h"

typedef struct db db_t;

enum {
	DB_OK = 0,
	DB_ENOROW = 1,		/* the query returned no row */
	DB_ERROR = -1,		/* SQL error (constraint, syntax, ...) */
	DB_EDOWN = -2,		/* no connection to the server */
};

/*
 * db_new - remember @conninfo (a libpq URL or key=value string) and try to
 * connect.  A failed first connection is not an error: db_ensure retries.
 * Returns: a handle owned by the caller (db_free), never NULL.
 */
db_t *db_new(const char *conninfo);

/* db_free - close the connection and free @db (NULL is ignored). */
void db_free(db_t *db);

/*
 * db_ensure - make sure the connection is up, reconnecting if needed.
 * Reconnection attempts are spaced at least 0.5 s apart.
 * Returns: DB_OK or DB_EDOWN.
 */
int db_ensure(db_t *db);

/* db_conn - the underlying PGconn (may be NULL or bad); owned by @db. */
PGconn *db_conn(db_t *db);

/*
 * db_exec - run @sql with @n text parameters (NULL entries are SQL NULL).
 * @res: on DB_OK receives the PGresult, which the caller must PQclear;
 *       may be NULL when the caller does not need rows.
 * Returns: DB_OK, DB_ERROR (logged, with the SQLSTATE available through
 * db_sqlstate) or DB_EDOWN.
 */
int db_exec(db_t *db, PGresult **res, const char *sql, int n, const char *const *params);

/*
 * db_query_json - run @sql, which must return one row with one json/jsonb
 * column, and parse that value.
 * @out: receives a new reference (caller json_decref) on DB_OK.
 * Returns: DB_OK, DB_ENOROW (no row, or the value was SQL NULL), DB_ERROR or DB_EDOWN.
 */
int db_query_json(db_t *db, json_t **out, const char *sql, int n, const char *const *params);

/*
 * db_query_value - run @sql returning one row, one column; copy the text
 * value into @a.  @out receives NULL for SQL NULL.
 * Returns: DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN.
 */
int db_query_value(db_t *db, arena_t *a, char **out, const char *sql, int n, const char *const *params);

/*
 * db_query_bigint - run @sql, which returns one row (only the first is read)
 * whose first column is an integer (bigint or narrower); parse that value.
 * @out: receives the value on DB_OK; untouched otherwise.  May be NULL
 *       when only whether a row came back matters (e.g. UPDATE ...
 *       RETURNING id to tell "changed" from "no such row").
 * Returns: DB_OK, DB_ENOROW (no row, or the value was SQL NULL), DB_ERROR
 * or DB_EDOWN.
 */
int db_query_bigint(db_t *db, long long *out, const char *sql, int n, const char *const *params);

/*
 * DB_NUM - format the integer @v (any integer type; converted to long
 * long) as decimal text into the char array @buf and evaluate to @buf,
 * for use as a text parameter: `char s[24]; const char *p[1] = {
 * DB_NUM(s, seller_id) };`.  @buf must be an array (its sizeof is the
 * limit), 21 bytes or more so that every long long fits; the text lives as
 * long as @buf.
 */
#define DB_NUM(buf, v) (snprintf((buf), sizeof(buf), "%lld", (long long)(v)), (buf))

/* db_begin / db_commit / db_rollback - transaction control; DB_OK, DB_ERROR or DB_EDOWN. */
int db_begin(db_t *db);
int db_commit(db_t *db);
int db_rollback(db_t *db);

/* db_sqlstate - the five-character SQLSTATE of the last DB_ERROR ("" if none); owned by @db. */
const char *db_sqlstate(const db_t *db);

/* db_errmsg - the server's message for the last DB_ERROR or DB_EDOWN; owned by @db. */
const char *db_errmsg(const db_t *db);

#endif
