/*
 * i18n.c - message catalogs, language negotiation, the language switch
 * (see i18n.h).
 *
 * GNU .mo layout (all numbers 32-bit, in the byte order the magic number
 * reveals):
 *	 0  magic 0x950412de
 *	 4  revision (major in the high 16 bits: 0 or 1)
 *	 8  N, the number of strings
 *	12  O, offset of the table of original strings
 *	16  T, offset of the table of translated strings
 *	20  S, H: size and offset of a hash table (not used here)
 * Each table holds N (length, offset) pairs; every string is followed by
 * a NUL that the length does not count.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "i18n/i18n.h"
#include "web/app.h"

#define MO_MAGIC	0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U
#define MO_HEADER	28
#define MO_MAX_SIZE	(64UL * 1024 * 1024)

/* Most Accept-Language ranges read; the rest of a longer header is ignored. */
#define AL_MAX_RANGES	64

/* Longest path accepted as a redirect target, in bytes. */
#define NEXT_MAX	2048

struct msg {
	const char *id;		/* into the catalog's data, NUL-terminated */
	size_t idlen;
	const char *str;	/* into the catalog's data, NUL-terminated */
	size_t strlen;
};

struct catalog {
	char *data;		/* the whole .mo file */
	struct msg *msgs;	/* sorted by (id, idlen), memcmp order */
	size_t n;
};

/* The languages that have catalogs, and their files. */
static const struct {
	const char *lang;
	const char *file;
} langs[] = {
	{ "zh-CN", "zh_CN.mo" },
};
#define NLANGS (sizeof(langs) / sizeof(langs[0]))

static struct catalog cats[NLANGS];

static int
mo_err(char *err, size_t errlen, const char *path, const char *what)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

static uint32_t
rd32(const unsigned char *p, int swap)
{
	uint32_t v;

	if (swap)
		v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	else
		v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	return v;
}

static int
msg_cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int
msg_cmp(const void *x, const void *y)
{
	const struct msg *a = x, *b = y;

	return msg_cmp_key(a->id, a->idlen, b->id, b->idlen);
}

