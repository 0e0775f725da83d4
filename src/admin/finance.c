/*
 * finance.c - the FINANCE console under /admin/finance and the staff
 * order actions under /admin/orders (routes and policy: src/payouts/payouts.h).
 *
 * Like the rest of the console (src/admin/admin.c): every response is
 * no-store and noindex, staff without two-factor authentication are sent
 * to set it up before anything else, the role bits decide (roles are a
 * set, not a ladder), and every change commits in one transaction with
 * its audit_log entry.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin/admin.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/secretbox.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "ledger/ledger.h"
#include "orders/orders.h"
#include "payments/payments.h"
#include "payouts/payouts.h"
#include "twofa/twofa.h"
#include "web/app.h"

/* Who may use the finance pages, and who may act on orders. */
#define FINANCE_MASK (ROLE_BIT(ROLE_FINANCE) | ROLE_BIT(ROLE_SUPER_ADMIN))
#define ORDERS_MASK (ROLE_BIT(ROLE_SUPPORT) | ROLE_BIT(ROLE_FINANCE) | ROLE_BIT(ROLE_SUPER_ADMIN))

/* Largest bank file opened, bytes. */
#define BANK_FILE_MAX (4u << 20)

#define JS(o, k) json_string_value(json_object_get((o), (k)))
#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

static const char *const currencies[] = { "USD", "ZAR", "CNY", NULL };
static const char *const payout_states[] = { "requested", "approved", "held", "paid", "failed",
	"cancelled", NULL };

/*
 * What every handler does first: no caching, staff without 2FA to the
 * set-up page, then the role bits of @mask.  Returns 0 to go on, else the
 * status sent.
 */
static int
gate(http_req_t *req, unsigned mask)
{
	int rc;

	http_header(req, "Cache-Control", "no-store");
	if ((rc = twofa_staff_gate(req)) != 0)
		return rc;
	if ((req->roles & mask) == 0)
		return app_error(req, 403, mask == FINANCE_MASK ?
		    N_("The finance console takes the FINANCE or SUPER_ADMIN role.") :
		    N_("Acting on orders takes the SUPPORT, FINANCE or SUPER_ADMIN role."));
	return 0;
}

/* ctx.page and ctx.admin (admin_staff_page) with whether the caller may act on money. */
static void
staff_page(http_req_t *req, json_t *ctx, const char *section, const char *title,
    const char *canonical)
{
	json_t *admin = admin_staff_page(req, ctx, section, title, canonical);

	json_object_set_new(admin, "can_finance", json_boolean((req->roles & FINANCE_MASK) != 0));
}

static int
render(http_req_t *req, const char *name, json_t *ctx)
{
	app_render(req, name, ctx);
	json_decref(ctx);
	return req->status;
}

/* Previous/next links of a list: ctx.pager {page, page_count, prev_url, next_url}. */
static void
pager(http_req_t *req, json_t *ctx, const char *base, int page)
{
	long long total = json_integer_value(json_object_get(ctx, "total"));
	int pages = (int)((total + FINANCE_PER_PAGE - 1) / FINANCE_PER_PAGE);
	char sep = strchr(base, '?') != NULL ? '&' : '?';
	json_t *p;

	if (pages <= 1)
		return;
	p = json_pack("{s:i, s:i}", "page", page, "page_count", pages);
	if (page > 1)
		json_object_set_new(p, "prev_url", json_string(arena_printf(req->arena, "%s%cpage=%d",
		    base, sep, page - 1)));
	if (page < pages)
		json_object_set_new(p, "next_url", json_string(arena_printf(req->arena, "%s%cpage=%d",
		    base, sep, page + 1)));
	json_object_set_new(ctx, "pager", p);
}

/* Roll back, then the status of a failed query. */
static int
failed(http_req_t *req, int rc)
{
	(void)db_rollback(APP(req)->db);
	return app_db_status(req, rc);
}

/* ==== GET /admin/finance: revenue and ledger health ==== */

