/*
 * crm_db.c - the SQL of the CRM board, leads, stages, labels and notes
 * (see crm.h; tables, triggers and crm_move_lead in sql/0026_crm.sql).
 * SQL only; every value travels as a text parameter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "crm/crm.h"
#include "crm/crm_int.h"
#include "events/events.h"

/* The CRM_* result of a failed database call @rc (SQLSTATE SK403/SK404/SK409). */
static int
crm_status(db_t *db, int rc)
{
	const char *st;

	if (rc == DB_OK)
		return CRM_OK;
	if (rc == DB_EDOWN)
		return CRM_EDOWN;
	if (rc == DB_ENOROW)
		return CRM_NOT_FOUND;
	st = db_sqlstate(db);
	if (strcmp(st, "SK403") == 0)
		return CRM_FORBIDDEN;
	if (strcmp(st, "SK404") == 0)
		return CRM_NOT_FOUND;
	if (strcmp(st, "SK409") == 0)
		return CRM_CONFLICT;
	return CRM_ERROR;
}

int
crm_lead_move_at(db_t *db, long long seller_id, long long conv_id, long long stage_id,
    int position, const char *by, long long *out_event_id)
{
	char s[24], c[24], t[24], pos[24];
	const char *p[5] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id), DB_NUM(t, stage_id),
	    position < 0 ? NULL : DB_NUM(pos, position), by != NULL ? by : "seller" };
	PGresult *res = NULL;
	int rc;

	if (out_event_id != NULL)
		*out_event_id = 0;
	rc = db_exec(db, &res, "SELECT crm_move_lead($1::bigint, $2::bigint, $3::bigint,"
	    " $4::int, $5)", 5, p);
	if (rc != DB_OK)
		return crm_status(db, rc);
	if (out_event_id != NULL && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*out_event_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return CRM_OK;
}

int
crm_lead_move(db_t *db, long long seller_id, long long conv_id, long long stage_id,
    const char *by, long long *out_event_id)
{
	return crm_lead_move_at(db, seller_id, conv_id, stage_id, 0, by, out_event_id);
}

void
crm_publish_move(kv_conn_t *kv, db_t *db, long long seller_id, long long conv_id)
{
	char s[24], c[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id) };
	json_t *data = NULL;

	if (db_query_json(db, &data, "SELECT json_build_object('conversation_id', conversation_id,"
	    " 'stage_id', stage_id, 'position', position) FROM crm_leads"
	    " WHERE conversation_id = $2::bigint AND seller_id = $1::bigint", 2, p) != DB_OK) {
		log_warn("crm: lead %lld not found for the crm.lead event", conv_id);
		return;
	}
	(void)events_publish(kv, &seller_id, 1, "crm.lead", data);
	json_decref(data);
}

int
crm_db_ensure_stages(db_t *db, long long seller_id)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };

	return db_exec(db, NULL, "SELECT crm_ensure_stages($1::bigint)", 1, p);
}

int
crm_db_stages(db_t *db, long long seller_id, json_t **out)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'color', color,"
	    " 'position', position, 'outcome', outcome, 'slug', slug,"
	    " 'is_won', outcome = 'won', 'is_lost', outcome = 'lost')"
	    " ORDER BY position, id), '[]') FROM crm_stages"
	    " WHERE seller_id = $1::bigint AND deleted_at IS NULL", 1, p);
}

int
crm_db_labels(db_t *db, long long seller_id, json_t **out)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'color', color)"
	    " ORDER BY lower(name), id), '[]') FROM crm_labels WHERE seller_id = $1::bigint", 1, p);
}

