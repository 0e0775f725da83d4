/*
 * studio.c - the seller studio (see studio.h): input validation, which
 * query, which template.  No SQL here (studio_db.c).
 *
 * As in src/sellers: every form is read and checked completely before
 * anything is written; messages are chosen in the templates from error
 * codes (errors.<field> = {<code>: true}) so every visible string is in a
 * template inside {{#t}}; pages are personal (Cache-Control: no-store).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit/audit.h"
#include "core/log.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "sellers/sellers.h"
#include "studio/gallery.h"
#include "studio/markdown.h"
#include "studio/studio.h"
#include "web/app.h"

static const char *const tiers[] = { "basic", "standard", "premium" };
#define NTIERS 3

/* ==== pure functions (studio.h) ==== */

int
studio_parse_price(const char *s, long long *out)
{
	long long v = 0;
	int frac = -1, digits = 0, dot = 0;
	const char *p;

	if (s == NULL)
		return -1;
	while (*s == ' ')
		s++;
	/* A comma is a decimal comma when there is no dot and at most 2 digits follow it. */
	if (strchr(s, '.') == NULL && (p = strrchr(s, ',')) != NULL && strlen(p + 1) <= 2 &&
	    strchr(s, ',') == p)
		dot = ',';
	for (p = s; *p != '\0' && *p != ' '; p++) {
		if (*p >= '0' && *p <= '9') {
			if (frac >= 2)
				return -1;
			v = v * 10 + (*p - '0');
			if (v > STUDIO_PRICE_MAX)
				return -1;
			digits++;
			if (frac >= 0)
				frac++;
		} else if ((*p == '.' || *p == dot) && frac < 0)
			frac = 0;
		else if (*p == ',' && dot == 0 && frac < 0 && digits > 0)
			continue;	/* thousands separator */
		else
			return -1;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || digits == 0 || frac == 0)
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < 2; frac++)
		v *= 10;
	if (v > STUDIO_PRICE_MAX)
		return -1;
	*out = v;
	return 0;
}

int
studio_transition_ok(const char *from, const char *to)
{
	static const struct {
		const char *from, *to;
	} allowed[] = {
		{ GIG_DRAFT, GIG_PENDING_REVIEW },
		{ GIG_REQUIRES_CHANGES, GIG_PENDING_REVIEW },
		{ GIG_PENDING_REVIEW, GIG_ACTIVE },
		{ GIG_PENDING_REVIEW, GIG_REQUIRES_CHANGES },
		{ GIG_PENDING_REVIEW, GIG_DENIED },
		{ GIG_ACTIVE, GIG_PAUSED },
		{ GIG_PAUSED, GIG_ACTIVE },
		{ GIG_ACTIVE, GIG_ACTIVE },
	};
	static const char *const all[] = { GIG_DRAFT, GIG_PENDING_REVIEW, GIG_ACTIVE,
	    GIG_REQUIRES_CHANGES, GIG_DENIED, GIG_PAUSED, NULL };

	if (from == NULL || to == NULL)
		return 0;
	if (strcmp(to, GIG_ARCHIVED) == 0) {
		for (const char *const *s = all; *s != NULL; s++)
			if (strcmp(*s, from) == 0)
				return 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i].from, from) == 0 && strcmp(allowed[i].to, to) == 0)
			return 1;
	return 0;
}

int
studio_set_status(http_req_t *req, long long gig_id, const char *from, const char *to,
    const char *reason)
{
	db_t *db = APP(req)->db;
	char before[24], id[24];
	int own, rc;
	json_t *b, *a;

	if ((strcmp(to, GIG_REQUIRES_CHANGES) == 0 || strcmp(to, GIG_DENIED) == 0)) {
		const char *r;

		if (reason == NULL || seller_clean_text(req->arena, reason, 1, &r) != 0 ||
		    r[0] == '\0' || seller_utf8_chars(r) > STUDIO_REASON_MAX)
			return DB_ERROR;
		reason = r;
	} else
		reason = NULL;
	own = db_conn(db) == NULL || PQtransactionStatus(db_conn(db)) == PQTRANS_IDLE;
	if (own && (rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = studio_db_set_status(db, gig_id, from, to, reason, before,
	    sizeof(before))) != DB_OK)
		goto fail;
	snprintf(id, sizeof(id), "%lld", gig_id);
	b = json_pack("{s:s}", "status", before);
	a = json_pack("{s:s, s:s?}", "status", to, "reason", reason);
	rc = audit_write(req, req->user_id, "gig.status", "gig", id, b, a);
	json_decref(b);
	json_decref(a);
	if (rc != DB_OK)
		goto fail;
	if (own && (rc = db_commit(db)) != DB_OK)
		goto fail;
	return DB_OK;
fail:
	if (own)
		db_rollback(db);
	return rc;
}

/* ==== helpers ==== */

/*
 * Read text field @name into @form (as typed) and @out (cleaned); check
 * it: "required" when empty and @min > 0, "too_short", "too_long" (code
 * points), "bad_char".  @key names the value in @form and @errors.
 */
static const char *
text_field(http_req_t *req, const char *name, const char *key, int multiline, size_t min,
    size_t max, json_t *form, json_t *errors)
{
	const char *raw = http_form(req, name), *v;
	size_t n;

	json_object_set_new(form, key, json_string(raw));
	if (seller_clean_text(req->arena, raw, multiline, &v) != 0) {
		app_form_error(errors, key, "bad_char");
		return "";
	}
	n = seller_utf8_chars(v);
	if (n == 0 && min > 0)
		app_form_error(errors, key, "required");
	else if (n > 0 && n < min)
		app_form_error(errors, key, "too_short");
	else if (n > max)
		app_form_error(errors, key, "too_long");
	return v;
}

/* The wizard's step list for the header, @current marked (gallery.h). */
json_t *
studio_steps_json(long long id, const char *current)
{
	static const char *const names[] = { "overview", "pricing", "extras", "description",
	    "requirements", "gallery", "publish" };
	json_t *arr = json_array();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *s = json_pack("{s:i, s:s, s:b}", "n", (int)i + 1, "key", names[i],
		    "current", strcmp(names[i], current) == 0);
		char key[32];

		snprintf(key, sizeof(key), "is_%s", names[i]);
		json_object_set_new(s, key, json_true());
		if (id > 0)
			json_object_set_new(s, "url", json_sprintf("/studio/gigs/%lld/%s", id,
			    names[i]));
		json_array_append_new(arr, s);
	}
	return arr;
}

/*
 * Render @tmpl with @ctx (consumed) and @status; @title is an N_() msgid.
 * Adds steps for gig @id (0: a new gig) with @step current.
 */
