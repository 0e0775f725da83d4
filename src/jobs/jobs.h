/*
 * jobs.h - the PostgreSQL job queue (table jobs, sql/0004_jobs.sql).
 *
 * Producers (souk-web handlers, soukctl) call jobs_enqueue() inside the
 * transaction of the change that causes the job: the outbox pattern, so a
 * committed change never loses its follow-up work and a rolled back one
 * never runs it.  The insert fires pg_notify('souk_jobs', kind), which
 * PostgreSQL delivers at commit.
 *
 * The consumer is souk-worker (src/bin/souk-worker.c): it claims one due
 * job at a time with FOR UPDATE SKIP LOCKED (jobs_claim), runs the handler
 * registered for its kind, and records the outcome (jobs_finish,
 * jobs_fail).  A failed job is retried with exponential back-off
 * (jobs_backoff) until max_attempts, then parked as 'dead'.
 *
 * Adding a kind of job: write a function with the signature of
 * job_handler.run (in the module it belongs to, e.g. src/notify/mail.c
 * for "mail"), declare it in that module's header and add a line to the
 * handlers table in src/bin/souk-worker.c.
 */
#ifndef SOUK_JOBS_JOBS_H
#define SOUK_JOBS_JOBS_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"

struct souk_config;
struct mail_config;
struct tmpl_set;

/* The channel souk-worker LISTENs on; the notification payload is the kind. */
#define JOBS_CHANNEL "souk_jobs"

/* A job running longer than this (seconds) is taken for a crashed worker's. */
#define JOBS_STALE_SECONDS 600

/* Longest back-off between two attempts, seconds. */
#define JOBS_BACKOFF_MAX 3600

/* Results of a job handler (job_handler.run). */
enum {
	JOB_OK = 0,		/* done */
	JOB_ERETRY = -1,	/* failed, may succeed later: retry with back-off */
	JOB_EPERM = -2,		/* can never succeed (bad payload, ...): dead at once */
};

/*
 * struct worker_ctx - what souk-worker hands to every job handler.
 * Everything is owned by souk-worker and valid for the whole call; a
 * handler must not free or keep any of it.  A handler that writes to the
 * database uses @db and must leave no transaction open.
 */
struct worker_ctx {
	db_t			*db;		/* the worker's connection */
	const struct souk_config *cfg;		/* souk-web's configuration (base_url, ...) */
	const struct mail_config *mail;		/* SMTP settings (src/notify/mail.h) */
	const struct tmpl_set	*tmpl;		/* templates_dir compiled (mail/...) */
	const char		*worker_id;	/* "host:pid", as in jobs.locked_by */
};

/*
 * struct job_handler - one kind of job.
 * @kind: the jobs.kind it runs (lower case, [a-z0-9_.-]).
 * @run:  runs one job.  @payload is the job's JSON payload, borrowed (do
 *        not decref).  On failure @run writes a one-line, human-readable
 *        reason into @err (@errlen bytes, NUL-terminated; stored in
 *        jobs.last_error) and returns JOB_ERETRY or JOB_EPERM; on success
 *        it returns JOB_OK.  A job may run more than once (a worker can
 *        crash after the work and before recording it), so handlers must
 *        be idempotent where that matters.
 */
struct job_handler {
	const char	*kind;
	int		(*run)(struct worker_ctx *w, json_t *payload, char *err,
			    size_t errlen);
};

/*
 * struct job - a claimed job (jobs_claim); release with jobs_job_free().
 */
struct job {
	long long	 id;
	char		*kind;		/* heap copy */
	json_t		*payload;	/* new reference; NULL if it did not parse */
	int		 attempts;	/* claims so far, this one included (>= 1) */
	int		 max_attempts;
};

