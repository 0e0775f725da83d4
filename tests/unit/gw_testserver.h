/*
 * gw_testserver.h - the loopback HTTP/1.1 server of the gateway unit tests
 * (test_payfast.c, test_ozow.c, test_stripe.c, test_paypal.c,
 * test_alipay.c, test_wechat.c): one thread on 127.0.0.1 answers each
 * connection with the next canned response and records the request it
 * got, so a test can check the bytes an adapter sends (method, path,
 * headers, body) and how it reads an answer, through the real
 * gateway_http() and libcurl.  Also RSA keys written to temporary PEM
 * files, for the adapters that load their keys from a path.
 *
 * Header-only and test-only (static functions): include it from one test
 * file per program.
 */
#ifndef SOUK_TESTS_GW_TESTSERVER_H
#define SOUK_TESTS_GW_TESTSERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define TS_MAX 16

struct ts_reply {
	int status;
	const char *body;
};

struct testserver {
	int fd;
	int port;
	char url[64];			/* http://127.0.0.1:<port> */
	pthread_t th;
	int nreplies;
	struct ts_reply replies[TS_MAX];
	int served;
	char *requests[TS_MAX];		/* raw request text, malloc'd */
};

/* The request @i as received (head and body), or "". */
static __attribute__((unused)) const char *
ts_request(struct testserver *s, int i)
{
	return i < s->served && s->requests[i] != NULL ? s->requests[i] : "";
}

/* The body of request @i (after the blank line), or "". */
static __attribute__((unused)) const char *
ts_body(struct testserver *s, int i)
{
	const char *r = ts_request(s, i), *p = strstr(r, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

/* Read one request (head, then Content-Length bytes of body) from @c; malloc'd. */
static char *
ts_read_request(int c)
{
	size_t len = 0, cap = 65536, want = 0;
	char *buf = calloc(1, cap + 1), *head_end;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		if ((n = read(c, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((head_end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (size_t)(head_end + 4 - buf);
			if (cl != NULL && cl < head_end)
				want += (size_t)strtoul(cl + 17, NULL, 10);
			if (len >= want)
				break;
		}
	}
	return buf;
}

static void *
ts_main(void *ud)
{
	struct testserver *s = ud;

	for (int i = 0; i < s->nreplies; i++) {
		int c = accept(s->fd, NULL, NULL);
		char out[8192];
		int n;

		if (c < 0)
			break;
		s->requests[i] = ts_read_request(c);
		s->served = i + 1;	/* before answering: the client reads it next */
		n = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->replies[i].status,
		    strlen(s->replies[i].body), s->replies[i].body);
		if (write(c, out, (size_t)n) < 0)
			perror("testserver write");
		close(c);
	}
	return NULL;
}

/* Start serving the @n replies (one connection each); returns 0 or -1. */
static __attribute__((unused)) int
ts_start(struct testserver *s, const struct ts_reply *replies, int n)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->nreplies = n > TS_MAX ? TS_MAX : n;
	memcpy(s->replies, replies, (size_t)s->nreplies * sizeof(*replies));
	if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s->fd, 8) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	s->port = ntohs(sa.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	return pthread_create(&s->th, NULL, ts_main, s) == 0 ? 0 : -1;
}

/* Stop: unblock accept, join, free the recorded requests. */
static __attribute__((unused)) void
ts_stop(struct testserver *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->fd);
	for (int i = 0; i < TS_MAX; i++)
		free(s->requests[i]);
	memset(s->requests, 0, sizeof(s->requests));
}

/* A new 2048-bit RSA key (caller EVP_PKEY_free). */
static __attribute__((unused)) EVP_PKEY *
ts_rsa_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	if (!k)
		abort();
	return k;
}

/* Write @k's private (or public) PEM to a new temp file; @path gets its name (>= 32 bytes). */
static __attribute__((unused)) void
ts_pem_file(EVP_PKEY *k, int private_key, char *path)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/souk-gwkey-XXXXXX");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	if (!f || (private_key ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_PUBKEY(f, k)) != 1)
		abort();
	fclose(f);
}

#endif
