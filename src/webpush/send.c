/*
 * send.c - delivering a push message to a push service (RFC 8030) and the
 * souk-worker job "push" (see webpush.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/log.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "kv/kv.h"
#include "webpush/webpush.h"

/* Bytes of a push service's answer we keep for the log. */
#define ANSWER_MAX	512
/* Longest notification body sent, bytes (cut on a UTF-8 boundary). */
#define BODY_MAX	1000

struct answer {
	char	buf[ANSWER_MAX + 1];
	size_t	len;
};

/*
 * Whether @sa is an address a push service may have: not loopback,
 * private (RFC 1918, RFC 4193), link-local, CGNAT, multicast or
 * unspecified.  Subscriptions carry a URL chosen by the browser's user, so
 * without this check souk-worker could be made to POST into our own network.
 */
static int
addr_public(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const unsigned char *a = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;

		return !(a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) ||
		    (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		    (a[0] == 192 && a[1] == 0 && a[2] == 0));
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		const unsigned char *a = a6->s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			struct sockaddr_in v4;

			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			memcpy(&v4.sin_addr, a + 12, 4);
			return addr_public((const struct sockaddr *)(const void *)&v4);
		}
		return !(IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_LOOPBACK(a6) ||
		    IN6_IS_ADDR_LINKLOCAL(a6) || IN6_IS_ADDR_MULTICAST(a6) || (a[0] & 0xfe) == 0xfc);
	}
	return 0;
}

struct guard {
	int allow_private;	/* development and tests: the loopback stand-in */
	int blocked;		/* set when a connection was refused */
};

