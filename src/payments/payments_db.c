/*
 * payments_db.c - the SQL of checkout and payment processing (payments.h).
 * Parameterized queries only; view models built as JSON in SQL.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments/payments.h"

#define TIER_LABEL(col, lang) \
	"CASE WHEN " lang " = 'zh-CN'" \
	" THEN CASE " col " WHEN 'basic' THEN '基础' WHEN 'standard' THEN '标准' ELSE '高级' END" \
	" ELSE CASE " col " WHEN 'basic' THEN 'Basic' WHEN 'standard' THEN 'Standard' ELSE 'Premium' END END"

static const char *
ui_lang(const char *lang)
{
	return lang != NULL && strcmp(lang, "zh-CN") == 0 ? "zh-CN" : "en";
}

static const char sql_checkout[] =
	"SELECT json_build_object("
	" 'gig', json_build_object('id', g.id, 'seller_id', g.seller_id, 'title', g.title,"
	"  'currency', g.currency, 'url', '/' || u.handle || '/' || g.slug,"
	"  'seller_handle', u.handle),"
	" 'packages', (SELECT coalesce(json_agg(json_build_object('tier', k.tier,"
	"   'tier_label', " TIER_LABEL("k.tier", "$2") ", 'name', k.name,"
	"   'price_minor', k.price_minor, 'price', souk_money(k.price_minor, k.currency, $2),"
	"   'currency', k.currency, 'delivery_days', k.delivery_days, 'revisions', k.revisions)"
	"   ORDER BY array_position(ARRAY['basic', 'standard', 'premium'], k.tier)), '[]')"
	"  FROM gig_packages k WHERE k.gig_id = g.id),"
	" 'extras', (SELECT coalesce(json_agg(json_build_object('id', e.id, 'kind', e.kind,"
	"   'tier', e.tier, 'tier_label', CASE WHEN e.tier IS NULL THEN NULL ELSE "
	    TIER_LABEL("e.tier", "$2") " END,"
	"   'title', e.title, 'price_minor', e.price_minor,"
	"   'price', souk_money(e.price_minor, g.currency, $2), 'added_days', e.added_days)"
	"   ORDER BY array_position(ARRAY['fast_delivery', 'extra_revision', 'custom'], e.kind),"
	"    array_position(ARRAY['basic', 'standard', 'premium'], e.tier), e.position, e.id), '[]')"
	"  FROM gig_extras e WHERE e.gig_id = g.id))"
	" FROM gigs g JOIN users u ON u.id = g.seller_id"
	" WHERE g.id = $1::bigint AND g.status = 'active' AND u.status = 'active'";

int
payments_db_checkout(db_t *db, long long gig_id, const char *lang, json_t **out)
{
	char id[24];
	const char *p[2] = { id, ui_lang(lang) };

	snprintf(id, sizeof(id), "%lld", gig_id);
	*out = NULL;
	return db_query_json(db, out, sql_checkout, 2, p);
}

/*
 * A write ending in "... RETURNING 1" (INSERT ... ON CONFLICT DO NOTHING,
 * UPDATE ... WHERE state ...): *@changed 1 when it wrote a row, else 0.
 */
static int
exec_one_row(db_t *db, const char *sql, int n, const char *const *p, int *changed)
{
	PGresult *res = NULL;
	int rc;

	*changed = 0;
	if ((rc = db_exec(db, &res, sql, n, p)) != DB_OK)
		return rc;
	*changed = PQntuples(res) == 1;
	PQclear(res);
	return DB_OK;
}

/*
 * @sql with $1 = @id (a bigint row id) and $2 = @arg (may be NULL).  With
 * @changed the statement ends in "RETURNING 1" and *@changed says whether
 * it wrote a row (exec_one_row); without, it is run for its effect.
 */
