/*
 * app.c - the souk-web application (see app.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin/admin.h"
#include "catalog/catalog.h"
#include "catalog/catalog_db.h"
#include "core/clock.h"
#include "core/log.h"
#include "gigstats/gigstats.h"
#include "http/multipart.h"
#include "http/server.h"
#include "i18n/i18n.h"
#include "identity/accounts.h"
#include "identity/session.h"
#include "crm/auto.h"
#include "crm/crm.h"
#include "crm/tools.h"
#include "messages/messages.h"
#include "moderation/moderation.h"
#include "notify/notifications.h"
#include "orders/orders.h"
#include "payouts/payouts.h"
#include "payments/payments.h"
#include "sellers/sellers.h"
#include "studio/studio.h"
#include "twofa/twofa.h"
#include "web/app.h"
#include "webpush/webpush.h"

/* Seconds the top-level category list is kept in a worker. */
#define NAV_TTL 60.0

static int health(http_req_t *req);

static const route_t app_routes[] = {
	{ "GET", "/healthz", health, ROLE_ANON, "healthz" },
};
static const size_t app_nroutes = sizeof(app_routes) / sizeof(app_routes[0]);

/*
 * The modules' route tables, joined in this order at start-up into one
 * table.  Literal routes must come before patterns that would also match
 * them (router.h: first match wins), so the catalog, whose last row is the
 * catch-all /{handle}/{gig}, comes last; router_check_table refuses a row
 * that an earlier one hides.
 */
static const struct {
	const route_t *routes;
	const size_t *n;
} modules[] = {
	{ app_routes, &app_nroutes },
	{ i18n_routes, &i18n_nroutes },
	{ admin_routes, &admin_nroutes },
	{ twofa_routes, &twofa_nroutes },
	{ sellers_routes, &sellers_nroutes },
	{ accounts_routes, &accounts_nroutes },
	{ moderation_routes, &moderation_nroutes },
	{ gigstats_routes, &gigstats_nroutes },
	{ studio_routes, &studio_nroutes },
	{ payments_routes, &payments_nroutes },
	{ payouts_routes, &payouts_nroutes },
	{ finance_routes, &finance_nroutes },
	{ orders_routes, &orders_nroutes },
	{ messages_routes, &messages_nroutes },
	{ webpush_routes, &webpush_nroutes },
	{ notifications_routes, &notifications_nroutes },
	{ crm_tools_routes, &crm_tools_nroutes },
	{ crm_auto_routes, &crm_auto_nroutes },
	{ crm_routes, &crm_nroutes },
	{ catalog_routes, &catalog_nroutes },
};

static route_t *routes;
static size_t nroutes;

static int
build_routes(char *err, size_t errlen)
{
	size_t i, n = 0, total = 0;

	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		total += *modules[i].n;
	free(routes);
	if ((routes = calloc(total, sizeof(*routes))) == NULL)
		fatal("app: out of memory");
	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		size_t m = *modules[i].n;

		memcpy(routes + n, modules[i].routes, m * sizeof(*routes));
		n += m;
	}
	nroutes = n;
	return router_check_table(routes, nroutes, err, errlen);
}

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

/* The server key from cfg.secret_key (64 hex digits), or a fixed key for development. */
static int
load_secret(struct app *app, char *err, size_t errlen)
{
	size_t n = 0;

	if (app->cfg.secret_key[0] == '\0') {
		log_warn("secret_key is not set: using the fixed development key; "
		    "set secret_key (64 hex digits) in production");
		crypto_generichash(app->secret, sizeof(app->secret),
		    (const unsigned char *)"souk development key", 20, NULL, 0);
		return 0;
	}
	if (sodium_hex2bin(app->secret, sizeof(app->secret), app->cfg.secret_key,
	    strlen(app->cfg.secret_key), NULL, &n, NULL) != 0 || n != sizeof(app->secret)) {
		snprintf(err, errlen, "secret_key must be 64 hex digits");
		return -1;
	}
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
	if (build_routes(err, errlen) != 0)
		return -1;
	if (config_load(&app->cfg, config_path, err, errlen) != 0)
		return -1;
	if (load_secret(app, err, errlen) != 0)
		return -1;
	/* Message catalogs: loaded here, before fork, shared by the workers. */
	if (i18n_load_default(err, errlen) != 0)
		return -1;
	return load_templates(app, err, errlen);
}

void
app_free(struct app *app)
{
	tmpl_set_free(app->tmpl);
	config_free(&app->cfg);
	app->tmpl = NULL;
	i18n_free();
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
	if (load_secret(app, err, sizeof(err)) != 0) {
		log_error("reload: %s", err);
		return -1;
	}
	if (i18n_load_default(err, sizeof(err)) != 0) {
		log_error("reload: %s", err);
		return -1;
	}
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
	json_decref(app->nav[0]);
	json_decref(app->nav[1]);
	app_free(app);
}