static int
finance_home(http_req_t *req)
{
	const char *from = admin_param(req, &req->query_params, "from");
	const char *to = admin_param(req, &req->query_params, "to");
	json_t *ctx = NULL, *health = NULL;
	int rc;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if ((from != NULL && !admin_date_ok(from)) || (to != NULL && !admin_date_ok(to)))
		return app_error(req, 400, N_("Dates are written YYYY-MM-DD, such as 2025-03-01."));
	if ((rc = finance_db_revenue(APP(req)->db, from, to, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = finance_db_health(APP(req)->db, &health)) != DB_OK) {
		json_decref(ctx);
		return app_db_status(req, rc);
	}
	json_object_set_new(ctx, "health", health);
	json_object_set_new(ctx, "has_days", json_boolean(json_array_size(json_object_get(ctx,
	    "days")) > 0));
	staff_page(req, ctx, "finance", i18n_str(app_lang(req), N_("Finance")), "/admin/finance");
	return render(req, "admin/finance", ctx);
}

/* ==== GET /admin/finance/payouts and the decisions ==== */

/* Outcomes shown after a decision (?done=). */
static const char *const done_values[] = { "approved", "held", "paid", "failed", NULL };

/*
 * The payout list with @status; @error: a problem with the decision just
 * sent on payout @id (ctx.error.<error>), @note: what was typed.
 */
static int
show_payouts(http_req_t *req, int status, const char *error, long long id, const char *note)
{
	struct finance_payout_filter f;
	const kvlist_t *qp = &req->query_params;
	const char *done;
	json_t *ctx;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((f.page = admin_page_param(req)) < 0)
		return app_error(req, 400, N_("The page number must be a whole number from 1 to 10000."));
	f.state = app_pick(payout_states, kv_get(qp, "state"));
	f.currency = app_pick(currencies, kv_get(qp, "currency"));
	f.seller = admin_param(req, qp, "seller");
	if (f.seller != NULL && f.seller[0] == '@')
		f.seller++;
	if (f.seller != NULL && strlen(f.seller) > 32)
		return app_error(req, 400, N_("A seller is named by a handle of at most 32 characters."));
	if ((rc = finance_db_payouts(APP(req)->db, &f, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);

	const char *keys[] = { "state", "currency", "seller" };
	const char *vals[] = { f.state, f.currency, f.seller };

	json_object_set_new(ctx, "filtered", json_boolean(admin_filter(ctx, keys, vals, 3, 3)));
	json_object_set_new(ctx, "has_payouts", json_boolean(json_array_size(json_object_get(ctx,
	    "payouts")) > 0));
	if (status == 200 && (done = app_pick(done_values, kv_get(qp, "done"))) != NULL)
		json_object_set_new(ctx, "done", json_pack("{s:b}", done, 1));
	if (error != NULL) {
		json_object_set_new(ctx, "error", json_pack("{s:b, s:I}", error, 1, "payout_id",
		    (json_int_t)id));
		json_object_set_new(ctx, "form", json_pack("{s:I, s:s}", "payout_id", (json_int_t)id,
		    "note", note ? note : ""));
	}
	json_object_set_new(ctx, "q", json_string(""));
	staff_page(req, ctx, "finance", i18n_str(app_lang(req), N_("Payouts")),
	    admin_list_url(req, "/admin/finance/payouts", keys, vals, 3, 0));
	pager(req, ctx, admin_list_url(req, "/admin/finance/payouts", keys, vals, 3, 0), f.page);
	req->status = status;
	return render(req, "admin/finance_payouts", ctx);
}

static int
finance_payouts(http_req_t *req)
{
	int rc;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	return show_payouts(req, 200, NULL, 0, NULL);
}

enum decision { APPROVE, HOLD, PAY, FAIL };

/*
 * A FINANCE decision on payout {id}: one transaction with the state
 * change, the ledger posting it implies and the audit entry.
 */
static int
decide(http_req_t *req, enum decision d)
{
	static const char *const action[] = { "payout.approve", "payout.hold", "payout.paid",
		"payout.fail" };
	static const char *const to[] = { "approved", "held", "paid", "failed" };
	static const char *const done[] = { "approved", "held", "paid", "failed" };
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0];
	const char *note = admin_param(req, &req->form, "note"), *state;
	json_t *before = NULL, *after = NULL;
	int rc, lr = LEDGER_OK, ok;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if ((d == HOLD || d == FAIL) && note == NULL)
		return show_payouts(req, 422, "note_missing", id, NULL);
	if (note != NULL && strlen(note) > FINANCE_NOTE_MAX)
		return show_payouts(req, 422, "note_long", id, note);

	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = payouts_db_lock(db, id, &before)) != DB_OK)
		return failed(req, rc);
	state = JS(before, "state");
	switch (d) {
	case APPROVE:
		ok = strcmp(state, "requested") == 0 || strcmp(state, "held") == 0;
		break;
	case HOLD:
		ok = (strcmp(state, "requested") == 0 || strcmp(state, "approved") == 0) &&
		    json_is_null(json_object_get(before, "batch_id"));
		break;
	case PAY:
		ok = strcmp(state, "approved") == 0;
		break;
	default:
		ok = strcmp(state, "requested") == 0 || strcmp(state, "approved") == 0 ||
		    strcmp(state, "held") == 0;
		break;
	}
	if (!ok) {
		json_decref(before);
		(void)db_rollback(db);
		return show_payouts(req, 409, "wrong_state", id, note);
	}
	if ((rc = payouts_db_decide(db, id, to[d], note, req->user_id, NULL, &after)) != DB_OK)
		goto fail;
	if (d == PAY)
		lr = ledger_payout_paid(db, id, JI(before, "seller_id"), JS(before, "currency"),
		    JI(before, "amount_minor"));
	else if (d == FAIL)
		lr = ledger_payout_returned(db, id, JI(before, "seller_id"), JS(before, "currency"),
		    JI(before, "amount_minor"));
	if (lr != LEDGER_OK && lr != LEDGER_DUPLICATE) {
		rc = lr < 0 && lr != LEDGER_ENOFUNDS ? lr : DB_ERROR;
		goto fail;
	}
	if ((rc = audit_write(req, req->user_id, action[d], "payout",
	    arena_printf(req->arena, "%lld", id), before, after)) != DB_OK)
		goto fail;
	json_decref(before);
	json_decref(after);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/finance/payouts?done=%s", done[d]));
	return req->status;
fail:
	json_decref(before);
	json_decref(after);
	return failed(req, rc);
}

