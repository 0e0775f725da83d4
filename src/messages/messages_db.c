/*
 * messages_db.c - the SQL of conversations (see messages.h).  SQL only;
 * every value travels as a text parameter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messages/messages.h"

int
messages_db_unread_total(db_t *db, long long user_id, long long *out)
{
	char u[24];
	const char *p[1] = { DB_NUM(u, user_id) };

	return db_query_bigint(db, out,
	    "SELECT coalesce(sum(unread_count), 0) FROM conversation_members"
	    " WHERE user_id = $1::bigint AND unread_count > 0", 1, p);
}

int
messages_db_seller_id(db_t *db, const char *handle, long long *out)
{
	const char *p[1] = { handle };

	return db_query_bigint(db, out,
	    "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'SELLER'"
	    " WHERE u.handle = $1", 1, p);
}

int
messages_db_find(db_t *db, long long a, long long b, long long *out)
{
	char x[24], y[24];
	const char *p[2] = { DB_NUM(x, a), DB_NUM(y, b) };

	return db_query_bigint(db, out,
	    "SELECT id FROM conversations WHERE (buyer_id = $1::bigint AND"
	    " seller_id = $2::bigint) OR (buyer_id = $2::bigint AND seller_id = $1::bigint)"
	    " ORDER BY id LIMIT 1", 2, p);
}

/* The gig $3 when it is an active gig of seller $2, else NULL (messages_db_open). */
#define SOURCE_GIG "(SELECT x.id FROM gigs x WHERE x.id = $3::bigint" \
	" AND x.seller_id = $2::bigint AND x.status = 'active')"

int
messages_db_open(db_t *db, long long buyer_id, long long seller_id, long long gig_id,
    long long *out)
{
	char b[24], s[24], c[24], g[24];
	const char *p[3] = { DB_NUM(b, buyer_id), DB_NUM(s, seller_id),
	    gig_id > 0 ? DB_NUM(g, gig_id) : NULL };
	const char *find = "SELECT id FROM conversations WHERE (buyer_id = $1::bigint AND"
	    " seller_id = $2::bigint) OR (buyer_id = $2::bigint AND seller_id = $1::bigint)"
	    " ORDER BY id LIMIT 1";
	int rc;

	rc = db_query_bigint(db, out, find, 2, p);
	if (rc == DB_ENOROW) {
		rc = db_exec(db, NULL, "INSERT INTO conversations (buyer_id, seller_id, source_gig_id)"
		    " VALUES ($1::bigint, $2::bigint, " SOURCE_GIG ") ON CONFLICT DO NOTHING", 3, p);
		if (rc == DB_OK)
			rc = db_query_bigint(db, out, find, 2, p);
	} else if (rc == DB_OK && gig_id > 0) {
		/* an existing conversation of this seller without a source gig gets
		 * it (its lead too when it has none: sql/0029_lead_source.sql) */
		const char *q[4] = { b, s, p[2], DB_NUM(c, *out) };

		rc = db_exec(db, NULL, "UPDATE conversations SET source_gig_id = " SOURCE_GIG
		    " WHERE id = $4::bigint AND seller_id = $2::bigint AND buyer_id = $1::bigint"
		    " AND source_gig_id IS NULL AND " SOURCE_GIG " IS NOT NULL", 4, q);
	}
	if (rc != DB_OK)
		return rc;
	{
		const char *q[3] = { DB_NUM(c, *out), b, s };

		return db_exec(db, NULL, "INSERT INTO conversation_members (conversation_id, user_id)"
		    " VALUES ($1::bigint, $2::bigint), ($1::bigint, $3::bigint)"
		    " ON CONFLICT DO NOTHING", 3, q);
	}
}