/* ==== rendering ==== */

const char *
app_lang(const http_req_t *req)
{
	return req->lang != NULL ? req->lang : "en";
}

int
app_unsafe_method(const http_req_t *req)
{
	return strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "PATCH") == 0 || strcmp(req->method, "DELETE") == 0;
}

int
app_wants_json(const http_req_t *req)
{
	const char *a = http_req_header(req, "Accept");

	return a != NULL && strstr(a, "application/json") != NULL;
}

int
app_json(http_req_t *req, int status, json_t *o)
{
	char *s;

	http_no_store(req);
	req->status = status;
	if (o == NULL)
		return status;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	req->content_type_out = "application/json";
	buf_truncate(&req->body, 0);
	buf_puts(&req->body, s != NULL ? s : "{}");
	free(s);
	return status;
}

/* The signed-in user for the page header, or NULL. */
static json_t *
user_json(const http_req_t *req)
{
	json_t *u, *roles;

	if (req->session == NULL)
		return NULL;
	roles = json_array();
	for (int r = ROLE_SELLER; r <= ROLE_SUPER_ADMIN; r++)
		if (req->roles & ROLE_BIT(r))
			json_array_append_new(roles, json_string(role_name((role_t)r)));
	u = json_pack("{s:I, s:s, s:o, s:b, s:b}", "id", (json_int_t)req->user_id,
	    "handle", req->session->handle, "roles", roles,
	    "is_seller", (req->roles & ROLE_BIT(ROLE_SELLER)) != 0,
	    "is_staff", req->role >= ROLE_SUPPORT);
	return u;
}

/*
 * {{#t}}…{{/t}}: the translation lambda.  The raw section text is the
 * msgid (English is the msgid itself); @closure is the request language.
 * The engine renders the result, so translations keep their {{tags}}.
 */
static int
lambda_t(void *closure, const char *text, size_t len, buf_t *out)
{
	size_t n;
	const char *s = i18n_gettext(closure, text, len, &n);

	buf_append(out, s, n);
	return 0;
}

void
app_form_error(json_t *errors, const char *field, const char *code)
{
	if (json_object_get(errors, field) != NULL)
		return;
	json_object_set_new(errors, field, json_pack("{s:b}", code, 1));
}

long long
app_form_int(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return LLONG_MIN;
	v = strtoll(s, &end, 10);
	while (*end == ' ')
		end++;
	if (*end != '\0' || v < lo || v > hi)
		return LLONG_MIN;
	return v;
}

const char *
app_pick(const char *const *list, const char *v)
{
	if (v == NULL)
		return NULL;
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return *list;
	return NULL;
}

void
app_page(json_t *ctx, const char *title, const char *description, const char *canonical,
    const char *og_type)
{
	json_object_set_new(ctx, "page", json_pack("{s:s, s:s, s:s, s:s}",
	    "title", title, "description", description ? description : "",
	    "canonical", canonical ? canonical : "/", "og_type", og_type ? og_type : "website"));
}

/* Top-level categories for the header, cached per worker and language. */
static json_t *
nav(http_req_t *req)
{
	struct app *app = APP(req);
	double now = clock_mono();
	json_t *fresh = NULL;
	int i = strcmp(app_lang(req), "zh-CN") == 0;

	if (app->nav[i] != NULL && now - app->nav_at[i] < NAV_TTL)
		return app->nav[i];
	if (app->db != NULL && catalog_db_nav(app->db, app_lang(req), &fresh) == DB_OK) {
		json_decref(app->nav[i]);
		app->nav[i] = fresh;
		app->nav_at[i] = now;
	}
	return app->nav[i];	/* possibly stale, possibly NULL: pages still render */
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
	if (req->session != NULL) {
		json_t *u = user_json(req);
		/* the inbox badge: one indexed sum; error pages (5xx) skip the database */
		long long unread = req->status >= 500 ? 0 :
		    messages_unread_total(app->db, req->user_id);

		if (unread > 0)
			json_object_set_new(u, "unread_messages", json_integer(unread));
		/* the bell: one count over a partial index (notifications.h) */
		unread = req->status >= 500 ? 0 : notifications_unread_count(app->db, req->user_id);
		json_object_set_new(u, "unread_notifications", json_integer(unread > 0 ? unread : 0));
		json_object_set_new(ctx, "user", u);
		json_object_set_new(ctx, "csrf", json_string(csrf_token(req)));
	} else if (req->csrf != NULL)
		json_object_set_new(ctx, "csrf", json_string(req->csrf));
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
	case 400: return N_("The request could not be understood. Check the address or the form and try again.");
	case 403: return N_("You do not have access to this page.");
	case 404: return N_("We could not find that page. It may have moved, or the address may be mistyped.");
	case 405: return N_("This page does not accept that kind of request.");
	case 413: return N_("What you sent is too large.");
	case 415: return N_("That kind of content is not accepted here.");
	case 429: return N_("Too many requests. Please wait a moment and try again.");
	case 503: return N_("Souk is briefly unavailable while we fix something. Please try again in a minute.");
	default: return N_("Something went wrong on our side. It has been logged; please try again.");
	}
}

