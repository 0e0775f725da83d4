/*
 * notifications.h - in-site notifications, their dispatch and e-mail
 * digests (issue 6, "Notifications").
 *
 *   notifications.c     handlers (routes notifications_routes), the
 *                       souk-worker job "notification" and the digest
 *                       sweep; templates templates/notifications/
 *                       (list, settings, title, body) and the mails
 *                       templates/mail/notification.*, digest_daily.*,
 *                       digest_messages.*;
 *   notifications_db.c  their SQL (sql/0024_notifications.sql).
 *
 * Notifications are created by SQL triggers (sql/0024) in the transaction
 * of the change that causes them; each queues a job "notification"
 * {"id": N}.  Types: message, order.placed, order.requirements,
 * order.delivered, order.revision, order.completed, payment.released,
 * payout.sent, gig.approved, gig.changes.
 *
 * Routes (min_role BUYER: every signed-in user):
 *
 *	GET  /notifications              ?page=N: the caller's notifications,
 *	                                 newest first, NOTIFICATIONS_PAGE a page,
 *	                                 unread ones marked
 *	POST /notifications/read-all     marks all read; 303 to /notifications
 *	POST /notifications/{id}/read    marks one read; 303 to its url; one
 *	                                 that is not the caller's → 404
 *	GET  /settings/notifications     the e-mail preference per type
 *	POST /settings/notifications     fields email_<type with '.' as '_'> =
 *	                                 immediate|daily|off; 303 back with
 *	                                 ?saved=1; a bad value → 422, the form
 *	                                 as sent
 *
 * Live event (src/events/events.h), user stream, after dispatch:
 * "notification" {id, type, title, body, url, unread_count}.
 */
#ifndef SOUK_NOTIFY_NOTIFICATIONS_H
#define SOUK_NOTIFY_NOTIFICATIONS_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "http/router.h"

struct worker_ctx;
struct souk_config;

/* Notifications per page of /notifications. */
#define NOTIFICATIONS_PAGE 20
/* A conversation's unread messages are mailed once the oldest is this old, seconds. */
#define NOTIFICATIONS_MESSAGE_DIGEST_AFTER 900
/* Seconds between two digest sweeps of souk-worker. */
#define NOTIFICATIONS_SWEEP_EVERY 30.0

extern const route_t notifications_routes[];
extern const size_t notifications_nroutes;

/*
 * notifications_unread_count - the number of unread notifications of
 * @user_id (the header bell): one count over a partial index.
 * Returns: the count (>= 0), or -1 when the query failed.
 */
long long notifications_unread_count(db_t *db, long long user_id);

/*
 * notifications_job - the "notification" job handler (struct job_handler,
 * src/jobs/jobs.h).
 * @payload: {"id": N}, the notifications.id; borrowed.
 * Renders title and body in the recipient's language (users.lang) with
 * templates/notifications/title and body (w->tmpl, i18n), stores them;
 * when the recipient's e-mail preference for the type is 'immediate'
 * (except type "message": see notifications_sweep) and no e-mail was
 * queued yet, queues job "mail" (template "notification") and sets
 * emailed_at; when the Redis key "presence:u:<user_id>" is absent (no
 * open tab) queues job "push" {"notification_id": N} (src/notify/webpush);
 * all in one transaction.  After the commit, publishes the live event
 * "notification" to the recipient (Redis at w->cfg->redis_url, connected
 * on first use; a Redis failure is logged, the job still succeeds).
 * Returns: JOB_OK (also when the notification no longer exists or is
 * read), JOB_EPERM for a bad payload or a template that fails to render,
 * JOB_ERETRY when the database failed.  @err receives the reason.
 */
int notifications_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen);

/* notifications_worker_end - close the Redis connection notifications_job opened (at exit). */
void notifications_worker_end(void);

/* struct notifications_sweep - what one notifications_sweep() queued. */
struct notifications_sweep {
	int	daily;		/* daily digest e-mails */
	int	messages;	/* unread-messages digest e-mails */
};

/*
 * notifications_sweep - queue the digest e-mails that are due, by souk_now():
 *  - the daily digest ("digest_daily"): per user, the unread, not yet
 *    digested notifications created in the two days before today 00:00
 *    UTC (a sweep missed for longer skips older ones) whose type
 *    preference is 'daily'; at most one per user and day
 *    (notification_digests);
 *  - the unread-messages digest ("digest_messages"): per user, every
 *    conversation whose oldest unread message not yet mailed is older
 *    than NOTIFICATIONS_MESSAGE_DIGEST_AFTER seconds, when the user's
 *    "message" preference is 'immediate'; the messages listed are never
 *    mailed again (conversation_members.digest_message_id).
 * Each kind is one transaction; several sweeps at once send nothing twice.
 * @out: receives the counts (zeroed first).
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int notifications_sweep(db_t *db, struct notifications_sweep *out);

/* ==== queries (notifications_db.c); DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN ==== */

/* notifications_db_unread - see notifications_unread_count; @out receives the count. */
int notifications_db_unread(db_t *db, long long user_id, long long *out);

/*
 * notifications_db_list - page @page (1-based) of @per of @user_id's
 * notifications, newest first: {rows: [{id, type, title, body, url,
 * unread, at (ISO UTC), at_text}], more: bool}.  @out: a new reference.
 */
int notifications_db_list(db_t *db, long long user_id, long long page, int per, json_t **out);

/*
 * notifications_db_read - mark notification @id of @user_id read; @url
 * receives its url (heap, caller frees).  DB_ENOROW when it is not
 * @user_id's.
 */
int notifications_db_read(db_t *db, long long id, long long user_id, char **url);

/* notifications_db_read_all - mark all of @user_id's notifications read. */
int notifications_db_read_all(db_t *db, long long user_id);

/*
 * notifications_db_prefs - @user_id's e-mail preference per type, in
 * display order: [{type, email ('immediate'|'daily'|'off'), default}].
 */
int notifications_db_prefs(db_t *db, long long user_id, json_t **out);

/* notifications_db_set_pref - store @user_id's preference @email for @type. */
int notifications_db_set_pref(db_t *db, long long user_id, const char *type, const char *email);

/*
 * notifications_db_dispatch_load - notification @id for its dispatch:
 * {id, user_id, type, data, url, read, emailed, pref, lang, email, handle,
 * active, amount (souk_money of data.amount_minor, or null)}.
 */
int notifications_db_dispatch_load(db_t *db, long long id, json_t **out);

/* notifications_db_store - set the rendered @title and @body of @id and dispatched_at. */
int notifications_db_store(db_t *db, long long id, const char *title, const char *body);

/* notifications_db_mark_emailed - set emailed_at of @id to souk_now() (the e-mail is queued). */
int notifications_db_mark_emailed(db_t *db, long long id);

/* notifications_db_sweep_daily - queue the due daily digests; @n receives how many. */
int notifications_db_sweep_daily(db_t *db, int *n);

/* notifications_db_sweep_messages - queue the due unread-messages digests; @n receives how many. */
int notifications_db_sweep_messages(db_t *db, int after_seconds, int *n);

#endif
