/*
 * sse.c - souk-sse: evhttp + hiredis async (see sse.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "core/log.h"
#include "events/events.h"
#include "sse/sse.h"

#define RETRY_MS	3000	/* the reconnect delay we suggest, milliseconds */
#define STOP_RETRY_MS	1000	/* the same, sent on shutdown */
#define MAX_HELD	1000	/* live events held during a replay before the client is dropped */
#define USER_BUCKETS	4096
#define RATE_WINDOW	10	/* seconds averaged by events_per_second */
#define TOKEN_CHARS	43	/* session.c: base64url of 32 bytes */
#define TOPIC_BUCKETS	4096
#define PRESENCE_MIN_TTL 30	/* seconds: presence:u:<id> lives 3 heartbeats, at least this */
#define PRESENCE_GRACE	2	/* seconds between a user's last close and "offline" */
#define LASTSEEN_TTL	(30 * 86400)	/* seconds lastseen:u:<id> is kept */

enum { T_CONV, T_PRESENCE, T_KINDS };	/* ephemeral topics: ev:c:<id>, ev:p:<id> */

enum cstate { C_AUTH, C_REPLAY, C_LIVE };

struct held {
	struct sse_id id;
	char *frame;		/* malloc'd */
	size_t len;
};

struct user;
struct topic;

struct client {
	struct server *srv;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct user *user;
	struct client *unext, *uprev;	/* the user's clients */
	enum cstate state;
	int dead;		/* the connection is gone: req/conn invalid */
	int pending;		/* Redis callbacks that still point here */
	int have_last;
	int started;		/* the 200 answer has begun (stream_start) */
	struct sse_id last;	/* the last id written (or the Last-Event-ID) */
	struct held *held;
	int nheld;
	char skey[70];		/* the session's Redis key, checked at each heartbeat */
	long long conv;		/* ?conversation= (0: none) */
	char *scope;		/* ?scope= until the session is checked (malloc'd) */
	struct topic *topic[T_KINDS];	/* the ephemeral channels this client gets */
	struct client *tnext[T_KINDS], *tprev[T_KINDS];
};

/* The clients of one ephemeral channel: ev:c:<id> (T_CONV) or ev:p:<id> (T_PRESENCE). */
struct topic {
	int kind;
	long long id;
	struct topic *next;	/* bucket chain */
	struct client *clients;
	int n;
};

/* A user whose last stream here closed: "offline" after PRESENCE_GRACE unless back. */
struct offline {
	struct server *srv;
	long long uid;
	struct event *ev;
	struct offline *next, *prev;
};

struct user {
	long long id;
	struct user *next;	/* bucket chain */
	struct client *clients;
	int n;
};

struct server {
	const struct souk_config *cfg;
	struct event_base *base;
	struct evhttp *http;
	redisAsyncContext *cmd, *sub;
	int sub_ready;		/* PSUBSCRIBE confirmed */
	struct event *hb_timer, *redis_timer, *sig_term, *sig_int, *exit_timer;
	struct user *users[USER_BUCKETS];
	struct topic *topics[TOPIC_BUCKETS];
	struct offline *offline;	/* pending "offline" timers */
	unsigned char key[32];	/* the server key (cfg.secret_key) for scope tokens */
	int presence_ttl;	/* seconds */
	long long connections, nusers;
	long long events_total, delivered_total, dropped_slow, rejected_cap;
	long long rate[RATE_WINDOW];	/* events received per second, ring */
	time_t rate_sec;
	int stopping;
};

/* ------------------------------------------------------------------ */
/* pure helpers */

int
sse_id_parse(const char *s, struct sse_id *id)
{
	uint64_t v[2] = { 0, 0 };
	int part = 0, digits = 0;

	if (s == NULL)
		return -1;
	for (const char *p = s; ; p++) {
		if (*p >= '0' && *p <= '9') {
			if (++digits > 20 || v[part] > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return -1;
			v[part] = v[part] * 10 + (uint64_t)(*p - '0');
		} else if (*p == '-' && part == 0 && digits > 0) {
			part = 1;
			digits = 0;
		} else if (*p == '\0' && part == 1 && digits > 0) {
			break;
		} else
			return -1;
	}
	id->ms = v[0];
	id->seq = v[1];
	return 0;
}

int
sse_id_cmp(const struct sse_id *a, const struct sse_id *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

int
sse_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		const char *end;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t vl = len - nl - 1;

			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= outlen)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

int
sse_session_key(const char *token, char key[70])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t n = 0;

	for (; token[n] != '\0'; n++)
		if (!((token[n] >= 'a' && token[n] <= 'z') || (token[n] >= 'A' && token[n] <= 'Z') ||
		    (token[n] >= '0' && token[n] <= '9') || token[n] == '-' || token[n] == '_'))
			return -1;
	if (n != TOKEN_CHARS)
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)token, n);
	memcpy(key, "sess:", 5);
	sodium_bin2hex(key + 5, 65, h, sizeof(h));
	return 0;
}

int
sse_frame(void *out, const char *id, const char *type, const char *data, size_t datalen)
{
	struct evbuffer *b = out;
	size_t i = 0;

	if (id != NULL && id[0] != '\0' && evbuffer_add_printf(b, "id: %s\n", id) < 0)
		return -1;
	if (evbuffer_add_printf(b, "event: %s\n", type) < 0)
		return -1;
	do {
		const char *nl = memchr(data + i, '\n', datalen - i);
		size_t len = nl != NULL ? (size_t)(nl - (data + i)) : datalen - i;

		if (len > 0 && data[i + len - 1] == '\r')
			len--;
		if (evbuffer_add(b, "data: ", 6) != 0 || evbuffer_add(b, data + i, len) != 0 ||
		    evbuffer_add(b, "\n", 1) != 0)
			return -1;
		i = nl != NULL ? (size_t)(nl - data) + 1 : datalen;
	} while (i < datalen);
	return evbuffer_add(b, "\n", 1);
}