/* The JSON of one lead row (aliases l, b, m, v as in the FROM below). */
#define LEAD_JSON \
	"json_build_object('conversation_id', l.conversation_id, 'buyer_id', l.buyer_id," \
	" 'buyer_handle', b.handle, 'stage_id', l.stage_id, 'stage_name', s.name," \
	" 'stage_color', s.color, 'position', l.position," \
	" 'value_minor', coalesce(l.value_minor, v.value_minor)," \
	" 'currency', coalesce(l.currency::text, v.currency)," \
	" 'value_source', CASE WHEN l.value_minor IS NOT NULL THEN 'manual' ELSE v.source END," \
	" 'unread', coalesce(m.unread_count, 0), 'has_order', EXISTS (SELECT 1 FROM orders o" \
	"  WHERE o.buyer_id = l.buyer_id AND o.seller_id = l.seller_id AND o.state <> 'cancelled')," \
	" 'last_activity', to_char(l.last_activity_at AT TIME ZONE 'UTC'," \
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
	" 'last_activity_text', to_char(l.last_activity_at AT TIME ZONE 'UTC'," \
	"  'YYYY-MM-DD HH24:MI \"UTC\"')," \
	" 'score', l.score, 'spam', l.spam," \
	" 'labels', (SELECT coalesce(json_agg(json_build_object('id', x.id, 'name', x.name," \
	"  'color', x.color) ORDER BY lower(x.name)), '[]') FROM crm_lead_labels ll" \
	"  JOIN crm_labels x ON x.id = ll.label_id WHERE ll.conversation_id = l.conversation_id))"

#define LEAD_FROM \
	" FROM crm_leads l JOIN crm_stages s ON s.id = l.stage_id" \
	" JOIN users b ON b.id = l.buyer_id" \
	" LEFT JOIN conversation_members m ON m.conversation_id = l.conversation_id" \
	"  AND m.user_id = l.seller_id" \
	" LEFT JOIN LATERAL (SELECT * FROM crm_lead_value(l.conversation_id)) v" \
	"  ON l.value_minor IS NULL"

