/*
 * payouts.c - the seller's earnings page, its CSV export, withdrawal
 * requests, clearance and the weekly payout batch (see payouts.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "core/secretbox.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "ledger/ledger.h"
#include "orders/orders.h"
#include "payments/gateway.h"
#include "payments/payments.h"
#include "payouts/payouts.h"
#include "sellers/sellers.h"
#include "web/app.h"

/* The largest sealed payout-details plaintext we open (as src/sellers). */
#define DETAILS_MAX 2048
/* Clearances handled in one pass at most (the next sweep takes the rest). */
#define CLEAR_MAX 1000
/* Largest withdrawal accepted, minor units (a sanity bound, not a limit of funds). */
#define AMOUNT_MAX 1000000000000LL

static const char *const currencies[] = { "USD", "ZAR", "CNY", NULL };

/* The four figures: ledger account kind, key in the page, label. */
static const struct figure {
	const char *kind;
	const char *key;
	const char *label;
	const char *help;
} figures[] = {
	{ "seller_pending", "pending", N_("Pending clearance"),
	    N_("Released to you by completed orders, available after the clearance hold.") },
	{ "seller_available", "available", N_("Available"),
	    N_("Cleared: you can withdraw it.") },
	{ "seller_payout", "in_payout", N_("In payout"),
	    N_("Withdrawals requested and not paid out yet.") },
	{ "seller_paid_out", "withdrawn", N_("Withdrawn"),
	    N_("Paid out to you, ever.") },
};
#define NFIGURES (sizeof(figures) / sizeof(figures[0]))

/* ==== pure helpers ==== */

int
payouts_server_key(const struct souk_config *cfg, unsigned char key[32])
{
	size_t n = 0;

	if (cfg->secret_key == NULL || cfg->secret_key[0] == '\0') {
		crypto_generichash(key, 32, (const unsigned char *)"souk development key", 20, NULL, 0);
		return 0;
	}
	if (sodium_hex2bin(key, 32, cfg->secret_key, strlen(cfg->secret_key), NULL, &n, NULL) != 0 ||
	    n != 32)
		return -1;
	return 0;
}

int
payouts_parse_amount(const char *s, int64_t *out)
{
	char tmp[32];
	size_t n;
	int64_t v;

	if (s == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (gateway_decimal_to_minor(tmp, &v) != 0 || v <= 0 || v > AMOUNT_MAX)
		return -1;
	*out = v;
	return 0;
}

void
payouts_csv_field(buf_t *b, const char *s, int text)
{
	int quote;

	if (s == NULL)
		s = "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_putc(b, '"');
	if (text && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	    s[0] == '\r'))
		buf_putc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	if (quote)
		buf_putc(b, '"');
}

/* "12345" minor -> "123.45" into @tmp (sign kept). */
static const char *
major(char *tmp, size_t n, int64_t minor)
{
	uint64_t m = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	snprintf(tmp, n, "%s%" PRIu64 ".%02u", minor < 0 ? "-" : "", m / 100, (unsigned)(m % 100));
	return tmp;
}

#define JS(o, k) json_string_value(json_object_get((o), (k)))
#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

void
payouts_bank_csv(buf_t *b, json_t *rows)
{
	json_t *r;
	size_t i;
	char ref[40], amt[32];

	buf_puts(b, "reference,beneficiary,account,branch_code,bank,amount,currency\r\n");
	json_array_foreach(rows, i, r) {
		snprintf(ref, sizeof(ref), "SOUK-PAYOUT-%lld", JI(r, "payout_id"));
		payouts_csv_field(b, ref, 0);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(r, "holder"), 1);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(r, "account"), 1);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(r, "branch"), 1);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(r, "bank"), 1);
		buf_putc(b, ',');
		payouts_csv_field(b, major(amt, sizeof(amt), JI(r, "amount_minor")), 0);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(r, "currency"), 0);
		buf_puts(b, "\r\n");
	}
}

/* ==== clearance ==== */

