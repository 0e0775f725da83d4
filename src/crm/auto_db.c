/*
 * auto_db.c - the SQL of the CRM auto-triggers, working hours and
 * analytics (see auto.h; tables and functions in sql/0028_crm_auto.sql and
 * sql/0030_crm_triggers_more.sql).
 * SQL only; every value travels as a text parameter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm/auto.h"

int
crm_auto_db_triggers(db_t *db, long long seller_id, json_t **out, json_t **stages)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };
	json_t *all = NULL;
	int rc;

	*out = *stages = NULL;
	if ((rc = db_exec(db, NULL, "SELECT crm_auto_defaults($1::bigint)", 1, p)) != DB_OK)
		return rc;
	rc = db_query_json(db, &all,
	    "SELECT json_build_object("
	    " 'triggers', coalesce((SELECT json_agg(json_build_object("
	    "   'id', t.id, 'kind', t.kind, 'enabled', t.enabled, 'stage_id', t.stage_id,"
	    "   'delay_seconds', t.delay_seconds, 'event', t.event,"
	    "   'target_stage_id', t.target_stage_id, 'template', t.template,"
	    "   'cooldown_seconds', t.cooldown_seconds,"
	    "   'fired', (SELECT count(*) FROM crm_trigger_firings f"
	    "             WHERE f.trigger_id = t.id AND f.status = 'fired'))"
	    "   ORDER BY array_position(ARRAY['welcome','away','follow_up','stage_enter',"
	    "     'move_on_event'], t.kind), t.id)"
	    "  FROM crm_triggers t WHERE t.seller_id = $1::bigint AND t.deleted_at IS NULL), '[]'),"
	    " 'stages', coalesce((SELECT json_agg(json_build_object('id', id, 'name', name)"
	    "   ORDER BY position, id) FROM crm_stages"
	    "  WHERE seller_id = $1::bigint AND deleted_at IS NULL), '[]'))", 1, p);
	if (rc != DB_OK)
		return rc;
	*out = json_incref(json_object_get(all, "triggers"));
	*stages = json_incref(json_object_get(all, "stages"));
	json_decref(all);
	return DB_OK;
}

int
crm_auto_db_stage_state(db_t *db, long long seller_id, long long stage_id, int *state)
{
	char s[24], t[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(t, stage_id) };
	long long v;
	int rc;

	*state = 2;
	rc = db_query_bigint(db, &v, "SELECT CASE WHEN seller_id <> $1::bigint THEN 2"
	    " WHEN deleted_at IS NOT NULL THEN 1 ELSE 0 END FROM crm_stages WHERE id = $2::bigint",
	    2, p);
	if (rc == DB_OK)
		*state = (int)v;
	return rc;
}

int
crm_auto_db_trigger_save(db_t *db, long long seller_id, long long id, json_t *v)
{
	char s[24], i[24];
	char *js = json_dumps(v, JSON_COMPACT);
	const char *p[3] = { DB_NUM(s, seller_id), DB_NUM(i, id), js };
	int rc;

	if (js == NULL)
		return DB_ERROR;
	rc = db_query_bigint(db, NULL,
	    "UPDATE crm_triggers t SET"
	    " enabled = coalesce(($3::jsonb->>'enabled')::boolean, t.enabled),"
	    " enabled_at = CASE WHEN coalesce(($3::jsonb->>'enabled')::boolean, t.enabled)"
	    "   AND NOT t.enabled THEN souk_now() ELSE t.enabled_at END,"
	    " template = coalesce($3::jsonb->>'template', t.template),"
	    " delay_seconds = coalesce(($3::jsonb->>'delay_seconds')::int, t.delay_seconds),"
	    " stage_id = coalesce(($3::jsonb->>'stage_id')::bigint, t.stage_id),"
	    " target_stage_id = coalesce(($3::jsonb->>'target_stage_id')::bigint,"
	    "   t.target_stage_id),"
	    " cooldown_seconds = coalesce(($3::jsonb->>'cooldown_seconds')::int,"
	    "   t.cooldown_seconds),"
	    " updated_at = souk_now()"
	    " WHERE t.id = $2::bigint AND t.seller_id = $1::bigint AND t.deleted_at IS NULL"
	    " RETURNING t.id", 3, p);
	free(js);
	return rc;
}

int
crm_auto_db_trigger_add(db_t *db, long long seller_id, json_t *v, int max, long long *id)
{
	char s[24], m[24];
	char *js = json_dumps(v, JSON_COMPACT);
	const char *p[3] = { DB_NUM(s, seller_id), js, DB_NUM(m, max) };
	int rc;

	*id = 0;
	if (js == NULL)
		return DB_ERROR;
	/* the defaults first (as the page would), then one adder per seller at a time */
	if ((rc = db_exec(db, NULL, "SELECT crm_auto_defaults($1::bigint)", 1, p)) != DB_OK ||
	    (rc = db_exec(db, NULL, "SELECT pg_advisory_xact_lock(hashtext('crm_trigger_add:'"
	    " || $1::bigint))", 1, p)) != DB_OK) {
		free(js);
		return rc;
	}
	rc = db_query_bigint(db, id,
	    "INSERT INTO crm_triggers (seller_id, kind, enabled, enabled_at, stage_id,"
	    " delay_seconds, event, target_stage_id, template, cooldown_seconds)"
	    " SELECT $1::bigint, x.v->>'kind', coalesce((x.v->>'enabled')::boolean, false),"
	    "  CASE WHEN coalesce((x.v->>'enabled')::boolean, false) THEN souk_now() END,"
	    "  (x.v->>'stage_id')::bigint, (x.v->>'delay_seconds')::int, x.v->>'event',"
	    "  (x.v->>'target_stage_id')::bigint, coalesce(x.v->>'template', ''),"
	    "  coalesce((x.v->>'cooldown_seconds')::int, 0)"
	    " FROM (SELECT $2::jsonb AS v) x"
	    " WHERE (SELECT count(*) FROM crm_triggers WHERE seller_id = $1::bigint"
	    "  AND deleted_at IS NULL) < $3::int"
	    " RETURNING id", 3, p);
	free(js);
	return rc;
}

