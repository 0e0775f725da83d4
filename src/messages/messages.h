/*
 * messages.h - buyer–seller conversations (issue 6, "Conversations").
 *
 *   messages.c     handlers (routes messages_routes), validation, templates
 *                  templates/messages/ (inbox, thread);
 *   messages_db.c  their SQL (tables in sql/0022_conversations.sql and
 *                  sql/0023_messages_more.sql);
 *   more.c         messages as live-event JSON (messages_publish_new);
 *   warn.c         the off-platform warning matcher;
 *   src/admin/support.c  the SUPPORT queue of user reports.
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
 *	GET  /inbox/{id}             the thread: the latest MESSAGES_THREAD_MAX
 *	                             messages, ?before=<message id> the ones
 *	                             before it ("Earlier messages",
 *	                             a[data-earlier]), ?reply_to=<id> fills
 *	                             the composer's quote, ?edit=<id> opens the
 *	                             edit form of one's own message (the no-JS
 *	                             path); marks it read (conversation.read
 *	                             to both); non-participants and forged
 *	                             ids get 404
 *	POST /inbox/{id}/messages    body (0..MESSAGES_BODY_MAX characters;
 *	                             empty only with files), files (up to
 *	                             MESSAGES_FILES_MAX images, videos or PDFs,
 *	                             private media), reply_to (a message of
 *	                             this conversation): 303 back to the
 *	                             thread; nothing → 422, too long or too
 *	                             many files → 413, a refused file → 422 or
 *	                             413, a forged reply_to → 404, blocked
 *	                             either way → 403, over MESSAGES_RATE_LIMIT
 *	                             a minute → 429 (the text kept every time)
 *	POST /inbox/{id}/messages/{mid}/edit    body: one's own message within
 *	                             MESSAGES_EDIT_WINDOW seconds (after → 409,
 *	                             someone else's → 403, deleted → 409,
 *	                             unknown → 404); event "message.edited"
 *	POST /inbox/{id}/messages/{mid}/delete  soft delete for both ("This
 *	                             message was deleted"); event
 *	                             "message.deleted"; someone else's → 403
 *	GET  /inbox/{id}/files/{mid} an attachment (media id {mid}) through
 *	                             X-Accel-Redirect: the two participants and
 *	                             staff only, else 404
 *	POST /inbox/{id}/typing      204; the ephemeral "typing" event on
 *	                             ev:c:<id>, at most one per
 *	                             MESSAGES_TYPING_EVERY seconds per user
 *	POST /inbox/{id}/read        up_to (a message id; empty = all): 204
 *	                             (JSON) or 303; "conversation.read" to both
 *	POST /inbox/{id}/report      reason (spam, scam, off_platform,
 *	                             harassment, inappropriate, other),
 *	                             details (<= MESSAGES_REPORT_MAX): a row in
 *	                             user_reports for the SUPPORT queue
 *	                             (src/admin/support.c); 303 ?reported=1
 *	GET  /inbox/with/{handle}    303 to the conversation with @handle (an
 *	                             existing one, or opened when one bought
 *	                             from the other or @handle is a seller),
 *	                             else 404 (the order room links here)
 *	POST /inbox/{id}/star        toggles the participant's star
 *	POST /inbox/{id}/archive     toggles the participant's archive flag
 *	POST /inbox/{id}/block       toggles blocking the other participant
 *
 * JSON: a POST with "Accept: application/json" gets JSON instead of 303 or
 * a page: messages → 201 {"message": <event data>}, edit → 200
 * {"message": ...}, delete/read/typing → 204; errors → 4xx {"error":
 * "<code>", "message": "<translated text>"} (codes empty, too_long,
 * too_many_files, file, blocked, rate, not_found, not_yours, deleted,
 * too_late).
 *
 * Live events (events_publish, src/events/events.h) after each commit, to
 * both participants: "message" (messages_publish_new below),
 * "message.edited" {conversation_id, message_id, body_html, warn,
 * edited_at}, "message.deleted" {conversation_id, message_id},
 * "conversation.read" {conversation_id, reader_id, last_read_message_id}.
 *
 * The off-platform warning: a message whose text matches one of config
 * message_warn_patterns (warn.c) is stored with warn = true and shown with
 * a safety banner.
 */
#ifndef SOUK_MESSAGES_MESSAGES_H
#define SOUK_MESSAGES_MESSAGES_H

#include <stddef.h>

#include <jansson.h>

#include "core/arena.h"
#include "db/db.h"
#include "http/http.h"
#include "http/router.h"
#include "kv/kv.h"

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
/* Seconds after sending during which a message may be edited. */
#define MESSAGES_EDIT_WINDOW 300
/* Files one message may carry, and the largest one in bytes (the media kind limits apply too). */
#define MESSAGES_FILES_MAX 5
#define MESSAGES_FILE_MAX_BYTES (10LL * 1024 * 1024)
/*
 * The message form's route reads a multipart body of up to
 * MESSAGES_UPLOAD_MAX_BODY bytes, any one file that large (src/web/app.c;
 * nginx's location for it allows as much): a file over
 * MESSAGES_FILE_MAX_BYTES reaches the handler, which answers 413 with the
 * typed text kept.  Only a body over this limit gets nginx's own 413 page.
 */
