/*
 * sse.h - souk-sse: Server-Sent Events (text/event-stream) on libevent's
 * evhttp, fed by Redis through hiredis's async libevent adapter.
 *
 * The Redis layout is src/events/events.h's: per user a capped stream
 * "ev:u:<id>" (fields type, data; the entry id is the SSE id) and a PUBLISH
 * on the channel "ev:u:<id>" with "<entry id>\n<type>\n<json>".
 *
 * Ephemeral channels (events.h): "ev:c:<conversation_id>" (typing) and
 * "ev:p:<user_id>" (presence), PUBLISHed as "\n<type>\n<json>" (an empty
 * entry id): written without an "id:" line, never stored, so they never
 * move a client's Last-Event-ID; a client still replaying skips them.
 *
 * One process holds two async Redis connections: a subscriber that
 * PSUBSCRIBEs "ev:u:*", "ev:c:*" and "ev:p:*" once (every instance gets
 * every event and dispatches it to its own clients through two tables: user
 * id -> clients, and (conversation | presence user) -> scoped clients; an
 * idle client costs a fixed struct of ~250 bytes plus libevent's connection,
 * whatever its scope, and no per-client Redis subscription), and a command
 * connection for the session look-up (HGETALL), the replay (XRANGE) and
 * presence.  When the subscriber connection drops, every client is
 * closed (they reconnect with Last-Event-ID and lose nothing) and the
 * connection is retried every second; meanwhile GET /events answers 503.
 *
 * Routes (nginx proxies /events here unbuffered):
 *   GET /events         the stream of the signed-in user.  The souk_sess
 *                       cookie is checked as session_load() does
 *                       (src/identity/session.c): token syntax, the hash
 *                       "sess:<hex sha256(token)>" must hold uid > 0, a
 *                       64-digit csrf secret and abs_exp in the future; the
 *                       idle limit is the key's TTL.  The idle expiry is
 *                       not slid (a stream is not page activity); at each
 *                       heartbeat the key must still exist, else the
 *                       stream is closed (signed out, ended, expired).  No
 *                       session -> 401; more than sse_max_per_user open
 *                       streams -> 429; Redis down -> 503.
 *                       Last-Event-ID (header, or ?last_event_id=) of the
 *                       form "<ms>-<seq>" replays the stream's entries after
 *                       it before going live; anything else (absent or
 *                       malformed) starts live after the stream's newest
 *                       entry, announced first as "id: <top>\nevent: ready\n
 *                       data: {"last_event_id":"<top>"}" ("0-0" for an empty
 *                       stream), so that a browser cut off before any event
 *                       still reconnects with a Last-Event-ID.
 *   GET /events?conversation=<id>&scope=<token>
 *                       the same stream plus the conversation's typing
 *                       ("ev:c:<id>") and the other participant's presence
 *                       ("ev:p:<other>"; the current state is sent as a first
 *                       "presence" event).  The token is checked with
 *                       events_scope_check() against the user of the session
 *                       and the server key (cfg.secret_key, 64 hex digits, or
 *                       souk-web's development key when unset): missing,
 *                       forged, expired or another user's -> 403 and no
 *                       stream; a conversation id that is not a positive
 *                       number, or a scope without a conversation -> 400.
 *   GET /events/health  JSON {connections, users, events_total,
 *                       events_per_second (last 10 s), delivered_total,
 *                       dropped_slow, rejected_cap, redis}.
 *
 * Presence (Redis keys read by souk-web and souk-worker): while this
 * instance holds a stream of user U it SETs "presence:u:<U>" = "1" with EX
 * max(3 x sse_heartbeat, 30) s, at the first stream and at every heartbeat
 * ("SET ... GET": when the key was absent, U just came online and
 * {user_id, online: true, last_seen: null} is PUBLISHed as a "presence"
 * event on "ev:p:<U>").  PRESENCE_GRACE (2) seconds after U's last stream
 * here closed, unless one opened again meanwhile (a page change), it DELs
 * the key, SETs "lastseen:u:<U>" = Unix seconds (EX 30 days) and PUBLISHes
 * {online: false, last_seen: ISO UTC}.  Another instance still holding a
 * stream of U sets the key again at its next heartbeat and announces U
 * online again.  On SIGTERM the users go offline at once.
 *
 * Each event is written as "id: <entry id>\nevent: <type>\ndata: <json>\n\n";
 * a ": hb\n\n" comment every sse_heartbeat seconds; "retry: 3000" at the
 * start.  A client whose unsent output exceeds sse_max_buffer bytes is
 * dropped.  SIGTERM/SIGINT: each client gets "retry: <ms>" and the end of
 * its stream, then the process exits 0.
 */
#ifndef SOUK_SSE_SSE_H
#define SOUK_SSE_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* A stream entry id "<ms>-<seq>". */
struct sse_id {
	uint64_t ms, seq;
};

/*
 * sse_id_parse - parse the stream entry id @s ("1700000000000-0"; digits,
 * one '-', digits, nothing else, at most 20 digits each) into @id.
 * Returns: 0, or -1 when @s is malformed (@id untouched).
 */
int sse_id_parse(const char *s, struct sse_id *id);

/* sse_id_cmp - <0, 0, >0 as @a is before, equal to or after @b. */
int sse_id_cmp(const struct sse_id *a, const struct sse_id *b);

/*
 * sse_cookie - the value of cookie @name in the Cookie header @header
 * (NULL allowed), copied into @out (@outlen bytes, NUL-terminated).
 * Returns: 0, or -1 when absent or longer than @outlen - 1.
 */
int sse_cookie(const char *header, const char *name, char *out, size_t outlen);

/*
 * sse_session_key - the Redis key of the session whose cookie token is
 * @token, as session.c derives it: "sess:" + hex(SHA-256(token)), into
 * @key (70 bytes).  Returns: 0, or -1 when @token is not 43 base64url
 * characters (a forged cookie: no look-up).
 */
int sse_session_key(const char *token, char key[70]);

/*
 * sse_frame - append the SSE frame of one event to @out (a struct
 * evbuffer *): "id: <id>\nevent: <type>\ndata: <line>\n...\n" (each line of
 * @data, @datalen bytes, its own data: line); no "id:" line when @id is NULL
 * or empty (an ephemeral event).  Returns: 0, or -1 on no memory.
 */
int sse_frame(void *out, const char *id, const char *type, const char *data, size_t datalen);

/*
 * sse_run - serve on @cfg->sse_listen until SIGTERM/SIGINT (@cfg borrowed,
 * must outlive the call).  Returns: 0 after a graceful stop, -1 when the
 * listen address cannot be bound (logged).
 */
int sse_run(const struct souk_config *cfg);

#endif