int
crm_auto_db_trigger_delete(db_t *db, long long seller_id, long long id)
{
	char s[24], i[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(i, id) };

	return db_query_bigint(db, NULL, "UPDATE crm_triggers SET deleted_at = souk_now(),"
	    " enabled = false, updated_at = souk_now()"
	    " WHERE id = $2::bigint AND seller_id = $1::bigint AND deleted_at IS NULL RETURNING id",
	    2, p);
}

int
crm_auto_db_settings(db_t *db, long long seller_id, json_t **out)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };

	*out = NULL;
	return db_query_json(db, out,
	    "SELECT json_build_object('time_zone', crm_seller_tz($1::bigint),"
	    " 'custom', EXISTS (SELECT 1 FROM crm_settings WHERE seller_id = $1::bigint),"
	    " 'hours', (SELECT json_agg(json_build_object('weekday', d, 'open', h.weekday IS NOT NULL,"
	    "   'start_min', coalesce(h.start_min, 540), 'end_min', coalesce(h.end_min, 1020))"
	    "   ORDER BY d)"
	    "  FROM generate_series(1, 7) d"
	    "  LEFT JOIN crm_seller_hours($1::bigint) h ON h.weekday = d))", 1, p);
}

int
crm_auto_db_tz_known(db_t *db, const char *tz, int *known)
{
	const char *p[1] = { tz };
	PGresult *res = NULL;
	int rc;

	*known = 0;
	rc = db_exec(db, &res, "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)",
	    1, p);
	if (rc != DB_OK)
		return rc;
	*known = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return DB_OK;
}

int
crm_auto_db_settings_save(db_t *db, long long seller_id, const char *tz, json_t *hours)
{
	char s[24];
	char *js = json_dumps(hours, JSON_COMPACT);
	const char *p[3] = { DB_NUM(s, seller_id), tz, js };
	int rc;

	if (js == NULL)
		return DB_ERROR;
	rc = db_exec(db, NULL, "INSERT INTO crm_settings (seller_id, time_zone) VALUES ($1::bigint, $2)"
	    " ON CONFLICT (seller_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,"
	    " updated_at = souk_now()", 2, p);
	if (rc == DB_OK)
		rc = db_exec(db, NULL, "DELETE FROM crm_working_hours WHERE seller_id = $1::bigint", 1, p);
	if (rc == DB_OK) {
		const char *q[2] = { p[0], js };

		rc = db_exec(db, NULL, "INSERT INTO crm_working_hours (seller_id, weekday, start_min,"
		    " end_min) SELECT $1::bigint, (e->>'weekday')::smallint, (e->>'start_min')::int,"
		    " (e->>'end_min')::int FROM jsonb_array_elements($2::jsonb) e", 2, q);
	}
	free(js);
	return rc;
}