/* Read the whole file at @path (at most MO_MAX_SIZE bytes) into *data. */
static int
read_file(const char *path, char **data, size_t *size, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return mo_err(err, errlen, path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return mo_err(err, errlen, path, "not a regular file");
	}
	if ((unsigned long long)st.st_size > MO_MAX_SIZE) {
		fclose(f);
		return mo_err(err, errlen, path, "larger than 64 MiB");
	}
	n = (size_t)st.st_size;
	if ((buf = malloc(n + 1)) == NULL)
		fatal("i18n: out of memory");
	if (fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		return mo_err(err, errlen, path, "read error");
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	*size = n;
	return 0;
}

/*
 * The string of table entry @i at @table: sets *s and *len when the
 * entry lies inside the file and its string is NUL-terminated.
 */
static int
mo_string(const unsigned char *d, size_t size, int swap, uint32_t table, uint32_t i,
    const char **s, size_t *len)
{
	uint64_t at = (uint64_t)table + (uint64_t)i * 8;
	uint32_t l, off;

	if (at + 8 > size)
		return -1;
	l = rd32(d + at, swap);
	off = rd32(d + at + 4, swap);
	if ((uint64_t)off + l >= size || d[(uint64_t)off + l] != '\0')
		return -1;
	*s = (const char *)d + off;
	*len = l;
	return 0;
}

/* Parse the .mo image @data (@size bytes, taken over on success) into @c. */
static int
mo_parse(struct catalog *c, char *data, size_t size, const char *path, char *err,
    size_t errlen)
{
	const unsigned char *d = (const unsigned char *)data;
	uint32_t magic, rev, n, o, t, i;
	struct msg *msgs;
	size_t k = 0;
	int swap;

	if (size < MO_HEADER)
		return mo_err(err, errlen, path, "too short for a .mo file");
	magic = rd32(d, 0);
	if (magic == MO_MAGIC)
		swap = 0;
	else if (magic == MO_MAGIC_SWAPPED)
		swap = 1;
	else
		return mo_err(err, errlen, path, "not a .mo file (bad magic number)");
	rev = rd32(d + 4, swap);
	if ((rev >> 16) > 1)
		return mo_err(err, errlen, path, "unsupported .mo revision");
	n = rd32(d + 8, swap);
	o = rd32(d + 12, swap);
	t = rd32(d + 16, swap);
	if ((uint64_t)n * 8 > size || (uint64_t)o + (uint64_t)n * 8 > size ||
	    (uint64_t)t + (uint64_t)n * 8 > size)
		return mo_err(err, errlen, path, "string tables outside the file");
	msgs = calloc(n > 0 ? n : 1, sizeof(*msgs));
	if (msgs == NULL)
		fatal("i18n: out of memory");
	for (i = 0; i < n; i++) {
		struct msg m;

		if (mo_string(d, size, swap, o, i, &m.id, &m.idlen) != 0 ||
		    mo_string(d, size, swap, t, i, &m.str, &m.strlen) != 0) {
			free(msgs);
			return mo_err(err, errlen, path, "a string lies outside the file");
		}
		/* Plural entries: "singular\0plural" -> "form0\0form1...". */
		m.idlen = strnlen(m.id, m.idlen);
		m.strlen = strnlen(m.str, m.strlen);
		if (m.idlen == 0 || m.strlen == 0)
			continue;	/* the header, or untranslated */
		msgs[k++] = m;
	}
	qsort(msgs, k, sizeof(*msgs), msg_cmp);
	c->data = data;
	c->msgs = msgs;
	c->n = k;
	return 0;
}

static void
catalog_free(struct catalog *c)
{
	free(c->msgs);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

int
i18n_load(const char *dir, char *err, size_t errlen)
{
	struct catalog fresh[NLANGS];
	char path[4096];
	size_t i, j, size;
	char *data;
	int len;

	memset(fresh, 0, sizeof(fresh));
	if (dir != NULL) {
		for (i = 0; i < NLANGS; i++) {
			len = snprintf(path, sizeof(path), "%s/%s", dir, langs[i].file);
			if (len < 0 || (size_t)len >= sizeof(path)) {
				mo_err(err, errlen, dir, "path too long");
				goto fail;
			}
			if (read_file(path, &data, &size, err, errlen) != 0)
				goto fail;
			if (mo_parse(&fresh[i], data, size, path, err, errlen) != 0) {
				free(data);
				goto fail;
			}
		}
	}
	i18n_free();
	memcpy(cats, fresh, sizeof(cats));
	return 0;
fail:
	for (j = 0; j < NLANGS; j++)
		catalog_free(&fresh[j]);
	return -1;
}

int
i18n_load_default(char *err, size_t errlen)
{
	const char *dir = getenv("SOUK_LOCALE_DIR");
	char why[512];

	if (dir != NULL && dir[0] != '\0')
		return i18n_load(dir, err, errlen);
	if (i18n_load(I18N_DEFAULT_DIR, why, sizeof(why)) != 0) {
		log_warn("i18n: %s; pages are served in English only "
		    "(set SOUK_LOCALE_DIR to the directory of zh_CN.mo)", why);
		return i18n_load(NULL, err, errlen);
	}
	return 0;
}

void
i18n_free(void)
{
	for (size_t i = 0; i < NLANGS; i++)
		catalog_free(&cats[i]);
}

static const struct catalog *
catalog_of(const char *lang)
{
	if (lang == NULL || strcmp(lang, "en") == 0)
		return NULL;
	for (size_t i = 0; i < NLANGS; i++)
		if (strcmp(lang, langs[i].lang) == 0)
			return cats[i].msgs != NULL ? &cats[i] : NULL;
	return NULL;
}

size_t
i18n_count(const char *lang)
{
	const struct catalog *c = catalog_of(lang);

	return c != NULL ? c->n : 0;
}

const char *
i18n_gettext(const char *lang, const char *msgid, size_t len, size_t *outlen)
{
	const struct catalog *c;
	size_t lo = 0, hi, mid;
	int cmp;

	if (outlen != NULL)
		*outlen = len;
	if (msgid == NULL || len == 0 || (c = catalog_of(lang)) == NULL)
		return msgid;
	hi = c->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = msg_cmp_key(msgid, len, c->msgs[mid].id, c->msgs[mid].idlen);
		if (cmp == 0) {
			if (outlen != NULL)
				*outlen = c->msgs[mid].strlen;
			return c->msgs[mid].str;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}

const char *
i18n_str(const char *lang, const char *msgid)
{
	if (msgid == NULL)
		return NULL;
	return i18n_gettext(lang, msgid, strlen(msgid), NULL);
}

const char *
i18n_status_text(const char *lang, int status)
{
	const char *s;

	/* The reason phrases error pages show as their title. */
	switch (status) {
	case 400: s = N_("Bad Request"); break;
	case 401: s = N_("Unauthorized"); break;
	case 403: s = N_("Forbidden"); break;
	case 404: s = N_("Not Found"); break;
	case 405: s = N_("Method Not Allowed"); break;
	case 409: s = N_("Conflict"); break;
	case 413: s = N_("Payload Too Large"); break;
	case 415: s = N_("Unsupported Media Type"); break;
	case 422: s = N_("Unprocessable Content"); break;
	case 429: s = N_("Too Many Requests"); break;
	case 500: s = N_("Internal Server Error"); break;
	case 503: s = N_("Service Unavailable"); break;
	default: s = http_status_text(status); break;
	}
	return i18n_str(lang, s);
}

/* ==== negotiation ==== */

int
i18n_lang_valid(const char *lang)
{
	return lang != NULL && (strcmp(lang, "en") == 0 || strcmp(lang, "zh-CN") == 0);
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * A qvalue (RFC 9110 12.4.2) of @len bytes at @s, in thousandths:
 * "0", "0.5", "1", "1.000"; -1 when malformed.
 */
static int
parse_q(const char *s, size_t len)
{
	int q, scale = 100;
	size_t i;

	if (len == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (len == 1)
		return q;
	if (s[1] != '.' || len > 5)
		return -1;
	for (i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

enum { L_EN, L_ZH, L_STAR, L_OTHER, L_BAD };

/* Classify the language range of @len bytes at @s. */
static int
classify(const char *s, size_t len)
{
	size_t i, part = 0;
	int first = 1;

	if (len == 1 && s[0] == '*')
		return L_STAR;
	/* 1*8ALPHA *("-" 1*8alphanum) */
	for (i = 0; i < len; i++) {
		if (s[i] == '-') {
			if (part == 0)
				return L_BAD;
			part = 0;
			first = 0;
			continue;
		}
		if (++part > 8 || (first ? !is_alpha(s[i]) : !is_alnum(s[i])))
			return L_BAD;
	}
	if (part == 0)
		return L_BAD;
	if (len == 2 || (len > 2 && s[2] == '-')) {
		if (lower(s[0]) == 'z' && lower(s[1]) == 'h')
			return L_ZH;
		if (lower(s[0]) == 'e' && lower(s[1]) == 'n')
			return L_EN;
	}
	return L_OTHER;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

const char *
i18n_pick(const char *cookie, const char *al)
{
	int q[3] = { -1, -1, -1 }, pos[3] = { -1, -1, -1 };
	int best = L_EN, bestq = 0, bestpos = 0, nranges = 0, lang;
	const char *p, *rs;
	size_t rlen;

	if (i18n_lang_valid(cookie))
		return strcmp(cookie, "en") == 0 ? "en" : "zh-CN";
	if (al == NULL)
		return "en";
	for (p = al; *p != '\0' && nranges < AL_MAX_RANGES; nranges++) {
		int rq = 1000;

		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;
		rs = p;
		while (*p != '\0' && *p != ',' && *p != ';' && !is_ows(*p))
			p++;
		rlen = (size_t)(p - rs);
		lang = classify(rs, rlen);
		/* Parameters: *( OWS ";" OWS name "=" value ). */
		for (;;) {
			const char *ns, *vs;
			size_t nlen, vlen;

			while (is_ows(*p))
				p++;
			if (*p != ';')
				break;
			p++;
			while (is_ows(*p))
				p++;
			ns = p;
			while (*p != '\0' && *p != '=' && *p != ',' && *p != ';' && !is_ows(*p))
				p++;
			nlen = (size_t)(p - ns);
			vs = p;
			if (*p == '=') {
				vs = ++p;
				while (*p != '\0' && *p != ',' && *p != ';' && !is_ows(*p))
					p++;
			}
			vlen = (size_t)(p - vs);
			if (nlen == 1 && lower(ns[0]) == 'q' &&
			    (rq = parse_q(vs, vlen)) < 0)
				rq = 0;	/* a bad q-value accepts nothing */
		}
		/* Anything else before the next comma makes the range malformed. */
		if (*p != '\0' && *p != ',') {
			lang = L_BAD;
			while (*p != '\0' && *p != ',')
				p++;
		}
		if (lang == L_BAD || lang == L_OTHER)
			continue;
		if (q[lang] < rq)
			q[lang] = rq;
		if (pos[lang] < 0)
			pos[lang] = nranges;
	}
	/* "*" stands for the offered languages the header does not name. */
	for (lang = L_EN; lang <= L_ZH; lang++) {
		int lq = q[lang], lp = pos[lang];

		if (pos[lang] < 0) {
			lq = q[L_STAR];
			lp = pos[L_STAR];
		}
		if (lq > bestq || (lq == bestq && lq > 0 && lp < bestpos)) {
			best = lang;
			bestq = lq;
			bestpos = lp;
		}
	}
	return best == L_ZH ? "zh-CN" : "en";
}

const char *
i18n_negotiate(http_req_t *req)
{
	http_header(req, "Vary", "Accept-Language, Cookie");
	return i18n_pick(kv_get(&req->cookies, I18N_COOKIE), req->accept_language);
}

/* ==== GET /lang ==== */

const char *
i18n_safe_next(arena_t *a, const char *next)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s;
	buf_t b;

	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strlen(next) > NEXT_MAX)
		return NULL;
	buf_init(&b, a);
	for (s = (const unsigned char *)next; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f || *s == '\\')
			return NULL;
		if (*s >= 0x80 || *s == ' ' || *s == '"' || *s == '<' || *s == '>') {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*s >> 4]);
			buf_putc(&b, hex[*s & 15]);
		} else
			buf_putc(&b, (char)*s);
	}
	return buf_cstr(&b);
}

/*
 * The path and query of @referer when it is a URL of this site (its
 * host, without port, equals @host), as i18n_safe_next() accepts it.
 */
static const char *
referer_path(arena_t *a, const char *referer, const char *host)
{
	const char *p, *auth, *aend, *hend, *path;
	size_t hlen;

	if (referer == NULL || host == NULL || host[0] == '\0')
		return NULL;
	if (strncmp(referer, "https://", 8) == 0)
		auth = referer + 8;
	else if (strncmp(referer, "http://", 7) == 0)
		auth = referer + 7;
	else
		return NULL;
	for (aend = auth; *aend != '\0' && *aend != '/' && *aend != '?' && *aend != '#'; aend++)
		if (*aend == '@' || *aend == '\\')
			return NULL;
	/* Host without port; an IPv6 literal keeps its brackets. */
	hend = aend;
	for (p = aend; p > auth; p--)
		if (p[-1] == ':' || p[-1] == ']')
			break;
	if (p > auth && p[-1] == ':')
		hend = p - 1;
	hlen = strlen(host);
	if (strchr(host, ':') != NULL && host[0] != '[')
		hlen = (size_t)(strchr(host, ':') - host);
	if ((size_t)(hend - auth) != hlen || strncasecmp(auth, host, hlen) != 0)
		return NULL;
	if (*aend != '/')
		return "/";
	path = arena_strndup(a, aend, strcspn(aend, "#"));
	return i18n_safe_next(a, path);
}

int
i18n_switch(http_req_t *req)
{
	const char *l = kv_get(&req->query_params, "l");
	const char *next, *v;

	if (!i18n_lang_valid(l)) {
		app_error(req, 400, N_("This language is not available. "
		    "Choose English or Simplified Chinese."));
		return req->status;
	}
	next = i18n_safe_next(req->arena, kv_get(&req->query_params, "next"));
	if (next == NULL)
		next = referer_path(req->arena, http_param(req, "HTTP_REFERER"), req->host);
	/* Never back to the switch itself. */
	if (next == NULL || strcmp(next, "/lang") == 0 || strncmp(next, "/lang?", 6) == 0)
		next = "/";
	v = arena_printf(req->arena, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
	    I18N_COOKIE, l, I18N_COOKIE_MAX_AGE, req->cookie_secure ? "; Secure" : "");
	http_header(req, "Set-Cookie", v);
	http_header(req, "Cache-Control", "no-store");
	http_redirect(req, 303, next);
	return req->status;
}

const route_t i18n_routes[] = {
	{ "GET", "/lang", i18n_switch, ROLE_ANON, "lang.switch" },
};
const size_t i18n_nroutes = sizeof(i18n_routes) / sizeof(i18n_routes[0]);
