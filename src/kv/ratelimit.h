/*
 * ratelimit.h - sliding-window rate limits in Redis.
 *
 * Each limited thing (a client address, an account) has a sorted set
 * "rl:<key>" whose members are the events of the last window, scored by
 * their time in milliseconds since the epoch.  One check runs, inside
 * MULTI/EXEC: ZREMRANGEBYSCORE (drop events older than the window), ZADD
 * (this event, when it is recorded), ZRANGE WITHSCORES (the events left)
 * and PEXPIRE (the set disappears one window after its last event).  The
 * decision itself is ratelimit_decide(), a pure function of those time
 * stamps.  A refused event is removed again (ZREM), so hammering a closed
 * limit does not keep it closed: it opens as soon as enough of the
 * accepted events have left the window.
 *
 * Several souk-web workers or hosts may share one limit: they only need
 * the same Redis and roughly synchronised clocks.  Two concurrent events at
 * the very edge of a limit may both be refused (never both accepted beyond
 * it by more than the number of concurrent requests).
 */
#ifndef SOUK_KV_RATELIMIT_H
#define SOUK_KV_RATELIMIT_H

#include <stddef.h>

#include "kv/kv.h"

/* Longest key accepted by ratelimit_hit, bytes (without the "rl:" prefix). */
#define RATELIMIT_MAX_KEY 200

/* The outcome of one check. */
struct ratelimit_result {
	int allowed;		/* 1: go on; 0: over the limit */
	long retry_after;	/* when refused: whole seconds (>= 1) until one more
				   event would be allowed; 0 when allowed */
	int count;		/* events in the window, this one included when it
				   was recorded and allowed */
};

/*
 * ratelimit_decide - the sliding-window decision.
 * @stamps: times of the events already recorded, in milliseconds, sorted
 *	ascending (Redis ZRANGE order); entries older than the window may be
 *	present and are ignored.  NULL is allowed when @n is 0.
 * @n: number of entries in @stamps.
 * @now_ms: the current time in milliseconds.
 * @limit: events allowed per window (>= 1; smaller values refuse everything).
 * @window_ms: the window length in milliseconds (> 0).
 * @out: receives the decision for one more event at @now_ms: allowed when
 *	fewer than @limit events lie in (@now_ms - @window_ms, @now_ms];
 *	otherwise retry_after is the time until enough of them have aged out,
 *	rounded up to whole seconds.  out->count is the number of events in
 *	the window, plus one when allowed.
 */
void ratelimit_decide(const long long *stamps, size_t n, long long now_ms, int limit,
    long long window_ms, struct ratelimit_result *out);

/*
 * ratelimit_hit - check (and optionally record) one event for @key.
 * @kv: the process's Redis connection.
 * @key: what is limited, e.g. "login:ip:203.0.113.9" (at most
 *	RATELIMIT_MAX_KEY bytes; the set is "rl:" + @key).
 * @limit: events allowed per window.
 * @window: window length in seconds.
 * @record: 1 to add this event when it is allowed; 0 to only look (the
 *	event is then counted later, e.g. only when a log in fails, with
 *	another call with @record 1).
 * @out: the decision (see ratelimit_decide).
 * Returns: 0, or -1 when Redis is unreachable or answered an error (@out
 * is then "refused, retry after 5 s": callers answer 503 or 429).
 */
int ratelimit_hit(kv_conn_t *kv, const char *key, int limit, long window, int record,
    struct ratelimit_result *out);

/*
 * ratelimit_reset - forget every event of @key (e.g. in tests, or after
 * an operator lifts a limit).  Returns: 0, or -1 when Redis is unreachable.
 */
int ratelimit_reset(kv_conn_t *kv, const char *key);

#endif
