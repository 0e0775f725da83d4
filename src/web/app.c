/*
 * app.c - the souk-web application (see app.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "catalog/catalog.h"
#include "catalog/catalog_db.h"
#include "core/log.h"
#include "http/server.h"
#include "web/app.h"

/* Seconds the top-level category list is kept in a worker. */
#define NAV_TTL 60.0

static int health(http_req_t *req);

/*
 * The route table.  Literal routes come before patterns that could also
 * match them (router.h: first match wins).
 */
static const route_t routes[] = {
	{ "GET", "/", catalog_home, ROLE_ANON, "home" },
	{ "GET", "/search", catalog_search, ROLE_ANON, "search" },
	{ "GET", "/sitemap.xml", catalog_sitemap, ROLE_ANON, "sitemap" },
	{ "GET", "/healthz", health, ROLE_ANON, "healthz" },
	{ "GET", "/c/{category:slug}", catalog_category, ROLE_ANON, "category" },
	{ "GET", "/u/{handle:handle}", catalog_seller, ROLE_ANON, "seller" },
	{ "GET", "/{handle:handle}/{gig:slug}", catalog_gig, ROLE_ANON, "gig" },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* ==== set-up and the server hooks ==== */

static int
load_templates(struct app *app, char *err, size_t errlen)
{
	tmpl_set_t *set = tmpl_set_new();

	if (tmpl_set_load_dir(set, app->cfg.templates_dir, err, errlen) != 0) {
		tmpl_set_free(set);
		return -1;
	}
	if (app->tmpl != NULL)
		tmpl_set_free(app->tmpl);
	app->tmpl = set;
	return 0;
}

int
app_init(struct app *app, const char *config_path, char *err, size_t errlen)
{
	memset(app, 0, sizeof(*app));
	app->config_path = config_path;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (router_check_table(routes, NROUTES, err, errlen) != 0)
		return -1;
	if (config_load(&app->cfg, config_path, err, errlen) != 0)
		return -1;
	return load_templates(app, err, errlen);
}

void
app_free(struct app *app)
{
	tmpl_set_free(app->tmpl);
	config_free(&app->cfg);
	app->tmpl = NULL;
}

int
app_reload(void *ctx)
{
	struct app *app = ctx;
	struct souk_config cfg;
	char err[512];

	if (config_load(&cfg, app->config_path, err, sizeof(err)) != 0) {
		log_error("reload: %s", err);
		return -1;
	}
	config_free(&app->cfg);
	app->cfg = cfg;
	if (load_templates(app, err, sizeof(err)) != 0) {
		log_error("reload: %s", err);
		return -1;
	}
	server_set_workers(app->cfg.workers, app->cfg.max_requests);
	return 0;
}

int
app_worker_start(void *ctx)
{
	struct app *app = ctx;

	app->db = db_new(app->cfg.database_url);
	app->kv = kv_new(app->cfg.redis_url);
	app->arena = arena_new(256 * 1024);
	return 0;
}

void
app_worker_stop(void *ctx)
{
	struct app *app = ctx;

	db_free(app->db);
	kv_free(app->kv);
	arena_free(app->arena);
	json_decref(app->nav);
	app_free(app);
}

/* ==== rendering ==== */

const char *
app_lang(const http_req_t *req)
{
	(void)req;
	return "en";
}

/* {{#t}}…{{/t}}: the translation lambda.  English is the msgid itself. */
static int
lambda_t(void *closure, const char *text, size_t len, buf_t *out)
{
	(void)closure;
	buf_append(out, text, len);
	return 0;
}

void
app_page(json_t *ctx, const char *title, const char *description, const char *canonical,
    const char *og_type)
{
	json_object_set_new(ctx, "page", json_pack("{s:s, s:s, s:s, s:s}",
	    "title", title, "description", description ? description : "",
	    "canonical", canonical ? canonical : "/", "og_type", og_type ? og_type : "website"));
}

/* Top-level categories for the header, cached per worker. */
static json_t *
nav(http_req_t *req)
{
	struct app *app = APP(req);
	double now = http_now();
	json_t *fresh = NULL;

	if (app->nav != NULL && now - app->nav_at < NAV_TTL)
		return app->nav;
	if (app->db != NULL && catalog_db_nav(app->db, app_lang(req), &fresh) == DB_OK) {
		json_decref(app->nav);
		app->nav = fresh;
		app->nav_at = now;
	}
	return app->nav;	/* possibly stale, possibly NULL: pages still render */
}

int
app_render(http_req_t *req, const char *name, json_t *ctx)
{
	struct app *app = APP(req);
	tmpl_lambda_t lambdas[] = { { "t", lambda_t, (void *)app_lang(req) } };
	json_t *page, *n, *site;
	const char *canonical, *q;
	char err[256];

	site = json_pack("{s:s, s:s}", "name", "Souk", "base_url", app->cfg.base_url);
	json_object_set_new(ctx, "site", site);
	json_object_set_new(ctx, "lang", json_string(app_lang(req)));
	json_object_set_new(ctx, "request_id", json_string(req->request_id));
	if ((q = kv_get(&req->query_params, "q")) != NULL && json_object_get(ctx, "q") == NULL)
		json_object_set_new(ctx, "q", json_string(q));
	if ((n = nav(req)) != NULL)
		json_object_set(ctx, "nav", n);
	if ((page = json_object_get(ctx, "page")) == NULL) {
		app_page(ctx, "Souk", NULL, req->path, NULL);
		page = json_object_get(ctx, "page");
	}
	canonical = json_string_value(json_object_get(page, "canonical"));
	if (canonical != NULL && canonical[0] == '/')
		json_object_set_new(page, "canonical",
		    json_string(arena_printf(req->arena, "%s%s", app->cfg.base_url, canonical)));

	buf_truncate(&req->body, 0);
	if (tmpl_render(app->tmpl, name, ctx, lambdas, 1, &req->body, err, sizeof(err)) != 0) {
		log_error("render %s: %s", name, err);
		buf_truncate(&req->body, 0);
		buf_puts(&req->body, "<!doctype html><title>Error</title><h1>Something went wrong</h1>");
		req->status = 500;
	}
	return req->status;
}

static const char *
default_message(int status)
{
	switch (status) {
	case 400: return "The request could not be understood. Check the address or the form and try again.";
	case 403: return "You do not have access to this page.";
	case 404: return "We could not find that page. It may have moved, or the address may be mistyped.";
	case 405: return "This page does not accept that kind of request.";
	case 413: return "What you sent is too large.";
	case 415: return "That kind of content is not accepted here.";
	case 429: return "Too many requests. Please wait a moment and try again.";
	case 503: return "Souk is briefly unavailable while we fix something. Please try again in a minute.";
	default: return "Something went wrong on our side. It has been logged; please try again.";
	}
}

int
app_error(http_req_t *req, int status, const char *message)
{
	json_t *ctx = json_object();
	char title[64];

	req->status = status;
	snprintf(title, sizeof(title), "%d %s", status, http_status_text(status));
	app_page(ctx, title, NULL, req->path[0] == '/' ? "/" : "/", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	json_object_set_new(ctx, "status", json_integer(status));
	json_object_set_new(ctx, "title", json_string(http_status_text(status)));
	json_object_set_new(ctx, "message", json_string(message ? message : default_message(status)));
	if (status == 503)
		http_header(req, "Retry-After", "5");
	app_render(req, "errors/error", ctx);
	req->status = status;
	json_decref(ctx);
	return status;
}

int
app_db_status(http_req_t *req, int rc)
{
	switch (rc) {
	case DB_ENOROW:
		return app_error(req, 404, NULL);
	case DB_EDOWN:
		return app_error(req, 503, NULL);
	default:
		return app_error(req, 500, NULL);
	}
}

/* GET /healthz: 200 when PostgreSQL and Redis answer. */
static int
health(http_req_t *req)
{
	struct app *app = APP(req);
	const char *argv[] = { "PING" };
	redisReply *r;
	int ok_db, ok_kv;

	ok_db = db_exec(app->db, NULL, "SELECT 1", 0, NULL) == DB_OK;
	r = kv_command(app->kv, 1, argv, NULL);
	ok_kv = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (r != NULL)
		freeReplyObject(r);
	req->content_type_out = "text/plain; charset=utf-8";
	http_header(req, "Cache-Control", "no-store");
	buf_printf(&req->body, "db=%s redis=%s\n", ok_db ? "ok" : "down", ok_kv ? "ok" : "down");
	req->status = ok_db && ok_kv ? 200 : 503;
	return req->status;
}

/* ==== one request ==== */

void
app_handle(FCGX_Request *fcgx, void *ctx)
{
	struct app *app = ctx;
	http_req_t req;
	int rc;

	arena_reset(app->arena);
	rc = http_req_init(&req, fcgx, app->arena, app->cfg.max_body);
	req.app = app;
	if (rc != 0) {
		app_error(&req, rc, rc == 400 ? "The address contains characters or values "
		    "we cannot read. Check it and try again." : NULL);
		goto send;
	}
	rc = router_match(routes, NROUTES, req.method, req.path, req.arena, &req.match);
	switch (rc) {
	case ROUTER_OK:
		break;
	case ROUTER_METHOD_NOT_ALLOWED:
		http_header(&req, "Allow", req.match.allow);
		app_error(&req, 405, NULL);
		goto send;
	case ROUTER_BAD_REQUEST:
		app_error(&req, 400, NULL);
		goto send;
	default:
		app_error(&req, 404, NULL);
		goto send;
	}
	req.route_name = req.match.route->name;
	if (req.match.route->min_role > req.role) {
		app_error(&req, 403, NULL);
		goto send;
	}
	req.match.route->handler(&req);
send:
	if (http_send(&req) != 0)
		log_warn("request_id=%s client went away", req.request_id);
	http_log_access(&req);
}
