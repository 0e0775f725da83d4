/*
 * http.c - FastCGI request in, HTTP response out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/http.h"

const char *
http_param(const http_req_t *req, const char *name)
{
	if (req->fcgx == NULL)
		return NULL;
	return FCGX_GetParam(name, req->fcgx->envp);
}

static const char *
param_or(const http_req_t *req, const char *name, const char *dflt)
{
	const char *v = http_param(req, name);

	return v != NULL ? v : dflt;
}

/* A request id nginx did not give us: 16 random bytes in hex. */
static const char *
new_request_id(arena_t *a)
{
	unsigned char raw[16];
	char *hex = arena_alloc(a, 33);

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, 33, raw, sizeof(raw));
	return hex;
}

int
http_req_init(http_req_t *req, FCGX_Request *fcgx, arena_t *a, size_t max_body)
{
	struct parse_limits lim = PARSE_LIMITS_DEFAULT;
	const char *uri, *q, *rid, *cl;
	long long n;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->fcgx = fcgx;
	req->start = clock_mono();
	req->status = 200;
	req->route_name = "-";
	req->content_length = -1;
	buf_init(&req->headers, a);
	buf_init(&req->body, a);

	req->method = param_or(req, "REQUEST_METHOD", "GET");
	req->head_only = strcmp(req->method, "HEAD") == 0;
	rid = http_param(req, "REQUEST_ID");
	if (rid == NULL || strlen(rid) > 64 || !http_header_token_ok(rid))
		rid = new_request_id(a);
	req->request_id = rid;
	req->remote_addr = param_or(req, "REMOTE_ADDR", "-");
	req->host = param_or(req, "HTTP_HOST", "");
	req->accept_language = param_or(req, "HTTP_ACCEPT_LANGUAGE", "");
	req->accept_encoding = param_or(req, "HTTP_ACCEPT_ENCODING", "");
	req->content_type = param_or(req, "CONTENT_TYPE", "");

	/* REQUEST_URI is the raw target; the router decodes segment by segment. */
	uri = param_or(req, "REQUEST_URI", "/");
	q = strchr(uri, '?');
	req->path = q ? arena_strndup(a, uri, (size_t)(q - uri)) : uri;
	req->query = param_or(req, "QUERY_STRING", q ? q + 1 : "");
	if (req->path[0] != '/' || strlen(req->path) > HTTP_MAX_PATH) {
		req->path = "/";
		return 400;
	}
	if (strlen(req->query) > HTTP_MAX_QUERY)
		return 400;
	if (http_parse_urlencoded(a, req->query, strlen(req->query), &lim,
	    &req->query_params) != PARSE_OK) {
		req->query_params.n = 0;
		return 400;
	}
	q = param_or(req, "HTTP_COOKIE", "");
	if (strlen(q) > HTTP_MAX_COOKIE ||
	    http_parse_cookies(a, q, &lim, &req->cookies) != PARSE_OK) {
		/* A broken cookie header must not lock a browser out: ignore it. */
		req->cookies.n = 0;
	}
	cl = http_param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		if (http_parse_int64(cl, 0, (long long)1 << 40, &n) != 0)
			return 400;
		req->content_length = n;
		/* Uploads have their own, larger limits (http/multipart.h). */
		if ((size_t)n > max_body &&
		    strncmp(req->content_type, "multipart/form-data", 19) != 0)
			return 413;
	}
	return 0;
}

int
http_read_body(http_req_t *req, size_t max_body)
{
	size_t len, got = 0;
	char *body;
	int r;

	if (req->raw_body != NULL)
		return 0;
	if (req->content_length <= 0) {
		req->raw_body = "";
		req->raw_body_len = 0;
		return 0;
	}
	if ((size_t)req->content_length > max_body)
		return 413;
	len = (size_t)req->content_length;
	body = arena_alloc(req->arena, len + 1);
	while (got < len && req->fcgx != NULL) {
		r = FCGX_GetStr(body + got, (int)(len - got), req->fcgx->in);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != len)
		return 400;
	body[len] = '\0';
	req->raw_body = body;
	req->raw_body_len = len;
	return 0;
}

int
http_read_form(http_req_t *req, size_t max_body)
{
	struct parse_limits lim = PARSE_LIMITS_DEFAULT;
	int r;

	if (req->content_length <= 0) {
		req->form.n = 0;
		return 0;
	}
	if ((size_t)req->content_length > max_body)
		return 413;
	if (strncmp(req->content_type, "application/x-www-form-urlencoded", 33) != 0)
		return 415;
	if ((r = http_read_body(req, max_body)) != 0)
		return r;
	if (http_parse_urlencoded(req->arena, req->raw_body, req->raw_body_len, &lim,
	    &req->form) != PARSE_OK)
		return 400;
	return 0;
}

const char *
http_req_header(const http_req_t *req, const char *name)
{
	char key[128];
	size_t i, o = 0;

	if (name == NULL)
		return NULL;
	if (strcasecmp(name, "Content-Type") == 0)
		return http_param(req, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return http_param(req, "CONTENT_LENGTH");
	memcpy(key, "HTTP_", 5);
	o = 5;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (o + 2 > sizeof(key))
			return NULL;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '-')
			c = '_';
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return NULL;
		key[o++] = c;
	}
	key[o] = '\0';
	return http_param(req, key);
}

void
http_header(http_req_t *req, const char *name, const char *value)
{
	if (!http_header_token_ok(name) || !http_header_token_ok(value)) {
		log_warn("http: dropped header %s with control characters", name);
		return;
	}
	buf_printf(&req->headers, "%s: %s\r\n", name, value);
}

const char *
http_form(const http_req_t *req, const char *name)
{
	const char *v = kv_get(&req->form, name);

	return v != NULL ? v : "";
}

void
http_no_store(http_req_t *req)
{
	http_header(req, "Cache-Control", "no-store");
}

void
http_redirect(http_req_t *req, int status, const char *location)
{
	req->status = status;
	http_header(req, "Location", location);
	buf_truncate(&req->body, 0);
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

int
http_send(http_req_t *req)
{
	buf_t head;

	buf_init(&head, req->arena);
	buf_printf(&head, "Status: %d %s\r\n", req->status, http_status_text(req->status));
	buf_printf(&head, "Content-Type: %s\r\n",
	    req->content_type_out ? req->content_type_out : "text/html; charset=utf-8");
	buf_printf(&head, "Content-Length: %zu\r\n", req->body.len);
	buf_printf(&head, "X-Request-Id: %s\r\n", req->request_id);
	buf_append(&head, req->headers.data, req->headers.len);
	buf_puts(&head, "\r\n");
	req->bytes_sent = req->body.len;
	if (req->fcgx == NULL)
		return 0;
	if (FCGX_PutStr(head.data, (int)head.len, req->fcgx->out) < 0)
		return -1;
	if (!req->head_only && req->body.len > 0 &&
	    FCGX_PutStr(req->body.data, (int)req->body.len, req->fcgx->out) < 0)
		return -1;
	return 0;
}

void
http_log_access(const http_req_t *req)
{
	double ms = (clock_mono() - req->start) * 1000.0;
	buf_t path;

	/* The path is client input: quote it and drop what would break logfmt. */
	buf_init(&path, req->arena);
	for (const char *p = req->path; *p != '\0' && path.len < 200; p++)
		buf_putc(&path, (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '?' : *p);
	log_raw("request_id=%s method=%s route=%s path=\"%s\" status=%d bytes=%zu ms=%.2f",
	    req->request_id, req->method, req->route_name, buf_cstr(&path), req->status,
	    req->bytes_sent, ms);
}
