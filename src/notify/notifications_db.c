/*
 * notifications_db.c - the SQL of notifications and digests (see
 * notifications.h; tables in sql/0024_notifications.sql).  SQL only; every
 * value travels as a text parameter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notifications.h"

#define ISO(COL) "to_char((" COL ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TEXT_AT(COL) "to_char((" COL ") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'"

int
notifications_db_unread(db_t *db, long long user_id, long long *out)
{
	char u[24];
	const char *p[1] = { DB_NUM(u, user_id) };

	return db_query_bigint(db, out, "SELECT count(*) FROM notifications"
	    " WHERE user_id = $1::bigint AND read_at IS NULL", 1, p);
}

int
notifications_db_list(db_t *db, long long user_id, long long page, int per, json_t **out)
{
	char u[24], l[24], o[24];
	const char *p[3] = { DB_NUM(u, user_id), DB_NUM(l, per + 1), DB_NUM(o, (page - 1) * per) };
	json_t *rows;
	int rc;

	rc = db_query_json(db, &rows,
	    "SELECT coalesce(json_agg(json_build_object('id', x.id, 'type', x.type,"
	    "  'type_class', replace(x.type, '.', '-'), 'title', x.title, 'body', x.body,"
	    "  'url', x.url, 'unread', x.read_at IS NULL,"
	    "  'at', " ISO("x.created_at") ", 'at_text', " TEXT_AT("x.created_at") ")"
	    "  ORDER BY x.created_at DESC, x.id DESC), '[]')"
	    " FROM (SELECT * FROM notifications WHERE user_id = $1::bigint"
	    "  ORDER BY created_at DESC, id DESC LIMIT $2::int OFFSET $3::bigint) x", 3, p);
	if (rc != DB_OK)
		return rc;
	*out = json_object();
	if (json_array_size(rows) > (size_t)per) {
		json_array_remove(rows, (size_t)per);
		json_object_set_new(*out, "more", json_true());
	} else
		json_object_set_new(*out, "more", json_false());
	json_object_set_new(*out, "rows", rows);
	return DB_OK;
}

int
notifications_db_read(db_t *db, long long id, long long user_id, char **url)
{
	char i[24], u[24];
	const char *p[2] = { DB_NUM(i, id), DB_NUM(u, user_id) };
	PGresult *res = NULL;
	int rc;

	/* coalesce: reading a read one keeps its first read_at */
	if ((rc = db_exec(db, &res, "UPDATE notifications SET read_at = coalesce(read_at, souk_now())"
	    " WHERE id = $1::bigint AND user_id = $2::bigint RETURNING url", 2, p)) != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return DB_ENOROW;
	}
	*url = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *url != NULL ? DB_OK : DB_ERROR;
}

int
notifications_db_read_all(db_t *db, long long user_id)
{
	char u[24];
	const char *p[1] = { DB_NUM(u, user_id) };

	return db_exec(db, NULL, "UPDATE notifications SET read_at = souk_now()"
	    " WHERE user_id = $1::bigint AND read_at IS NULL", 1, p);
}

int
notifications_db_prefs(db_t *db, long long user_id, json_t **out)
{
	char u[24];
	const char *p[1] = { DB_NUM(u, user_id) };

	return db_query_json(db, out,
	    "SELECT json_agg(json_build_object('type', t.type,"
	    "  'field', 'email_' || replace(t.type, '.', '_'),"
	    "  'email', coalesce(np.email, t.default_email), 'default', t.default_email)"
	    "  ORDER BY t.position)"
	    " FROM notification_types t LEFT JOIN notification_prefs np"
	    "  ON np.type = t.type AND np.user_id = $1::bigint", 1, p);
}

int
notifications_db_set_pref(db_t *db, long long user_id, const char *type, const char *email)
{
	char u[24];
	const char *p[3] = { DB_NUM(u, user_id), type, email };

	return db_exec(db, NULL, "INSERT INTO notification_prefs (user_id, type, email)"
	    " VALUES ($1::bigint, $2, $3) ON CONFLICT (user_id, type) DO UPDATE SET email = $3",
	    3, p);
}