int
payouts_clear_due(db_t *db, int *done)
{
	long long after = 0, order_id, seller_id;
	char currency[4];
	int64_t amount;
	int rc, lr;

	*done = 0;
	for (int n = 0; n < CLEAR_MAX; n++) {
		if ((rc = db_begin(db)) != DB_OK)
			return rc;
		rc = payouts_db_clear_claim(db, after, &order_id, &seller_id, currency, &amount);
		if (rc != DB_OK) {
			(void)db_rollback(db);
			return rc == DB_ENOROW ? DB_OK : rc;
		}
		after = order_id;
		lr = amount > 0 ? ledger_clear(db, order_id, seller_id, currency, amount) : LEDGER_OK;
		if (lr != LEDGER_OK && lr != LEDGER_DUPLICATE) {
			(void)db_rollback(db);
			log_warn("clearance of order %lld (%" PRId64 " %s) failed: %s; left for a later "
			    "sweep", order_id, amount, currency, lr == LEDGER_ENOFUNDS ?
			    "seller pending holds less" : db_errmsg(db));
			if (lr == DB_EDOWN)
				return lr;
			continue;
		}
		if ((rc = payouts_db_clear_done(db, order_id, amount, currency)) != DB_OK ||
		    (rc = db_commit(db)) != DB_OK) {
			(void)db_rollback(db);
			return rc;
		}
		log_info("cleared order %lld: %" PRId64 " %s to seller %lld available", order_id,
		    amount, currency, seller_id);
		(*done)++;
	}
	return DB_OK;
}

/*
 * Whether payout @method can pay @currency.  A method whose gateway pays
 * out by API (today only 'stripe': POST /v1/transfers to the seller's
 * connected account, docs/payment-gateways.md §3.4) pays only the
 * currencies the gateway takes (Stripe: "USD").  Every other method goes
 * to the bank-transfer file, which takes any currency.
 */
static int
method_pays(const char *method, const char *currency)
{
	const gateway_t *gw = gateway_find(method);

	if (gw == NULL || gw->payout == NULL)
		return 1;
	return currency != NULL && strlen(currency) == 3 && strstr(gw->currencies, currency) != NULL;
}

/* ==== the weekly batch ==== */

/* The opened payout details of a batch row ({..., sealed}), or NULL. */
static json_t *
open_details(const unsigned char key[32], json_t *row)
{
	unsigned char plain[DETAILS_MAX];
	const char *sealed = JS(row, "sealed");
	size_t len = 0;
	json_t *d;

	if (sealed == NULL || secretbox_open(key, sealed, plain, sizeof(plain), &len) != 0)
		return NULL;
	d = json_loadb((const char *)plain, len, 0, NULL);
	sodium_memzero(plain, sizeof(plain));
	return d;
}

/* Mark payout @id paid (@ref: the gateway's id) or failed (@why), with its posting. */
static int
settle(db_t *db, long long id, int paid, const char *ref, const char *why)
{
	json_t *p = NULL;
	int rc, lr;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = payouts_db_lock(db, id, &p)) != DB_OK)
		goto fail;
	if (strcmp(JS(p, "state"), "approved") != 0) {	/* decided meanwhile */
		json_decref(p);
		(void)db_rollback(db);
		return DB_OK;
	}
	if ((rc = payouts_db_decide(db, id, paid ? "paid" : "failed", paid ? NULL : why, 0, ref,
	    NULL)) != DB_OK)
		goto fail;
	lr = paid ? ledger_payout_paid(db, id, JI(p, "seller_id"), JS(p, "currency"),
	    JI(p, "amount_minor")) : ledger_payout_returned(db, id, JI(p, "seller_id"),
	    JS(p, "currency"), JI(p, "amount_minor"));
	if (lr != LEDGER_OK && lr != LEDGER_DUPLICATE) {
		rc = lr < 0 && lr != LEDGER_ENOFUNDS ? lr : DB_ERROR;
		goto fail;
	}
	/* the system's decision, audited like FINANCE's (no actor) */
	if ((rc = payouts_db_audit_sweep(db, id, paid ? "payout.gateway_paid" :
	    "payout.gateway_failed", p)) != DB_OK)
		goto fail;
	json_decref(p);
	if ((rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		return rc;
	}
	return DB_OK;
fail:
	json_decref(p);
	(void)db_rollback(db);
	return rc;
}