/* ------------------------------------------------------------------ */
/* users and clients */

static struct user **
user_slot(struct server *s, long long id)
{
	struct user **u = &s->users[(unsigned long long)id % USER_BUCKETS];

	while (*u != NULL && (*u)->id != id)
		u = &(*u)->next;
	return u;
}

static void
client_free_held(struct client *c)
{
	for (int i = 0; i < c->nheld; i++)
		free(c->held[i].frame);
	free(c->held);
	c->held = NULL;
	c->nheld = 0;
}

static void
client_maybe_free(struct client *c)
{
	if (c->dead && c->pending == 0) {
		client_free_held(c);
		free(c->scope);
		free(c);
	}
}

static struct topic **
topic_slot(struct server *s, int kind, long long id)
{
	struct topic **t = &s->topics[((unsigned long long)id * 2 + (unsigned long long)kind) %
	    TOPIC_BUCKETS];

	while (*t != NULL && ((*t)->id != id || (*t)->kind != kind))
		t = &(*t)->next;
	return t;
}

/* Add @c to the clients of topic (@kind, @id).  Returns: 0, or -1 on no memory. */
static int
topic_join(struct client *c, int kind, long long id)
{
	struct topic **slot = topic_slot(c->srv, kind, id), *t = *slot;

	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return -1;
		t->kind = kind;
		t->id = id;
		*slot = t;
	}
	c->topic[kind] = t;
	c->tprev[kind] = NULL;
	c->tnext[kind] = t->clients;
	if (t->clients != NULL)
		t->clients->tprev[kind] = c;
	t->clients = c;
	t->n++;
	return 0;
}

/* Take @c out of its topics (and a topic out of the table when empty). */
static void
topic_leave_all(struct client *c)
{
	for (int k = 0; k < T_KINDS; k++) {
		struct topic *t = c->topic[k];

		if (t == NULL)
			continue;
		if (c->tprev[k] != NULL)
			c->tprev[k]->tnext[k] = c->tnext[k];
		else
			t->clients = c->tnext[k];
		if (c->tnext[k] != NULL)
			c->tnext[k]->tprev[k] = c->tprev[k];
		c->topic[k] = NULL;
		c->tnext[k] = c->tprev[k] = NULL;
		if (--t->n == 0) {
			*topic_slot(c->srv, t->kind, t->id) = t->next;
			free(t);
		}
	}
}

static void presence_gone(struct server *s, long long uid);

/* Take @c out of its user's list (and the user out of the table when empty). */
static void
client_unlink(struct client *c)
{
	struct server *s = c->srv;
	struct user *u = c->user, **slot;

	topic_leave_all(c);
	if (u == NULL)
		return;
	if (c->uprev != NULL)
		c->uprev->unext = c->unext;
	else
		u->clients = c->unext;
	if (c->unext != NULL)
		c->unext->uprev = c->uprev;
	c->user = NULL;
	s->connections--;
	if (--u->n == 0) {
		long long uid = u->id;

		slot = user_slot(s, u->id);
		*slot = u->next;
		free(u);
		s->nusers--;
		presence_gone(s, uid);
	}
}

/*
 * The peer closed (or evhttp gave up on) @c's connection.  A request whose
 * answer was not finished is detached from its connection by libevent
 * ("the user needs to free it"), so it is freed here.
 */
