/*
 * ledger.c - postings through the SQL function ledger_post
 * (sql/0014_ledger.sql): one round trip per transaction, the legs passed
 * as parallel array parameters.
 */
#include "ledger/ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

/* Append one array element; @s NULL = SQL NULL.  Elements are our own
 * identifiers ([a-z_]) and numbers, so quoting only guards the form. */
static void
elem(buf_t *b, int first, const char *s)
{
	if (!first)
		buf_putc(b, ',');
	if (s == NULL)
		buf_puts(b, "NULL");
	else {
		buf_putc(b, '"');
		buf_puts(b, s);
		buf_putc(b, '"');
	}
}

int
ledger_post(db_t *db, const char *kind, long long order_id, long long payment_id,
    long long payout_id, const char *memo, const char *event_key, const char *currency,
    const struct ledger_leg *legs, int n, long long *txn_id)
{
	buf_t kinds, users, orders, gws, amounts;
	char num[3][24], tmp[32];
	PGresult *res = NULL;
	int rc;

	if (txn_id != NULL)
		*txn_id = 0;
	buf_init(&kinds, NULL);
	buf_init(&users, NULL);
	buf_init(&orders, NULL);
	buf_init(&gws, NULL);
	buf_init(&amounts, NULL);
	buf_putc(&kinds, '{');
	buf_putc(&users, '{');
	buf_putc(&orders, '{');
	buf_putc(&gws, '{');
	buf_putc(&amounts, '{');
	for (int i = 0; i < n; i++) {
		elem(&kinds, i == 0, legs[i].kind);
		snprintf(tmp, sizeof(tmp), "%lld", legs[i].user_id);
		elem(&users, i == 0, legs[i].user_id > 0 ? tmp : NULL);
		snprintf(tmp, sizeof(tmp), "%lld", legs[i].order_id);
		elem(&orders, i == 0, legs[i].order_id > 0 ? tmp : NULL);
		elem(&gws, i == 0, legs[i].gateway);
		snprintf(tmp, sizeof(tmp), "%" PRId64, legs[i].amount_minor);
		elem(&amounts, i == 0, tmp);
	}
	buf_putc(&kinds, '}');
	buf_putc(&users, '}');
	buf_putc(&orders, '}');
	buf_putc(&gws, '}');
	buf_putc(&amounts, '}');
	snprintf(num[0], sizeof(num[0]), "%lld", order_id);
	snprintf(num[1], sizeof(num[1]), "%lld", payment_id);
	snprintf(num[2], sizeof(num[2]), "%lld", payout_id);
	const char *p[12] = {
		kind, order_id > 0 ? num[0] : NULL, payment_id > 0 ? num[1] : NULL,
		payout_id > 0 ? num[2] : NULL, memo != NULL ? memo : "", event_key, currency,
		buf_cstr(&kinds), buf_cstr(&users), buf_cstr(&orders), buf_cstr(&gws),
		buf_cstr(&amounts),
	};
	rc = db_exec(db, &res,
	    "SELECT ledger_post($1, $2::bigint, $3::bigint, $4::bigint, $5, $6, $7,"
	    " $8::text[], $9::bigint[], $10::bigint[], $11::text[], $12::bigint[])",
	    12, p);
	buf_free(&kinds);
	buf_free(&users);
	buf_free(&orders);
	buf_free(&gws);
	buf_free(&amounts);
	if (rc != DB_OK) {
		const char *st = db_sqlstate(db);
		if (st != NULL && strcmp(st, "SK402") == 0)
			return LEDGER_ENOFUNDS;
		return rc;
	}
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		log_info("ledger: event %s already posted", event_key);
		return LEDGER_DUPLICATE;
	}
	if (txn_id != NULL)
		*txn_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return LEDGER_OK;
}

#define KEY(buf, fmt, id) (snprintf((buf), sizeof(buf), fmt, (id)), (buf))

int
ledger_payment(db_t *db, long long order_id, long long payment_id, long long buyer_id,
    const char *gateway, const char *currency, int64_t gateway_minor, int64_t credit_minor)
{
	char key[64];
	const struct ledger_leg legs[] = {
		{ "gateway_clearing", 0, 0, gateway, -gateway_minor },
		{ "buyer_credit", buyer_id, 0, NULL, -credit_minor },
		{ "escrow", 0, order_id, NULL, gateway_minor + credit_minor },
	};
	return ledger_post(db, "payment", order_id, payment_id, 0, gateway,
	    KEY(key, "payment:%lld", payment_id), currency, legs, 3, NULL);
}

