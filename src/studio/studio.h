/*
 * studio.h - the seller studio: the gig wizard and the gig status machine.
 *
 * Routes (studio_routes, joined into the table of src/web/app.c before the
 * catalog; all need SELLER, and every {id} must be a gig of the signed-in
 * seller, else 404):
 *
 *	GET  /studio/gigs/new                       step 1 form for a new gig
 *	POST /studio/gigs/new                       step 1: creates the draft
 *	GET  /studio/gigs/{id}                      the first step not done yet
 *	GET|POST /studio/gigs/{id}/overview         1: title, category, tags, language, currency
 *	GET|POST /studio/gigs/{id}/pricing          2: Basic/Standard/Premium packages
 *	GET|POST /studio/gigs/{id}/extras           3: fast delivery, extra revision, custom extras
 *	GET|POST /studio/gigs/{id}/description      4: Markdown description and FAQ
 *	GET|POST /studio/gigs/{id}/requirements     5: questions for the buyer
 *	GET  /studio/gigs/{id}/publish              7: the gig page as buyers will see it
 *	POST /studio/gigs/{id}/submit               7: submit for review
 *	POST /studio/gigs/{id}/status               seller actions: pause, activate, archive
 *
 * Each step is read and checked completely; mistakes answer 422 with the
 * step shown again, values as typed and messages next to the fields, and
 * nothing written.  A good step is saved in one transaction (the rest of
 * the draft untouched) and answered 303 to the next step.
 *
 * Schema: sql/0010_studio.sql (statuses, gig_extras, gig_requirements,
 * gigs.description_html, currency, review_note, pending_changes).
 * Queries: studio_db.c (SQL only).  Templates: templates/studio/.
 */
#ifndef SOUK_STUDIO_STUDIO_H
#define SOUK_STUDIO_STUDIO_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

/* The module's routes, for src/web/app.c (put before the catalog). */
extern const route_t studio_routes[];
extern const size_t studio_nroutes;

/* ==== gig statuses (gigs.status) ==== */

#define GIG_DRAFT		"draft"
#define GIG_PENDING_REVIEW	"pending_review"
#define GIG_ACTIVE		"active"		/* the only listed status */
#define GIG_REQUIRES_CHANGES	"requires_changes"
#define GIG_DENIED		"denied"
#define GIG_PAUSED		"paused"
#define GIG_ARCHIVED		"archived"

/* ==== limits (characters are Unicode code points) ==== */

/*
 * The gallery upload (POST /studio/gigs/{id}/gallery, route name
 * STUDIO_UPLOAD_ROUTE) takes a video: souk-web reads its multipart body
 * with these limits instead of UPLOAD_LIMITS_DEFAULT (src/web/app.c), in
 * bytes: one file of at most MEDIA_MAX_VIDEO (src/media/media.h; checked
 * equal in gallery.c), the whole body at most that plus 1 MiB for the
 * other fields and the multipart framing.  nginx/souk.conf.in gives the
 * same path client_max_body_size 101m; every other route keeps 12m.
 */
#define STUDIO_UPLOAD_ROUTE	"studio.gallery_upload"
#define STUDIO_UPLOAD_MAX_FILE	((size_t)100 * 1024 * 1024)
#define STUDIO_UPLOAD_MAX_BODY	(STUDIO_UPLOAD_MAX_FILE + (size_t)1024 * 1024)

