/*
 * payouts.h - what sellers earn and withdraw, and the money sweeps.
 *
 *   payouts.c      the seller's earnings page, its CSV export and
 *                  withdrawal requests (routes payouts_routes); clearance
 *                  and the weekly payout batch (souk-worker, soukctl);
 *   payouts_db.c   their SQL (and the finance console's, below);
 *   src/admin/finance.c  the FINANCE console and the staff order actions
 *                  (routes finance_routes).
 *
 * Money is int64_t minor units of the currency named ("USD", "ZAR",
 * "CNY"), never floating point.  Every figure shown is computed from
 * ledger entries (src/ledger/ledger.h); nothing here stores a balance.
 *
 * Seller routes (min_role SELLER; the SELLER role bit is checked again in
 * the handler, since a staff member's highest role passes the router):
 *
 *	GET  /earnings             per currency: pending clearance, available,
 *	                           in payout, withdrawn, each with the ledger
 *	                           lines behind it (?currency=&account=&page=
 *	                           lists one account's lines, paginated)
 *	GET  /earnings.csv         every ledger line of the seller's accounts
 *	POST /earnings/withdraw    currency, amount ("12.50"), idempotency_key
 *	                           (422 currency "unsupported": a Stripe connected
 *	                           account is paid in USD only)
 *
 * Staff routes (finance_routes; min_role SUPPORT is the outer gate, then
 * the role bits, and staff without 2FA are sent to set it up):
 *
 *	FINANCE or SUPER_ADMIN:
 *	GET  /admin/finance                  revenue by day and currency, ledger health
 *	GET  /admin/finance/payouts          ?state=&currency=&seller=&page=
 *	POST /admin/finance/payouts/{id}/approve|hold|paid|fail   (note)
 *	GET  /admin/finance/transactions     ?kind=&order=&page=
 *	GET  /admin/finance/escrow           orders holding escrow
 *	GET  /admin/finance/refunds          ?state=&page= (state "stuck": gateway
 *	                                     refunds requested|processing with no
 *	                                     live "refund" job)
 *	POST /admin/finance/refunds/{id}/retry     a fresh "refund" job (the claim
 *	                                     reset to 'requested'; the gateway call
 *	                                     reuses the refund's idempotency key)
 *	POST /admin/finance/refunds/{id}/credit    note; 'failed' + buyer credit
 *	                                     (ledger_refund_to_credit), order event
 *	                                     "refund_credited"
 *	POST /admin/finance/refunds/{id}/settled   note; refunded outside Souk:
 *	                                     'succeeded', payments.refunded_minor +=
 *	                                     amount, no ledger posting (ledger_refund
 *	                                     booked it when it was requested)
 *	GET  /admin/finance/batches          the weekly payout batches
 *	GET  /admin/finance/batches/{id}.csv the bank-transfer file (audited)
 *	POST /admin/finance/batches/{id}/paid every bank payout in it paid
 *	SUPPORT, FINANCE or SUPER_ADMIN:
 *	GET  /admin/orders/{id}              order summary, escrow, actions
 *	POST /admin/orders/{id}/cancel       reason (orders_cancel)
 *	POST /admin/orders/{id}/dispute      disputed=1|0 (orders_set_disputed)
 *
 * Payout states: requested -> approved -> paid; requested|approved -> held
 * (FINANCE, with a note) -> approved; requested|approved|held -> failed
 * (the money goes back to available: ledger_payout_returned).  A decision
 * on a payout in another state is answered 409.  Every staff decision is
 * written to the audit log in the transaction that makes it.
 *
 * Payout methods come from the seller's payout details (seller_payouts,
 * src/sellers): bank -> 'bank', paypal -> 'paypal', alipay -> 'alipay',
 * stripe -> 'stripe' (a Stripe connected account acct_..., sql/0021).
 * A 'stripe' payout is paid by the weekly batch with a Stripe transfer
 * (docs/payment-gateways.md §3.4, "separate charges and transfers"),
 * USD only: a withdrawal in another currency to a connected account is
 * refused 422 (the bank-transfer file cannot pay an acct_ id).
 */
#ifndef SOUK_PAYOUTS_PAYOUTS_H
#define SOUK_PAYOUTS_PAYOUTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "db/db.h"
#include "http/router.h"

