/*
 * catalog.c - catalog pages: input validation, which query, which template.
 *
 * Filter values arrive in the query string.  Unknown values of the closed
 * lists (level, language, sort, ...) are ignored as if absent, so an old
 * or hand-edited link still shows a correct page; numbers that are not
 * numbers, or out of range, get a 400 page.  When a parameter is repeated
 * the first value counts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/catalog_db.h"
#include "core/log.h"
#include "gigstats/gigstats.h"
#include "i18n/i18n.h"
#include "web/app.h"

/* The translation of @msgid in the request's language. */
#define T(req, msgid) i18n_str(app_lang(req), (msgid))

struct option {
	const char *value;
	const char *label;
};

static const struct option delivery_opts[] = {
	{ "", N_("Any time") }, { "1", N_("Express 24h") }, { "3", N_("Up to 3 days") },
	{ "7", N_("Up to 7 days") }, { "14", N_("Up to 14 days") }, { NULL, NULL } };
static const struct option level_opts[] = {
	{ "", N_("Any level") }, { "new", N_("New seller") }, { "level_1", N_("Level 1") },
	{ "level_2", N_("Level 2") }, { "top_rated", N_("Top Rated") }, { NULL, NULL } };
static const struct option rating_opts[] = {
	{ "", N_("Any rating") }, { "4.5", N_("4.5 & up") }, { "4.0", N_("4.0 & up") },
	{ "3.5", N_("3.5 & up") }, { NULL, NULL } };
static const struct option language_opts[] = {
	{ "", N_("Any language") }, { "en", N_("English") }, { "zh", "中文" }, { NULL, NULL } };
static const struct option sort_opts[] = {
	{ "relevance", N_("Relevance") }, { "rating", N_("Best rated") }, { "newest", N_("Newest") },
	{ "price_asc", N_("Price: low to high") }, { NULL, NULL } };

/* The value if it is one of @opts, else NULL. */
static const char *
pick(const struct option *opts, const char *v)
{
	if (v == NULL)
		return NULL;
	for (; opts->value != NULL; opts++)
		if (opts->value[0] != '\0' && strcmp(opts->value, v) == 0)
			return opts->value;
	return NULL;
}

/* The options for a <select>, labels in @lang. */
static json_t *
options_json(const struct option *opts, const char *selected, const char *lang)
{
	json_t *a = json_array();

	for (; opts->value != NULL; opts++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value", opts->value,
		    "label", i18n_str(lang, opts->label),
		    "selected", selected ? strcmp(selected, opts->value) == 0 : opts->value[0] == '\0'));
	return a;
}

struct listing {
	struct catalog_filter f;
	const char *min_s, *max_s, *delivery, *level, *rating, *language, *sort;
	const char *error;	/* why the input was refused */
};

/* Dollars as typed ("25", "25.5") into cents; -1 on anything else. */
static long long
parse_dollars(const char *s)
{
	long long whole = 0, cents = 0;
	int digits = 0, frac = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (whole > 10000000LL)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && frac < 2; s++, frac++)
			cents = cents * 10 + (*s - '0');
	if (*s != '\0' || digits == 0)
		return -1;
	if (frac == 1)
		cents *= 10;
	return whole * 100 + cents;
}

