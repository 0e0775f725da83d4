/*
 * webpush_web.c - the Web Push routes of souk-web (see webpush.h): the
 * VAPID public key and storing / forgetting a device's subscription.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "i18n/i18n.h"
#include "web/app.h"
#include "webpush/webpush.h"

/* Longest User-Agent kept with a subscription, bytes. */
#define UA_MAX 300

/* An error: JSON {"error", "message"} or the error page, by what the client accepts. */
static int
fail(http_req_t *req, int status, const char *code, const char *msgid)
{
	if (app_wants_json(req))
		return app_json(req, status, json_pack("{s:s, s:s}", "error", code,
		    "message", i18n_str(app_lang(req), msgid)));
	return app_error(req, status, msgid);
}

static int
allow_loopback(const http_req_t *req)
{
	return APP(req)->cfg.dev_mode || APP(req)->cfg.gateway_test_mode;
}

/* GET /push/key: the VAPID public key, base64url, as text/plain. */
static int
key_get(http_req_t *req)
{
	const webpush_vapid_t *v = webpush_vapid_cached(&APP(req)->cfg);

	if (v == NULL)
		return app_error(req, 404, N_("Push notifications are not available on this site."));
	req->status = 200;
	req->content_type_out = "text/plain; charset=utf-8";
	http_header(req, "Cache-Control", "no-cache");
	buf_truncate(&req->body, 0);
	buf_puts(&req->body, webpush_vapid_public(v));
	return 200;
}

/*
 * The subscription of the form: the field `subscription` (the JSON of
 * PushSubscription.toJSON()) or the fields endpoint, p256dh, auth.  The
 * strings point into @req's form or into *@holder (json_decref after use).
 */
static void
form_subscription(http_req_t *req, json_t **holder, const char **endpoint, const char **p256dh,
    const char **auth)
{
	const char *js = kv_get(&req->form, "subscription");
	json_t *j, *keys;

	*holder = NULL;
	*endpoint = kv_get(&req->form, "endpoint");
	*p256dh = kv_get(&req->form, "p256dh");
	*auth = kv_get(&req->form, "auth");
	if (js == NULL || (j = json_loads(js, 0, NULL)) == NULL)
		return;
	*holder = j;
	keys = json_object_get(j, "keys");
	*endpoint = json_string_value(json_object_get(j, "endpoint"));
	*p256dh = json_string_value(json_object_get(keys, "p256dh"));
	*auth = json_string_value(json_object_get(keys, "auth"));
}

/* The User-Agent header as printable ASCII, at most UA_MAX bytes (arena). */
static const char *
user_agent(http_req_t *req)
{
	const char *ua = http_req_header(req, "User-Agent");
	size_t n;
	char *s;

	if (ua == NULL)
		return "";
	n = strlen(ua);
	if (n > UA_MAX)
		n = UA_MAX;
	s = arena_strndup(req->arena, ua, n);
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return s;
}

