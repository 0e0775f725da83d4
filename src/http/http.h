/*
 * http.h - one HTTP request over FastCGI, and its response.
 *
 * http_req_init() reads the FastCGI parameters of an accepted request
 * (FastCGI 1.0 spec, as delivered by nginx's fastcgi_params), parses path,
 * query string, cookies and, on demand, an urlencoded body, with hard
 * limits.  Everything is allocated from the request's arena.  The handler
 * fills status, headers and body; http_send() writes them out and
 * http_log_access() writes the access-log line.
 */
#ifndef SOUK_HTTP_HTTP_H
#define SOUK_HTTP_HTTP_H

#include <stddef.h>

#include <fcgiapp.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/parse.h"
#include "http/router.h"

/* Hard limits on input, in bytes unless said otherwise. */
#define HTTP_MAX_PATH		2048
#define HTTP_MAX_QUERY		4096
#define HTTP_MAX_COOKIE		8192

typedef struct http_req {
	arena_t *arena;			/* freed (reset) when the request ends */
	FCGX_Request *fcgx;		/* NULL when built by tests */
	void *app;			/* the application (src/web/app.h) */

	/* Request, as received; all NUL-terminated and in the arena. */
	const char *method;		/* "GET", "POST", ... */
	const char *path;		/* raw (still %-encoded) path, no query */
	const char *query;		/* raw query string, "" when none */
	const char *request_id;		/* from nginx $request_id, else generated */
	const char *remote_addr;
	const char *host;
	const char *accept_language;
	const char *accept_encoding;
	const char *content_type;
	long long content_length;	/* -1 when absent */
	kvlist_t query_params;		/* decoded query string */
	kvlist_t form;			/* decoded urlencoded or multipart body */
	const char *raw_body;		/* the body as received (NUL-terminated), once read by
					 * http_read_form or http_read_body; NULL before */
	size_t raw_body_len;		/* its length in bytes */
	struct upload *uploads;		/* multipart files (http/multipart.h), in the arena */
	size_t nuploads;
	kvlist_t cookies;
	route_match_t match;		/* the route, once matched */
	const char *route_name;		/* for the access log ("-" before routing) */
	role_t role;			/* the caller's highest role (ROLE_ANON) */
	unsigned roles;			/* bit mask of 1u << role_t; 0 when anonymous */
	long long user_id;		/* 0 when anonymous */
	struct session *session;	/* src/identity/session.h; NULL when anonymous */
	const char *lang;		/* UI language: "en" or "zh-CN" */
	const char *csrf;		/* this request's CSRF token once computed */
	int cookie_secure;		/* add "Secure" to cookies (not plain http on loopback) */

	/* Response. */
	int status;
	const char *content_type_out;	/* default "text/html; charset=utf-8" */
	buf_t headers;			/* extra "Name: value\r\n" lines */
	buf_t body;
	int head_only;			/* HEAD: send headers, no body */
	size_t bytes_sent;
	double start;			/* monotonic seconds at accept */
} http_req_t;

/*
 * http_req_init - fill @req from the FastCGI request @fcgx.
 * @a: the request arena (owned by the caller, who resets it afterwards).
 * Returns: 0, or an HTTP status (400 malformed query, path or cookie
 * header, 413 body too large per @max_body bytes (multipart bodies are
 * checked later against the upload limits), 414-class overlong input
 * answered as 400) with the request still usable for an error page.
 */
int http_req_init(http_req_t *req, FCGX_Request *fcgx, arena_t *a, size_t max_body);

/*
 * http_read_form - read an application/x-www-form-urlencoded body of at
 * most @max_body bytes into req->form.
 * Returns: 0, 400 (malformed), 413 (too large) or 415 (other content type).
 */
int http_read_form(http_req_t *req, size_t max_body);

/*
 * http_read_body - read the request body of any content type, at most
 * @max_body bytes, into req->raw_body / req->raw_body_len (in the arena,
 * NUL-terminated; "" and 0 when there is none).  For webhooks that verify
 * the exact bytes (gateway notifications).  A body already read by
 * http_read_form is kept, not read twice.
 * Returns: 0, 400 (shorter than Content-Length) or 413 (too large).
 */
int http_read_body(http_req_t *req, size_t max_body);

/*
 * http_req_header - the request header @name as the client sent it, by its
 * HTTP name ("Stripe-Signature", "Content-Type"), from nginx's HTTP_*
 * FastCGI parameters; NULL when absent.  Owned by the request.
 */
const char *http_req_header(const http_req_t *req, const char *name);

/* http_param - a raw FastCGI parameter (e.g. "HTTP_USER_AGENT"), or NULL. */
const char *http_param(const http_req_t *req, const char *name);

/*
 * http_header - add a response header.  @value must not contain CR, LF or
 * other controls (it would split the response): such a header is dropped
 * and logged.  @name and @value are copied.
 */
void http_header(http_req_t *req, const char *name, const char *value);

/* http_form - the form field @name (req->form, first value), or "" when absent; owned by the request. */
const char *http_form(const http_req_t *req, const char *name);

/* http_no_store - mark the response as never stored by a cache (personal and staff pages). */
void http_no_store(http_req_t *req);

/* http_redirect - respond @status (301, 302, 303, 307) to @location (a path or URL). */
void http_redirect(http_req_t *req, int status, const char *location);

/* http_status_text - the reason phrase of @status ("Not Found"). */
const char *http_status_text(int status);

/*
 * http_send - write status line, headers (Content-Type, Content-Length,
 * X-Request-Id, the extra ones) and body to the FastCGI output stream.
 * Returns: 0, or -1 when the client went away.
 */
int http_send(http_req_t *req);

/* http_log_access - one logfmt line: request id, method, route, path, status, bytes, ms. */
void http_log_access(const http_req_t *req);

#endif
