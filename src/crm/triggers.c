/*
 * triggers.c - the CRM auto-triggers: the trigger and working-hours
 * pages, template checks and rendering, and the sweep souk-worker runs
 * (see auto.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "crm/auto.h"
#include "crm/crm.h"
#include "crm/tools.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "messages/messages.h"
#include "tmpl/tmpl.h"
#include "web/app.h"

#define JS(o, k) json_string_value(json_object_get((o), (k)))
#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

static const char *const vars[] = { "buyer_name", "buyer_handle", "seller_name", NULL };
static const char *const units[] = { "seconds", "minutes", "hours", "days", NULL };
static const long long unit_secs[] = { 1, 60, 3600, 86400 };

/* ==== pure helpers ==== */

int
crm_auto_template_check(const char *tpl)
{
	const char *p = tpl, *open, *close;

	if (tpl == NULL)
		return 0;
	if (utf8_chars(tpl) > CRM_TEMPLATE_MAX)
		return 1;
	while ((open = strstr(p, "{{")) != NULL) {
		const char *a, *b;
		int ok = 0;

		if ((close = strstr(open + 2, "}}")) == NULL)
			return 2;
		a = open + 2;
		b = close;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		for (size_t i = 0; vars[i] != NULL; i++)
			if ((size_t)(b - a) == strlen(vars[i]) && memcmp(a, vars[i], (size_t)(b - a)) == 0)
				ok = 1;
		if (!ok)
			return 2;
		p = close + 2;
	}
	return 0;
}

int
crm_auto_render(const char *tpl, const char *buyer_name, const char *buyer_handle,
    const char *seller_name, buf_t *out)
{
	char err[TMPL_ERRLEN];
	json_t *ctx;
	buf_t src;
	int rc;

	if (tpl == NULL)
		tpl = "";
	/*
	 * Escape the template's own text first: tags survive (the braces and
	 * the allowed names hold no character tmpl_escape_html changes), the
	 * engine then escapes the variables' values.
	 */
	buf_init(&src, NULL);
	tmpl_escape_html(&src, tpl, strlen(tpl));
	ctx = json_pack("{s:s, s:s, s:s}", "buyer_name", buyer_name != NULL ? buyer_name : "",
	    "buyer_handle", buyer_handle != NULL ? buyer_handle : "",
	    "seller_name", seller_name != NULL ? seller_name : "");
	rc = tmpl_render_string(NULL, buf_cstr(&src), src.len, ctx, NULL, 0, out, err, sizeof(err));
	json_decref(ctx);
	buf_free(&src);
	return rc == 0 ? 0 : -1;
}

int
crm_auto_parse_hhmm(const char *s, int allow_24)
{
	int h, m;

	if (s == NULL)
		return -1;
	while (*s == ' ')
		s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	for (const char *t = s + 5; *t != '\0'; t++)
		if (*t != ' ')
			return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
		return -1;
	return h * 60 + m;
}

int
crm_auto_duration(const char *value, const char *unit, long long *seconds)
{
	const char *p = value;
	char *end;
	long long v;
	size_t u;

	*seconds = 0;
	if (value == NULL || unit == NULL)
		return -1;
	for (u = 0; units[u] != NULL && strcmp(units[u], unit) != 0; u++)
		;
	if (units[u] == NULL)
		return -1;
	while (*p == ' ')
		p++;
	if (!(isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))))
		return -1;
	errno = 0;
	v = strtoll(p, &end, 10);
	while (*end == ' ')
		end++;
	if (*end != '\0' || errno != 0)
		return -1;
	if (v <= 0 || v > 365LL * 86400 / unit_secs[u])
		return -2;
	*seconds = v * unit_secs[u];
	return 0;
}

/* ==== the sweep ==== */

/* The name of a trigger on the lead's timeline (stored in English, as the other event data). */
static const char *
trigger_name(const char *kind, const char *event)
{
	if (strcmp(kind, "welcome") == 0)
		return "Welcome message";
	if (strcmp(kind, "away") == 0)
		return "Away reply";
	if (strcmp(kind, "follow_up") == 0)
		return "Follow-up";
	if (strcmp(kind, "stage_enter") == 0)
		return "Message on entering a stage";
	if (event != NULL && strcmp(event, "order_cancelled") == 0)
		return "Move when an order is cancelled";
	return "Move after silence";
}

/* Record @firing_id as skipped for @reason and commit. */
static int
skip_commit(db_t *db, long long firing_id, const char *reason)
{
	char f[24];
	const char *p[2] = { DB_NUM(f, firing_id), reason };
	int rc;

	if ((rc = db_exec(db, NULL, "UPDATE crm_trigger_firings SET status = 'skipped', reason = $2"
	    " WHERE id = $1::bigint", 2, p)) != DB_OK || (rc = db_commit(db)) != DB_OK)
		(void)db_rollback(db);
	return rc;
}