/*
 * The due events.  Each branch yields (trigger_id, seller_id,
 * conversation_id, kind, event_key) for enabled triggers, events after
 * enabled_at, not fired yet; only messages of kind 'user' (or 'offer' for
 * silence) count, so automatic messages never cause a firing.
 */
static const char sql_candidates[] =
    "WITH t AS (SELECT * FROM crm_triggers WHERE enabled AND deleted_at IS NULL),"
    " ev AS ("
    /* welcome: the buyer's first message */
    " SELECT t.id AS trigger_id, t.seller_id, c.id AS conversation_id, t.kind,"
    "   'welcome:' || c.id AS event_key"
    "  FROM t JOIN conversations c ON c.seller_id = t.seller_id"
    "   AND c.last_message_at >= t.enabled_at"
    "  CROSS JOIN LATERAL (SELECT m.created_at FROM messages m"
    "   WHERE m.conversation_id = c.id AND m.sender_id = c.buyer_id AND m.kind = 'user'"
    "   ORDER BY m.id LIMIT 1) fm"
    "  WHERE t.kind = 'welcome' AND fm.created_at >= t.enabled_at"
    "   AND fm.created_at >= souk_now() - interval '7 days'"
    " UNION ALL"
    /* away: a buyer message outside working hours the seller has not answered */
    " SELECT t.id, t.seller_id, c.id, t.kind, 'away:' || m.id"
    "  FROM t JOIN conversations c ON c.seller_id = t.seller_id"
    "   AND c.last_message_at >= t.enabled_at"
    "  JOIN messages m ON m.conversation_id = c.id AND m.sender_id = c.buyer_id"
    "   AND m.kind = 'user' AND m.created_at >= t.enabled_at"
    "   AND m.created_at >= souk_now() - interval '1 day'"
    "  WHERE t.kind = 'away' AND NOT crm_in_working_hours(t.seller_id, m.created_at)"
    "   AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.conversation_id = c.id"
    "    AND r.sender_id = c.seller_id AND r.kind IN ('user', 'offer') AND r.id > m.id)"
    " UNION ALL"
    /*
     * follow_up: silence since the last user/offer message or the entry
     * into the stage, whichever is later; once per trigger and silence
     */
    " SELECT t.id, t.seller_id, l.conversation_id, t.kind,"
    "   'follow_up:' || l.conversation_id || ':' || lm.id"
    "  FROM t JOIN crm_leads l ON l.seller_id = t.seller_id AND l.stage_id = t.stage_id"
    "  CROSS JOIN LATERAL (SELECT m.id, m.created_at FROM messages m"
    "   WHERE m.conversation_id = l.conversation_id AND m.kind IN ('user', 'offer')"
    "   ORDER BY m.id DESC LIMIT 1) lm"
    "  CROSS JOIN LATERAL (SELECT greatest(lm.created_at, l.stage_changed_at)"
    "   + make_interval(secs => t.delay_seconds) AS due) fq"
    "  WHERE t.kind = 'follow_up' AND fq.due <= souk_now() AND fq.due >= t.enabled_at"
    " UNION ALL"
    /* stage_enter: the 'stage' event into the stage, the lead still there */
    " SELECT t.id, t.seller_id, e.conversation_id, t.kind, 'stage_enter:' || e.id"
    "  FROM t JOIN crm_lead_events e ON e.seller_id = t.seller_id AND e.kind = 'stage'"
    "   AND e.created_at >= t.enabled_at AND e.created_at >= souk_now() - interval '1 day'"
    "   AND (e.data->>'to_stage_id')::bigint = t.stage_id"
    "  JOIN crm_leads l ON l.conversation_id = e.conversation_id AND l.stage_id = t.stage_id"
    "  WHERE t.kind = 'stage_enter'"
    " UNION ALL"
    /* move_on_event order_cancelled, unless another order of the pair is live */
    " SELECT t.id, t.seller_id, c.id, t.kind, 'order_cancelled:' || o.id"
    "  FROM t JOIN orders o ON o.seller_id = t.seller_id AND o.state = 'cancelled'"
    "   AND o.cancelled_at >= t.enabled_at AND o.cancelled_at >= souk_now() - interval '7 days'"
    "  JOIN conversations c ON c.buyer_id = o.buyer_id AND c.seller_id = o.seller_id"
    "  WHERE t.kind = 'move_on_event' AND t.event = 'order_cancelled'"
    "   AND NOT EXISTS (SELECT 1 FROM orders o2 WHERE o2.buyer_id = o.buyer_id"
    "    AND o2.seller_id = o.seller_id AND o2.id <> o.id AND o2.state NOT IN"
    "    ('awaiting_payment', 'cancelled', 'completed'))"
    " UNION ALL"
    /* move_on_event proposal_silence: in the stage, silent for the delay */
    " SELECT t.id, t.seller_id, l.conversation_id, t.kind,"
    "   'proposal_silence:' || l.conversation_id || ':'"
    "   || floor(extract(epoch FROM l.stage_changed_at))::bigint"
    "  FROM t JOIN crm_leads l ON l.seller_id = t.seller_id AND l.stage_id = t.stage_id"
    "  CROSS JOIN LATERAL (SELECT greatest(l.stage_changed_at, (SELECT max(m.created_at)"
    "   FROM messages m WHERE m.conversation_id = l.conversation_id"
    "   AND m.kind IN ('user', 'offer'))) AS since) q"
    "  WHERE t.kind = 'move_on_event' AND t.event = 'proposal_silence'"
    "   AND t.target_stage_id IS DISTINCT FROM l.stage_id"
    "   AND q.since + make_interval(secs => t.delay_seconds) <= souk_now()"
    "   AND q.since + make_interval(secs => t.delay_seconds) >= t.enabled_at"
    " )"
    " SELECT coalesce(json_agg(json_build_object('trigger_id', x.trigger_id,"
    "  'seller_id', x.seller_id, 'conversation_id', x.conversation_id, 'kind', x.kind,"
    "  'event_key', x.event_key)), '[]')"
    " FROM (SELECT ev.* FROM ev WHERE NOT EXISTS (SELECT 1 FROM crm_trigger_firings f"
    "   WHERE f.trigger_id = ev.trigger_id AND f.event_key = ev.event_key)"
    "  ORDER BY ev.conversation_id, ev.trigger_id LIMIT $1::int) x";

