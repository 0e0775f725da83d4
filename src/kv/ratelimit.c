/*
 * ratelimit.c - sliding-window rate limits in Redis (see ratelimit.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "kv/ratelimit.h"

/* When Redis fails: refuse, and suggest a short wait. */
#define FAIL_RETRY 5

void
ratelimit_decide(const long long *stamps, size_t n, long long now_ms, int limit,
    long long window_ms, struct ratelimit_result *out)
{
	long long start = now_ms - window_ms, wait;
	size_t first = 0, count;

	/* Stamps are ascending: the ones in the window are a suffix. */
	while (first < n && stamps[first] <= start)
		first++;
	count = n - first;
	if (limit >= 1 && count < (size_t)limit) {
		out->allowed = 1;
		out->retry_after = 0;
		out->count = (int)count + 1;
		return;
	}
	out->allowed = 0;
	out->count = (int)count;
	if (limit < 1) {
		out->retry_after = (long)((window_ms + 999) / 1000);
		return;
	}
	/*
	 * One more event fits once only limit - 1 remain: the event at index
	 * n - limit (the oldest of the newest @limit) must leave the window.
	 */
	wait = stamps[n - (size_t)limit] + window_ms - now_ms;
	out->retry_after = wait <= 0 ? 1 : (long)((wait + 999) / 1000);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fail(struct ratelimit_result *out)
{
	out->allowed = 0;
	out->retry_after = FAIL_RETRY;
	out->count = 0;
}

/* Send one command; 0 when Redis answered without an error. */
static int
rcmd(kv_conn_t *kv, int argc, const char **argv)
{
	redisReply *r = kv_command(kv, argc, argv, NULL);
	int ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warn("ratelimit: redis: %s", r->str);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

int
ratelimit_hit(kv_conn_t *kv, const char *key, int limit, long window, int record,
    struct ratelimit_result *out)
{
	char set[RATELIMIT_MAX_KEY + 4], member[48], now_s[24], cut_s[24], win_s[24];
	unsigned char rnd[8];
	char rhex[sizeof(rnd) * 2 + 1];
	long long now = now_ms(), wms = (long long)window * 1000, *stamps = NULL;
	redisReply *r, *range;
	size_t n = 0, i, idx;

	fail(out);
	if (strlen(key) > RATELIMIT_MAX_KEY || window <= 0)
		return -1;
	snprintf(set, sizeof(set), "rl:%s", key);
	snprintf(now_s, sizeof(now_s), "%lld", now);
	snprintf(cut_s, sizeof(cut_s), "%lld", now - wms);
	snprintf(win_s, sizeof(win_s), "%lld", wms);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(rhex, sizeof(rhex), rnd, sizeof(rnd));
	snprintf(member, sizeof(member), "%lld-%s", now, rhex);

	if (rcmd(kv, 1, (const char *[]){ "MULTI" }) != 0)
		return -1;
	if (rcmd(kv, 4, (const char *[]){ "ZREMRANGEBYSCORE", set, "-inf", cut_s }) != 0 ||
	    (record && rcmd(kv, 4, (const char *[]){ "ZADD", set, now_s, member }) != 0) ||
	    rcmd(kv, 5, (const char *[]){ "ZRANGE", set, "0", "-1", "WITHSCORES" }) != 0 ||
	    rcmd(kv, 3, (const char *[]){ "PEXPIRE", set, win_s }) != 0) {
		(void)rcmd(kv, 1, (const char *[]){ "DISCARD" });
		return -1;
	}
	if ((r = kv_command(kv, 1, (const char *[]){ "EXEC" }, NULL)) == NULL)
		return -1;
	idx = record ? 2 : 1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements <= idx ||
	    r->element[idx]->type != REDIS_REPLY_ARRAY) {
		log_warn("ratelimit: unexpected EXEC reply for %s", set);
		freeReplyObject(r);
		return -1;
	}
	range = r->element[idx];
	if (range->elements > 0 &&
	    (stamps = calloc(range->elements / 2 + 1, sizeof(*stamps))) == NULL)
		fatal("ratelimit: out of memory");
	/* Member, score pairs, ascending by score; leave out this event. */
	for (i = 0; i + 1 < range->elements; i += 2) {
		const char *m = range->element[i]->str, *s = range->element[i + 1]->str;

		if (m == NULL || s == NULL || strcmp(m, member) == 0)
			continue;
		stamps[n++] = strtoll(s, NULL, 10);
	}
	freeReplyObject(r);
	ratelimit_decide(stamps, n, now, limit, wms, out);
	free(stamps);
	if (!out->allowed && record)
		(void)rcmd(kv, 3, (const char *[]){ "ZREM", set, member });
	if (out->allowed && !record)
		out->count--;	/* only looked: nothing was added */
	return 0;
}

int
ratelimit_reset(kv_conn_t *kv, const char *key)
{
	char set[RATELIMIT_MAX_KEY + 4];

	if (strlen(key) > RATELIMIT_MAX_KEY)
		return -1;
	snprintf(set, sizeof(set), "rl:%s", key);
	return rcmd(kv, 2, (const char *[]){ "DEL", set });
}