/* After a failed firing was rolled back: record it as skipped ('error') so it is not retried. */
static void
record_error(db_t *db, json_t *cand)
{
	char t[24], c[24];
	const char *p[3] = { DB_NUM(t, JI(cand, "trigger_id")),
	    DB_NUM(c, JI(cand, "conversation_id")), JS(cand, "event_key") };

	if (db_begin(db) != DB_OK)
		return;
	if (db_exec(db, NULL, "INSERT INTO crm_trigger_firings (trigger_id, conversation_id,"
	    " event_key, status, reason) VALUES ($1::bigint, $2::bigint, $3, 'skipped', 'error')"
	    " ON CONFLICT DO NOTHING", 3, p) != DB_OK || db_commit(db) != DB_OK)
		(void)db_rollback(db);
}

/* The trigger, the pair and the lead as a firing needs them (inside the transaction). */
static int
firing_context(db_t *db, long long trigger_id, long long conv_id, long long firing_id,
    json_t **out)
{
	char t[24], c[24], f[24];
	const char *p[3] = { DB_NUM(t, trigger_id), DB_NUM(c, conv_id), DB_NUM(f, firing_id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('enabled', t.enabled, 'kind', t.kind, 'event', t.event,"
	    " 'template', t.template, 'target_stage_id', t.target_stage_id,"
	    " 'trigger_stage_id', t.stage_id,"
	    " 'seller_id', c.seller_id, 'seller_name', coalesce(sp.display_name, su.handle),"
	    " 'buyer_handle', bu.handle, 'buyer_name', coalesce(bp.display_name, bu.handle),"
	    " 'blocked', EXISTS (SELECT 1 FROM user_blocks b WHERE"
	    "   (b.blocker_id = c.seller_id AND b.blocked_id = c.buyer_id) OR"
	    "   (b.blocker_id = c.buyer_id AND b.blocked_id = c.seller_id)),"
	    " 'spam', coalesce(l.spam, false), 'stage_id', l.stage_id,"
	    " 'cooling', t.cooldown_seconds > 0 AND EXISTS (SELECT 1 FROM crm_trigger_firings f"
	    "   WHERE f.trigger_id = t.id AND f.conversation_id = c.id AND f.status = 'fired'"
	    "   AND f.id <> $3::bigint"
	    "   AND f.fired_at > souk_now() - make_interval(secs => t.cooldown_seconds)))"
	    " FROM crm_triggers t JOIN conversations c ON c.id = $2::bigint"
	    " JOIN users su ON su.id = c.seller_id LEFT JOIN profiles sp ON sp.user_id = su.id"
	    " JOIN users bu ON bu.id = c.buyer_id LEFT JOIN profiles bp ON bp.user_id = bu.id"
	    " LEFT JOIN crm_leads l ON l.conversation_id = c.id"
	    " WHERE t.id = $1::bigint AND t.seller_id = c.seller_id", 3, p);
}

/*
 * Fire one due event @cand.  Returns DB_OK (fired, skipped or taken by a
 * concurrent sweep) or a DB_* error; counts into @out.
 */
static int
fire_one(db_t *db, kv_conn_t *kv, json_t *cand, struct crm_auto_sweep *out)
{
	long long trig = JI(cand, "trigger_id"), conv = JI(cand, "conversation_id");
	long long seller = JI(cand, "seller_id"), firing = 0, msg_id = 0, ev_id = 0, to = 0;
	char t[24], c[24], f[24], m[24], e[24], at[32], by[40];
	const char *p[3] = { DB_NUM(t, trig), DB_NUM(c, conv), JS(cand, "event_key") };
	json_t *x = NULL, *data;
	char *dj;
	int rc, is_move;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	/* one firing per lead at a time: the cooldown check sees the others */
	if ((rc = db_exec(db, NULL, "SELECT 1 FROM crm_leads WHERE conversation_id = $1::bigint"
	    " FOR UPDATE", 1, p + 1)) != DB_OK)
		goto fail;
	rc = db_query_bigint(db, &firing, "INSERT INTO crm_trigger_firings (trigger_id,"
	    " conversation_id, event_key) VALUES ($1::bigint, $2::bigint, $3)"
	    " ON CONFLICT DO NOTHING RETURNING id", 3, p);
	if (rc == DB_ENOROW) {	/* another sweep fired it meanwhile */
		(void)db_rollback(db);
		return DB_OK;
	}
	if (rc != DB_OK)
		goto fail;
	if ((rc = firing_context(db, trig, conv, firing, &x)) != DB_OK)
		goto fail;
	is_move = strcmp(JS(x, "kind"), "move_on_event") == 0;
	if (!json_is_true(json_object_get(x, "enabled"))) {
		rc = skip_commit(db, firing, "disabled");
		goto skipped;
	}
	if (json_is_true(json_object_get(x, "cooling"))) {
		rc = skip_commit(db, firing, "cooldown");
		goto skipped;
	}
	if (!is_move && json_is_true(json_object_get(x, "spam"))) {
		rc = skip_commit(db, firing, "spam");
		goto skipped;
	}
	if (!is_move && json_is_true(json_object_get(x, "blocked"))) {
		rc = skip_commit(db, firing, "blocked");
		goto skipped;
	}
	/* tied to a stage the lead has left since the sweep looked (another firing moved it) */
	if (JI(x, "trigger_stage_id") != 0 && JI(x, "trigger_stage_id") != JI(x, "stage_id")) {
		rc = skip_commit(db, firing, "moved");
		goto skipped;
	}
	if (is_move) {
		to = JI(x, "target_stage_id");
		if (to == 0 || to == JI(x, "stage_id")) {
			rc = skip_commit(db, firing, "no_change");
			goto skipped;
		}
		snprintf(by, sizeof(by), "trigger:%lld", trig);
		if ((rc = crm_lead_move(db, seller, conv, to, by, NULL)) != CRM_OK) {
			log_warn("crm trigger %lld: moving lead %lld to stage %lld failed (%d)", trig,
			    conv, to, rc);
			rc = rc == CRM_EDOWN ? DB_EDOWN : DB_ERROR;
			goto fail;
		}
	} else {
		buf_t body;

		buf_init(&body, NULL);
		if (crm_auto_render(JS(x, "template"), JS(x, "buyer_name"), JS(x, "buyer_handle"),
		    JS(x, "seller_name"), &body) != 0 || body.len == 0 ||
		    utf8_chars(buf_cstr(&body)) > MESSAGES_BODY_MAX) {
			buf_free(&body);
			rc = skip_commit(db, firing, "template");
			goto skipped;
		}
		rc = messages_db_insert_ex(db, conv, seller, buf_cstr(&body), "auto", 0, &msg_id, at);
		buf_free(&body);
		if (rc != DB_OK)
			goto fail;
	}
	data = json_pack("{s:I, s:s, s:s, s:s}", "trigger_id", (json_int_t)trig, "trigger_kind",
	    JS(x, "kind"), "event_key", JS(cand, "event_key"), "name", trigger_name(JS(x, "kind"),
	    JS(x, "event")));
	if (msg_id != 0)
		json_object_set_new(data, "message_id", json_integer(msg_id));
	if (to != 0)
		json_object_set_new(data, "to_stage_id", json_integer(to));
	if (JS(x, "event") != NULL)
		json_object_set_new(data, "event", json_string(JS(x, "event")));
	dj = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	{
		char s[24];
		const char *q[3] = { c, DB_NUM(s, seller), dj };

		rc = db_query_bigint(db, &ev_id, "INSERT INTO crm_lead_events (conversation_id,"
		    " seller_id, kind, data) VALUES ($1::bigint, $2::bigint, 'trigger', $3::jsonb)"
		    " RETURNING id", 3, q);
	}
	free(dj);
	if (rc != DB_OK)
		goto fail;
	{
		const char *q[3] = { DB_NUM(f, firing), msg_id != 0 ? DB_NUM(m, msg_id) : NULL,
		    DB_NUM(e, ev_id) };

		if ((rc = db_exec(db, NULL, "UPDATE crm_trigger_firings SET message_id = $2::bigint,"
		    " lead_event_id = $3::bigint WHERE id = $1::bigint", 3, q)) != DB_OK)
			goto fail;
	}
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	json_decref(x);
	if (is_move) {
		out->moved++;
		if (kv != NULL)
			crm_publish_move(kv, db, seller, conv);
	} else {
		out->sent++;
		if (kv != NULL)
			(void)messages_publish_new(kv, db, conv, msg_id);
	}
	return DB_OK;
skipped:
	json_decref(x);
	if (rc == DB_OK)
		out->skipped++;
	return rc;
fail:
	json_decref(x);
	(void)db_rollback(db);
	if (rc != DB_EDOWN && firing != 0) {
		record_error(db, cand);
		out->skipped++;
	}
	return rc;
}

int
crm_auto_sweep(db_t *db, kv_conn_t *kv, struct crm_auto_sweep *out)
{
	json_t *cands = NULL, *cand;
	PGresult *res = NULL;
	int rc, first = DB_OK;
	size_t i;

	memset(out, 0, sizeof(*out));
	rc = db_exec(db, &res, "SELECT coalesce(sum(crm_auto_defaults(s.seller_id)), 0)"
	    " FROM (SELECT DISTINCT l.seller_id FROM crm_leads l WHERE NOT EXISTS"
	    " (SELECT 1 FROM crm_triggers t WHERE t.seller_id = l.seller_id)) s", 0, NULL);
	if (rc != DB_OK) {
		log_warn("crm sweep: default triggers: %s", db_errmsg(db));
		first = rc;
	} else {
		out->defaults = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	if ((rc = crm_offers_sweep(db, kv, NULL)) != DB_OK && first == DB_OK)	/* offers.c */
		first = rc;
	if ((rc = crm_auto_db_candidates(db, CRM_SWEEP_BATCH, &cands)) != DB_OK) {
		log_warn("crm sweep: events: %s", db_errmsg(db));
		return first != DB_OK ? first : rc;
	}
	json_array_foreach(cands, i, cand) {
		if ((rc = fire_one(db, kv, cand, out)) != DB_OK) {
			log_warn("crm sweep: trigger %lld, event %s: %s", JI(cand, "trigger_id"),
			    JS(cand, "event_key"), db_errmsg(db));
			if (first == DB_OK)
				first = rc;
			if (rc == DB_EDOWN)
				break;
		}
	}
	json_decref(cands);
	return first;
}

/* ==== pages ==== */

static int
is_seller(const http_req_t *req)
{
	return (req->roles & ROLE_BIT(ROLE_SELLER)) != 0;
}

static int
not_seller(http_req_t *req)
{
	return app_error(req, 403, N_("The CRM is for sellers. Become a seller first."));
}

/* Split @secs into the largest unit that divides it: *@unit and the value. */
static long long
split_duration(long long secs, const char **unit)
{
	for (int u = 3; u >= 0; u--)
		if (secs > 0 && secs % unit_secs[u] == 0) {
			*unit = units[u];
			return secs / unit_secs[u];
		}
	*unit = secs == 0 ? "hours" : "seconds";
	return secs;
}

/* [{value, label, selected}] of the units, @sel selected. */
static json_t *
unit_options(http_req_t *req, const char *sel)
{
	static const char *const labels[] = { N_("seconds"), N_("minutes"), N_("hours"), N_("days") };
	json_t *a = json_array();

	for (int u = 0; units[u] != NULL; u++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value", units[u], "label",
		    i18n_str(app_lang(req), labels[u]), "selected", sel != NULL &&
		    strcmp(sel, units[u]) == 0));
	return a;
}

/* [{id, name, selected}] of @stages, @sel selected. */
static json_t *
stage_options(json_t *stages, long long sel)
{
	json_t *a = json_array(), *s;
	size_t i;

	json_array_foreach(stages, i, s)
		json_array_append_new(a, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)JI(s, "id"),
		    "name", JS(s, "name"), "selected", JI(s, "id") == sel));
	return a;
}

