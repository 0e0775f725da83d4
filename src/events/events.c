/*
 * events.c - append to each recipient's capped stream, then PUBLISH
 * (events.h has the Redis layout souk-sse reads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "core/log.h"
#include "events/events.h"

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
		char *msg;
		size_t len;

		snprintf(key, sizeof(key), "ev:u:%lld", user_ids[i]);
		const char *xadd[] = { "XADD", key, "MAXLEN", "~", maxlen, "*",
			"type", type, "data", text };
		r = kv_command(kv, 10, xadd, NULL);
		if (r == NULL || r->type != REDIS_REPLY_STRING) {
			log_warn("events: XADD %s failed: %s", key,
			    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "no connection");
			if (r != NULL)
				freeReplyObject(r);
			rc = -1;
			continue;
		}
		len = strlen(r->str) + 1 + strlen(type) + 1 + strlen(text);
		msg = malloc(len + 1);
		if (msg == NULL) {
			freeReplyObject(r);
			rc = -1;
			continue;
		}
		snprintf(msg, len + 1, "%s\n%s\n%s", r->str, type, text);
		freeReplyObject(r);
		const char *pub[] = { "PUBLISH", key, msg };
		r = kv_command(kv, 3, pub, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			log_warn("events: PUBLISH %s failed", key);
			rc = -1;
		}
		if (r != NULL)
			freeReplyObject(r);
		free(msg);
	}
	free(text);
	return rc;
}
