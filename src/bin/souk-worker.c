/*
 * souk-worker - runs the jobs of the PostgreSQL queue (src/jobs/jobs.h).
 *
 * usage: souk-worker [-c CONFIG]
 *        souk-worker [-c CONFIG] enqueue KIND JSON [DELAY_SECONDS]
 *
 * CONFIG is souk-web's configuration file (database_url, templates_dir,
 * base_url; src/core/config.h).  The SMTP relay comes from the
 * environment: SOUK_SMTP_URL, SOUK_SMTP_USER, SOUK_SMTP_PASSWORD,
 * SOUK_SMTP_STARTTLS, SOUK_SMTP_TIMEOUT, SOUK_MAIL_FROM (src/notify/mail.h);
 * the message catalogs from SOUK_LOCALE_DIR (src/i18n/i18n.h).
 *
 * The worker LISTENs on the channel souk_jobs and claims one due job at a
 * time (FOR UPDATE SKIP LOCKED, so several workers can share the queue),
 * runs the handler of its kind and records the outcome: done, queued
 * again after an exponential back-off, or dead.  When the queue is empty
 * it sleeps in ppoll() on the connection's socket until a NOTIFY arrives,
 * the next delayed job is due, or IDLE_WAIT seconds pass.  Every minute it
 * requeues the jobs of crashed workers; every hour it deletes done jobs
 * older than a week.  Every CRM_TRIGGERS_EVERY seconds it runs the CRM
 * trigger sweep and every CRM_ANALYTICS_EVERY seconds the CRM analytics
 * refresh (src/crm/auto.h).  While PostgreSQL is unreachable it retries every
 * second.
 *
 * "enqueue" adds one job in its own transaction, as a web handler would,
 * and prints its id (for operators and the end-to-end tests).
 *
 * Signals: SIGTERM and SIGINT let the running job finish, then exit 0;
 * SIGHUP reloads the templates and message catalogs and looks for stale
 * jobs at once.  The three are blocked except while the worker sleeps,
 * so a handler is never interrupted.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "crm/auto.h"
#include "db/db.h"
#include "gigstats/gigstats.h"
#include "i18n/i18n.h"
#include "jobs/jobs.h"
#include "kv/kv.h"
#include "media/media.h"
#include "messages/messages.h"
#include "notify/mail.h"
#include "notify/notifications.h"
#include "payments/payments.h"
#include "payouts/payouts.h"
#include "tmpl/tmpl.h"
#include "webpush/webpush.h"

#define IDLE_WAIT	5.0	/* longest sleep without a NOTIFY, seconds */
#define MIN_WAIT	0.05	/* shortest sleep when a job is due but not claimable */
#define STALE_EVERY	60.0	/* seconds between requeues of stale jobs */
#define PURGE_EVERY	3600.0	/* seconds between purges of done jobs */
#define PURGE_DAYS	7	/* done jobs are kept this many days */
#define MONEY_EVERY	5.0	/* seconds between money sweeps (payouts.h) */

/*
 * The kinds of job this worker runs.  Later modules add a line here and
 * the handler in their own file (see struct job_handler in jobs.h).
 */
static const struct job_handler handlers[] = {
	{ "mail", mail_job },
	{ "media.process", media_process_job },
	{ "stats.rollup", gigstats_rollup_job },
	{ "refund", payments_refund_job },
	{ "push", webpush_job },
	{ "notification", notifications_job },
};