/* Filter value @k of @filters as text for a parameter (NULL when absent). */
static const char *
fparam(json_t *filters, const char *k, char *buf, size_t n)
{
	json_t *v = json_object_get(filters, k);

	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

/*
 * The filtered leads of seller $1 as rows (id, stage_id, sp, lp, la, val,
 * cur): $2 stage, $3 label, $4 unread, $5 has an order, $6 / $7 value
 * range (minor units), $8 last activity within days (NULLs: no filter).
 */
#define LEADS_FILTERED \
	"SELECT t.* FROM (" \
	" SELECT l.conversation_id AS id, l.stage_id, s.position AS sp, l.position AS lp," \
	"  l.last_activity_at AS la, coalesce(l.value_minor, v.value_minor) AS val," \
	"  coalesce(l.currency::text, v.currency) AS cur, coalesce(m.unread_count, 0) AS unread," \
	"  EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = l.buyer_id" \
	"   AND o.seller_id = l.seller_id AND o.state <> 'cancelled') AS has_order" \
	LEAD_FROM \
	" WHERE l.seller_id = $1::bigint AND s.deleted_at IS NULL" \
	"  AND ($2::bigint IS NULL OR l.stage_id = $2::bigint)" \
	"  AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM crm_lead_labels ll" \
	"   WHERE ll.conversation_id = l.conversation_id AND ll.label_id = $3::bigint))" \
	"  AND ($8::int IS NULL OR l.last_activity_at >= souk_now() - make_interval(days => $8::int))" \
	") t WHERE ($4::boolean IS NULL OR NOT $4::boolean OR t.unread > 0)" \
	"  AND ($5::boolean IS NULL OR t.has_order = $5::boolean)" \
	"  AND ($6::bigint IS NULL OR t.val >= $6::bigint)" \
	"  AND ($7::bigint IS NULL OR t.val <= $7::bigint)"

/* The eight filter parameters of LEADS_FILTERED into @p (buffers from the caller). */
#define FILTER_PARAMS(p, seller, filters) \
	char s_[24], st_[24], lb_[24], un_[8], od_[8], mn_[24], mx_[24], dy_[24]; \
	const char *p[9] = { DB_NUM(s_, seller), \
	    fparam(filters, "stage", st_, sizeof(st_)), fparam(filters, "label", lb_, sizeof(lb_)), \
	    fparam(filters, "unread", un_, sizeof(un_)), fparam(filters, "order", od_, sizeof(od_)), \
	    fparam(filters, "min", mn_, sizeof(mn_)), fparam(filters, "max", mx_, sizeof(mx_)), \
	    fparam(filters, "days", dy_, sizeof(dy_)), NULL }

int
crm_db_leads(db_t *db, long long seller_id, json_t *filters, json_t **out)
{
	FILTER_PARAMS(p, seller_id, filters);

	return db_query_json(db, out,
	    "WITH f AS (" LEADS_FILTERED ")"
	    " SELECT coalesce(json_agg(" LEAD_JSON " ORDER BY f.sp, f.lp, f.la DESC, f.id), '[]')"
	    LEAD_FROM " JOIN f ON f.id = l.conversation_id", 8, p);
}

/* Per stage of the filtered leads f: {stage_id, count, totals: [{currency, amount_minor}]}. */
#define COLUMNS_JSON \
	"(SELECT coalesce(json_agg(json_build_object('stage_id', c.stage_id, 'count', c.n," \
	"  'totals', coalesce(c.t, '[]'))), '[]') FROM (" \
	"  SELECT y.stage_id, sum(y.n)::bigint AS n, json_agg(json_build_object('currency', y.cur," \
	"   'amount_minor', y.total) ORDER BY array_position(ARRAY['USD', 'ZAR', 'CNY'], y.cur))" \
	"   FILTER (WHERE y.cur IS NOT NULL AND y.total IS NOT NULL) AS t" \
	"  FROM (SELECT stage_id, cur, count(*) AS n, sum(val)::bigint AS total FROM f" \
	"   GROUP BY stage_id, cur) y GROUP BY y.stage_id) c)"

int
crm_db_board(db_t *db, long long seller_id, json_t *filters, int cap, json_t **out)
{
	FILTER_PARAMS(p, seller_id, filters);
	char c[24];

	p[8] = DB_NUM(c, cap);
	/* the JSON of a card is built only for the first @cap of each column */
	return db_query_json(db, out,
	    "WITH f AS MATERIALIZED (" LEADS_FILTERED "),"
	    " r AS (SELECT f.*, row_number() OVER (PARTITION BY f.stage_id"
	    "  ORDER BY f.lp, f.la DESC, f.id) AS rn FROM f)"
	    " SELECT json_build_object('cards', (SELECT coalesce(json_agg(" LEAD_JSON
	    "  ORDER BY r.sp, r.lp, r.la DESC, r.id), '[]')" LEAD_FROM
	    "  JOIN r ON r.id = l.conversation_id AND r.rn <= $9::int),"
	    " 'columns', " COLUMNS_JSON ")", 9, p);
}

int
crm_db_columns(db_t *db, long long seller_id, json_t *filters, json_t **out)
{
	FILTER_PARAMS(p, seller_id, filters);

	return db_query_json(db, out, "WITH f AS (" LEADS_FILTERED ") SELECT " COLUMNS_JSON, 8, p);
}

int
crm_db_lead(db_t *db, long long seller_id, long long conv_id, json_t **out)
{
	char s[24], c[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id) };
	int rc;

	/* the score depends on the time: refresh it when the lead is looked at */
	rc = db_exec(db, NULL, "UPDATE crm_leads SET score = crm_lead_score(conversation_id)"
	    " WHERE conversation_id = $2::bigint AND seller_id = $1::bigint", 2, p);
	if (rc != DB_OK)
		return rc;
	return db_query_json(db, out,
	    "SELECT json_build_object('lead', " LEAD_JSON ","
	    " 'manual_value', l.value_minor, 'manual_currency', l.currency,"
	    " 'source_gig', (SELECT title FROM gigs g WHERE g.id = l.source_gig_id),"
	    " 'created', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
	    " 'breakdown', crm_lead_score_breakdown(l.conversation_id),"
	    " 'notes', (SELECT coalesce(json_agg(json_build_object('id', n.id, 'body', n.body,"
	    "  'at', to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'))"
	    "  ORDER BY n.id DESC), '[]') FROM crm_lead_notes n"
	    "  WHERE n.conversation_id = l.conversation_id),"
	    " 'events', (SELECT coalesce(json_agg(json_build_object('id', e.id, 'kind', e.kind,"
	    "  'data', e.data, 'at', to_char(e.created_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD HH24:MI \"UTC\"'), 'iso', to_char(e.created_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY e.created_at DESC, e.id DESC), '[]')"
	    "  FROM (SELECT * FROM crm_lead_events WHERE conversation_id = l.conversation_id"
	    "   ORDER BY created_at DESC, id DESC LIMIT 100) e))"
	    LEAD_FROM
	    " WHERE l.conversation_id = $2::bigint AND l.seller_id = $1::bigint", 2, p);
}