static int
render(http_req_t *req, const char *tmpl, json_t *ctx, int status, const char *title,
    long long id, const char *step)
{
	app_page(ctx, i18n_str(app_lang(req), title), NULL, req->path, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	json_object_set_new(ctx, "steps", studio_steps_json(id, step));
	if (id > 0)
		json_object_set_new(ctx, "gig_id", json_integer(id));
	json_object_set_new(ctx, "has_errors",
	    json_boolean(json_object_size(json_object_get(ctx, "errors")) > 0));
	http_no_store(req);
	req->status = status;
	app_render(req, tmpl, ctx);
	json_decref(ctx);
	return req->status;
}

/* The gig of the URL, owned by the signed-in seller; on failure the error page is rendered. */
static int
load_gig(http_req_t *req, json_t **gig)
{
	int rc;

	*gig = NULL;
	if ((rc = studio_db_gig(APP(req)->db, req->user_id, req->match.ints[0], gig)) != DB_OK)
		return app_db_status(req, rc);
	return 0;
}

static int
status_is(const char *status, const char *s)
{
	return status != NULL && strcmp(status, s) == 0;
}

/* Whether the wizard may change a gig in @status. */
static int
editable(const char *status)
{
	return status_is(status, GIG_DRAFT) || status_is(status, GIG_REQUIRES_CHANGES) ||
	    status_is(status, GIG_ACTIVE) || status_is(status, GIG_PAUSED);
}

static int
live(const char *status)
{
	return status_is(status, GIG_ACTIVE) || status_is(status, GIG_PAUSED);
}

static const char *
gig_status(json_t *gig)
{
	return json_string_value(json_object_get(gig, "status"));
}

/* A GET of a step of a gig that cannot be edited now: to the publish page. */
static int
to_publish(http_req_t *req)
{
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/publish",
	    req->match.ints[0]));
	return req->status;
}

/*
 * Begin a step's transaction: lock the gig (404 when it is not the
 * seller's) and check it is editable (409).  Returns 0 with the
 * transaction open and @status filled, else the status answered.
 */
static int
begin_step(http_req_t *req, char *status, size_t len)
{
	db_t *db = APP(req)->db;
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = studio_db_lock(db, req->user_id, req->match.ints[0], status, len)) != DB_OK) {
		db_rollback(db);
		return app_db_status(req, rc);
	}
	if (!editable(status)) {
		db_rollback(db);
		return app_error(req, 409, N_("This gig cannot be changed while it is waiting "
		    "for review, denied or archived."));
	}
	return 0;
}

/* Commit a step and go to @next (a step name). */
static int
finish_step(http_req_t *req, long long id, const char *next)
{
	int rc;

	if ((rc = db_commit(APP(req)->db)) != DB_OK) {
		db_rollback(APP(req)->db);
		return app_db_status(req, rc);
	}
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/%s", id, next));
	return req->status;
}

static int
abort_step(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
}

/* JSON text of @v (freed by the caller with free()). */
static char *
dump(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* ==== step 1: overview ==== */

/* The category choices with @selected marked. */
static json_t *
categories(http_req_t *req, const char *selected)
{
	json_t *cats = NULL, *g, *c;
	size_t i, j;

	if (studio_db_categories(APP(req)->db, app_lang(req), &cats) != DB_OK)
		return json_pack("{s:[]}", "groups");
	json_array_foreach(json_object_get(cats, "groups"), i, g)
		json_array_foreach(json_object_get(g, "children"), j, c) {
			char id[24];

			snprintf(id, sizeof(id), "%lld",
			    (long long)json_integer_value(json_object_get(c, "id")));
			if (selected != NULL && strcmp(id, selected) == 0)
				json_object_set_new(c, "selected", json_true());
		}
	return cats;
}

static void
choice_flags(json_t *form, const char *prefix, const char *value)
{
	char key[64];

	if (value == NULL || strlen(value) > 20)
		return;
	snprintf(key, sizeof(key), "%s_%s", prefix, value);
	json_object_set_new(form, key, json_true());
}

struct overview {
	const char *title, *category, *lang, *currency;
	char *tags;	/* JSON array text (free) */
};

/* Read and check step 1 into @o; values as typed into @form. */
static void
overview_read(http_req_t *req, struct overview *o, json_t *form, json_t *errors)
{
	json_t *tags = NULL;
	const char *cat = http_form(req, "category_id");
	int rc;

	memset(o, 0, sizeof(*o));
	o->title = text_field(req, "title", "title", 0, STUDIO_TITLE_MIN, STUDIO_TITLE_MAX,
	    form, errors);
	json_object_set_new(form, "category_id", json_string(cat));
	o->category = cat;
	if (cat[0] == '\0')
		app_form_error(errors, "category_id", "required");
	else if (app_form_int(cat, 1, LLONG_MAX) == LLONG_MIN ||
	    (rc = studio_db_category_ok(APP(req)->db, cat)) == DB_ENOROW)
		app_form_error(errors, "category_id", "unknown");
	else if (rc != DB_OK)
		app_form_error(errors, "category_id", "unknown");
	json_object_set_new(form, "tags", json_string(http_form(req, "tags")));
	switch (seller_parse_skills(req->arena, http_form(req, "tags"), &tags)) {
	case SELLER_SKILLS_OK:
		if (json_array_size(tags) > STUDIO_TAGS_MAX)
			app_form_error(errors, "tags", "too_many");
		else {
			size_t i;
			json_t *t;

			json_array_foreach(tags, i, t)
				if (seller_utf8_chars(json_string_value(t)) > STUDIO_TAG_MAX)
					app_form_error(errors, "tags", "too_long");
		}
		break;
	case SELLER_SKILLS_TOO_MANY:
		app_form_error(errors, "tags", "too_many");
		break;
	case SELLER_SKILLS_TOO_LONG:
		app_form_error(errors, "tags", "too_long");
		break;
	default:
		app_form_error(errors, "tags", "bad_char");
	}
	if (tags != NULL) {
		o->tags = dump(tags);
		json_decref(tags);
	}
	o->lang = http_form(req, "lang");
	if (strcmp(o->lang, "en") != 0 && strcmp(o->lang, "zh") != 0)
		app_form_error(errors, "lang", "required");
	choice_flags(form, "lang", o->lang);
	o->currency = http_form(req, "currency");
	if (strcmp(o->currency, "USD") != 0 && strcmp(o->currency, "ZAR") != 0 &&
	    strcmp(o->currency, "CNY") != 0)
		app_form_error(errors, "currency", "required");
	choice_flags(form, "currency", o->currency);
}

static int
overview_page(http_req_t *req, long long id, json_t *form, json_t *errors, int status,
    const char *review_note)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "categories", categories(req,
	    json_string_value(json_object_get(form, "category_id"))));
	json_object_set_new(ctx, "form", form);
	json_object_set_new(ctx, "errors", errors);
	json_object_set_new(ctx, "action", id > 0 ?
	    json_sprintf("/studio/gigs/%lld/overview", id) : json_string("/studio/gigs/new"));
	if (review_note != NULL)
		json_object_set_new(ctx, "review_note", json_string(review_note));
	return render(req, "studio/overview", ctx, status, N_("Gig overview"), id, "overview");
}

/* GET /studio/gigs/new */
static int
new_get(http_req_t *req)
{
	char cur[8] = "USD";
	json_t *form = json_object();

	(void)studio_db_default_currency(APP(req)->db, req->user_id, cur, sizeof(cur));
	choice_flags(form, "currency", cur);
	choice_flags(form, "lang", strcmp(app_lang(req), "zh-CN") == 0 ? "zh" : "en");
	return overview_page(req, 0, form, json_object(), 200, NULL);
}

