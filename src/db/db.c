/*
 * db.c - libpq wrapper: parameterized queries, JSON results, reconnects.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "db/db.h"

/*
 * Statements run often are prepared once per connection, which saves the
 * parse and plan of every call (about half the cost of a listing query).
 * They are keyed by the SQL text; the pointer is compared first so a hit
 * usually costs one strcmp.
 */
#define DB_MAX_PREPARED 64

struct prepared {
	const char *sql;	/* the caller's string, compared by pointer, then text */
	char *text;		/* our copy, to detect a reused pointer */
	char name[16];
};

struct db {
	char *conninfo;
	PGconn *conn;
	struct prepared stmts[DB_MAX_PREPARED];
	int nstmts;
	unsigned serial;	/* names prepared statements s1, s2, ... */
	double last_attempt;	/* monotonic seconds of the last connect */
	char sqlstate[6];
	char errmsg[512];
};

static void
set_err(db_t *db, const char *state, const char *msg)
{
	size_t n;

	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
	/* libpq messages end with a newline; keep log lines on one line */
	n = strlen(db->errmsg);
	while (n > 0 && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
		db->errmsg[--n] = '\0';
}

/* Server notices (e.g. "relation already exists, skipping") are not errors. */
static void
quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Forget the prepared statements: they die with their connection. */
static void
forget_prepared(db_t *db)
{
	for (int i = 0; i < db->nstmts; i++)
		free(db->stmts[i].text);
	db->nstmts = 0;
}

/*
 * The name of @sql prepared on the current connection, preparing it first
 * if needed; NULL when the cache is full or preparing failed (the caller
 * then runs the statement unnamed, which reports any error).
 */
static const char *
prepared_name(db_t *db, const char *sql, int n)
{
	struct prepared *p;
	PGresult *r;
	int i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql && strcmp(db->stmts[i].text, sql) == 0)
			return db->stmts[i].name;
	for (i = 0; i < db->nstmts; i++)
		if (strcmp(db->stmts[i].text, sql) == 0)
			return db->stmts[i].name;
	if (db->nstmts == DB_MAX_PREPARED)
		return NULL;
	p = &db->stmts[db->nstmts];
	snprintf(p->name, sizeof(p->name), "s%u", ++db->serial);
	r = PQprepare(db->conn, p->name, sql, n, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	if ((p->text = strdup(sql)) == NULL)
		fatal("db: out of memory");
	p->sql = sql;
	db->nstmts++;
	return p->name;
}

static int
db_connect(db_t *db)
{
	db->last_attempt = clock_mono();
	forget_prepared(db);
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_err(db, "08000", PQerrorMessage(db->conn));
		log_warn("db: connect failed: %s", db->errmsg);
		PQfinish(db->conn);
		db->conn = NULL;
		return DB_EDOWN;
	}
	PQsetNoticeProcessor(db->conn, quiet_notice, NULL);
	return DB_OK;
}

db_t *
db_new(const char *conninfo)
{
	db_t *db = calloc(1, sizeof(*db));

	if (db == NULL || (db->conninfo = strdup(conninfo)) == NULL)
		fatal("db: out of memory");
	(void)db_connect(db);
	return db;
}

void
db_free(db_t *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	forget_prepared(db);
	free(db->conninfo);
	free(db);
}