/*
 * One open batch: gateway payouts first, then the bank file.  Returns
 * DB_OK or a DB_* error.
 */
static int
run_batch(db_t *db, const struct souk_config *cfg, arena_t *a, const unsigned char key[32],
    json_t *batch, struct payouts_sweep *out)
{
	long long bid = JI(batch, "id");
	json_t *list = NULL, *row, *bank = json_array();
	int has_file = json_is_true(json_object_get(batch, "has_file"));
	buf_t ids;
	size_t i;
	int rc, waiting = 0, nbank = 0;

	buf_init(&ids, a);
	buf_putc(&ids, '{');

	if ((rc = payouts_db_batch_payouts(db, bid, &list)) != DB_OK) {
		json_decref(bank);
		return rc;
	}
	json_array_foreach(json_object_get(list, "payouts"), i, row) {
		long long id = JI(row, "id");
		const char *method = JS(row, "method");
		const gateway_t *gw = gateway_find(method);
		json_t *d;

		if (json_is_true(json_object_get(row, "in_bank_file"))) {
			nbank++;	/* in the file already, waiting for FINANCE */
			continue;
		}
		if ((d = open_details(key, row)) == NULL || JS(d, "method") == NULL || strcmp(JS(d, "method"), method) != 0) {
			/* details changed method since the request, or cannot be opened */
			log_warn("payout %lld: the seller's %s payout details cannot be used; "
			    "left approved for FINANCE", id, method);
			json_decref(d);
			waiting++;
			continue;
		}
		if (gw != NULL && gw->payout != NULL) {
			struct gw_ctx ctx = { cfg, a, NULL, "money-sweep" };
			struct gw_payout po;
			const char *ref = NULL;
			char err[256] = "";
			int g;

			memset(&po, 0, sizeof(po));
			/* Stripe: the connected account acct_... (separate charges and
			 * transfers, §3.4); no source_transaction: the payout draws on
			 * the platform balance, not on one charge */
			po.destination = arena_strdup(a, JS(d, strcmp(method, "paypal") == 0 ?
			    "email" : "account"));
			po.amount_minor = JI(row, "amount_minor");
			po.currency = JS(row, "currency");
			po.source_txn_id = NULL;
			po.idempotency_key = arena_printf(a, "payout:%lld", id);
			json_decref(d);
			if (!method_pays(method, po.currency)) {
				/* refused at request time; only an older row gets here */
				g = GW_EUNSUPPORTED;
				snprintf(err, sizeof(err), "%s pays out %s only, not %s", method,
				    gw->currencies, po.currency);
			} else {
				/* outside any transaction: a slow gateway holds no lock */
				g = gw->payout(&ctx, &po, &ref, err, sizeof(err));
			}
			if (g == GW_OK) {
				if ((rc = settle(db, id, 1, ref, NULL)) != DB_OK)
					goto out;
				out->paid++;
				log_info("payout %lld paid through %s (%s)", id, method, ref ? ref : "-");
			} else if (g == GW_EREJECT || g == GW_EUNSUPPORTED) {
				if ((rc = settle(db, id, 0, NULL, arena_printf(a, "%s refused the payout: %s",
				    method, err))) != DB_OK)
					goto out;
				out->failed++;
				log_warn("payout %lld refused by %s: %s; money returned to available", id,
				    method, err);
			} else {
				waiting++;
				log_warn("payout %lld through %s: %s; retried at the next sweep", id,
				    method, err);
			}
			continue;
		}
		/* A transfer FINANCE executes: the bank file (written once per batch). */
		nbank++;
		if (has_file) {		/* attached after the file was written: cannot happen */
			json_decref(d);
			continue;
		}
		if (strcmp(method, "bank") == 0) {
			const char *label = seller_bank_label(JS(d, "bank"));

			json_array_append_new(bank, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s}",
			    "payout_id", (json_int_t)id, "holder", JS(d, "holder") ? JS(d, "holder") : "",
			    "account", JS(d, "account") ? JS(d, "account") : "",
			    "branch", JS(d, "branch") ? JS(d, "branch") : "",
			    "bank", label ? label : "", "amount_minor",
			    (json_int_t)JI(row, "amount_minor"), "currency", JS(row, "currency")));
		} else {
			/* a wallet whose gateway cannot pay out: listed for a manual transfer */
			const char *acct = JS(d, strcmp(method, "paypal") == 0 ? "email" : "account");

			json_array_append_new(bank, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s}",
			    "payout_id", (json_int_t)id, "holder", JS(row, "holder_name"),
			    "account", acct ? acct : "", "branch", "", "bank", method,
			    "amount_minor", (json_int_t)JI(row, "amount_minor"),
			    "currency", JS(row, "currency")));
		}
		buf_printf(&ids, "%s%lld", ids.len > 1 ? "," : "", id);
		json_decref(d);
	}
	buf_putc(&ids, '}');
	if (json_array_size(bank) > 0) {
		buf_t csv, sealed;

		buf_init(&csv, NULL);
		buf_init(&sealed, a);
		payouts_bank_csv(&csv, bank);
		if (secretbox_seal(key, (const unsigned char *)csv.data, csv.len, &sealed) != 0) {
			sodium_memzero(csv.data, csv.len);
			buf_free(&csv);
			rc = DB_ERROR;
			goto out;
		}
		sodium_memzero(csv.data, csv.len);
		buf_free(&csv);
		if ((rc = payouts_db_batch_file(db, bid, buf_cstr(&sealed), buf_cstr(&ids))) != DB_OK)
			goto out;
		out->bank_files++;
		log_info("payout batch %lld (%s, week of %s): bank-transfer file of %zu payout(s) "
		    "ready for FINANCE", bid, JS(batch, "currency"), JS(batch, "week"),
		    json_array_size(bank));
	}
	/* gateway payouts to retry keep the batch open */
	rc = waiting > 0 ? DB_OK : payouts_db_batch_close(db, bid, nbank > 0 ? "sent" : "done");
