/*
 * app.h - the souk-web application: configuration, templates, the route
 * table, and what every handler shares (rendering, error pages, the
 * worker's database and Redis connections).
 */
#ifndef SOUK_WEB_APP_H
#define SOUK_WEB_APP_H

#include <stddef.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "core/config.h"
#include "db/db.h"
#include "http/http.h"
#include "kv/kv.h"
#include "tmpl/tmpl.h"

struct app {
	const char *config_path;	/* may be NULL */
	struct souk_config cfg;
	tmpl_set_t *tmpl;		/* compiled in the master, shared by fork */
	db_t *db;			/* per worker */
	kv_conn_t *kv;			/* per worker */
	arena_t *arena;			/* per worker, reset after each request */
	unsigned char secret[32];	/* the server key (cfg.secret_key) */
	json_t *nav[2];			/* cached top-level categories: [0] en, [1] zh-CN */
	double nav_at[2];		/* monotonic seconds when each was loaded */
};

/*
 * app_init - load configuration from @config_path (NULL: defaults and
 * environment only) and compile the templates.  Runs in the master.
 * Returns: 0, or -1 with a message in @err.
 */
int app_init(struct app *app, const char *config_path, char *err, size_t errlen);

/* app_free - release what app_init allocated. */
void app_free(struct app *app);

/* Hooks for server_run (src/http/server.h); @ctx is the struct app. */
int app_reload(void *ctx);
int app_worker_start(void *ctx);
void app_worker_stop(void *ctx);
void app_handle(FCGX_Request *fcgx, void *ctx);

/* The application a request belongs to. */
#define APP(req) ((struct app *)(req)->app)

/*
 * app_render - render template @name with @ctx into the response body,
 * after adding the keys every page has (site, lang, page with an absolute
 * canonical URL, nav, q, request_id; templates/README.md).  @ctx is
 * borrowed (the caller still owns its reference).
 * Returns: the response status (req->status, or 500 when rendering failed).
 */
int app_render(http_req_t *req, const char *name, json_t *ctx);

/*
 * app_error - answer @status with the friendly error page and @message
 * (NULL: a default text for the status).  Never touches the database.
 * Returns: @status.
 */
int app_error(http_req_t *req, int status, const char *message);

/*
 * app_db_status - the status for a failed query: DB_ENOROW → 404,
 * DB_EDOWN → 503, anything else → 500; the error page is rendered.
 */
int app_db_status(http_req_t *req, int rc);

/* app_lang - the UI language of the request: "en" or "zh-CN" (req->lang). */
const char *app_lang(const http_req_t *req);

/*
 * app_unsafe_method - 1 for POST, PUT, PATCH and DELETE: requests whose
 * form app_handle reads and whose CSRF token it checks before the handler.
 */
int app_unsafe_method(const http_req_t *req);

/*
 * app_wants_json - whether the client asked for a JSON answer: its Accept
 * header names application/json (the page scripts send that; a plain form
 * post or link does not).
 * Returns: 1 or 0.
 */
int app_wants_json(const http_req_t *req);

/*
 * app_json - answer @status with the JSON value @o (stolen: the caller's
 * reference is released) as the body, compact, Content-Type
 * application/json, not cached; any body written before is replaced
 * ("{}" when @o cannot be serialized: out of memory).  @o NULL: only the
 * status and no-store are set, no body is written (for 204).
 * Returns: @status.
 */
int app_json(http_req_t *req, int status, json_t *o);

/*
 * app_form_error - record error @code (a key the template tests, e.g.
 * "required") for form field @field in @errors, unless the field already
 * has one: {"<field>": {"<code>": true}}.
 */
void app_form_error(json_t *errors, const char *field, const char *code);

/*
 * app_form_int - the whole number typed in form value @s (decimal digits,
 * spaces allowed around them, no sign) when it lies in @lo..@hi.
 * Returns: the number, or LLONG_MIN when @s is not such a number.
 */
long long app_form_int(const char *s, long long lo, long long hi);

/*
 * app_pick - the entry of the NULL-terminated @list equal to @v (a query
 * or form value checked against the values a filter allows).
 * Returns: that entry (owned by @list), or NULL when @v is NULL or not in @list.
 */
const char *app_pick(const char *const *list, const char *v);

/* app_page - set ctx.page: @title, @description, @canonical path (query allowed), @og_type. */
void app_page(json_t *ctx, const char *title, const char *description, const char *canonical,
    const char *og_type);

#endif