#define STUDIO_TITLE_MIN	5
#define STUDIO_TITLE_MAX	80
#define STUDIO_TAGS_MAX		5
#define STUDIO_TAG_MAX		30
#define STUDIO_PKG_NAME_MAX	60
#define STUDIO_PKG_DESC_MAX	1000
#define STUDIO_FEATURES_MAX	8	/* rows of the shared feature checklist */
#define STUDIO_FEATURE_MAX	60
#define STUDIO_DAYS_MAX		90
#define STUDIO_REVISIONS_MAX	20	/* or -1: unlimited */
#define STUDIO_PRICE_MAX	100000000LL	/* minor units: 1,000,000.00 */
#define STUDIO_CUSTOM_MAX	5	/* custom extras */
#define STUDIO_EXTRA_TITLE_MAX	80
#define STUDIO_DESC_MAX		5000	/* Markdown source */
#define STUDIO_FAQ_MAX		10
#define STUDIO_FAQ_Q_MAX	300
#define STUDIO_FAQ_A_MAX	3000
#define STUDIO_REQS_MAX		10
#define STUDIO_REQ_Q_MAX	500
#define STUDIO_CHOICES_MAX	10
#define STUDIO_REASON_MAX	2000

/* ==== pure functions (unit tested) ==== */

/*
 * studio_parse_price - a decimal amount as typed ("25", "25.5", "1,250.00",
 * "25,50" with a decimal comma when there is no dot) in minor units (two
 * decimal places).
 * @out: receives the amount on success.
 * Returns: 0; -1 when @s is not a plain non-negative decimal with at most
 * two decimals or exceeds STUDIO_PRICE_MAX.  Zero parses (the caller
 * refuses it with its own message).
 */
int studio_parse_price(const char *s, long long *out);

/*
 * studio_transition_ok - whether the status machine allows @from -> @to:
 * draft -> pending_review; requires_changes -> pending_review;
 * pending_review -> active | requires_changes | denied;
 * active -> paused; paused -> active; active -> active (approving an edit
 * held in pending_changes); any but archived -> archived.
 * Returns: 1 or 0 (0 for NULL or unknown values).
 */
int studio_transition_ok(const char *from, const char *to);

/*
 * studio_set_status - change the status of gig @gig_id from @from to @to
 * with its audit entry ("gig.status", actor req->user_id, entity
 * gig/<id>, before {status}, after {status, reason}), in one transaction:
 * its own, or the caller's when one is already open (then the caller
 * commits or rolls back).  It does not check who may act: sellers'
 * handlers check ownership (and allow only submit, pause, activate,
 * archive), moderation checks MODERATOR before calling.
 * Effects besides status: pending_review sets submitted_at; active sets
 * approved_at, applies pending_changes (title, description,
 * description_html) and clears it and review_note; requires_changes and
 * denied store @reason in review_note (shown to the seller); active ->
 * active approves a pending edit (applies pending_changes).  The search
 * vector follows in the same transaction (trigger on gigs).
 * @from: the status the caller saw; the change happens only if the gig is
 *	still in it (NULL: whatever it is now, still subject to the rules).
 * @to: one of the GIG_* values.
 * @reason: required (1..STUDIO_REASON_MAX characters) for requires_changes
 *	and denied; NULL otherwise.
 * Returns: DB_OK; DB_ENOROW when the gig does not exist, is not in @from,
 * or the transition is not allowed; DB_ERROR (also for a missing reason)
 * or DB_EDOWN.  Nothing changes unless DB_OK.
 */
int studio_set_status(http_req_t *req, long long gig_id, const char *from, const char *to,
    const char *reason);

/* ==== queries (studio_db.c: SQL only) ====
 *
 * JSON results are new references (json_decref) on DB_OK only; each
 * returns DB_OK, DB_ENOROW where said, DB_ERROR or DB_EDOWN.  JSON
 * parameters are texts of arrays as documented at each.
 */

/*
 * studio_db_gig - the wizard state of gig @gig_id of seller @seller_id:
 *   {id, status, title, category_id, tags: [..], lang, currency, description,
 *    review_note, pending: bool, has_packages: bool, has_description: bool,
 *    packages: [{tier, name, description, price_minor, price: "25.00",
 *                delivery_days, revisions, features: [..]}],
 *    extras: [{kind, tier, title, price: "5.00", added_days}],
 *    faq: [{question, answer}],
 *    requirements: [{question, kind, choices: [..] | null, required}]}
 * Title and description show pending_changes when there are some.
 * Returns: DB_ENOROW when there is no such gig of that seller.
 */
