/*
 * jobs.c - the PostgreSQL job queue: enqueue, claim, outcome (see jobs.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "jobs/jobs.h"

/* Longest jobs.last_error stored, bytes. */
#define JOBS_ERROR_MAX 1000

/*
 * The statements.  db_exec() prepares parameterized statements once per
 * connection, keyed by these strings.
 */
static const char SQL_ENQUEUE[] =
    "INSERT INTO jobs (kind, payload, run_at) "
    "VALUES ($1, $2::jsonb, now() + make_interval(secs => $3::double precision)) "
    "RETURNING id";

static const char SQL_CLAIM[] =
    "UPDATE jobs SET status = 'running', locked_at = now(), locked_by = $1, "
    "attempts = attempts + 1 "
    "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now() "
    "ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1) "
    "RETURNING id, kind, payload, attempts, max_attempts";

static const char SQL_FINISH[] =
    "UPDATE jobs SET status = 'done', finished_at = now(), locked_at = NULL, "
    "last_error = NULL WHERE id = $1 AND status = 'running'";

/* $2: permanent; $3: back-off seconds; $4: the error. */
static const char SQL_FAIL[] =
    "UPDATE jobs SET "
    "status = CASE WHEN $2::boolean OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
    "run_at = CASE WHEN $2::boolean OR attempts >= max_attempts THEN run_at "
    "ELSE now() + make_interval(secs => $3::double precision) END, "
    "finished_at = CASE WHEN $2::boolean OR attempts >= max_attempts THEN now() END, "
    "locked_at = NULL, last_error = $4 "
    "WHERE id = $1 AND status = 'running' RETURNING status";

static const char SQL_STALE[] =
    "UPDATE jobs SET "
    "status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
    "finished_at = CASE WHEN attempts >= max_attempts THEN now() END, "
    "run_at = now(), locked_at = NULL, "
    "last_error = 'worker ' || coalesce(locked_by, '?') || "
    "' stopped while running the job (lock older than ' || $1::text || ' s)' "
    "WHERE status = 'running' AND locked_at < now() - make_interval(secs => $1::double precision)";

static const char SQL_PURGE[] =
    "DELETE FROM jobs WHERE status = 'done' "
    "AND finished_at < now() - make_interval(days => $1::integer)";

static const char SQL_NEXT_DUE[] =
    "SELECT greatest(0, extract(epoch FROM min(run_at) - now()))::float8 "
    "FROM jobs WHERE status = 'queued'";

int
jobs_enqueue(db_t *db, const char *kind, json_t *payload, long delay_seconds,
    long long *job_id)
{
	const char *params[3];
	char delay[32];
	PGresult *r;
	char *json;
	int rc;

	if (kind == NULL || kind[0] == '\0' || payload == NULL) {
		log_error("jobs_enqueue: %s", payload == NULL ? "no payload" : "no kind");
		return DB_ERROR;
	}
	if ((json = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		log_error("jobs_enqueue: kind=%s: payload cannot be encoded", kind);
		return DB_ERROR;
	}
	snprintf(delay, sizeof(delay), "%ld", delay_seconds > 0 ? delay_seconds : 0);
	params[0] = kind;
	params[1] = json;
	params[2] = delay;
	rc = db_exec(db, &r, SQL_ENQUEUE, 3, params);
	free(json);
	if (rc != DB_OK)
		return rc;
	if (job_id != NULL)
		*job_id = PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return DB_OK;
}

int
jobs_claim(db_t *db, const char *worker_id, struct job *job)
{
	const char *params[1] = { worker_id };
	json_error_t jerr;
	PGresult *r;
	int rc;

	if ((rc = db_exec(db, &r, SQL_CLAIM, 1, params)) != DB_OK)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return DB_ENOROW;
	}
	memset(job, 0, sizeof(*job));
	job->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	if ((job->kind = strdup(PQgetvalue(r, 0, 1))) == NULL)
		fatal("jobs: out of memory");
	/*
	 * jsonb prints valid JSON, but jansson refuses some of it (integers
	 * beyond 64 bits): the job then gets a NULL payload and fails.
	 */
	job->payload = json_loadb(PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2),
	    JSON_DECODE_ANY, &jerr);
	if (job->payload == NULL)
		log_warn("jobs: job %lld: payload does not parse: %s", job->id, jerr.text);
	job->attempts = atoi(PQgetvalue(r, 0, 3));
	job->max_attempts = atoi(PQgetvalue(r, 0, 4));
	PQclear(r);
	return DB_OK;
}

