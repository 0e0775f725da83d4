/*
 * events.h - live events for souk-sse (src/sse): after a change commits,
 * souk-web (or souk-worker) appends one event per recipient to that user's
 * capped Redis stream and PUBLISHes it, so a connected browser gets it at
 * once and a reconnecting one replays what it missed (Last-Event-ID).
 *
 * Redis layout (the contract between publisher and souk-sse):
 *   stream  "ev:u:<user_id>"  XADD ... MAXLEN ~ EVENTS_STREAM_MAX * fields:
 *           "type" <event type>, "data" <JSON object text>
 *           The stream entry id ("1700000000000-0") is the SSE "id:".
 *   channel "ev:u:<user_id>"  PUBLISH <entry id> "\n" <type> "\n" <data>
 *
 * Event types: "message" (a conversation message), "conversation.read",
 * "notification", "order" (an order room change), "typing", "presence".
 */
#ifndef SOUK_EVENTS_EVENTS_H
#define SOUK_EVENTS_EVENTS_H

#include <jansson.h>

#include "kv/kv.h"

/* How many events a user's stream keeps (approximately, MAXLEN ~). */
#define EVENTS_STREAM_MAX 1000

/*
 * events_publish - append event @type with @data (a JSON object; borrowed)
 * to the stream of each of the @n users in @user_ids and publish it.
 * Call only after the database transaction that caused it committed.
 * Returns 0, or -1 when Redis failed for at least one user (logged; the
 * change itself stands: the browser sees it on the next page load).
 */
int events_publish(kv_conn_t *kv, const long long *user_ids, int n, const char *type,
    json_t *data);

#endif