struct worker {
	struct worker_ctx	 ctx;		/* what handlers see */
	struct souk_config	 cfg;
	struct mail_config	 mail;
	tmpl_set_t		*tmpl;
	db_t			*db;
	char			 id[300];	/* host:pid */
	int			 listen_pid;	/* backend pid holding our LISTEN, 0: none */
	int			 db_up;		/* 1 up, 0 down, -1 unknown: log changes */
	double			 last_stale;	/* monotonic seconds */
	double			 last_purge;
	double			 last_rollup;	/* gig statistics (gigstats.h) */
	double			 last_money;	/* money sweep (payouts_money_sweep) */
	double			 last_crm;	/* CRM trigger sweep (crm_auto_sweep) */
	double			 last_crm_stats;	/* CRM analytics refresh */
	kv_conn_t		*crm_kv;	/* Redis, for the live events of trigger messages */
	double			 last_notify;	/* digest sweep (notifications_sweep) */
};

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_hup;
static sigset_t waitmask;	/* signal mask while sleeping: ours unblocked */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: souk-worker [-c CONFIG]\n"
	    "       souk-worker [-c CONFIG] enqueue KIND JSON [DELAY_SECONDS]\n");
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/* Install the handlers and block the signals outside of nap(). */
static void
setup_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
}

/*
 * Sleep up to @seconds with our signals deliverable, waking early when
 * @fd (if >= 0) becomes readable or a signal arrives.
 * Returns: 1 if @fd is readable, 0 otherwise.
 */
static int
nap(int fd, double seconds)
{
	struct pollfd pfd;
	struct timespec ts;

	if (seconds < 0)
		seconds = 0;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, &ts, &waitmask) > 0)
		return (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
	return 0;
}

/* Copy @s into @b fit for a quoted logfmt value (at most @max bytes). */
static void
logfmt_value(buf_t *b, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != '\0' && i < max; i++)
		buf_putc(b, s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20 ? '?' : s[i]);
}

/* The SMTP URL without user:password@, for the log. */
static void
url_for_log(buf_t *b, const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash;

	if (host == NULL) {
		logfmt_value(b, url, 200);
		return;
	}
	host += 3;
	at = strchr(host, '@');
	slash = strchr(host, '/');
	if (at != NULL && (slash == NULL || at < slash)) {
		buf_append(b, url, (size_t)(host - url));
		logfmt_value(b, at + 1, 200);
	} else
		logfmt_value(b, url, 200);
}

static const struct job_handler *
find_handler(const char *kind)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].kind, kind) == 0)
			return &handlers[i];
	return NULL;
}

/* Compile the templates and load the message catalogs (at start and on SIGHUP). */
static int
load_templates(struct worker *wk)
{
	char err[TMPL_ERRLEN + 256];
	tmpl_set_t *set;

	if (i18n_load_default(err, sizeof(err)) != 0) {
		log_error("message catalogs: %s", err);
		return -1;
	}
	set = tmpl_set_new();
	if (tmpl_set_load_dir(set, wk->cfg.templates_dir, err, sizeof(err)) != 0) {
		log_error("templates: %s", err);
		tmpl_set_free(set);
		return -1;
	}
	tmpl_set_free(wk->tmpl);
	wk->tmpl = set;
	wk->ctx.tmpl = set;
	return 0;
}

/*
 * Record a job's outcome.  If PostgreSQL is down the job ran but is still
 * 'running' in the table, so keep trying (every second; for 5 s more once
 * asked to stop): otherwise it would run again after JOBS_STALE_SECONDS.
 */
static int
record(struct worker *wk, const struct job *job, int rc, const char *err, int *dead,
    double *retry_in)
{
	int drc, tries = 0;

	for (;;) {
		if (rc == JOB_OK)
			drc = jobs_finish(wk->db, job->id);
		else
			drc = jobs_fail(wk->db, job, err, rc == JOB_EPERM, dead, retry_in);
		if (drc != DB_EDOWN)
			return drc;
		if (tries == 0)
			log_warn("job %lld: database unavailable, outcome not recorded yet; retrying",
			    job->id);
		if (got_stop && tries >= 5)
			return drc;
		nap(-1, 1.0);
		tries++;
	}
}