/* POST /studio/gigs/new: step 1 creates the draft. */
static int
new_post(http_req_t *req)
{
	struct overview o;
	json_t *form = json_object(), *errors = json_object();
	long long id = 0;
	int rc;

	overview_read(req, &o, form, errors);
	if (json_object_size(errors) > 0) {
		free(o.tags);
		return overview_page(req, 0, form, errors, 422, NULL);
	}
	json_decref(form);
	json_decref(errors);
	rc = studio_db_create(APP(req)->db, req->user_id, o.title, o.category, o.tags, o.lang,
	    o.currency, &id);
	free(o.tags);
	if (rc != DB_OK)
		return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/pricing", id));
	return req->status;
}

/* GET /studio/gigs/{id}/overview */
static int
overview_get(http_req_t *req)
{
	json_t *gig, *form;
	char cat[24];
	size_t i;
	json_t *t;
	buf_t tags;
	int rc;

	if ((rc = load_gig(req, &gig)) != 0)
		return rc;
	if (!editable(gig_status(gig))) {
		json_decref(gig);
		return to_publish(req);
	}
	form = json_object();
	json_object_set(form, "title", json_object_get(gig, "title"));
	snprintf(cat, sizeof(cat), "%lld",
	    (long long)json_integer_value(json_object_get(gig, "category_id")));
	json_object_set_new(form, "category_id", json_string(cat));
	buf_init(&tags, req->arena);
	json_array_foreach(json_object_get(gig, "tags"), i, t) {
		if (i > 0)
			buf_puts(&tags, ", ");
		buf_puts(&tags, json_string_value(t));
	}
	json_object_set_new(form, "tags", json_string(buf_cstr(&tags)));
	choice_flags(form, "lang", json_string_value(json_object_get(gig, "lang")));
	choice_flags(form, "currency", json_string_value(json_object_get(gig, "currency")));
	rc = overview_page(req, req->match.ints[0], form, json_object(), 200,
	    json_string_value(json_object_get(gig, "review_note")));
	json_decref(gig);
	return rc;
}

/* POST /studio/gigs/{id}/overview */
static int
overview_post(http_req_t *req)
{
	struct overview o;
	json_t *form = json_object(), *errors = json_object();
	char status[24];
	long long id = req->match.ints[0];
	int rc;

	overview_read(req, &o, form, errors);
	if ((rc = begin_step(req, status, sizeof(status))) != 0)
		goto out;
	if (json_object_size(errors) > 0) {
		db_rollback(APP(req)->db);
		free(o.tags);
		return overview_page(req, id, form, errors, 422, NULL);
	}
	if ((rc = studio_db_save_overview(APP(req)->db, id, o.title, o.category, o.tags, o.lang,
	    o.currency, live(status))) != DB_OK)
		rc = abort_step(req, rc);
	else
		rc = finish_step(req, id, "pricing");
out:
	free(o.tags);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* ==== step 2: pricing ==== */

/* The revisions choices of a package, @value selected. */
static json_t *
rev_options(const char *value)
{
	json_t *arr = json_array();

	for (int i = 0; i <= 10; i++) {
		char v[8];

		snprintf(v, sizeof(v), "%d", i);
		json_array_append_new(arr, json_pack("{s:s, s:b}", "value", v,
		    "selected", strcmp(v, value) == 0));
	}
	json_array_append_new(arr, json_pack("{s:s, s:b, s:b}", "value", "unlimited",
	    "unlimited", 1, "selected", strcmp(value, "unlimited") == 0 ||
	    strcmp(value, "-1") == 0));
	return arr;
}

/* A package as parsed: offered or not, and the checked values. */
struct pkg {
	int offered, ok_price, ok_days, ok_rev;
	long long price;
	long long days, rev;	/* rev -1: unlimited */
};

/* Revisions @a at least as good as @b (unlimited, -1, is the best). */
static int
rev_ge(long long a, long long b)
{
	if (a == -1)
		return 1;
	if (b == -1)
		return 0;
	return a >= b;
}

/*
 * Read and check step 2.  @form gets {tiers: [...], feature_rows: [...]}
 * as typed; per-tier errors go into tiers[i].errors and are counted into
 * @errors as "<tier>_<field>".  @out receives the packages to save (JSON
 * array) when there are no errors.
 */
static void
pricing_read(http_req_t *req, json_t *gig, json_t *form, json_t *errors, json_t **out)
{
	(void)gig;
	json_t *tl = json_array(), *rows = json_array(), *pkgs = json_array();
	struct pkg p[NTIERS];
	const char *feat[STUDIO_FEATURES_MAX];
	int prev = -1;

	memset(p, 0, sizeof(p));
	for (int f = 0; f < STUDIO_FEATURES_MAX; f++) {
		char name[24], key[24];
		json_t *row, *cols = json_array(), *ferr = json_object();

		snprintf(name, sizeof(name), "feature_%d", f + 1);
		snprintf(key, sizeof(key), "text");
		row = json_pack("{s:i}", "n", f + 1);
		feat[f] = text_field(req, name, key, 0, 0, STUDIO_FEATURE_MAX, row, ferr);
		json_object_set_new(row, "invalid", json_boolean(json_object_size(ferr) > 0));
		if (json_object_size(ferr) > 0) {
			app_form_error(errors, name, "feature");
			feat[f] = "";
		}
		json_decref(ferr);
		for (int t = 0; t < NTIERS; t++) {
			char cb[32];

			snprintf(cb, sizeof(cb), "%s_f%d", tiers[t], f + 1);
			json_array_append_new(cols, json_pack("{s:s, s:i, s:b}", "tier", tiers[t],
			    "n", f + 1, "checked", http_form(req, cb)[0] != '\0'));
		}
		json_object_set_new(row, "cols", cols);
		json_array_append_new(rows, row);
	}
	for (int t = 0; t < NTIERS; t++) {
		char k[5][32];
		const char *name, *desc, *days, *rev, *price;
		json_t *tj = json_pack("{s:s, s:b}", "tier", tiers[t], tiers[t], 1);
		json_t *te = json_object(), *features = json_array();
		struct pkg *c = &p[t];

		snprintf(k[0], 32, "%s_name", tiers[t]);
		snprintf(k[1], 32, "%s_description", tiers[t]);
		snprintf(k[2], 32, "%s_days", tiers[t]);
		snprintf(k[3], 32, "%s_revisions", tiers[t]);
		snprintf(k[4], 32, "%s_price", tiers[t]);
		days = http_form(req, k[2]);
		rev = http_form(req, k[3]);
		price = http_form(req, k[4]);
		c->offered = t == 0 || http_form(req, k[0])[0] != '\0' || price[0] != '\0' ||
		    days[0] != '\0';
		name = text_field(req, k[0], "name", 0, c->offered ? 1 : 0, STUDIO_PKG_NAME_MAX,
		    tj, te);
		desc = text_field(req, k[1], "description", 1, 0, STUDIO_PKG_DESC_MAX, tj, te);
		json_object_set_new(tj, "days", json_string(days));
		json_object_set_new(tj, "price", json_string(price));
		json_object_set_new(tj, "rev_options", rev_options(rev[0] ? rev : "1"));
		if (c->offered) {
			if (days[0] == '\0')
				app_form_error(te, "days", "required");
			else if ((c->days = app_form_int(days, 1, STUDIO_DAYS_MAX)) == LLONG_MIN)
				app_form_error(te, "days", "invalid");
			else
				c->ok_days = 1;
			if (strcmp(rev, "unlimited") == 0 || strcmp(rev, "-1") == 0) {
				c->rev = -1;
				c->ok_rev = 1;
			} else if ((c->rev = app_form_int(rev, 0, STUDIO_REVISIONS_MAX)) ==
			    LLONG_MIN)
				app_form_error(te, "revisions", "invalid");
			else
				c->ok_rev = 1;
			if (price[0] == '\0')
				app_form_error(te, "price", "required");
			else if (price[0] == '-' || (studio_parse_price(price, &c->price) == 0 &&
			    c->price == 0))
				app_form_error(te, "price", "not_positive");
			else if (studio_parse_price(price, &c->price) != 0)
				app_form_error(te, "price", "invalid");
			else
				c->ok_price = 1;
			if (t == 2 && !p[1].offered)
				app_form_error(te, "name", "needs_standard");
			if (prev >= 0) {
				struct pkg *b = &p[prev];

				if (c->ok_price && b->ok_price && c->price < b->price)
					app_form_error(te, "price", "cheaper");
				if (c->ok_days && b->ok_days && c->days > b->days)
					app_form_error(te, "days", "slower");
				if (c->ok_rev && b->ok_rev && !rev_ge(c->rev, b->rev))
					app_form_error(te, "revisions", "fewer");
			}
			prev = t;
			for (int f = 0; f < STUDIO_FEATURES_MAX; f++) {
				char cb[32];

				snprintf(cb, sizeof(cb), "%s_f%d", tiers[t], f + 1);
				if (feat[f][0] != '\0' && http_form(req, cb)[0] != '\0')
					json_array_append_new(features, json_string(feat[f]));
			}
			json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:O}",
			    "tier", tiers[t], "name", name, "description", desc,
			    "price_minor", (json_int_t)c->price, "delivery_days", (json_int_t)c->days,
			    "revisions", (json_int_t)c->rev, "features", features));
		}
		json_decref(features);
		if (json_object_size(te) > 0) {
			const char *key;
			json_t *v;

			json_object_foreach(te, key, v)
				json_object_set_new(errors, arena_printf(req->arena, "%s_%s",
				    tiers[t], key), json_true());
		}
		json_object_set_new(tj, "errors", te);
		json_array_append_new(tl, tj);
	}
	json_object_set_new(form, "tiers", tl);
	json_object_set_new(form, "feature_rows", rows);
	if (json_object_size(errors) > 0) {
		json_decref(pkgs);
		*out = NULL;
	} else
		*out = pkgs;
}

