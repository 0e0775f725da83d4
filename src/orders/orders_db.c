/*
 * orders_db.c - order queries (see orders.h): SQL and nothing else.
 * Values only ever travel as text parameters.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orders/orders.h"

#define LL(buf, v) (snprintf((buf), sizeof(buf), "%lld", (long long)(v)), (const char *)(buf))

/* A time for people: "2026-11-23 14:05 UTC". */
#define WHEN(COL) "to_char((" COL ") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'"

/* Run @sql; DB_ENOROW when it touched/returned no row. */
static int
exec_rows(db_t *db, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int rc = db_exec(db, &res, sql, n, params);

	if (rc != DB_OK)
		return rc;
	rc = (PQntuples(res) > 0 || atoll(PQcmdTuples(res)) > 0) ? DB_OK : DB_ENOROW;
	PQclear(res);
	return rc;
}

/*
 * Run @sql for its first row: DB_OK with *@res to PQclear, else DB_ENOROW
 * when no row came back or the error (nothing left to clear).
 */
static int
first_row(db_t *db, PGresult **res, const char *sql, int n, const char *const *params)
{
	int rc = db_exec(db, res, sql, n, params);

	if (rc == DB_OK && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		rc = DB_ENOROW;
	}
	return rc;
}

/* One bigint value of the first row into *@out. */
static int
ll_value(db_t *db, const char *sql, int n, const char *const *params, long long *out)
{
	PGresult *res = NULL;
	int rc = db_exec(db, &res, sql, n, params);

	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		rc = DB_ENOROW;
	else
		*out = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* db_query_json with the one parameter $1 = @id (a bigint). */
static int
json_by_id(db_t *db, json_t **out, long long id, const char *sql)
{
	char s[24];
	const char *p[] = { LL(s, id) };

	return db_query_json(db, out, sql, 1, p);
}

/* exec_rows with the one parameter $1 = @id (a bigint). */
static int
exec_by_id(db_t *db, long long id, const char *sql)
{
	char s[24];
	const char *p[] = { LL(s, id) };

	return exec_rows(db, sql, 1, p);
}

/* ==== lifecycle ==== */

int
orders_db_lock(db_t *db, long long order_id, json_t **out)
{
	return json_by_id(db, out, order_id,
	    "SELECT json_build_object('id', o.id, 'buyer_id', o.buyer_id,"
	    " 'seller_id', o.seller_id, 'gig_id', o.gig_id, 'state', o.state,"
	    " 'currency', o.currency, 'subtotal_minor', o.subtotal_minor,"
	    " 'total_minor', o.total_minor, 'seller_fee_bps', o.seller_fee_bps,"
	    " 'delivery_days', o.delivery_days, 'revisions_allowed', o.revisions_allowed,"
	    " 'revisions_used', o.revisions_used, 'disputed', o.disputed,"
	    " 'requirements_done', o.requirements_at IS NOT NULL,"
	    " 'overdue_24h', o.due_at IS NOT NULL AND"
	    "   o.due_at + interval '24 hours' < souk_now(),"
	    " 'gig_title', o.gig_title)"
	    " FROM orders o WHERE o.id = $1::bigint FOR UPDATE");
}

int
orders_db_set_state(db_t *db, long long order_id, const char *from, const char *to)
{
	char id[24];
	const char *p[] = { LL(id, order_id), from, to };

	return exec_rows(db, "UPDATE orders SET state = $3 WHERE id = $1::bigint AND state = $2"
	    " RETURNING id", 3, p);
}

int
orders_db_event(db_t *db, long long order_id, long long actor_id, const char *kind,
    const char *body, const char *data, long long *event_id)
{
	char id[24], actor[24];
	const char *p[] = { LL(id, order_id), LL(actor, actor_id), kind, body, data };
	long long eid = 0;
	int rc;

	rc = ll_value(db, "INSERT INTO order_events (order_id, actor_id, kind, body, data)"
	    " VALUES ($1::bigint, nullif($2::bigint, 0), $3, coalesce($4, ''),"
	    " coalesce($5::jsonb, '{}')) RETURNING id", 5, p, &eid);
	if (rc == DB_OK && event_id != NULL)
		*event_id = eid;
	return rc == DB_ENOROW ? DB_ERROR : rc;
}

int
orders_db_requirement_count(db_t *db, long long order_id, long long *n)
{
	char id[24];
	const char *p[] = { LL(id, order_id) };

	return ll_value(db, "SELECT count(*) FROM gig_requirements r JOIN orders o"
	    " ON o.gig_id = r.gig_id WHERE o.id = $1::bigint", 1, p, n);
}

int
orders_db_start(db_t *db, long long order_id)
{
	return exec_by_id(db, order_id, "UPDATE orders SET requirements_at = souk_now(),"
	    " due_at = souk_now() + make_interval(days => delivery_days)"
	    " WHERE id = $1::bigint");
}

int
orders_db_delivered(db_t *db, long long order_id, int auto_days)
{
	char id[24], d[24];
	const char *p[] = { LL(id, order_id), LL(d, auto_days) };

	return exec_rows(db, "UPDATE orders SET delivered_at = souk_now(),"
	    " auto_complete_at = souk_now() + make_interval(days => $2::int)"
	    " WHERE id = $1::bigint", 2, p);
}

int
orders_db_revision_used(db_t *db, long long order_id)
{
	return exec_by_id(db, order_id, "UPDATE orders SET revisions_used = revisions_used + 1,"
	    " auto_complete_at = NULL WHERE id = $1::bigint");
}

int
orders_db_unschedule(db_t *db, long long order_id)
{
	return exec_by_id(db, order_id,
	    "UPDATE orders SET auto_complete_at = NULL WHERE id = $1::bigint");
}

int
orders_db_push_due(db_t *db, long long order_id, int days)
{
	char id[24], d[24];
	const char *p[] = { LL(id, order_id), LL(d, days) };

	return exec_rows(db, "UPDATE orders SET"
	    " delivery_days = CASE WHEN due_at IS NULL THEN least(365, delivery_days + $2::int)"
	    "  ELSE delivery_days END,"
	    " due_at = due_at + make_interval(days => $2::int) WHERE id = $1::bigint", 2, p);
}

int
orders_db_release_terms(db_t *db, long long order_id, int64_t *base_minor, int *top)
{
	char id[24];
	const char *p[] = { LL(id, order_id) };
	PGresult *res = NULL;
	int rc;

	rc = first_row(db, &res, "SELECT o.subtotal_minor + coalesce((SELECT sum(c.amount_minor)"
	    "  FROM order_change_orders c WHERE c.order_id = o.id AND c.state = 'paid'), 0),"
	    " coalesce(f.seller_level = 'top_rated', false)"
	    " FROM orders o LEFT JOIN profiles f ON f.user_id = o.seller_id"
	    " WHERE o.id = $1::bigint", 1, p);
	if (rc != DB_OK)
		return rc;
	*base_minor = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*top = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	return DB_OK;
}

int
orders_db_completed(db_t *db, long long order_id, long long seller_id, const char *currency,
    int64_t net_minor, int clearance_days)
{
	char id[24], s[24], net[24], d[24];
	const char *p[] = { LL(id, order_id), LL(s, seller_id), currency, LL(net, net_minor),
	    LL(d, clearance_days) };
	int rc;

	rc = exec_rows(db, "UPDATE orders SET completed_at = souk_now(), auto_complete_at = NULL"
	    " WHERE id = $1::bigint", 1, p);
	if (rc != DB_OK)
		return rc;
	/* nothing stays open on a finished order (an unpaid change order could not be paid) */
	if ((rc = db_exec(db, NULL, "UPDATE order_change_orders SET state = 'withdrawn',"
	    " decided_at = souk_now() WHERE order_id = $1::bigint"
	    " AND state IN ('proposed', 'accepted')", 1, p)) != DB_OK ||
	    (rc = db_exec(db, NULL, "UPDATE order_extensions SET state = 'withdrawn',"
	    " decided_at = souk_now() WHERE order_id = $1::bigint AND state = 'requested'", 1,
	    p)) != DB_OK ||
	    (rc = db_exec(db, NULL, "UPDATE order_cancellations SET state = 'withdrawn',"
	    " decided_at = souk_now() WHERE order_id = $1::bigint AND state = 'requested'", 1,
	    p)) != DB_OK)
		return rc;
	rc = exec_rows(db, "INSERT INTO seller_clearances (order_id, seller_id, currency,"
	    " amount_minor, clears_at) VALUES ($1::bigint, $2::bigint, $3, $4::bigint,"
	    " souk_now() + make_interval(days => $5::int)) ON CONFLICT (order_id) DO NOTHING",
	    5, p);
	return rc == DB_ENOROW ? DB_OK : rc;
}

int
orders_db_paid_payments(db_t *db, long long order_id, json_t **out)
{
	return json_by_id(db, out, order_id,
	    "SELECT coalesce(json_agg(json_build_object('id', y.id, 'gateway', y.gateway,"
	    " 'amount_minor', y.amount_minor, 'credit_minor', y.credit_minor,"
	    " 'buyer_id', y.buyer_id) ORDER BY y.id), '[]')"
	    " FROM payments y WHERE y.order_id = $1::bigint AND y.state = 'paid'"
	    " AND y.refunded_minor = 0 AND NOT EXISTS (SELECT 1 FROM refunds r"
	    "  WHERE r.payment_id = y.id)");
}

int
orders_db_refund_add(db_t *db, long long order_id, long long payment_id,
    int64_t amount_minor, const char *currency, const char *method, const char *state,
    const char *idem_key, long long *refund_id)
{
	char id[24], pid[24], amt[24];
	const char *p[] = { LL(id, order_id), LL(pid, payment_id), LL(amt, amount_minor),
	    currency, method, state, idem_key };
	int rc;

	rc = ll_value(db, "INSERT INTO refunds (order_id, payment_id, amount_minor, currency,"
	    " method, state, idempotency_key) VALUES ($1::bigint, $2::bigint, $3::bigint, $4,"
	    " $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", 7, p,
	    refund_id);
	if (rc != DB_OK)
		return rc;
	if (strcmp(state, "succeeded") != 0)
		return DB_OK;	/* counted when the gateway confirms (the "refund" job) */
	return exec_rows(db, "UPDATE payments SET refunded_minor = refunded_minor + $3::bigint"
	    " WHERE id = $2::bigint AND order_id = $1::bigint", 3, p);
}

int
orders_db_cancelled(db_t *db, long long order_id, const char *reason)
{
	char id[24];
	const char *p[] = { LL(id, order_id), reason != NULL ? reason : "" };
	static const char *const sql[] = {
		"UPDATE orders SET cancelled_at = souk_now(), cancel_reason = nullif($2, ''),"
		" auto_complete_at = NULL WHERE id = $1::bigint",
		"UPDATE payments SET state = 'cancelled' WHERE order_id = $1::bigint"
		" AND state IN ('created', 'pending')",
		"UPDATE order_change_orders SET state = 'withdrawn', decided_at = souk_now()"
		" WHERE order_id = $1::bigint AND state IN ('proposed', 'accepted')",
		"UPDATE order_extensions SET state = 'withdrawn', decided_at = souk_now()"
		" WHERE order_id = $1::bigint AND state = 'requested'",
		"UPDATE order_cancellations SET state = 'withdrawn', decided_at = souk_now()"
		" WHERE order_id = $1::bigint AND state = 'requested'",
	};
	int rc;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if ((rc = db_exec(db, NULL, sql[i], i == 0 ? 2 : 1, p)) != DB_OK)
			return rc;
	return DB_OK;
}

int
orders_db_parties(db_t *db, long long order_id, json_t **out)
{
	return json_by_id(db, out, order_id,
	    "SELECT json_build_object('order_id', o.id, 'gig_title', o.gig_title,"
	    " 'buyer', json_build_object('id', b.id, 'email', b.email, 'handle', b.handle,"
	    "  'lang', b.lang),"
	    " 'seller', json_build_object('id', s.id, 'email', s.email, 'handle', s.handle,"
	    "  'lang', s.lang))"
	    " FROM orders o JOIN users b ON b.id = o.buyer_id JOIN users s ON s.id = o.seller_id"
	    " WHERE o.id = $1::bigint");
}

int
orders_db_change_order_lock(db_t *db, long long change_order_id, json_t **out)
{
	return json_by_id(db, out, change_order_id,
	    "SELECT json_build_object('id', c.id, 'order_id', c.order_id, 'state', c.state,"
	    " 'amount_minor', c.amount_minor, 'added_days', c.added_days,"
	    " 'description', c.description, 'extra_revisions', c.extra_revisions)"
	    " FROM order_change_orders c WHERE c.id = $1::bigint FOR UPDATE");
}

int
orders_db_change_order_set(db_t *db, long long change_order_id, const char *from,
    const char *to)
{
	char id[24];
	const char *p[] = { LL(id, change_order_id), from, to };

	return exec_rows(db, "UPDATE order_change_orders SET state = $3, decided_at = souk_now()"
	    " WHERE id = $1::bigint AND state = $2 RETURNING id", 3, p);
}

int
orders_db_sweep_due(db_t *db, json_t **completions, json_t **cancellations)
{
	int rc;

	*completions = *cancellations = NULL;
	rc = db_query_json(db, completions,
	    "SELECT coalesce(json_agg(x.id), '[]') FROM (SELECT id FROM orders"
	    " WHERE state = 'delivered' AND NOT disputed AND auto_complete_at <= souk_now()"
	    " ORDER BY auto_complete_at LIMIT 200) x", 0, NULL);
	if (rc != DB_OK)
		return rc;
	rc = db_query_json(db, cancellations,
	    "SELECT coalesce(json_agg(x.id), '[]') FROM (SELECT id FROM order_cancellations"
	    " WHERE state = 'requested' AND expires_at <= souk_now()"
	    " ORDER BY expires_at LIMIT 200) x", 0, NULL);
	if (rc != DB_OK) {
		json_decref(*completions);
		*completions = NULL;
	}
	return rc;
}

int
orders_db_cancellation_expire(db_t *db, arena_t *a, long long id, long long *order_id,
    char **reason)
{
	char cid[24];
	const char *p[] = { LL(cid, id) };
	PGresult *res = NULL;
	int rc;

	rc = first_row(db, &res, "UPDATE order_cancellations SET state = 'expired',"
	    " decided_at = souk_now() WHERE id = $1::bigint AND state = 'requested'"
	    " AND expires_at <= souk_now() RETURNING order_id, reason", 1, p);
	if (rc != DB_OK)
		return rc;
	*order_id = atoll(PQgetvalue(res, 0, 0));
	*reason = arena_strdup(a, PQgetvalue(res, 0, 1));
	PQclear(res);
	return DB_OK;
}

int
orders_db_set_disputed(db_t *db, long long order_id, int disputed)
{
	char id[24];
	const char *p[] = { LL(id, order_id), disputed ? "t" : "f" };

	return exec_rows(db, "UPDATE orders SET disputed = $2::boolean WHERE id = $1::bigint"
	    " RETURNING id", 2, p);
}

/* ==== the order room ==== */

#define MONEY(COL) "souk_money(" COL ", o.currency, $4)"

/* The event's body of data for display (amounts formatted). */
#define EVENT_JSON \
	"jsonb_build_object('id', e.id, 'kind', e.kind, 'body', e.body, 'at', " WHEN("e.created_at") "," \
	" 'actor', u.handle, 'system', e.actor_id IS NULL," \
	" 'by_buyer', e.actor_id = o.buyer_id, 'by_seller', e.actor_id = o.seller_id," \
	" 'amount', CASE WHEN e.data ? 'amount_minor' THEN " MONEY("(e.data->>'amount_minor')::bigint") " END," \
	" 'days', e.data->'days', 'added_days', e.data->'added_days'," \
	" 'method_credit', e.data->>'method' = 'credit'," \
	" 'method_gateway', e.data->>'method' = 'gateway'," \
	" 'seller_net', CASE WHEN e.data ? 'seller_net_minor' THEN " MONEY("(e.data->>'seller_net_minor')::bigint") " END," \
	" 'files', (SELECT coalesce(json_agg(json_build_object('media_id', f.media_id," \
	"   'name', coalesce(nullif(m.original_name, ''), 'file-' || m.id), 'bytes', m.bytes)" \
	"   ORDER BY f.media_id), '[]') FROM order_files f JOIN media m ON m.id = f.media_id" \
	"   WHERE f.event_id = e.id)," \
	" 'has_files', EXISTS (SELECT 1 FROM order_files f WHERE f.event_id = e.id))" \
	" || jsonb_build_object('is_' || e.kind, true)"

static const char sql_room[] =
	"SELECT json_build_object('id', o.id, 'state', o.state, 'currency', o.currency,"
	" 'gig_title', o.gig_title, 'gig_id', o.gig_id,"
	/* a custom offer's order may have no gig: its conversation instead (sql/0027) */
	" 'gig_url', coalesce('/' || s.handle || '/' || g.slug,"
	"   (SELECT '/inbox/' || f.conversation_id FROM crm_offers f WHERE f.order_id = o.id)),"
	" 'package_name', o.package_name, 'package_tier', o.package_tier, 'quantity', o.quantity,"
	" 'unit_price', " MONEY("o.unit_price_minor") ", 'subtotal', " MONEY("o.subtotal_minor") ","
	" 'buyer_fee', " MONEY("o.buyer_fee_minor") ", 'total', " MONEY("o.total_minor") ","
	" 'package_total', " MONEY("o.unit_price_minor * o.quantity") ","
	" 'subtotal_minor', o.subtotal_minor, 'buyer_fee_minor', o.buyer_fee_minor,"
	" 'total_minor', o.total_minor,"
	" 'extras', (SELECT coalesce(json_agg(json_build_object("
	"   'title', coalesce(nullif(x->>'title', ''), x->>'kind'), 'kind', x->>'kind',"
	"   'quantity', coalesce((x->>'quantity')::int, 1),"
	"   'price', " MONEY("(x->>'price_minor')::bigint * coalesce((x->>'quantity')::int, 1)") ")), '[]')"
	"   FROM jsonb_array_elements(o.extras) x),"
	" 'change_orders_paid', " MONEY("(SELECT coalesce(sum(c.amount_minor + c.buyer_fee_minor), 0)::bigint"
	"   FROM order_change_orders c WHERE c.order_id = o.id AND c.state = 'paid')") ","
	" 'has_paid_change_orders', EXISTS (SELECT 1 FROM order_change_orders c"
	"   WHERE c.order_id = o.id AND c.state = 'paid'),"
	" 'delivery_days', o.delivery_days,"
	" 'revisions_allowed', o.revisions_allowed, 'revisions_used', o.revisions_used,"
	" 'unlimited_revisions', o.revisions_allowed = -1,"
	" 'revisions_left', CASE WHEN o.revisions_allowed = -1 THEN NULL"
	"   ELSE greatest(o.revisions_allowed - o.revisions_used, 0) END,"
	" 'no_revisions_left', o.revisions_allowed <> -1 AND o.revisions_used >= o.revisions_allowed,"
	" 'disputed', o.disputed, 'due_at', " WHEN("o.due_at") ","
	" 'late', o.due_at < souk_now() AND o.state IN ('in_progress', 'revision_requested'),"
	" 'overdue_24h', o.due_at + interval '24 hours' < souk_now()"
	"   AND o.state IN ('in_progress', 'revision_requested'),"
	" 'created_at', " WHEN("o.created_at") ", 'delivered_at', " WHEN("o.delivered_at") ","
	" 'auto_complete_at', " WHEN("o.auto_complete_at") ", 'completed_at', " WHEN("o.completed_at") ","
	" 'cancelled_at', " WHEN("o.cancelled_at") ", 'cancel_reason', o.cancel_reason,"
	" 'requirements_done', o.requirements_at IS NOT NULL,"
	" 'buyer', json_build_object('id', b.id, 'handle', b.handle,"
	"   'name', coalesce(bp.display_name, b.handle)),"
	" 'seller', json_build_object('id', s.id, 'handle', s.handle,"
	"   'name', coalesce(sp.display_name, s.handle)),"
	" 'questions', (SELECT coalesce(json_agg(json_build_object('n', r.n, 'question', r.question,"
	"   'kind', r.kind, 'is_text', r.kind = 'text', 'is_choice', r.kind = 'choice',"
	"   'is_file', r.kind = 'file', 'required', r.required, 'choices', to_json(r.choices))"
	"   ORDER BY r.n), '[]') FROM (SELECT row_number() OVER (ORDER BY q.position, q.id) AS n, q.*"
	"   FROM gig_requirements q WHERE q.gig_id = o.gig_id) r),"
	" 'answers', (SELECT coalesce(json_agg(json_build_object('n', a.position,"
	"   'question', a.question, 'answer', a.answer, 'is_file', a.kind = 'file',"
	"   'media_id', a.media_id, 'file_name', coalesce(nullif(m.original_name, ''), 'file'))"
	"   ORDER BY a.position), '[]') FROM order_requirement_answers a"
	"   LEFT JOIN media m ON m.id = a.media_id WHERE a.order_id = o.id),"
	" 'events', (SELECT coalesce(jsonb_agg(" EVENT_JSON " ORDER BY e.id), '[]')"
	"   FROM order_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.order_id = o.id),"
	" 'change_orders', (SELECT coalesce(json_agg(json_build_object('id', c.id,"
	"   'description', c.description, 'amount', " MONEY("c.amount_minor") ","
	"   'buyer_fee', " MONEY("c.buyer_fee_minor") ", 'total', " MONEY("c.amount_minor + c.buyer_fee_minor") ","
	"   'added_days', c.added_days, 'state', c.state, 'at', " WHEN("c.created_at") ","
	"   'is_proposed', c.state = 'proposed', 'is_accepted', c.state = 'accepted',"
	"   'is_paid', c.state = 'paid', 'is_declined', c.state = 'declined',"
	"   'is_withdrawn', c.state = 'withdrawn', 'extra_revision', c.extra_revisions > 0)"
	"   ORDER BY c.id), '[]')"
	"   FROM order_change_orders c WHERE c.order_id = o.id),"
	" 'extension', (SELECT json_build_object('id', x.id, 'days', x.days, 'reason', x.reason,"
	"   'at', " WHEN("x.created_at") ") FROM order_extensions x"
	"   WHERE x.order_id = o.id AND x.state = 'requested'),"
	" 'cancellation', (SELECT json_build_object('id', k.id, 'reason', k.reason,"
	"   'by', u.handle, 'mine', k.requested_by = $2::bigint, 'expires_at', " WHEN("k.expires_at") ")"
	"   FROM order_cancellations k JOIN users u ON u.id = k.requested_by"
	"   WHERE k.order_id = o.id AND k.state = 'requested'),"
	" 'extra_revision_price', (SELECT " MONEY("e.price_minor") " FROM gig_extras e"
	"   WHERE e.gig_id = o.gig_id AND e.kind = 'extra_revision' LIMIT 1),"
	" 'payment_method', (SELECT y.gateway FROM payments y WHERE y.order_id = o.id"
	"   AND y.change_order_id IS NULL AND y.state = 'paid' LIMIT 1))"
	" FROM orders o JOIN users b ON b.id = o.buyer_id JOIN users s ON s.id = o.seller_id"
	" LEFT JOIN gigs g ON g.id = o.gig_id"
	" LEFT JOIN profiles bp ON bp.user_id = b.id LEFT JOIN profiles sp ON sp.user_id = s.id"
	" WHERE o.id = $1::bigint AND ($3::boolean OR $2::bigint IN (o.buyer_id, o.seller_id))";

int
orders_db_room(db_t *db, long long order_id, long long viewer_id, int staff, const char *lang,
    json_t **out)
{
	char id[24], v[24];
	const char *p[] = { LL(id, order_id), LL(v, viewer_id), staff ? "t" : "f", lang };

	return db_query_json(db, out, sql_room, 4, p);
}

int
orders_db_list(db_t *db, long long user_id, int selling, const char *lang, json_t **out)
{
	char id[24];
	const char *p[] = { LL(id, user_id), selling ? "t" : "f", NULL, lang };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(jsonb_build_object('id', o.id, 'state', o.state,"
	    " 'gig_title', o.gig_title, 'package_name', o.package_name,"
	    " 'other', CASE WHEN $2::boolean THEN b.handle ELSE s.handle END,"
	    " 'total', " MONEY("o.total_minor") ", 'subtotal', " MONEY("o.subtotal_minor") ","
	    " 'due_at', " WHEN("o.due_at") ", 'created_at', " WHEN("o.created_at") ","
	    " 'late', o.due_at < souk_now() AND o.state IN ('in_progress', 'revision_requested'))"
	    " || jsonb_build_object('state_' || o.state, true)"
	    " ORDER BY o.created_at DESC, o.id DESC), '[]')"
	    " FROM (SELECT * FROM orders WHERE CASE WHEN $2::boolean THEN seller_id"
	    "  ELSE buyer_id END = $1::bigint ORDER BY created_at DESC, id DESC LIMIT 200) o"
	    " JOIN users b ON b.id = o.buyer_id JOIN users s ON s.id = o.seller_id"
	    " WHERE $3::text IS NULL", 4, p);
}

int
orders_db_file_allowed(db_t *db, long long order_id, long long media_id, long long user_id,
    int staff)
{
	char id[24], m[24], u[24];
	const char *p[] = { LL(id, order_id), LL(m, media_id), LL(u, user_id), staff ? "t" : "f" };

	return exec_rows(db, "SELECT 1 FROM orders o WHERE o.id = $1::bigint"
	    " AND ($4::boolean OR $3::bigint IN (o.buyer_id, o.seller_id))"
	    " AND (EXISTS (SELECT 1 FROM order_files f WHERE f.order_id = o.id"
	    "   AND f.media_id = $2::bigint)"
	    "  OR EXISTS (SELECT 1 FROM order_requirement_answers a WHERE a.order_id = o.id"
	    "   AND a.media_id = $2::bigint))", 4, p);
}

int
orders_db_questions(db_t *db, long long order_id, json_t **out)
{
	return json_by_id(db, out, order_id,
	    "SELECT coalesce(json_agg(json_build_object('n', r.n, 'question', r.question,"
	    " 'kind', r.kind, 'required', r.required, 'choices', to_json(r.choices))"
	    " ORDER BY r.n), '[]')"
	    " FROM (SELECT row_number() OVER (ORDER BY q.position, q.id) AS n, q.*"
	    "  FROM gig_requirements q JOIN orders o ON o.gig_id = q.gig_id"
	    "  WHERE o.id = $1::bigint) r");
}

int
orders_db_answer_add(db_t *db, long long order_id, int position, const char *question,
    const char *kind, const char *answer, long long media_id)
{
	char id[24], n[24], m[24];
	const char *p[] = { LL(id, order_id), LL(n, position), question, kind, answer,
	    LL(m, media_id) };

	return exec_rows(db, "INSERT INTO order_requirement_answers (order_id, position,"
	    " question, kind, answer, media_id) VALUES ($1::bigint, $2::int, $3, $4, $5,"
	    " nullif($6::bigint, 0))", 6, p);
}

int
orders_db_file_add(db_t *db, long long order_id, long long event_id, long long media_id)
{
	char id[24], e[24], m[24];
	const char *p[] = { LL(id, order_id), LL(e, event_id), LL(m, media_id) };

	return exec_rows(db, "INSERT INTO order_files (order_id, event_id, media_id)"
	    " VALUES ($1::bigint, $2::bigint, $3::bigint)", 3, p);
}

int
orders_db_change_order_add(db_t *db, long long order_id, const char *description,
    int64_t amount_minor, int64_t fee_minor, int added_days, long long *id_out)
{
	char id[24], a[24], f[24], d[24];
	const char *p[] = { LL(id, order_id), description, LL(a, amount_minor), LL(f, fee_minor),
	    LL(d, added_days) };

	return ll_value(db, "INSERT INTO order_change_orders (order_id, description,"
	    " amount_minor, buyer_fee_minor, added_days) VALUES ($1::bigint, $2, $3::bigint,"
	    " $4::bigint, $5::int) RETURNING id", 5, p, id_out);
}

int
orders_db_add_revisions(db_t *db, long long order_id, int n)
{
	char id[24], k[24];
	const char *p[] = { LL(id, order_id), LL(k, n) };
	int rc = exec_rows(db, "UPDATE orders SET revisions_allowed = revisions_allowed + $2::int"
	    " WHERE id = $1::bigint AND revisions_allowed <> -1", 2, p);

	return rc == DB_ENOROW ? DB_OK : rc;
}

int
orders_db_extra_revision_price(db_t *db, long long order_id, int64_t *price_minor, int *days)
{
	char id[24];
	const char *p[] = { LL(id, order_id) };
	PGresult *res = NULL;
	int rc;

	rc = first_row(db, &res, "SELECT e.price_minor, e.added_days FROM orders o"
	    " JOIN gig_extras e ON e.gig_id = o.gig_id AND e.kind = 'extra_revision'"
	    " WHERE o.id = $1::bigint LIMIT 1", 1, p);
	if (rc != DB_OK)
		return rc;
	*price_minor = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*days = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);
	return DB_OK;
}

int
orders_db_extra_revision_add(db_t *db, long long order_id, int64_t amount_minor,
    int64_t fee_minor, int added_days, long long *id_out)
{
	char id[24], a[24], f[24], d[24];
	const char *p[] = { LL(id, order_id), LL(a, amount_minor), LL(f, fee_minor),
	    LL(d, added_days) };

	return ll_value(db, "INSERT INTO order_change_orders (order_id, description, amount_minor,"
	    " buyer_fee_minor, added_days, state, extra_revisions, decided_at)"
	    " SELECT $1::bigint, 'One extra revision', $2::bigint, $3::bigint, $4::int, 'accepted',"
	    "  1, souk_now()"
	    " WHERE NOT EXISTS (SELECT 1 FROM order_change_orders c WHERE c.order_id = $1::bigint"
	    "  AND c.extra_revisions > 0 AND c.state IN ('proposed', 'accepted'))"
	    " RETURNING id", 4, p, id_out);
}

int
orders_db_extension_add(db_t *db, long long order_id, int days, const char *reason,
    long long *id_out)
{
	char id[24], d[24];
	const char *p[] = { LL(id, order_id), LL(d, days), reason };

	return ll_value(db, "INSERT INTO order_extensions (order_id, days, reason)"
	    " VALUES ($1::bigint, $2::int, $3) ON CONFLICT DO NOTHING RETURNING id", 3, p, id_out);
}

int
orders_db_extension_decide(db_t *db, long long order_id, long long ext_id, const char *to,
    int *days)
{
	char id[24], e[24];
	const char *p[] = { LL(id, order_id), LL(e, ext_id), to };
	long long d = 0;
	int rc;

	rc = ll_value(db, "UPDATE order_extensions SET state = $3, decided_at = souk_now()"
	    " WHERE id = $2::bigint AND order_id = $1::bigint AND state = 'requested'"
	    " RETURNING days", 3, p, &d);
	*days = (int)d;
	return rc;
}

int
orders_db_cancellation_add(db_t *db, long long order_id, long long user_id, const char *reason,
    int hours, long long *id_out)
{
	char id[24], u[24], h[24];
	const char *p[] = { LL(id, order_id), LL(u, user_id), reason, LL(h, hours) };

	return ll_value(db, "INSERT INTO order_cancellations (order_id, requested_by, reason,"
	    " expires_at) VALUES ($1::bigint, $2::bigint, $3,"
	    " souk_now() + make_interval(hours => $4::int)) ON CONFLICT DO NOTHING RETURNING id",
	    4, p, id_out);
}

int
orders_db_cancellation_decide(db_t *db, arena_t *a, long long order_id, long long cid,
    long long user_id, const char *to, char **reason)
{
	char id[24], c[24], u[24];
	const char *p[] = { LL(id, order_id), LL(c, cid), LL(u, user_id), to };
	PGresult *res = NULL;
	int rc;

	rc = first_row(db, &res, "UPDATE order_cancellations SET state = $4,"
	    " decided_at = souk_now() WHERE id = $2::bigint AND order_id = $1::bigint"
	    " AND state = 'requested' AND requested_by <> $3::bigint"
	    " AND expires_at > souk_now() RETURNING reason", 4, p);
	if (rc != DB_OK)
		return rc;
	*reason = arena_strdup(a, PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

int
orders_db_idem_claim(db_t *db, arena_t *a, long long user_id, const char *key,
    const char *scope, const char *hash, char **location)
{
	char u[24];
	const char *p[] = { LL(u, user_id), key, scope, hash };
	PGresult *res = NULL;
	int rc;

	*location = NULL;
	rc = db_exec(db, &res, "INSERT INTO idempotency_keys (user_id, key, scope, request_hash)"
	    " VALUES ($1::bigint, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1", 4, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) > 0) {
		PQclear(res);
		return ORDERS_IDEM_NEW;
	}
	PQclear(res);
	rc = db_exec(db, &res, "SELECT status, location, scope = $3 AND request_hash = $4"
	    " FROM idempotency_keys WHERE user_id = $1::bigint AND key = $2", 4, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0 || PQgetvalue(res, 0, 2)[0] != 't' || PQgetisnull(res, 0, 0) ||
	    PQgetisnull(res, 0, 1))
		rc = ORDERS_IDEM_CONFLICT;
	else {
		*location = arena_strdup(a, PQgetvalue(res, 0, 1));
		rc = ORDERS_IDEM_REPLAY;
	}
	PQclear(res);
	return rc;
}

int
orders_db_idem_finish(db_t *db, long long user_id, const char *key, int status,
    const char *location)
{
	char u[24], s[24];
	const char *p[] = { LL(u, user_id), key, LL(s, status), location };

	return exec_rows(db, "UPDATE idempotency_keys SET status = $3::int, location = $4"
	    " WHERE user_id = $1::bigint AND key = $2", 4, p);
}

int
orders_db_receipt(db_t *db, long long order_id, long long viewer_id, int staff, json_t **out)
{
	char id[24], v[24];
	const char *p[] = { LL(id, order_id), LL(v, viewer_id), staff ? "t" : "f", "en" };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', o.id, 'state', o.state, 'currency', o.currency,"
	    " 'gig_title', o.gig_title, 'package_name', o.package_name,"
	    " 'package_tier', o.package_tier, 'quantity', o.quantity,"
	    " 'unit_price', " MONEY("o.unit_price_minor") ","
	    " 'package_total', " MONEY("o.unit_price_minor * o.quantity") ","
	    " 'subtotal', " MONEY("o.subtotal_minor + (SELECT coalesce(sum(c.amount_minor), 0)::bigint"
	    "   FROM order_change_orders c WHERE c.order_id = o.id AND c.state = 'paid')") ","
	    " 'buyer_fee', " MONEY("o.buyer_fee_minor") ","
	    " 'total', " MONEY("o.total_minor") ","
	    " 'total_paid', " MONEY("(SELECT sum(y.amount_minor + y.credit_minor)::bigint FROM payments y"
	    "   WHERE y.order_id = o.id AND y.state = 'paid')") ","
	    " 'subtotal_minor', o.subtotal_minor, 'seller_fee_bps', o.seller_fee_bps,"
	    " 'created_at', " WHEN("o.created_at") ","
	    " 'extras', (SELECT coalesce(json_agg(json_build_object("
	    "   'title', coalesce(nullif(x->>'title', ''), x->>'kind'),"
	    "   'quantity', coalesce((x->>'quantity')::int, 1),"
	    "   'price', " MONEY("(x->>'price_minor')::bigint * coalesce((x->>'quantity')::int, 1)") ")), '[]')"
	    "   FROM jsonb_array_elements(o.extras) x),"
	    " 'change_orders', (SELECT coalesce(json_agg(json_build_object('description', c.description,"
	    "   'amount_minor', c.amount_minor, 'amount', " MONEY("c.amount_minor") ","
	    "   'buyer_fee', " MONEY("c.buyer_fee_minor") ") ORDER BY c.id), '[]')"
	    "   FROM order_change_orders c WHERE c.order_id = o.id AND c.state = 'paid'),"
	    " 'payments', (SELECT coalesce(json_agg(json_build_object('gateway', y.gateway,"
	    "   'reference', y.reference, 'amount', " MONEY("y.amount_minor") ","
	    "   'credit', CASE WHEN y.credit_minor > 0 THEN " MONEY("y.credit_minor") " END,"
	    "   'paid_at', " WHEN("y.paid_at") ") ORDER BY y.id), '[]')"
	    "   FROM payments y WHERE y.order_id = o.id AND y.state = 'paid'),"
	    " 'buyer', json_build_object('handle', b.handle, 'email', b.email,"
	    "   'name', coalesce(bp.display_name, b.handle), 'country', bp.country),"
	    " 'seller', json_build_object('handle', s.handle,"
	    "   'name', coalesce(sp.display_name, s.handle), 'country', sp.country))"
	    " FROM orders o JOIN users b ON b.id = o.buyer_id JOIN users s ON s.id = o.seller_id"
	    " LEFT JOIN profiles bp ON bp.user_id = b.id LEFT JOIN profiles sp ON sp.user_id = s.id"
	    " WHERE o.id = $1::bigint AND ($3::boolean OR $2::bigint IN (o.buyer_id, o.seller_id))"
	    " AND $4 IS NOT NULL", 4, p);
}