/* Run one claimed job and record and log its outcome. */
static void
run_job(struct worker *wk, struct job *job)
{
	const struct job_handler *h = find_handler(job->kind);
	const char *outcome, *level = "info";
	char err[1024];
	double t0 = now_mono(), ms, retry_in = 0;
	int rc, drc, dead = 0;
	buf_t line;

	err[0] = '\0';
	if (h == NULL) {
		rc = JOB_EPERM;
		snprintf(err, sizeof(err), "unknown job kind");
	} else if (job->payload == NULL) {
		rc = JOB_EPERM;
		snprintf(err, sizeof(err), "payload cannot be parsed");
	} else {
		rc = h->run(&wk->ctx, job->payload, err, sizeof(err));
		if (rc != JOB_OK && rc != JOB_EPERM)
			rc = JOB_ERETRY;
	}
	ms = (now_mono() - t0) * 1000.0;
	drc = record(wk, job, rc, err, &dead, &retry_in);
	if (drc == DB_ENOROW)
		outcome = "lost";	/* requeued as stale meanwhile */
	else if (drc != DB_OK)
		outcome = "unrecorded";
	else if (rc == JOB_OK)
		outcome = "done";
	else
		outcome = dead ? "dead" : "retry";
	if (rc != JOB_OK || drc != DB_OK)
		level = dead || drc != DB_OK ? "error" : "warn";

	buf_init(&line, NULL);
	buf_printf(&line, "level=%s job=%lld kind=\"", level, job->id);
	logfmt_value(&line, job->kind, 64);
	buf_printf(&line, "\" attempt=%d max_attempts=%d ms=%.1f outcome=%s",
	    job->attempts, job->max_attempts, ms, outcome);
	if (rc != JOB_OK && !dead && drc == DB_OK)
		buf_printf(&line, " retry_in=%.0f", retry_in);
	if (rc != JOB_OK) {
		buf_puts(&line, " error=\"");
		logfmt_value(&line, err, 300);
		buf_putc(&line, '"');
	}
	if (drc != DB_OK && drc != DB_ENOROW) {
		buf_puts(&line, " db_error=\"");
		logfmt_value(&line, db_errmsg(wk->db), 200);
		buf_putc(&line, '"');
	}
	log_raw("%s", buf_cstr(&line));
	buf_free(&line);
}

/* LISTEN on the current connection unless done already (it is lost on reconnect). */
static int
listen_jobs(struct worker *wk)
{
	PGconn *conn = db_conn(wk->db);

	if (conn != NULL && PQbackendPID(conn) != 0 && PQbackendPID(conn) == wk->listen_pid)
		return 0;
	if (wk->listen_pid != 0)
		log_info("database connection was re-established; listening on %s again",
		    JOBS_CHANNEL);
	wk->listen_pid = 0;
	if (db_exec(wk->db, NULL, "LISTEN " JOBS_CHANNEL, 0, NULL) != DB_OK)
		return -1;
	wk->listen_pid = PQbackendPID(db_conn(wk->db));
	return 0;
}

