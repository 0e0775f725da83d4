/*
 * kv.h - the Redis connection of a process (hiredis).
 *
 * Redis holds only what can be rebuilt or expire: sessions, rate limits,
 * caches, live-event fan-out.  A dropped connection is re-established by
 * the next call, at most one attempt per half second.
 */
#ifndef SOUK_KV_KV_H
#define SOUK_KV_KV_H

#include <stddef.h>

#include <hiredis/hiredis.h>

typedef struct kv_conn kv_conn_t;

/*
 * kv_new - remember @url ("unix:/path/redis.sock" or "host:port") and try to
 * connect (a failure is retried later).  Returns: a handle owned by the
 * caller (kv_free), never NULL.
 */
kv_conn_t *kv_new(const char *url);

/* kv_free - close and free (NULL ignored). */
void kv_free(kv_conn_t *kv);

/* kv_ensure - reconnect if needed. Returns 0 when connected, -1 otherwise. */
int kv_ensure(kv_conn_t *kv);

/*
 * kv_command - send one command given as @argc binary-safe arguments
 * (@argv strings with @argvlen byte lengths; NULL lengths = strlen).
 * Returns: the reply, owned by the caller (freeReplyObject), or NULL when
 * Redis is unreachable (the connection is dropped and retried later).
 * A Redis error reply is returned as a REDIS_REPLY_ERROR reply.
 */
redisReply *kv_command(kv_conn_t *kv, int argc, const char **argv, const size_t *argvlen);

#endif
