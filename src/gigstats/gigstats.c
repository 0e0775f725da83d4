/*
 * gigstats.c - My gigs, the Redis counters and their rollup (see
 * gigstats.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "gigstats/gigstats.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "kv/kv.h"
#include "web/app.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* KEYS[1] the day's hash; ARGV the gig ids: one HINCRBY each, then the TTL. */
static const char count_script[] =
	"for i = 1, #ARGV do redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end "
	"redis.call('EXPIRE', KEYS[1], " STR(GIGSTATS_KEY_TTL) ") return #ARGV";

/* The statuses, in tab order, with their labels. */
static const struct {
	const char *status;
	const char *label;
} tabs[] = {
	{ "active", N_("Active") },
	{ "pending_review", N_("Pending review") },
	{ "requires_changes", N_("Requires changes") },
	{ "draft", N_("Drafts") },
	{ "denied", N_("Denied") },
	{ "paused", N_("Paused") },
	{ "archived", N_("Archived") },
};

/* Outcomes shown after a redirect (?done=). */
static const char *const done_values[] = { "paused", "activated", "archived", "duplicated",
	NULL };

/* "YYYYMMDD" (@compact) or "YYYY-MM-DD" of the UTC day @days_ago days before now. */
static void
utc_day(char *out, size_t len, int days_ago, int compact)
{
	time_t t = time(NULL) - (time_t)days_ago * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, compact ? "%Y%m%d" : "%Y-%m-%d", &tm);
}

/* ==== counting ==== */