/* The name of stage @id among @stages, or NULL. */
static const char *
stage_name(json_t *stages, long long id)
{
	json_t *s;
	size_t i;

	json_array_foreach(stages, i, s)
		if (JI(s, "id") == id)
			return JS(s, "name");
	return NULL;
}

static const char *const kinds[] = { "welcome", "away", "follow_up", "stage_enter",
	"move_on_event", NULL };
static const char *const events[] = { "order_cancelled", "proposal_silence", NULL };

/* The fields a trigger of @kind ("" when unknown) and @event (or NULL) has. */
struct needs {
	int delay, stage, target, tpl;
};

static struct needs
needs_of(const char *kind, const char *event)
{
	int silence = event != NULL && strcmp(event, "proposal_silence") == 0;
	struct needs n;

	n.delay = strcmp(kind, "follow_up") == 0 || silence;
	n.stage = strcmp(kind, "follow_up") == 0 || strcmp(kind, "stage_enter") == 0 || silence;
	n.target = strcmp(kind, "move_on_event") == 0;
	n.tpl = !n.target && kind[0] != '\0';
	return n;
}

/*
 * The view of trigger @t: with @form (the posted values, or NULL) and
 * @errors (or NULL) when it is the trigger that was posted.
 */
static json_t *
trigger_view(http_req_t *req, json_t *t, json_t *stages, json_t *form, json_t *errors,
    long long saved)
{
	const char *kind = JS(t, "kind"), *event = JS(t, "event"), *du = NULL, *cu = NULL, *name;
	struct needs n = needs_of(kind, event);
	long long dv = 0, cv;
	json_t *v = json_pack("{s:I, s:s, s:b, s:I, s:b, s:b, s:b, s:b, s:b}",
	    "id", (json_int_t)JI(t, "id"), "kind", kind,
	    "enabled", json_is_true(json_object_get(t, "enabled")),
	    "fired", (json_int_t)JI(t, "fired"), "needs_delay", n.delay,
	    "needs_stage", n.stage, "needs_target", n.target,
	    "needs_template", !n.target, "saved", saved == JI(t, "id"));
	char key[48];

	snprintf(key, sizeof(key), "is_%s", kind);
	json_object_set_new(v, key, json_true());
	if (event != NULL) {
		snprintf(key, sizeof(key), "is_%s", event);
		json_object_set_new(v, key, json_true());
	}
	/* several triggers of a kind: the title names the stages */
	if (n.stage && (name = stage_name(stages, JI(t, "stage_id"))) != NULL)
		json_object_set_new(v, "stage_name", json_string(name));
	if (n.target && (name = stage_name(stages, JI(t, "target_stage_id"))) != NULL)
		json_object_set_new(v, "target_name", json_string(name));
	if (n.delay)
		dv = split_duration(JI(t, "delay_seconds"), &du);
	cv = split_duration(JI(t, "cooldown_seconds"), &cu);
	if (form != NULL) {
		json_object_set(v, "enabled", json_object_get(form, "enabled"));
		json_object_set_new(v, "template", json_string(JS(form, "template")));
		json_object_set_new(v, "delay_value", json_string(JS(form, "delay_value")));
		json_object_set_new(v, "cooldown_value", json_string(JS(form, "cooldown_value")));
		du = JS(form, "delay_unit");
		cu = JS(form, "cooldown_unit");
		json_object_set_new(v, "stages", stage_options(stages, JI(form, "stage_id")));
		json_object_set_new(v, "targets", stage_options(stages, JI(form, "target_stage_id")));
	} else {
		json_object_set_new(v, "template", json_string(JS(t, "template")));
		json_object_set_new(v, "delay_value", json_string(arena_printf(req->arena, "%lld", dv)));
		json_object_set_new(v, "cooldown_value", json_string(arena_printf(req->arena, "%lld",
		    cv)));
		json_object_set_new(v, "stages", stage_options(stages, JI(t, "stage_id")));
		json_object_set_new(v, "targets", stage_options(stages, JI(t, "target_stage_id")));
	}
	json_object_set_new(v, "delay_units", unit_options(req, du));
	json_object_set_new(v, "cooldown_units", unit_options(req, cu));
	if (errors != NULL && json_object_size(errors) > 0) {
		json_object_set(v, "errors", errors);
		json_object_set_new(v, "has_errors", json_true());
	}
	return v;
}

