/*
 * auto.h - the seller's CRM auto-triggers, working hours and analytics
 * (issue 7, "Auto-triggers" and "Analytics").
 *
 *   triggers.c   the trigger and settings pages, template checks and
 *                rendering, and the trigger sweep run by souk-worker;
 *   analytics.c  the analytics page (server-rendered SVG charts with data
 *                tables), its CSV export, and the metrics refresh;
 *   auto_db.c    their SQL (tables and functions in sql/0028_crm_auto.sql,
 *                deleted_at in sql/0030_crm_triggers_more.sql).
 *
 * Routes (min_role SELLER; the SELLER bit is checked again in the handler):
 *
 *	GET  /crm/triggers          the seller's triggers (defaults created on
 *	                            the first visit), a form each
 *	POST /crm/triggers          id, enabled (checkbox "1"), template,
 *	                            delay_value + delay_unit, stage_id,
 *	                            target_stage_id, cooldown_value +
 *	                            cooldown_unit (units: seconds, minutes,
 *	                            hours, days): 303 to /crm/triggers?saved=ID;
 *	                            a zero or negative delay, an unknown
 *	                            template variable or a bad number → 422
 *	                            with the values kept; another seller's
 *	                            trigger → 404; another seller's stage → 403;
 *	                            a deleted stage → 409
 *	POST /crm/triggers/new      add a trigger: kind (welcome, away,
 *	                            follow_up, stage_enter, move_on_event),
 *	                            event (move_on_event: order_cancelled or
 *	                            proposal_silence) and the fields of POST
 *	                            /crm/triggers the kind needs: 303 to
 *	                            /crm/triggers?saved=ID; bad input, or the
 *	                            seller already has CRM_TRIGGERS_MAX
 *	                            triggers → 422 with the values kept;
 *	                            another seller's stage → 403; a deleted
 *	                            stage → 409
 *	POST /crm/triggers/{id}/delete
 *	                            delete the trigger (soft: deleted_at, off;
 *	                            its firings and timeline events stay): 303
 *	                            to /crm/triggers?deleted=1; another
 *	                            seller's or an already deleted one → 404
 *	GET  /crm/settings          time zone and working hours
 *	POST /crm/settings          time_zone (an IANA name PostgreSQL knows),
 *	                            for each ISO weekday d = 1 (Monday) .. 7:
 *	                            open_d ("1" = open), start_d, end_d ("HH:MM",
 *	                            end may be "24:00", start < end): 303 to
 *	                            /crm/settings?saved=1, bad input → 422 kept
 *	GET  /crm/analytics         ?days=7|30|90 (default 30): the seller's
 *	                            figures as last computed by souk-worker
 *	GET  /crm/analytics.csv     ?days=7|30|90: the same figures as CSV
 *
 * Triggers (table crm_triggers; a seller has the defaults and any number
 * of their own of each kind, deleted ones excluded), run by
 * crm_auto_sweep():
 *	welcome        the buyer's first message of a conversation;
 *	away           a buyer message outside the seller's working hours (in
 *	               the seller's time zone), unless the seller answered it;
 *	follow_up      delay_seconds of silence (no user or offer message from
 *	               either side) while the lead is in stage_id, counted from
 *	               the last such message or the entry into the stage,
 *	               whichever is later; once per trigger and silence (the
 *	               event key names the last message);
 *	stage_enter    the lead entered stage_id (its 'stage' timeline event);
 *	move_on_event  event 'order_cancelled' (an order between the pair was
 *	               cancelled) or 'proposal_silence' (delay_seconds of
 *	               silence while in stage_id): moves the lead to
 *	               target_stage_id.
 * A trigger only reacts to events after it was switched on, never to a
 * message of kind 'auto' (so triggers never answer each other), at most
 * once per event (crm_trigger_firings, unique per trigger and event key)
 * and not again for the same lead within cooldown_seconds.  A trigger
 * tied to a stage (follow_up, stage_enter, proposal_silence) is skipped
 * ('moved') when the lead has left that stage by the time it fires (an
 * earlier firing of the same sweep may have moved it).  Messages are
 * sent as kind 'auto' by the seller, and every firing writes a 'trigger'
 * event {trigger_id, trigger_kind, event_key, message_id?, to_stage_id?}
 * to the lead's timeline.
 *
 * Analytics (crm_auto_refresh_analytics, SQL crm_analytics_seller): the
 * first-response time is the working seconds between the buyer's first
 * message and the seller's first own (user or offer) message after it;
 * the median and 90th percentile interpolate (percentile_cont); the
 * response rate is answered-within-24-working-hours over conversations
 * answered or unanswered for 24 working hours; conversion is conversations
 * with an order (paid, not cancelled) placed after it began over
 * conversations.  Conversations marked spam are left out of all of them.
 * A period of N days holds the conversations whose first buyer message is
 * within the last N days, and the orders placed in them (won revenue, per
 * local ISO week and currency).  The pipeline is the live board: leads not
 * marked spam per stage with their value (typed, else crm_lead_value).
 */