static int finance_approve(http_req_t *req) { return decide(req, APPROVE); }
static int finance_hold(http_req_t *req) { return decide(req, HOLD); }
static int finance_paid(http_req_t *req) { return decide(req, PAY); }
static int finance_fail(http_req_t *req) { return decide(req, FAIL); }

/* ==== GET /admin/finance/transactions ==== */

static int
finance_transactions(http_req_t *req)
{
	const kvlist_t *qp = &req->query_params;
	const char *kind = admin_param(req, qp, "kind"), *order_s = admin_param(req, qp, "order");
	long long order_id = 0;
	json_t *ctx;
	int rc, page;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if ((page = admin_page_param(req)) < 0)
		return app_error(req, 400, N_("The page number must be a whole number from 1 to 10000."));
	if (kind != NULL && (strlen(kind) < 3 || strlen(kind) > 40 ||
	    strspn(kind, "abcdefghijklmnopqrstuvwxyz_") != strlen(kind)))
		return app_error(req, 400, N_("A transaction kind is made of lower-case letters and '_'."));
	if (order_s != NULL && http_parse_int64(order_s, 1, 999999999999999999LL, &order_id) != 0)
		return app_error(req, 400, N_("An order is named by its number."));
	if ((rc = finance_db_transactions(APP(req)->db, kind, order_id, page, app_lang(req),
	    &ctx)) != DB_OK)
		return app_db_status(req, rc);

	const char *keys[] = { "kind", "order" };
	const char *vals[] = { kind, order_s };

	admin_filter(ctx, keys, vals, 2, 0);
	json_object_set_new(ctx, "has_transactions", json_boolean(json_array_size(
	    json_object_get(ctx, "transactions")) > 0));
	staff_page(req, ctx, "finance", i18n_str(app_lang(req), N_("Ledger transactions")),
	    admin_list_url(req, "/admin/finance/transactions", keys, vals, 2, 0));
	pager(req, ctx, admin_list_url(req, "/admin/finance/transactions", keys, vals, 2, 0), page);
	return render(req, "admin/finance_transactions", ctx);
}