static int
pricing_page(http_req_t *req, json_t *gig, json_t *form, json_t *errors, int status)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "form", form);
	json_object_set_new(ctx, "errors", errors);
	json_object_set(ctx, "currency", json_object_get(gig, "currency"));
	return render(req, "studio/pricing", ctx, status, N_("Pricing"), req->match.ints[0],
	    "pricing");
}

/* The pricing form from the saved packages. */
static json_t *
pricing_form(json_t *gig)
{
	json_t *form = json_object(), *tl = json_array(), *rows = json_array();
	json_t *pk[NTIERS] = { NULL, NULL, NULL }, *all = json_array(), *p, *f;
	size_t i, j;

	json_array_foreach(json_object_get(gig, "packages"), i, p)
		for (int t = 0; t < NTIERS; t++)
			if (strcmp(json_string_value(json_object_get(p, "tier")), tiers[t]) == 0)
				pk[t] = p;
	/* The feature rows: every feature of any package, once, in order. */
	for (int t = 0; t < NTIERS; t++)
		json_array_foreach(json_object_get(pk[t], "features"), i, f) {
			int seen = 0;
			json_t *g;

			json_array_foreach(all, j, g)
				if (json_equal(g, f))
					seen = 1;
			if (!seen && json_array_size(all) < STUDIO_FEATURES_MAX)
				json_array_append(all, f);
		}
	for (int r = 0; r < STUDIO_FEATURES_MAX; r++) {
		json_t *text = json_array_get(all, (size_t)r), *cols = json_array();

		for (int t = 0; t < NTIERS; t++) {
			int checked = 0;

			if (text != NULL)
				json_array_foreach(json_object_get(pk[t], "features"), j, f)
					if (json_equal(f, text))
						checked = 1;
			json_array_append_new(cols, json_pack("{s:s, s:i, s:b}", "tier", tiers[t],
			    "n", r + 1, "checked", checked));
		}
		json_array_append_new(rows, json_pack("{s:i, s:s, s:o}", "n", r + 1,
		    "text", text ? json_string_value(text) : "", "cols", cols));
	}
	json_decref(all);
	for (int t = 0; t < NTIERS; t++) {
		json_t *tj = json_pack("{s:s, s:b, s:o, s:s, s:s, s:s, s:s}", "tier", tiers[t],
		    tiers[t], 1, "errors", json_object(), "name", "", "description", "",
		    "price", "", "days", "");
		char rev[24] = "1";

		if (pk[t] != NULL) {
			long long r = json_integer_value(json_object_get(pk[t], "revisions"));

			json_object_set(tj, "name", json_object_get(pk[t], "name"));
			json_object_set(tj, "description", json_object_get(pk[t], "description"));
			json_object_set(tj, "price", json_object_get(pk[t], "price"));
			json_object_set_new(tj, "days", json_sprintf("%lld",
			    (long long)json_integer_value(json_object_get(pk[t], "delivery_days"))));
			if (r == -1)
				snprintf(rev, sizeof(rev), "unlimited");
			else
				snprintf(rev, sizeof(rev), "%lld", r);
		}
		json_object_set_new(tj, "rev_options", rev_options(rev));
		json_array_append_new(tl, tj);
	}
	json_object_set_new(form, "tiers", tl);
	json_object_set_new(form, "feature_rows", rows);
	return form;
}

/*
 * GET of a step whose form is built from the saved gig alone: load the
 * owner's gig, send a gig that cannot be edited to the preview, else show
 * @page with the form @form_of makes.
 */
static int
gig_step_get(http_req_t *req, json_t *(*form_of)(json_t *gig),
    int (*page)(http_req_t *, json_t *, json_t *, json_t *, int))
{
	json_t *gig;
	int rc;

	if ((rc = load_gig(req, &gig)) != 0)
		return rc;
	if (!editable(gig_status(gig)))
		rc = to_publish(req);
	else
		rc = page(req, gig, form_of(gig), json_object(), 200);
	json_decref(gig);
	return rc;
}

/* GET /studio/gigs/{id}/pricing */
static int
pricing_get(http_req_t *req)
{
	return gig_step_get(req, pricing_form, pricing_page);
}

/*
 * POST of a step whose input becomes one JSON document: @read fills
 * @form and @errors and, when the input is valid, the document; @save
 * replaces the step's rows with it in the step's transaction; invalid
 * input shows @page again with 422 and nothing written.  On success the
 * seller goes on to step @next.
 */
