/*
 * kv.c - hiredis connection with lazy reconnects.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "kv/kv.h"

struct kv_conn {
	char *url;
	redisContext *c;
	double last_attempt;
};

static int
kv_connect(kv_conn_t *kv)
{
	struct timeval tv = { 1, 0 };
	const char *colon;

	kv->last_attempt = clock_mono();
	if (kv->c != NULL)
		redisFree(kv->c);
	if (strncmp(kv->url, "unix:", 5) == 0)
		kv->c = redisConnectUnixWithTimeout(kv->url + 5, tv);
	else if ((colon = strrchr(kv->url, ':')) != NULL) {
		char host[256];
		size_t n = (size_t)(colon - kv->url);

		if (n >= sizeof(host))
			n = sizeof(host) - 1;
		memcpy(host, kv->url, n);
		host[n] = '\0';
		kv->c = redisConnectWithTimeout(host, atoi(colon + 1), tv);
	} else
		kv->c = redisConnectWithTimeout(kv->url, 6379, tv);
	if (kv->c == NULL || kv->c->err) {
		log_warn("kv: connect to %s failed: %s", kv->url,
		    kv->c ? kv->c->errstr : "out of memory");
		if (kv->c != NULL)
			redisFree(kv->c);
		kv->c = NULL;
		return -1;
	}
	redisSetTimeout(kv->c, tv);
	return 0;
}

kv_conn_t *
kv_new(const char *url)
{
	kv_conn_t *kv = calloc(1, sizeof(*kv));

	if (kv == NULL || (kv->url = strdup(url)) == NULL)
		fatal("kv: out of memory");
	(void)kv_connect(kv);
	return kv;
}

void
kv_free(kv_conn_t *kv)
{
	if (kv == NULL)
		return;
	if (kv->c != NULL)
		redisFree(kv->c);
	free(kv->url);
	free(kv);
}

int
kv_ensure(kv_conn_t *kv)
{
	if (kv->c != NULL && kv->c->err == 0)
		return 0;
	if (clock_mono() - kv->last_attempt < 0.5)
		return -1;
	return kv_connect(kv);
}

redisReply *
kv_command(kv_conn_t *kv, int argc, const char **argv, const size_t *argvlen)
{
	redisReply *r;

	if (kv_ensure(kv) != 0)
		return NULL;
	r = redisCommandArgv(kv->c, argc, argv, argvlen);
	if (r == NULL) {
		log_warn("kv: %s", kv->c->errstr);
		redisFree(kv->c);
		kv->c = NULL;
	}
	return r;
}