/* The routes, for src/web/app.c (literal paths; before the catalog). */
extern const route_t payouts_routes[];
extern const size_t payouts_nroutes;
extern const route_t finance_routes[];
extern const size_t finance_nroutes;

/* Ledger lines per page on the earnings page and in the CSV's pages. */
#define PAYOUTS_LINES_PER_PAGE 25
/* Lines shown under each figure before "all lines". */
#define PAYOUTS_LINES_PREVIEW 5
/* Rows per page of the finance lists. */
#define FINANCE_PER_PAGE 50
/* Longest staff note or reason, in bytes. */
#define FINANCE_NOTE_MAX 1000

/* ==== money sweeps (souk-worker every 5 s; `soukctl money-sweep`) ==== */

/* What one sweep did. */
struct payouts_sweep {
	int orders;		/* orders completed or cancelled by orders_sweep */
	int cleared;		/* clearances moved from pending to available */
	int batches;		/* payout batches created */
	int paid;		/* payouts paid through a gateway */
	int failed;		/* payouts the gateway refused (money returned) */
	int bank_files;		/* bank-transfer files written */
};

/*
 * payouts_clear_due - move every seller_clearances row whose clears_at
 * passed (souk_now()) and that is not cleared yet from seller pending to
 * seller available: ledger_clear() then cleared_at = souk_now() and an
 * order timeline event "cleared", each row in its own transaction.  Rows
 * are claimed FOR UPDATE SKIP LOCKED, so two workers never clear the same
 * row, and the ledger's event key "clear:order:<id>" makes a retry post
 * nothing twice.  A row that cannot be cleared (e.g. pending holds less)
 * is logged and left for a later sweep.
 * @done: receives how many rows were cleared.
 * Returns: DB_OK, or the DB_* error that stopped the pass.
 */
int payouts_clear_due(db_t *db, int *done);

/*
 * payouts_weekly_batch - the weekly payout batch.  Once souk_now() is in
 * a new ISO week, every approved payout requested before that week's
 * Monday (00:00 UTC) and in no batch yet joins the batch of its currency
 * for that week (payout_batches (currency, week = the Monday), made once:
 * UNIQUE).  Then, for each open batch: payouts whose method has a gateway
 * with a payout function are paid through it (idempotency key
 * "payout:<id>", the call made outside any DB transaction; Stripe: a
 * transfer to the connected account, destination = the acct_ id, no
 * source_transaction, USD only) and marked paid with gateway_ref = the
 * gateway's transfer id and ledger_payout_paid, in one transaction after
 * the call; a refusal (GW_EREJECT, GW_EUNSUPPORTED, or a currency the
 * gateway does not pay) fails the payout and returns the money
 * (ledger_payout_returned); both audited (payouts_db_audit_sweep); a
 * temporary error (GW_ETEMP, GW_ECONFIG) leaves it approved for the next
 * sweep (the batch stays 'open').  The other payouts (bank transfers, and
 * wallets whose gateway cannot pay out) go, once, into the batch's
 * bank-transfer CSV (payouts_bank_csv), stored sealed with the server key
 * in payout_batches.bank_file (payouts.in_bank_file marks them); FINANCE
 * downloads it and marks it paid.  When no gateway payout is left to
 * retry, the batch becomes 'sent' while bank payouts wait, else 'done'.
 * Running it twice creates and pays nothing twice.
 * @cfg: gateways and the server key; @a: arena for the gateway calls
 * (reset by the caller).  @out: counts are ADDED to it.
 * Returns: DB_OK or a DB_* error.
 */
int payouts_weekly_batch(db_t *db, const struct souk_config *cfg, arena_t *a,
    struct payouts_sweep *out);

/*
 * payouts_money_sweep - one whole pass, in this order: orders_sweep
 * (auto-completion, expired cancellations; src/orders), payouts_clear_due,
 * payouts_weekly_batch.  @out is zeroed then filled.  A failing step is
 * logged and the next still runs.
 * Returns: DB_OK, or the first DB_* error met.
 */
int payouts_money_sweep(db_t *db, const struct souk_config *cfg, struct payouts_sweep *out);

/* ==== pure helpers (no I/O) ==== */