int
crm_db_lead_owner(db_t *db, long long conv_id, long long *seller_id)
{
	char c[24];
	const char *p[1] = { DB_NUM(c, conv_id) };

	return db_query_bigint(db, seller_id,
	    "SELECT seller_id FROM crm_leads WHERE conversation_id = $1::bigint", 1, p);
}

int
crm_db_set_value(db_t *db, long long seller_id, long long conv_id, long long value_minor,
    const char *currency)
{
	char s[24], c[24], v[24];
	const char *p[4] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id),
	    value_minor < 0 ? NULL : DB_NUM(v, value_minor), value_minor < 0 ? NULL : currency };

	return db_query_bigint(db, NULL,
	    "UPDATE crm_leads SET value_minor = $3::bigint, currency = $4"
	    " WHERE conversation_id = $2::bigint AND seller_id = $1::bigint"
	    " RETURNING conversation_id", 4, p);
}

int
crm_db_set_spam(db_t *db, long long seller_id, long long conv_id, int spam)
{
	char s[24], c[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id), spam ? "true" : "false" };

	return db_query_bigint(db, NULL, "UPDATE crm_leads SET spam = $3::boolean"
	    " WHERE conversation_id = $2::bigint AND seller_id = $1::bigint"
	    " RETURNING conversation_id", 3, p);
}

/*
 * Record timeline event @kind ("label" or "note") of lead @conv of @seller:
 * data {action: @action, <@key>: @id}, plus the label's name, or the snippet
 * of a note just added.  One fixed statement.
 */
static int
event(db_t *db, const char *seller, const char *conv, const char *kind, const char *action,
    const char *key, const char *id)
{
	const char *p[6] = { seller, conv, kind, action, key, id };

	return db_exec(db, NULL, "INSERT INTO crm_lead_events (seller_id, conversation_id, kind,"
	    " data) VALUES ($1::bigint, $2::bigint, $3,"
	    " jsonb_build_object('action', $4::text, $5::text, $6::bigint) || CASE"
	    "  WHEN $3 = 'label' THEN jsonb_build_object('name',"
	    "   (SELECT name FROM crm_labels WHERE id = $6::bigint))"
	    "  WHEN $3 = 'note' AND $4 = 'added' THEN jsonb_build_object('snippet',"
	    "   (SELECT left(body, 80) FROM crm_lead_notes WHERE id = $6::bigint))"
	    "  ELSE '{}'::jsonb END)", 6, p);
}

int
crm_db_label_create(db_t *db, long long seller_id, const char *name, const char *color,
    long long *out)
{
	char s[24];
	const char *p[3] = { DB_NUM(s, seller_id), name, color };

	return db_query_bigint(db, out, "INSERT INTO crm_labels (seller_id, name, color)"
	    " VALUES ($1::bigint, $2, $3) ON CONFLICT (seller_id, lower(name))"
	    " DO UPDATE SET name = crm_labels.name RETURNING id", 3, p);
}