int
crm_auto_db_candidates(db_t *db, int limit, json_t **out)
{
	char l[24];
	const char *p[1] = { DB_NUM(l, limit) };

	*out = NULL;
	return db_query_json(db, out, sql_candidates, 1, p);
}

int
crm_auto_db_analytics(db_t *db, long long seller_id, int days, json_t **out)
{
	char s[24], d[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(d, days) };

	*out = NULL;
	return db_query_json(db, out,
	    "SELECT json_build_object('conversations', ss.conversations, 'spam', ss.spam,"
	    " 'responded', ss.responded,"
	    " 'response_median_s', round(ss.response_median_s)::bigint,"
	    " 'response_p90_s', round(ss.response_p90_s)::bigint,"
	    " 'responded_24h', ss.responded_24h, 'decided_24h', ss.decided_24h,"
	    " 'conversions', ss.conversions, 'pipeline', ss.pipeline,"
	    " 'won_weekly', ss.won_weekly, 'by_gig', ss.by_gig,"
	    " 'computed_at', to_char(ss.computed_at AT TIME ZONE 'UTC',"
	    "   'YYYY-MM-DD HH24:MI \"UTC\"'),"
	    " 'time_zone', crm_seller_tz($1::bigint),"
	    " 'daily', coalesce((SELECT json_agg(json_build_object('day', to_char(m.day,"
	    "   'YYYY-MM-DD'), 'conversations', m.conversations, 'responses', m.responses,"
	    "   'responses_24h', m.responses_24h, 'conversions', m.conversions, 'spam', m.spam,"
	    "   'won_minor', m.won_minor) ORDER BY m.day)"
	    "  FROM crm_seller_metrics m WHERE m.seller_id = ss.seller_id"
	    "   AND m.day > ((ss.computed_at AT TIME ZONE crm_seller_tz($1::bigint))::date"
	    "     - $2::int)), '[]'))"
	    " FROM crm_seller_summary ss"
	    " WHERE ss.seller_id = $1::bigint AND ss.period_days = $2::int", 2, p);
}