out:
	json_decref(list);
	json_decref(bank);
	return rc;
}

int
payouts_weekly_batch(db_t *db, const struct souk_config *cfg, arena_t *a,
    struct payouts_sweep *out)
{
	unsigned char key[32];
	json_t *open = NULL, *b;
	size_t i;
	int rc, created = 0;

	if (payouts_server_key(cfg, key) != 0) {
		log_error("payout batch: secret_key must be 64 hex digits");
		return DB_ERROR;
	}
	if ((rc = db_begin(db)) != DB_OK)
		goto done;
	if ((rc = payouts_db_batch_attach(db, &created)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		goto done;
	}
	out->batches += created;
	if (created > 0)
		log_info("payout batch: %d new batch(es) for this week", created);
	if ((rc = payouts_db_open_batches(db, &open)) != DB_OK)
		goto done;
	json_array_foreach(json_object_get(open, "batches"), i, b)
		if ((rc = run_batch(db, cfg, a, key, b, out)) != DB_OK)
			break;
	json_decref(open);
done:
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
payouts_money_sweep(db_t *db, const struct souk_config *cfg, struct payouts_sweep *out)
{
	arena_t *a = arena_new(16384);
	int rc, first = DB_OK;

	memset(out, 0, sizeof(*out));
	if ((rc = orders_sweep(db, cfg, &out->orders)) != DB_OK) {
		log_warn("money sweep: orders: %s", db_errmsg(db));
		first = rc;
	}
	if ((rc = payouts_clear_due(db, &out->cleared)) != DB_OK) {
		log_warn("money sweep: clearance: %s", db_errmsg(db));
		if (first == DB_OK)
			first = rc;
	}
	if ((rc = payouts_weekly_batch(db, cfg, a, out)) != DB_OK) {
		log_warn("money sweep: payout batch: %s", db_errmsg(db));
		if (first == DB_OK)
			first = rc;
	}
	arena_free(a);
	return first;
}

/* ==== GET /earnings ==== */

/* The caller is a seller (the role bit; the router only compares the highest role). */
static int
is_seller(const http_req_t *req)
{
	return (req->roles & ROLE_BIT(ROLE_SELLER)) != 0;
}

/* A fresh idempotency key: 32 hex digits. */
static const char *
fresh_key(http_req_t *req)
{
	unsigned char rnd[16];
	char hex[33];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	return arena_strdup(req->arena, hex);
}

/* The figure of @key ("pending", ...), or NULL. */
static const struct figure *
figure_by_key(const char *key)
{
	if (key == NULL)
		return NULL;
	for (size_t i = 0; i < NFIGURES; i++)
		if (strcmp(figures[i].key, key) == 0)
			return &figures[i];
	return NULL;
}

/* ?page=: 1 when absent, -1 when malformed. */
static int
page_param(http_req_t *req)
{
	const char *p = kv_get(&req->query_params, "page");
	long long n;

	if (p == NULL || p[0] == '\0')
		return 1;
	if (http_parse_int64(p, 1, 100000, &n) != 0)
		return -1;
	return (int)n;
}

/*
 * The earnings page with @status.  @form: the withdrawal form's values
 * ({currency, amount, idempotency_key}) or NULL for a fresh one; @errors:
 * {field: {code: true}} or NULL.
 */
static int
show_earnings(http_req_t *req, int status, json_t *form, json_t *errors)
{
	db_t *db = APP(req)->db;
	const char *lang = app_lang(req);
	const char *want_cur = app_pick(currencies, kv_get(&req->query_params, "currency"));
	const struct figure *want_fig = figure_by_key(kv_get(&req->query_params, "account"));
	json_t *ctx = json_object(), *cur = NULL, *list = json_array(), *c, *tmp = NULL;
	const char *method = NULL;
	int rc, page = 1, has_available = 0;
	size_t i;

	if (want_fig != NULL && want_cur != NULL && (page = page_param(req)) < 0) {
		json_decref(ctx);
		json_decref(list);
		return app_error(req, 400, N_("The page number must be a whole number."));
	}
	if ((rc = payouts_db_seller_currencies(db, req->user_id, &cur)) != DB_OK)
		goto dberr;
	json_array_foreach(json_object_get(cur, "currencies"), i, c) {
		const char *code = json_string_value(c);
		json_t *figs = json_array(), *entry;

		if (want_fig != NULL && want_cur != NULL && strcmp(code, want_cur) != 0)
			continue;
		for (size_t k = 0; k < NFIGURES; k++) {
			int64_t bal = 0;
			int detail = want_fig == &figures[k] && want_cur != NULL;
			int limit = detail ? PAYOUTS_LINES_PER_PAGE : PAYOUTS_LINES_PREVIEW;
			json_t *f;

			if (want_fig != NULL && want_cur != NULL && !detail)
				continue;
			if ((rc = ledger_balance(db, figures[k].kind, code, req->user_id, 0, NULL,
			    &bal)) != DB_OK ||
			    (rc = payouts_db_lines(db, req->user_id, figures[k].kind, code, lang, limit,
			    (page - 1) * limit, &tmp)) != DB_OK) {
				json_decref(figs);
				goto dberr;
			}
			f = json_pack("{s:s, s:s, s:s, s:I, s:o, s:O, s:O, s:b}", "key", figures[k].key,
			    "label", i18n_str(lang, figures[k].label), "help",
			    i18n_str(lang, figures[k].help), "amount_minor", (json_int_t)bal,
			    "amount", json_string(payments_money(req->arena, bal, code)),
			    "lines", json_object_get(tmp, "lines"),
			    "total", json_object_get(tmp, "total"),
			    "has_lines", json_array_size(json_object_get(tmp, "lines")) > 0);
			if (!detail && json_integer_value(json_object_get(tmp, "total")) > limit)
				json_object_set_new(f, "more_url", json_string(arena_printf(req->arena,
				    "/earnings?currency=%s&account=%s", code, figures[k].key)));
			if (detail) {
				long long total = json_integer_value(json_object_get(tmp, "total"));
				int pages = (int)((total + limit - 1) / limit);

				if (page > 1)
					json_object_set_new(f, "prev_url", json_string(arena_printf(req->arena,
					    "/earnings?currency=%s&account=%s&page=%d", code, figures[k].key,
					    page - 1)));
				if (page < pages)
					json_object_set_new(f, "next_url", json_string(arena_printf(req->arena,
					    "/earnings?currency=%s&account=%s&page=%d", code, figures[k].key,
					    page + 1)));
				json_object_set_new(f, "page", json_integer(page));
				json_object_set_new(f, "page_count", json_integer(pages > 0 ? pages : 1));
			}
			if (k == 1 && bal > 0)
				has_available = 1;
			json_decref(tmp);
			tmp = NULL;
			json_array_append_new(figs, f);
		}
		entry = json_pack("{s:s, s:o}", "currency", code, "figures", figs);
		json_array_append_new(list, entry);
	}
	json_object_set_new(ctx, "currencies", list);
	list = NULL;
	json_object_set_new(ctx, "has_currencies",
	    json_boolean(json_array_size(json_object_get(ctx, "currencies")) > 0));
	if (want_fig != NULL && want_cur != NULL) {
		json_object_set_new(ctx, "detail", json_pack("{s:s, s:s}", "currency", want_cur,
		    "label", i18n_str(lang, want_fig->label)));
		if (json_array_size(json_object_get(ctx, "currencies")) == 0) {
			json_decref(cur);
			json_decref(ctx);
			return app_error(req, 404, NULL);
		}
	}

	/* the withdrawal form */
	rc = payouts_db_payout_method(db, req->arena, req->user_id, &method);
	if (rc != DB_OK && rc != DB_ENOROW)
		goto dberr;
	json_object_set_new(ctx, "has_payout_details", json_boolean(method != NULL));
	if (method != NULL) {
		json_object_set_new(ctx, "payout_method", json_string(method));
		/* a gateway-paid method limited to USD (a Stripe connected account) */
		json_object_set_new(ctx, "payout_usd_only", json_boolean(method_pays(method, "USD") &&
		    !method_pays(method, "ZAR")));
	}
	if (form == NULL)
		form = json_pack("{s:s, s:s, s:s}", "currency", "", "amount", "", "idempotency_key",
		    fresh_key(req));
	else
		json_incref(form);
	{
		json_t *opts = json_array();
		const char *sel = JS(form, "currency");

		json_array_foreach(json_object_get(cur, "currencies"), i, c)
			json_array_append_new(opts, json_pack("{s:O, s:b}", "code", c, "selected",
			    sel != NULL && strcmp(sel, json_string_value(c)) == 0));
		json_object_set_new(form, "options", opts);
	}
	json_object_set_new(ctx, "form", form);
	json_object_set_new(ctx, "can_withdraw", json_boolean(has_available && method != NULL));
	if (errors != NULL)
		json_object_set(ctx, "errors", errors);

	if ((rc = payouts_db_seller_payouts(db, req->user_id, lang, &tmp)) != DB_OK)
		goto dberr;
	json_object_set(ctx, "payouts", json_object_get(tmp, "payouts"));
	json_object_set_new(ctx, "has_payouts",
	    json_boolean(json_array_size(json_object_get(tmp, "payouts")) > 0));
	json_decref(tmp);
	if (status == 200 && kv_get(&req->query_params, "requested") != NULL)
		json_object_set_new(ctx, "done_requested", json_true());
	json_decref(cur);

	http_no_store(req);
	app_page(ctx, i18n_str(lang, N_("Earnings | Souk")), "", "/earnings", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	req->status = status;
	app_render(req, "payouts/earnings", ctx);
	json_decref(ctx);
	return req->status;
dberr:
	json_decref(tmp);
	json_decref(cur);
	json_decref(list);
	json_decref(ctx);
	return app_db_status(req, rc);
}

static int
earnings_get(http_req_t *req)
{
	if (!is_seller(req))
		return app_error(req, 403, N_("Earnings are for sellers. Become a seller first."));
	return show_earnings(req, 200, NULL, NULL);
}

/* ==== GET /earnings.csv ==== */

static int
earnings_csv(http_req_t *req)
{
	json_t *lines = NULL, *l;
	size_t i;
	int rc;
	char amt[32], num[24];

	if (!is_seller(req))
		return app_error(req, 403, N_("Earnings are for sellers. Become a seller first."));
	if ((rc = payouts_db_csv_lines(APP(req)->db, req->user_id, &lines)) != DB_OK)
		return app_db_status(req, rc);
	http_no_store(req);
	req->content_type_out = "text/csv; charset=utf-8";
	http_header(req, "Content-Disposition", "attachment; filename=\"souk-earnings.csv\"");
	buf_puts(&req->body, "date,currency,account,kind,transaction,order,payout,amount,amount_minor,memo\r\n");
	json_array_foreach(json_object_get(lines, "lines"), i, l) {
		payouts_csv_field(&req->body, JS(l, "at"), 0);
		buf_putc(&req->body, ',');
		payouts_csv_field(&req->body, JS(l, "currency"), 0);
		buf_putc(&req->body, ',');
		payouts_csv_field(&req->body, JS(l, "account"), 0);
		buf_putc(&req->body, ',');
		payouts_csv_field(&req->body, JS(l, "kind"), 0);
		buf_putc(&req->body, ',');
		snprintf(num, sizeof(num), "%lld", JI(l, "transaction_id"));
		payouts_csv_field(&req->body, num, 0);
		buf_putc(&req->body, ',');
		if (json_is_integer(json_object_get(l, "order_id"))) {
			snprintf(num, sizeof(num), "%lld", JI(l, "order_id"));
			payouts_csv_field(&req->body, num, 0);
		}
		buf_putc(&req->body, ',');
		if (json_is_integer(json_object_get(l, "payout_id"))) {
			snprintf(num, sizeof(num), "%lld", JI(l, "payout_id"));
			payouts_csv_field(&req->body, num, 0);
		}
		buf_putc(&req->body, ',');
		payouts_csv_field(&req->body, major(amt, sizeof(amt), JI(l, "amount_minor")), 0);
		buf_putc(&req->body, ',');
		snprintf(num, sizeof(num), "%lld", JI(l, "amount_minor"));
		payouts_csv_field(&req->body, num, 0);
		buf_putc(&req->body, ',');
		payouts_csv_field(&req->body, JS(l, "memo"), 1);
		buf_puts(&req->body, "\r\n");
	}
	json_decref(lines);
	req->status = 200;
	return 200;
}

/* ==== POST /earnings/withdraw ==== */

/* [A-Za-z0-9_-]{16,64}, as idempotency_keys.key. */
static int
key_ok(const char *k)
{
	size_t n = strlen(k);

	return n >= 16 && n <= 64 &&
	    strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int
withdraw_refuse(http_req_t *req, int status, json_t *form, json_t *errors)
{
	int rc = show_earnings(req, status, form, errors);

	json_decref(form);
	json_decref(errors);
	return rc;
}

static int
earnings_withdraw(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *cur_s = http_form(req, "currency"), *amount_s = http_form(req, "amount");
	const char *key = http_form(req, "idempotency_key"), *currency, *method = NULL;
	const char *location;
	json_t *form, *errors = json_object();
	unsigned char h[crypto_hash_sha256_BYTES];
	char hash[crypto_hash_sha256_BYTES * 2 + 1], *fp;
	int64_t amount = 0;
	long long id = 0;
	int rc, lr, state;

	if (!is_seller(req)) {
		json_decref(errors);
		return app_error(req, 403, N_("Earnings are for sellers. Become a seller first."));
	}
	form = json_pack("{s:s, s:s, s:s}", "currency", cur_s, "amount", amount_s,
	    "idempotency_key", key_ok(key) ? key : fresh_key(req));
	if ((currency = app_pick(currencies, cur_s)) == NULL)
		app_form_error(errors, "currency", "required");
	if (payouts_parse_amount(amount_s, &amount) != 0)
		app_form_error(errors, "amount", amount_s[0] == '\0' ? "required" : "invalid");
	if (!key_ok(key))
		app_form_error(errors, "idempotency_key", "invalid");
	if (json_object_size(errors) > 0)
		return withdraw_refuse(req, 422, form, errors);

	rc = payouts_db_payout_method(db, req->arena, req->user_id, &method);
	if (rc == DB_ENOROW || (rc == DB_OK && method == NULL)) {
		app_form_error(errors, "details", "missing");
		return withdraw_refuse(req, 409, form, errors);
	}
	if (rc != DB_OK) {
		json_decref(form);
		json_decref(errors);
		return app_db_status(req, rc);
	}

	/*
	 * A Stripe connected account is paid by a transfer in USD only (the
	 * adapter and the platform balance are USD).  A ZAR or CNY withdrawal
	 * to it is refused here, 422, rather than sent to the bank-transfer
	 * file: that file needs bank details, and an acct_ id is not one, so
	 * FINANCE could not pay it.  The seller withdraws USD, or switches the
	 * payout details to a bank account for the other currencies.
	 */
	if (!method_pays(method, currency)) {
		app_form_error(errors, "currency", "unsupported");
		return withdraw_refuse(req, 422, form, errors);
	}

	/* the request's fingerprint: what the key promises to do */
	fp = arena_printf(req->arena, "withdraw|%s|%" PRId64, currency, amount);
	crypto_hash_sha256(h, (const unsigned char *)fp, strlen(fp));
	sodium_bin2hex(hash, sizeof(hash), h, sizeof(h));

	if ((rc = db_begin(db)) != DB_OK)
		goto dberr;
	if ((rc = payouts_db_idem_claim(db, req->arena, req->user_id, key, "withdraw", hash,
	    &state, &location)) != DB_OK)
		goto dberr_tx;
	if (state == 1) {		/* the same request again: the same outcome */
		(void)db_rollback(db);
		json_decref(form);
		json_decref(errors);
		http_redirect(req, 303, location);
		return req->status;
	}
	if (state == 2) {
		(void)db_rollback(db);
		app_form_error(errors, "idempotency_key", "reused");
		json_object_set_new(form, "idempotency_key", json_string(fresh_key(req)));
		return withdraw_refuse(req, 422, form, errors);
	}
	if ((rc = payouts_db_request(db, req->user_id, currency, amount, method,
	    arena_printf(req->arena, "withdraw:%lld:%s", req->user_id, key), &id)) != DB_OK)
		goto dberr_tx;
	lr = ledger_payout_request(db, id, req->user_id, currency, amount);
	if (lr == LEDGER_ENOFUNDS) {
		(void)db_rollback(db);
		app_form_error(errors, "amount", "insufficient");
		return withdraw_refuse(req, 422, form, errors);
	}
	if (lr != LEDGER_OK) {
		rc = lr < 0 ? lr : DB_ERROR;
		goto dberr_tx;
	}
	location = arena_printf(req->arena, "/earnings?requested=%lld", id);
	if ((rc = payouts_db_idem_done(db, req->user_id, key, 303, location)) != DB_OK)
		goto dberr_tx;
	if ((rc = db_commit(db)) != DB_OK)
		goto dberr_tx;
	log_info("request_id=%s payout %lld requested: seller %lld %" PRId64 " %s by %s",
	    req->request_id, id, req->user_id, amount, currency, method);
	json_decref(form);
	json_decref(errors);
	http_redirect(req, 303, location);
	return req->status;
dberr_tx:
	(void)db_rollback(db);
dberr:
	json_decref(form);
	json_decref(errors);
	return app_db_status(req, rc);
}

/* ==== routes ==== */

const route_t payouts_routes[] = {
	{ "GET", "/earnings", earnings_get, ROLE_SELLER, "payouts.earnings" },
	{ "GET", "/earnings.csv", earnings_csv, ROLE_SELLER, "payouts.csv" },
	{ "POST", "/earnings/withdraw", earnings_withdraw, ROLE_SELLER, "payouts.withdraw" },
};
const size_t payouts_nroutes = sizeof(payouts_routes) / sizeof(payouts_routes[0]);