/* CURLOPT_OPENSOCKETFUNCTION: refuse to connect to a non-public address. */
static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct guard *g = ud;

	(void)purpose;
	if (!g->allow_private && !addr_public(&addr->addr)) {
		g->blocked = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

static size_t
on_answer(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct answer *a = ud;
	size_t n = size * nmemb, room = ANSWER_MAX - a->len;

	if (n < room)
		room = n;
	memcpy(a->buf + a->len, ptr, room);
	a->len += room;
	a->buf[a->len] = '\0';
	return n;
}

/* The answer's text fit for a one-line log: control characters become ' '. */
static void
answer_line(struct answer *a)
{
	for (size_t i = 0; i < a->len; i++)
		if ((unsigned char)a->buf[i] < 0x20 || a->buf[i] == 0x7f)
			a->buf[i] = ' ';
	if (a->len > 120)
		a->buf[120] = '\0';
}

int
webpush_send(const webpush_vapid_t *v, const char *subject, const struct webpush_sub *sub,
    const unsigned char *plain, size_t len, long ttl, const char *urgency, int allow_loopback,
    long *status, char *err, size_t errlen)
{
	struct curl_slist *hl = NULL, *tmp;
	unsigned char *body = NULL;
	char *auth = NULL, *origin = NULL, line[64];
	const char *hdrs[5];
	struct answer ans;
	struct guard guard = { allow_loopback, 0 };
	size_t bodylen = 0;
	CURLcode cc;
	CURL *h = NULL;
	int rc;

	*status = 0;
	if (!webpush_endpoint_ok(sub->endpoint, allow_loopback)) {
		snprintf(err, errlen, "endpoint not acceptable");
		return WEBPUSH_EINVAL;
	}
	if ((rc = webpush_encrypt(sub->p256dh, sub->auth, plain, len, &body, &bodylen, err,
	    errlen)) != WEBPUSH_OK)
		return rc;
	if ((auth = webpush_vapid_header(v, sub->endpoint, subject, time(NULL), err,
	    errlen)) == NULL) {
		rc = WEBPUSH_ECRYPTO;
		goto out;
	}
	origin = webpush_origin(sub->endpoint);
	rc = WEBPUSH_ECRYPTO;
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto out;
	}
	snprintf(line, sizeof(line), "TTL: %ld", ttl > 0 ? ttl : 0L);
	hdrs[0] = line;
	hdrs[1] = "Content-Encoding: aes128gcm";
	hdrs[2] = "Content-Type: application/octet-stream";
	hdrs[3] = urgency != NULL && strcmp(urgency, "high") == 0 ? "Urgency: high" :
	    urgency != NULL && strcmp(urgency, "low") == 0 ? "Urgency: low" :
	    urgency != NULL && strcmp(urgency, "very-low") == 0 ? "Urgency: very-low" :
	    "Urgency: normal";
	hdrs[4] = "Expect:";	/* no 100-continue round trip */
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if ((tmp = curl_slist_append(hl, hdrs[i])) == NULL)
			goto oom;
		hl = tmp;
	}
	{
		size_t n = strlen("Authorization: ") + strlen(auth) + 1;
		char *a = malloc(n);

		if (a == NULL)
			goto oom;
		snprintf(a, n, "Authorization: %s", auth);
		tmp = curl_slist_append(hl, a);
		free(a);
		if (tmp == NULL)
			goto oom;
		hl = tmp;
	}
	ans.len = 0;
	ans.buf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, sub->endpoint);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, allow_loopback ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)WEBPUSH_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "souk/1");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
	if ((cc = curl_easy_perform(h)) != CURLE_OK && guard.blocked) {
		snprintf(err, errlen, "%s: not a public address, refused",
		    origin != NULL ? origin : "push service");
		rc = WEBPUSH_EREJECTED;
		goto out;
	}
	if (cc != CURLE_OK) {
		/* The endpoint's path is a capability: log the origin only. */
		snprintf(err, errlen, "%s: %s", origin != NULL ? origin : "push service",
		    curl_easy_strerror(cc));
		rc = WEBPUSH_ERETRY;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	answer_line(&ans);
	if (*status >= 200 && *status < 300)
		rc = WEBPUSH_OK;
	else {
		if (*status == 404 || *status == 410)
			rc = WEBPUSH_EGONE;
		else if (*status == 429 || *status >= 500)
			rc = WEBPUSH_ERETRY;
		else
			rc = WEBPUSH_EREJECTED;
		snprintf(err, errlen, "%s answered %ld %s", origin != NULL ? origin : "push service",
		    *status, ans.buf);
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	curl_slist_free_all(hl);
	if (h != NULL)
		curl_easy_cleanup(h);
	free(body);
	free(auth);
	free(origin);
	return rc;
}

/* ==== the key of this process ==== */

static webpush_vapid_t *cached;
static char *cached_path;	/* the path @cached was loaded from, or failed to load */

const webpush_vapid_t *
webpush_vapid_cached(const struct souk_config *cfg)
{
	const char *path = cfg->vapid_private_key_file;
	char err[512];

	if (path == NULL || *path == '\0')
		return NULL;
	if (cached_path != NULL && strcmp(cached_path, path) == 0)
		return cached;
	webpush_vapid_free(cached);
	cached = NULL;
	free(cached_path);
	cached_path = strdup(path);
	if (webpush_vapid_load(path, &cached, err, sizeof(err)) != WEBPUSH_OK)
		log_error("web push is off: %s", err);
	return cached;
}

/* ==== the job "push" ==== */

static kv_conn_t *job_kv;	/* souk-worker's Redis connection for presence */

void
webpush_worker_end(void)
{
	kv_free(job_kv);
	job_kv = NULL;
	webpush_vapid_free(cached);
	cached = NULL;
	free(cached_path);
	cached_path = NULL;
}

/* 1 when the user has an open tab (presence:u:<id>), 0 otherwise or when Redis is down. */
static int
has_open_tab(const struct souk_config *cfg, long long user_id)
{
	char key[48];
	const char *argv[2] = { "EXISTS", key };
	redisReply *r;
	int open;

	if (job_kv == NULL)
		job_kv = kv_new(cfg->redis_url);
	snprintf(key, sizeof(key), "presence:u:%lld", user_id);
	if ((r = kv_command(job_kv, 2, argv, NULL)) == NULL) {
		/* souk-sse writes the keys to the same Redis: no Redis, no live tab. */
		log_warn("push: redis unreachable, sending without the presence check");
		return 0;
	}
	open = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return open;
}

/* @s cut to at most @max bytes on a UTF-8 boundary, "…" added when cut; a heap string. */
static char *
clip_utf8(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *r;

	if (n <= max)
		return strdup(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	if ((r = malloc(n + 4)) == NULL)
		return NULL;
	memcpy(r, s, n);
	memcpy(r + n, "\xe2\x80\xa6", 4);
	return r;
}

/* The plaintext {title, body, url, tag} of notification @n (a heap string). */
static char *
payload_of(long long id, json_t *n)
{
	const char *title = json_string_value(json_object_get(n, "title"));
	const char *body = json_string_value(json_object_get(n, "body"));
	const char *url = json_string_value(json_object_get(n, "url"));
	json_t *conv = json_object_get(json_object_get(n, "data"), "conversation_id");
	char tag[64], *b, *s;
	json_t *p;

	/* Messages of one conversation replace each other on the device. */
	if (json_is_integer(conv))
		snprintf(tag, sizeof(tag), "conversation-%lld", (long long)json_integer_value(conv));
	else
		snprintf(tag, sizeof(tag), "notification-%lld", id);
	if ((b = clip_utf8(body != NULL ? body : "", BODY_MAX)) == NULL)
		return NULL;
	p = json_pack("{s:s, s:s, s:s, s:s}", "title", title != NULL ? title : "Souk",
	    "body", b, "url", url != NULL && *url != '\0' ? url : "/notifications", "tag", tag);
	free(b);
	if (p == NULL)
		return NULL;
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

/* Record @sub_id's outcome for notification @id. */
static void
record(db_t *db, const char *id_s, const char *sub_s, int rc)
{
	const char *p[2] = { id_s, sub_s };
	char max_s[16];

	snprintf(max_s, sizeof(max_s), "%d", WEBPUSH_MAX_FAILURES);
	switch (rc) {
	case WEBPUSH_OK:
		(void)db_exec(db, NULL,
		    "WITH d AS (INSERT INTO push_deliveries (notification_id, subscription_id, "
		    "version) SELECT n.id, $2::bigint, n.created_at FROM notifications n "
		    "WHERE n.id = $1::bigint ON CONFLICT (notification_id, subscription_id) "
		    "DO UPDATE SET version = EXCLUDED.version, delivered_at = souk_now()) "
		    "UPDATE push_subscriptions SET last_success_at = souk_now(), failures = 0 "
		    "WHERE id = $2::bigint", 2, p);
		break;
	case WEBPUSH_EGONE:
		(void)db_exec(db, NULL, "DELETE FROM push_subscriptions WHERE id = $1::bigint", 1,
		    p + 1);
		break;
	case WEBPUSH_EREJECTED:
	case WEBPUSH_EINVAL:
		(void)db_exec(db, NULL,
		    "WITH f AS (UPDATE push_subscriptions SET failures = failures + 1 "
		    "WHERE id = $1::bigint RETURNING id, failures) "
		    "DELETE FROM push_subscriptions s USING f WHERE s.id = f.id AND f.failures >= "
		    "$2::int", 2, (const char *[]){ sub_s, max_s });
		break;
	default:	/* retry later */
		(void)db_exec(db, NULL, "UPDATE push_subscriptions SET failures = failures + 1 "
		    "WHERE id = $1::bigint", 1, p + 1);
		break;
	}
}

int
webpush_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen)
{
	json_t *jid = json_object_get(payload, "notification_id"), *n = NULL;
	const webpush_vapid_t *v;
	const char *type, *urgency;
	long long id, user_id;
	char id_s[32], uid_s[32], e[512], *plain = NULL;
	int rc, retry = 0, sent = 0, gone = 0, refused = 0, ret = JOB_OK;
	PGresult *res = NULL;

	if (!json_is_integer(jid) || (id = json_integer_value(jid)) <= 0) {
		snprintf(err, errlen, "payload needs a positive integer notification_id");
		return JOB_EPERM;
	}
	if ((v = webpush_vapid_cached(w->cfg)) == NULL) {
		log_info("push: notification %lld not pushed: web push is off "
		    "(vapid_private_key_file)", id);
		return JOB_OK;
	}
	snprintf(id_s, sizeof(id_s), "%lld", id);
	rc = db_query_json(w->db, &n,
	    "SELECT json_build_object('user_id', n.user_id, 'type', n.type, 'title', n.title, "
	    "'body', n.body, 'url', n.url, 'data', n.data, 'read', n.read_at IS NOT NULL) "
	    "FROM notifications n "
	    "WHERE n.id = $1::bigint", 1, (const char *[]){ id_s });
	if (rc == DB_ENOROW) {
		snprintf(err, errlen, "notification %lld does not exist", id);
		return JOB_EPERM;
	}
	if (rc != DB_OK) {
		snprintf(err, errlen, "database: %s", db_errmsg(w->db));
		return JOB_ERETRY;
	}
	user_id = json_integer_value(json_object_get(n, "user_id"));
	snprintf(uid_s, sizeof(uid_s), "%lld", user_id);
	if (json_is_true(json_object_get(n, "read"))) {
		log_info("push: notification %lld not pushed: already read", id);
		goto done;
	}
	if (has_open_tab(w->cfg, user_id)) {
		log_info("push: notification %lld not pushed: user %lld has an open tab", id,
		    user_id);
		goto done;
	}
	/* The devices that have not accepted this notification yet. */
	rc = db_exec(w->db, &res,
	    "SELECT s.id, s.endpoint, s.p256dh, s.auth FROM push_subscriptions s "
	    "WHERE s.user_id = $1::bigint AND NOT EXISTS (SELECT 1 FROM push_deliveries d "
	    "JOIN notifications n ON n.id = d.notification_id "
	    "WHERE d.subscription_id = s.id AND d.notification_id = $2::bigint "
	    "AND d.version = n.created_at) ORDER BY s.id",
	    2, (const char *[]){ uid_s, id_s });
	if (rc != DB_OK) {
		snprintf(err, errlen, "database: %s", db_errmsg(w->db));
		ret = JOB_ERETRY;
		goto done;
	}
	/* A new message is worth waking the device for (RFC 8030, 5.3). */
	type = json_string_value(json_object_get(n, "type"));
	urgency = type != NULL && strcmp(type, "message") == 0 ? "high" : "normal";
	if (PQntuples(res) > 0 && (plain = payload_of(id, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		ret = JOB_ERETRY;
		goto done;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct webpush_sub sub;
		size_t kl = 0, al = 0;
		long status = 0;

		sub.endpoint = PQgetvalue(res, i, 1);
		if (webpush_b64url_decode(PQgetvalue(res, i, 2), sub.p256dh, sizeof(sub.p256dh),
		    &kl) != WEBPUSH_OK || kl != WEBPUSH_KEY_LEN ||
		    webpush_b64url_decode(PQgetvalue(res, i, 3), sub.auth, sizeof(sub.auth),
		    &al) != WEBPUSH_OK || al != WEBPUSH_AUTH_LEN) {
			rc = WEBPUSH_EINVAL;
			snprintf(e, sizeof(e), "stored keys are malformed");
		} else
			rc = webpush_send(v, w->cfg->vapid_subject, &sub, (const unsigned char *)plain,
			    strlen(plain), w->cfg->push_ttl, urgency,
			    w->cfg->dev_mode || w->cfg->gateway_test_mode, &status, e, sizeof(e));
		record(w->db, id_s, PQgetvalue(res, i, 0), rc);
		switch (rc) {
		case WEBPUSH_OK:
			sent++;
			break;
		case WEBPUSH_EGONE:
			gone++;
			log_info("push: subscription %s of user %lld is gone (%s): deleted",
			    PQgetvalue(res, i, 0), user_id, e);
			break;
		case WEBPUSH_ERETRY:
		case WEBPUSH_ECRYPTO:
			retry++;
			snprintf(err, errlen, "subscription %s: %s", PQgetvalue(res, i, 0), e);
			break;
		default:
			refused++;
			log_warn("push: subscription %s of user %lld refused notification %lld: %s",
			    PQgetvalue(res, i, 0), user_id, id, e);
			break;
		}
	}
	/* pushed_at: once any device has accepted it (this run or an earlier one). */
	(void)db_exec(w->db, NULL,
	    "UPDATE notifications n SET pushed_at = souk_now() WHERE n.id = $1::bigint "
	    "AND (n.pushed_at IS NULL OR n.pushed_at < n.created_at) AND EXISTS (SELECT 1 "
	    "FROM push_deliveries d WHERE d.notification_id = n.id AND d.version = n.created_at)",
	    1, (const char *[]){ id_s });
	/* Delivery records only matter while a job may still be retried. */
	if (id % 100 == 0)
		(void)db_exec(w->db, NULL, "DELETE FROM push_deliveries "
		    "WHERE delivered_at < souk_now() - interval '30 days'", 0, NULL);
	if (PQntuples(res) > 0)
		log_info("push: notification %lld user %lld: sent=%d gone=%d refused=%d retry=%d",
		    id, user_id, sent, gone, refused, retry);
	if (retry > 0)
		ret = JOB_ERETRY;	/* err holds the last reason */
done:
	if (res != NULL)
		PQclear(res);
	free(plain);
	json_decref(n);
	return ret;
}