static void
on_close(struct evhttp_connection *conn, void *arg)
{
	struct client *c = arg;

	(void)conn;
	if (c->dead)
		return;
	if (c->req != NULL && evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	c->dead = 1;
	c->req = NULL;
	c->conn = NULL;
	client_unlink(c);
	client_maybe_free(c);
}

/* Forget @c (unlinked, freed once no callback points at it); its connection is the caller's. */
static void
client_forget(struct client *c)
{
	if (c->dead)
		return;
	if (c->conn != NULL)
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
	c->dead = 1;
	c->req = NULL;
	c->conn = NULL;
	client_unlink(c);
	client_maybe_free(c);
}

/* Close @c's connection now (the request goes with it) and forget @c. */
static void
client_drop(struct client *c)
{
	struct evhttp_connection *conn = c->conn;

	if (c->dead || conn == NULL)
		return;
	client_forget(c);
	evhttp_connection_free(conn);
}

static void client_reject(struct client *c, int code, const char *reason, const char *text);

/* End @c's stream properly (the last chunk; its connection is evhttp's again) and forget @c. */
static void
client_end(struct client *c)
{
	struct evhttp_request *req = c->req;

	if (c->dead || req == NULL)
		return;
	if (!c->started) {	/* still looking up its position: not answered yet */
		client_reject(c, 503, "Service Unavailable", "events unavailable");
		return;
	}
	client_forget(c);
	evhttp_send_reply_end(req);
}

/* Bytes queued for @c and not yet written to its socket. */
static size_t
client_queued(struct client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);

	return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/*
 * Send @b (emptied) to @c; drop @c when its backlog passes the bound.
 * Returns: 0, or -1 when @c was dropped.
 */
static int
client_send(struct client *c, struct evbuffer *b)
{
	if (c->dead)
		return -1;
	evhttp_send_reply_chunk(c->req, b);
	if (client_queued(c) > c->srv->cfg->sse_max_buffer) {
		log_warn("sse: dropping a slow client of user %lld (%zu bytes queued)",
		    c->user != NULL ? c->user->id : 0, client_queued(c));
		c->srv->dropped_slow++;
		client_drop(c);
		return -1;
	}
	return 0;
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (code == 503 || code == 429)
		evhttp_add_header(h, "Retry-After", "3");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/* Answer @c's request with an error and forget @c. */
static void
client_reject(struct client *c, int code, const char *reason, const char *text)
{
	struct evhttp_request *req = c->req;

	client_forget(c);
	reply_text(req, code, reason, text);
}

/* ------------------------------------------------------------------ */
/* events */

/* Count one event received from Redis into the per-second ring. */
static void
rate_tick(struct server *s, long long add)
{
	time_t now = time(NULL);

	if (now != s->rate_sec) {
		long long gap = (long long)(now - s->rate_sec);

		for (long long i = 1; i <= gap && i <= RATE_WINDOW; i++)
			s->rate[(s->rate_sec + i) % RATE_WINDOW] = 0;
		s->rate_sec = now;
	}
	s->rate[now % RATE_WINDOW] += add;
}

/* Write (or hold, during a replay) one event for @c.  Events at or before the last id written are skipped. */
static void
client_event(struct client *c, const struct sse_id *id, const char *frame, size_t len)
{
	struct evbuffer *b;

	if (c->dead || c->state == C_AUTH)
		return;
	if (c->state == C_REPLAY) {
		struct held *h;

		if (c->nheld >= MAX_HELD) {
			log_warn("sse: too many live events during a replay; dropping the client");
			c->srv->dropped_slow++;
			client_drop(c);
			return;
		}
		if ((h = realloc(c->held, (size_t)(c->nheld + 1) * sizeof(*h))) == NULL)
			return;
		c->held = h;
		h = &c->held[c->nheld];
		if ((h->frame = malloc(len)) == NULL)
			return;
		memcpy(h->frame, frame, len);
		h->len = len;
		h->id = *id;
		c->nheld++;
		return;
	}
	if (c->have_last && sse_id_cmp(id, &c->last) <= 0)
		return;
	if ((b = evbuffer_new()) == NULL)
		return;
	evbuffer_add(b, frame, len);
	c->last = *id;
	c->have_last = 1;
	if (client_send(c, b) == 0)
		c->srv->delivered_total++;
	evbuffer_free(b);
}

/*
 * A pmessage on an ephemeral channel "ev:c:<id>" / "ev:p:<id>" (@idtext):
 * "\n<type>\n<json>" (an empty entry id).  Written without an "id:" line to
 * the topic's live clients (a client still replaying skips it: typing and
 * presence are momentary), so it never moves their Last-Event-ID.
 */
static void
dispatch_ephemeral(struct server *s, int kind, const char *idtext, const char *msg, size_t len)
{
	const char *nl2;
	char type[64], *end;
	struct evbuffer *frame, *b;
	struct topic *t;
	long long id = strtoll(idtext, &end, 10);

	if (*end != '\0' || id <= 0)
		return;
	s->events_total++;
	rate_tick(s, 1);
	if ((t = *topic_slot(s, kind, id)) == NULL)
		return;
	if (len < 2 || msg[0] != '\n' || (nl2 = memchr(msg + 1, '\n', len - 1)) == NULL ||
	    nl2 == msg + 1 || (size_t)(nl2 - msg - 1) >= sizeof(type))
		return;
	memcpy(type, msg + 1, (size_t)(nl2 - msg - 1));
	type[nl2 - msg - 1] = '\0';
	if (strpbrk(type, "\r") != NULL || (frame = evbuffer_new()) == NULL)
		return;
	if (sse_frame(frame, NULL, type, nl2 + 1, len - (size_t)(nl2 + 1 - msg)) == 0) {
		size_t flen = evbuffer_get_length(frame);
		const char *f = (const char *)evbuffer_pullup(frame, -1);

		for (struct client *c = t->clients, *next; c != NULL; c = next) {
			next = c->tnext[kind];
			if (c->state == C_LIVE && !c->dead && (b = evbuffer_new()) != NULL) {
				evbuffer_add(b, f, flen);
				if (client_send(c, b) == 0)
					s->delivered_total++;
				evbuffer_free(b);
			}
			/* client_send may have dropped the topic's last client */
			if (next == NULL || *topic_slot(s, kind, id) == NULL)
				break;
		}
	}
	evbuffer_free(frame);
}

/* A pmessage on "ev:u:<id>": "<entry id>\n<type>\n<json>". */
static void
dispatch(struct server *s, const char *channel, const char *msg, size_t len)
{
	const char *nl1, *nl2, *idp;
	char idbuf[48], type[64];
	struct sse_id id;
	struct evbuffer *frame;
	struct user *u;
	long long uid;
	char *end;

	if (strncmp(channel, "ev:c:", 5) == 0 || strncmp(channel, "ev:p:", 5) == 0) {
		dispatch_ephemeral(s, channel[3] == 'c' ? T_CONV : T_PRESENCE, channel + 5, msg, len);
		return;
	}
	if (strncmp(channel, "ev:u:", 5) != 0)
		return;
	uid = strtoll(channel + 5, &end, 10);
	if (*end != '\0' || uid <= 0)
		return;
	s->events_total++;
	rate_tick(s, 1);
	if ((u = *user_slot(s, uid)) == NULL)
		return;
	if ((nl1 = memchr(msg, '\n', len)) == NULL ||
	    (nl2 = memchr(nl1 + 1, '\n', len - (size_t)(nl1 + 1 - msg))) == NULL)
		return;
	idp = msg;
	if ((size_t)(nl1 - idp) >= sizeof(idbuf) || (size_t)(nl2 - nl1 - 1) >= sizeof(type) ||
	    nl2 == nl1 + 1)
		return;
	memcpy(idbuf, idp, (size_t)(nl1 - idp));
	idbuf[nl1 - idp] = '\0';
	memcpy(type, nl1 + 1, (size_t)(nl2 - nl1 - 1));
	type[nl2 - nl1 - 1] = '\0';
	if (sse_id_parse(idbuf, &id) != 0 || strpbrk(type, "\r") != NULL)
		return;
	if ((frame = evbuffer_new()) == NULL)
		return;
	if (sse_frame(frame, idbuf, type, nl2 + 1, len - (size_t)(nl2 + 1 - msg)) == 0) {
		size_t flen = evbuffer_get_length(frame);
		const char *f = (const char *)evbuffer_pullup(frame, -1);

		for (struct client *c = u->clients, *next; c != NULL; c = next) {
			next = c->unext;
			client_event(c, &id, f, flen);
			/* client_event may have freed the user with its last client */
			if (next == NULL || *user_slot(s, uid) == NULL)
				break;
		}
	}
	evbuffer_free(frame);
}

/* ------------------------------------------------------------------ */
/* Redis */

static void redis_connect(struct server *s);

static int
parse_redis_url(const char *url, char *host, size_t hostlen, int *port, int *is_unix)
{
	const char *colon;

	if (strncmp(url, "unix:", 5) == 0) {
		*is_unix = 1;
		snprintf(host, hostlen, "%s", url + 5);
		return 0;
	}
	*is_unix = 0;
	if ((colon = strrchr(url, ':')) == NULL || (size_t)(colon - url) >= hostlen)
		return -1;
	memcpy(host, url, (size_t)(colon - url));
	host[colon - url] = '\0';
	*port = atoi(colon + 1);
	return *port > 0 ? 0 : -1;
}

static void
on_pmessage(redisAsyncContext *ac, void *r, void *priv)
{
	struct server *s = priv;
	redisReply *reply = r;

	(void)ac;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
		return;
	if (strcmp(reply->element[0]->str, "psubscribe") == 0) {
		/* one confirmation per pattern; ready with the third */
		if (reply->element[2]->type == REDIS_REPLY_INTEGER && reply->element[2]->integer == 3) {
			s->sub_ready = 1;
			log_info("sse: subscribed to ev:u:*, ev:c:*, ev:p:*");
		}
		return;
	}
	if (reply->elements == 4 && strcmp(reply->element[0]->str, "pmessage") == 0 &&
	    reply->element[2]->type == REDIS_REPLY_STRING && reply->element[3]->type == REDIS_REPLY_STRING)
		dispatch(s, reply->element[2]->str, reply->element[3]->str, reply->element[3]->len);
}

/* The subscriber is gone: close every stream (clients reconnect with Last-Event-ID). */
static void
drop_all(struct server *s)
{
	for (int i = 0; i < USER_BUCKETS; i++)
		while (s->users[i] != NULL)
			client_end(s->users[i]->clients);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct server *s = ac->data;

	if (ac == s->sub) {
		s->sub = NULL;
		s->sub_ready = 0;
		if (!s->stopping) {
			log_warn("sse: Redis subscriber connection lost (%s)", ac->errstr);
			drop_all(s);
		}
	} else if (ac == s->cmd) {
		s->cmd = NULL;
		if (!s->stopping)
			log_warn("sse: Redis command connection lost (%s)", ac->errstr);
	}
	(void)status;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct server *s = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context; the disconnect callback is not called */
		log_warn("sse: Redis connect failed: %s", ac->errstr);
		if (ac == s->sub) {
			s->sub = NULL;
			s->sub_ready = 0;
		} else if (ac == s->cmd)
			s->cmd = NULL;
	}
}

static redisAsyncContext *
redis_open(struct server *s)
{
	char host[256];
	int port = 0, is_unix = 0;
	redisAsyncContext *ac;

	if (parse_redis_url(s->cfg->redis_url, host, sizeof(host), &port, &is_unix) != 0) {
		log_error("sse: bad redis_url %s", s->cfg->redis_url);
		return NULL;
	}
	ac = is_unix ? redisAsyncConnectUnix(host) : redisAsyncConnect(host, port);
	if (ac == NULL)
		return NULL;
	if (ac->err) {
		log_warn("sse: Redis: %s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = s;
	redisLibeventAttach(ac, s->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	return ac;
}

static void
redis_connect(struct server *s)
{
	if (s->stopping)
		return;
	if (s->cmd == NULL)
		s->cmd = redis_open(s);
	if (s->sub == NULL && (s->sub = redis_open(s)) != NULL)
		redisAsyncCommand(s->sub, on_pmessage, s, "PSUBSCRIBE ev:u:* ev:c:* ev:p:*");
}

static void
on_redis_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	redis_connect(arg);
}

/* ------------------------------------------------------------------ */
/* presence: the Redis keys "presence:u:<id>" (EX presence_ttl, refreshed
 * every heartbeat while this instance holds a stream of the user) and
 * "lastseen:u:<id>" (Unix seconds of the last close), and the ephemeral
 * "presence" event on "ev:p:<id>" when the user comes or goes. */

/* Format Unix seconds @t as ISO 8601 UTC into @out (32 bytes). */
static void
iso_utc(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* The JSON of a presence event (the brief's payload) into @out (@outlen bytes). */
static void
presence_json(char *out, size_t outlen, long long uid, int online, long long last_seen)
{
	char iso[32];

	if (online || last_seen <= 0) {
		snprintf(out, outlen, "{\"user_id\":%lld,\"online\":%s,\"last_seen\":null}", uid,
		    online ? "true" : "false");
		return;
	}
	iso_utc(last_seen, iso);
	snprintf(out, outlen, "{\"user_id\":%lld,\"online\":false,\"last_seen\":\"%s\"}", uid, iso);
}

/* PUBLISH the presence of @uid on "ev:p:<uid>" (to every instance's scoped clients). */
static void
presence_publish(struct server *s, long long uid, int online, long long last_seen)
{
	char msg[192], json[160];

	if (s->cmd == NULL)
		return;
	presence_json(json, sizeof(json), uid, online, last_seen);
	snprintf(msg, sizeof(msg), "\npresence\n%s", json);
	redisAsyncCommand(s->cmd, NULL, NULL, "PUBLISH ev:p:%lld %s", uid, msg);
}

/* SET ... GET reply: no previous value -> the user just came online. */
static void
on_presence_set(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *reply = r;
	struct server *s = ac->data;

	if (reply != NULL && reply->type == REDIS_REPLY_NIL && !s->stopping)
		presence_publish(s, (long long)(intptr_t)priv, 1, 0);
}

/* (Re)set presence:u:<uid> for presence_ttl seconds. */
static void
presence_touch(struct server *s, long long uid)
{
	if (s->cmd != NULL)
		redisAsyncCommand(s->cmd, on_presence_set, (void *)(intptr_t)uid,
		    "SET presence:u:%lld 1 EX %d GET", uid, s->presence_ttl);
}

/* @uid went offline here: DEL its key, note lastseen, tell the listeners. */
static void
presence_offline_now(struct server *s, long long uid)
{
	long long now = (long long)time(NULL);

	if (s->cmd == NULL)
		return;
	redisAsyncCommand(s->cmd, NULL, NULL, "DEL presence:u:%lld", uid);
	redisAsyncCommand(s->cmd, NULL, NULL, "SET lastseen:u:%lld %lld EX %d", uid, now,
	    LASTSEEN_TTL);
	presence_publish(s, uid, 0, now);
}

static void
offline_free(struct offline *o)
{
	struct server *s = o->srv;

	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		s->offline = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	event_free(o->ev);
	free(o);
}

static void
on_offline_timer(evutil_socket_t fd, short what, void *arg)
{
	struct offline *o = arg;
	struct server *s = o->srv;
	long long uid = o->uid;

	(void)fd;
	(void)what;
	offline_free(o);
	if (*user_slot(s, uid) == NULL)	/* not back on this instance meanwhile */
		presence_offline_now(s, uid);
}

/*
 * The last stream of @uid on this instance closed: offline after
 * PRESENCE_GRACE seconds unless a stream of the user opens here again
 * (moving from page to page reopens the stream at once); at once when
 * stopping.
 */
static void
presence_gone(struct server *s, long long uid)
{
	struct timeval tv = { PRESENCE_GRACE, 0 };
	struct offline *o;

	if (s->stopping || (o = calloc(1, sizeof(*o))) == NULL) {
		presence_offline_now(s, uid);
		return;
	}
	o->srv = s;
	o->uid = uid;
	if ((o->ev = evtimer_new(s->base, on_offline_timer, o)) == NULL) {
		free(o);
		presence_offline_now(s, uid);
		return;
	}
	o->next = s->offline;
	if (s->offline != NULL)
		s->offline->prev = o;
	s->offline = o;
	evtimer_add(o->ev, &tv);
}

/* MGET presence:u:<other> lastseen:u:<other>: the other participant's state now, to a scoped client. */
static void
on_presence_state(redisAsyncContext *ac, void *r, void *priv)
{
	struct client *c = priv;
	redisReply *reply = r;
	struct evbuffer *b;
	char json[160];

	(void)ac;
	c->pending--;
	if (c->dead) {
		client_maybe_free(c);
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    c->topic[T_PRESENCE] == NULL || (b = evbuffer_new()) == NULL)
		return;
	presence_json(json, sizeof(json), c->topic[T_PRESENCE]->id,
	    reply->element[0]->type == REDIS_REPLY_STRING,
	    reply->element[1]->type == REDIS_REPLY_STRING ? strtoll(reply->element[1]->str, NULL, 10) : 0);
	if (sse_frame(b, NULL, "presence", json, strlen(json)) == 0)
		client_send(c, b);
	evbuffer_free(b);
}

/* Ask for the other participant's presence now for scoped client @c. */
static void
presence_state(struct client *c)
{
	struct server *s = c->srv;
	long long other;

	if (c->topic[T_PRESENCE] == NULL || s->cmd == NULL)
		return;
	other = c->topic[T_PRESENCE]->id;
	if (redisAsyncCommand(s->cmd, on_presence_state, c, "MGET presence:u:%lld lastseen:u:%lld",
	    other, other) == REDIS_OK)
		c->pending++;
}

/* ------------------------------------------------------------------ */
/* GET /events */

/* Start the 200 text/event-stream answer. */
static void
stream_start(struct client *c)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer *b;

	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(c->req, 200, "OK");
	c->started = 1;
	if ((b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "retry: %d\n\n", RETRY_MS);
		client_send(c, b);
		evbuffer_free(b);
	}
}

/* Replay over: write the live events held meanwhile that follow the replay. */
static void
go_live(struct client *c)
{
	struct held *held = c->held;
	int n = c->nheld;

	c->held = NULL;
	c->nheld = 0;
	c->state = C_LIVE;
	for (int i = 0; i < n && !c->dead; i++)
		client_event(c, &held[i].id, held[i].frame, held[i].len);
	for (int i = 0; i < n; i++)
		free(held[i].frame);
	free(held);
}

/* XRANGE reply: [[id, [field, value, ...]], ...]. */
static void
on_xrange(redisAsyncContext *ac, void *r, void *priv)
{
	struct client *c = priv;
	redisReply *reply = r;
	struct evbuffer *frame;

	(void)ac;
	c->pending--;
	if (c->dead) {
		client_maybe_free(c);
		return;
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && (frame = evbuffer_new()) != NULL) {
		for (size_t i = 0; i < reply->elements && !c->dead; i++) {
			redisReply *e = reply->element[i], *f;
			const char *type = NULL, *data = NULL;
			size_t datalen = 0;
			struct sse_id id;

			if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
			    e->element[0]->type != REDIS_REPLY_STRING ||
			    sse_id_parse(e->element[0]->str, &id) != 0 ||
			    (f = e->element[1])->type != REDIS_REPLY_ARRAY)
				continue;
			for (size_t j = 0; j + 1 < f->elements; j += 2) {
				if (f->element[j]->type != REDIS_REPLY_STRING ||
				    f->element[j + 1]->type != REDIS_REPLY_STRING)
					continue;
				if (strcmp(f->element[j]->str, "type") == 0)
					type = f->element[j + 1]->str;
				else if (strcmp(f->element[j]->str, "data") == 0) {
					data = f->element[j + 1]->str;
					datalen = f->element[j + 1]->len;
				}
			}
			if (type == NULL || data == NULL || strpbrk(type, "\r\n") != NULL ||
			    (c->have_last && sse_id_cmp(&id, &c->last) <= 0))
				continue;
			if (sse_frame(frame, e->element[0]->str, type, data, datalen) != 0)
				break;
			c->last = id;
			c->have_last = 1;
			c->srv->delivered_total++;
		}
		if (!c->dead && evbuffer_get_length(frame) > 0)
			client_send(c, frame);
		evbuffer_free(frame);
	} else if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		log_warn("sse: XRANGE failed; going live without replay");
	if (!c->dead)
		go_live(c);
}

/*
 * XREVRANGE ... COUNT 1 reply for a client that came without Last-Event-ID:
 * its position is the stream's newest entry ("0-0" when empty), announced as
 * "id: <top>\nevent: ready\ndata: {\"last_event_id\":\"<top>\"}".  A browser
 * that loses the connection before any event then still reconnects with a
 * Last-Event-ID and misses nothing published meanwhile.
 */
static void
on_top(redisAsyncContext *ac, void *r, void *priv)
{
	struct client *c = priv;
	redisReply *reply = r;
	struct sse_id top = { 0, 0 };
	char idbuf[48], json[96];
	struct evbuffer *b;

	(void)ac;
	c->pending--;
	if (c->dead) {
		client_maybe_free(c);
		return;
	}
	stream_start(c);
	if (c->dead)
		return;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		log_warn("sse: XREVRANGE failed; going live without a position");
		go_live(c);
		return;
	}
	if (reply->elements > 0 && reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements == 2 && reply->element[0]->element[0]->type == REDIS_REPLY_STRING)
		(void)sse_id_parse(reply->element[0]->element[0]->str, &top);
	snprintf(idbuf, sizeof(idbuf), "%llu-%llu", (unsigned long long)top.ms,
	    (unsigned long long)top.seq);
	snprintf(json, sizeof(json), "{\"last_event_id\":\"%s\"}", idbuf);
	c->last = top;
	c->have_last = 1;
	if ((b = evbuffer_new()) != NULL) {
		if (sse_frame(b, idbuf, "ready", json, strlen(json)) == 0)
			client_send(c, b);
		evbuffer_free(b);
	}
	if (!c->dead)
		go_live(c);
}

/* The session hash: check it as session_load() does, then open the stream. */
static void
on_session(redisAsyncContext *ac, void *r, void *priv)
{
	struct client *c = priv;
	struct server *s = c->srv;
	redisReply *reply = r;
	long long uid = 0, abs_exp = 0, now = (long long)time(NULL), other = 0;
	int have_csrf = 0, new_user = 0;
	struct user **slot, *u;
	char key[48];

	(void)ac;
	c->pending--;
	if (c->dead) {
		client_maybe_free(c);
		return;
	}
	if (reply == NULL) {
		client_reject(c, 503, "Service Unavailable", "events unavailable");
		return;
	}
	if (reply->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i + 1 < reply->elements; i += 2) {
			const char *f = reply->element[i]->str, *v = reply->element[i + 1]->str;

			if (f == NULL || v == NULL)
				continue;
			if (strcmp(f, "uid") == 0)
				uid = strtoll(v, NULL, 10);
			else if (strcmp(f, "csrf") == 0 && strlen(v) == 64)
				have_csrf = 1;
			else if (strcmp(f, "abs_exp") == 0)
				abs_exp = strtoll(v, NULL, 10);
		}
	if (uid <= 0 || !have_csrf || abs_exp <= now) {
		client_reject(c, 401, "Unauthorized", "sign in first");
		return;
	}
	/* a conversation's ephemeral channels only with its scope (events.h) */
	if (c->conv > 0 && (c->scope == NULL ||
	    events_scope_check(s->key, uid, c->conv, c->scope, now, &other) != 0 || other <= 0)) {
		client_reject(c, 403, "Forbidden", "no access to this conversation");
		return;
	}
	free(c->scope);
	c->scope = NULL;
	slot = user_slot(s, uid);
	if (*slot != NULL && (*slot)->n >= s->cfg->sse_max_per_user) {
		s->rejected_cap++;
		client_reject(c, 429, "Too Many Requests", "too many open event streams");
		return;
	}
	if (!s->sub_ready || s->stopping || (c->have_last && s->cmd == NULL)) {
		client_reject(c, 503, "Service Unavailable", "events unavailable");
		return;
	}
	if ((u = *slot) == NULL) {
		if ((u = calloc(1, sizeof(*u))) == NULL) {
			client_reject(c, 503, "Service Unavailable", "events unavailable");
			return;
		}
		u->id = uid;
		*slot = u;
		s->nusers++;
		new_user = 1;
	}
	c->user = u;
	c->unext = u->clients;
	if (u->clients != NULL)
		u->clients->uprev = c;
	u->clients = c;
	u->n++;
	s->connections++;
	if (new_user)
		presence_touch(s, uid);
	if (c->conv > 0 && (topic_join(c, T_CONV, c->conv) != 0 ||
	    topic_join(c, T_PRESENCE, other) != 0)) {
		client_reject(c, 503, "Service Unavailable", "events unavailable");
		return;
	}
	/* live events are held until the replay, or the look-up of the stream's top, is over */
	c->state = C_REPLAY;
	snprintf(key, sizeof(key), "ev:u:%lld", uid);
	if (!c->have_last) {
		/*
		 * No Last-Event-ID: start after the stream's newest entry and say
		 * which it is; the answer starts once that is known (on_top), so an
		 * event the browser could see as sent after it connected is after
		 * the position.
		 */
		if (redisAsyncCommand(s->cmd, on_top, c, "XREVRANGE %s + - COUNT 1", key) == REDIS_OK)
			c->pending++;
		else {
			stream_start(c);
			if (!c->dead)
				go_live(c);
		}
	} else {
		stream_start(c);
		if (c->dead)
			return;
		/* Subscribed already (sub_ready): what the stream holds after the id, then the held live events. */
		char from[48];

		snprintf(from, sizeof(from), "%llu-%llu", (unsigned long long)c->last.ms,
		    (unsigned long long)c->last.seq);
		if (redisAsyncCommand(s->cmd, on_xrange, c, "XRANGE %s %s +", key, from) == REDIS_OK)
			c->pending++;
		else
			go_live(c);
	}
	if (!c->dead)
		presence_state(c);	/* answered after the XRANGE: the client is live by then */
}

static void
handle_events(struct server *s, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *cookie = evhttp_find_header(in, "Cookie");
	const char *lei = evhttp_find_header(in, "Last-Event-ID");
	struct evkeyvalq q;
	char token[64], key[70];
	struct client *c;
	const char *uri = evhttp_request_get_uri(req), *qs;
	struct sse_id last;
	int have_last = 0, bad = 0;
	long long conv = 0;
	char *scope = NULL;

	if (sse_cookie(cookie, "souk_sess", token, sizeof(token)) != 0 ||
	    sse_session_key(token, key) != 0) {
		reply_text(req, 401, "Unauthorized", "sign in first");
		return;
	}
	TAILQ_INIT(&q);
	if ((qs = strchr(uri, '?')) != NULL && evhttp_parse_query_str(qs + 1, &q) == 0) {
		const char *v = evhttp_find_header(&q, "last_event_id");
		const char *cv = evhttp_find_header(&q, "conversation");
		const char *sv = evhttp_find_header(&q, "scope");

		if (lei == NULL && v != NULL)
			have_last = sse_id_parse(v, &last) == 0;
		if (cv != NULL) {
			char *end;

			errno = 0;
			conv = strtoll(cv, &end, 10);
			if (cv[0] < '0' || cv[0] > '9' || *end != '\0' || errno != 0 || conv <= 0)
				bad = 1;
		} else if (sv != NULL)
			bad = 1;	/* a scope belongs to a conversation */
		if (sv != NULL && !bad && (strlen(sv) >= EVENTS_SCOPE_MAX || (scope = strdup(sv)) == NULL))
			bad = 1;
	}
	evhttp_clear_headers(&q);
	if (bad) {
		free(scope);
		reply_text(req, 400, "Bad Request", "bad conversation or scope");
		return;
	}
	if (lei != NULL)
		have_last = sse_id_parse(lei, &last) == 0;
	if (s->cmd == NULL || !s->sub_ready || s->stopping || (c = calloc(1, sizeof(*c))) == NULL) {
		free(scope);
		reply_text(req, 503, "Service Unavailable", "events unavailable");
		return;
	}
	c->conv = conv;
	c->scope = scope;
	c->srv = s;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	c->state = C_AUTH;
	c->have_last = have_last;
	memcpy(c->skey, key, sizeof(c->skey));
	if (have_last)
		c->last = last;
	evhttp_connection_set_closecb(c->conn, on_close, c);
	if (redisAsyncCommand(s->cmd, on_session, c, "HGETALL %s", key) != REDIS_OK) {
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
		free(c->scope);
		free(c);
		reply_text(req, 503, "Service Unavailable", "events unavailable");
		return;
	}
	c->pending++;
}

static void
handle_health(struct server *s, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	long long sum = 0;

	rate_tick(s, 0);
	for (int i = 0; i < RATE_WINDOW; i++)
		if ((time_t)i != s->rate_sec % RATE_WINDOW)	/* the running second is partial */
			sum += s->rate[i];
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evbuffer_add_printf(b, "{\"connections\":%lld,\"users\":%lld,\"events_total\":%lld,"
	    "\"events_per_second\":%.2f,\"delivered_total\":%lld,\"dropped_slow\":%lld,"
	    "\"rejected_cap\":%lld,\"redis\":\"%s\",\"pid\":%d}\n",
	    s->connections, s->nusers, s->events_total, (double)sum / (RATE_WINDOW - 1),
	    s->delivered_total, s->dropped_slow, s->rejected_cap,
	    s->sub_ready && s->cmd != NULL ? "up" : "down", (int)getpid());
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (path == NULL)
		path = "";
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		reply_text(req, 405, "Method Not Allowed", "GET only");
		return;
	}
	if (strcmp(path, "/events") == 0)
		handle_events(s, req);
	else if (strcmp(path, "/events/health") == 0)
		handle_health(s, req);
	else
		reply_text(req, 404, "Not Found", "not found");
}

/* ------------------------------------------------------------------ */
/* timers, signals, listening */

/* EXISTS reply for a live client's session: gone (signed out, expired) -> end the stream. */
static void
on_session_check(redisAsyncContext *ac, void *r, void *priv)
{
	struct client *c = priv;
	redisReply *reply = r;

	(void)ac;
	c->pending--;
	if (c->dead) {
		client_maybe_free(c);
		return;
	}
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
		log_info("sse: session of user %lld ended; closing its stream",
		    c->user != NULL ? c->user->id : 0);
		client_end(c);
	}
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < USER_BUCKETS; i++)
		for (struct user *u = s->users[i], *unext; u != NULL; u = unext) {
			int last_of_user = 0;

			unext = u->next;
			presence_touch(s, u->id);
			for (struct client *c = u->clients, *next; c != NULL && !last_of_user; c = next) {
				struct evbuffer *b;

				next = c->unext;
				last_of_user = next == NULL;
				if (c->state != C_LIVE || (b = evbuffer_new()) == NULL)
					continue;
				evbuffer_add(b, ": hb\n\n", 6);
				if (client_send(c, b) == 0 && s->cmd != NULL &&
				    redisAsyncCommand(s->cmd, on_session_check, c, "EXISTS %s",
				    c->skey) == REDIS_OK)
					c->pending++;
				evbuffer_free(b);
			}
		}
	if (s->cmd == NULL || s->sub == NULL)
		redis_connect(s);
}