/* POST /push/subscriptions: store this device's subscription for the caller. */
static int
subscribe_post(http_req_t *req)
{
	struct app *app = APP(req);
	unsigned char key[WEBPUSH_KEY_LEN + 1], secret[WEBPUSH_AUTH_LEN + 1];
	const char *endpoint, *p256dh, *auth, *p[5];
	char uid[32], *id = NULL;
	size_t kl = 0, al = 0;
	json_t *holder;
	int rc;

	form_subscription(req, &holder, &endpoint, &p256dh, &auth);
	if (!webpush_endpoint_ok(endpoint, allow_loopback(req))) {
		json_decref(holder);
		return fail(req, 422, "endpoint", N_("This browser's push address is not valid."));
	}
	if (webpush_b64url_decode(p256dh, key, sizeof(key), &kl) != WEBPUSH_OK ||
	    kl != WEBPUSH_KEY_LEN || !webpush_point_valid(key, kl)) {
		json_decref(holder);
		return fail(req, 422, "p256dh", N_("This browser's push key is not valid."));
	}
	if (webpush_b64url_decode(auth, secret, sizeof(secret), &al) != WEBPUSH_OK ||
	    al != WEBPUSH_AUTH_LEN) {
		json_decref(holder);
		return fail(req, 422, "auth", N_("This browser's push secret is not valid."));
	}
	/* Stored in the canonical unpadded base64url form (the table's CHECK). */
	{
		char *k64 = webpush_b64url_encode(key, kl), *a64 = webpush_b64url_encode(secret, al);

		snprintf(uid, sizeof(uid), "%lld", req->user_id);
		p[0] = uid;
		p[1] = arena_strdup(req->arena, endpoint);
		p[2] = k64 != NULL ? arena_strdup(req->arena, k64) : NULL;
		p[3] = a64 != NULL ? arena_strdup(req->arena, a64) : NULL;
		p[4] = user_agent(req);
		free(k64);
		free(a64);
	}
	json_decref(holder);
	if (p[2] == NULL || p[3] == NULL)
		return app_error(req, 500, NULL);
	if ((rc = db_begin(app->db)) != DB_OK)
		return app_db_status(req, rc);
	rc = db_query_value(app->db, req->arena, &id,
	    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, user_agent) "
	    "VALUES ($1::bigint, $2, $3, $4, $5) ON CONFLICT (endpoint) DO UPDATE SET "
	    "user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, "
	    "user_agent = EXCLUDED.user_agent, failures = 0, created_at = souk_now() "
	    "RETURNING id", 5, p);
	/* One row per device: keep the caller's newest WEBPUSH_MAX_PER_USER. */
	if (rc == DB_OK) {
		char max[16];

		snprintf(max, sizeof(max), "%d", WEBPUSH_MAX_PER_USER);
		rc = db_exec(app->db, NULL,
		    "DELETE FROM push_subscriptions WHERE user_id = $1::bigint AND id NOT IN "
		    "(SELECT id FROM push_subscriptions WHERE user_id = $1::bigint "
		    "ORDER BY created_at DESC, id DESC LIMIT $2::int)", 2,
		    (const char *[]){ uid, max });
	}
	if (rc == DB_OK)
		rc = db_commit(app->db);
	if (rc != DB_OK) {
		if (rc != DB_EDOWN)
			(void)db_rollback(app->db);
		return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
	}
	log_info("request_id=%s push subscription %s stored for user %lld", req->request_id,
	    id != NULL ? id : "?", req->user_id);
	if (app_wants_json(req))
		return app_json(req, 201, json_pack("{s:b, s:I}", "ok", 1,
		    "id", (json_int_t)strtoll(id != NULL ? id : "0", NULL, 10)));
	http_redirect(req, 303, "/settings/notifications");
	return req->status;
}

/* POST /push/subscriptions/delete: forget the caller's subscription with this endpoint. */
static int
unsubscribe_post(http_req_t *req)
{
	struct app *app = APP(req);
	const char *endpoint, *p256dh, *auth;
	char uid[32], *id = NULL;
	json_t *holder;
	int rc;

	form_subscription(req, &holder, &endpoint, &p256dh, &auth);
	if (endpoint == NULL || *endpoint == '\0') {
		json_decref(holder);
		return fail(req, 422, "endpoint", N_("This browser's push address is not valid."));
	}
	snprintf(uid, sizeof(uid), "%lld", req->user_id);
	rc = db_query_value(app->db, req->arena, &id,
	    "DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2::bigint "
	    "RETURNING id", 2, (const char *[]){ endpoint, uid });
	json_decref(holder);
	if (rc == DB_ENOROW)
		return fail(req, 404, "not_found",
		    N_("Push notifications are not enabled for this device."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if (app_wants_json(req)) {
		req->status = 204;
		http_no_store(req);
		buf_truncate(&req->body, 0);
		return 204;
	}
	http_redirect(req, 303, "/settings/notifications");
	return req->status;
}

const route_t webpush_routes[] = {
	{ "GET", "/push/key", key_get, ROLE_ANON, "webpush.key" },
	{ "POST", "/push/subscriptions", subscribe_post, ROLE_BUYER, "webpush.subscribe" },
	{ "POST", "/push/subscriptions/delete", unsubscribe_post, ROLE_BUYER,
	    "webpush.unsubscribe" },
};
const size_t webpush_nroutes = sizeof(webpush_routes) / sizeof(webpush_routes[0]);