/* Requeue the jobs of crashed workers, purge old done jobs. */
static void
maintenance(struct worker *wk)
{
	double t = now_mono();
	int n;

	if (t - wk->last_stale >= STALE_EVERY) {
		wk->last_stale = t;
		if (jobs_requeue_stale(wk->db, JOBS_STALE_SECONDS, &n) == DB_OK && n > 0)
			log_warn("requeued %d job(s) left running by a stopped worker", n);
	}
	if (t - wk->last_rollup >= GIGSTATS_ROLLUP_EVERY) {
		char err[256];

		wk->last_rollup = t;
		if (gigstats_rollup(wk->db, wk->cfg.redis_url, NULL, err, sizeof(err)) != 0)
			log_warn("gig statistics rollup: %s", err);
	}
	if (t - wk->last_money >= MONEY_EVERY) {
		struct payouts_sweep sw;

		wk->last_money = t;
		(void)payouts_money_sweep(wk->db, &wk->cfg, &sw);
		if (sw.orders + sw.cleared + sw.batches + sw.paid + sw.failed + sw.bank_files > 0)
			log_info("money sweep: orders=%d cleared=%d batches=%d paid=%d failed=%d "
			    "bank_files=%d", sw.orders, sw.cleared, sw.batches, sw.paid, sw.failed,
			    sw.bank_files);
	}
	if (t - wk->last_notify >= NOTIFICATIONS_SWEEP_EVERY) {
		struct notifications_sweep ns;

		wk->last_notify = t;
		if (notifications_sweep(wk->db, &ns) == DB_OK && ns.daily + ns.messages > 0)
			log_info("digest sweep: daily=%d messages=%d", ns.daily, ns.messages);
	}
	if (t - wk->last_crm >= CRM_TRIGGERS_EVERY) {
		struct crm_auto_sweep cs;

		wk->last_crm = t;
		if (wk->crm_kv == NULL)
			wk->crm_kv = kv_new(wk->cfg.redis_url);
		(void)crm_auto_sweep(wk->db, wk->crm_kv, &cs);
		if (cs.sent + cs.moved + cs.skipped > 0)
			log_info("crm sweep: sent=%d moved=%d skipped=%d", cs.sent, cs.moved,
			    cs.skipped);
	}
	if (t - wk->last_crm_stats >= CRM_ANALYTICS_EVERY) {
		wk->last_crm_stats = t;
		if (crm_auto_refresh_analytics(wk->db, NULL) != DB_OK)
			log_warn("crm analytics: %s", db_errmsg(wk->db));
	}
	if (t - wk->last_purge >= PURGE_EVERY) {
		wk->last_purge = t;
		if (jobs_purge_done(wk->db, PURGE_DAYS, &n) == DB_OK && n > 0)
			log_info("deleted %d done job(s) older than %d days", n, PURGE_DAYS);
	}
}

/* Drain the notifications libpq has buffered; returns how many there were. */
static int
drain_notifies(PGconn *conn)
{
	PGnotify *n;
	int count = 0;

	while ((n = PQnotifies(conn)) != NULL) {
		PQfreemem(n);
		count++;
	}
	return count;
}

/*
 * Sleep until a NOTIFY on souk_jobs, @seconds, or a signal.  A
 * notification buffered while other statements ran means "claim again",
 * so it returns at once then.
 */
static void
wait_for_jobs(struct worker *wk, double seconds)
{
	PGconn *conn = db_conn(wk->db);
	int fd;

	if (conn == NULL || drain_notifies(conn) > 0)
		return;
	if ((fd = PQsocket(conn)) < 0) {
		nap(-1, seconds);
		return;
	}
	if (!nap(fd, seconds))
		return;
	if (PQconsumeInput(conn) == 0) {
		/* The server went away: db_ensure() reconnects on the next turn. */
		log_warn("database connection lost while waiting");
		wk->listen_pid = 0;
		nap(-1, 1.0);
		return;
	}
	(void)drain_notifies(conn);
}

static void
serve(struct worker *wk)
{
	struct job job;
	double wait, next;
	int rc;

	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			if (load_templates(wk) == 0)
				log_info("templates and catalogs reloaded");
			wk->last_stale = -1e9;	/* and look for stale jobs now */
		}
		if (db_ensure(wk->db) != DB_OK) {
			if (wk->db_up != 0) {
				log_warn("database unavailable (%s); retrying every second",
				    db_errmsg(wk->db));
				wk->db_up = 0;
			}
			wk->listen_pid = 0;
			nap(-1, 1.0);
			continue;
		}
		if (listen_jobs(wk) != 0) {
			nap(-1, 1.0);
			continue;
		}
		if (wk->db_up != 1) {
			log_info("database connected; listening on %s", JOBS_CHANNEL);
			wk->db_up = 1;
		}
		maintenance(wk);
		rc = jobs_claim(wk->db, wk->id, &job);
		if (rc == DB_OK) {
			run_job(wk, &job);
			jobs_job_free(&job);
			nap(-1, 0);	/* deliver a pending SIGTERM before the next job */
			continue;
		}
		if (rc != DB_ENOROW) {
			nap(-1, 1.0);
			continue;
		}
		wait = IDLE_WAIT;
		if (jobs_next_due(wk->db, &next) == DB_OK && next < wait)
			wait = next < MIN_WAIT ? MIN_WAIT : next;
		/* A reconnect inside the last statements dropped the LISTEN. */
		if (db_conn(wk->db) == NULL || PQbackendPID(db_conn(wk->db)) != wk->listen_pid)
			continue;
		wait_for_jobs(wk, wait);
	}
}