static void
on_exit_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(((struct server *)arg)->base, NULL);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	struct timeval tv = { 0, 500000 };

	(void)what;
	if (s->stopping)
		return;
	log_info("sse: signal %d: closing %lld connections", (int)sig, s->connections);
	s->stopping = 1;
	for (int i = 0; i < USER_BUCKETS; i++)
		while (s->users[i] != NULL) {
			struct client *c = s->users[i]->clients;
			struct evhttp_request *req = c->req;
			struct evbuffer *b;

			if (!c->started) {
				client_end(c);	/* a 503 */
				continue;
			}
			b = evbuffer_new();
			client_forget(c);
			if (b != NULL) {
				evbuffer_add_printf(b, "retry: %d\n\n", STOP_RETRY_MS);
				evhttp_send_reply_chunk(req, b);
				evbuffer_free(b);
			}
			evhttp_send_reply_end(req);
		}
	/* users whose grace was running go offline now too */
	while (s->offline != NULL) {
		long long uid = s->offline->uid;

		offline_free(s->offline);
		presence_offline_now(s, uid);
	}
	/* let the last bytes leave, then stop */
	evtimer_add(s->exit_timer, &tv);
}

static int
listen_on(struct server *s, const char *addr)
{
	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sun;
		const char *path = addr + 5;
		size_t plen = strlen(path);
		evutil_socket_t fd;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (plen >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, path, plen + 1);
		unlink(path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || chmod(path, 0666) != 0 ||
		    listen(fd, 1024) != 0 || evutil_make_socket_nonblocking(fd) != 0 ||
		    evhttp_accept_socket(s->http, fd) != 0) {
			close(fd);
			return -1;
		}
		return 0;
	} else {
		char host[256];
		const char *colon = strrchr(addr, ':');

		if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
			return -1;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
		return evhttp_bind_socket(s->http, host, (ev_uint16_t)atoi(colon + 1));
	}
}