static int
gig_step_post(http_req_t *req,
    void (*read)(http_req_t *, json_t *, json_t *, json_t *, json_t **),
    int (*page)(http_req_t *, json_t *, json_t *, json_t *, int),
    int (*save)(db_t *, long long, const char *), const char *next)
{
	json_t *gig, *form = json_object(), *errors = json_object(), *doc = NULL;
	char status[24], *s = NULL;
	int rc;

	if ((rc = load_gig(req, &gig)) != 0) {
		json_decref(form);
		json_decref(errors);
		return rc;
	}
	read(req, gig, form, errors, &doc);
	if ((rc = begin_step(req, status, sizeof(status))) != 0)
		goto out;
	if (doc == NULL) {
		db_rollback(APP(req)->db);
		rc = page(req, gig, form, errors, 422);
		form = errors = NULL;
		goto out;
	}
	if ((s = dump(doc)) == NULL)
		rc = abort_step(req, DB_ERROR);
	else if ((rc = save(APP(req)->db, req->match.ints[0], s)) != DB_OK)
		rc = abort_step(req, rc);
	else
		rc = finish_step(req, req->match.ints[0], next);
out:
	free(s);
	json_decref(doc);
	json_decref(form);
	json_decref(errors);
	json_decref(gig);
	return rc;
}

/* POST /studio/gigs/{id}/pricing */
static int
pricing_post(http_req_t *req)
{
	return gig_step_post(req, pricing_read, pricing_page, studio_db_save_packages, "extras");
}

/* ==== step 3: extras ==== */

/* The days of the package @tier of @gig, or 0 when it is not offered. */
static long long
pkg_days(json_t *gig, const char *tier)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(gig, "packages"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "tier")), tier) == 0)
			return json_integer_value(json_object_get(p, "delivery_days"));
	return 0;
}

/*
 * Check a price field @pname and a days field @dname (@dmin..@dmax) of one
 * extra into @row (as typed) and @re (errors); @req_days: days required.
 */
static void
extra_values(http_req_t *req, const char *pname, const char *dname, long long dmin,
    long long dmax, json_t *row, json_t *re, long long *price, long long *days)
{
	const char *p = http_form(req, pname), *d = http_form(req, dname);

	json_object_set_new(row, "price", json_string(p));
	json_object_set_new(row, "days", json_string(d));
	*price = 0;
	*days = 0;
	if (p[0] == '\0')
		app_form_error(re, "price", "required");
	else if (p[0] == '-' || (studio_parse_price(p, price) == 0 && *price == 0))
		app_form_error(re, "price", "not_positive");
	else if (studio_parse_price(p, price) != 0)
		app_form_error(re, "price", "invalid");
	if (d[0] == '\0' && dmin == 0)
		*days = 0;
	else if (d[0] == '\0')
		app_form_error(re, "days", "required");
	else if ((*days = app_form_int(d, dmin, dmax)) == LLONG_MIN)
		app_form_error(re, dmin > 0 ? "days" : "days", dmin > 0 ? "not_faster" : "invalid");
}

/* Move @re into @row.errors and count it into @errors under @prefix. */
static void
extra_errors(http_req_t *req, json_t *row, json_t *re, json_t *errors, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach(re, key, v)
		json_object_set_new(errors, arena_printf(req->arena, "%s_%s", prefix, key),
		    json_true());
	json_object_set_new(row, "errors", re);
}

static void
extras_read(http_req_t *req, json_t *gig, json_t *form, json_t *errors, json_t **out)
{
	json_t *fast = json_array(), *custom = json_array(), *ex = json_array(), *rv, *re;
	long long price, days;

	for (int t = 0; t < NTIERS; t++) {
		long long pd = pkg_days(gig, tiers[t]);
		char pn[32], dn[32];
		json_t *row;

		if (pd == 0)
			continue;
		snprintf(pn, sizeof(pn), "fast_%s_price", tiers[t]);
		snprintf(dn, sizeof(dn), "fast_%s_days", tiers[t]);
		row = json_pack("{s:s, s:b, s:I}", "tier", tiers[t], tiers[t], 1,
		    "package_days", (json_int_t)pd);
		re = json_object();
		if (http_form(req, pn)[0] != '\0' || http_form(req, dn)[0] != '\0') {
			extra_values(req, pn, dn, 1, pd - 1, row, re, &price, &days);
			if (json_object_size(re) == 0)
				json_array_append_new(ex, json_pack("{s:s, s:s, s:I, s:I}",
				    "kind", "fast_delivery", "tier", tiers[t],
				    "price_minor", (json_int_t)price, "added_days", (json_int_t)days));
		} else {
			json_object_set_new(row, "price", json_string(""));
			json_object_set_new(row, "days", json_string(""));
		}
		extra_errors(req, row, re, errors, pn);
		json_array_append_new(fast, row);
	}
	rv = json_pack("{s:s, s:s}", "price", "", "days", "");
	re = json_object();
	if (http_form(req, "revision_price")[0] != '\0' || http_form(req, "revision_days")[0] != '\0') {
		extra_values(req, "revision_price", "revision_days", 0, STUDIO_DAYS_MAX, rv, re,
		    &price, &days);
		if (json_object_size(re) == 0)
			json_array_append_new(ex, json_pack("{s:s, s:I, s:I}", "kind",
			    "extra_revision", "price_minor", (json_int_t)price,
			    "added_days", (json_int_t)days));
	}
	extra_errors(req, rv, re, errors, "revision");
	for (int i = 1; i <= STUDIO_CUSTOM_MAX; i++) {
		char tn[24], pn[24], dn[24];
		const char *title;
		json_t *row = json_pack("{s:i}", "n", i);

		snprintf(tn, sizeof(tn), "custom_%d_title", i);
		snprintf(pn, sizeof(pn), "custom_%d_price", i);
		snprintf(dn, sizeof(dn), "custom_%d_days", i);
		re = json_object();
		if (http_form(req, tn)[0] != '\0' || http_form(req, pn)[0] != '\0' ||
		    http_form(req, dn)[0] != '\0') {
			title = text_field(req, tn, "title", 0, 1, STUDIO_EXTRA_TITLE_MAX, row, re);
			extra_values(req, pn, dn, 0, STUDIO_DAYS_MAX, row, re, &price, &days);
			if (json_object_size(re) == 0)
				json_array_append_new(ex, json_pack("{s:s, s:s, s:I, s:I}", "kind",
				    "custom", "title", title, "price_minor", (json_int_t)price,
				    "added_days", (json_int_t)days));
		} else {
			json_object_set_new(row, "title", json_string(""));
			json_object_set_new(row, "price", json_string(""));
			json_object_set_new(row, "days", json_string(""));
		}
		extra_errors(req, row, re, errors, tn);
		json_array_append_new(custom, row);
	}
	json_object_set_new(form, "fast", fast);
	json_object_set_new(form, "revision", rv);
	json_object_set_new(form, "custom", custom);
	if (json_object_size(errors) > 0) {
		json_decref(ex);
		*out = NULL;
	} else
		*out = ex;
}