int
notifications_db_dispatch_load(db_t *db, long long id, json_t **out)
{
	char i[24];
	const char *p[1] = { DB_NUM(i, id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', n.id, 'user_id', n.user_id, 'type', n.type,"
	    "  'data', n.data, 'url', n.url, 'read', n.read_at IS NOT NULL,"
	    "  'emailed', n.emailed_at IS NOT NULL,"
	    "  'pref', souk_notification_pref(n.user_id, n.type),"
	    "  'lang', u.lang, 'email', u.email, 'handle', u.handle, 'active', u.status = 'active',"
	    "  'amount', CASE WHEN n.data ? 'amount_minor'"
	    "   THEN souk_money((n.data->>'amount_minor')::bigint,"
	    "   n.data->>'currency', u.lang) END)"
	    " FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1::bigint", 1, p);
}

int
notifications_db_store(db_t *db, long long id, const char *title, const char *body)
{
	char i[24];
	const char *p[3] = { DB_NUM(i, id), title, body };

	return db_exec(db, NULL, "UPDATE notifications SET title = $2, body = $3,"
	    " dispatched_at = souk_now() WHERE id = $1::bigint", 3, p);
}

int
notifications_db_mark_emailed(db_t *db, long long id)
{
	char i[24];
	const char *p[1] = { DB_NUM(i, id) };

	return db_exec(db, NULL, "UPDATE notifications SET emailed_at = souk_now()"
	    " WHERE id = $1::bigint", 1, p);
}

/*
 * The daily digest, one statement: the candidates (unread, not digested,
 * dispatched, created in the two days before today 00:00 UTC, type
 * preference 'daily'; the window keeps the index range scan small, as
 * unread notifications of other types are never digested),
 * one notification_digests row per user and day (a user who had today's
 * already gets nothing), the notifications marked (digested_at IS NULL is
 * checked again under the row lock, so a concurrent sweep marks none
 * twice) and one "mail" job per user listing them, newest first.
 */
static const char SQL_SWEEP_DAILY[] =
	"WITH cand AS ("
	"  SELECT n.id, n.user_id FROM notifications n"
	"   WHERE n.read_at IS NULL AND n.digested_at IS NULL AND n.dispatched_at IS NOT NULL"
	"     AND n.created_at < (date_trunc('day', souk_now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
	"     AND n.created_at >= (date_trunc('day', souk_now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
	"      - interval '2 days'"
	"     AND souk_notification_pref(n.user_id, n.type) = 'daily'),"
	" days AS ("
	"  INSERT INTO notification_digests (user_id, kind, day, items)"
	"  SELECT c.user_id, 'daily', (souk_now() AT TIME ZONE 'UTC')::date, count(*)"
	"   FROM cand c GROUP BY c.user_id"
	"  ON CONFLICT DO NOTHING RETURNING user_id),"
	" marked AS ("
	"  UPDATE notifications n SET digested_at = souk_now()"
	"   FROM cand c JOIN days d ON d.user_id = c.user_id"
	"   WHERE n.id = c.id AND n.digested_at IS NULL"
	"  RETURNING n.id, n.user_id, n.title, n.body, n.url, n.created_at),"
	" mails AS ("
	"  INSERT INTO jobs (kind, payload)"
	"  SELECT 'mail', jsonb_build_object('template', 'digest_daily', 'to', u.email, 'lang', u.lang,"
	"   'data', jsonb_build_object('handle', u.handle, 'count', count(*),"
	"    'items', jsonb_agg(jsonb_build_object('title', m.title, 'body', m.body, 'url', m.url,"
	"     'at', " TEXT_AT("m.created_at") ") ORDER BY m.created_at DESC, m.id DESC)))"
	"   FROM marked m JOIN users u ON u.id = m.user_id"
	"   WHERE u.status = 'active' GROUP BY u.id, u.email, u.lang, u.handle"
	"  RETURNING 1)"
	" SELECT count(*) FROM mails";

int
notifications_db_sweep_daily(db_t *db, int *n)
{
	long long v = 0;
	int rc = db_query_bigint(db, &v, SQL_SWEEP_DAILY, 0, NULL);

	*n = (int)v;
	return rc == DB_ENOROW ? DB_OK : rc;
}

/*
 * The unread-messages digest, one statement: for each conversation member
 * whose "message" preference is 'immediate', the messages from the other
 * side after both the read position and the last digested message (not
 * deleted); due when the oldest of them is older than $1 seconds.  The
 * member's digest_message_id moves to the newest listed (checked again
 * under the row lock: a concurrent sweep mails nothing twice), and one
 * "mail" job per user lists the conversations with their messages (at
 * most 10 each, the newest; count says how many there are; files_only for
 * a message of attachments alone).
 */
static const char SQL_SWEEP_MESSAGES[] =
	"WITH cand AS ("
	"  SELECT cm.conversation_id, cm.user_id, s.lo, s.hi, s.n"
	"   FROM conversation_members cm"
	"   CROSS JOIN LATERAL (SELECT greatest(cm.last_read_message_id, cm.digest_message_id) AS lo) b"
	"   CROSS JOIN LATERAL (SELECT b.lo, max(m.id) AS hi, count(*) AS n, min(m.created_at) AS oldest"
	"     FROM messages m WHERE m.conversation_id = cm.conversation_id AND m.id > b.lo"
	"      AND m.sender_id <> cm.user_id AND m.deleted_at IS NULL) s"
	"   WHERE cm.unread_count > 0 AND s.hi IS NOT NULL"
	"     AND s.oldest < souk_now() - make_interval(secs => $1::double precision)"
	"     AND souk_notification_pref(cm.user_id, 'message') = 'immediate'),"
	" upd AS ("
	"  UPDATE conversation_members cm SET digest_message_id = c.hi"
	"   FROM cand c WHERE cm.conversation_id = c.conversation_id AND cm.user_id = c.user_id"
	"     AND cm.digest_message_id < c.hi"
	"  RETURNING cm.conversation_id, cm.user_id, c.lo, c.hi, c.n),"
	" convs AS ("
	"  SELECT up.user_id, up.conversation_id, up.n, jsonb_build_object("
	"    'conversation_id', up.conversation_id, 'count', up.n,"
	"    'url', '/inbox/' || up.conversation_id,"
	"    'other_handle', (SELECT ou.handle FROM conversation_members om"
	"      JOIN users ou ON ou.id = om.user_id"
	"      WHERE om.conversation_id = up.conversation_id AND om.user_id <> up.user_id LIMIT 1),"
	"    'more', up.n > 10,"
	"    'messages', (SELECT jsonb_agg(jsonb_build_object('sender_handle', su.handle,"
	"      'files_only', x.body = '',"
	"      'body', CASE WHEN char_length(x.body) > 300 THEN left(x.body, 300) || '…'"
	"       ELSE x.body END,"
	"      'at', " TEXT_AT("x.created_at") ") ORDER BY x.id)"
	"      FROM (SELECT m.* FROM messages m WHERE m.conversation_id = up.conversation_id"
	"        AND m.id > up.lo AND m.id <= up.hi AND m.sender_id <> up.user_id"
	"        AND m.deleted_at IS NULL ORDER BY m.id DESC LIMIT 10) x"
	"      JOIN users su ON su.id = x.sender_id)) AS conv"
	"   FROM upd up),"
	" mails AS ("
	"  INSERT INTO jobs (kind, payload)"
	"  SELECT 'mail', jsonb_build_object('template', 'digest_messages', 'to', u.email, 'lang', u.lang,"
	"   'data', jsonb_build_object('handle', u.handle, 'count', sum(c.n),"
	"    'conversations', jsonb_agg(c.conv ORDER BY c.conversation_id)))"
	"   FROM convs c JOIN users u ON u.id = c.user_id"
	"   WHERE u.status = 'active' GROUP BY u.id, u.email, u.lang, u.handle"
	"  RETURNING 1),"
	" logged AS ("
	"  INSERT INTO notification_digests (user_id, kind, day, items)"
	"  SELECT c.user_id, 'messages', (souk_now() AT TIME ZONE 'UTC')::date, sum(c.n)"
	"   FROM convs c GROUP BY c.user_id RETURNING 1)"
	" SELECT count(*) FROM mails";

int
notifications_db_sweep_messages(db_t *db, int after_seconds, int *n)
{
	char a[24];
	const char *p[1] = { DB_NUM(a, after_seconds) };
	long long v = 0;
	int rc = db_query_bigint(db, &v, SQL_SWEEP_MESSAGES, 1, p);

	*n = (int)v;
	return rc == DB_ENOROW ? DB_OK : rc;
}