void
jobs_job_free(struct job *job)
{
	if (job == NULL)
		return;
	free(job->kind);
	json_decref(job->payload);
	memset(job, 0, sizeof(*job));
}

int
jobs_finish(db_t *db, long long id)
{
	const char *params[1];
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	return db_exec(db, NULL, SQL_FINISH, 1, params);
}

/*
 * Copy @s into @b as valid UTF-8 without control characters (which
 * PostgreSQL may refuse, and which would break a log line), at most
 * JOBS_ERROR_MAX bytes, cut on a character boundary.
 */
static void
clean_error(buf_t *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), k;

	while (n > 0) {
		k = utf8_seq_len((const char *)p, n);
		if (b->len + (k ? k : 1) > JOBS_ERROR_MAX)
			break;
		if (k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f))) {
			buf_putc(b, *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : '?');
			k = 1;
		} else
			buf_append(b, p, k);
		p += k;
		n -= k;
	}
}

double
jobs_backoff(int attempts)
{
	double base;

	if (attempts < 1)
		attempts = 1;
	if (attempts >= 12)	/* 2^12 s is already past the cap */
		return JOBS_BACKOFF_MAX;
	base = (double)(1L << attempts);
	base += base * (double)randombytes_uniform(250001) / 1e6;	/* + 0..25 % */
	return base < JOBS_BACKOFF_MAX ? base : JOBS_BACKOFF_MAX;
}

int
jobs_fail(db_t *db, const struct job *job, const char *error, int permanent,
    int *dead, double *retry_in)
{
	const char *params[4];
	char idbuf[24], wait[32];
	double backoff = jobs_backoff(job->attempts);
	PGresult *r;
	buf_t msg;
	int rc;

	buf_init(&msg, NULL);
	clean_error(&msg, error != NULL && error[0] != '\0' ? error : "failed");
	snprintf(idbuf, sizeof(idbuf), "%lld", job->id);
	snprintf(wait, sizeof(wait), "%.3f", backoff);
	params[0] = idbuf;
	params[1] = permanent ? "true" : "false";
	params[2] = wait;
	params[3] = buf_cstr(&msg);
	rc = db_exec(db, &r, SQL_FAIL, 4, params);
	buf_free(&msg);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return DB_ENOROW;
	}
	if (dead != NULL)
		*dead = strcmp(PQgetvalue(r, 0, 0), "dead") == 0;
	if (retry_in != NULL)
		*retry_in = backoff;
	PQclear(r);
	return DB_OK;
}

/* The row count of an UPDATE or DELETE. */
static int
affected(PGresult *r)
{
	const char *n = PQcmdTuples(r);

	return n != NULL && n[0] != '\0' ? atoi(n) : 0;
}

int
jobs_requeue_stale(db_t *db, long stale_seconds, int *count)
{
	const char *params[1];
	char secs[32];
	PGresult *r;
	int rc;

	snprintf(secs, sizeof(secs), "%ld", stale_seconds);
	params[0] = secs;
	if ((rc = db_exec(db, &r, SQL_STALE, 1, params)) != DB_OK)
		return rc;
	if (count != NULL)
		*count = affected(r);
	PQclear(r);
	return DB_OK;
}

int
jobs_purge_done(db_t *db, int days, int *count)
{
	const char *params[1];
	char d[16];
	PGresult *r;
	int rc;

	snprintf(d, sizeof(d), "%d", days);
	params[0] = d;
	if ((rc = db_exec(db, &r, SQL_PURGE, 1, params)) != DB_OK)
		return rc;
	if (count != NULL)
		*count = affected(r);
	PQclear(r);
	return DB_OK;
}

int
jobs_next_due(db_t *db, double *seconds)
{
	PGresult *r;
	int rc;

	if ((rc = db_exec(db, &r, SQL_NEXT_DUE, 0, NULL)) != DB_OK)
		return rc;
	if (PQntuples(r) < 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return DB_ENOROW;
	}
	*seconds = strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	return DB_OK;
}