#ifndef SOUK_CRM_AUTO_H
#define SOUK_CRM_AUTO_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "db/db.h"
#include "http/http.h"
#include "http/router.h"
#include "kv/kv.h"

extern const route_t crm_auto_routes[];
extern const size_t crm_auto_nroutes;

/* Seconds between two trigger sweeps, and between two analytics refreshes, in souk-worker. */
#define CRM_TRIGGERS_EVERY 5.0
#define CRM_ANALYTICS_EVERY 60.0
/* Longest trigger template, Unicode characters (the column's CHECK agrees). */
#define CRM_TEMPLATE_MAX 1000
/* Most live triggers per seller (the defaults included); one more → 422. */
#define CRM_TRIGGERS_MAX 50
/* Most firings one sweep attempts (the rest wait for the next sweep). */
#define CRM_SWEEP_BATCH 200

/* What one trigger sweep did. */
struct crm_auto_sweep {
	int defaults;	/* default triggers created for sellers who had none */
	int sent;	/* auto messages sent */
	int moved;	/* leads moved to another stage */
	int skipped;	/* firings held back (cooldown, blocked, spam, no change, error) */
};

/*
 * crm_auto_sweep - one pass of the trigger engine: create default triggers
 * for sellers with leads and none, find the due events of every enabled
 * trigger (at most CRM_SWEEP_BATCH), and fire each in its own transaction
 * (row lock on the lead, firing row first: a concurrent sweep waits and
 * then finds the event taken).  After each commit the new message is
 * published (messages_publish_new) or the move (crm_publish_move) through
 * @kv (may be NULL: nothing is published).  @out is zeroed then filled.
 * Returns: DB_OK, or the first DB_* error met (later events still run).
 */
int crm_auto_sweep(db_t *db, kv_conn_t *kv, struct crm_auto_sweep *out);

/*
 * crm_auto_refresh_analytics - recompute the metric tables of every seller
 * with activity in the last 91 days (SQL crm_analytics_refresh, one
 * transaction).  @sellers (may be NULL) receives how many.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int crm_auto_refresh_analytics(db_t *db, int *sellers);

/*
 * crm_auto_analytics_page, crm_auto_analytics_csv - the handlers of GET
 * /crm/analytics and GET /crm/analytics.csv (analytics.c; listed in
 * crm_auto_routes).  Return the response status.
 */
int crm_auto_analytics_page(http_req_t *req);
int crm_auto_analytics_csv(http_req_t *req);

/* ==== pure helpers (no I/O) ==== */

/*
 * crm_auto_template_check - whether trigger template @tpl (UTF-8) is
 * acceptable: at most CRM_TEMPLATE_MAX characters, and every Mustache tag
 * a plain {{name}} of buyer_name, buyer_handle or seller_name (spaces
 * inside the braces allowed; no sections, partials, {{{ }}} or {{& }}).
 * Returns: 0 when fine, 1 when too long, 2 for an unknown variable or tag.
 */
int crm_auto_template_check(const char *tpl);

/*
 * crm_auto_render - append to @out the message of template @tpl (checked
 * by crm_auto_template_check) for these variables (NULL counts as ""),
 * rendered by our Mustache engine (src/tmpl) with every character of
 * markup escaped: the template's own text as well as the variables'
 * values come out HTML-escaped (&lt;b&gt;), so the message shows markup
 * as text and never as HTML.
 * Returns: 0, or -1 when the template does not compile (@out unchanged).
 */
int crm_auto_render(const char *tpl, const char *buyer_name, const char *buyer_handle,
    const char *seller_name, buf_t *out);

/*
 * crm_auto_parse_hhmm - "HH:MM" (00:00..23:59, or 24:00 when @allow_24)
 * into minutes after midnight.
 * Returns: the minutes, or -1 for anything else.
 */
int crm_auto_parse_hhmm(const char *s, int allow_24);