int
messages_db_conversation(db_t *db, long long id, long long user_id, json_t **out)
{
	char c[24], u[24];
	const char *p[2] = { DB_NUM(c, id), DB_NUM(u, user_id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', c.id, 'other_id', o.id, 'other_handle', o.handle,"
	    " 'starred', m.starred, 'archived', m.archived,"
	    " 'blocked_by_me', EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = $2::bigint"
	    "  AND blocked_id = o.id),"
	    " 'blocked_by_other', EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = o.id"
	    "  AND blocked_id = $2::bigint))"
	    " FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id"
	    "  AND m.user_id = $2::bigint"
	    " JOIN users o ON o.id = CASE WHEN c.buyer_id = $2::bigint THEN c.seller_id"
	    "  ELSE c.buyer_id END"
	    " WHERE c.id = $1::bigint", 2, p);
}

int
messages_db_thread(db_t *db, long long id, long long user_id, long long before, int limit,
    json_t **out)
{
	char c[24], u[24], b[24], l[24], w[24];
	const char *p[5] = { DB_NUM(c, id), DB_NUM(u, user_id), DB_NUM(b, before), DB_NUM(l, limit),
	    DB_NUM(w, MESSAGES_EDIT_WINDOW) };

	return db_query_json(db, out,
	    "WITH o AS (SELECT coalesce((SELECT last_read_message_id FROM conversation_members"
	    "  WHERE conversation_id = $1::bigint AND user_id <> $2::bigint LIMIT 1), 0) AS r),"
	    " t AS (SELECT m.* FROM messages m WHERE m.conversation_id = $1::bigint"
	    "  AND ($3::bigint = 0 OR m.id < $3::bigint)"
	    "  ORDER BY m.id DESC LIMIT $4::int + 1),"
	    " n AS (SELECT * FROM t ORDER BY id DESC LIMIT $4::int)"
	    " SELECT json_build_object('earlier', (SELECT count(*) FROM t) > $4::int,"
	    " 'oldest', (SELECT min(id) FROM n), 'other_read', (SELECT r FROM o),"
	    " 'messages', coalesce((SELECT json_agg((souk_message_json(n)::jsonb"
	    "  || jsonb_build_object('mine', n.sender_id = $2::bigint,"
	    "  'read', n.sender_id = $2::bigint AND n.id <= (SELECT r FROM o),"
	    "  'editable_now', n.kind = 'user'"
	    "   AND n.created_at > souk_now() - make_interval(secs => $5::int)))::json"
	    "  ORDER BY n.id) FROM n), '[]'::json))", 5, p);
}

int
messages_db_mark_read(db_t *db, long long id, long long user_id, long long up_to,
    long long *last_read)
{
	char c[24], u[24], t[24];
	const char *p[3] = { DB_NUM(c, id), DB_NUM(u, user_id), DB_NUM(t, up_to) };

	return db_query_bigint(db, last_read,
	    "WITH v AS (SELECT m.conversation_id, m.user_id, greatest(m.last_read_message_id,"
	    "  CASE WHEN $3::bigint > 0 THEN least($3::bigint, coalesce(c.last_message_id, 0))"
	    "  ELSE coalesce(c.last_message_id, 0) END) AS pos"
	    "  FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id"
	    "  WHERE m.conversation_id = $1::bigint AND m.user_id = $2::bigint)"
	    " UPDATE conversation_members m SET last_read_message_id = v.pos,"
	    " unread_count = (SELECT count(*) FROM messages x WHERE x.conversation_id = v.conversation_id"
	    "  AND x.sender_id <> v.user_id AND x.id > v.pos AND x.deleted_at IS NULL)"
	    " FROM v WHERE m.conversation_id = v.conversation_id AND m.user_id = v.user_id"
	    " AND (m.last_read_message_id < v.pos OR m.unread_count <> (SELECT count(*)"
	    "  FROM messages x WHERE x.conversation_id = v.conversation_id"
	    "  AND x.sender_id <> v.user_id AND x.id > v.pos AND x.deleted_at IS NULL))"
	    " RETURNING m.last_read_message_id", 3, p);
}

int
messages_db_insert(db_t *db, long long id, long long sender_id, const char *body,
    long long *msg_id, char at[32])
{
	return messages_db_insert_ex(db, id, sender_id, body, "user", 0, msg_id, at);
}

int
messages_db_insert_ex(db_t *db, long long conv_id, long long sender_id, const char *body,
    const char *kind, long long reply_to_id, long long *msg_id, char at[32])
{
	char c[24], s[24], r[24];
	const char *p[6] = { DB_NUM(c, conv_id), DB_NUM(s, sender_id), body,
	    kind != NULL ? kind : "user", DB_NUM(r, reply_to_id),
	    messages_warn_match(body) ? "true" : "false" };
	PGresult *res = NULL;
	int rc;

	rc = db_exec(db, &res,
	    "INSERT INTO messages (conversation_id, sender_id, body, kind, reply_to_id, warn)"
	    " SELECT $1::bigint, $2::bigint, $3, $4, nullif($5::bigint, 0), $6::boolean"
	    " WHERE $5::bigint = 0 OR EXISTS (SELECT 1 FROM messages WHERE id = $5::bigint"
	    "  AND conversation_id = $1::bigint)"
	    " RETURNING id,"
	    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 6, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_ENOROW;
	}
	*msg_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(at, 32, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return DB_OK;
}

int
messages_db_inbox(db_t *db, long long user_id, const char *filter, long long page, int per,
    json_t **out)
{
	char u[24], o[24], l[24];
	const char *p[4] = { DB_NUM(u, user_id), filter, DB_NUM(o, (page - 1) * per),
	    DB_NUM(l, per) };

	return db_query_json(db, out,
	    "WITH r AS (SELECT c.id, o.handle AS other_handle, m.unread_count, m.starred,"
	    "  m.archived, c.last_message_at,"
	    "  (SELECT left(x.body, 140) FROM messages x WHERE x.id = c.last_message_id"
	    "   AND x.deleted_at IS NULL) AS snippet"
	    " FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id"
	    " JOIN users o ON o.id = CASE WHEN c.buyer_id = $1::bigint THEN c.seller_id"
	    "  ELSE c.buyer_id END"
	    " WHERE m.user_id = $1::bigint"
	    "  AND (c.last_message_id IS NOT NULL OR c.buyer_id = $1::bigint)"
	    "  AND CASE $2"
	    "  WHEN 'unread' THEN m.unread_count > 0"
	    "  WHEN 'starred' THEN m.starred"
	    "  WHEN 'archived' THEN m.archived"
	    "  ELSE NOT m.archived END"
	    " ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC"
	    " OFFSET $3::bigint LIMIT $4::int + 1),"
	    " n AS (SELECT * FROM r ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT $4::int)"
	    " SELECT json_build_object('more', (SELECT count(*) FROM r) > $4::int,"
	    " 'rows', coalesce((SELECT json_agg(json_build_object('id', id, 'other_handle',"
	    "  other_handle, 'unread', unread_count, 'has_unread', unread_count > 0,"
	    "  'starred', starred, 'archived', archived, 'snippet', snippet,"
	    "  'last_at', to_char(last_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'))"
	    "  ORDER BY last_message_at DESC NULLS LAST, id DESC) FROM n), '[]'::json))", 4, p);
}

int
messages_db_toggle(db_t *db, long long id, long long user_id, const char *flag)
{
	char c[24], u[24];
	const char *p[2] = { DB_NUM(c, id), DB_NUM(u, user_id) };

	if (strcmp(flag, "starred") == 0)
		return db_exec(db, NULL, "UPDATE conversation_members SET starred = NOT starred"
		    " WHERE conversation_id = $1::bigint AND user_id = $2::bigint", 2, p);
	if (strcmp(flag, "archived") == 0)
		return db_exec(db, NULL, "UPDATE conversation_members SET archived = NOT archived"
		    " WHERE conversation_id = $1::bigint AND user_id = $2::bigint", 2, p);
	return DB_ERROR;
}

int
messages_db_block_toggle(db_t *db, long long blocker_id, long long blocked_id)
{
	char a[24], b[24];
	const char *p[2] = { DB_NUM(a, blocker_id), DB_NUM(b, blocked_id) };

	return db_exec(db, NULL,
	    "WITH d AS (DELETE FROM user_blocks WHERE blocker_id = $1::bigint"
	    "  AND blocked_id = $2::bigint RETURNING 1)"
	    " INSERT INTO user_blocks (blocker_id, blocked_id)"
	    " SELECT $1::bigint, $2::bigint WHERE NOT EXISTS (SELECT 1 FROM d)", 2, p);
}

int
messages_db_search(db_t *db, long long user_id, const char *q, long long page, int per,
    json_t **out)
{
	char u[24], o[24], l[24];
	const char *p[4] = { DB_NUM(u, user_id), q, DB_NUM(o, (page - 1) * per), DB_NUM(l, per) };

	return db_query_json(db, out,
	    "WITH r AS (SELECT x.id, x.conversation_id, o.handle AS other_handle,"
	    "  left(x.body, 200) AS snippet, x.created_at"
	    " FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id"
	    " JOIN users o ON o.id = CASE WHEN c.buyer_id = $1::bigint THEN c.seller_id"
	    "  ELSE c.buyer_id END"
	    " JOIN messages x ON x.conversation_id = c.id AND x.deleted_at IS NULL"
	    " WHERE m.user_id = $1::bigint AND numnode(souk_search_query(left($2, 200))) > 0"
	    "  AND x.search @@ souk_search_query(left($2, 200))"
	    " ORDER BY x.id DESC OFFSET $3::bigint LIMIT $4::int + 1)"
	    " SELECT json_build_object('more', (SELECT count(*) FROM r) > $4::int,"
	    " 'rows', coalesce((SELECT json_agg(json_build_object('id', id, 'conversation_id',"
	    "  conversation_id, 'other_handle', other_handle, 'snippet', snippet,"
	    "  'at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')) ORDER BY id DESC)"
	    "  FROM (SELECT * FROM r ORDER BY id DESC LIMIT $4::int) n), '[]'::json))", 4, p);
}

int
messages_db_message(db_t *db, long long conv_id, long long msg_id, json_t **out)
{
	char c[24], m[24];
	const char *p[2] = { DB_NUM(c, conv_id), DB_NUM(m, msg_id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', id, 'sender_id', sender_id, 'kind', kind,"
	    " 'deleted', deleted_at IS NOT NULL, 'body', body,"
	    " 'age', extract(epoch FROM souk_now() - created_at)::bigint)"
	    " FROM messages WHERE id = $2::bigint AND conversation_id = $1::bigint", 2, p);
}

int
messages_db_edit(db_t *db, long long conv_id, long long msg_id, long long sender_id,
    const char *body, int warn, int window)
{
	char c[24], m[24], s[24], w[24];
	const char *p[6] = { DB_NUM(c, conv_id), DB_NUM(m, msg_id), DB_NUM(s, sender_id), body,
	    warn ? "true" : "false", DB_NUM(w, window) };
	long long id = 0;

	return db_query_bigint(db, &id,
	    "UPDATE messages SET body = $4, warn = $5::boolean, edited_at = souk_now()"
	    " WHERE id = $2::bigint AND conversation_id = $1::bigint AND sender_id = $3::bigint"
	    " AND deleted_at IS NULL AND created_at > souk_now() - make_interval(secs => $6::int)"
	    " RETURNING id", 6, p);
}

int
messages_db_delete(db_t *db, long long conv_id, long long msg_id, long long sender_id)
{
	char c[24], m[24], s[24];
	const char *p[3] = { DB_NUM(c, conv_id), DB_NUM(m, msg_id), DB_NUM(s, sender_id) };
	const char *q[2];
	long long id = 0;
	int rc;

	rc = db_query_bigint(db, &id,
	    "UPDATE messages SET deleted_at = souk_now()"
	    " WHERE id = $2::bigint AND conversation_id = $1::bigint AND sender_id = $3::bigint"
	    " AND deleted_at IS NULL RETURNING id", 3, p);
	if (rc != DB_OK)
		return rc;
	/* an unread deleted message no longer counts as unread */
	q[0] = c;
	q[1] = s;
	return db_exec(db, NULL,
	    "UPDATE conversation_members m SET unread_count = (SELECT count(*) FROM messages x"
	    "  WHERE x.conversation_id = m.conversation_id AND x.sender_id <> m.user_id"
	    "  AND x.id > m.last_read_message_id AND x.deleted_at IS NULL)"
	    " WHERE m.conversation_id = $1::bigint AND m.user_id <> $2::bigint", 2, q);
}

int
messages_db_attach(db_t *db, long long msg_id, long long media_id, int position)
{
	char m[24], d[24], o[24];
	const char *p[3] = { DB_NUM(m, msg_id), DB_NUM(d, media_id), DB_NUM(o, position) };

	return db_exec(db, NULL, "INSERT INTO message_attachments (message_id, media_id, position)"
	    " VALUES ($1::bigint, $2::bigint, $3::int)", 3, p);
}

int
messages_db_file_allowed(db_t *db, long long conv_id, long long media_id, long long user_id,
    int staff)
{
	char c[24], d[24], u[24];
	const char *p[4] = { DB_NUM(c, conv_id), DB_NUM(d, media_id), DB_NUM(u, user_id),
	    staff ? "true" : "false" };
	long long one = 0;

	return db_query_bigint(db, &one,
	    "SELECT 1 FROM message_attachments a JOIN messages x ON x.id = a.message_id"
	    " WHERE a.media_id = $2::bigint AND x.conversation_id = $1::bigint"
	    " AND x.deleted_at IS NULL AND ($4::boolean OR EXISTS (SELECT 1 FROM"
	    "  conversation_members m WHERE m.conversation_id = $1::bigint"
	    "  AND m.user_id = $3::bigint)) LIMIT 1", 4, p);
}

int
messages_db_orders_between(db_t *db, long long a, long long b, json_t **out)
{
	char x[24], y[24];
	const char *p[2] = { DB_NUM(x, a), DB_NUM(y, b) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(json_build_object('id', o.id, 'title', o.gig_title,"
	    " 'state', o.state, 'url', '/orders/' || o.id,"
	    " 'i_buy', o.buyer_id = $1::bigint) ORDER BY o.id DESC), '[]'::json)"
	    " FROM (SELECT * FROM orders WHERE (buyer_id = $1::bigint AND seller_id = $2::bigint)"
	    "  OR (buyer_id = $2::bigint AND seller_id = $1::bigint) ORDER BY id DESC LIMIT 20) o",
	    2, p);
}

int
messages_db_with(db_t *db, long long me, const char *handle, long long *other_id,
    long long *buyer_id, long long *seller_id)
{
	const char *p[2];
	char m[24];
	json_t *j = NULL;
	int rc;

	p[0] = DB_NUM(m, me);
	p[1] = handle;
	rc = db_query_json(db, &j,
	    "SELECT json_build_object('id', u.id,"
	    " 'i_buy', EXISTS (SELECT 1 FROM orders WHERE buyer_id = $1::bigint AND seller_id = u.id),"
	    " 'i_sell', EXISTS (SELECT 1 FROM orders WHERE seller_id = $1::bigint AND buyer_id = u.id),"
	    " 'seller', EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id"
	    "  AND r.role = 'SELLER'),"
	    " 'conv', (SELECT buyer_id FROM conversations WHERE (buyer_id = $1::bigint AND"
	    "  seller_id = u.id) OR (buyer_id = u.id AND seller_id = $1::bigint) LIMIT 1))"
	    " FROM users u WHERE u.handle = $2 AND u.id <> $1::bigint", 2, p);
	if (rc != DB_OK)
		return rc;
	*other_id = json_integer_value(json_object_get(j, "id"));
	if (json_is_integer(json_object_get(j, "conv"))) {
		/* they already talk: keep the conversation's roles */
		*buyer_id = json_integer_value(json_object_get(j, "conv"));
		*seller_id = *buyer_id == me ? *other_id : me;
	} else if (json_is_true(json_object_get(j, "i_buy")) || (!json_is_true(json_object_get(j,
	    "i_sell")) && json_is_true(json_object_get(j, "seller")))) {
		*buyer_id = me;
		*seller_id = *other_id;
	} else if (json_is_true(json_object_get(j, "i_sell"))) {
		*buyer_id = *other_id;
		*seller_id = me;
	} else
		rc = DB_ENOROW;
	json_decref(j);
	return rc;
}

int
messages_db_report(db_t *db, long long reporter_id, long long reported_id, long long conv_id,
    const char *reason, const char *details, long long *report_id)
{
	char r[24], d[24], c[24];
	const char *p[5] = { DB_NUM(r, reporter_id), DB_NUM(d, reported_id), DB_NUM(c, conv_id),
	    reason, details };

	return db_query_bigint(db, report_id,
	    "INSERT INTO user_reports (reporter_id, reported_id, conversation_id, reason, details)"
	    " VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5) RETURNING id", 5, p);
}
