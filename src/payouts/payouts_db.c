/*
 * payouts_db.c - the SQL of earnings, withdrawals, clearance, the weekly
 * payout batch and the finance console (see payouts.h).  SQL only; every
 * value travels as a text parameter.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payouts/payouts.h"

#define MINUTE(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
#define DAY(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

#define NUM(buf, v) (snprintf((buf), sizeof(buf), "%lld", (long long)(v)), (buf))

/* db_query_json with the one parameter $1 = @id (a bigint). */
static int
json_by_id(db_t *db, json_t **out, long long id, const char *sql)
{
	char s[24];
	const char *p[1] = { NUM(s, id) };

	return db_query_json(db, out, sql, 1, p);
}

/* ==== clearance ==== */

int
payouts_db_clear_claim(db_t *db, long long after, long long *order_id,
    long long *seller_id, char currency[4], int64_t *amount_minor)
{
	char a[24];
	const char *p[1] = { NUM(a, after) };
	PGresult *res = NULL;
	int rc;

	rc = db_exec(db, &res,
	    "SELECT order_id, seller_id, currency, amount_minor FROM seller_clearances"
	    " WHERE clears_at <= souk_now() AND cleared_at IS NULL AND order_id > $1::bigint"
	    " ORDER BY order_id LIMIT 1 FOR UPDATE SKIP LOCKED", 1, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return DB_ENOROW;
	}
	*order_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*seller_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	snprintf(currency, 4, "%s", PQgetvalue(res, 0, 2));
	*amount_minor = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	PQclear(res);
	return DB_OK;
}

int
payouts_db_clear_done(db_t *db, long long order_id, int64_t amount_minor, const char *currency)
{
	char o[24], m[24];
	const char *p[3] = { NUM(o, order_id), NUM(m, amount_minor), currency };

	return db_exec(db, NULL,
	    "WITH c AS (UPDATE seller_clearances SET cleared_at = souk_now()"
	    "  WHERE order_id = $1::bigint AND cleared_at IS NULL RETURNING order_id)"
	    " INSERT INTO order_events (order_id, kind, data)"
	    " SELECT order_id, 'cleared', jsonb_build_object('amount_minor', $2::bigint,"
	    "  'currency', $3::text) FROM c", 3, p);
}

/* ==== earnings ==== */

int
payouts_db_seller_currencies(db_t *db, long long seller_id, json_t **out)
{
	return json_by_id(db, out, seller_id,
	    "SELECT json_build_object('currencies', coalesce(json_agg(c ORDER BY c), '[]'::json))"
	    " FROM (SELECT DISTINCT currency AS c FROM ledger_accounts"
	    "  WHERE user_id = $1::bigint AND kind IN ('seller_pending', 'seller_available',"
	    "  'seller_payout', 'seller_paid_out')) x");
}

int
payouts_db_lines(db_t *db, long long seller_id, const char *kind, const char *currency,
    const char *lang, int limit, int offset, json_t **out)
{
	char s[24], l[24], o[24];
	const char *p[6] = { NUM(s, seller_id), kind, currency, lang, NUM(l, limit), NUM(o, offset) };

	return db_query_json(db, out,
	    "WITH e AS (SELECT e.id, e.amount_minor, t.kind, t.memo, t.order_id, t.payout_id,"
	    "  t.created_at FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id"
	    "  JOIN ledger_transactions t ON t.id = e.transaction_id"
	    "  WHERE a.user_id = $1::bigint AND a.kind = $2 AND a.currency = $3)"
	    " SELECT json_build_object('total', (SELECT count(*) FROM e),"
	    "  'lines', coalesce((SELECT json_agg(json_build_object('id', x.id,"
	    "   'at', " MINUTE("x.created_at") ", 'kind', x.kind, 'memo', x.memo,"
	    "   'order_id', x.order_id, 'order_url', CASE WHEN x.order_id IS NOT NULL"
	    "    THEN '/orders/' || x.order_id END, 'payout_id', x.payout_id,"
	    "   'amount_minor', x.amount_minor, 'credit', x.amount_minor > 0,"
	    "   'amount', souk_money(x.amount_minor, $3, $4)) ORDER BY x.created_at DESC, x.id DESC)"
	    "   FROM (SELECT * FROM e ORDER BY created_at DESC, id DESC"
	    "    LIMIT $5::int OFFSET $6::int) x), '[]'::json))", 6, p);
}