/*
 * The "Add a trigger" form: empty (@form NULL: a follow-up of 2 days,
 * switched on) or the values posted to /crm/triggers/new with @errors;
 * @count of the seller's CRM_TRIGGERS_MAX triggers exist.
 */
static json_t *
add_view(http_req_t *req, json_t *stages, size_t count, json_t *form, json_t *errors)
{
	const char *kind = form != NULL ? JS(form, "kind") : "follow_up";
	const char *event = form != NULL ? JS(form, "event") : "order_cancelled";
	json_t *v = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I, s:b}",
	    "enabled", form != NULL ? json_is_true(json_object_get(form, "enabled")) : 1,
	    "template", form != NULL ? JS(form, "template") : "",
	    "delay_value", form != NULL ? JS(form, "delay_value") : "2",
	    "cooldown_value", form != NULL ? JS(form, "cooldown_value") : "0",
	    "count", (json_int_t)count, "max", (json_int_t)CRM_TRIGGERS_MAX,
	    "full", count >= CRM_TRIGGERS_MAX);
	char key[48];

	if ((kind = app_pick(kinds, kind)) != NULL) {
		snprintf(key, sizeof(key), "kind_%s", kind);
		json_object_set_new(v, key, json_true());
	}
	if ((event = app_pick(events, event)) != NULL) {
		snprintf(key, sizeof(key), "event_%s", event);
		json_object_set_new(v, key, json_true());
	}
	json_object_set_new(v, "delay_units", unit_options(req, form != NULL ?
	    JS(form, "delay_unit") : "days"));
	json_object_set_new(v, "cooldown_units", unit_options(req, form != NULL ?
	    JS(form, "cooldown_unit") : "hours"));
	json_object_set_new(v, "stages", stage_options(stages, form != NULL ?
	    JI(form, "stage_id") : 0));
	json_object_set_new(v, "targets", stage_options(stages, form != NULL ?
	    JI(form, "target_stage_id") : 0));
	if (errors != NULL && json_object_size(errors) > 0) {
		json_object_set(v, "errors", errors);
		json_object_set_new(v, "has_errors", json_true());
	}
	return v;
}

