/*
 * messages_db.c - the SQL of conversations (see messages.h).  SQL only;
 * every value travels as a text parameter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messages/messages.h"

#define NUM(buf, v) (snprintf((buf), sizeof(buf), "%lld", (long long)(v)), (buf))

/* One bigint from a one-row, one-column query. */
static int
query_id(db_t *db, long long *out, const char *sql, int n, const char *const *p)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = db_exec(db, &res, sql, n, p)) != DB_OK)
		return rc;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return DB_ENOROW;
	}
	*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return DB_OK;
}

int
messages_db_unread_total(db_t *db, long long user_id, long long *out)
{
	char u[24];
	const char *p[1] = { NUM(u, user_id) };

	return query_id(db, out,
	    "SELECT coalesce(sum(unread_count), 0) FROM conversation_members"
	    " WHERE user_id = $1::bigint AND unread_count > 0", 1, p);
}

int
messages_db_seller_id(db_t *db, const char *handle, long long *out)
{
	const char *p[1] = { handle };

	return query_id(db, out,
	    "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'SELLER'"
	    " WHERE u.handle = $1", 1, p);
}

int
messages_db_find(db_t *db, long long a, long long b, long long *out)
{
	char x[24], y[24];
	const char *p[2] = { NUM(x, a), NUM(y, b) };

	return query_id(db, out, "SELECT id FROM conversations WHERE (buyer_id = $1::bigint AND"
	    " seller_id = $2::bigint) OR (buyer_id = $2::bigint AND seller_id = $1::bigint)"
	    " ORDER BY id LIMIT 1", 2, p);
}

int
messages_db_open(db_t *db, long long buyer_id, long long seller_id, long long *out)
{
	char b[24], s[24], c[24];
	const char *p[2] = { NUM(b, buyer_id), NUM(s, seller_id) };
	const char *find = "SELECT id FROM conversations WHERE (buyer_id = $1::bigint AND"
	    " seller_id = $2::bigint) OR (buyer_id = $2::bigint AND seller_id = $1::bigint)"
	    " ORDER BY id LIMIT 1";
	int rc;

	rc = query_id(db, out, find, 2, p);
	if (rc == DB_ENOROW) {
		rc = db_exec(db, NULL, "INSERT INTO conversations (buyer_id, seller_id)"
		    " VALUES ($1::bigint, $2::bigint) ON CONFLICT DO NOTHING", 2, p);
		if (rc == DB_OK)
			rc = query_id(db, out, find, 2, p);
	}
	if (rc != DB_OK)
		return rc;
	{
		const char *q[3] = { NUM(c, *out), b, s };

		return db_exec(db, NULL, "INSERT INTO conversation_members (conversation_id, user_id)"
		    " VALUES ($1::bigint, $2::bigint), ($1::bigint, $3::bigint)"
		    " ON CONFLICT DO NOTHING", 3, q);
	}
}

int
messages_db_conversation(db_t *db, long long id, long long user_id, json_t **out)
{
	char c[24], u[24];
	const char *p[2] = { NUM(c, id), NUM(u, user_id) };

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
messages_db_thread(db_t *db, long long id, long long user_id, int limit, json_t **out)
{
	char c[24], u[24], l[24];
	const char *p[3] = { NUM(c, id), NUM(u, user_id), NUM(l, limit) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(json_build_object('id', t.id, 'sender_id', t.sender_id,"
	    " 'sender_handle', t.handle, 'body', t.body, 'mine', t.sender_id = $2::bigint,"
	    " 'at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'))"
	    " ORDER BY t.id), '[]'::json)"
	    " FROM (SELECT m.id, m.sender_id, u.handle, m.body, m.created_at FROM messages m"
	    "  JOIN users u ON u.id = m.sender_id"
	    "  WHERE m.conversation_id = $1::bigint AND m.deleted_at IS NULL"
	    "  ORDER BY m.id DESC LIMIT $3::int) t", 3, p);
}

int
messages_db_mark_read(db_t *db, long long id, long long user_id)
{
	char c[24], u[24];
	const char *p[2] = { NUM(c, id), NUM(u, user_id) };

	return db_exec(db, NULL,
	    "UPDATE conversation_members m SET unread_count = 0,"
	    " last_read_message_id = coalesce(c.last_message_id, 0)"
	    " FROM conversations c WHERE c.id = m.conversation_id"
	    " AND m.conversation_id = $1::bigint AND m.user_id = $2::bigint"
	    " AND (m.unread_count > 0 OR m.last_read_message_id < coalesce(c.last_message_id, 0))",
	    2, p);
}

int
messages_db_insert(db_t *db, long long id, long long sender_id, const char *body,
    long long *msg_id, char at[32])
{
	char c[24], s[24];
	const char *p[3] = { NUM(c, id), NUM(s, sender_id), body };
	PGresult *res = NULL;
	int rc;

	rc = db_exec(db, &res,
	    "INSERT INTO messages (conversation_id, sender_id, body)"
	    " VALUES ($1::bigint, $2::bigint, $3) RETURNING id,"
	    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 3, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_ERROR;
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
	const char *p[4] = { NUM(u, user_id), filter, NUM(o, (page - 1) * per), NUM(l, per) };

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
	const char *p[2] = { NUM(c, id), NUM(u, user_id) };

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
	const char *p[2] = { NUM(a, blocker_id), NUM(b, blocked_id) };

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
	const char *p[4] = { NUM(u, user_id), q, NUM(o, (page - 1) * per), NUM(l, per) };

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