/* ==== GET /admin/finance/escrow ==== */

static int
finance_escrow(http_req_t *req)
{
	json_t *ctx;
	int rc;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if ((rc = finance_db_escrow(APP(req)->db, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	json_object_set_new(ctx, "has_holds", json_boolean(json_array_size(json_object_get(ctx,
	    "holds")) > 0));
	staff_page(req, ctx, "finance", i18n_str(app_lang(req), N_("Escrow holds")),
	    "/admin/finance/escrow");
	return render(req, "admin/finance_escrow", ctx);
}

/* ==== /admin/finance/refunds and settling stuck refunds by hand ==== */

/* Outcomes shown after a settling action (?done=). */
static const char *const refund_done_values[] = { "retried", "credited", "settled", NULL };
/* The list's state filter: a refund state or "stuck". */
static const char *const refund_filters[] = { "requested", "processing", "succeeded", "failed",
	"stuck", NULL };

/*
 * The refund list with @status; @error: a problem with the action just
 * sent on refund @id (ctx.error.<error>), @note: what was typed, kept in
 * that refund's note fields.
 */
static int
show_refunds(http_req_t *req, int status, const char *error, long long id, const char *note)
{
	const char *state = app_pick(refund_filters, kv_get(&req->query_params, "state")), *done;
	json_t *ctx, *r;
	size_t i;
	int rc, page;

	if ((page = admin_page_param(req)) < 0)
		return app_error(req, 400, N_("The page number must be a whole number from 1 to 10000."));
	if ((rc = finance_db_refunds(APP(req)->db, state, page, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);

	const char *keys[] = { "state" };
	const char *vals[] = { state };

	admin_filter(ctx, keys, vals, 1, 1);
	json_object_set_new(ctx, "has_refunds", json_boolean(json_array_size(json_object_get(ctx,
	    "refunds")) > 0));
	if (status == 200 && (done = app_pick(refund_done_values, kv_get(&req->query_params,
	    "done"))) != NULL)
		json_object_set_new(ctx, "done", json_pack("{s:b}", done, 1));
	if (error != NULL) {
		json_object_set_new(ctx, "error", json_pack("{s:b, s:I}", error, 1, "refund_id",
		    (json_int_t)id));
		json_object_set_new(ctx, "form", json_pack("{s:I, s:s}", "refund_id", (json_int_t)id,
		    "note", note ? note : ""));
		json_array_foreach(json_object_get(ctx, "refunds"), i, r)
			if (JI(r, "id") == id)
				json_object_set_new(r, "kept_note", json_string(note ? note : ""));
	}
	staff_page(req, ctx, "finance", i18n_str(app_lang(req), N_("Refunds")),
	    admin_list_url(req, "/admin/finance/refunds", keys, vals, 1, 0));
	pager(req, ctx, admin_list_url(req, "/admin/finance/refunds", keys, vals, 1, 0), page);
	req->status = status;
	return render(req, "admin/finance_refunds", ctx);
}

static int
finance_refunds(http_req_t *req)
{
	int rc;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	return show_refunds(req, 200, NULL, 0, NULL);
}

enum settle { RETRY, CREDIT, SETTLED };

/*
 * FINANCE settles refund {id} that is stuck: a gateway refund 'requested'
 * or 'processing' with no "refund" job queued or running (the job gave
 * up: a refusal after an earlier attempt, or no answer after its last
 * attempt).  Under the refund's row lock, in one transaction with the
 * audit entry:
 *   RETRY    the claim back to 'requested' and a fresh "refund" job (the
 *            gateway call reuses the refund's idempotency key);
 *   CREDIT   (note) 'failed', the money to buyer credit
 *            (ledger_refund_to_credit) and the order event
 *            "refund_credited";
 *   SETTLED  (note) refunded outside Souk: 'succeeded' and the payment's
 *            refunded_minor grows (payments_db_refund_succeeded); no
 *            posting, ledger_refund booked it when it was requested.
 * Unknown id 404, not stuck 409, note missing or too long 422.
 */
static int
settle(http_req_t *req, enum settle s)
{
	static const char *const action[] = { "refund.retry", "refund.credit", "refund.settled" };
	static const char *const done[] = { "retried", "credited", "settled" };
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0], job_id = 0;
	const char *note = admin_param(req, &req->form, "note"), *eid;
	json_t *before = NULL, *after = NULL, *payload;
	int rc, changed = 0;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if (s != RETRY && note == NULL)
		return show_refunds(req, 422, "note_missing", id, NULL);
	if (note != NULL && strlen(note) > FINANCE_NOTE_MAX)
		return show_refunds(req, 422, "note_long", id, note);

	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = finance_db_refund_lock(db, id, &before)) != DB_OK)
		return failed(req, rc);
	if (!json_is_true(json_object_get(before, "stuck"))) {
		json_decref(before);
		(void)db_rollback(db);
		return show_refunds(req, 409, "wrong_state", id, note);
	}
	eid = arena_printf(req->arena, "%lld", id);
	switch (s) {
	case RETRY:
		if ((rc = payments_db_refund_requeue(db, id, &changed)) != DB_OK)
			goto fail;
		payload = json_pack("{s:I}", "refund_id", (json_int_t)id);
		rc = payload != NULL ? jobs_enqueue(db, "refund", payload, 0, &job_id) : DB_ERROR;
		json_decref(payload);
		break;
	case CREDIT:
		/* the job's own outcome: the last gateway error stays on the refund */
		if ((rc = payments_db_refund_take(db, id, &changed)) != DB_OK || !changed ||
		    (rc = payments_db_refund_failed(db, id, JS(before, "error") != NULL ?
		    JS(before, "error") : "settled by FINANCE", &changed)) != DB_OK)
			break;
		rc = ledger_refund_to_credit(db, JI(before, "order_id"), id, JI(before, "buyer_id"),
		    JS(before, "currency"), JI(before, "amount_minor"));
		if (rc != LEDGER_OK && rc != LEDGER_DUPLICATE) {
			rc = rc < 0 && rc != LEDGER_ENOFUNDS ? rc : DB_ERROR;
			break;
		}
		rc = orders_event(db, JI(before, "order_id"), 0, "refund_credited",
		    "The refund to the original payment method could not be completed; the amount "
		    "is now Souk credit.", arena_printf(req->arena, "{\"refund_id\": %lld, "
		    "\"amount_minor\": %lld, \"method\": \"credit\"}", id, JI(before, "amount_minor")),
		    NULL);
		break;
	default:
		if ((rc = payments_db_refund_take(db, id, &changed)) != DB_OK || !changed)
			break;
		rc = payments_db_refund_succeeded(db, id, NULL, &changed);
		break;
	}
	if (rc != DB_OK)
		goto fail;
	if (!changed) {		/* cannot happen under the row lock; never half-write */
		rc = DB_ERROR;
		goto fail;
	}
	if ((rc = finance_db_refund_lock(db, id, &after)) != DB_OK)
		goto fail;
	if (note != NULL)
		json_object_set_new(after, "note", json_string(note));
	if (job_id > 0)
		json_object_set_new(after, "job_id", json_integer((json_int_t)job_id));
	if ((rc = audit_write(req, req->user_id, action[s], "refund", eid, before, after)) != DB_OK)
		goto fail;
	json_decref(before);
	json_decref(after);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);
	log_info("request_id=%s finance: refund %lld %s by user %lld", req->request_id, id, done[s],
	    req->user_id);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/finance/refunds?done=%s", done[s]));
	return req->status;
fail:
	json_decref(before);
	json_decref(after);
	return failed(req, rc < 0 && rc > -100 ? rc : DB_ERROR);
}

static int finance_refund_retry(http_req_t *req) { return settle(req, RETRY); }
static int finance_refund_credit(http_req_t *req) { return settle(req, CREDIT); }
static int finance_refund_settled(http_req_t *req) { return settle(req, SETTLED); }

/* ==== payout batches ==== */

static int
finance_batches(http_req_t *req)
{
	const char *done = kv_get(&req->query_params, "done");
	json_t *ctx;
	int rc;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if ((rc = finance_db_batches(APP(req)->db, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	json_object_set_new(ctx, "has_batches", json_boolean(json_array_size(json_object_get(ctx,
	    "batches")) > 0));
	if (done != NULL && strcmp(done, "paid") == 0)
		json_object_set_new(ctx, "done_paid", json_true());
	staff_page(req, ctx, "finance", i18n_str(app_lang(req), N_("Payout batches")),
	    "/admin/finance/batches");
	return render(req, "admin/finance_batches", ctx);
}

/* GET /admin/finance/batches/{file}: "<id>.csv", the batch's bank-transfer file. */
static int
finance_batch_csv(http_req_t *req)
{
	const char *file = route_param(&req->match, "file"), *sealed = NULL;
	db_t *db = APP(req)->db;
	unsigned char key[32], *plain;
	size_t n, len = 0;
	long long id;
	char digits[24];
	int rc;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	n = file != NULL ? strlen(file) : 0;
	if (n < 5 || n - 4 >= sizeof(digits) || strcmp(file + n - 4, ".csv") != 0)
		return app_error(req, 404, NULL);
	memcpy(digits, file, n - 4);
	digits[n - 4] = '\0';
	if (http_parse_int64(digits, 1, 999999999999999999LL, &id) != 0)
		return app_error(req, 404, NULL);
	if ((rc = finance_db_batch_file(db, req->arena, id, &sealed)) != DB_OK)
		return app_db_status(req, rc);
	if (sealed == NULL)
		return app_error(req, 404, N_("This batch has no bank-transfer file: every payout in it "
		    "went through a gateway, or the file is not written yet."));
	if (payouts_server_key(&APP(req)->cfg, key) != 0)
		return app_error(req, 500, NULL);
	plain = arena_alloc(req->arena, BANK_FILE_MAX);
	rc = secretbox_open(key, sealed, plain, BANK_FILE_MAX, &len);
	sodium_memzero(key, sizeof(key));
	if (rc != 0) {
		log_error("request_id=%s finance: the bank file of batch %lld cannot be opened "
		    "(another server key?)", req->request_id, id);
		return app_error(req, 500, NULL);
	}
	/* who downloaded the account numbers, and when */
	if ((rc = audit_write(req, req->user_id, "payout_batch.download", "payout_batch",
	    arena_printf(req->arena, "%lld", id), NULL, NULL)) != DB_OK) {
		sodium_memzero(plain, len);
		return app_db_status(req, rc);
	}
	http_no_store(req);
	req->content_type_out = "text/csv; charset=utf-8";
	http_header(req, "Content-Disposition", arena_printf(req->arena,
	    "attachment; filename=\"souk-payout-batch-%lld.csv\"", id));
	buf_append(&req->body, plain, len);
	sodium_memzero(plain, len);
	req->status = 200;
	return 200;
}

/* POST /admin/finance/batches/{id}/paid: FINANCE executed the bank file. */
static int
finance_batch_paid(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0];
	json_t *batch = NULL, *list = NULL, *p, *after;
	int rc, lr;
	size_t i;

	if ((rc = gate(req, FINANCE_MASK)) != 0)
		return rc;
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = finance_db_batch_lock(db, id, &batch)) != DB_OK)
		return failed(req, rc);
	if (!json_is_true(json_object_get(batch, "has_file")) ||
	    (strcmp(JS(batch, "state"), "sent") != 0 && strcmp(JS(batch, "state"), "open") != 0)) {
		json_decref(batch);
		(void)db_rollback(db);
		return app_error(req, 409, N_("Only a batch whose bank-transfer file is out and not "
		    "marked paid yet can be marked paid."));
	}
	if ((rc = finance_db_batch_bank_payouts(db, id, &list)) != DB_OK)
		goto fail;
	json_array_foreach(json_object_get(list, "payouts"), i, p) {
		long long pid = JI(p, "id");

		if ((rc = payouts_db_decide(db, pid, "paid", NULL, req->user_id, NULL, NULL)) != DB_OK)
			goto fail;
		lr = ledger_payout_paid(db, pid, JI(p, "seller_id"), JS(p, "currency"),
		    JI(p, "amount_minor"));
		if (lr != LEDGER_OK && lr != LEDGER_DUPLICATE) {
			rc = lr < 0 && lr != LEDGER_ENOFUNDS ? lr : DB_ERROR;
			goto fail;
		}
	}
	if (json_array_size(json_object_get(list, "payouts")) == 0) {
		json_decref(batch);
		json_decref(list);
		(void)db_rollback(db);
		return app_error(req, 409, N_("Every bank transfer of this batch is marked paid already."));
	}
	/* a batch still retrying gateway payouts is closed by the sweep later */
	if (strcmp(JS(batch, "state"), "sent") == 0 &&
	    (rc = finance_db_batch_state(db, id, "done")) != DB_OK)
		goto fail;
	after = json_pack("{s:I, s:s, s:O}", "id", (json_int_t)id, "state", "done", "paid",
	    json_object_get(list, "payouts"));
	rc = audit_write(req, req->user_id, "payout_batch.paid", "payout_batch",
	    arena_printf(req->arena, "%lld", id), batch, after);
	json_decref(after);
	if (rc != DB_OK)
		goto fail;
	json_decref(batch);
	json_decref(list);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);
	http_redirect(req, 303, "/admin/finance/batches?done=paid");
	return req->status;
fail:
	json_decref(batch);
	json_decref(list);
	return failed(req, rc);
}