/*
 * Render the page: every trigger from the database, the one with id
 * @form_id showing @form and @errors instead (form_id 0 with @form: the
 * "Add a trigger" form shows them).
 */
static int
show_triggers(http_req_t *req, int status, long long form_id, json_t *form, json_t *errors)
{
	const char *saved_s = kv_get(&req->query_params, "saved");
	long long saved = saved_s != NULL ? app_form_int(saved_s, 1, LLONG_MAX / 2) : 0;
	json_t *list = NULL, *stages = NULL, *views, *t, *ctx, *add;
	size_t i;
	int rc;

	if ((rc = crm_auto_db_triggers(APP(req)->db, req->user_id, &list, &stages)) != DB_OK)
		return app_db_status(req, rc);
	views = json_array();
	json_array_foreach(list, i, t)
		json_array_append_new(views, form_id != 0 && JI(t, "id") == form_id ?
		    trigger_view(req, t, stages, form, errors, 0) :
		    trigger_view(req, t, stages, NULL, NULL, status == 200 ? saved : 0));
	add = form_id == 0 && form != NULL ? add_view(req, stages, json_array_size(list), form,
	    errors) : add_view(req, stages, json_array_size(list), NULL, NULL);
	ctx = json_pack("{s:o, s:o, s:b, s:b}", "triggers", views, "add", add, "has_errors",
	    errors != NULL && json_object_size(errors) > 0, "deleted", status == 200 &&
	    kv_get(&req->query_params, "deleted") != NULL);
	json_decref(list);
	json_decref(stages);
	app_page(ctx, i18n_str(app_lang(req), N_("Auto-triggers")), NULL, "/crm/triggers", NULL);
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/triggers", ctx);
	json_decref(ctx);
	return rc;
}