/*
 * payouts_server_key - the 32-byte server key from cfg->secret_key (64 hex
 * digits), or the fixed development key when it is empty, exactly as
 * souk-web derives it (src/web/app.c).  Returns 0, or -1 when the hex is
 * malformed.
 */
int payouts_server_key(const struct souk_config *cfg, unsigned char key[32]);

/*
 * payouts_parse_amount - a withdrawal amount typed in major units: digits
 * with at most two decimals ("12", "12.5", "12.50"), surrounding blanks
 * allowed, no sign, no thousands separators; integer arithmetic only
 * (gateway_decimal_to_minor).  Returns 0 and *@out (minor units, > 0), or
 * -1 for anything else, zero, or more than 1e12 minor units.
 */
int payouts_parse_amount(const char *s, int64_t *out);

/*
 * payouts_csv_field - append @s to @b as one RFC 4180 CSV field: quoted
 * when it holds a comma, quote, CR or LF (quotes doubled); a text field
 * (@text non-zero) starting with '=', '+', '-', '@', TAB or CR gets a
 * leading apostrophe so spreadsheets do not run it as a formula.  NULL
 * counts as "".
 */
void payouts_csv_field(buf_t *b, const char *s, int text);

/*
 * payouts_bank_csv - the bank-transfer file of @rows, a JSON array of
 * {payout_id, holder, account, branch, bank, amount_minor, currency}
 * (opened payout details): a header line and one line per payout,
 * columns reference ("SOUK-PAYOUT-<id>"), beneficiary, account,
 * branch_code, bank, amount (major units "12.50"), currency; CRLF line
 * ends.  Appended to @b.
 */
void payouts_bank_csv(buf_t *b, json_t *rows);

/* ==== queries (payouts_db.c: SQL only) ====
 *
 * JSON results are new references for the caller (json_decref) on DB_OK
 * only.  Times are UTC text "YYYY-MM-DD HH:MM".  Amounts come both as
 * *_minor integers and formatted (souk_money).  Each returns DB_OK,
 * DB_ENOROW where said, DB_ERROR or DB_EDOWN.
 */

/*
 * payouts_db_clear_claim - inside a transaction: lock the next due,
 * uncleared clearance with order_id > @after (FOR UPDATE SKIP LOCKED).
 * Returns DB_ENOROW when there is none.
 */
int payouts_db_clear_claim(db_t *db, long long after, long long *order_id,
    long long *seller_id, char currency[4], int64_t *amount_minor);

/* payouts_db_clear_done - mark the clearance of @order_id cleared now and add the timeline event. */
int payouts_db_clear_done(db_t *db, long long order_id, int64_t amount_minor,
    const char *currency);

/*
 * payouts_db_seller_currencies - {currencies: ["USD", ...]}: the
 * currencies in which @seller_id has any seller_* ledger account.
 */
int payouts_db_seller_currencies(db_t *db, long long seller_id, json_t **out);

/*
 * payouts_db_lines - the ledger lines of @seller_id's account @kind in
 * @currency, newest first, @limit from @offset: {lines: [{id, at, kind,
 * memo, order_id | null, order_url | null, payout_id | null, amount_minor,
 * amount}], total}.
 */
int payouts_db_lines(db_t *db, long long seller_id, const char *kind, const char *currency,
    const char *lang, int limit, int offset, json_t **out);

/*
 * payouts_db_csv_lines - every ledger line of every seller_* account of
 * @seller_id, oldest first: {lines: [{at, currency, account, kind,
 * transaction_id, order_id | null, payout_id | null, amount_minor, memo}]}.
 */
int payouts_db_csv_lines(db_t *db, long long seller_id, json_t **out);

/*
 * payouts_db_seller_payouts - the latest 20 payouts of @seller_id:
 * {payouts: [{id, state, method, amount, currency, requested, paid}]}.
 */
int payouts_db_seller_payouts(db_t *db, long long seller_id, const char *lang, json_t **out);

/*
 * payouts_db_payout_method - @seller_id's payout method ("bank",
 * "paypal", "alipay", "stripe") into @method (in @a).  DB_ENOROW: no details on file.
 */
int payouts_db_payout_method(db_t *db, arena_t *a, long long seller_id, const char **method);

