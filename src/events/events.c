/*
 * events.c - append to each recipient's capped stream, then PUBLISH
 * (events.h has the Redis layout souk-sse reads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <sodium.h>

#include "core/log.h"
#include "events/events.h"

/*
 * XADD and PUBLISH as one step: a Lua script runs atomically in Redis, so
 * publications on a channel come in the order of their stream ids.  With two
 * separate commands, two publishers (souk-web and souk-worker) could
 * interleave (XADD A, XADD B, PUBLISH B, PUBLISH A) and souk-sse, which drops
 * an id at or below the last one it sent, would lose A until a reconnect.
 * KEYS[1] the stream and channel; ARGV: MAXLEN, type, data.
 */
static const char publish_script[] =
	"local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',"
	" 'type', ARGV[2], 'data', ARGV[3])\n"
	"redis.call('PUBLISH', KEYS[1], id .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3])\n"
	"return id\n";

int
events_publish(kv_conn_t *kv, const long long *user_ids, int n, const char *type,
    json_t *data)
{
	char key[48], maxlen[24], *text;
	int rc = 0;

	if ((text = json_dumps(data, JSON_COMPACT)) == NULL)
		return -1;
	snprintf(maxlen, sizeof(maxlen), "%d", EVENTS_STREAM_MAX);
	for (int i = 0; i < n; i++) {
		redisReply *r;

		snprintf(key, sizeof(key), "ev:u:%lld", user_ids[i]);
		const char *eval[] = { "EVAL", publish_script, "1", key, maxlen, type, text };
		r = kv_command(kv, 7, eval, NULL);
		if (r == NULL || r->type != REDIS_REPLY_STRING) {
			log_warn("events: publishing to %s failed: %s", key,
			    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "no connection");
			rc = -1;
		}
		if (r != NULL)
			freeReplyObject(r);
	}
	free(text);
	return rc;
}

int
events_publish_ephemeral(kv_conn_t *kv, const char *channel, const char *type, json_t *data)
{
	char *text, *msg;
	redisReply *r;
	size_t len;
	int rc = 0;

	if ((text = json_dumps(data, JSON_COMPACT)) == NULL)
		return -1;
	len = 1 + strlen(type) + 1 + strlen(text);
	if ((msg = malloc(len + 1)) == NULL) {
		free(text);
		return -1;
	}
	snprintf(msg, len + 1, "\n%s\n%s", type, text);
	const char *pub[] = { "PUBLISH", channel, msg };
	r = kv_command(kv, 3, pub, NULL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		log_warn("events: PUBLISH %s failed", channel);
		rc = -1;
	}
	if (r != NULL)
		freeReplyObject(r);
	free(msg);
	free(text);
	return rc;
}

/* The MAC of the scope (conv, user, other, expires) as lowercase hex in @hex. */
static void
scope_mac(const unsigned char key[32], long long user_id, long long conv_id, long long other_id,
    long long expires, char hex[2 * crypto_auth_BYTES + 1])
{
	unsigned char mac[crypto_auth_BYTES];
	char msg[160];
	int n;

	n = snprintf(msg, sizeof(msg), "souk-scope:c:%lld:%lld:%lld:%lld", conv_id, user_id,
	    other_id, expires);
	crypto_auth(mac, (const unsigned char *)msg, (unsigned long long)n, key);
	sodium_bin2hex(hex, 2 * crypto_auth_BYTES + 1, mac, sizeof(mac));
}

int
events_scope_token(const unsigned char key[32], long long user_id, long long conv_id,
    long long other_id, long long expires, char *out, size_t outlen)
{
	char hex[2 * crypto_auth_BYTES + 1];
	int n;

	if (outlen < EVENTS_SCOPE_MAX)
		return -1;
	scope_mac(key, user_id, conv_id, other_id, expires, hex);
	n = snprintf(out, outlen, "%lld.%lld.%s", expires, other_id, hex);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* A decimal number of 1..19 digits starting @s and ending at @end ('.'); -1 when not. */
static long long
scope_number(const char *s, const char **end)
{
	long long v = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 18) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || *s != '.')
		return -1;
	*end = s + 1;
	return v;
}

int
events_scope_check(const unsigned char key[32], long long user_id, long long conv_id,
    const char *token, long long now, long long *other_id)
{
	char hex[2 * crypto_auth_BYTES + 1];
	long long expires, other;
	const char *p;

	if (token == NULL || strlen(token) >= EVENTS_SCOPE_MAX)
		return -1;
	if ((expires = scope_number(token, &p)) < 0 || (other = scope_number(p, &p)) < 0)
		return -1;
	if (strlen(p) != 2 * crypto_auth_BYTES || expires < now)
		return -1;
	scope_mac(key, user_id, conv_id, other, expires, hex);
	if (sodium_memcmp(hex, p, 2 * crypto_auth_BYTES) != 0)
		return -1;
	*other_id = other;
	return 0;
}