/* ==== /admin/orders/{id} ==== */

static int
show_order(http_req_t *req, long long id, int status, const char *error, const char *reason)
{
	json_t *ctx;
	const char *done = kv_get(&req->query_params, "done");
	int rc;

	if ((rc = finance_db_order(APP(req)->db, id, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	if (error != NULL)
		json_object_set_new(ctx, "error", json_pack("{s:b}", error, 1));
	json_object_set_new(ctx, "form", json_pack("{s:s}", "reason", reason ? reason : ""));
	if (status == 200 && done != NULL && (strcmp(done, "cancelled") == 0 ||
	    strcmp(done, "disputed") == 0 || strcmp(done, "undisputed") == 0))
		json_object_set_new(ctx, "done", json_pack("{s:b}", done, 1));
	json_object_set_new(ctx, "has_events", json_boolean(json_array_size(json_object_get(ctx,
	    "events")) > 0));
	staff_page(req, ctx, "orders", arena_printf(req->arena, "%s %lld", i18n_str(app_lang(req),
	    N_("Order")), id), arena_printf(req->arena, "/admin/orders/%lld", id));
	req->status = status;
	return render(req, "admin/finance_order", ctx);
}

static int
admin_order(http_req_t *req)
{
	int rc;

	if ((rc = gate(req, ORDERS_MASK)) != 0)
		return rc;
	return show_order(req, req->match.ints[0], 200, NULL, NULL);
}

/* POST /admin/orders/{id}/cancel: reason; refunds what escrow holds (orders_cancel). */
static int
admin_order_cancel(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0];
	const char *reason = admin_param(req, &req->form, "reason");
	json_t *before = NULL, *after = NULL;
	int rc;

	if ((rc = gate(req, ORDERS_MASK)) != 0)
		return rc;
	if (reason == NULL)
		return show_order(req, id, 422, "reason_missing", NULL);
	if (strlen(reason) > FINANCE_NOTE_MAX)
		return show_order(req, id, 422, "reason_long", reason);
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = finance_db_order_snapshot(db, id, &before)) != DB_OK)
		return failed(req, rc);
	rc = orders_cancel(db, &APP(req)->cfg, id, req->user_id, reason);
	if (rc == ORDERS_ECONFLICT || rc == ORDERS_ENOTFOUND) {
		json_decref(before);
		(void)db_rollback(db);
		if (rc == ORDERS_ENOTFOUND)
			return app_error(req, 404, NULL);
		return show_order(req, id, 409, "not_cancellable", reason);
	}
	if (rc != ORDERS_OK)
		goto fail;
	if ((rc = finance_db_order_snapshot(db, id, &after)) != DB_OK)
		goto fail;
	json_object_set_new(after, "reason", json_string(reason));
	if ((rc = audit_write(req, req->user_id, "order.cancel", "order",
	    arena_printf(req->arena, "%lld", id), before, after)) != DB_OK)
		goto fail;
	json_decref(before);
	json_decref(after);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/orders/%lld?done=cancelled", id));
	return req->status;
fail:
	json_decref(before);
	json_decref(after);
	return failed(req, rc < 0 && rc > -100 ? rc : DB_ERROR);
}