int studio_db_gig(db_t *db, long long seller_id, long long gig_id, json_t **out);

/*
 * studio_db_lock - lock the row of gig @gig_id of @seller_id (FOR UPDATE,
 * inside the caller's transaction) and copy its status into @status
 * (at least 24 bytes).
 * Returns: DB_ENOROW when there is no such gig of that seller.
 */
int studio_db_lock(db_t *db, long long seller_id, long long gig_id, char *status, size_t len);

/* studio_db_categories - {groups: [{name, children: [{id, name}]}]} in @lang, set order. */
int studio_db_categories(db_t *db, const char *lang, json_t **out);

/* studio_db_category_ok - DB_OK when @id is a second-level category, else DB_ENOROW. */
int studio_db_category_ok(db_t *db, const char *id);

/*
 * studio_db_default_currency - the currency of a new gig of @user_id from
 * the country of the profile (ZA: ZAR, CN: CNY, else USD), into @out
 * (at least 4 bytes).
 */
int studio_db_default_currency(db_t *db, long long user_id, char *out, size_t len);

/*
 * studio_db_create - insert a draft for @seller_id with the step 1 values
 * (@tags: JSON array text) and a slug made from the title; @id receives
 * the new gig's id.
 */
int studio_db_create(db_t *db, long long seller_id, const char *title, const char *category_id,
    const char *tags, const char *lang, const char *currency, long long *id);

/*
 * studio_db_save_overview - step 1 on an existing gig (locked by the
 * caller).  When @live (the gig is active or paused) a changed title goes
 * to pending_changes instead of the row.  The packages follow @currency.
 */
int studio_db_save_overview(db_t *db, long long gig_id, const char *title,
    const char *category_id, const char *tags, const char *lang, const char *currency,
    int live);

/*
 * studio_db_save_packages - replace the packages of @gig_id with @packages:
 * JSON array of {tier, name, description, price_minor, delivery_days,
 * revisions, features: [..]}, in the gig's currency.
 */
int studio_db_save_packages(db_t *db, long long gig_id, const char *packages);

/*
 * studio_db_save_extras - replace the extras of @gig_id with @extras: JSON
 * array of {kind, tier, title, price_minor, added_days}.
 */
int studio_db_save_extras(db_t *db, long long gig_id, const char *extras);

/*
 * studio_db_save_description - store the Markdown @md and its rendering
 * @html (to pending_changes when @live) and replace the FAQ with @faq: JSON
 * array of {question, answer}.
 */
int studio_db_save_description(db_t *db, long long gig_id, const char *md, const char *html,
    const char *faq, int live);

/*
 * studio_db_save_requirements - replace the questions of @gig_id with
 * @reqs: JSON array of {question, kind, choices: [..] | null, required}.
 */
int studio_db_save_requirements(db_t *db, long long gig_id, const char *reqs);

/*
 * studio_db_preview - gig @gig_id of @seller_id in the shape of the catalog's
 * gig page (templates/README.md "gig"), whatever its status, with
 * pending_changes applied, plus gig.description_html, gig.status,
 * gig.review_note, gig.extras [{kind, tier_label, title, price, added_days}]
 * and gig.requirements; related is empty.
 * Returns: DB_ENOROW when there is no such gig of that seller.
 */
int studio_db_preview(db_t *db, long long seller_id, long long gig_id, const char *lang,
    json_t **out);

/*
 * studio_db_set_status - the UPDATE of studio_set_status (see there) for
 * a gig currently in @from (NULL: any) moving to @to.
 * @before: receives the previous status (at least 24 bytes).
 * Returns: DB_ENOROW when no row matched.
 */
int studio_db_set_status(db_t *db, long long gig_id, const char *from, const char *to,
    const char *reason, char *before, size_t len);

#endif