static int
parse_listing(http_req_t *req, struct listing *l)
{
	const kvlist_t *qp = &req->query_params;
	const char *page = kv_get(qp, "page");
	long long n;

	memset(l, 0, sizeof(*l));
	l->f.min_price = l->f.max_price = -1;
	l->f.lang = app_lang(req);
	l->f.per_page = CATALOG_PER_PAGE;
	l->f.page = 1;
	if (page != NULL && page[0] != '\0') {
		if (http_parse_int64(page, 1, CATALOG_MAX_PAGE, &n) != 0) {
			l->error = N_("The page number must be a whole number from 1 to 1000.");
			return -1;
		}
		l->f.page = (int)n;
	}
	l->min_s = kv_get(qp, "min_price");
	l->max_s = kv_get(qp, "max_price");
	if (l->min_s != NULL && l->min_s[0] != '\0' &&
	    (l->f.min_price = parse_dollars(l->min_s)) < 0) {
		l->error = N_("The minimum budget must be an amount in dollars, like 25 or 25.50.");
		return -1;
	}
	if (l->max_s != NULL && l->max_s[0] != '\0' &&
	    (l->f.max_price = parse_dollars(l->max_s)) < 0) {
		l->error = N_("The maximum budget must be an amount in dollars, like 100 or 99.99.");
		return -1;
	}
	if ((l->delivery = pick(delivery_opts, kv_get(qp, "delivery"))) != NULL)
		l->f.max_delivery = atoi(l->delivery);
	l->f.level = l->level = pick(level_opts, kv_get(qp, "level"));
	if ((l->rating = pick(rating_opts, kv_get(qp, "rating"))) != NULL)
		l->f.min_rating = strtod(l->rating, NULL);
	l->f.language = l->language = pick(language_opts, kv_get(qp, "language"));
	l->sort = pick(sort_opts, kv_get(qp, "sort"));
	l->f.sort = l->sort ? l->sort : "relevance";
	return 0;
}

/* "key=value&" for each set filter, in a fixed order, for links. */
static void
filter_query(buf_t *b, const struct listing *l, const char *q)
{
	const char *keys[] = { "q", "min_price", "max_price", "delivery", "level", "rating",
	    "language", "sort" };
	const char *vals[] = { q, l->f.min_price >= 0 ? l->min_s : NULL,
	    l->f.max_price >= 0 ? l->max_s : NULL, l->delivery, l->level, l->rating,
	    l->language, l->sort };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (vals[i] == NULL || vals[i][0] == '\0')
			continue;
		buf_printf(b, "%s=", keys[i]);
		url_encode(b, vals[i], strlen(vals[i]));
		buf_putc(b, '&');
	}
}

static const char *
page_url(http_req_t *req, const char *base, const struct listing *l, const char *q, int page)
{
	buf_t b;

	buf_init(&b, req->arena);
	buf_puts(&b, base);
	buf_putc(&b, '?');
	filter_query(&b, l, q);
	if (page > 1)
		buf_printf(&b, "page=%d", page);
	else if (b.len > 0 && b.data[b.len - 1] == '&')
		buf_truncate(&b, b.len - 1);
	if (b.len > 0 && b.data[b.len - 1] == '?')
		buf_truncate(&b, b.len - 1);
	return arena_strdup(req->arena, buf_cstr(&b));
}

/* Add filters, options and pagination to a listing's context. */
static void
decorate_listing(http_req_t *req, json_t *ctx, const char *base, const struct listing *l,
    const char *q)
{
	long long total = json_integer_value(json_object_get(ctx, "total"));
	int pages = (int)((total + l->f.per_page - 1) / l->f.per_page);

	json_object_set_new(ctx, "filters", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "min_price", l->min_s ? l->min_s : "", "max_price", l->max_s ? l->max_s : "",
	    "delivery", l->delivery ? l->delivery : "", "level", l->level ? l->level : "",
	    "rating", l->rating ? l->rating : "", "language", l->language ? l->language : "",
	    "sort", l->f.sort));
	json_object_set_new(ctx, "options", json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "delivery", options_json(delivery_opts, l->delivery, app_lang(req)),
	    "level", options_json(level_opts, l->level, app_lang(req)),
	    "rating", options_json(rating_opts, l->rating, app_lang(req)),
	    "language", options_json(language_opts, l->language, app_lang(req)),
	    "sort", options_json(sort_opts, l->f.sort, app_lang(req))));
	json_object_set_new(ctx, "clear_url", json_string(page_url(req, base,
	    &(struct listing){ .f = { .min_price = -1, .max_price = -1 } }, q, 1)));
	if (pages > 1) {
		json_t *links = json_array(), *p;
		int last_gap = 0;

		for (int i = 1; i <= pages; i++) {
			/* First, last, and two either side of the current page. */
			if (i == 1 || i == pages || abs(i - l->f.page) <= 2) {
				json_array_append_new(links, json_pack("{s:i, s:s, s:b, s:b}",
				    "n", i, "url", page_url(req, base, l, q, i),
				    "current", i == l->f.page, "gap", 0));
				last_gap = 0;
			} else if (!last_gap) {
				json_array_append_new(links, json_pack("{s:b}", "gap", 1));
				last_gap = 1;
			}
		}
		p = json_pack("{s:i, s:i, s:I, s:o}", "page", l->f.page, "page_count", pages,
		    "total", (json_int_t)total, "links", links);
		if (l->f.page > 1)
			json_object_set_new(p, "prev_url",
			    json_string(page_url(req, base, l, q, l->f.page - 1)));
		if (l->f.page < pages)
			json_object_set_new(p, "next_url",
			    json_string(page_url(req, base, l, q, l->f.page + 1)));
		json_object_set_new(ctx, "pagination", p);
	}
}

