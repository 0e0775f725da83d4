/*
 * messages.h - buyer–seller conversations (issue 6, "Conversations").
 *
 *   messages.c     handlers (routes messages_routes), validation, templates
 *                  templates/messages/ (inbox, thread);
 *   messages_db.c  their SQL (tables in sql/0022_conversations.sql).
 *
 * Routes (min_role BUYER: every signed-in user):
 *
 *	GET  /inbox                  ?filter=all|unread|starred|archived&page=N
 *	                             (20 conversations a page, newest first);
 *	                             ?search=<words>&page=N: the caller's messages
 *	                             matching (full text, English words and
 *	                             Chinese bigrams as for gigs), newest first
 *	GET  /contact/{handle}       the conversation with seller @handle,
 *	POST /messages/new           ?seller=<handle> (same); both 303 to
 *	                             /inbox/<id>, creating it on first contact;
 *	                             yourself → 422, unknown or not a seller → 404,
 *	                             more than MESSAGES_NEW_LIMIT new ones an
 *	                             hour → 429 (existing ones always open)
 *	GET  /inbox/{id}             the thread (latest THREAD_MAX messages);
 *	                             marks it read; non-participants get 404
 *	POST /inbox/{id}/messages    body (1..MESSAGES_BODY_MAX characters):
 *	                             303 back to the thread; empty → 422,
 *	                             too long → 413 (text kept), blocked either
 *	                             way → 403, over MESSAGES_RATE_LIMIT a
 *	                             minute → 429 (text kept)
 *	POST /inbox/{id}/star        toggles the participant's star
 *	POST /inbox/{id}/archive     toggles the participant's archive flag
 *	POST /inbox/{id}/block       toggles blocking the other participant
 *
 * After a message commits, events_publish (src/events/events.h) sends
 * type "message", data {conversation_id, message_id, sender_handle,
 * body_html, at} to both participants.
 */
#ifndef SOUK_MESSAGES_MESSAGES_H
#define SOUK_MESSAGES_MESSAGES_H

#include <stddef.h>

#include <jansson.h>

#include "core/arena.h"
#include "db/db.h"
#include "http/router.h"

/* Longest message body, Unicode characters (the column's CHECK agrees). */
#define MESSAGES_BODY_MAX 5000
/* Messages a thread page shows (the latest ones). */
#define MESSAGES_THREAD_MAX 50
/* Conversations per inbox page. */
#define MESSAGES_INBOX_PAGE 20
/* Messages a sender may post per window, and the window in seconds. */
#define MESSAGES_RATE_LIMIT 30
#define MESSAGES_RATE_WINDOW 60
/* New conversations a user may start per window, and the window in seconds. */
#define MESSAGES_NEW_LIMIT 10
#define MESSAGES_NEW_WINDOW 3600

extern const route_t messages_routes[];
extern const size_t messages_nroutes;

/*
 * messages_unread_total - the number of unread messages of @user_id over
 * all conversations (the header badge): one indexed sum.
 * Returns: the count (>= 0), or -1 when the query failed.
 */
long long messages_unread_total(db_t *db, long long user_id);

/* ==== queries (messages_db.c); all return DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN ==== */

/* messages_db_unread_total - see messages_unread_total; @out receives the count. */
int messages_db_unread_total(db_t *db, long long user_id, long long *out);

/* messages_db_seller_id - the id of the user with SELLER role and handle @handle (else DB_ENOROW). */
int messages_db_seller_id(db_t *db, const char *handle, long long *out);

/* messages_db_find - the id of the conversation between users @a and @b (either role), or DB_ENOROW. */
int messages_db_find(db_t *db, long long a, long long b, long long *out);

/*
 * messages_db_open - the conversation between @buyer_id and @seller_id
 * (either direction: one per pair), created with both participants'
 * member rows when there is none.  @out receives its id.
 */
int messages_db_open(db_t *db, long long buyer_id, long long seller_id, long long *out);

/*
 * messages_db_conversation - conversation @id as seen by participant
 * @user_id: {id, other_id, other_handle, starred, archived, blocked_by_me,
 * blocked_by_other}.  DB_ENOROW when it does not exist or @user_id is
 * not a participant.  @out: a new reference.
 */
int messages_db_conversation(db_t *db, long long id, long long user_id, json_t **out);

/*
 * messages_db_thread - the latest @limit messages of conversation @id,
 * oldest first: [{id, sender_id, sender_handle, body, at, mine}], @user_id
 * deciding "mine".  @out: a new reference (an array).
 */
int messages_db_thread(db_t *db, long long id, long long user_id, int limit, json_t **out);

/* messages_db_mark_read - @user_id has read conversation @id up to its last message. */
int messages_db_mark_read(db_t *db, long long id, long long user_id);

/*
 * messages_db_insert - add message @body from @sender_id to conversation
 * @id (the trigger updates the conversation and unread counts).  @msg_id
 * receives its id, @at (32 bytes) its time "YYYY-MM-DDTHH:MI:SSZ" (UTC).
 */
int messages_db_insert(db_t *db, long long id, long long sender_id, const char *body,
    long long *msg_id, char at[32]);

/*
 * messages_db_inbox - @user_id's conversations, last message first,
 * filtered by @filter ("all", "unread", "starred", "archived": "all" hides
 * archived ones; a conversation without messages is listed only to the
 * buyer who opened it), page @page (1-based) of @per: {rows: [{id, other_handle,
 * unread, starred, archived, last_at, snippet}], more: bool}.
 */
int messages_db_inbox(db_t *db, long long user_id, const char *filter, long long page, int per,
    json_t **out);

/*
 * messages_db_search - @user_id's messages (in conversations they take part
 * in, not deleted) matching what was typed in @q (souk_search_query,
 * sql/0001), newest first, page @page (1-based) of @per:
 * {rows: [{id, conversation_id, other_handle, snippet, at}], more: bool}.
 */
int messages_db_search(db_t *db, long long user_id, const char *q, long long page, int per,
    json_t **out);

/* messages_db_toggle - flip @user_id's flag @flag ("starred" or "archived") on conversation @id. */
int messages_db_toggle(db_t *db, long long id, long long user_id, const char *flag);

/* messages_db_block_toggle - @blocker_id blocks @blocked_id, or unblocks when already blocking. */
int messages_db_block_toggle(db_t *db, long long blocker_id, long long blocked_id);

#endif