/* The server key as souk-web's load_secret (src/web/app.c) derives it. */
static int
load_key(const struct souk_config *cfg, unsigned char key[32])
{
	size_t n = 0;

	if (cfg->secret_key == NULL || cfg->secret_key[0] == '\0') {
		crypto_generichash(key, 32, (const unsigned char *)"souk development key", 20, NULL, 0);
		return 0;
	}
	if (sodium_hex2bin(key, 32, cfg->secret_key, strlen(cfg->secret_key), NULL, &n, NULL) != 0 ||
	    n != 32) {
		log_error("sse: secret_key must be 64 hex digits");
		return -1;
	}
	return 0;
}

int
sse_run(const struct souk_config *cfg)
{
	struct server *s;
	struct timeval hb = { cfg->sse_heartbeat > 0 ? cfg->sse_heartbeat : 15, 0 };
	int rc = 0;

	if (sodium_init() < 0)
		fatal("sse: sodium_init failed");
	signal(SIGPIPE, SIG_IGN);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->cfg = cfg;
	s->rate_sec = time(NULL);
	s->presence_ttl = 3 * (int)hb.tv_sec > PRESENCE_MIN_TTL ? 3 * (int)hb.tv_sec : PRESENCE_MIN_TTL;
	if (load_key(cfg, s->key) != 0) {
		free(s);
		return -1;
	}
	if ((s->base = event_base_new()) == NULL || (s->http = evhttp_new(s->base)) == NULL)
		fatal("sse: libevent initialisation failed");
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(s->http, on_request, s);
	evhttp_set_max_headers_size(s->http, 16384);
	evhttp_set_max_body_size(s->http, 0);
	if (listen_on(s, cfg->sse_listen) != 0) {
		log_error("sse: cannot listen on %s: %s", cfg->sse_listen, strerror(errno));
		rc = -1;
		goto out;
	}
	s->hb_timer = event_new(s->base, -1, EV_PERSIST, on_heartbeat, s);
	s->redis_timer = event_new(s->base, -1, EV_PERSIST, on_redis_timer, s);
	s->exit_timer = evtimer_new(s->base, on_exit_timer, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_stop, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_stop, s);
	event_add(s->hb_timer, &hb);
	event_add(s->redis_timer, &(struct timeval){ 1, 0 });
	event_add(s->sig_term, NULL);
	event_add(s->sig_int, NULL);
	redis_connect(s);
	log_info("sse: listening on %s (heartbeat %ds, %d streams per user, %zu bytes per client)",
	    cfg->sse_listen, (int)hb.tv_sec, cfg->sse_max_per_user, cfg->sse_max_buffer);
	event_base_dispatch(s->base);

	/* stopping: free what is left */
	event_del(s->redis_timer);
	/* pending callbacks run now with no reply, so nothing points at a client after this */
	if (s->sub != NULL) {
		redisAsyncContext *ac = s->sub;

		s->sub = NULL;
		redisAsyncFree(ac);
	}
	if (s->cmd != NULL) {
		redisAsyncContext *ac = s->cmd;

		s->cmd = NULL;
		redisAsyncFree(ac);
	}
	evhttp_free(s->http);	/* closes the remaining connections (their close callbacks run) */
	s->http = NULL;
	event_base_loop(s->base, EVLOOP_NONBLOCK);
	while (s->offline != NULL)
		offline_free(s->offline);
	event_free(s->hb_timer);
	event_free(s->redis_timer);
	event_free(s->exit_timer);
	event_free(s->sig_term);
	event_free(s->sig_int);
	log_info("sse: stopped");
out:
	if (s->http != NULL)
		evhttp_free(s->http);
	event_base_free(s->base);
	sodium_memzero(s->key, sizeof(s->key));
	free(s);
	return rc;
}