/*
 * payouts_db_idem_claim - inside a transaction: claim idempotency key
 * @key of @user_id for @scope and the request fingerprint @hash.  Waits
 * for a concurrent first request with the same key to finish.
 * @state: 0 = new (the caller goes on), 1 = done before (*@location: its
 * outcome, in @a), 2 = the key was used for a different request.
 */
int payouts_db_idem_claim(db_t *db, arena_t *a, long long user_id, const char *key,
    const char *scope, const char *hash, int *state, const char **location);

/* payouts_db_idem_done - record the outcome of the claimed key (@status, @location). */
int payouts_db_idem_done(db_t *db, long long user_id, const char *key, int status,
    const char *location);

/*
 * payouts_db_request - insert a 'requested' payout; @payout_key is the
 * payouts.idempotency_key (unique).  @id receives its id.
 */
int payouts_db_request(db_t *db, long long seller_id, const char *currency,
    int64_t amount_minor, const char *method, const char *payout_key, long long *id);

/*
 * payouts_db_lock - inside a transaction: lock payout @id (FOR UPDATE)
 * and return its snapshot {id, seller_id, state, method, currency,
 * amount_minor, batch_id | null, note | null}.  DB_ENOROW: unknown id.
 */
int payouts_db_lock(db_t *db, long long id, json_t **out);

/*
 * payouts_db_decide - set payout @id's @state with @note (NULL keeps it),
 * decided by @actor_id (0 = the system) now; 'paid' also sets paid_at and
 * @gateway_ref (NULL keeps it).  @out (may be NULL) gets the snapshot after.
 */
int payouts_db_decide(db_t *db, long long id, const char *state, const char *note,
    long long actor_id, const char *gateway_ref, json_t **out);

/*
 * payouts_db_audit_sweep - inside the transaction that settled payout @id
 * in the weekly batch: its audit_log entry @action ("payout.gateway_paid",
 * "payout.gateway_failed"), no actor (the system), request_id
 * "money-sweep", before = @before (the locked snapshot, borrowed), after =
 * {state, method, gateway_ref, note} as the row now is.
 */
int payouts_db_audit_sweep(db_t *db, long long id, const char *action, json_t *before);

/*
 * payouts_db_batch_attach - inside a transaction: make the batch of every
 * currency with approved, unbatched payouts requested before this ISO
 * week's Monday (souk_now(), UTC), and attach those payouts to their
 * currency's batch while it is 'open'.  @created gets the batches made.
 */
int payouts_db_batch_attach(db_t *db, int *created);

/* payouts_db_open_batches - {batches: [{id, currency, week, has_file}]} in state 'open'. */
int payouts_db_open_batches(db_t *db, json_t **out);

/*
 * payouts_db_batch_payouts - the approved payouts of batch @batch_id with
 * their payout details: {payouts: [{id, seller_id, method, amount_minor,
 * currency, handle, holder_name, in_bank_file, sealed | null}]}.
 */
int payouts_db_batch_payouts(db_t *db, long long batch_id, json_t **out);

/*
 * payouts_db_batch_file - store @bank_file (sealed text) as batch
 * @batch_id's file, only while it is open and has none, and mark the
 * payouts @ids (a PostgreSQL array literal "{1,2}") as in it.
 */
int payouts_db_batch_file(db_t *db, long long batch_id, const char *bank_file, const char *ids);

/* payouts_db_batch_close - an open batch @batch_id becomes @state ('sent' or 'done'). */
int payouts_db_batch_close(db_t *db, long long batch_id, const char *state);

/* ==== the finance console's queries (payouts_db.c) ==== */

/* Filters of the payout list; NULL = any. */
struct finance_payout_filter {
	const char *state;
	const char *currency;
	const char *seller;	/* a handle */
	int page;		/* 1-based */
};

/*
 * finance_db_payouts - {payouts: [{id, state, method, amount, amount_minor,
 * currency, seller: {id, handle}, requested, decided, paid, note,
 * batch_id, can_approve, can_hold, can_pay, can_fail}], total}.
 */
int finance_db_payouts(db_t *db, const struct finance_payout_filter *f, const char *lang,
    json_t **out);