/* The extras form from the saved extras. */
static json_t *
extras_form(json_t *gig)
{
	json_t *form = json_object(), *fast = json_array(), *custom = json_array(), *rv;
	json_t *e;
	size_t i;
	int n = 0;

	for (int t = 0; t < NTIERS; t++) {
		long long pd = pkg_days(gig, tiers[t]);
		json_t *row;

		if (pd == 0)
			continue;
		row = json_pack("{s:s, s:b, s:I, s:s, s:s, s:o}", "tier", tiers[t], tiers[t], 1,
		    "package_days", (json_int_t)pd, "price", "", "days", "", "errors",
		    json_object());
		json_array_foreach(json_object_get(gig, "extras"), i, e)
			if (json_is_string(json_object_get(e, "tier")) &&
			    strcmp(json_string_value(json_object_get(e, "tier")), tiers[t]) == 0) {
				json_object_set(row, "price", json_object_get(e, "price"));
				json_object_set_new(row, "days", json_sprintf("%lld", (long long)
				    json_integer_value(json_object_get(e, "added_days"))));
			}
		json_array_append_new(fast, row);
	}
	rv = json_pack("{s:s, s:s, s:o}", "price", "", "days", "", "errors", json_object());
	json_array_foreach(json_object_get(gig, "extras"), i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		json_t *days = json_sprintf("%lld",
		    (long long)json_integer_value(json_object_get(e, "added_days")));

		if (strcmp(kind, "extra_revision") == 0) {
			json_object_set(rv, "price", json_object_get(e, "price"));
			json_object_set(rv, "days", days);
		} else if (strcmp(kind, "custom") == 0 && n < STUDIO_CUSTOM_MAX) {
			n++;
			json_array_append_new(custom, json_pack("{s:i, s:O, s:O, s:O, s:o}", "n", n,
			    "title", json_object_get(e, "title"), "price", json_object_get(e, "price"),
			    "days", days, "errors", json_object()));
		}
		json_decref(days);
	}
	while (n < STUDIO_CUSTOM_MAX) {
		n++;
		json_array_append_new(custom, json_pack("{s:i, s:s, s:s, s:s, s:o}", "n", n,
		    "title", "", "price", "", "days", "", "errors", json_object()));
	}
	json_object_set_new(form, "fast", fast);
	json_object_set_new(form, "revision", rv);
	json_object_set_new(form, "custom", custom);
	return form;
}

static int
extras_page(http_req_t *req, json_t *gig, json_t *form, json_t *errors, int status)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "form", form);
	json_object_set_new(ctx, "errors", errors);
	json_object_set(ctx, "currency", json_object_get(gig, "currency"));
	return render(req, "studio/extras", ctx, status, N_("Gig extras"), req->match.ints[0],
	    "extras");
}

/* GET /studio/gigs/{id}/extras */
static int
extras_get(http_req_t *req)
{
	return gig_step_get(req, extras_form, extras_page);
}

/* POST /studio/gigs/{id}/extras */
static int
extras_post(http_req_t *req)
{
	return gig_step_post(req, extras_read, extras_page, studio_db_save_extras, "description");
}

/* ==== step 4: description and FAQ ==== */

static int
description_page(http_req_t *req, json_t *form, json_t *errors, int status)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "form", form);
	json_object_set_new(ctx, "errors", errors);
	return render(req, "studio/description", ctx, status, N_("Description and FAQ"),
	    req->match.ints[0], "description");
}

/* GET /studio/gigs/{id}/description */
static int
description_get(http_req_t *req)
{
	json_t *gig, *form, *faq = json_array(), *q;
	size_t i;
	int rc;

	if ((rc = load_gig(req, &gig)) != 0) {
		json_decref(faq);
		return rc;
	}
	if (!editable(gig_status(gig))) {
		json_decref(faq);
		json_decref(gig);
		return to_publish(req);
	}
	json_array_foreach(json_object_get(gig, "faq"), i, q)
		json_array_append_new(faq, json_pack("{s:i, s:O, s:O, s:o}", "n", (int)i + 1,
		    "question", json_object_get(q, "question"), "answer",
		    json_object_get(q, "answer"), "errors", json_object()));
	for (i = json_array_size(faq); i < STUDIO_FAQ_MAX; i++)
		json_array_append_new(faq, json_pack("{s:i, s:s, s:s, s:o}", "n", (int)i + 1,
		    "question", "", "answer", "", "errors", json_object()));
	form = json_pack("{s:O, s:o}", "description", json_object_get(gig, "description"),
	    "faq", faq);
	json_decref(gig);
	return description_page(req, form, json_object(), 200);
}

/* POST /studio/gigs/{id}/description */
static int
description_post(http_req_t *req)
{
	json_t *form = json_object(), *errors = json_object(), *faq = json_array(), *rows;
	const char *md;
	char status[24], *html = NULL, *s = NULL;
	int rc;

	md = text_field(req, "description", "description", 1, 1, STUDIO_DESC_MAX, form, errors);
	rows = json_array();
	for (int i = 1; i <= STUDIO_FAQ_MAX; i++) {
		char qn[24], an[24];
		json_t *row = json_pack("{s:i}", "n", i), *re = json_object();
		const char *q, *a;

		snprintf(qn, sizeof(qn), "faq_%d_q", i);
		snprintf(an, sizeof(an), "faq_%d_a", i);
		if (http_form(req, qn)[0] != '\0' || http_form(req, an)[0] != '\0') {
			q = text_field(req, qn, "question", 0, 1, STUDIO_FAQ_Q_MAX, row, re);
			a = text_field(req, an, "answer", 1, 1, STUDIO_FAQ_A_MAX, row, re);
			if (json_object_size(re) == 0)
				json_array_append_new(faq, json_pack("{s:s, s:s}", "question", q,
				    "answer", a));
		} else {
			json_object_set_new(row, "question", json_string(""));
			json_object_set_new(row, "answer", json_string(""));
		}
		extra_errors(req, row, re, errors, qn);
		json_array_append_new(rows, row);
	}
	json_object_set_new(form, "faq", rows);
	if ((rc = begin_step(req, status, sizeof(status))) != 0)
		goto out;
	if (json_object_size(errors) > 0) {
		db_rollback(APP(req)->db);
		rc = description_page(req, form, errors, 422);
		form = errors = NULL;
		goto out;
	}
	if ((html = markdown_to_html(md, strlen(md))) == NULL || (s = dump(faq)) == NULL)
		rc = abort_step(req, DB_ERROR);
	else if ((rc = studio_db_save_description(APP(req)->db, req->match.ints[0], md, html,
	    s, live(status))) != DB_OK)
		rc = abort_step(req, rc);
	else
		rc = finish_step(req, req->match.ints[0], "requirements");
out:
	free(html);
	free(s);
	json_decref(faq);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* ==== step 5: requirements ==== */

static void
kind_flags(json_t *row, const char *kind)
{
	choice_flags(row, "kind", kind[0] ? kind : "text");
}

static int
requirements_page(http_req_t *req, json_t *form, json_t *errors, int status)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "form", form);
	json_object_set_new(ctx, "errors", errors);
	return render(req, "studio/requirements", ctx, status, N_("Requirements"),
	    req->match.ints[0], "requirements");
}

