/*
 * gigstats.h - the seller's "My gigs" page (/seller/gigs) and the gig
 * statistics behind it: impressions and clicks counted in Redis on the
 * request path, rolled up into gig_stats_daily by souk-worker
 * (sql/0011_gig_stats.sql); queries in gigstats_db.c.
 *
 * Counting.  A listing page (category, search) adds 1 to each shown gig
 * in the hash stats:impr:<yyyymmdd> (UTC day) and a gig page adds 1 to
 * the gig in stats:click:<yyyymmdd>: one Redis command per page, no
 * PostgreSQL write; the hashes expire after GIGSTATS_KEY_TTL seconds.  A
 * page served from nginx's micro-cache is not counted.  Redis being down
 * loses the counts of that moment, never the page.
 *
 * Rollup (gigstats_rollup_job, job kind "stats.rollup", and every
 * GIGSTATS_ROLLUP_EVERY seconds from souk-worker's loop): for each of the
 * last GIGSTATS_ROLLUP_DAYS days and each counter, RENAME the live hash to
 * stats:proc:<kind>:<day> (unless a crashed run left one there), stamp it
 * with a batch id (HSETNX _batch), add its counts to gig_stats_daily in
 * one statement that also records the batch (a recorded batch is never
 * added twice), then DEL it.  No count is lost or doubled.
 *
 * Policy of /seller/gigs (min_role SELLER; the handler also requires the
 * SELLER role bit): a seller sees and changes only their own gigs; another
 * seller's gig id answers 404.
 *
 *   GET  /seller/gigs[?status=S]             tabs per status with counts;
 *                                            per gig impressions, clicks,
 *                                            orders and conversion over 7
 *                                            and 30 days (today live)
 *   POST /seller/gigs/{id}/pause             active -> paused
 *   POST /seller/gigs/{id}/activate          paused -> active
 *   POST /seller/gigs/{id}/archive           any other -> archived
 *   POST /seller/gigs/{id}/duplicate         a new draft copy (packages,
 *                                            FAQ, extras, requirements)
 * Each draft, requires_changes, active or paused gig links to the studio
 * (/studio/gigs/{id}/overview) to edit it.
 * A change from the wrong status answers 409.  Each change is audited
 * ("gig.pause", "gig.activate", "gig.archive"; "gig.duplicate" with the
 * copy as entity and its source as before) and
 * redirects (303) to the tab of the gig's new status with ?done=.
 */
#ifndef SOUK_GIGSTATS_GIGSTATS_H
#define SOUK_GIGSTATS_GIGSTATS_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

struct worker_ctx;

/* Seconds between two rollups run by souk-worker's loop. */
#define GIGSTATS_ROLLUP_EVERY 180.0
/* Days (today included) whose Redis counters a rollup looks at. */
#define GIGSTATS_ROLLUP_DAYS 3
/* Lifetime of a day's Redis counters, seconds. */
#define GIGSTATS_KEY_TTL (8 * 86400)
/* Most gigs listed on one tab. */
#define GIGSTATS_MAX_ROWS 200

/* The routes, for src/web/app.c (before the catalog's catch-all). */
extern const route_t gigstats_routes[];
extern const size_t gigstats_nroutes;

int gigstats_mygigs(http_req_t *req);		/* GET /seller/gigs */
int gigstats_pause(http_req_t *req);		/* POST /seller/gigs/{id:int}/pause */
int gigstats_activate(http_req_t *req);		/* POST /seller/gigs/{id:int}/activate */
int gigstats_archive(http_req_t *req);		/* POST /seller/gigs/{id:int}/archive */
int gigstats_duplicate(http_req_t *req);	/* POST /seller/gigs/{id:int}/duplicate */

/*
 * gigstats_count_impressions - count one impression for each element of
 * @gigs (an array of objects with an integer "id", borrowed) in one Redis
 * command.  Never fails the page.
 */
void gigstats_count_impressions(http_req_t *req, json_t *gigs);

/* gigstats_count_click - count one view of gig @gig_id's page. */
void gigstats_count_click(http_req_t *req, long long gig_id);

/*
 * gigstats_rollup - move the Redis counters into gig_stats_daily (see
 * above), connecting to Redis at @redis_url for the call.  @moved
 * receives the number of hashes rolled up (may be NULL).
 * Returns: 0, or -1 with a reason in @err.
 */
int gigstats_rollup(db_t *db, const char *redis_url, int *moved, char *err, size_t errlen);

/* gigstats_rollup_job - the "stats.rollup" job handler (payload ignored). */
int gigstats_rollup_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen);

/* ==== queries (gigstats_db.c) ====
 * @out receives a new reference on DB_OK only.
 * Returns DB_OK, DB_ENOROW (where said), DB_ERROR or DB_EDOWN.
 */

/*
 * gigstats_db_mygigs - {counts: {<status>: n, ...}, gigs: [{id, title,
 * status, url (public page), review_note, updated, i7, c7, o7, i30, c30,
 * o30}]} for seller @seller_id, the gigs of @status only, most recently
 * changed first (at most GIGSTATS_MAX_ROWS).  i/c: impressions and clicks
 * from gig_stats_daily over the last 7 and 30 UTC days; o: paid orders
 * (table orders: state past awaiting_payment, not cancelled before its
 * payment) created within the last 7 and 30 days of souk_now().
 */
int gigstats_db_mygigs(db_t *db, long long seller_id, const char *status, json_t **out);

/*
 * gigstats_db_lock - inside a transaction: lock gig @id of @seller_id and
 * return {id, status, title}.  DB_ENOROW when there is no such gig of
 * that seller.
 */
int gigstats_db_lock(db_t *db, long long id, long long seller_id, json_t **out);

/* gigstats_db_set_status - set gig @id's status to @status; @out: {id, status, title} after. */
int gigstats_db_set_status(db_t *db, long long id, const char *status, json_t **out);

/*
 * gigstats_db_duplicate - copy gig @id as a new draft of the same seller
 * with its packages, FAQ, extras and requirements (not its media or
 * statistics); @out: {id, status, title, slug} of the copy.
 */
int gigstats_db_duplicate(db_t *db, long long id, json_t **out);

/*
 * gigstats_db_add - add the counts in @counts (a JSON object text
 * {"<gig id>": "<n>", ...}; other keys ignored) to @column ("impressions"
 * or "clicks") of @day (YYYY-MM-DD) in one statement, unless batch
 * @batch was added before (then nothing happens).  Gigs deleted meanwhile
 * are skipped.  Also forgets batches older than 30 days.
 */
int gigstats_db_add(db_t *db, const char *batch, const char *day, const char *column,
    const char *counts);

#endif