int
crm_db_label_add(db_t *db, long long seller_id, long long conv_id, long long label_id)
{
	char s[24], c[24], l[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id), DB_NUM(l, label_id) };
	PGresult *res = NULL;
	int rc, n;

	if ((rc = db_exec(db, &res, "INSERT INTO crm_lead_labels (conversation_id, label_id)"
	    " SELECT l.conversation_id, x.id FROM crm_leads l JOIN crm_labels x"
	    "  ON x.seller_id = l.seller_id AND x.id = $3::bigint"
	    " WHERE l.conversation_id = $2::bigint AND l.seller_id = $1::bigint"
	    " ON CONFLICT DO NOTHING RETURNING label_id", 3, p)) != DB_OK)
		return rc;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return DB_OK;	/* already there, or not the seller's: the caller checked */
	return event(db, s, c, "label", "added", "label_id", l);
}

int
crm_db_label_remove(db_t *db, long long seller_id, long long conv_id, long long label_id)
{
	char s[24], c[24], l[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id), DB_NUM(l, label_id) };
	PGresult *res = NULL;
	int rc, n;

	if ((rc = db_exec(db, &res, "DELETE FROM crm_lead_labels ll USING crm_leads l"
	    " WHERE ll.conversation_id = l.conversation_id AND l.conversation_id = $2::bigint"
	    "  AND l.seller_id = $1::bigint AND ll.label_id = $3::bigint RETURNING ll.label_id", 3,
	    p)) != DB_OK)
		return rc;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return DB_OK;
	return event(db, s, c, "label", "removed", "label_id", l);
}

int
crm_db_note_add(db_t *db, long long seller_id, long long conv_id, const char *body,
    long long *out)
{
	char s[24], c[24], id[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id), body };
	int rc;

	if ((rc = db_query_bigint(db, out, "INSERT INTO crm_lead_notes (conversation_id, seller_id,"
	    " body) SELECT conversation_id, seller_id, $3 FROM crm_leads"
	    " WHERE conversation_id = $2::bigint AND seller_id = $1::bigint RETURNING id", 3,
	    p)) != DB_OK)
		return rc;
	return event(db, s, c, "note", "added", "note_id", DB_NUM(id, *out));
}

int
crm_db_note_delete(db_t *db, long long seller_id, long long conv_id, long long note_id)
{
	char s[24], c[24], n[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(c, conv_id), DB_NUM(n, note_id) };
	PGresult *res = NULL;
	int rc, k;

	if ((rc = db_exec(db, &res, "DELETE FROM crm_lead_notes WHERE id = $3::bigint"
	    " AND conversation_id = $2::bigint AND seller_id = $1::bigint RETURNING id", 3,
	    p)) != DB_OK)
		return rc;
	k = PQntuples(res);
	PQclear(res);
	if (k == 0)
		return DB_ENOROW;
	/* a deleted note's text leaves the timeline too */
	if ((rc = db_exec(db, NULL, "UPDATE crm_lead_events SET data = data - 'snippet'"
	    " WHERE conversation_id = $2::bigint AND seller_id = $1::bigint AND kind = 'note'"
	    " AND data->>'note_id' = $3", 3, p)) != DB_OK)
		return rc;
	return event(db, s, c, "note", "deleted", "note_id", n);
}

int
crm_db_stage_create(db_t *db, long long seller_id, const char *name, const char *color)
{
	char s[24];
	const char *p[3] = { DB_NUM(s, seller_id), name, color };

	return db_exec(db, NULL, "INSERT INTO crm_stages (seller_id, name, color, position)"
	    " SELECT $1::bigint, $2, $3, coalesce(max(position) + 1, 0) FROM crm_stages"
	    " WHERE seller_id = $1::bigint AND deleted_at IS NULL", 3, p);
}

int
crm_db_stage_update(db_t *db, long long seller_id, long long stage_id, const char *name,
    const char *color)
{
	char s[24], t[24];
	const char *p[4] = { DB_NUM(s, seller_id), DB_NUM(t, stage_id), name, color };

	return db_query_bigint(db, NULL, "UPDATE crm_stages SET name = $3, color = $4"
	    " WHERE id = $2::bigint AND seller_id = $1::bigint AND deleted_at IS NULL RETURNING id",
	    4, p);
}