/* Add 1 to each of @ids (@n of them, decimal strings) in stats:<kind>:<today>. */
static void
count(http_req_t *req, const char *kind, const char **ids, size_t n)
{
	const char **argv;
	char day[16];
	redisReply *r;

	if (n == 0 || APP(req)->kv == NULL)
		return;
	utc_day(day, sizeof(day), 0, 1);
	argv = arena_calloc(req->arena, n + 4, sizeof(*argv));
	argv[0] = "EVAL";
	argv[1] = count_script;
	argv[2] = "1";
	argv[3] = arena_printf(req->arena, "stats:%s:%s", kind, day);
	memcpy(argv + 4, ids, n * sizeof(*ids));
	r = kv_command(APP(req)->kv, (int)(n + 4), argv, NULL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warn("request_id=%s gigstats: %s not counted: %s", req->request_id, kind,
		    r != NULL ? r->str : "redis unreachable");
	if (r != NULL)
		freeReplyObject(r);
}

void
gigstats_count_impressions(http_req_t *req, json_t *gigs)
{
	size_t i, n = 0, max = json_array_size(gigs);
	const char **ids;
	json_t *g;

	if (max == 0)
		return;
	ids = arena_calloc(req->arena, max, sizeof(*ids));
	json_array_foreach(gigs, i, g) {
		json_t *id = json_object_get(g, "id");

		if (json_is_integer(id) && json_integer_value(id) > 0)
			ids[n++] = arena_printf(req->arena, "%lld",
			    (long long)json_integer_value(id));
	}
	count(req, "impr", ids, n);
}

void
gigstats_count_click(http_req_t *req, long long gig_id)
{
	const char *id = arena_printf(req->arena, "%lld", gig_id);

	if (gig_id > 0)
		count(req, "click", &id, 1);
}

/* ==== the rollup ==== */

/* Roll up one processing hash @key ("stats:proc:<kind>:<yyyymmdd>:<hex>"). */
static int
rollup_key(db_t *db, kv_conn_t *kv, const char *key, char *err, size_t errlen)
{
	const char *get[] = { "HGETALL", key }, *del[] = { "DEL", key };
	const char *column;
	char kind[8], ymd[9], day[11];
	redisReply *r;
	json_t *counts;
	char *text;
	int rc;

	if (sscanf(key, "stats:proc:%7[a-z]:%8[0-9]:", kind, ymd) != 2 || strlen(ymd) != 8) {
		log_warn("gigstats: ignoring the key %s", key);
		return 0;
	}
	column = strcmp(kind, "impr") == 0 ? "impressions" : strcmp(kind, "click") == 0 ?
	    "clicks" : NULL;
	if (column == NULL)
		return 0;
	snprintf(day, sizeof(day), "%.4s-%.2s-%.2s", ymd, ymd + 4, ymd + 6);
	if ((r = kv_command(kv, 2, get, NULL)) == NULL || r->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errlen, "HGETALL %s: %s", key, r != NULL && r->str ? r->str :
		    "redis unreachable");
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	counts = json_object();
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			json_object_set_new(counts, r->element[i]->str,
			    json_string(r->element[i + 1]->str));
	freeReplyObject(r);
	text = json_dumps(counts, JSON_COMPACT);
	json_decref(counts);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = gigstats_db_add(db, key, day, column, text);
	free(text);
	if (rc != DB_OK) {
		snprintf(err, errlen, "adding %s: %s", key, db_errmsg(db));
		return -1;
	}
	/* Added (now or by an earlier run): the batch is done. */
	if ((r = kv_command(kv, 2, del, NULL)) != NULL)
		freeReplyObject(r);
	return 0;
}

int
gigstats_rollup(db_t *db, const char *redis_url, int *moved, char *err, size_t errlen)
{
	static const char *const kinds[] = { "impr", "click" };
	unsigned char rnd[8];
	char hex[17], ymd[16], cursor[32] = "0";
	kv_conn_t *kv = kv_new(redis_url);
	redisReply *r;
	int n = 0, rc = 0;

	if (moved != NULL)
		*moved = 0;
	if (kv_ensure(kv) != 0) {
		snprintf(err, errlen, "redis unreachable");
		kv_free(kv);
		return -1;
	}
	/* 1. Each live hash becomes a processing hash of its own name. */
	for (int d = 0; d < GIGSTATS_ROLLUP_DAYS; d++) {
		utc_day(ymd, sizeof(ymd), d, 1);
		for (size_t k = 0; k < 2; k++) {
			char live[64], proc[96];
			const char *argv[3] = { "RENAME", live, proc };

			randombytes_buf(rnd, sizeof(rnd));
			sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
			snprintf(live, sizeof(live), "stats:%s:%s", kinds[k], ymd);
			snprintf(proc, sizeof(proc), "stats:proc:%s:%s:%s", kinds[k], ymd, hex);
			if ((r = kv_command(kv, 3, argv, NULL)) == NULL) {
				snprintf(err, errlen, "RENAME: redis unreachable");
				kv_free(kv);
				return -1;
			}
			freeReplyObject(r);	/* an error reply: no such key, nothing counted */
		}
	}
	/* 2. Every processing hash, including those a crashed run left. */
	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", "stats:proc:*", "COUNT", "1000" };

		if ((r = kv_command(kv, 6, argv, NULL)) == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			snprintf(err, errlen, "SCAN failed");
			if (r != NULL)
				freeReplyObject(r);
			rc = -1;
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements && rc == 0; i++) {
			redisReply *key = r->element[1]->element[i];

			if (key->type != REDIS_REPLY_STRING)
				continue;
			if ((rc = rollup_key(db, kv, key->str, err, errlen)) == 0)
				n++;
		}
		freeReplyObject(r);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	kv_free(kv);
	if (moved != NULL)
		*moved = n;
	return rc;
}

int
gigstats_rollup_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen)
{
	int n;

	(void)payload;
	if (gigstats_rollup(w->db, w->cfg->redis_url, &n, err, errlen) != 0)
		return JOB_ERETRY;
	if (n > 0)
		log_info("gigstats: rolled up %d counter hash(es)", n);
	return JOB_OK;
}

/* ==== GET /seller/gigs ==== */

/* Today's live counters of @kind for @gigs, added to their <p>7 and <p>30 fields. */
static void
add_live(http_req_t *req, json_t *gigs, const char *kind, const char *prefix)
{
	size_t i, n = json_array_size(gigs);
	const char **argv;
	char day[16];
	redisReply *r;
	json_t *g;

	if (n == 0 || APP(req)->kv == NULL)
		return;
	utc_day(day, sizeof(day), 0, 1);
	argv = arena_calloc(req->arena, n + 2, sizeof(*argv));
	argv[0] = "HMGET";
	argv[1] = arena_printf(req->arena, "stats:%s:%s", kind, day);
	json_array_foreach(gigs, i, g)
		argv[i + 2] = arena_printf(req->arena, "%lld",
		    (long long)json_integer_value(json_object_get(g, "id")));
	if ((r = kv_command(APP(req)->kv, (int)(n + 2), argv, NULL)) == NULL)
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == n) {
		json_array_foreach(gigs, i, g) {
			long long v;
			const char *k7 = arena_printf(req->arena, "%s7", prefix);
			const char *k30 = arena_printf(req->arena, "%s30", prefix);

			if (r->element[i]->type != REDIS_REPLY_STRING ||
			    (v = strtoll(r->element[i]->str, NULL, 10)) <= 0)
				continue;
			json_object_set_new(g, k7, json_integer(json_integer_value(
			    json_object_get(g, k7)) + v));
			json_object_set_new(g, k30, json_integer(json_integer_value(
			    json_object_get(g, k30)) + v));
		}
	}
	freeReplyObject(r);
}