int
app_error(http_req_t *req, int status, const char *message)
{
	json_t *ctx = json_object();
	const char *reason = i18n_status_text(app_lang(req), status);

	req->status = status;
	app_page(ctx, arena_printf(req->arena, "%d %s", status, reason), NULL,
	    req->path[0] == '/' ? "/" : "/", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	json_object_set_new(ctx, "status", json_integer(status));
	json_object_set_new(ctx, "title", json_string(reason));
	/* Messages are N_() texts (msgids); translate them at use. */
	json_object_set_new(ctx, "message", json_string(i18n_str(app_lang(req),
	    message ? message : default_message(status))));
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
	req.lang = i18n_negotiate(&req);
	/* Cookies carry Secure unless the site is plain http on loopback. */
	req.cookie_secure = !(strncmp(app->cfg.base_url, "http://127.", 11) == 0 ||
	    strncmp(app->cfg.base_url, "http://localhost", 16) == 0 ||
	    strncmp(app->cfg.base_url, "http://[::1]", 12) == 0);
	if (rc != 0) {
		app_error(&req, rc, rc == 400 ? N_("The address contains characters or values "
		    "we cannot read. Check it and try again.") : NULL);
		goto send;
	}
	rc = router_match(routes, nroutes, req.method, req.path, req.arena, &req.match);
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
	if (session_load(&req) != 0)
		log_warn("request_id=%s redis unreachable: request served anonymously",
		    req.request_id);
	/* Gateway notifications carry no session nor CSRF token: their handler
	 * reads the raw body and verifies the gateway's signature (src/payments). */
	if (app_unsafe_method(&req) && strcmp(req.route_name, PAYMENTS_NOTIFY_ROUTE) != 0) {
		/* Forms: read the body, then the CSRF token, before any handler. */
		if (strncmp(req.content_type, "application/x-www-form-urlencoded", 33) == 0 &&
		    (rc = http_read_form(&req, app->cfg.max_body)) != 0) {
			app_error(&req, rc, NULL);
			goto send;
		}
		/* multipart/form-data: fields into req.form, files to temporary files. */
		if (mp_is_multipart(req.content_type)) {
			struct upload_limits ulim = UPLOAD_LIMITS_DEFAULT;

			/* The gallery upload takes a video (src/studio/studio.h). */
			if (strcmp(req.route_name, STUDIO_UPLOAD_ROUTE) == 0) {
				ulim.max_file = STUDIO_UPLOAD_MAX_FILE;
				ulim.max_total = STUDIO_UPLOAD_MAX_BODY;
			}
			/* A message's files: too large ones get 413 from the handler,
			 * which keeps the typed text (src/messages/messages.h). */
			if (strcmp(req.route_name, MESSAGES_POST_ROUTE) == 0) {
				ulim.max_file = MESSAGES_UPLOAD_MAX_BODY;
				ulim.max_total = MESSAGES_UPLOAD_MAX_BODY;
			}
			if ((rc = http_read_multipart(&req, &ulim, http_upload_tmpdir())) != 0) {
				app_error(&req, rc, NULL);
				goto send;
			}
		}
		if (csrf_check(&req) != 0) {
			app_error(&req, 403, N_("This form has expired or did not come from Souk. "
			    "Go back, reload the page and send it again."));
			goto send;
		}
	}
	if (req.match.route->min_role > req.role) {
		if (req.role == ROLE_ANON && !app_unsafe_method(&req)) {
			buf_t next;

			buf_init(&next, req.arena);
			buf_puts(&next, "/login?next=");
			url_encode(&next, req.path, strlen(req.path));
			http_redirect(&req, 303, buf_cstr(&next));
		} else
			app_error(&req, 403, NULL);
		goto send;
	}
	req.match.route->handler(&req);
send:
	if (http_send(&req) != 0)
		log_warn("request_id=%s client went away", req.request_id);
	http_log_access(&req);
	/* Temporary upload files no handler took over. */
	http_uploads_cleanup(&req);
}