/*
 * crm_auto_duration - @value (a whole number as typed, optional leading
 * '-', spaces around allowed) times the unit @unit ("seconds", "minutes",
 * "hours", "days") into *@seconds.
 * Returns: 0; -1 when @value is not a number or @unit is unknown; -2 when
 * the result is not between 1 and 365 days (zero or negative included).
 */
int crm_auto_duration(const char *value, const char *unit, long long *seconds);

/* ==== queries (auto_db.c); DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN ==== */

/*
 * crm_auto_db_triggers - seller @seller_id's live (not deleted) triggers
 * (the defaults are created first when they have never had any), in order
 * of kind and id:
 * [{id, kind, enabled, stage_id, delay_seconds, event, target_stage_id,
 * template, cooldown_seconds, fired (count of firings)}], and
 * @stages: the seller's live stages [{id, name}].  New references.
 */
int crm_auto_db_triggers(db_t *db, long long seller_id, json_t **out, json_t **stages);

/*
 * crm_auto_db_stage_state - stage @stage_id as seen by seller @seller_id:
 * *@state = 0 theirs and live, 1 theirs and deleted, 2 another seller's;
 * DB_ENOROW when there is no such stage.
 */
int crm_auto_db_stage_state(db_t *db, long long seller_id, long long stage_id, int *state);

/*
 * crm_auto_db_trigger_save - update trigger @id of seller @seller_id with
 * the JSON object @v {enabled (bool), template, delay_seconds (int|null),
 * stage_id (int|null), target_stage_id (int|null), cooldown_seconds}:
 * fields null or absent keep their value except where the kind needs
 * them; enabled_at becomes souk_now() when switched on.
 * Returns DB_ENOROW when the trigger is not the seller's (or is deleted).
 */
int crm_auto_db_trigger_save(db_t *db, long long seller_id, long long id, json_t *v);

/*
 * crm_auto_db_trigger_add - in the caller's transaction: create seller
 * @seller_id's defaults if they never had triggers, then (under an
 * advisory lock per seller, held to the end of the transaction) insert the
 * trigger @v {kind, event (string|null), enabled (bool), template,
 * delay_seconds, stage_id, target_stage_id (int|null), cooldown_seconds}
 * unless the seller already has @max live triggers.  The values must be
 * checked already (the table's CHECKs refuse the rest: DB_ERROR).
 * enabled_at is souk_now() when @v is enabled.  *@id: the new trigger.
 * Returns: DB_OK; DB_ENOROW when the seller is at @max; DB_ERROR, DB_EDOWN.
 */
int crm_auto_db_trigger_add(db_t *db, long long seller_id, json_t *v, int max, long long *id);

/*
 * crm_auto_db_trigger_delete - soft-delete trigger @id of seller
 * @seller_id: deleted_at = souk_now() and switched off; its firings and
 * the leads' 'trigger' timeline events stay.
 * Returns: DB_OK; DB_ENOROW when it is not the seller's or already deleted.
 */
int crm_auto_db_trigger_delete(db_t *db, long long seller_id, long long id);

/*
 * crm_auto_db_settings - seller @seller_id's {time_zone, custom (bool: a
 * settings row exists), hours: [{weekday 1..7, open, start_min, end_min}]}
 * (the defaults when none are saved).  @out: a new reference.
 */
int crm_auto_db_settings(db_t *db, long long seller_id, json_t **out);

/* crm_auto_db_tz_known - *@known = 1 when @tz is in pg_timezone_names, else 0. */
int crm_auto_db_tz_known(db_t *db, const char *tz, int *known);

/*
 * crm_auto_db_settings_save - replace seller @seller_id's settings with
 * time zone @tz and the open weekdays of @hours ([{weekday, start_min,
 * end_min}], borrowed), in the caller's transaction.
 */
int crm_auto_db_settings_save(db_t *db, long long seller_id, const char *tz, json_t *hours);

/*
 * crm_auto_db_candidates - up to @limit due events of enabled triggers
 * that have no firing yet: [{trigger_id, seller_id, conversation_id,
 * kind, event_key}].  @out: a new reference.
 */
int crm_auto_db_candidates(db_t *db, int limit, json_t **out);

/*
 * crm_auto_db_analytics - seller @seller_id's summary of @days days
 * (crm_seller_summary; DB_ENOROW when not computed yet) with "daily": the
 * crm_seller_metrics rows of those days, oldest first, and "time_zone".
 * @out: a new reference.
 */
int crm_auto_db_analytics(db_t *db, long long seller_id, int days, json_t **out);

#endif