/* GET /studio/gigs/{id}/requirements */
static int
requirements_get(http_req_t *req)
{
	json_t *gig, *rows = json_array(), *r, *c;
	size_t i, j;
	int rc;

	if ((rc = load_gig(req, &gig)) != 0) {
		json_decref(rows);
		return rc;
	}
	if (!editable(gig_status(gig))) {
		json_decref(rows);
		json_decref(gig);
		return to_publish(req);
	}
	json_array_foreach(json_object_get(gig, "requirements"), i, r) {
		buf_t ch;
		json_t *row;

		buf_init(&ch, req->arena);
		json_array_foreach(json_object_get(r, "choices"), j, c) {
			buf_puts(&ch, json_string_value(c));
			buf_putc(&ch, '\n');
		}
		row = json_pack("{s:i, s:O, s:s, s:b, s:o}", "n", (int)i + 1, "question",
		    json_object_get(r, "question"), "choices", buf_cstr(&ch), "required",
		    json_is_true(json_object_get(r, "required")), "errors", json_object());
		kind_flags(row, json_string_value(json_object_get(r, "kind")));
		json_array_append_new(rows, row);
	}
	for (i = json_array_size(rows); i < STUDIO_REQS_MAX; i++) {
		json_t *row = json_pack("{s:i, s:s, s:s, s:b, s:o}", "n", (int)i + 1, "question",
		    "", "choices", "", "required", 1, "errors", json_object());

		kind_flags(row, "text");
		json_array_append_new(rows, row);
	}
	json_decref(gig);
	return requirements_page(req, json_pack("{s:o}", "rows", rows), json_object(), 200);
}