int
payouts_db_csv_lines(db_t *db, long long seller_id, json_t **out)
{
	return json_by_id(db, out, seller_id,
	    "SELECT json_build_object('lines', coalesce(json_agg(json_build_object("
	    "  'at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    "  'currency', a.currency, 'account', a.kind, 'kind', t.kind,"
	    "  'transaction_id', t.id, 'order_id', t.order_id, 'payout_id', t.payout_id,"
	    "  'amount_minor', e.amount_minor, 'memo', t.memo)"
	    "  ORDER BY t.created_at, e.id), '[]'::json))"
	    " FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id"
	    " JOIN ledger_transactions t ON t.id = e.transaction_id"
	    " WHERE a.user_id = $1::bigint AND a.kind IN ('seller_pending', 'seller_available',"
	    " 'seller_payout', 'seller_paid_out')");
}

int
payouts_db_seller_payouts(db_t *db, long long seller_id, const char *lang, json_t **out)
{
	char s[24];
	const char *p[2] = { NUM(s, seller_id), lang };

	return db_query_json(db, out,
	    "SELECT json_build_object('payouts', coalesce(json_agg(json_build_object("
	    "  'id', x.id, 'state', x.state, 'method', x.method, 'currency', x.currency,"
	    "  'amount_minor', x.amount_minor, 'amount', souk_money(x.amount_minor, x.currency, $2),"
	    "  'requested', " MINUTE("x.requested_at") ", 'paid', " MINUTE("x.paid_at") ","
	    "  'note', CASE WHEN x.state IN ('held', 'failed') THEN x.note END)"
	    "  ORDER BY x.requested_at DESC, x.id DESC), '[]'::json))"
	    " FROM (SELECT * FROM payouts WHERE seller_id = $1::bigint"
	    "  ORDER BY requested_at DESC, id DESC LIMIT 20) x", 2, p);
}

int
payouts_db_payout_method(db_t *db, arena_t *a, long long seller_id, const char **method)
{
	char s[24], *v = NULL;
	const char *p[1] = { NUM(s, seller_id) };
	int rc;

	rc = db_query_value(db, a, &v, "SELECT method FROM seller_payouts WHERE user_id = $1::bigint",
	    1, p);
	*method = v;
	return rc;
}

/* ==== idempotency keys ==== */