#define MESSAGES_POST_ROUTE "messages.post"
#define MESSAGES_UPLOAD_MAX_BODY ((size_t)61 * 1024 * 1024)
/* Longest report details, Unicode characters. */
#define MESSAGES_REPORT_MAX 2000
/* Typing events a user may send per conversation: one per this many seconds. */
#define MESSAGES_TYPING_EVERY 3

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
 * @gig_id (0 = none): the gig the buyer came from ("Contact seller" on a
 * gig page).  Used only when it is an active gig of @seller_id: a new
 * conversation records it as its source_gig_id (the CRM lead's source
 * gig, sql/0029_lead_source.sql); an existing conversation with
 * @seller_id as its seller and no source gig yet gets it (and so does its
 * lead when the lead has none).  Any other gig id is ignored.
 * Run inside a transaction.
 */
int messages_db_open(db_t *db, long long buyer_id, long long seller_id, long long gig_id,
    long long *out);

/*
 * messages_db_conversation - conversation @id as seen by participant
 * @user_id: {id, other_id, other_handle, starred, archived, blocked_by_me,
 * blocked_by_other}.  DB_ENOROW when it does not exist or @user_id is
 * not a participant.  @out: a new reference.
 */
int messages_db_conversation(db_t *db, long long id, long long user_id, json_t **out);

/*
 * messages_db_thread - up to @limit messages of conversation @id before
 * message @before (0 = the latest ones), oldest first, seen by @user_id:
 * {messages: [souk_message_json (sql/0023) + {mine, read (mine and the
 * other participant has read it)}], earlier: bool (older ones exist),
 * oldest: id | null, other_read: the other participant's
 * last_read_message_id}.  Deleted messages are included (body "").
 * @out: a new reference.
 */
int messages_db_thread(db_t *db, long long id, long long user_id, long long before, int limit,
    json_t **out);

/*
 * messages_db_mark_read - @user_id has read conversation @id up to message
 * @up_to (0 = its last message; never beyond it, never backwards); the
 * unread count is recomputed.  @last_read receives the new position.
 * Returns: DB_OK when the position or count changed, DB_ENOROW when
 * nothing changed (or not a participant), DB_ERROR, DB_EDOWN.
 */
int messages_db_mark_read(db_t *db, long long id, long long user_id, long long up_to,
    long long *last_read);

/*
 * messages_db_message - message @msg_id of conversation @conv_id: {id,
 * sender_id, kind, deleted, body, age (seconds since it was sent, by
 * souk_now())}.  DB_ENOROW when not in that conversation.
 */
int messages_db_message(db_t *db, long long conv_id, long long msg_id, json_t **out);

/*
 * messages_db_edit - replace the body of @sender_id's message @msg_id of
 * @conv_id with @body and its warn flag with @warn, if not deleted and
 * sent less than @window seconds ago (souk_now()).  DB_ENOROW otherwise.
 */
int messages_db_edit(db_t *db, long long conv_id, long long msg_id, long long sender_id,
    const char *body, int warn, int window);

/*
 * messages_db_delete - soft-delete @sender_id's message @msg_id of
 * @conv_id for both participants (deleted_at; the other's unread count is
 * recomputed).  DB_ENOROW when not theirs or already deleted.
 */
int messages_db_delete(db_t *db, long long conv_id, long long msg_id, long long sender_id);

/* messages_db_attach - attach media @media_id to message @msg_id at @position. */
int messages_db_attach(db_t *db, long long msg_id, long long media_id, int position);

/*
 * messages_db_file_allowed - DB_OK when media @media_id is attached to a
 * non-deleted message of conversation @conv_id and @user_id takes part in
 * it (or @staff is set), else DB_ENOROW.
 */
int messages_db_file_allowed(db_t *db, long long conv_id, long long media_id, long long user_id,
    int staff);

/*
 * messages_db_orders_between - the latest 20 orders between users @a and
 * @b (either role): [{id, title, state, url, i_buy (@a is the buyer)}].
 */
int messages_db_orders_between(db_t *db, long long a, long long b, json_t **out);

/*
 * messages_db_with - who is buyer and seller of a conversation between @me
 * and the user @handle: as in their conversation when they have one;
 * else @me buys when they bought from them or the other is a seller (and
 * did not buy from @me); @me sells when the other bought from them.
 * DB_ENOROW for an unknown handle, @me, or a pair without a conversation
 * or an order where the other is no seller.
 */