/* Conversion, orders per click: "12.5%", or "–" without clicks. */
static const char *
conversion(http_req_t *req, json_t *g, const char *clk, const char *ord)
{
	long long c = json_integer_value(json_object_get(g, clk));
	long long o = json_integer_value(json_object_get(g, ord));

	if (c <= 0)
		return "–";
	return arena_printf(req->arena, "%.1f%%", 100.0 * (double)o / (double)c);
}

int
gigstats_mygigs(http_req_t *req)
{
	const char *want = kv_get(&req->query_params, "status");
	const char *status = tabs[0].status, *done = kv_get(&req->query_params, "done");
	json_t *ctx, *counts, *list, *g;
	size_t i;
	int rc;

	http_header(req, "Cache-Control", "no-store");
	if ((req->roles & ROLE_BIT(ROLE_SELLER)) == 0)
		return app_error(req, 403, N_("My gigs is for sellers. Become a seller first."));
	for (i = 0; want != NULL && i < sizeof(tabs) / sizeof(tabs[0]); i++)
		if (strcmp(want, tabs[i].status) == 0)
			status = tabs[i].status;
	if ((rc = gigstats_db_mygigs(APP(req)->db, req->user_id, status, &ctx)) != DB_OK)
		return app_db_status(req, rc);
	counts = json_object_get(ctx, "counts");
	list = json_array();
	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:b, s:s}",
		    "status", tabs[i].status, "label", i18n_str(app_lang(req), tabs[i].label),
		    "count", (json_int_t)json_integer_value(json_object_get(counts,
		    tabs[i].status)), "current", strcmp(status, tabs[i].status) == 0,
		    "url", arena_printf(req->arena, "/seller/gigs?status=%s", tabs[i].status)));
	json_object_set_new(ctx, "tabs", list);

	list = json_object_get(ctx, "gigs");
	add_live(req, list, "impr", "i");
	add_live(req, list, "click", "c");
	json_array_foreach(list, i, g) {
		const char *st = json_string_value(json_object_get(g, "status"));

		json_object_set_new(g, "conv7", json_string(conversion(req, g, "c7", "o7")));
		json_object_set_new(g, "conv30", json_string(conversion(req, g, "c30", "o30")));
		json_object_set_new(g, "can_pause", json_boolean(strcmp(st, "active") == 0));
		json_object_set_new(g, "can_activate", json_boolean(strcmp(st, "paused") == 0));
		json_object_set_new(g, "can_archive", json_boolean(strcmp(st, "archived") != 0));
		json_object_set_new(g, "is_public", json_boolean(strcmp(st, "active") == 0));
		json_object_set_new(g, "edit_url", strcmp(st, "draft") == 0 ||
		    strcmp(st, "requires_changes") == 0 || strcmp(st, "active") == 0 ||
		    strcmp(st, "paused") == 0 ? json_sprintf("/studio/gigs/%lld/overview",
		    (long long)json_integer_value(json_object_get(g, "id"))) : json_null());
	}
	json_object_set_new(ctx, "has_gigs", json_boolean(json_array_size(list) > 0));
	json_object_set_new(ctx, "status", json_string(status));
	json_object_set_new(ctx, "status_is", json_pack("{s:b}", status, 1));
	for (i = 0; done != NULL && done_values[i] != NULL; i++)
		if (strcmp(done, done_values[i]) == 0)
			json_object_set_new(ctx, "done", json_pack("{s:b}", done_values[i], 1));
	app_page(ctx, i18n_str(app_lang(req), N_("My gigs | Souk")), "",
	    arena_printf(req->arena, "/seller/gigs?status=%s", status), NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	app_render(req, "gigstats/mygigs", ctx);
	json_decref(ctx);
	return req->status;
}