static int
exec_id_arg(db_t *db, const char *sql, long long id, const char *arg, int *changed)
{
	char ids[24];
	const char *p[2] = { ids, arg };

	snprintf(ids, sizeof(ids), "%lld", id);
	if (changed != NULL)
		return exec_one_row(db, sql, 2, p, changed);
	return db_exec(db, NULL, sql, 2, p);
}

int
payments_db_idem_claim(db_t *db, arena_t *a, long long user_id, const char *key,
    const char *scope, const char *hash, int *claimed, char **hash_out, int *status,
    char **location)
{
	char uid[24];
	const char *p[4] = { uid, key, scope, hash };
	PGresult *res = NULL;
	int rc;

	*claimed = 0;
	*hash_out = *location = NULL;
	*status = 0;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	rc = exec_one_row(db,
	    "INSERT INTO idempotency_keys (user_id, key, scope, request_hash)"
	    " VALUES ($1::bigint, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
	    4, p, claimed);
	if (rc != DB_OK || *claimed)
		return rc;
	rc = db_exec(db, &res,
	    "SELECT request_hash, coalesce(status, 0), coalesce(location, ''), scope"
	    " FROM idempotency_keys WHERE user_id = $1::bigint AND key = $2", 2, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_ENOROW;
	}
	/* The same key used for another kind of request is another request. */
	*hash_out = arena_strdup(a, strcmp(PQgetvalue(res, 0, 3), scope) == 0 ?
	    PQgetvalue(res, 0, 0) : "");
	*status = atoi(PQgetvalue(res, 0, 1));
	*location = arena_strdup(a, PQgetvalue(res, 0, 2));
	PQclear(res);
	return DB_OK;
}

int
payments_db_idem_done(db_t *db, long long user_id, const char *key, int status,
    const char *location)
{
	char uid[24], st[16];
	const char *p[4] = { uid, key, st, location };

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(st, sizeof(st), "%d", status);
	return db_exec(db, NULL,
	    "UPDATE idempotency_keys SET status = $3::int, location = $4"
	    " WHERE user_id = $1::bigint AND key = $2", 4, p);
}

/*
 * The first column of the one row @sql returns, as text into @out (@outlen
 * bytes, truncated; "" when NULL or on error).  DB_ENOROW unless exactly
 * one row.
 */