int
catalog_home(http_req_t *req)
{
	json_t *ctx;
	int rc;

	if ((rc = catalog_db_home(APP(req)->db, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	app_page(ctx, T(req, N_("Souk — freelance services for your business")),
	    T(req, N_("Find freelancers for logo design, websites, marketing, writing, video and AI. Compare Basic, Standard and Premium packages and pay safely through escrow.")),
	    "/", "website");
	app_render(req, "catalog/home", ctx);
	json_decref(ctx);
	return req->status;
}

int
catalog_category(http_req_t *req)
{
	struct listing l;
	json_t *ctx, *cat;
	const char *slug = route_param(&req->match, "category");
	const char *base, *name, *desc;
	int rc;

	if (parse_listing(req, &l) != 0)
		return app_error(req, 400, l.error);
	l.f.category = slug;
	if ((rc = catalog_db_category(APP(req)->db, &l.f, &ctx)) != DB_OK)
		return app_db_status(req, rc);
	base = arena_printf(req->arena, "/c/%s", slug);
	cat = json_object_get(ctx, "category");
	name = json_string_value(json_object_get(cat, "name"));
	desc = json_string_value(json_object_get(cat, "description"));
	app_page(ctx, arena_printf(req->arena, T(req, N_("%s services | Souk")), name ? name : slug),
	    desc ? desc : "", page_url(req, base, &l, NULL, l.f.page), "website");
	decorate_listing(req, ctx, base, &l, NULL);
	if (l.f.page > 1 && json_array_size(json_object_get(ctx, "gigs")) == 0) {
		json_decref(ctx);
		return app_error(req, 404, N_("There is no such page of results."));
	}
	gigstats_count_impressions(req, json_object_get(ctx, "gigs"));
	app_render(req, "catalog/category", ctx);
	json_decref(ctx);
	return req->status;
}

int
catalog_search(http_req_t *req)
{
	struct listing l;
	json_t *ctx;
	const char *q = kv_get(&req->query_params, "q");
	int rc;

	if (parse_listing(req, &l) != 0)
		return app_error(req, 400, l.error);
	/* Collapse surrounding blanks; an empty query is a helpful empty page. */
	while (q != NULL && (*q == ' ' || *q == '\t'))
		q++;
	if (q != NULL && strlen(q) > 200)
		return app_error(req, 400, N_("Search for at most 200 characters."));
	if (q == NULL || *q == '\0') {
		ctx = json_pack("{s:[], s:i, s:b, s:s}", "gigs", "total", 0, "fuzzy", 0, "q", "");
	} else {
		l.f.q = q;
		if ((rc = catalog_db_search(APP(req)->db, &l.f, &ctx)) != DB_OK)
			return app_db_status(req, rc);
		json_object_set_new(ctx, "q", json_string(q));
	}
	app_page(ctx, q && *q ? arena_printf(req->arena, T(req, N_("%s — search | Souk")), q) :
	    T(req, N_("Search | Souk")), T(req, N_("Search freelance services on Souk.")),
	    page_url(req, "/search", &l, q, l.f.page), "website");
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	decorate_listing(req, ctx, "/search", &l, q);
	gigstats_count_impressions(req, json_object_get(ctx, "gigs"));
	app_render(req, "catalog/search", ctx);
	json_decref(ctx);
	return req->status;
}

/* At most @max bytes of @s, cut at a UTF-8 character boundary. */
static const char *
summary(arena_t *a, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return s;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return arena_printf(a, "%.*s…", (int)n, s);
}

int
catalog_gig(http_req_t *req)
{
	json_t *ctx, *gig, *img;
	const char *handle = route_param(&req->match, "handle");
	const char *slug = route_param(&req->match, "gig");
	const char *title, *desc;
	int rc;

	if ((rc = catalog_db_gig(APP(req)->db, handle, slug, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	gig = json_object_get(ctx, "gig");
	title = json_string_value(json_object_get(gig, "title"));
	desc = json_string_value(json_object_get(gig, "description"));
	app_page(ctx, arena_printf(req->arena, "%s | Souk", title ? title : slug),
	    desc ? summary(req->arena, desc, 155) : "",
	    arena_printf(req->arena, "/%s/%s", handle, slug), "product");
	img = json_object_get(json_array_get(json_object_get(gig, "media"), 0), "url");
	if (json_is_string(img))
		json_object_set_new(json_object_get(ctx, "page"), "og_image",
		    json_string(arena_printf(req->arena, "%s%s", APP(req)->cfg.base_url,
		    json_string_value(img))));
	gigstats_count_click(req, (long long)json_integer_value(json_object_get(gig, "id")));
	app_render(req, "catalog/gig", ctx);
	json_decref(ctx);
	return req->status;
}

int
catalog_seller(http_req_t *req)
{
	json_t *ctx, *s;
	const char *handle = route_param(&req->match, "handle");
	const char *name, *headline;
	int rc;

	if ((rc = catalog_db_seller(APP(req)->db, handle, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	s = json_object_get(ctx, "seller");
	name = json_string_value(json_object_get(s, "display_name"));
	headline = json_string_value(json_object_get(s, "headline"));
	app_page(ctx, arena_printf(req->arena, "%s (@%s) | Souk", name ? name : handle, handle),
	    headline ? headline : "", arena_printf(req->arena, "/u/%s", handle), "profile");
	app_render(req, "catalog/seller", ctx);
	json_decref(ctx);
	return req->status;
}

int
catalog_sitemap(http_req_t *req)
{
	json_t *ctx;
	int rc;

	if ((rc = catalog_db_sitemap(APP(req)->db, &ctx)) != DB_OK)
		return app_db_status(req, rc);
	app_render(req, "catalog/sitemap", ctx);
	req->content_type_out = "application/xml; charset=utf-8";
	json_decref(ctx);
	return req->status;
}

const route_t catalog_routes[] = {
	{ "GET", "/", catalog_home, ROLE_ANON, "home" },
	{ "GET", "/search", catalog_search, ROLE_ANON, "search" },
	{ "GET", "/sitemap.xml", catalog_sitemap, ROLE_ANON, "sitemap" },
	{ "GET", "/c/{category:slug}", catalog_category, ROLE_ANON, "category" },
	{ "GET", "/u/{handle:handle}", catalog_seller, ROLE_ANON, "seller" },
	{ "GET", "/{handle:handle}/{gig:slug}", catalog_gig, ROLE_ANON, "gig" },
};
const size_t catalog_nroutes = sizeof(catalog_routes) / sizeof(catalog_routes[0]);
