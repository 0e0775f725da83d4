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
 *
 * Ephemeral channels (PUBLISH only, no stream, no replay; the entry id
 * before the first "\n" is empty, so souk-sse sends no "id:" line):
 *   "ev:c:<conversation_id>"  typing in a conversation
 *   "ev:p:<user_id>"          a user's presence (online / last seen)
 * A browser gets these only with a conversation scope: /events?conversation=
 * <id>&scope=<events_scope_token()>; souk-sse answers 403 to a missing,
 * forged or expired scope and then subscribes that client to ev:c:<id>
 * and ev:p:<other participant>.
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

/*
 * events_publish_ephemeral - PUBLISH event @type with @data (borrowed JSON
 * object) on channel @channel ("ev:c:<id>" or "ev:p:<id>") with an empty
 * entry id: delivered to whoever listens now, never stored or replayed.
 * Returns 0, or -1 when Redis failed (logged).
 */
int events_publish_ephemeral(kv_conn_t *kv, const char *channel, const char *type, json_t *data);

/* Bytes a scope token needs, with its NUL. */
#define EVENTS_SCOPE_MAX 128

/*
 * events_scope_token - the scope that lets @user_id listen to conversation
 * @conv_id's ephemeral channel and to @other_id's presence until @expires
 * (Unix seconds): "<expires>.<other_id>.<hex MAC>", the MAC being
 * crypto_auth (HMAC-SHA-512-256, libsodium) keyed with the server key @key
 * over "souk-scope:c:<conv_id>:<user_id>:<other_id>:<expires>".
 * @out: @outlen (>= EVENTS_SCOPE_MAX) bytes, NUL-terminated.
 * Returns 0, or -1 when @outlen is too small.
 */
int events_scope_token(const unsigned char key[32], long long user_id, long long conv_id,
    long long other_id, long long expires, char *out, size_t outlen);

/*
 * events_scope_check - verify @token (from events_scope_token) for @user_id
 * and @conv_id at time @now (Unix seconds), in constant time.
 * @other_id: receives the other participant's id when valid.
 * Returns 0 when valid, -1 when malformed, forged or expired.
 */
int events_scope_check(const unsigned char key[32], long long user_id, long long conv_id,
    const char *token, long long now, long long *other_id);

#endif