static int
first_value(db_t *db, const char *sql, int n, const char *const *p, char *out, size_t outlen)
{
	PGresult *res = NULL;
	int rc;

	*out = '\0';
	if ((rc = db_exec(db, &res, sql, n, p)) != DB_OK)
		return rc;
	rc = PQntuples(res) == 1 ? DB_OK : DB_ENOROW;
	if (rc == DB_OK)
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The first column of the first row as a long long. */
static int
returning_id(db_t *db, const char *sql, int n, const char *const *p, long long *id)
{
	char v[32];
	int rc;

	*id = 0;
	if ((rc = first_value(db, sql, n, p, v, sizeof(v))) == DB_OK)
		*id = strtoll(v, NULL, 10);
	return rc;
}

int
payments_db_order_insert(db_t *db, const struct payments_new_order *o, long long *order_id)
{
	char n[12][24];
	const char *p[17];

	snprintf(n[0], sizeof(n[0]), "%lld", o->buyer_id);
	snprintf(n[1], sizeof(n[1]), "%lld", o->seller_id);
	snprintf(n[2], sizeof(n[2]), "%lld", o->gig_id);
	snprintf(n[3], sizeof(n[3]), "%d", o->quantity);
	snprintf(n[4], sizeof(n[4]), "%" PRId64, o->unit_price_minor);
	snprintf(n[5], sizeof(n[5]), "%" PRId64, o->subtotal_minor);
	snprintf(n[6], sizeof(n[6]), "%" PRId64, o->buyer_fee_minor);
	snprintf(n[7], sizeof(n[7]), "%" PRId64, o->total_minor);
	snprintf(n[8], sizeof(n[8]), "%d", o->seller_fee_bps);
	snprintf(n[9], sizeof(n[9]), "%d", o->delivery_days);
	snprintf(n[10], sizeof(n[10]), "%d", o->revisions_allowed);
	p[0] = n[0]; p[1] = n[1]; p[2] = o->gig_id > 0 ? n[2] : NULL;
	p[3] = o->package_tier; p[4] = o->package_name; p[5] = o->gig_title;
	p[6] = n[3]; p[7] = o->extras_json; p[8] = o->currency;
	p[9] = n[4]; p[10] = n[5]; p[11] = n[6]; p[12] = n[7];
	p[13] = n[8]; p[14] = n[9]; p[15] = n[10];
	return returning_id(db,
	    "INSERT INTO orders (buyer_id, seller_id, gig_id, package_tier, package_name,"
	    " gig_title, quantity, extras, currency, unit_price_minor, subtotal_minor,"
	    " buyer_fee_minor, total_minor, seller_fee_bps, delivery_days, revisions_allowed)"
	    " VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7::int, $8::jsonb, $9,"
	    " $10::bigint, $11::bigint, $12::bigint, $13::bigint, $14::int, $15::int, $16::int)"
	    " RETURNING id", 16, p, order_id);
}

int
payments_db_payment_insert(db_t *db, long long order_id, long long change_order_id,
    long long buyer_id, const char *gateway, const char *currency, int64_t amount_minor,
    int64_t credit_minor, const char *reference, long long *payment_id)
{
	char n[5][24];
	const char *p[8];

	snprintf(n[0], sizeof(n[0]), "%lld", order_id);
	snprintf(n[1], sizeof(n[1]), "%lld", change_order_id);
	snprintf(n[2], sizeof(n[2]), "%lld", buyer_id);
	snprintf(n[3], sizeof(n[3]), "%" PRId64, amount_minor);
	snprintf(n[4], sizeof(n[4]), "%" PRId64, credit_minor);
	p[0] = n[0]; p[1] = change_order_id > 0 ? n[1] : NULL; p[2] = n[2];
	p[3] = gateway; p[4] = currency; p[5] = n[3]; p[6] = n[4]; p[7] = reference;
	return returning_id(db,
	    "INSERT INTO payments (order_id, change_order_id, buyer_id, gateway, currency,"
	    " amount_minor, credit_minor, reference)"
	    " VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6::bigint, $7::bigint, $8)"
	    " RETURNING id", 8, p, payment_id);
}

static const char sql_payment[] =
	"SELECT json_build_object('id', p.id, 'order_id', p.order_id,"
	" 'change_order_id', coalesce(p.change_order_id, 0), 'buyer_id', p.buyer_id,"
	" 'seller_id', o.seller_id, 'gateway', p.gateway, 'currency', p.currency,"
	" 'amount_minor', p.amount_minor, 'credit_minor', p.credit_minor, 'state', p.state,"
	" 'reference', p.reference, 'gateway_txn_id', p.gateway_txn_id,"
	" 'order_state', o.state, 'gig_title', o.gig_title, 'package_name', o.package_name,"
	" 'buyer_email', u.email, 'buyer_name', coalesce(pr.display_name, ''),"
	" 'amount', souk_money(p.amount_minor, p.currency, $2),"
	" 'credit', CASE WHEN p.credit_minor > 0 THEN souk_money(p.credit_minor, p.currency, $2) END,"
	" 'total', souk_money(p.amount_minor + p.credit_minor, p.currency, $2))"
	" FROM payments p JOIN orders o ON o.id = p.order_id"
	" JOIN users u ON u.id = p.buyer_id LEFT JOIN profiles pr ON pr.user_id = p.buyer_id"
	" WHERE p.reference = $1";

int
payments_db_payment(db_t *db, const char *ref, int lock, const char *lang, json_t **out)
{
	const char *p[2] = { ref, ui_lang(lang) };

	*out = NULL;
	if (!lock)
		return db_query_json(db, out, sql_payment, 2, p);
	/*
	 * Lock the order, then the payment: the order first, as orders_cancel()
	 * does (order, then its payments), so that a notification and a
	 * cancellation, or two payments of one order, take turns and the
	 * second sees what the first did (payments_db_stray).
	 */
	{
		static const char *const locks[] = {
			"SELECT o.id FROM payments p JOIN orders o ON o.id = p.order_id"
			" WHERE p.reference = $1 FOR UPDATE OF o",
			"SELECT id FROM payments WHERE reference = $1 FOR UPDATE",
		};

		for (size_t i = 0; i < 2; i++) {
			PGresult *res = NULL;
			int rc = db_exec(db, &res, locks[i], 1, p);

			if (rc != DB_OK)
				return rc;
			rc = PQntuples(res) == 1 ? DB_OK : DB_ENOROW;
			PQclear(res);
			if (rc != DB_OK)
				return rc;
		}
	}
	return db_query_json(db, out, sql_payment, 2, p);
}

int
payments_db_set_pending(db_t *db, long long payment_id, const char *txn_id)
{
	return exec_id_arg(db,
	    "UPDATE payments SET state = 'pending', gateway_txn_id = coalesce($2, gateway_txn_id)"
	    " WHERE id = $1::bigint AND state IN ('created', 'pending')",
	    payment_id, txn_id, NULL);
}

int
payments_db_set_paid(db_t *db, long long payment_id, const char *txn_id)
{
	return exec_id_arg(db,
	    "UPDATE payments SET state = 'paid', paid_at = souk_now(),"
	    " gateway_txn_id = coalesce($2, gateway_txn_id) WHERE id = $1::bigint",
	    payment_id, txn_id, NULL);
}

int
payments_db_stray(db_t *db, long long payment_id, int *stray)
{
	char id[24], v[8];
	const char *p[1] = { id };
	int rc;

	*stray = 0;
	snprintf(id, sizeof(id), "%lld", payment_id);
	rc = first_value(db,
	    "SELECT CASE WHEN p.change_order_id IS NULL THEN o.state <> 'awaiting_payment'"
	    "  ELSE coalesce(c.state, '') <> 'accepted' OR o.state NOT IN"
	    "   ('awaiting_requirements', 'in_progress', 'delivered', 'revision_requested') END"
	    " OR EXISTS (SELECT 1 FROM payments q WHERE q.order_id = p.order_id"
	    "  AND q.change_order_id IS NOT DISTINCT FROM p.change_order_id AND q.id <> p.id"
	    "  AND q.state = 'paid' AND NOT q.stray)"
	    " FROM payments p JOIN orders o ON o.id = p.order_id"
	    " LEFT JOIN order_change_orders c ON c.id = p.change_order_id"
	    " WHERE p.id = $1::bigint", 1, p, v, sizeof(v));
	if (rc == DB_OK)
		*stray = v[0] == 't';
	return rc;
}

int
payments_db_set_stray(db_t *db, long long payment_id, const char *txn_id)
{
	return exec_id_arg(db,
	    "UPDATE payments SET state = 'paid', stray = true, credit_minor = 0,"
	    " paid_at = souk_now(), gateway_txn_id = coalesce($2, gateway_txn_id)"
	    " WHERE id = $1::bigint", payment_id, txn_id, NULL);
}

int
payments_db_set_final(db_t *db, long long payment_id, const char *state, int *changed)
{
	return exec_id_arg(db,
	    "UPDATE payments SET state = $2 WHERE id = $1::bigint"
	    " AND state IN ('created', 'pending') RETURNING 1", payment_id, state, changed);
}

int
payments_db_notification(db_t *db, const char *gateway, const char *event_id,
    const char *reference, const char *status, const char *remote_addr,
    const char *request_id, const char *body, int *inserted)
{
	const char *p[7] = { gateway, event_id, reference, status ? status : "",
	    remote_addr ? remote_addr : "", request_id ? request_id : "", body ? body : "" };

	return exec_one_row(db,
	    "INSERT INTO gateway_notifications (gateway, event_id, payment_id, status,"
	    " remote_addr, request_id, body)"
	    " VALUES ($1, $2, (SELECT id FROM payments WHERE reference = $3), $4, $5, $6, $7)"
	    " ON CONFLICT (gateway, event_id) DO NOTHING RETURNING 1", 7, p, inserted);
}

int
payments_db_rejection(db_t *db, const char *gateway, const char *reason,
    const char *remote_addr, const char *request_id, const char *body)
{
	const char *p[5] = { gateway, reason, remote_addr ? remote_addr : "",
	    request_id ? request_id : "", body ? body : "" };

	return db_exec(db, NULL,
	    "INSERT INTO gateway_rejections (gateway, reason, remote_addr, request_id, body)"
	    " VALUES (left($1, 40), left($2, 500), left($3, 100), left($4, 100), left($5, 65536))",
	    5, p);
}

int
payments_db_order(db_t *db, long long order_id, long long buyer_id, json_t **out)
{
	char n[2][24];
	const char *p[2] = { n[0], n[1] };

	snprintf(n[0], sizeof(n[0]), "%lld", order_id);
	snprintf(n[1], sizeof(n[1]), "%lld", buyer_id);
	*out = NULL;
	return db_query_json(db, out,
	    "SELECT json_build_object('id', o.id, 'state', o.state, 'currency', o.currency,"
	    " 'total_minor', o.total_minor, 'gig_title', o.gig_title,"
	    " 'paid', EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id"
	    "  AND p.change_order_id IS NULL AND p.state = 'paid' AND NOT p.stray))"
	    " FROM orders o WHERE o.id = $1::bigint AND o.buyer_id = $2::bigint", 2, p);
}

int
payments_db_change_order(db_t *db, long long order_id, long long cid, long long buyer_id,
    json_t **out)
{
	char n[3][24];
	const char *p[3] = { n[0], n[1], n[2] };

	snprintf(n[0], sizeof(n[0]), "%lld", order_id);
	snprintf(n[1], sizeof(n[1]), "%lld", cid);
	snprintf(n[2], sizeof(n[2]), "%lld", buyer_id);
	*out = NULL;
	return db_query_json(db, out,
	    "SELECT json_build_object('id', c.id, 'order_id', o.id, 'state', c.state,"
	    " 'currency', o.currency, 'amount_minor', c.amount_minor,"
	    " 'buyer_fee_minor', c.buyer_fee_minor, 'order_state', o.state,"
	    " 'paid', EXISTS (SELECT 1 FROM payments p WHERE p.change_order_id = c.id"
	    "  AND p.state = 'paid' AND NOT p.stray))"
	    " FROM order_change_orders c JOIN orders o ON o.id = c.order_id"
	    " WHERE o.id = $1::bigint AND c.id = $2::bigint AND o.buyer_id = $3::bigint", 3, p);
}

int
payments_db_refund(db_t *db, long long refund_id, json_t **out)
{
	char id[24];
	const char *p[1] = { id };
	PGresult *res = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", refund_id);
	*out = NULL;
	rc = db_exec(db, &res, "SELECT 1 FROM refunds WHERE id = $1::bigint FOR UPDATE", 1, p);
	if (rc != DB_OK)
		return rc;
	rc = PQntuples(res) == 1 ? DB_OK : DB_ENOROW;
	PQclear(res);
	if (rc != DB_OK)
		return rc;
	return db_query_json(db, out,
	    "SELECT json_build_object('id', r.id, 'order_id', r.order_id, 'payment_id', r.payment_id,"
	    " 'buyer_id', p.buyer_id, 'amount_minor', r.amount_minor, 'currency', r.currency,"
	    " 'method', r.method, 'state', r.state, 'idempotency_key', r.idempotency_key,"
	    " 'attempts', r.attempts, 'gateway', p.gateway, 'reference', p.reference,"
	    " 'gateway_txn_id', p.gateway_txn_id, 'paid_minor', p.amount_minor)"
	    " FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = $1::bigint",
	    1, p);
}

int
payments_db_refund_claim(db_t *db, long long refund_id, int stale_s, int *claimed,
    int *attempts)
{
	char id[24], st[16], v[16];
	const char *p[2] = { id, st };
	int rc;

	*claimed = *attempts = 0;
	snprintf(id, sizeof(id), "%lld", refund_id);
	snprintf(st, sizeof(st), "%d", stale_s);
	rc = first_value(db,
	    "UPDATE refunds SET state = 'processing', attempts = attempts + 1, updated_at = now()"
	    " WHERE id = $1::bigint AND method = 'gateway' AND (state = 'requested'"
	    "  OR (state = 'processing' AND updated_at < now() - $2::int * interval '1 second'))"
	    " RETURNING attempts", 2, p, v, sizeof(v));
	if (rc == DB_ENOROW)
		return DB_OK;	/* someone else holds it */
	if (rc != DB_OK)
		return rc;
	*claimed = 1;
	*attempts = atoi(v);
	return DB_OK;
}

/* A refund in 'processing' moves to @state ('requested' or 'failed') with @error. */
static int
refund_leave_processing(db_t *db, long long refund_id, const char *state, const char *error,
    int *changed)
{
	char id[24];
	const char *p[3] = { id, error ? error : "", state };

	snprintf(id, sizeof(id), "%lld", refund_id);
	return exec_one_row(db,
	    "UPDATE refunds SET state = $3, error = left($2, 1000), updated_at = now()"
	    " WHERE id = $1::bigint AND state = 'processing' RETURNING 1", 3, p, changed);
}

/* A gateway refund 'requested' or 'processing' moves to @state. */
static int
refund_set_gateway_state(db_t *db, long long refund_id, const char *state, int *changed)
{
	return exec_id_arg(db,
	    "UPDATE refunds SET state = $2, updated_at = now()"
	    " WHERE id = $1::bigint AND method = 'gateway' AND state IN ('requested', 'processing')"
	    " RETURNING 1", refund_id, state, changed);
}

int
payments_db_refund_release(db_t *db, long long refund_id, const char *error, int *changed)
{
	return refund_leave_processing(db, refund_id, "requested", error, changed);
}

int
payments_db_refund_succeeded(db_t *db, long long refund_id, const char *gateway_refund_id,
    int *changed)
{
	char id[24];
	const char *p[2] = { id, gateway_refund_id };
	int rc;

	snprintf(id, sizeof(id), "%lld", refund_id);
	rc = exec_one_row(db,
	    "UPDATE refunds SET state = 'succeeded', gateway_refund_id = $2, error = NULL,"
	    " updated_at = now() WHERE id = $1::bigint AND state = 'processing' RETURNING 1",
	    2, p, changed);
	if (rc != DB_OK || !*changed)
		return rc;
	return db_exec(db, NULL,
	    "UPDATE payments p SET refunded_minor = p.refunded_minor + r.amount_minor"
	    " FROM refunds r WHERE r.id = $1::bigint AND p.id = r.payment_id", 1, p);
}

int
payments_db_refund_failed(db_t *db, long long refund_id, const char *error, int *changed)
{
	return refund_leave_processing(db, refund_id, "failed", error, changed);
}

int
payments_db_refund_take(db_t *db, long long refund_id, int *changed)
{
	return refund_set_gateway_state(db, refund_id, "processing", changed);
}

int
payments_db_refund_requeue(db_t *db, long long refund_id, int *changed)
{
	return refund_set_gateway_state(db, refund_id, "requested", changed);
}