int
payouts_db_idem_claim(db_t *db, arena_t *a, long long user_id, const char *key,
    const char *scope, const char *hash, int *state, const char **location)
{
	char u[24];
	const char *p[4] = { NUM(u, user_id), key, scope, hash };
	PGresult *res = NULL;
	int rc;

	*state = 0;
	*location = NULL;
	/* A concurrent first request holds the key's row: the insert waits for it. */
	rc = db_exec(db, &res,
	    "INSERT INTO idempotency_keys (user_id, key, scope, request_hash)"
	    " VALUES ($1::bigint, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING RETURNING 1",
	    4, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 1) {
		PQclear(res);
		return DB_OK;
	}
	PQclear(res);
	rc = db_exec(db, &res,
	    "SELECT scope = $3 AND request_hash = $4, location FROM idempotency_keys"
	    " WHERE user_id = $1::bigint AND key = $2", 4, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return DB_ENOROW;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0 || PQgetisnull(res, 0, 1))
		*state = 2;
	else {
		*state = 1;
		*location = arena_strdup(a, PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return DB_OK;
}

int
payouts_db_idem_done(db_t *db, long long user_id, const char *key, int status,
    const char *location)
{
	char u[24], s[24];
	const char *p[4] = { NUM(u, user_id), key, NUM(s, status), location };

	return db_exec(db, NULL,
	    "UPDATE idempotency_keys SET status = $3::int, location = $4"
	    " WHERE user_id = $1::bigint AND key = $2", 4, p);
}

/* ==== payouts ==== */

int
payouts_db_request(db_t *db, long long seller_id, const char *currency,
    int64_t amount_minor, const char *method, const char *payout_key, long long *id)
{
	char s[24], m[24], *v = NULL;
	const char *p[5] = { NUM(s, seller_id), currency, NUM(m, amount_minor), method, payout_key };
	arena_t *a = arena_new(256);
	int rc;

	rc = db_query_value(db, a, &v,
	    "INSERT INTO payouts (seller_id, currency, amount_minor, method, idempotency_key)"
	    " VALUES ($1::bigint, $2, $3::bigint, $4, $5) RETURNING id", 5, p);
	if (rc == DB_OK)
		*id = strtoll(v, NULL, 10);
	arena_free(a);
	return rc;
}

#define PAYOUT_SNAPSHOT(P) \
	"json_build_object('id', " P ".id, 'seller_id', " P ".seller_id, 'state', " P ".state," \
	" 'method', " P ".method, 'currency', " P ".currency, 'amount_minor', " P ".amount_minor," \
	" 'batch_id', " P ".batch_id, 'note', " P ".note, 'gateway_ref', " P ".gateway_ref)"

int
payouts_db_lock(db_t *db, long long id, json_t **out)
{
	return json_by_id(db, out, id,
	    "SELECT " PAYOUT_SNAPSHOT("p") " FROM payouts p WHERE p.id = $1::bigint FOR UPDATE");
}

int
payouts_db_decide(db_t *db, long long id, const char *state, const char *note,
    long long actor_id, const char *gateway_ref, json_t **out)
{
	char i[24], a[24];
	const char *p[5] = { NUM(i, id), state, note, actor_id > 0 ? NUM(a, actor_id) : NULL,
		gateway_ref };
	json_t *j = NULL;
	int rc;

	rc = db_query_json(db, &j,
	    "UPDATE payouts p SET state = $2, note = coalesce($3, p.note),"
	    " decided_by = coalesce($4::bigint, p.decided_by), decided_at = souk_now(),"
	    " paid_at = CASE WHEN $2 = 'paid' THEN souk_now() ELSE p.paid_at END,"
	    " gateway_ref = coalesce($5, p.gateway_ref)"
	    " WHERE p.id = $1::bigint RETURNING " PAYOUT_SNAPSHOT("p"), 5, p);
	if (rc == DB_OK && out != NULL)
		*out = j;
	else
		json_decref(j);
	return rc;
}

int
payouts_db_audit_sweep(db_t *db, long long id, const char *action, json_t *before)
{
	char i[24];
	char *b = before != NULL ? json_dumps(before, JSON_COMPACT) : NULL;
	const char *p[3] = { NUM(i, id), action, b };
	int rc;

	rc = db_exec(db, NULL,
	    "INSERT INTO audit_log (actor_id, action, entity_type, entity_id, before, after,"
	    " request_id)"
	    " SELECT NULL, $2, 'payout', $1::text, $3::jsonb, jsonb_build_object('state', p.state,"
	    "  'method', p.method, 'gateway_ref', p.gateway_ref, 'note', p.note), 'money-sweep'"
	    " FROM payouts p WHERE p.id = $1::bigint", 3, p);
	free(b);
	return rc;
}

/* ==== the weekly batch ==== */

/* The Monday (UTC) of souk_now()'s ISO week. */
#define WEEK_START "date_trunc('week', souk_now() AT TIME ZONE 'UTC')"

int
payouts_db_batch_attach(db_t *db, int *created)
{
	PGresult *res = NULL;
	int rc;

	*created = 0;
	rc = db_exec(db, &res,
	    "WITH due AS (SELECT DISTINCT currency FROM payouts WHERE state = 'approved'"
	    "  AND batch_id IS NULL AND requested_at < (" WEEK_START ") AT TIME ZONE 'UTC')"
	    " INSERT INTO payout_batches (currency, week)"
	    " SELECT currency, (" WEEK_START ")::date FROM due"
	    " ON CONFLICT (currency, week) DO NOTHING RETURNING id", 0, NULL);
	if (rc != DB_OK)
		return rc;
	*created = PQntuples(res);
	PQclear(res);
	return db_exec(db, NULL,
	    "UPDATE payouts p SET batch_id = b.id FROM payout_batches b"
	    " WHERE b.currency = p.currency AND b.week = (" WEEK_START ")::date AND b.state = 'open'"
	    " AND b.bank_file IS NULL"
	    " AND p.state = 'approved' AND p.batch_id IS NULL"
	    " AND p.requested_at < (" WEEK_START ") AT TIME ZONE 'UTC'", 0, NULL);
}

int
payouts_db_open_batches(db_t *db, json_t **out)
{
	return db_query_json(db, out,
	    "SELECT json_build_object('batches', coalesce(json_agg(json_build_object('id', id,"
	    " 'currency', currency, 'week', week::text, 'has_file', bank_file IS NOT NULL)"
	    " ORDER BY id), '[]'::json))"
	    " FROM payout_batches WHERE state = 'open'", 0, NULL);
}

int
payouts_db_batch_payouts(db_t *db, long long batch_id, json_t **out)
{
	return json_by_id(db, out, batch_id,
	    "SELECT json_build_object('payouts', coalesce(json_agg(json_build_object('id', p.id,"
	    " 'seller_id', p.seller_id, 'method', p.method, 'amount_minor', p.amount_minor,"
	    " 'currency', p.currency, 'handle', u.handle, 'in_bank_file', p.in_bank_file,"
	    " 'holder_name', coalesce(pr.display_name, u.handle),"
	    " 'sealed', sp.details_sealed) ORDER BY p.id), '[]'::json))"
	    " FROM payouts p JOIN users u ON u.id = p.seller_id"
	    " LEFT JOIN profiles pr ON pr.user_id = p.seller_id"
	    " LEFT JOIN seller_payouts sp ON sp.user_id = p.seller_id"
	    " WHERE p.batch_id = $1::bigint AND p.state = 'approved'");
}

int
payouts_db_batch_file(db_t *db, long long batch_id, const char *bank_file, const char *ids)
{
	char b[24];
	const char *p[3] = { NUM(b, batch_id), bank_file, ids };

	return db_exec(db, NULL,
	    "WITH b AS (UPDATE payout_batches SET bank_file = $2"
	    "  WHERE id = $1::bigint AND bank_file IS NULL AND state = 'open' RETURNING id)"
	    " UPDATE payouts p SET in_bank_file = true FROM b"
	    " WHERE p.batch_id = b.id AND p.id = ANY ($3::bigint[])", 3, p);
}

int
payouts_db_batch_close(db_t *db, long long batch_id, const char *state)
{
	char b[24];
	const char *p[2] = { NUM(b, batch_id), state };

	return db_exec(db, NULL,
	    "UPDATE payout_batches SET state = $2 WHERE id = $1::bigint AND state = 'open'", 2, p);
}

/* ==== the finance console ==== */

#define USER_REF(U) "json_build_object('id', " U ".id, 'handle', " U ".handle)"

int
finance_db_payouts(db_t *db, const struct finance_payout_filter *f, const char *lang,
    json_t **out)
{
	char lim[24], off[24];
	const char *p[6] = { f->state, f->currency, f->seller, lang, NUM(lim, FINANCE_PER_PAGE),
		NUM(off, (long long)(f->page - 1) * FINANCE_PER_PAGE) };

	return db_query_json(db, out,
	    "WITH m AS (SELECT p.* FROM payouts p JOIN users u ON u.id = p.seller_id"
	    "  WHERE ($1::text IS NULL OR p.state = $1) AND ($2::text IS NULL OR p.currency = $2)"
	    "  AND ($3::text IS NULL OR u.handle = $3))"
	    " SELECT json_build_object('total', (SELECT count(*) FROM m),"
	    "  'payouts', coalesce((SELECT json_agg(json_build_object('id', x.id, 'state', x.state,"
	    "   'method', x.method, 'currency', x.currency, 'amount_minor', x.amount_minor,"
	    "   'amount', souk_money(x.amount_minor, x.currency, $4),"
	    "   'seller', " USER_REF("u") ", 'requested', " MINUTE("x.requested_at") ","
	    "   'decided', " MINUTE("x.decided_at") ", 'paid', " MINUTE("x.paid_at") ","
	    "   'note', x.note, 'batch_id', x.batch_id, 'gateway_ref', x.gateway_ref,"
	    "   'decided_by', (SELECT handle FROM users d WHERE d.id = x.decided_by),"
	    "   'can_approve', x.state IN ('requested', 'held'),"
	    "   'can_hold', x.state IN ('requested', 'approved') AND x.batch_id IS NULL,"
	    "   'can_pay', x.state = 'approved',"
	    "   'can_fail', x.state IN ('requested', 'approved', 'held'))"
	    "   ORDER BY x.requested_at DESC, x.id DESC)"
	    "   FROM (SELECT * FROM m ORDER BY requested_at DESC, id DESC LIMIT $5::int"
	    "    OFFSET $6::int) x JOIN users u ON u.id = x.seller_id), '[]'::json))", 6, p);
}

int
finance_db_transactions(db_t *db, const char *kind, long long order_id, int page,
    const char *lang, json_t **out)
{
	char o[24], lim[24], off[24];
	const char *p[5] = { kind, order_id > 0 ? NUM(o, order_id) : NULL, lang,
		NUM(lim, FINANCE_PER_PAGE), NUM(off, (long long)(page - 1) * FINANCE_PER_PAGE) };

	return db_query_json(db, out,
	    "WITH m AS (SELECT * FROM ledger_transactions t"
	    "  WHERE ($1::text IS NULL OR t.kind = $1) AND ($2::bigint IS NULL OR t.order_id = $2::bigint))"
	    " SELECT json_build_object('total', (SELECT count(*) FROM m),"
	    "  'transactions', coalesce((SELECT json_agg(json_build_object('id', x.id,"
	    "   'at', " MINUTE("x.created_at") ", 'kind', x.kind, 'memo', x.memo,"
	    "   'event_key', x.event_key, 'order_id', x.order_id, 'payout_id', x.payout_id,"
	    "   'entries', (SELECT json_agg(json_build_object('account', a.kind,"
	    "     'owner', CASE WHEN a.user_id IS NOT NULL THEN '@' || (SELECT handle FROM users"
	    "      WHERE id = a.user_id) WHEN a.order_id IS NOT NULL THEN 'order ' || a.order_id"
	    "      WHEN a.gateway IS NOT NULL THEN a.gateway ELSE 'platform' END,"
	    "     'amount_minor', e.amount_minor, 'currency', e.currency,"
	    "     'amount', souk_money(e.amount_minor, e.currency, $3)) ORDER BY e.id)"
	    "    FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
	    "    WHERE e.transaction_id = x.id)) ORDER BY x.id DESC)"
	    "   FROM (SELECT * FROM m ORDER BY id DESC LIMIT $4::int OFFSET $5::int) x),"
	    "   '[]'::json))", 5, p);
}

int
finance_db_escrow(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { lang };

	return db_query_json(db, out,
	    "WITH h AS (SELECT b.order_id, b.currency, b.balance_minor FROM ledger_balances b"
	    "  WHERE b.kind = 'escrow' AND b.balance_minor > 0)"
	    " SELECT json_build_object("
	    "  'holds', coalesce((SELECT json_agg(json_build_object('order_id', o.id,"
	    "   'state', o.state, 'disputed', o.disputed, 'currency', h.currency,"
	    "   'held_minor', h.balance_minor, 'held', souk_money(h.balance_minor, h.currency, $1),"
	    "   'buyer', bu.handle, 'seller', se.handle, 'gig_title', o.gig_title,"
	    "   'created', " MINUTE("o.created_at") ") ORDER BY o.id)"
	    "   FROM h JOIN orders o ON o.id = h.order_id JOIN users bu ON bu.id = o.buyer_id"
	    "   JOIN users se ON se.id = o.seller_id), '[]'::json),"
	    "  'totals', coalesce((SELECT json_agg(json_build_object('currency', t.currency,"
	    "   'held_minor', t.s, 'held', souk_money(t.s, t.currency, $1), 'orders', t.n)"
	    "   ORDER BY t.currency) FROM (SELECT currency, sum(balance_minor)::bigint AS s,"
	    "   count(*) AS n FROM h GROUP BY currency) t), '[]'::json))", 1, p);
}

/*
 * A gateway refund nobody is working on: 'requested' or 'processing' with
 * no "refund" job for it queued or running (sql/0004_jobs.sql).
 */
#define REFUND_LIVE_JOB(R) \
	"EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'refund' AND j.status IN ('queued', 'running')" \
	" AND j.payload @> jsonb_build_object('refund_id', " R ".id))"
#define REFUND_STUCK(R) \
	"(" R ".method = 'gateway' AND " R ".state IN ('requested', 'processing') AND NOT " \
	REFUND_LIVE_JOB(R) ")"

int
finance_db_refunds(db_t *db, const char *state, int page, const char *lang, json_t **out)
{
	char lim[24], off[24];
	const char *p[4] = { state, lang, NUM(lim, FINANCE_PER_PAGE),
		NUM(off, (long long)(page - 1) * FINANCE_PER_PAGE) };

	return db_query_json(db, out,
	    "WITH m AS (SELECT * FROM refunds r WHERE $1::text IS NULL OR r.state = $1"
	    "  OR ($1 = 'stuck' AND " REFUND_STUCK("r") "))"
	    " SELECT json_build_object('total', (SELECT count(*) FROM m),"
	    "  'refunds', coalesce((SELECT json_agg(json_build_object('id', x.id,"
	    "   'order_id', x.order_id, 'payment_id', x.payment_id, 'currency', x.currency,"
	    "   'amount_minor', x.amount_minor, 'amount', souk_money(x.amount_minor, x.currency, $2),"
	    "   'method', x.method, 'state', x.state, 'error', x.error, 'attempts', x.attempts,"
	    "   'gateway', (SELECT gateway FROM payments WHERE id = x.payment_id),"
	    "   'live_job', " REFUND_LIVE_JOB("x") ", 'stuck', " REFUND_STUCK("x") ","
	    "   'updated', " MINUTE("x.updated_at") ","
	    "   'created', " MINUTE("x.created_at") ") ORDER BY x.id DESC)"
	    "   FROM (SELECT * FROM m ORDER BY id DESC LIMIT $3::int OFFSET $4::int) x),"
	    "   '[]'::json))", 4, p);
}

int
finance_db_refund_lock(db_t *db, long long id, json_t **out)
{
	char i[24];
	const char *p[1] = { NUM(i, id) };
	int rc;

	/* the row lock first: the refund job takes the same one (payments_db_refund) */
	if ((rc = db_exec(db, NULL, "SELECT 1 FROM refunds WHERE id = $1::bigint FOR UPDATE",
	    1, p)) != DB_OK)
		return rc;
	return db_query_json(db, out,
	    "SELECT json_build_object('id', r.id, 'order_id', r.order_id, 'payment_id', r.payment_id,"
	    " 'buyer_id', y.buyer_id, 'method', r.method, 'state', r.state, 'currency', r.currency,"
	    " 'amount_minor', r.amount_minor, 'attempts', r.attempts, 'error', r.error,"
	    " 'gateway', y.gateway, 'reference', y.reference, 'refunded_minor', y.refunded_minor,"
	    " 'gateway_refund_id', r.gateway_refund_id,"
	    " 'live_job', " REFUND_LIVE_JOB("r") ", 'stuck', " REFUND_STUCK("r") ")"
	    " FROM refunds r JOIN payments y ON y.id = r.payment_id WHERE r.id = $1::bigint", 1, p);
}

int
finance_db_revenue(db_t *db, const char *from, const char *to, const char *lang, json_t **out)
{
	const char *p[3] = { from, to, lang };

	return db_query_json(db, out,
	    "WITH d AS (SELECT coalesce($2::date, (souk_now() AT TIME ZONE 'UTC')::date) AS t),"
	    " d2 AS (SELECT coalesce($1::date, d.t - 30) AS f, d.t FROM d),"
	    " r AS (SELECT (t.created_at AT TIME ZONE 'UTC')::date AS day, e.currency,"
	    "  sum(e.amount_minor)::bigint AS s, count(DISTINCT t.id) AS n"
	    "  FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
	    "  JOIN ledger_transactions t ON t.id = e.transaction_id"
	    "  WHERE a.kind = 'platform_revenue'"
	    "  AND (t.created_at AT TIME ZONE 'UTC')::date BETWEEN (SELECT f FROM d2) AND (SELECT t FROM d2)"
	    "  GROUP BY 1, 2)"
	    " SELECT json_build_object('from', (SELECT f FROM d2)::text, 'to', (SELECT t FROM d2)::text,"
	    "  'days', coalesce((SELECT json_agg(json_build_object('day', r.day::text,"
	    "   'currency', r.currency, 'amount_minor', r.s, 'amount', souk_money(r.s, r.currency, $3),"
	    "   'transactions', r.n) ORDER BY r.day DESC, r.currency) FROM r), '[]'::json),"
	    "  'totals', coalesce((SELECT json_agg(json_build_object('currency', t.currency,"
	    "   'amount_minor', t.s, 'amount', souk_money(t.s, t.currency, $3)) ORDER BY t.currency)"
	    "   FROM (SELECT currency, sum(s)::bigint AS s FROM r GROUP BY currency) t), '[]'::json))",
	    3, p);
}

int
finance_db_health(db_t *db, json_t **out)
{
	return db_query_json(db, out,
	    "WITH s AS (SELECT currency, sum(amount_minor)::bigint AS total FROM ledger_entries"
	    "  GROUP BY currency),"
	    " n AS (SELECT count(*) AS c FROM ledger_balances WHERE kind <> 'gateway_clearing'"
	    "  AND balance_minor < 0),"
	    " u AS (SELECT count(*) AS c FROM (SELECT transaction_id FROM ledger_entries"
	    "  GROUP BY transaction_id, currency HAVING sum(amount_minor) <> 0) x)"
	    " SELECT json_build_object("
	    "  'sums', coalesce((SELECT json_agg(json_build_object('currency', currency,"
	    "   'sum_minor', total, 'zero', total = 0) ORDER BY currency) FROM s), '[]'::json),"
	    "  'negative_accounts', (SELECT c FROM n), 'unbalanced_transactions', (SELECT c FROM u),"
	    "  'ok', NOT EXISTS (SELECT 1 FROM s WHERE total <> 0) AND (SELECT c FROM n) = 0"
	    "   AND (SELECT c FROM u) = 0)", 0, NULL);
}

int
finance_db_batches(db_t *db, const char *lang, json_t **out)
{
	const char *p[1] = { lang };

	return db_query_json(db, out,
	    "SELECT json_build_object('batches', coalesce(json_agg(json_build_object('id', b.id,"
	    " 'currency', b.currency, 'week', b.week::text, 'state', b.state,"
	    " 'has_file', b.bank_file IS NOT NULL, 'can_mark_paid', b.bank_file IS NOT NULL"
	    "  AND b.state IN ('open', 'sent') AND EXISTS (SELECT 1 FROM payouts p"
	    "  WHERE p.batch_id = b.id AND p.in_bank_file AND p.state = 'approved'),"
	    " 'payouts', (SELECT count(*) FROM payouts p WHERE p.batch_id = b.id),"
	    " 'amount', souk_money((SELECT coalesce(sum(amount_minor), 0) FROM payouts p"
	    "   WHERE p.batch_id = b.id)::bigint, b.currency, $1),"
	    " 'created', " MINUTE("b.created_at") ") ORDER BY b.week DESC, b.id DESC), '[]'::json))"
	    " FROM (SELECT * FROM payout_batches ORDER BY week DESC, id DESC LIMIT 200) b", 1, p);
}

int
finance_db_batch_lock(db_t *db, long long id, json_t **out)
{
	return json_by_id(db, out, id,
	    "SELECT json_build_object('id', id, 'currency', currency, 'week', week::text,"
	    " 'state', state, 'has_file', bank_file IS NOT NULL)"
	    " FROM payout_batches WHERE id = $1::bigint FOR UPDATE");
}

int
finance_db_batch_file(db_t *db, arena_t *a, long long id, const char **out)
{
	char i[24], *v = NULL;
	const char *p[1] = { NUM(i, id) };
	int rc;

	rc = db_query_value(db, a, &v, "SELECT bank_file FROM payout_batches WHERE id = $1::bigint",
	    1, p);
	*out = v;
	return rc;
}

int
finance_db_batch_bank_payouts(db_t *db, long long id, json_t **out)
{
	return json_by_id(db, out, id,
	    "SELECT json_build_object('payouts', coalesce(json_agg(json_build_object('id', x.id,"
	    " 'seller_id', x.seller_id, 'currency', x.currency, 'amount_minor', x.amount_minor,"
	    " 'state', x.state) ORDER BY x.id), '[]'::json))"
	    " FROM (SELECT * FROM payouts WHERE batch_id = $1::bigint AND state = 'approved'"
	    "  AND in_bank_file ORDER BY id FOR UPDATE) x");
}

int
finance_db_batch_state(db_t *db, long long id, const char *state)
{
	char i[24];
	const char *p[2] = { NUM(i, id), state };

	return db_exec(db, NULL, "UPDATE payout_batches SET state = $2 WHERE id = $1::bigint", 2, p);
}

int
finance_db_order(db_t *db, long long id, const char *lang, json_t **out)
{
	char i[24];
	const char *p[2] = { NUM(i, id), lang };

	return db_query_json(db, out,
	    "SELECT json_build_object('order', json_build_object('id', o.id, 'state', o.state,"
	    "  'disputed', o.disputed, 'gig_title', o.gig_title, 'package_name', o.package_name,"
	    "  'package_tier', o.package_tier, 'quantity', o.quantity, 'currency', o.currency,"
	    "  'subtotal', souk_money(o.subtotal_minor, o.currency, $2),"
	    "  'buyer_fee', souk_money(o.buyer_fee_minor, o.currency, $2),"
	    "  'total', souk_money(o.total_minor, o.currency, $2),"
	    "  'held_minor', coalesce((SELECT balance_minor FROM ledger_balances"
	    "    WHERE kind = 'escrow' AND order_id = o.id), 0),"
	    "  'held', souk_money(coalesce((SELECT balance_minor FROM ledger_balances"
	    "    WHERE kind = 'escrow' AND order_id = o.id), 0), o.currency, $2),"
	    "  'buyer', " USER_REF("bu") ", 'seller', " USER_REF("se") ","
	    "  'created', " MINUTE("o.created_at") ", 'due', " MINUTE("o.due_at") ","
	    "  'delivered', " MINUTE("o.delivered_at") ", 'completed', " MINUTE("o.completed_at") ","
	    "  'cancelled', " MINUTE("o.cancelled_at") ", 'cancel_reason', o.cancel_reason,"
	    "  'closed', o.state IN ('completed', 'cancelled'), 'url', '/orders/' || o.id),"
	    " 'payments', coalesce((SELECT json_agg(json_build_object('id', py.id,"
	    "  'gateway', py.gateway, 'state', py.state, 'reference', py.reference,"
	    "  'amount', souk_money(py.amount_minor, py.currency, $2),"
	    "  'refunded', souk_money(py.refunded_minor, py.currency, $2),"
	    "  'created', " MINUTE("py.created_at") ") ORDER BY py.id)"
	    "  FROM payments py WHERE py.order_id = o.id), '[]'::json),"
	    " 'refunds', coalesce((SELECT json_agg(json_build_object('id', r.id,"
	    "  'amount', souk_money(r.amount_minor, r.currency, $2), 'method', r.method,"
	    "  'state', r.state, 'error', r.error, 'created', " MINUTE("r.created_at") ") ORDER BY r.id)"
	    "  FROM refunds r WHERE r.order_id = o.id), '[]'::json),"
	    " 'clearance', (SELECT json_build_object('amount', souk_money(c.amount_minor, c.currency, $2),"
	    "  'clears', " MINUTE("c.clears_at") ", 'cleared', " MINUTE("c.cleared_at") ")"
	    "  FROM seller_clearances c WHERE c.order_id = o.id),"
	    " 'events', coalesce((SELECT json_agg(json_build_object('at', " MINUTE("ev.created_at") ","
	    "  'kind', ev.kind, 'body', ev.body, 'actor', (SELECT handle FROM users WHERE id = ev.actor_id))"
	    "  ORDER BY ev.id DESC) FROM (SELECT * FROM order_events WHERE order_id = o.id"
	    "  ORDER BY id DESC LIMIT 30) ev), '[]'::json))"
	    " FROM orders o JOIN users bu ON bu.id = o.buyer_id JOIN users se ON se.id = o.seller_id"
	    " WHERE o.id = $1::bigint", 2, p);
}

int
finance_db_order_snapshot(db_t *db, long long id, json_t **out)
{
	return json_by_id(db, out, id,
	    "SELECT json_build_object('id', id, 'state', state, 'disputed', disputed)"
	    " FROM orders WHERE id = $1::bigint");
}