/* POST /admin/orders/{id}/dispute: disputed=1 freezes release and auto-completion; 0 lifts it. */
static int
admin_order_dispute(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0];
	const char *v = http_form(req, "disputed");
	json_t *before = NULL, *after = NULL;
	int rc, on;

	if ((rc = gate(req, ORDERS_MASK)) != 0)
		return rc;
	if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)
		return show_order(req, id, 422, "disputed_invalid", NULL);
	on = v[0] == '1';
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = finance_db_order_snapshot(db, id, &before)) != DB_OK)
		return failed(req, rc);
	rc = orders_set_disputed(db, id, on, req->user_id);
	if (rc == ORDERS_ENOTFOUND) {
		json_decref(before);
		(void)db_rollback(db);
		return app_error(req, 404, NULL);
	}
	if (rc != ORDERS_OK)
		goto fail;
	if ((rc = finance_db_order_snapshot(db, id, &after)) != DB_OK ||
	    (rc = audit_write(req, req->user_id, on ? "order.dispute" : "order.undispute", "order",
	    arena_printf(req->arena, "%lld", id), before, after)) != DB_OK)
		goto fail;
	json_decref(before);
	json_decref(after);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/orders/%lld?done=%s", id,
	    on ? "disputed" : "undisputed"));
	return req->status;