int messages_db_with(db_t *db, long long me, const char *handle, long long *other_id,
    long long *buyer_id, long long *seller_id);

/*
 * messages_db_report - file a report by @reporter_id on @reported_id about
 * conversation @conv_id: @reason (one of MESSAGES_REPORT_REASONS) and
 * @details (<= 2000 characters).  @report_id receives the new id.
 */
int messages_db_report(db_t *db, long long reporter_id, long long reported_id, long long conv_id,
    const char *reason, const char *details, long long *report_id);

/*
 * messages_db_insert - add message @body from @sender_id to conversation
 * @id (the trigger updates the conversation and unread counts).  @msg_id
 * receives its id, @at (32 bytes) its time "YYYY-MM-DDTHH:MI:SSZ" (UTC).
 */
int messages_db_insert(db_t *db, long long id, long long sender_id, const char *body,
    long long *msg_id, char at[32]);

/*
 * messages_db_insert_ex - add message @body (UTF-8, at most
 * MESSAGES_BODY_MAX characters; "" only for a message that will get
 * attachments) of kind @kind ("user", "auto", "offer" or "system"; NULL =
 * "user") from @sender_id to conversation @conv_id, quoting message
 * @reply_to_id of the same conversation (0 = none), inside the caller's
 * transaction.  The off-platform flag messages.warn is set when @body
 * matches messages_warn_match() (patterns from messages_warn_init(), else
 * the configuration defaults).  The trigger updates the
 * conversation and the unread counts.
 * @msg_id receives the new id, @at (32 bytes) its time
 * "YYYY-MM-DDTHH:MI:SSZ" (UTC).
 * Returns: DB_OK; DB_ENOROW when @reply_to_id is not a message of
 * @conv_id; DB_ERROR (the transaction is aborted: roll back) or DB_EDOWN.
 * messages_db_insert() is this with kind "user" and no reply.
 */
int messages_db_insert_ex(db_t *db, long long conv_id, long long sender_id, const char *body,
    const char *kind, long long reply_to_id, long long *msg_id, char at[32]);

/*
 * messages_publish_new - after the commit that inserted message @msg_id of
 * conversation @conv_id: load it and publish the "message" live event
 * (events_publish, src/events/events.h) to both participants, data
 * {conversation_id, message_id, sender_id, sender_handle, kind, body_html,
 * at (ISO UTC), edited, warn, reply_to: null | {id, sender_handle,
 * snippet}, attachments: [{id, name, size (bytes), url}]} (the brief's
 * contract; a few more fields may be present).
 * Returns: 0; -1 when the message is not found, the database or Redis
 * failed (logged; the message itself stands).
 */
int messages_publish_new(kv_conn_t *kv, db_t *db, long long conv_id, long long msg_id);

/*
 * messages_message_json - message @msg_id of conversation @conv_id as the
 * live event data above (body_html rendered by markdown.h, "" for a
 * deleted message), plus "mine" for @viewer_id.
 * @out: receives a new reference on DB_OK.
 * Returns: DB_OK, DB_ENOROW (no such message in that conversation),
 * DB_ERROR or DB_EDOWN.
 */
int messages_message_json(db_t *db, long long conv_id, long long msg_id, long long viewer_id,
    json_t **out);

/* ==== the SUPPORT queue of reports (src/admin/support.c; routes in admin_routes) ==== */

int support_list(http_req_t *req);	/* GET  /admin/support ?status=&page= */
int support_show(http_req_t *req);	/* GET  /admin/support/{id:int} */
int support_resolve(http_req_t *req);	/* POST /admin/support/{id:int}/resolve (note) */
int support_dismiss(http_req_t *req);	/* POST /admin/support/{id:int}/dismiss (note) */

/* ==== the off-platform warning (warn.c) ==== */

/*
 * messages_warn_init - compile @patterns (config message_warn_patterns:
 * POSIX extended regular expressions separated by " ;; ", matched
 * case-insensitively, regcomp REG_EXTENDED|REG_ICASE|REG_NOSUB) into the
 * process-wide cache.  Calling it again with the same text is a cheap
 * no-op, with another text it replaces the cache.  NULL or "" clears it.
 * A pattern that does not compile is logged and skipped.
 * Not thread-safe (souk-web and souk-worker run one request/job at a time
 * per process).
 * Returns: the number of patterns compiled (>= 0), or -1 when out of memory.
 */
int messages_warn_init(const char *patterns);

/*
 * messages_warn_match - whether the UTF-8 text @text matches any cached
 * pattern (messages_warn_init; a process that never called it first loads
 * the defaults of src/core/config.c, or $SOUK_MESSAGE_WARN_PATTERNS).
 * Returns 1 or 0 (0 for NULL @text or an empty cache).
 */
int messages_warn_match(const char *text);

/* messages_warn_free - release the cache (at exit; for leak checkers). */
void messages_warn_free(void);

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