/*
 * finance_db_transactions - ledger transactions with their entries,
 * newest first: {transactions: [{id, at, kind, memo, event_key, order_id,
 * payout_id, entries: [{account, owner, amount, amount_minor, currency}]}],
 * total}.  @kind, @order_id (0 = any) filter.
 */
int finance_db_transactions(db_t *db, const char *kind, long long order_id, int page,
    const char *lang, json_t **out);

/*
 * finance_db_escrow - orders whose escrow balance is above zero:
 * {holds: [{order_id, state, disputed, currency, held, held_minor, buyer,
 * seller, created}], totals: [{currency, held, held_minor}]}.
 */
int finance_db_escrow(db_t *db, const char *lang, json_t **out);

/*
 * finance_db_refunds - refunds newest first, @state one of the refund
 * states, "stuck" (see finance_db_refund_lock), or NULL for all:
 * {refunds: [{id, order_id, payment_id, amount, amount_minor, currency,
 * method, gateway, state, error | null, attempts, live_job, stuck,
 * updated, created}], total}.
 */
int finance_db_refunds(db_t *db, const char *state, int page, const char *lang, json_t **out);

/*
 * finance_db_refund_lock - inside a transaction: lock refund @id (FOR
 * UPDATE, the row lock the refund job takes too) and return its snapshot
 * {id, order_id, payment_id, buyer_id, method, state, currency,
 * amount_minor, attempts, error, gateway, reference, refunded_minor (the
 * payment's), gateway_refund_id, live_job, stuck}.  live_job: a "refund"
 * job for it is queued or running; stuck: a gateway refund 'requested' or
 * 'processing' with no live job, which only FINANCE settles.
 * DB_ENOROW: unknown id.
 */
int finance_db_refund_lock(db_t *db, long long id, json_t **out);

/*
 * finance_db_revenue - platform revenue entries grouped by UTC day and
 * currency from @from to @to (YYYY-MM-DD, inclusive; NULL: @to = today by souk_now(),
 * @from = 30 days before @to): {days: [{day,
 * currency, amount, amount_minor, transactions}], totals: [{currency,
 * amount, amount_minor}], from, to}.
 */
int finance_db_revenue(db_t *db, const char *from, const char *to, const char *lang,
    json_t **out);

/*
 * finance_db_health - {sums: [{currency, sum_minor}] (all entries; each
 * must be 0), negative_accounts (non-clearing accounts below zero),
 * unbalanced_transactions, ok: bool}.
 */
int finance_db_health(db_t *db, json_t **out);

/* finance_db_batches - {batches: [{id, currency, week, state, payouts, amount, has_file, can_mark_paid}]}, newest first. */
int finance_db_batches(db_t *db, const char *lang, json_t **out);

/*
 * finance_db_batch_lock - inside a transaction: lock batch @id: {id,
 * currency, week, state, has_file}.  DB_ENOROW: unknown.
 */
int finance_db_batch_lock(db_t *db, long long id, json_t **out);

/* finance_db_batch_file - batch @id's sealed bank file into @out (in @a; NULL when none). */
int finance_db_batch_file(db_t *db, arena_t *a, long long id, const char **out);

/*
 * finance_db_batch_bank_payouts - inside a transaction: lock the approved
 * payouts of batch @id that are in its bank file (in_bank_file):
 * {payouts: [{id, seller_id, currency, amount_minor}]}.
 */
int finance_db_batch_bank_payouts(db_t *db, long long id, json_t **out);

/* finance_db_batch_state - set batch @id's state. */
int finance_db_batch_state(db_t *db, long long id, const char *state);

/*
 * finance_db_order - the staff order page: {order: {id, state, disputed,
 * gig_title, package_name, quantity, currency, subtotal, buyer_fee, total,
 * held, held_minor, buyer: {id, handle}, seller: {id, handle}, created,
 * due, delivered, completed, cancelled, cancel_reason, url},
 * payments: [...], refunds: [...], events: [{at, kind, body, actor}]
 * (latest 30), clearance: {...} | null}.  DB_ENOROW: unknown id.
 */
int finance_db_order(db_t *db, long long id, const char *lang, json_t **out);

/* finance_db_order_snapshot - {id, state, disputed} of order @id for the audit log; DB_ENOROW. */
int finance_db_order_snapshot(db_t *db, long long id, json_t **out);

#endif