static int
triggers_get(http_req_t *req)
{
	if (!is_seller(req))
		return not_seller(req);
	return show_triggers(req, 200, 0, NULL, NULL);
}

/* The stage id posted in @field: 0 when absent/empty, -1 when not a number. */
static long long
form_stage(http_req_t *req, const char *field)
{
	const char *s = http_form(req, field);

	if (s[0] == '\0')
		return 0;
	return app_form_int(s, 1, LLONG_MAX / 2) == LLONG_MIN ? -1 : app_form_int(s, 1,
	    LLONG_MAX / 2);
}

/* The checked values of a posted trigger form (seconds; stage ids, 0 = none). */
struct trig_in {
	const char *tpl;
	long long delay, cooldown, stage, target;
};

/*
 * Check the posted fields a trigger needing @n has: field errors into
 * @errors, the values into @in.  Returns 0, or the status of the error
 * page already sent (403 another seller's stage, 409 a deleted stage, a
 * database error).
 */
static int
check_fields(http_req_t *req, struct needs n, json_t *errors, struct trig_in *in)
{
	const char *cv = http_form(req, "cooldown_value");
	int d, rc;

	memset(in, 0, sizeof(*in));
	in->tpl = http_form(req, "template");
	if (n.tpl) {
		if ((d = crm_auto_template_check(in->tpl)) == 1)
			app_form_error(errors, "template", "too_long");
		else if (d == 2)
			app_form_error(errors, "template", "unknown");
		else if (in->tpl[0] == '\0')
			app_form_error(errors, "template", "required");
	}
	if (n.delay && (d = crm_auto_duration(http_form(req, "delay_value"),
	    http_form(req, "delay_unit"), &in->delay)) != 0)
		app_form_error(errors, "delay", d == -2 ? "range" : "invalid");
	while (*cv == ' ')
		cv++;
	if (cv[0] == '\0' || (cv[0] == '0' && strspn(cv, "0 ") == strlen(cv)))
		in->cooldown = 0;
	else if ((d = crm_auto_duration(cv, http_form(req, "cooldown_unit"), &in->cooldown)) != 0)
		app_form_error(errors, "cooldown", d == -2 ? "range" : "invalid");
	if (n.stage && (in->stage = form_stage(req, "stage_id")) <= 0)
		app_form_error(errors, "stage", "required");
	if (n.target && (in->target = form_stage(req, "target_stage_id")) <= 0)
		app_form_error(errors, "target", "required");
	for (int k = 0; k < 2; k++) {
		long long sid = k == 0 ? in->stage : in->target;
		int state = 0;

		if (sid <= 0)
			continue;
		rc = crm_auto_db_stage_state(APP(req)->db, req->user_id, sid, &state);
		if (rc == DB_ENOROW)
			app_form_error(errors, k == 0 ? "stage" : "target", "required");
		else if (rc != DB_OK)
			return app_db_status(req, rc);
		else if (state == 2)
			return app_error(req, 403, N_("That stage belongs to another seller."));
		else if (state == 1)
			return app_error(req, 409, N_("That stage was removed. Choose another one."));
	}
	return 0;
}

/* The posted values to keep in the form after a 422 (stage ids as checked). */
static json_t *
kept_form(http_req_t *req, const struct trig_in *in)
{
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "enabled", strcmp(http_form(req, "enabled"), "1") == 0,
	    "kind", http_form(req, "kind"), "event", http_form(req, "event"),
	    "template", http_form(req, "template"), "delay_value", http_form(req, "delay_value"),
	    "delay_unit", http_form(req, "delay_unit"),
	    "cooldown_value", http_form(req, "cooldown_value"),
	    "cooldown_unit", http_form(req, "cooldown_unit"),
	    "stage_id", (json_int_t)in->stage, "target_stage_id", (json_int_t)in->target);
}

/* The columns to store for a trigger needing @n (crm_auto_db_trigger_save / _add). */
static json_t *
trigger_values(struct needs n, int enabled, const struct trig_in *in)
{
	json_t *v = json_pack("{s:b, s:I}", "enabled", enabled, "cooldown_seconds",
	    (json_int_t)in->cooldown);

	if (n.tpl)
		json_object_set_new(v, "template", json_string(in->tpl));
	if (n.delay)
		json_object_set_new(v, "delay_seconds", json_integer(in->delay));
	if (n.stage)
		json_object_set_new(v, "stage_id", json_integer(in->stage));
	if (n.target)
		json_object_set_new(v, "target_stage_id", json_integer(in->target));
	return v;
}