int
db_ensure(db_t *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return DB_OK;
	/* Do not hammer a server that is down: one attempt per half second. */
	if (db->conn == NULL && clock_mono() - db->last_attempt < 0.5)
		return DB_EDOWN;
	if (db->conn != NULL) {
		forget_prepared(db);
		PQreset(db->conn);
		db->last_attempt = clock_mono();
		if (PQstatus(db->conn) == CONNECTION_OK)
			return DB_OK;
		set_err(db, "08000", PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		return DB_EDOWN;
	}
	return db_connect(db);
}

PGconn *
db_conn(db_t *db)
{
	return db->conn;
}

int
db_exec(db_t *db, PGresult **res, const char *sql, int n, const char *const *params)
{
	PGresult *r;
	ExecStatusType st;
	const char *name;
	int tries;

	if (res != NULL)
		*res = NULL;
	db->sqlstate[0] = '\0';
	for (tries = 0; tries < 2; tries++) {
		if (db_ensure(db) != DB_OK)
			return DB_EDOWN;
		/* Transaction control and one-off statements need no plan cache. */
		name = n > 0 ? prepared_name(db, sql, n) : NULL;
		if (name != NULL)
			r = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
		else
			r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
		st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (res != NULL)
				*res = r;
			else
				PQclear(r);
			return DB_OK;
		}
		if (PQstatus(db->conn) != CONNECTION_OK) {
			/*
			 * The connection broke (server restart).  Retry once on a
			 * fresh connection unless a transaction was open: its
			 * earlier statements are gone, so the caller must see it.
			 */
			int in_tx = PQtransactionStatus(db->conn) != PQTRANS_IDLE;

			set_err(db, "08006", PQerrorMessage(db->conn));
			PQclear(r);
			PQfinish(db->conn);
			db->conn = NULL;
			forget_prepared(db);
			db->last_attempt = 0;
			if (in_tx)
				return DB_EDOWN;
			continue;
		}
		set_err(db, r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "XX000",
		    r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
		log_warn("db: %s (%s)", db->errmsg, db->sqlstate);
		PQclear(r);
		return DB_ERROR;
	}
	log_warn("db: connection lost: %s", db->errmsg);
	return DB_EDOWN;
}

int
db_query_json(db_t *db, json_t **out, const char *sql, int n, const char *const *params)
{
	PGresult *r;
	json_error_t jerr;
	int rc;

	*out = NULL;
	if ((rc = db_exec(db, &r, sql, n, params)) != DB_OK)
		return rc;
	if (PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return DB_ENOROW;
	}
	*out = json_loadb(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0),
	    JSON_DECODE_ANY, &jerr);
	PQclear(r);
	if (*out == NULL) {
		set_err(db, "XX000", jerr.text);
		log_error("db: bad JSON from query: %s", jerr.text);
		return DB_ERROR;
	}
	if (json_is_null(*out)) {
		json_decref(*out);
		*out = NULL;
		return DB_ENOROW;
	}
	return DB_OK;
}

int
db_query_value(db_t *db, arena_t *a, char **out, const char *sql, int n, const char *const *params)
{
	PGresult *r;
	int rc;

	*out = NULL;
	if ((rc = db_exec(db, &r, sql, n, params)) != DB_OK)
		return rc;
	if (PQntuples(r) < 1 || PQnfields(r) < 1) {
		PQclear(r);
		return DB_ENOROW;
	}
	if (!PQgetisnull(r, 0, 0))
		*out = arena_strndup(a, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	PQclear(r);
	return DB_OK;
}

int
db_query_bigint(db_t *db, long long *out, const char *sql, int n, const char *const *params)
{
	PGresult *r;
	int rc;

	if ((rc = db_exec(db, &r, sql, n, params)) != DB_OK)
		return rc;
	if (PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return DB_ENOROW;
	}
	if (out != NULL)
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return DB_OK;
}

int
db_begin(db_t *db)
{
	return db_exec(db, NULL, "BEGIN", 0, NULL);
}

int
db_commit(db_t *db)
{
	return db_exec(db, NULL, "COMMIT", 0, NULL);
}

int
db_rollback(db_t *db)
{
	if (db->conn == NULL)
		return DB_EDOWN;
	return db_exec(db, NULL, "ROLLBACK", 0, NULL);
}

const char *
db_sqlstate(const db_t *db)
{
	return db->sqlstate;
}

const char *
db_errmsg(const db_t *db)
{
	return db->errmsg;
}