int
crm_db_stage_shift(db_t *db, long long seller_id, long long stage_id, int dir)
{
	char s[24], t[24], d[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(t, stage_id), DB_NUM(d, dir) };
	int rc;

	/* renumber 0..n-1, then swap with the neighbour in direction @dir */
	if ((rc = db_exec(db, NULL, "UPDATE crm_stages x SET position = r.rn FROM (SELECT id,"
	    " (row_number() OVER (ORDER BY position, id) - 1)::int AS rn FROM crm_stages"
	    " WHERE seller_id = $1::bigint AND deleted_at IS NULL) r WHERE x.id = r.id", 1, p)) !=
	    DB_OK)
		return rc;
	if ((rc = db_query_bigint(db, NULL, "SELECT id FROM crm_stages WHERE id = $2::bigint"
	    " AND seller_id = $1::bigint AND deleted_at IS NULL", 2, p)) != DB_OK)
		return rc;
	return db_exec(db, NULL, "WITH me AS (SELECT id, position FROM crm_stages WHERE id = $2::bigint),"
	    " nb AS (SELECT s.id, s.position FROM crm_stages s, me WHERE s.seller_id = $1::bigint"
	    "  AND s.deleted_at IS NULL AND s.position = me.position + $3::int)"
	    " UPDATE crm_stages x SET position = CASE WHEN x.id = me.id THEN nb.position"
	    "  ELSE me.position END FROM me, nb WHERE x.id IN (me.id, nb.id)", 3, p);
}

int
crm_db_stage_delete(db_t *db, long long seller_id, long long stage_id, long long target_id)
{
	char s[24], t[24], g[24];
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(t, stage_id), DB_NUM(g, target_id) };
	long long n = 0;
	int rc;

	if ((rc = db_query_bigint(db, &n, "SELECT count(*) FROM (SELECT id FROM crm_stages"
	    " WHERE seller_id = $1::bigint AND deleted_at IS NULL"
	    " AND id IN ($2::bigint, $3::bigint) FOR UPDATE) s", 3, p)) != DB_OK)
		return rc;
	if (n != 2)
		return DB_ENOROW;
	/* the leads go to the end of the target column, each with a 'stage' event */
	if ((rc = db_exec(db, NULL, "INSERT INTO crm_lead_events (conversation_id, seller_id, kind,"
	    " data) SELECT l.conversation_id, l.seller_id, 'stage', jsonb_build_object("
	    " 'from_stage_id', f.id, 'to_stage_id', g.id, 'from', f.name, 'to', g.name,"
	    " 'by', 'stage_removed') FROM crm_leads l JOIN crm_stages f ON f.id = l.stage_id"
	    " JOIN crm_stages g ON g.id = $3::bigint WHERE l.stage_id = $2::bigint"
	    " AND l.seller_id = $1::bigint", 3, p)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, NULL, "UPDATE crm_leads l SET stage_id = $3::bigint,"
	    " stage_changed_at = souk_now(), position = r.base + r.rn FROM (SELECT conversation_id,"
	    " (row_number() OVER (ORDER BY position, conversation_id))::int AS rn,"
	    " (SELECT coalesce(max(position), -1) FROM crm_leads WHERE stage_id = $3::bigint) AS base"
	    " FROM crm_leads WHERE stage_id = $2::bigint) r"
	    " WHERE l.conversation_id = r.conversation_id AND l.seller_id = $1::bigint", 3, p)) !=
	    DB_OK)
		return rc;
	return db_exec(db, NULL, "UPDATE crm_stages SET deleted_at = souk_now()"
	    " WHERE id = $2::bigint AND seller_id = $1::bigint", 2, p);
}

int
crm_db_stage_owner(db_t *db, long long stage_id, long long *seller_id, int *deleted)
{
	char t[24];
	const char *p[1] = { DB_NUM(t, stage_id) };
	PGresult *res = NULL;
	int rc;

	if ((rc = db_exec(db, &res, "SELECT seller_id, deleted_at IS NOT NULL FROM crm_stages"
	    " WHERE id = $1::bigint", 1, p)) != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return DB_ENOROW;
	}
	*seller_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*deleted = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	return DB_OK;
}
