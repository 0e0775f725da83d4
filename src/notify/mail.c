/*
 * mail.c - RFC 5322/2045/2047 messages, SMTP through libcurl, mail
 * templates and the "mail" job (see mail.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/utf8.h"
#include "http/parse.h"
#include "i18n/i18n.h"
#include "jobs/jobs.h"
#include "notify/mail.h"
#include "tmpl/tmpl.h"

#define MAIL_FOLD	78	/* preferred longest header line (RFC 5322 2.1.1) */
#define MAIL_LINE_MAX	998	/* longest line allowed, CRLF excluded */
#define MAIL_QP_LINE	76	/* longest quoted-printable line (RFC 2045 6.7) */
/*
 * UTF-8 bytes per encoded-word: 45 bytes are 60 base64 characters, and
 * with "=?UTF-8?B?" and "?=" the word is 72 octets, under the 75 of
 * RFC 2047 2.
 */
#define MAIL_WORD_BYTES	45
#define MAIL_NAME_MAX	200	/* longest From display name, bytes */
#define MAIL_SITE_NAME	"Souk"

/* ==== UTF-8 and header text ==== */

/*
 * 1 if @s may be the text of a header field: UTF-8 without control
 * characters (tab excepted).  CR and LF are what header injection needs.
 */
static int
header_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return utf8_valid(s, strlen(s));
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int
mail_address_ok(const char *addr)
{
	const char *at, *p;
	size_t local, domain;

	if (addr == NULL || strlen(addr) > 254 || (at = strchr(addr, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	local = (size_t)(at - addr);
	domain = strlen(at + 1);
	if (local == 0 || local > 64 || domain == 0)
		return 0;
	for (p = addr; p < at; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>()[]\\,;:\"", *p) != NULL)
			return 0;
	if (addr[0] == '.' || at[-1] == '.' || strstr(addr, "..") != NULL)
		return 0;
	for (p = at + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	if (at[1] == '.' || at[1] == '-' || at[domain] == '.' || at[domain] == '-')
		return 0;
	return 1;
}

/*
 * Append @len bytes of @s as RFC 2047 "B" encoded-words, each preceded by
 * a space (the first) or CRLF SP (the others), and each holding whole
 * UTF-8 characters (RFC 2047 5, rule 3).  @col is the column the first
 * word follows: it is made shorter so that its line stays within
 * MAIL_FOLD octets too.
 */
static void
encode_words(buf_t *out, const char *s, size_t len, size_t col)
{
	char b64[sodium_base64_ENCODED_LEN(MAIL_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k, max;
	int first = 1;

	while (len > 0) {
		/* 12 octets of "=?UTF-8?B?" and "?=", 4 base64 characters per 3 bytes */
		max = MAIL_WORD_BYTES;
		if (first && col + 1 + 12 + 16 < MAIL_FOLD &&
		    (MAIL_FOLD - col - 1 - 12) / 4 * 3 < max)
			max = (MAIL_FOLD - col - 1 - 12) / 4 * 3;
		for (n = 0; n < len; n += k) {
			k = utf8_seq_len((const char *)(p + n), len - n);
			if (k == 0)
				k = 1;	/* callers validate; never split a byte */
			if (n + k > max)
				break;
		}
		sodium_bin2base64(b64, sizeof(b64), p, n, sodium_base64_VARIANT_ORIGINAL);
		buf_puts(out, first ? " " : "\r\n ");
		buf_printf(out, "=?UTF-8?B?%s?=", b64);
		first = 0;
		p += n;
		len -= n;
	}
}

/*
 * Append " value" folded at white space so that lines stay within
 * MAIL_FOLD octets where the words allow (RFC 5322 2.2.3).  @col is the
 * column after "Name:".  Returns -1, leaving partial output, when a line
 * would exceed MAIL_LINE_MAX (one enormous word).
 */
static int
fold_ascii(buf_t *out, const char *value, size_t col)
{
	const char *p = value, *q, *r;
	size_t ws, word;
	int line_has_text = 0;

	buf_putc(out, ' ');
	col++;
	while (*p != '\0') {
		for (q = p; *q == ' ' || *q == '\t'; q++)
			;
		for (r = q; *r != '\0' && *r != ' ' && *r != '\t'; r++)
			;
		ws = (size_t)(q - p);
		word = (size_t)(r - q);
		if (line_has_text && ws > 0 && word > 0 && col + ws + word > MAIL_FOLD) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		buf_append(out, p, ws + word);
		col += ws + word;
		if (col > MAIL_LINE_MAX)
			return -1;
		line_has_text = 1;
		p = r;
	}
	return 0;
}

int
mail_header(buf_t *out, const char *name, const char *value)
{
	size_t start = out->len, namelen = strlen(name);

	if (value == NULL || !header_text_ok(value))
		return MAIL_EINVAL;
	buf_printf(out, "%s:", name);
	if (is_ascii(value) && strstr(value, "=?") == NULL &&
	    fold_ascii(out, value, namelen + 1) == 0) {
		buf_puts(out, "\r\n");
		return MAIL_OK;
	}
	buf_truncate(out, start + namelen + 1);
	if (value[0] == '\0')
		buf_putc(out, ' ');
	encode_words(out, value, strlen(value), namelen + 1);
	buf_puts(out, "\r\n");
	return MAIL_OK;
}

/* ==== message ==== */

void
mail_qp_encode(buf_t *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, w;
	unsigned char c;
	int enc, eol;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\n' || (c == '\r' && i + 1 < len && s[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			buf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		eol = i + 1 == len || s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n');
		if (c == ' ' || c == '\t')
			enc = eol;	/* trailing white space would be stripped */
		else
			enc = c < 33 || c > 126 || c == '=';
		w = enc ? 3 : 1;
		if (col + w > MAIL_QP_LINE - 1) {
			buf_puts(out, "=\r\n");	/* soft line break */
			col = 0;
		}
		if (!enc && c == '.' && col == 0) {
			enc = 1;	/* a line of "." would end SMTP DATA */
			w = 3;
		}
		if (enc) {
			buf_putc(out, '=');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		} else
			buf_putc(out, (char)c);
		col += w;
	}
}

/*
 * Split @from ("Name <addr>", "\"Name\" <addr>" or "addr") into @name and
 * @addr.  Returns 0, or -1 when it is malformed or too long.
 */
static int
parse_from(const char *from, char *name, size_t namelen, char *addr, size_t addrlen)
{
	const char *lt, *gt, *b, *e;

	name[0] = addr[0] = '\0';
	if (from == NULL || !header_text_ok(from))
		return -1;
	if ((lt = strchr(from, '<')) == NULL) {
		if ((size_t)snprintf(addr, addrlen, "%s", from) >= addrlen)
			return -1;
		return mail_address_ok(addr) ? 0 : -1;
	}
	if ((gt = strchr(lt, '>')) == NULL || gt[1] != '\0')
		return -1;
	if ((size_t)(gt - lt - 1) >= addrlen)
		return -1;
	memcpy(addr, lt + 1, (size_t)(gt - lt - 1));
	addr[gt - lt - 1] = '\0';
	for (b = from; *b == ' ' || *b == '\t'; b++)
		;
	for (e = lt; e > b && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if (e - b >= 2 && b[0] == '"' && e[-1] == '"') {
		b++;
		e--;
	}
	if ((size_t)(e - b) >= namelen || (size_t)(e - b) > MAIL_NAME_MAX)
		return -1;
	memcpy(name, b, (size_t)(e - b));
	name[e - b] = '\0';
	return mail_address_ok(addr) ? 0 : -1;
}

/* The From field: the display name as atoms, a quoted-string or encoded-words. */
static void
put_from(buf_t *out, const char *name, const char *addr)
{
	const char *p;
	int atoms = 1;

	if (name[0] == '\0') {
		buf_printf(out, "From: %s\r\n", addr);
		return;
	}
	if (!is_ascii(name)) {
		buf_puts(out, "From:");
		encode_words(out, name, strlen(name), 5);
		buf_printf(out, " <%s>\r\n", addr);
		return;
	}
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == ' ' ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) != NULL))
			atoms = 0;
	if (strstr(name, "=?") != NULL)
		atoms = 0;
	if (atoms) {
		buf_printf(out, "From: %s <%s>\r\n", name, addr);
		return;
	}
	buf_puts(out, "From: \"");
	for (p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	buf_printf(out, "\" <%s>\r\n", addr);
}

/* Date: in the RFC 5322 3.3 form, always UTC ("+0000"), locale-independent. */
static void
put_date(buf_t *out, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* @bytes random bytes as lower-case hex into @hex (2 * @bytes + 1 bytes). */
static void
random_hex(char *hex, size_t bytes)
{
	unsigned char r[32];

	if (bytes > sizeof(r))
		bytes = sizeof(r);
	randombytes_buf(r, bytes);
	sodium_bin2hex(hex, 2 * bytes + 1, r, bytes);
}

static void
put_part_headers(buf_t *out, const char *type)
{
	buf_printf(out, "Content-Type: %s; charset=UTF-8\r\n", type);
	buf_puts(out, "Content-Transfer-Encoding: quoted-printable\r\n");
}

static int
fail(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return MAIL_EINVAL;
}

int
mail_build(buf_t *out, const char *from, const char *to, const char *subject,
    const char *text, const char *html, time_t date, char *err, size_t errlen)
{
	char name[MAIL_NAME_MAX + 1], addr[256], boundary[48], id[33];
	size_t start = out->len;

	if (from != NULL && strpbrk(from, "\r\n") != NULL)
		return fail(err, errlen, "CR or LF in From (header injection)");
	if (parse_from(from, name, sizeof(name), addr, sizeof(addr)) != 0)
		return fail(err, errlen, "bad From address");
	if (to != NULL && strpbrk(to, "\r\n") != NULL)
		return fail(err, errlen, "CR or LF in To (header injection)");
	if (!mail_address_ok(to))
		return fail(err, errlen, "bad recipient address");
	if (subject == NULL)
		return fail(err, errlen, "no subject");
	if (strpbrk(subject, "\r\n") != NULL)
		return fail(err, errlen, "CR or LF in Subject (header injection)");
	if (!header_text_ok(subject))
		return fail(err, errlen, "control character or bad UTF-8 in Subject");
	if (text == NULL)
		return fail(err, errlen, "no text body");
	if (!utf8_valid(text, strlen(text)) || (html != NULL && !utf8_valid(html, strlen(html))))
		return fail(err, errlen, "body is not valid UTF-8");
	if (sodium_init() < 0)
		return fail(err, errlen, "libsodium failed to initialise");

	put_date(out, date);
	put_from(out, name, addr);
	buf_printf(out, "To: %s\r\n", to);
	if (mail_header(out, "Subject", subject) != MAIL_OK) {
		buf_truncate(out, start);
		return fail(err, errlen, "bad Subject");
	}
	random_hex(id, 16);
	buf_printf(out, "Message-ID: <%s@%s>\r\n", id, strchr(addr, '@') + 1);
	buf_puts(out, "MIME-Version: 1.0\r\n");
	buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	if (html == NULL || html[0] == '\0') {
		put_part_headers(out, "text/plain");
		buf_puts(out, "\r\n");
		mail_qp_encode(out, text, strlen(text));
		buf_puts(out, "\r\n");
		return MAIL_OK;
	}
	/* "=_" cannot occur in quoted-printable text, so the boundary cannot either. */
	memcpy(boundary, "=_souk_", 7);
	random_hex(boundary + 7, 16);
	buf_printf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n", boundary);
	buf_puts(out, "\r\n");
	buf_puts(out, "This is a multi-part message in MIME format.\r\n");
	buf_printf(out, "\r\n--%s\r\n", boundary);
	put_part_headers(out, "text/plain");
	buf_puts(out, "\r\n");
	mail_qp_encode(out, text, strlen(text));
	buf_printf(out, "\r\n--%s\r\n", boundary);
	put_part_headers(out, "text/html");
	buf_puts(out, "\r\n");
	mail_qp_encode(out, html, strlen(html));
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	return MAIL_OK;
}

/* ==== SMTP ==== */

void
mail_config_from(struct mail_config *mc, const struct souk_config *cfg)
{
	long t = cfg->smtp_timeout;

	memset(mc, 0, sizeof(*mc));
	mc->url = cfg->smtp_url[0] != '\0' ? cfg->smtp_url : "smtp://127.0.0.1:25";
	mc->user = cfg->smtp_user[0] != '\0' ? cfg->smtp_user : NULL;
	mc->password = cfg->smtp_password;
	mc->starttls = cfg->smtp_starttls == 1;
	mc->from = cfg->mail_from[0] != '\0' ? cfg->mail_from : MAIL_FROM_DEFAULT;
	mc->timeout_ms = (t > 0 && t <= 3600 ? t : 60) * 1000;
	mc->connect_timeout_ms = mc->timeout_ms < 15000 ? mc->timeout_ms : 15000;
}

struct reader {
	const char	*p;
	size_t		 left;
};

/* CURLOPT_READFUNCTION: hand the message to libcurl piece by piece. */
static size_t
read_message(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *rd = arg;
	size_t n = size * nmemb;

	if (n > rd->left)
		n = rd->left;
	memcpy(dst, rd->p, n);
	rd->p += n;
	rd->left -= n;
	return n;
}

int
mail_send(const struct mail_config *mc, const char *to, const char *subject,
    const char *text, const char *html, char *err, size_t errlen)
{
	char name[MAIL_NAME_MAX + 1], addr[256], envelope[260], rcpt[260];
	char cerr[CURL_ERROR_SIZE];
	struct curl_slist *rcpts = NULL;
	struct reader rd;
	CURLcode res;
	CURL *c;
	long code = 0;
	buf_t msg;
	int rc;

	buf_init(&msg, NULL);
	if ((rc = mail_build(&msg, mc->from, to, subject, text, html, time(NULL),
	    err, errlen)) != MAIL_OK)
		return rc;
	(void)parse_from(mc->from, name, sizeof(name), addr, sizeof(addr));
	snprintf(envelope, sizeof(envelope), "<%s>", addr);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	if ((c = curl_easy_init()) == NULL) {
		buf_free(&msg);
		snprintf(err, errlen, "curl_easy_init failed");
		return MAIL_ERROR;
	}
	if ((rcpts = curl_slist_append(NULL, rcpt)) == NULL)
		fatal("mail: out of memory");
	rd.p = msg.data;
	rd.left = msg.len;
	cerr[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, mc->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, envelope);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, mc->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, mc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (mc->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (mc->user != NULL && mc->user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, mc->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, mc->password != NULL ? mc->password : "");
	}
	res = curl_easy_perform(c);
	if (res == CURLE_OK)
		rc = MAIL_OK;
	else {
		(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		snprintf(err, errlen, "smtp: %s%s%s", curl_easy_strerror(res),
		    cerr[0] != '\0' ? ": " : "", cerr);
		rc = code == 550 || code == 551 || code == 553 ? MAIL_EREJECTED : MAIL_ERROR;
	}
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	buf_free(&msg);
	return rc;
}

/* ==== templates ==== */

/*
 * The {{#t}}…{{/t}} lambda of mail templates, as souk-web's: the raw
 * section text is the English msgid, looked up in the catalogs loaded by
 * i18n_load_default() (English, or no catalog: the msgid itself).
 * @closure is the language ("en" or "zh-CN").  The engine renders the
 * result, so translations keep their {{tags}}.
 */
static int
mail_t(void *closure, const char *text, size_t len, buf_t *out)
{
	size_t n;
	const char *s = i18n_gettext(closure, text, len, &n);

	buf_append(out, s, n);
	return 0;
}

static int
template_name_ok(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return 0;
	for (; name[n] != '\0'; n++)
		if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9') ||
		    name[n] == '_'))
			return 0;
	return n > 0 && n <= 64;
}

/* Render mail/@name.@part into @out; -1 with @err on failure. */
static int
render_part(const struct tmpl_set *set, const char *name, const char *part, json_t *ctx,
    const tmpl_lambda_t *lambdas, size_t nlambdas, buf_t *out, char *err, size_t errlen)
{
	char tname[96], terr[TMPL_ERRLEN];

	snprintf(tname, sizeof(tname), "mail/%s.%s", name, part);
	if (!tmpl_set_has(set, tname)) {
		snprintf(err, errlen, "no template %s", tname);
		return -1;
	}
	if (tmpl_render(set, tname, ctx, lambdas, nlambdas, out, terr, sizeof(terr)) != 0) {
		snprintf(err, errlen, "%s: %s", tname, terr);
		return -1;
	}
	return 0;
}

int
mail_render(const struct tmpl_set *set, const char *name, const char *lang,
    json_t *data, const char *site_name, const char *base_url, buf_t *subject,
    buf_t *text, buf_t *html, char *err, size_t errlen)
{
	char htmlname[96];
	tmpl_lambda_t lambdas[1];
	json_t *ctx;
	buf_t s;
	size_t b, e;
	int rc = -1;

	if (!template_name_ok(name)) {
		snprintf(err, errlen, "bad template name");
		return -1;
	}
	if (data != NULL && !json_is_object(data) && !json_is_null(data)) {
		snprintf(err, errlen, "data must be an object");
		return -1;
	}
	if (lang == NULL)
		lang = "en";
	ctx = json_is_object(data) ? json_copy(data) : json_object();
	json_object_set_new(ctx, "site", json_pack("{s:s, s:s}", "name",
	    site_name != NULL ? site_name : MAIL_SITE_NAME, "base_url",
	    base_url != NULL ? base_url : ""));
	json_object_set_new(ctx, "lang", json_string(lang));
	lambdas[0] = (tmpl_lambda_t){ "t", mail_t, (void *)lang };

	buf_init(&s, NULL);
	if (render_part(set, name, "subject", ctx, lambdas, 1, &s, err, errlen) != 0)
		goto out;
	for (b = 0; b < s.len && (s.data[b] == ' ' || s.data[b] == '\t' ||
	    s.data[b] == '\r' || s.data[b] == '\n'); b++)
		;
	for (e = s.len; e > b && (s.data[e - 1] == ' ' || s.data[e - 1] == '\t' ||
	    s.data[e - 1] == '\r' || s.data[e - 1] == '\n'); e--)
		;
	buf_append(subject, s.data + b, e - b);
	if (render_part(set, name, "txt", ctx, lambdas, 1, text, err, errlen) != 0)
		goto out;
	snprintf(htmlname, sizeof(htmlname), "mail/%s.html", name);
	if (tmpl_set_has(set, htmlname) &&
	    render_part(set, name, "html", ctx, lambdas, 1, html, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&s);
	json_decref(ctx);
	return rc;
}

/* ==== the "mail" job ==== */

int
mail_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen)
{
	const char *name, *to, *lang;
	json_t *data;
	buf_t subject, text, html;
	int rc;

	if (!json_is_object(payload)) {
		snprintf(err, errlen, "payload must be an object");
		return JOB_EPERM;
	}
	name = json_string_value(json_object_get(payload, "template"));
	to = json_string_value(json_object_get(payload, "to"));
	lang = json_string_value(json_object_get(payload, "lang"));
	data = json_object_get(payload, "data");
	if (name == NULL) {
		snprintf(err, errlen, "payload.template is missing");
		return JOB_EPERM;
	}
	if (to == NULL || !mail_address_ok(to)) {
		snprintf(err, errlen, "payload.to is not an acceptable address");
		return JOB_EPERM;
	}
	if (lang == NULL || (strcmp(lang, "en") != 0 && strcmp(lang, "zh-CN") != 0))
		lang = "en";

	buf_init(&subject, NULL);
	buf_init(&text, NULL);
	buf_init(&html, NULL);
	if (mail_render(w->tmpl, name, lang, data, MAIL_SITE_NAME,
	    w->cfg != NULL ? w->cfg->base_url : "", &subject, &text, &html, err, errlen) != 0) {
		rc = JOB_EPERM;
		goto out;
	}
	switch (mail_send(w->mail, to, buf_cstr(&subject), buf_cstr(&text),
	    html.len > 0 ? buf_cstr(&html) : NULL, err, errlen)) {
	case MAIL_OK:
		rc = JOB_OK;
		break;
	case MAIL_EINVAL:
	case MAIL_EREJECTED:
		rc = JOB_EPERM;
		break;
	default:
		rc = JOB_ERETRY;
		break;
	}
out:
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}