/* The non-empty lines of @s (cleaned), or NULL with @code set. */
static json_t *
choice_lines(http_req_t *req, const char *s, const char **code)
{
	json_t *arr = json_array();
	const char *v, *p = s, *nl;

	while (*p != '\0') {
		nl = p + strcspn(p, "\r\n");
		if (seller_clean_text(req->arena, arena_strndup(req->arena, p, (size_t)(nl - p)), 0,
		    &v) != 0) {
			*code = "bad_char";
			json_decref(arr);
			return NULL;
		}
		if (v[0] != '\0') {
			if (seller_utf8_chars(v) > 100) {
				*code = "too_long";
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, json_string(v));
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
	if (json_array_size(arr) < 2 || json_array_size(arr) > STUDIO_CHOICES_MAX) {
		*code = "count";
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* POST /studio/gigs/{id}/requirements */
static int
requirements_post(http_req_t *req)
{
	json_t *errors = json_object(), *rows = json_array(), *reqs = json_array(), *form;
	char status[24], *s = NULL;
	int rc;

	for (int i = 1; i <= STUDIO_REQS_MAX; i++) {
		char qn[24], kn[24], cn[24], rn[24];
		json_t *row = json_pack("{s:i}", "n", i), *re = json_object(), *choices = NULL;
		const char *q, *kind, *code = NULL;
		int required;

		snprintf(qn, sizeof(qn), "req_%d_q", i);
		snprintf(kn, sizeof(kn), "req_%d_kind", i);
		snprintf(cn, sizeof(cn), "req_%d_choices", i);
		snprintf(rn, sizeof(rn), "req_%d_required", i);
		kind = http_form(req, kn);
		required = http_form(req, rn)[0] != '\0';
		json_object_set_new(row, "choices", json_string(http_form(req, cn)));
		json_object_set_new(row, "required", json_boolean(required));
		kind_flags(row, kind);
		q = text_field(req, qn, "question", 1, 0, STUDIO_REQ_Q_MAX, row, re);
		if (q[0] != '\0') {
			if (strcmp(kind, "text") != 0 && strcmp(kind, "choice") != 0 &&
			    strcmp(kind, "file") != 0)
				app_form_error(re, "kind", "required");
			else if (strcmp(kind, "choice") == 0 &&
			    (choices = choice_lines(req, http_form(req, cn), &code)) == NULL)
				app_form_error(re, "choices", code);
			if (json_object_size(re) == 0)
				json_array_append_new(reqs, json_pack("{s:s, s:s, s:o?, s:b}",
				    "question", q, "kind", kind, "choices", choices,
				    "required", required));
			else
				json_decref(choices);
		}
		extra_errors(req, row, re, errors, qn);
		json_array_append_new(rows, row);
	}
	form = json_pack("{s:o}", "rows", rows);
	if ((rc = begin_step(req, status, sizeof(status))) != 0)
		goto out;
	if (json_object_size(errors) > 0) {
		db_rollback(APP(req)->db);
		rc = requirements_page(req, form, errors, 422);
		form = errors = NULL;
		goto out;
	}
	if ((s = dump(reqs)) == NULL)
		rc = abort_step(req, DB_ERROR);
	else if ((rc = studio_db_save_requirements(APP(req)->db, req->match.ints[0], s)) != DB_OK)
		rc = abort_step(req, rc);
	else
		rc = finish_step(req, req->match.ints[0], "gallery");
out:
	free(s);
	json_decref(reqs);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* ==== step 7: preview and submit ==== */

#define MAIN_OPEN "<main id=\"main\" class=\"site-main\" tabindex=\"-1\">"

/*
 * The preview: the catalog's own gig page (templates/catalog/gig) for the
 * gig as it stands, with the studio bar (templates/studio/publish_bar)
 * rendered separately and put at the top of <main>.
 */
static int
publish_page(http_req_t *req, json_t *pv, json_t *errors, int status)
{
	json_t *gig = json_object_get(pv, "gig");
	const char *st = json_string_value(json_object_get(gig, "status"));
	char *bar, *page, *at;
	int complete;

	complete = json_array_size(json_object_get(gig, "packages")) > 0 &&
	    json_string_length(json_object_get(gig, "description")) > 0;
	json_object_set_new(pv, "complete", json_boolean(complete));
	json_object_set_new(pv, "has_extras",
	    json_boolean(json_array_size(json_object_get(gig, "extras")) > 0));
	json_object_set_new(pv, "has_requirements",
	    json_boolean(json_array_size(json_object_get(gig, "requirements")) > 0));
	json_object_set_new(pv, "can_submit", json_boolean(status_is(st, GIG_DRAFT) ||
	    status_is(st, GIG_REQUIRES_CHANGES)));
	choice_flags(pv, "status", st);
	json_object_set_new(pv, "has_errors", json_boolean(json_object_size(errors) > 0));
	json_object_set_new(pv, "errors", errors);
	json_object_set_new(pv, "steps", studio_steps_json(req->match.ints[0], "publish"));
	json_object_set_new(pv, "gig_id", json_integer(req->match.ints[0]));
	app_page(pv, i18n_str(app_lang(req), N_("Preview and publish")), NULL, req->path, NULL);
	json_object_set_new(json_object_get(pv, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	if (app_render(req, "studio/publish_bar", pv) != status)
		goto out;
	bar = arena_strdup(req->arena, buf_cstr(&req->body));
	if (app_render(req, "catalog/gig", pv) != status)
		goto out;
	page = arena_strdup(req->arena, buf_cstr(&req->body));
	if ((at = strstr(page, MAIN_OPEN)) != NULL) {
		at += strlen(MAIN_OPEN);
		buf_truncate(&req->body, 0);
		buf_append(&req->body, page, (size_t)(at - page));
		buf_puts(&req->body, bar);
		buf_puts(&req->body, at);
	}
out:
	json_decref(pv);
	return req->status;
}

/* GET /studio/gigs/{id}/publish */
static int
publish_get(http_req_t *req)
{
	json_t *pv;
	int rc;

	if ((rc = studio_db_preview(APP(req)->db, req->user_id, req->match.ints[0],
	    app_lang(req), &pv)) != DB_OK)
		return app_db_status(req, rc);
	return publish_page(req, pv, json_object(), 200);
}

/* POST /studio/gigs/{id}/submit */
static int
submit_post(http_req_t *req)
{
	json_t *pv, *gig;
	const char *st;
	int rc;

	if ((rc = studio_db_preview(APP(req)->db, req->user_id, req->match.ints[0],
	    app_lang(req), &pv)) != DB_OK)
		return app_db_status(req, rc);
	gig = json_object_get(pv, "gig");
	st = json_string_value(json_object_get(gig, "status"));
	if (json_array_size(json_object_get(gig, "packages")) == 0 ||
	    json_string_length(json_object_get(gig, "description")) == 0)
		return publish_page(req, pv, json_pack("{s:{s:b}}", "submit", "incomplete", 1),
		    422);
	if (!status_is(st, GIG_DRAFT) && !status_is(st, GIG_REQUIRES_CHANGES))
		return publish_page(req, pv, json_pack("{s:{s:b}}", "submit", "status", 1), 409);
	rc = studio_set_status(req, req->match.ints[0], st, GIG_PENDING_REVIEW, NULL);
	json_decref(pv);
	if (rc != DB_OK)
		return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/publish",
	    req->match.ints[0]));
	return req->status;
}

/* POST /studio/gigs/{id}/status: action = pause | activate | archive. */
static int
status_post(http_req_t *req)
{
	const char *action = http_form(req, "action"), *from, *to;
	char status[24];
	int rc;

	if ((rc = studio_db_lock(APP(req)->db, req->user_id, req->match.ints[0], status,
	    sizeof(status))) != DB_OK)
		return app_db_status(req, rc);
	if (strcmp(action, "pause") == 0) {
		from = GIG_ACTIVE;
		to = GIG_PAUSED;
	} else if (strcmp(action, "activate") == 0) {
		from = GIG_PAUSED;
		to = GIG_ACTIVE;
	} else if (strcmp(action, "archive") == 0) {
		from = status;
		to = GIG_ARCHIVED;
	} else
		return app_error(req, 400, NULL);
	if (strcmp(from, status) != 0 || !studio_transition_ok(status, to))
		return app_error(req, 409, N_("This gig cannot do that in its current state."));
	if ((rc = studio_set_status(req, req->match.ints[0], from, to, NULL)) != DB_OK)
		return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/publish",
	    req->match.ints[0]));
	return req->status;
}

/* GET /studio/gigs/{id}: the first step not done yet. */
static int
gig_home(http_req_t *req)
{
	json_t *gig;
	const char *next = "publish";
	int rc;

	if ((rc = load_gig(req, &gig)) != 0)
		return rc;
	if (editable(gig_status(gig))) {
		if (json_array_size(json_object_get(gig, "packages")) == 0)
			next = "pricing";
		else if (json_string_length(json_object_get(gig, "description")) == 0)
			next = "description";
	}
	json_decref(gig);
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/%s",
	    req->match.ints[0], next));
	return req->status;
}

const route_t studio_routes[] = {
	{ "GET", "/studio/gigs/new", new_get, ROLE_SELLER, "studio.new" },
	{ "POST", "/studio/gigs/new", new_post, ROLE_SELLER, "studio.create" },
	{ "GET", "/studio/gigs/{id:int}", gig_home, ROLE_SELLER, "studio.gig" },
	{ "GET", "/studio/gigs/{id:int}/overview", overview_get, ROLE_SELLER, "studio.overview" },
	{ "POST", "/studio/gigs/{id:int}/overview", overview_post, ROLE_SELLER,
	    "studio.overview_save" },
	{ "GET", "/studio/gigs/{id:int}/pricing", pricing_get, ROLE_SELLER, "studio.pricing" },
	{ "POST", "/studio/gigs/{id:int}/pricing", pricing_post, ROLE_SELLER,
	    "studio.pricing_save" },
	{ "GET", "/studio/gigs/{id:int}/extras", extras_get, ROLE_SELLER, "studio.extras" },
	{ "POST", "/studio/gigs/{id:int}/extras", extras_post, ROLE_SELLER,
	    "studio.extras_save" },
	{ "GET", "/studio/gigs/{id:int}/description", description_get, ROLE_SELLER,
	    "studio.description" },
	{ "POST", "/studio/gigs/{id:int}/description", description_post, ROLE_SELLER,
	    "studio.description_save" },
	{ "GET", "/studio/gigs/{id:int}/requirements", requirements_get, ROLE_SELLER,
	    "studio.requirements" },
	{ "POST", "/studio/gigs/{id:int}/requirements", requirements_post, ROLE_SELLER,
	    "studio.requirements_save" },
	{ "GET", "/studio/gigs/{id:int}/gallery", gallery_get, ROLE_SELLER, "studio.gallery" },
	{ "POST", "/studio/gigs/{id:int}/gallery", gallery_post, ROLE_SELLER,
	    STUDIO_UPLOAD_ROUTE },
	{ "POST", "/studio/gigs/{id:int}/gallery/{mid:int}/up", gallery_up_post, ROLE_SELLER,
	    "studio.gallery_up" },
	{ "POST", "/studio/gigs/{id:int}/gallery/{mid:int}/down", gallery_down_post, ROLE_SELLER,
	    "studio.gallery_down" },
	{ "POST", "/studio/gigs/{id:int}/gallery/{mid:int}/cover", gallery_cover_post,
	    ROLE_SELLER, "studio.gallery_cover" },
	{ "POST", "/studio/gigs/{id:int}/gallery/{mid:int}/alt", gallery_alt_post, ROLE_SELLER,
	    "studio.gallery_alt" },
	{ "POST", "/studio/gigs/{id:int}/gallery/{mid:int}/remove", gallery_remove_post,
	    ROLE_SELLER, "studio.gallery_remove" },
	{ "POST", "/studio/gigs/{id:int}/gallery/order", gallery_order_post, ROLE_SELLER,
	    "studio.gallery_order" },
	{ "GET", "/studio/gigs/{id:int}/publish", publish_get, ROLE_SELLER, "studio.publish" },
	{ "POST", "/studio/gigs/{id:int}/submit", submit_post, ROLE_SELLER, "studio.submit" },
	{ "POST", "/studio/gigs/{id:int}/status", status_post, ROLE_SELLER, "studio.status" },
};
const size_t studio_nroutes = sizeof(studio_routes) / sizeof(studio_routes[0]);