/* Answer a form with field errors: 422, the page with the values kept. */
static int
refuse(http_req_t *req, long long form_id, const struct trig_in *in, json_t *errors)
{
	json_t *form = kept_form(req, in);
	int rc = show_triggers(req, 422, form_id, form, errors);

	json_decref(form);
	json_decref(errors);
	return rc;
}

static int
triggers_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long id = app_form_int(http_form(req, "id"), 1, LLONG_MAX / 2);
	json_t *list = NULL, *stages = NULL, *t = NULL, *x, *errors, *v;
	int enabled = strcmp(http_form(req, "enabled"), "1") == 0, rc;
	struct trig_in in;
	struct needs n = { 0, 0, 0, 0 };
	size_t i;

	if (!is_seller(req))
		return not_seller(req);
	if (id == LLONG_MIN)
		return app_error(req, 404, N_("There is no such trigger."));
	if ((rc = crm_auto_db_triggers(db, req->user_id, &list, &stages)) != DB_OK)
		return app_db_status(req, rc);
	json_array_foreach(list, i, x)
		if (JI(x, "id") == id)
			t = x;
	if (t != NULL)
		n = needs_of(JS(t, "kind"), JS(t, "event"));
	json_decref(stages);
	json_decref(list);
	if (t == NULL)
		return app_error(req, 404, N_("There is no such trigger."));
	errors = json_object();
	if ((rc = check_fields(req, n, errors, &in)) != 0) {
		json_decref(errors);
		return rc;
	}
	if (json_object_size(errors) > 0)
		return refuse(req, id, &in, errors);
	json_decref(errors);
	v = trigger_values(n, enabled, &in);
	rc = crm_auto_db_trigger_save(db, req->user_id, id, v);
	json_decref(v);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such trigger."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/crm/triggers?saved=%lld#trigger-%lld", id,
	    id));
	return req->status;
}

static int
triggers_add(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *kind = app_pick(kinds, http_form(req, "kind"));
	const char *event = app_pick(events, http_form(req, "event"));
	int enabled = strcmp(http_form(req, "enabled"), "1") == 0, rc;
	long long id = 0;
	json_t *errors, *v;
	struct trig_in in;
	struct needs n;

	if (!is_seller(req))
		return not_seller(req);
	errors = json_object();
	if (kind == NULL)
		app_form_error(errors, "kind", "required");
	else if (strcmp(kind, "move_on_event") != 0)
		event = NULL;
	else if (event == NULL)
		app_form_error(errors, "event", "required");
	n = needs_of(kind != NULL ? kind : "", event);
	if ((rc = check_fields(req, n, errors, &in)) != 0) {
		json_decref(errors);
		return rc;
	}
	if (json_object_size(errors) > 0)
		return refuse(req, 0, &in, errors);
	v = trigger_values(n, enabled, &in);
	json_object_set_new(v, "kind", json_string(kind));
	json_object_set_new(v, "event", event != NULL ? json_string(event) : json_null());
	if ((rc = db_begin(db)) == DB_OK &&
	    (rc = crm_auto_db_trigger_add(db, req->user_id, v, CRM_TRIGGERS_MAX, &id)) == DB_OK)
		rc = db_commit(db);
	json_decref(v);
	if (rc != DB_OK)
		(void)db_rollback(db);
	if (rc == DB_ENOROW) {	/* at the cap */
		app_form_error(errors, "cap", "full");
		return refuse(req, 0, &in, errors);
	}
	json_decref(errors);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/crm/triggers?saved=%lld#trigger-%lld", id,
	    id));
	return req->status;
}

static int
triggers_delete(http_req_t *req)
{
	int rc;

	if (!is_seller(req))
		return not_seller(req);
	rc = crm_auto_db_trigger_delete(APP(req)->db, req->user_id, req->match.ints[0]);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such trigger."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, "/crm/triggers?deleted=1");
	return req->status;
}

/* ==== working hours ==== */