/*
 * jobs_enqueue - add a job, inside the caller's transaction (outbox).
 * @db:            connection; normally between db_begin() and db_commit(),
 *                 so that the job commits or rolls back with the change
 *                 that causes it (in autocommit mode it is queued at once).
 * @kind:          job kind, e.g. "mail" (must match ^[a-z][a-z0-9_.-]{0,63}$,
 *                 enforced by the table).
 * @payload:       the job's arguments, any JSON value (normally an object);
 *                 borrowed: the caller keeps its reference.
 * @delay_seconds: the job is not run before now() + this many seconds
 *                 (now() is the start of the transaction); <= 0 means as
 *                 soon as the transaction commits.
 * @job_id:        receives the new jobs.id on DB_OK; may be NULL.
 * The workers are woken by pg_notify('souk_jobs', kind) at commit.
 * Returns: DB_OK; DB_ERROR (NULL/empty kind or NULL payload, logged; or
 * an SQL error such as a bad kind, with db_sqlstate() set — the caller's
 * transaction is then aborted and must be rolled back); DB_EDOWN (no
 * connection; a transaction in progress is lost).
 */
int jobs_enqueue(db_t *db, const char *kind, json_t *payload, long delay_seconds,
    long long *job_id);

/*
 * jobs_claim - take the oldest due queued job for this worker.
 * @db:        connection in autocommit mode (the claim is one statement).
 * @worker_id: stored in jobs.locked_by (e.g. "host:pid").
 * @job:       filled on DB_OK; the caller owns it and releases it with
 *             jobs_job_free().  Untouched otherwise.
 * The row becomes status 'running', locked_at now(), attempts + 1.
 * Returns: DB_OK, DB_ENOROW (nothing due), DB_ERROR or DB_EDOWN.
 */
int jobs_claim(db_t *db, const char *worker_id, struct job *job);

/* jobs_job_free - release what jobs_claim() put in @job (NULL is ignored). */
void jobs_job_free(struct job *job);

/*
 * jobs_finish - record success: status 'done', finished_at now().
 * @id: the job claimed by this worker.
 * Returns: DB_OK (also when the job was no longer running, e.g. requeued
 * as stale meanwhile), DB_ERROR or DB_EDOWN.
 */
int jobs_finish(db_t *db, long long id);

/*
 * jobs_fail - record a failed attempt.
 * @job:       the claimed job.
 * @error:     why, stored in jobs.last_error (truncated to 1000 bytes on a
 *             UTF-8 boundary; bytes that are not UTF-8 become '?').
 * @permanent: non-zero: dead at once (JOB_EPERM, unknown kind).
 * @dead:      receives 1 when the job is now 'dead', 0 when it was
 *             requeued; may be NULL.
 * @retry_in:  receives the back-off in seconds when requeued; may be NULL.
 * A job with attempts >= max_attempts is dead, otherwise it is queued
 * again with run_at = now() + jobs_backoff(attempts).
 * Returns: DB_OK, DB_ENOROW (the job was no longer running), DB_ERROR or
 * DB_EDOWN.
 */
int jobs_fail(db_t *db, const struct job *job, const char *error, int permanent,
    int *dead, double *retry_in);

/*
 * jobs_backoff - seconds to wait before attempt @attempts + 1.
 * @attempts: attempts made so far (>= 1).
 * Returns: 2^attempts seconds plus a random jitter of up to 25 %, never
 * more than JOBS_BACKOFF_MAX (uses libsodium's randombytes; call
 * sodium_init() first).
 */
double jobs_backoff(int attempts);

/*
 * jobs_requeue_stale - put back the jobs of crashed workers.
 * @stale_seconds: a 'running' job whose locked_at is older than this is
 *                 queued again (run now), or marked dead when it has no
 *                 attempt left; last_error says which worker held it.
 * @count:         receives the number of jobs changed; may be NULL.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int jobs_requeue_stale(db_t *db, long stale_seconds, int *count);

/*
 * jobs_purge_done - delete 'done' jobs finished more than @days days ago.
 * @count: receives the number deleted; may be NULL.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int jobs_purge_done(db_t *db, int days, int *count);

/*
 * jobs_next_due - seconds until the next queued job is due.
 * @seconds: receives 0 when one is due now, else the wait in seconds.
 * Returns: DB_OK, DB_ENOROW (no queued job at all), DB_ERROR or DB_EDOWN.
 */
int jobs_next_due(db_t *db, double *seconds);

#endif