/* ==== the actions ==== */

/* Roll back after a failed query and answer with its status. */
static int
failed(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	return app_db_status(req, rc);
}

/*
 * Lock the caller's gig of the route; 0 with @before set, else the status
 * sent (404 for somebody else's gig, after rolling back).
 */
static int
lock_own(http_req_t *req, json_t **before)
{
	int rc;

	if ((req->roles & ROLE_BIT(ROLE_SELLER)) == 0)
		return app_error(req, 403, N_("My gigs is for sellers. Become a seller first."));
	if ((rc = db_begin(APP(req)->db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = gigstats_db_lock(APP(req)->db, req->match.ints[0], req->user_id,
	    before)) != DB_OK)
		return failed(req, rc);
	return 0;
}

/* Audit, commit and go to the tab of @after's status with ?done=@done. */
static int
finish(http_req_t *req, const char *action, json_t *before, json_t *after, const char *done)
{
	const char *st = json_string_value(json_object_get(after, "status"));
	int rc;

	rc = audit_write(req, req->user_id, action, "gig",
	    arena_printf(req->arena, "%lld", (long long)json_integer_value(
	    json_object_get(after, "id"))), before, after);
	st = arena_strdup(req->arena, st ? st : "draft");
	json_decref(before);
	json_decref(after);
	if (rc != DB_OK || (rc = db_commit(APP(req)->db)) != DB_OK)
		return failed(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/seller/gigs?status=%s&done=%s", st,
	    done));
	return req->status;
}

/*
 * A status change of the caller's gig to @to; @from is the status it must
 * have (NULL: any but @to).
 */
static int
change(http_req_t *req, const char *from, const char *to, const char *action,
    const char *done)
{
	json_t *before = NULL, *after = NULL;
	const char *st;
	int rc;

	if ((rc = lock_own(req, &before)) != 0)
		return rc;
	st = json_string_value(json_object_get(before, "status"));
	if (st == NULL || (from != NULL ? strcmp(st, from) != 0 : strcmp(st, to) == 0)) {
		json_decref(before);
		db_rollback(APP(req)->db);
		return app_error(req, 409, N_("This gig cannot make that change in its current "
		    "status. Reload the page and try again."));
	}
	if ((rc = gigstats_db_set_status(APP(req)->db, req->match.ints[0], to, &after)) != DB_OK) {
		json_decref(before);
		return failed(req, rc);
	}
	return finish(req, action, before, after, done);
}

int
gigstats_pause(http_req_t *req)
{
	return change(req, "active", "paused", "gig.pause", "paused");
}

int
gigstats_activate(http_req_t *req)
{
	return change(req, "paused", "active", "gig.activate", "activated");
}

int
gigstats_archive(http_req_t *req)
{
	return change(req, NULL, "archived", "gig.archive", "archived");
}

int
gigstats_duplicate(http_req_t *req)
{
	json_t *before = NULL, *after = NULL;
	int rc;

	if ((rc = lock_own(req, &before)) != 0)
		return rc;
	if ((rc = gigstats_db_duplicate(APP(req)->db, req->match.ints[0], &after)) != DB_OK) {
		json_decref(before);
		return failed(req, rc);
	}
	return finish(req, "gig.duplicate", before, after, "duplicated");
}

/* ==== routes ==== */

const route_t gigstats_routes[] = {
	{ "GET", "/seller/gigs", gigstats_mygigs, ROLE_SELLER, "gigstats.mygigs" },
	{ "POST", "/seller/gigs/{id:int}/pause", gigstats_pause, ROLE_SELLER, "gigstats.pause" },
	{ "POST", "/seller/gigs/{id:int}/activate", gigstats_activate, ROLE_SELLER,
	    "gigstats.activate" },
	{ "POST", "/seller/gigs/{id:int}/archive", gigstats_archive, ROLE_SELLER,
	    "gigstats.archive" },
	{ "POST", "/seller/gigs/{id:int}/duplicate", gigstats_duplicate, ROLE_SELLER,
	    "gigstats.duplicate" },
};
const size_t gigstats_nroutes = sizeof(gigstats_routes) / sizeof(gigstats_routes[0]);