static const char *const day_names[] = { N_("Monday"), N_("Tuesday"), N_("Wednesday"),
	N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday") };

static const char *
hhmm(http_req_t *req, long long min)
{
	return arena_printf(req->arena, "%02lld:%02lld", min / 60, min % 60);
}

/*
 * Render the settings page: the saved settings, or @form ({time_zone,
 * hours: [{weekday, open, start, end, error?}]}) with @errors.
 */
static int
show_settings(http_req_t *req, int status, json_t *form, json_t *errors)
{
	json_t *s = NULL, *ctx, *days, *h;
	size_t i;
	int rc;

	if ((rc = crm_auto_db_settings(APP(req)->db, req->user_id, &s)) != DB_OK)
		return app_db_status(req, rc);
	days = json_array();
	json_array_foreach(json_object_get(s, "hours"), i, h) {
		json_t *f = form != NULL ? json_array_get(json_object_get(form, "hours"), i) : NULL;
		json_t *d = json_pack("{s:I, s:s}", "weekday", (json_int_t)JI(h, "weekday"), "name",
		    i18n_str(app_lang(req), day_names[i % 7]));

		if (f != NULL) {
			json_object_set(d, "open", json_object_get(f, "open"));
			json_object_set(d, "start", json_object_get(f, "start"));
			json_object_set(d, "end", json_object_get(f, "end"));
			json_object_set(d, "error", json_object_get(f, "error"));
		} else {
			json_object_set(d, "open", json_object_get(h, "open"));
			json_object_set_new(d, "start", json_string(hhmm(req, JI(h, "start_min"))));
			json_object_set_new(d, "end", json_string(hhmm(req, JI(h, "end_min"))));
		}
		json_array_append_new(days, d);
	}
	ctx = json_pack("{s:s, s:o, s:b, s:b}", "time_zone", form != NULL ? JS(form, "time_zone") :
	    JS(s, "time_zone"), "days", days, "saved", status == 200 &&
	    kv_get(&req->query_params, "saved") != NULL, "custom",
	    json_is_true(json_object_get(s, "custom")));
	if (errors != NULL && json_object_size(errors) > 0) {
		json_object_set(ctx, "errors", errors);
		json_object_set_new(ctx, "has_errors", json_true());
	}
	json_decref(s);
	app_page(ctx, i18n_str(app_lang(req), N_("Working hours")), NULL, "/crm/settings", NULL);
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/settings", ctx);
	json_decref(ctx);
	return rc;
}

static int
settings_get(http_req_t *req)
{
	if (!is_seller(req))
		return not_seller(req);
	return show_settings(req, 200, NULL, NULL);
}

static int
settings_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *tz = http_form(req, "time_zone");
	json_t *errors = json_object(), *form, *days = json_array(), *hours = json_array();
	char name[16];
	int known = 0, rc;

	if (!is_seller(req)) {
		json_decref(errors);
		json_decref(days);
		json_decref(hours);
		return not_seller(req);
	}
	while (*tz == ' ')
		tz++;
	if (tz[0] == '\0')
		app_form_error(errors, "time_zone", "required");
	else if (strlen(tz) > 64)
		app_form_error(errors, "time_zone", "unknown");
	else if ((rc = crm_auto_db_tz_known(db, tz, &known)) != DB_OK) {
		json_decref(errors);
		json_decref(days);
		json_decref(hours);
		return app_db_status(req, rc);
	} else if (!known)
		app_form_error(errors, "time_zone", "unknown");
	for (int d = 1; d <= 7; d++) {
		const char *st, *en;
		int open, a, b;
		json_t *day;

		snprintf(name, sizeof(name), "open_%d", d);
		open = strcmp(http_form(req, name), "1") == 0;
		snprintf(name, sizeof(name), "start_%d", d);
		st = http_form(req, name);
		snprintf(name, sizeof(name), "end_%d", d);
		en = http_form(req, name);
		day = json_pack("{s:b, s:s, s:s}", "open", open, "start", st, "end", en);
		if (open) {
			a = crm_auto_parse_hhmm(st, 0);
			b = crm_auto_parse_hhmm(en, 1);
			if (a < 0 || b < 0 || a >= b) {
				json_object_set_new(day, "error", json_true());
				app_form_error(errors, "hours", "invalid");
			} else
				json_array_append_new(hours, json_pack("{s:i, s:i, s:i}", "weekday", d,
				    "start_min", a, "end_min", b));
		}
		json_array_append_new(days, day);
	}
	if (json_object_size(errors) > 0) {
		form = json_pack("{s:s, s:o}", "time_zone", tz, "hours", days);
		rc = show_settings(req, 422, form, errors);
		json_decref(form);
		json_decref(errors);
		json_decref(hours);
		return rc;
	}
	json_decref(errors);
	json_decref(days);
	if ((rc = db_begin(db)) != DB_OK ||
	    (rc = crm_auto_db_settings_save(db, req->user_id, tz, hours)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		json_decref(hours);
		return app_db_status(req, rc);
	}
	json_decref(hours);
	http_redirect(req, 303, "/crm/settings?saved=1");
	return req->status;
}

const route_t crm_auto_routes[] = {
	{ "GET", "/crm/triggers", triggers_get, ROLE_SELLER, "crm.triggers" },
	{ "POST", "/crm/triggers", triggers_post, ROLE_SELLER, "crm.triggers.save" },
	{ "POST", "/crm/triggers/new", triggers_add, ROLE_SELLER, "crm.triggers.add" },
	{ "POST", "/crm/triggers/{id:int}/delete", triggers_delete, ROLE_SELLER,
	  "crm.triggers.delete" },
	{ "GET", "/crm/settings", settings_get, ROLE_SELLER, "crm.settings" },
	{ "POST", "/crm/settings", settings_post, ROLE_SELLER, "crm.settings.save" },
	{ "GET", "/crm/analytics", crm_auto_analytics_page, ROLE_SELLER, "crm.analytics" },
	{ "GET", "/crm/analytics.csv", crm_auto_analytics_csv, ROLE_SELLER, "crm.analytics.csv" },
};
const size_t crm_auto_nroutes = sizeof(crm_auto_routes) / sizeof(crm_auto_routes[0]);