fail:
	json_decref(before);
	json_decref(after);
	return failed(req, rc < 0 && rc > -100 ? rc : DB_ERROR);
}

/* ==== routes ==== */

/* min_role SUPPORT is the outer gate (any staff role); gate() checks the role bits. */
const route_t finance_routes[] = {
	{ "GET", "/admin/finance", finance_home, ROLE_SUPPORT, "finance.home" },
	{ "GET", "/admin/finance/payouts", finance_payouts, ROLE_SUPPORT, "finance.payouts" },
	{ "POST", "/admin/finance/payouts/{id:int}/approve", finance_approve, ROLE_SUPPORT,
	    "finance.approve" },
	{ "POST", "/admin/finance/payouts/{id:int}/hold", finance_hold, ROLE_SUPPORT,
	    "finance.hold" },
	{ "POST", "/admin/finance/payouts/{id:int}/paid", finance_paid, ROLE_SUPPORT,
	    "finance.paid" },
	{ "POST", "/admin/finance/payouts/{id:int}/fail", finance_fail, ROLE_SUPPORT,
	    "finance.fail" },
	{ "GET", "/admin/finance/transactions", finance_transactions, ROLE_SUPPORT,
	    "finance.transactions" },
	{ "GET", "/admin/finance/escrow", finance_escrow, ROLE_SUPPORT, "finance.escrow" },
	{ "GET", "/admin/finance/refunds", finance_refunds, ROLE_SUPPORT, "finance.refunds" },
	{ "POST", "/admin/finance/refunds/{id:int}/retry", finance_refund_retry, ROLE_SUPPORT,
	    "finance.refund_retry" },
	{ "POST", "/admin/finance/refunds/{id:int}/credit", finance_refund_credit, ROLE_SUPPORT,
	    "finance.refund_credit" },
	{ "POST", "/admin/finance/refunds/{id:int}/settled", finance_refund_settled, ROLE_SUPPORT,
	    "finance.refund_settled" },
	{ "GET", "/admin/finance/batches", finance_batches, ROLE_SUPPORT, "finance.batches" },
	{ "GET", "/admin/finance/batches/{file:str}", finance_batch_csv, ROLE_SUPPORT,
	    "finance.batch_csv" },
	{ "POST", "/admin/finance/batches/{id:int}/paid", finance_batch_paid, ROLE_SUPPORT,
	    "finance.batch_paid" },
	{ "GET", "/admin/orders/{id:int}", admin_order, ROLE_SUPPORT, "admin.order" },
	{ "POST", "/admin/orders/{id:int}/cancel", admin_order_cancel, ROLE_SUPPORT,
	    "admin.order_cancel" },
	{ "POST", "/admin/orders/{id:int}/dispute", admin_order_dispute, ROLE_SUPPORT,
	    "admin.order_dispute" },
};
const size_t finance_nroutes = sizeof(finance_routes) / sizeof(finance_routes[0]);
