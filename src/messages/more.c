/*
 * more.c - messages as live-event JSON, for the thread handlers and for
 * other modules that post messages (messages_publish_new; see messages.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "events/events.h"
#include "messages/messages.h"
#include "studio/markdown.h"

int
messages_message_json(db_t *db, long long conv_id, long long msg_id, long long viewer_id,
    json_t **out)
{
	char c[24], m[24], v[24];
	const char *p[3] = { DB_NUM(c, conv_id), DB_NUM(m, msg_id), DB_NUM(v, viewer_id) };
	const char *body;
	char *html;
	json_t *j = NULL;
	int rc;

	rc = db_query_json(db, &j,
	    "SELECT (souk_message_json(m)::jsonb || jsonb_build_object('mine',"
	    " m.sender_id = $3::bigint))::json FROM messages m"
	    " WHERE m.id = $2::bigint AND m.conversation_id = $1::bigint", 3, p);
	if (rc != DB_OK)
		return rc;
	body = json_string_value(json_object_get(j, "body"));
	if (body == NULL)
		body = "";
	if ((html = markdown_to_html(body, strlen(body))) == NULL) {
		json_decref(j);
		return DB_ERROR;
	}
	json_object_set_new(j, "body_html", json_string(html));
	free(html);
	*out = j;
	return DB_OK;
}

int
messages_publish_new(kv_conn_t *kv, db_t *db, long long conv_id, long long msg_id)
{
	char c[24];
	const char *p[1] = { DB_NUM(c, conv_id) };
	json_t *m = NULL, *pair = NULL;
	long long ids[2];
	int rc = -1;

	if (messages_message_json(db, conv_id, msg_id, 0, &m) != DB_OK ||
	    db_query_json(db, &pair, "SELECT json_build_array(buyer_id, seller_id)"
	    " FROM conversations WHERE id = $1::bigint", 1, p) != DB_OK) {
		log_warn("message %lld: not found for its live event", msg_id);
		goto out;
	}
	json_object_del(m, "mine");
	ids[0] = json_integer_value(json_array_get(pair, 0));
	ids[1] = json_integer_value(json_array_get(pair, 1));
	if (events_publish(kv, ids, 2, "message", m) != 0) {
		log_warn("message %lld: live event not published", msg_id);
		goto out;
	}
	rc = 0;
out:
	json_decref(m);
	json_decref(pair);
	return rc;
}
