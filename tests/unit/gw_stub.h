/*
 * gw_stub.h - test helpers shared by test_paypal.c, test_alipay.c and
 * test_wechat.c: a scripted HTTP/1.1 server on 127.0.0.1 (a forked child
 * that answers N requests in order and records each request it got) and
 * RSA keys written to temporary PEM files, so the adapters run unchanged
 * through gateway_http() against a local peer.
 *
 * Header-only (static functions); include it once per test program.
 */
#ifndef SOUK_TESTS_GW_STUB_H
#define SOUK_TESTS_GW_STUB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/* One scripted answer. */
struct stub_reply {
	int status;
	const char *body;
};

struct stub {
	pid_t pid;
	int port;
	FILE *log;		/* the requests as received, separated by STUB_SEP */
	char url[64];		/* http://127.0.0.1:<port> */
};

#define STUB_SEP "\n=====\n"

/* Read one request (headers + Content-Length body) from @fd into @out (malloc'd). */
static __attribute__((unused)) size_t
stub_read_request(int fd, char **out)
{
	size_t cap = 65536, len = 0, need = 0;
	char *b = malloc(cap + 1), *end, *cl;
	ssize_t r;

	for (;;) {
		if (len == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		r = read(fd, b + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		b[len] = '\0';
		end = strstr(b, "\r\n\r\n");
		if (!end)
			continue;
		if (!need) {
			cl = strcasestr(b, "\r\ncontent-length:");
			need = (size_t)(end + 4 - b) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (len >= need)
			break;
	}
	b[len] = '\0';
	*out = b;
	return len;
}

/* Start answering @n requests with @replies, in order. */
static __attribute__((unused)) void
stub_start(struct stub *s, const struct stub_reply *replies, size_t n)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 8) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
		abort();
	s->port = ntohs(sa.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	s->log = tmpfile();
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		alarm(20);
		for (size_t i = 0; i < n; i++) {
			int fd = accept(ls, NULL, NULL);
			char *req, hdr[256];
			size_t len;
			int hl;

			if (fd < 0)
				_exit(1);
			len = stub_read_request(fd, &req);
			fwrite(req, 1, len, s->log);
			fputs(STUB_SEP, s->log);
			fflush(s->log);
			free(req);
			hl = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n", replies[i].status,
			    strlen(replies[i].body));
			if (write(fd, hdr, (size_t)hl) < 0 ||
			    write(fd, replies[i].body, strlen(replies[i].body)) < 0)
				_exit(1);
			close(fd);
		}
		_exit(0);
	}
	close(ls);
}

/* Stop the server; returns every request it received (malloc'd, caller frees). */
static __attribute__((unused)) char *
stub_finish(struct stub *s)
{
	long n;
	char *all;

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	fflush(s->log);
	n = ftell(s->log);
	all = malloc((size_t)n + 1);
	rewind(s->log);
	n = (long)fread(all, 1, (size_t)n, s->log);
	all[n] = '\0';
	fclose(s->log);
	return all;
}

/* The body of the @i-th recorded request (0-based) in @all (malloc'd, caller frees), or NULL. */
static __attribute__((unused)) char *
stub_body(const char *all, int i)
{
	const char *p = all, *e, *b;

	for (; i > 0 && p; i--) {
		p = strstr(p, STUB_SEP);
		if (p)
			p += strlen(STUB_SEP);
	}
	if (!p || !(e = strstr(p, STUB_SEP)) || !(b = strstr(p, "\r\n\r\n")) || b > e)
		return NULL;
	b += 4;
	return strndup(b, (size_t)(e - b));
}

/* A new 2048-bit RSA key (caller EVP_PKEY_free). */
static __attribute__((unused)) EVP_PKEY *
stub_rsa_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	if (!k)
		abort();
	return k;
}

/* Write @k's private (or public) PEM to a new temp file; @path gets its name (>= 32 bytes). */
static __attribute__((unused)) void
stub_pem_file(EVP_PKEY *k, int private_key, char *path)
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