int
ledger_release(db_t *db, long long order_id, long long seller_id, const char *currency,
    int64_t held_minor, int64_t seller_net_minor)
{
	char key[64];
	const struct ledger_leg legs[] = {
		{ "escrow", 0, order_id, NULL, -held_minor },
		{ "seller_pending", seller_id, 0, NULL, seller_net_minor },
		{ "platform_revenue", 0, 0, NULL, held_minor - seller_net_minor },
	};
	return ledger_post(db, "escrow_release", order_id, 0, 0, "",
	    KEY(key, "release:order:%lld", order_id), currency, legs, 3, NULL);
}

int
ledger_clear(db_t *db, long long order_id, long long seller_id, const char *currency,
    int64_t amount_minor)
{
	char key[64];
	const struct ledger_leg legs[] = {
		{ "seller_pending", seller_id, 0, NULL, -amount_minor },
		{ "seller_available", seller_id, 0, NULL, amount_minor },
	};
	return ledger_post(db, "clearance", order_id, 0, 0, "",
	    KEY(key, "clear:order:%lld", order_id), currency, legs, 2, NULL);
}

int
ledger_refund(db_t *db, long long order_id, long long refund_id, long long buyer_id,
    const char *currency, int64_t amount_minor, int to_credit)
{
	char key[64];
	const struct ledger_leg legs[] = {
		{ "escrow", 0, order_id, NULL, -amount_minor },
		to_credit ? (struct ledger_leg){ "buyer_credit", buyer_id, 0, NULL, amount_minor }
			  : (struct ledger_leg){ "refunds", 0, 0, NULL, amount_minor },
	};
	return ledger_post(db, to_credit ? "credit_refund" : "refund", order_id, 0, 0, "",
	    KEY(key, "refund:%lld", refund_id), currency, legs, 2, NULL);
}

int
ledger_refund_to_credit(db_t *db, long long order_id, long long refund_id,
    long long buyer_id, const char *currency, int64_t amount_minor)
{
	char key[64];
	const struct ledger_leg legs[] = {
		{ "refunds", 0, 0, NULL, -amount_minor },
		{ "buyer_credit", buyer_id, 0, NULL, amount_minor },
	};
	return ledger_post(db, "refund_fallback", order_id, 0, 0, "",
	    KEY(key, "refund_fallback:%lld", refund_id), currency, legs, 2, NULL);
}

static int
payout_move(db_t *db, const char *kind, const char *prefix, long long payout_id,
    const char *from, const char *to, long long seller_id, const char *currency,
    int64_t amount_minor)
{
	char key[64];
	const struct ledger_leg legs[] = {
		{ from, seller_id, 0, NULL, -amount_minor },
		{ to, seller_id, 0, NULL, amount_minor },
	};
	snprintf(key, sizeof(key), "%s:%lld", prefix, payout_id);
	return ledger_post(db, kind, 0, 0, payout_id, "", key, currency, legs, 2, NULL);
}

int
ledger_payout_request(db_t *db, long long payout_id, long long seller_id,
    const char *currency, int64_t amount_minor)
{
	return payout_move(db, "payout_request", "payout_request", payout_id,
	    "seller_available", "seller_payout", seller_id, currency, amount_minor);
}

int
ledger_payout_paid(db_t *db, long long payout_id, long long seller_id,
    const char *currency, int64_t amount_minor)
{
	return payout_move(db, "payout_paid", "payout_paid", payout_id,
	    "seller_payout", "seller_paid_out", seller_id, currency, amount_minor);
}

int
ledger_payout_returned(db_t *db, long long payout_id, long long seller_id,
    const char *currency, int64_t amount_minor)
{
	return payout_move(db, "payout_returned", "payout_returned", payout_id,
	    "seller_payout", "seller_available", seller_id, currency, amount_minor);
}

int
ledger_balance(db_t *db, const char *kind, const char *currency, long long user_id,
    long long order_id, const char *gateway, int64_t *out)
{
	char u[24], o[24];
	PGresult *res = NULL;
	int rc;

	snprintf(u, sizeof(u), "%lld", user_id);
	snprintf(o, sizeof(o), "%lld", order_id);
	const char *p[5] = { kind, currency, u, o, gateway != NULL ? gateway : "" };
	rc = db_exec(db, &res,
	    "SELECT coalesce(sum(e.amount_minor), 0) FROM ledger_accounts a"
	    " JOIN ledger_entries e ON e.account_id = a.id"
	    " WHERE a.kind = $1 AND a.currency = $2"
	    " AND coalesce(a.user_id, 0) = $3::bigint AND coalesce(a.order_id, 0) = $4::bigint"
	    " AND coalesce(a.gateway, '') = $5", 5, p);
	if (rc != DB_OK)
		return rc;
	*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return DB_OK;
}