static int
cmd_enqueue(struct souk_config *cfg, int argc, char **argv)
{
	json_error_t jerr;
	json_t *payload;
	long long id = 0;
	long delay = 0;
	db_t *db;
	int rc;

	if (argc < 3 || argc > 4) {
		usage();
		return 2;
	}
	if (argc == 4)
		delay = strtol(argv[3], NULL, 10);
	if ((payload = json_loads(argv[2], JSON_DECODE_ANY, &jerr)) == NULL) {
		fprintf(stderr, "souk-worker enqueue: bad JSON: %s\n", jerr.text);
		return 1;
	}
	db = db_new(cfg->database_url);
	if ((rc = db_begin(db)) == DB_OK &&
	    (rc = jobs_enqueue(db, argv[1], payload, delay, &id)) == DB_OK)
		rc = db_commit(db);
	else if (rc != DB_EDOWN)
		(void)db_rollback(db);
	if (rc != DB_OK)
		fprintf(stderr, "souk-worker enqueue: %s\n", db_errmsg(db));
	else
		printf("%lld\n", id);
	json_decref(payload);
	db_free(db);
	return rc == DB_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static struct worker wk;
	const char *config = NULL;
	char err[512], host[256];
	buf_t smtp;
	int ch, rc;

	log_set_prog("souk-worker");
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		default:
			usage();
			return ch == 'h' ? 0 : 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (config_load(&wk.cfg, config, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 1;
	}
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		config_free(&wk.cfg);
		return 1;
	}
	if (argc > 0) {
		if (strcmp(argv[0], "enqueue") == 0)
			rc = cmd_enqueue(&wk.cfg, argc, argv);
		else {
			usage();
			rc = 2;
		}
		config_free(&wk.cfg);
		return rc;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed");
		config_free(&wk.cfg);
		return 1;
	}
	mail_config_from(&wk.mail, &wk.cfg);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(wk.id, sizeof(wk.id), "%s:%d", host, (int)getpid());
	wk.ctx.cfg = &wk.cfg;
	wk.ctx.mail = &wk.mail;
	wk.ctx.worker_id = wk.id;
	wk.last_stale = wk.last_purge = -1e9;
	rc = 1;
	if (load_templates(&wk) != 0)
		goto out;
	/* automatic messages (CRM triggers) get the off-platform warning too */
	if (messages_warn_init(wk.cfg.message_warn_patterns) < 0)
		goto out;
	setup_signals();
	wk.db = db_new(wk.cfg.database_url);
	wk.ctx.db = wk.db;
	wk.db_up = -1;	/* unknown: log the first state */

	buf_init(&smtp, NULL);
	url_for_log(&smtp, wk.mail.url);
	log_raw("level=info msg=\"started\" worker=%s smtp=\"%s\" starttls=%d auth=%d kinds=%zu",
	    wk.id, buf_cstr(&smtp), wk.mail.starttls, wk.mail.user != NULL,
	    sizeof(handlers) / sizeof(handlers[0]));
	buf_free(&smtp);
	serve(&wk);
	log_info("stopping");
	rc = 0;
out:
	notifications_worker_end();
	webpush_worker_end();
	messages_warn_free();
	kv_free(wk.crm_kv);
	db_free(wk.db);
	tmpl_set_free(wk.tmpl);
	i18n_free();
	config_free(&wk.cfg);
	curl_global_cleanup();
	return rc;
}
