/*
 * sellers.c - "Become a seller" (see sellers.h): input validation, which
 * query, which template.  No SQL here (sellers_db.c).
 *
 * Every form is read and checked completely before anything is written;
 * a form with mistakes is shown again with 422, each message next to its
 * field (aria-invalid, aria-describedby) and the values as typed.  A good
 * form is written in one transaction, with the role grant and the audit
 * entries it causes, then answered with 303 (post/redirect/get).
 *
 * Messages are chosen in the templates from error codes (errors.<field>
 * = {<code>: true}), so that every visible string is in a template,
 * inside {{#t}}.  Pages here are personal: they are sent with
 * Cache-Control: no-store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/log.h"
#include "core/secretbox.h"
#include "core/utf8.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "sellers/sellers.h"
#include "twofa/twofa.h"
#include "web/app.h"

/* The largest sealed payout plaintext we accept to open (a few hundred bytes in practice). */
#define PAYOUT_PLAIN_MAX 2048

static const char BULLET[] = "\xe2\x80\xa2";	/* U+2022 • */

/* ==== reference lists ==== */

static const char *const timezones[] = {
	"UTC",
	"Africa/Accra", "Africa/Cairo", "Africa/Casablanca", "Africa/Gaborone",
	"Africa/Harare", "Africa/Johannesburg", "Africa/Lagos", "Africa/Lusaka",
	"Africa/Maputo", "Africa/Nairobi", "Africa/Windhoek",
	"America/Argentina/Buenos_Aires", "America/Bogota", "America/Chicago",
	"America/Denver", "America/Lima", "America/Los_Angeles", "America/Mexico_City",
	"America/New_York", "America/Santiago", "America/Sao_Paulo", "America/Toronto",
	"America/Vancouver",
	"Asia/Bangkok", "Asia/Colombo", "Asia/Dhaka", "Asia/Dubai", "Asia/Ho_Chi_Minh",
	"Asia/Hong_Kong", "Asia/Jakarta", "Asia/Jerusalem", "Asia/Karachi", "Asia/Kolkata",
	"Asia/Kuala_Lumpur", "Asia/Manila", "Asia/Riyadh", "Asia/Seoul", "Asia/Shanghai",
	"Asia/Singapore", "Asia/Taipei", "Asia/Tokyo",
	"Australia/Melbourne", "Australia/Perth", "Australia/Sydney",
	"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels",
	"Europe/Bucharest", "Europe/Budapest", "Europe/Copenhagen", "Europe/Dublin",
	"Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon",
	"Europe/London", "Europe/Madrid", "Europe/Oslo", "Europe/Paris", "Europe/Prague",
	"Europe/Rome", "Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw",
	"Europe/Zurich",
	"Pacific/Auckland",
	NULL
};

/* South African banks for ZAR EFT payouts: form code, display name. */
static const struct bank {
	const char *code, *label;
} banks[] = {
	{ "absa", "Absa Bank" },
	{ "access", "Access Bank" },
	{ "african_bank", "African Bank" },
	{ "bank_zero", "Bank Zero" },
	{ "bidvest", "Bidvest Bank" },
	{ "capitec", "Capitec Bank" },
	{ "discovery", "Discovery Bank" },
	{ "fnb", "First National Bank (FNB)" },
	{ "investec", "Investec" },
	{ "nedbank", "Nedbank" },
	{ "old_mutual", "Old Mutual" },
	{ "standard_bank", "Standard Bank" },
	{ "tymebank", "TymeBank" },
	{ NULL, NULL }
};

static const char *const lang_levels[] = { "basic", "conversational", "fluent", "native", NULL };

/* ==== pure functions (sellers.h) ==== */

size_t
seller_utf8_chars(const char *s)
{
	return utf8_chars(s);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
seller_clean_text(arena_t *a, const char *s, int multiline, const char **out)
{
	const unsigned char *p;
	size_t len;
	char *o, *w;

	*out = NULL;
	if (s == NULL)
		s = "";
	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_space(s[len - 1]))
		len--;
	w = o = arena_alloc(a, len + 1);
	for (p = (const unsigned char *)s; p < (const unsigned char *)s + len; p++) {
		if (*p == '\r') {
			if (!multiline)
				return -1;
			*w++ = '\n';
			if (p + 1 < (const unsigned char *)s + len && p[1] == '\n')
				p++;
			continue;
		}
		if (*p == '\n' || *p == '\t') {
			if (!multiline)
				return -1;
			*w++ = (char)*p;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		/* C1 controls U+0080..U+009F. */
		if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return -1;
		/* Bidirectional embeddings, overrides and isolates (spoofing):
		 * U+202A..U+202E, U+2066..U+2069. */
		if (*p == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE)
			return -1;
		if (*p == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
			return -1;
		*w++ = (char)*p;
	}
	*w = '\0';
	*out = o;
	return 0;
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * A DNS name of @len bytes: at least two dot-separated labels of letters,
 * digits and inner hyphens, 1..63 bytes each, the last one not all digits
 * (no IP addresses).
 */
static int
host_ok(const char *h, size_t len)
{
	size_t i, lab = 0, labels = 0, start = 0;
	int alldigits = 1;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		char c = i < len ? h[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63 || h[i - 1] == '-' || h[start] == '-')
				return 0;
			labels++;
			if (i < len) {
				lab = 0;
				start = i + 1;
				alldigits = 1;
			}
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return 0;
		if (!is_digit(c))
			alldigits = 0;
		lab++;
	}
	return labels >= 2 && !alldigits;
}

int
seller_https_url_ok(const char *url)
{
	const char *h, *p;
	size_t n;

	if (url == NULL || (n = strlen(url)) > SELLER_URL_MAX || strncmp(url, "https://", 8) != 0)
		return 0;
	h = p = url + 8;
	while (*p != '\0' && *p != '/' && *p != '?' && *p != '#' && *p != ':')
		p++;
	if (!host_ok(h, (size_t)(p - h)))
		return 0;
	if (*p == ':') {
		long port = 0;
		int digits = 0;

		for (p++; is_digit(*p) && digits < 6; p++, digits++)
			port = port * 10 + (*p - '0');
		if (digits == 0 || digits > 5 || port < 1 || port > 65535)
			return 0;
	}
	if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		return 0;
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c) != NULL)
			return 0;
		if (c == '%') {
			if (!is_xdigit(p[1]) || !is_xdigit(p[2]))
				return 0;
			p += 2;
		}
	}
	return 1;
}

int
seller_email_ok(const char *s)
{
	const char *at, *p;

	if (s == NULL || strlen(s) > SELLER_EMAIL_MAX || (at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if (at == s || at - s > 64 || s[0] == '.' || at[-1] == '.')
		return 0;
	for (p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("\"<>(),;:\\[]", c) != NULL)
			return 0;
		if (c == '.' && p[1] == '.')
			return 0;
	}
	return host_ok(at + 1, strlen(at + 1));
}

const char *
seller_digits(arena_t *a, const char *s, size_t min, size_t max)
{
	char *o;
	size_t n = 0;

	if (s == NULL)
		return NULL;
	o = arena_alloc(a, strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '-')
			continue;
		if (!is_digit(*s))
			return NULL;
		o[n++] = *s;
	}
	o[n] = '\0';
	return n >= min && n <= max ? o : NULL;
}

const char *
seller_cn_mobile(arena_t *a, const char *s)
{
	const char *d;

	if (s == NULL)
		return NULL;
	while (*s == ' ')
		s++;
	if (strncmp(s, "+86", 3) != 0)
		return NULL;
	if ((d = seller_digits(a, s + 3, 11, 11)) == NULL || d[0] != '1' || d[1] < '3')
		return NULL;
	return arena_printf(a, "+86%s", d);
}

int
seller_timezone_ok(const char *tz)
{
	if (tz == NULL)
		return 0;
	for (const char *const *t = timezones; *t != NULL; t++)
		if (strcmp(*t, tz) == 0)
			return 1;
	return 0;
}

const char *const *
seller_timezones(void)
{
	return timezones;
}

const char *
seller_bank_label(const char *code)
{
	if (code == NULL)
		return NULL;
	for (const struct bank *b = banks; b->code != NULL; b++)
		if (strcmp(b->code, code) == 0)
			return b->label;
	return NULL;
}

/* Length of the separator at @p: ',' (1), '，' U+FF0C or '、' U+3001 (3), else 0. */
static size_t
skill_sep(const char *p)
{
	if (*p == ',')
		return 1;
	if (strncmp(p, "\xef\xbc\x8c", 3) == 0 || strncmp(p, "\xe3\x80\x81", 3) == 0)
		return 3;
	return 0;
}

int
seller_parse_skills(arena_t *a, const char *s, json_t **out)
{
	json_t *arr = json_array();
	const char *p, *start;
	size_t sep = 0;

	*out = NULL;
	if (s == NULL)
		s = "";
	for (p = start = s;; p++) {
		if (*p != '\0' && (sep = skill_sep(p)) == 0)
			continue;
		{
			const char *skill;
			size_t i, dup = 0;

			if (seller_clean_text(a, arena_strndup(a, start, (size_t)(p - start)), 0,
			    &skill) != 0) {
				json_decref(arr);
				return SELLER_SKILLS_BAD_CHAR;
			}
			if (skill[0] != '\0') {
				if (seller_utf8_chars(skill) > SELLER_SKILL_MAX) {
					json_decref(arr);
					return SELLER_SKILLS_TOO_LONG;
				}
				for (i = 0; i < json_array_size(arr); i++)
					if (strcasecmp(json_string_value(json_array_get(arr, i)),
					    skill) == 0)
						dup = 1;
				if (!dup) {
					if (json_array_size(arr) >= SELLER_SKILLS_MAX) {
						json_decref(arr);
						return SELLER_SKILLS_TOO_MANY;
					}
					json_array_append_new(arr, json_string(skill));
				}
			}
		}
		if (*p == '\0')
			break;
		p += sep - 1;
		start = p + 1;
	}
	*out = arr;
	return SELLER_SKILLS_OK;
}

const char *
seller_mask_tail(arena_t *a, const char *s, size_t keep)
{
	size_t n;

	if (s == NULL)
		return "";
	n = strlen(s);
	if (n <= keep)
		return arena_printf(a, "%s%s%s%s", BULLET, BULLET, BULLET, BULLET);
	return arena_printf(a, "%s%s%s%s %s", BULLET, BULLET, BULLET, BULLET, s + n - keep);
}

/* The bytes of the UTF-8 character at @s (1 for a NUL or a stray byte). */
static size_t
utf8_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;

	for (size_t i = 1; i < n; i++)
		if (s[i] == '\0')
			return 1;
	return n;
}

const char *
seller_mask_email(arena_t *a, const char *s)
{
	const char *at;

	if (s == NULL || (at = strrchr(s, '@')) == NULL || at == s)
		return arena_printf(a, "%s%s%s", BULLET, BULLET, BULLET);
	return arena_printf(a, "%.*s%s%s%s%s", (int)utf8_char_len(s), s, BULLET, BULLET, BULLET,
	    at);
}

const char *
seller_mask_name(arena_t *a, const char *s)
{
	buf_t b;
	int first = 1;

	if (s == NULL)
		return "";
	buf_init(&b, a);
	while (*s != '\0') {
		size_t n;

		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		n = utf8_char_len(s);
		if (!first)
			buf_putc(&b, ' ');
		buf_append(&b, s, n);
		buf_printf(&b, "%s%s%s", BULLET, BULLET, BULLET);
		first = 0;
		for (s += n; *s != '\0' && *s != ' '; s++)
			;
	}
	return arena_strdup(a, buf_cstr(&b));
}

const char *
seller_mask_alipay(arena_t *a, const char *s)
{
	size_t n;

	if (s != NULL && strchr(s, '@') != NULL)
		return seller_mask_email(a, s);
	if (s == NULL || (n = strlen(s)) <= 4)
		return arena_printf(a, "%s%s%s%s", BULLET, BULLET, BULLET, BULLET);
	return arena_printf(a, "+86 %s%s%s%s %s", BULLET, BULLET, BULLET, BULLET, s + n - 4);
}

/* ==== shared helpers of the handlers ==== */

/* Render @tmpl with @ctx and @status (200 or 422); ctx is consumed; @title is an N_() msgid. */
static int
render(http_req_t *req, const char *tmpl, json_t *ctx, int status, const char *title)
{
	app_page(ctx, i18n_str(app_lang(req), title), NULL, req->path, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	app_render(req, tmpl, ctx);
	json_decref(ctx);
	return req->status;
}

/* Rotate the session with @add added to its roles (privilege change). */
static void
restart_session(http_req_t *req, unsigned add)
{
	char handle[33];
	unsigned roles;
	int remember;

	if (req->session == NULL)
		return;
	snprintf(handle, sizeof(handle), "%s", req->session->handle);
	roles = req->session->roles | add;
	remember = req->session->remember;
	if (session_start(req, req->user_id, handle, roles, remember) != 0)
		log_warn("request_id=%s sellers: session not restarted (redis unreachable); "
		    "the dashboard will retry", req->request_id);
}

/* Roll back after a failed write and answer for @rc. */
static int
abort_tx(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
}

/* Load the state of the signed-in user; on failure the error page is rendered. */
static int
load_state(http_req_t *req, json_t **state)
{
	int rc;

	if ((rc = sellers_db_state(APP(req)->db, req->user_id, app_lang(req), state)) != DB_OK)
		return app_db_status(req, rc);
	return 0;
}

static int
state_flag(json_t *state, const char *key)
{
	return json_is_true(json_object_get(state, key));
}

/* The progress indicator: three steps, @current 1..3 (0: none). */
static json_t *
steps_json(json_t *state, int current)
{
	int done[3] = { state_flag(state, "profile_done"),
	    json_is_object(json_object_get(state, "payout")), 0 };
	const char *urls[3] = { "/seller/onboarding/profile", "/seller/onboarding/payout",
	    "/seller/onboarding/identity" };
	const char *st = json_string_value(json_object_get(json_object_get(state, "verification"),
	    "status"));
	json_t *a = json_array();

	done[2] = st != NULL && (strcmp(st, "pending") == 0 || strcmp(st, "verified") == 0);
	for (int i = 0; i < 3; i++)
		json_array_append_new(a, json_pack("{s:i, s:s, s:b, s:b, s:b, s:b, s:b}",
		    "n", i + 1, "url", urls[i], "done", done[i], "current", current == i + 1,
		    "is_profile", i == 0, "is_payout", i == 1, "is_identity", i == 2));
	return a;
}

/* ==== payout details: seal, open, mask ==== */

/*
 * The masked view of the sealed details in state.payout, which loses its
 * "sealed" member: {method, is_bank|is_paypal|is_alipay|is_stripe, bank, account_type,
 * holder, account, email, updated} or {unreadable: true}.
 */
static void
payout_view(http_req_t *req, json_t *state)
{
	json_t *p = json_object_get(state, "payout"), *d;
	const char *sealed, *m;
	unsigned char plain[PAYOUT_PLAIN_MAX];
	size_t len = 0;

	if (!json_is_object(p))
		return;
	sealed = json_string_value(json_object_get(p, "sealed"));
	if (sealed == NULL || secretbox_open(APP(req)->secret, sealed, plain, sizeof(plain),
	    &len) != 0) {
		log_warn("request_id=%s sellers: payout details of user %lld cannot be opened "
		    "(another key?)", req->request_id, req->user_id);
		json_object_del(p, "sealed");
		json_object_set_new(p, "unreadable", json_true());
		return;
	}
	json_object_del(p, "sealed");
	d = json_loadb((const char *)plain, len, 0, NULL);
	sodium_memzero(plain, sizeof(plain));
	m = json_string_value(json_object_get(d, "method"));
	if (d == NULL || m == NULL) {
		json_decref(d);
		json_object_set_new(p, "unreadable", json_true());
		return;
	}
#define S(k) json_string_value(json_object_get(d, k))
	if (strcmp(m, "bank") == 0) {
		const char *label = seller_bank_label(S("bank"));

		json_object_set_new(p, "is_bank", json_true());
		json_object_set_new(p, "bank", json_string(label ? label : ""));
		json_object_set_new(p, "holder", json_string(seller_mask_name(req->arena,
		    S("holder"))));
		json_object_set_new(p, "account", json_string(seller_mask_tail(req->arena,
		    S("account"), 4)));
		json_object_set_new(p, "is_savings",
		    json_boolean(S("type") != NULL && strcmp(S("type"), "savings") == 0));
	} else if (strcmp(m, "paypal") == 0) {
		json_object_set_new(p, "is_paypal", json_true());
		json_object_set_new(p, "email", json_string(seller_mask_email(req->arena,
		    S("email"))));
	} else if (strcmp(m, "alipay") == 0) {
		json_object_set_new(p, "is_alipay", json_true());
		json_object_set_new(p, "account", json_string(seller_mask_alipay(req->arena,
		    S("account"))));
	} else if (strcmp(m, "stripe") == 0) {
		const char *acct = S("account");

		/* "acct_•••• 7890": the prefix tells the kind, the tail which account */
		json_object_set_new(p, "is_stripe", json_true());
		json_object_set_new(p, "account", json_string(arena_printf(req->arena, "acct_%s",
		    seller_mask_tail(req->arena, acct != NULL && strlen(acct) > 5 ? acct + 5 : "",
		    4))));
	}
#undef S
	json_decref(d);
}

/*
 * Seal @d (the details as JSON) with the server key.
 * Returns: the sealed text in the arena, or NULL.
 */
static const char *
seal_details(http_req_t *req, json_t *d)
{
	char *s = json_dumps(d, JSON_COMPACT);
	buf_t out;
	size_t n;
	int rc;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	buf_init(&out, req->arena);
	rc = secretbox_seal(APP(req)->secret, (const unsigned char *)s, n, &out);
	sodium_memzero(s, n);
	free(s);
	return rc == 0 ? buf_cstr(&out) : NULL;
}

/* ==== step 1: profile ==== */

struct profile_form {
	const char *display_name, *headline, *bio, *skills, *country, *timezone;
	const char *lang[SELLER_LANGS_MAX], *level[SELLER_LANGS_MAX];
	const char *link[SELLER_LINKS_MAX];
	json_t *row_errors[SELLER_LANGS_MAX], *link_errors[SELLER_LINKS_MAX];
};

static void
profile_form_free(struct profile_form *f)
{
	for (int i = 0; i < SELLER_LANGS_MAX; i++)
		json_decref(f->row_errors[i]);
	for (int i = 0; i < SELLER_LINKS_MAX; i++)
		json_decref(f->link_errors[i]);
}

/* The element of @list (array of {code, ...}) whose code is @code, or NULL. */
static json_t *
find_code(json_t *list, const char *code)
{
	size_t i;
	json_t *e;

	if (code == NULL || code[0] == '\0')
		return NULL;
	json_array_foreach(list, i, e)
		if (strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
			return e;
	return NULL;
}

static int
level_ok(const char *l)
{
	for (const char *const *p = lang_levels; *p != NULL; p++)
		if (strcmp(*p, l) == 0)
			return 1;
	return 0;
}

/* The form from the saved profile of @state (GET). */
static void
profile_form_from_state(http_req_t *req, json_t *state, struct profile_form *f)
{
	json_t *p = json_object_get(state, "profile"), *e;
	size_t i;
	buf_t b;

	memset(f, 0, sizeof(*f));
	f->display_name = f->headline = f->bio = f->skills = f->country = f->timezone = "";
	for (i = 0; i < SELLER_LANGS_MAX; i++)
		f->lang[i] = f->level[i] = "";
	for (i = 0; i < SELLER_LINKS_MAX; i++)
		f->link[i] = "";
	if (json_is_object(p)) {
#define S(k) (json_string_value(json_object_get(p, k)) ? \
	json_string_value(json_object_get(p, k)) : "")
		f->display_name = S("display_name");
		f->headline = S("headline");
		f->bio = S("bio");
		f->country = S("country");
		f->timezone = S("timezone");
#undef S
		buf_init(&b, req->arena);
		json_array_foreach(json_object_get(p, "skills"), i, e) {
			if (i > 0)
				buf_puts(&b, ", ");
			buf_puts(&b, json_string_value(e));
		}
		f->skills = arena_strdup(req->arena, buf_cstr(&b));
		json_array_foreach(json_object_get(p, "languages"), i, e) {
			const char *c = json_string_value(json_object_get(e, "code"));
			const char *l = json_string_value(json_object_get(e, "level"));

			if (i >= SELLER_LANGS_MAX)
				break;
			f->lang[i] = c ? c : "";
			f->level[i] = l ? l : "";
		}
	}
	json_array_foreach(json_object_get(state, "portfolio_links"), i, e) {
		if (i >= SELLER_LINKS_MAX)
			break;
		f->link[i] = json_string_value(e);
	}
}

/*
 * Read and check the posted profile form against the reference lists
 * @ref.  Errors go to @errors; on success @skills, @langs and @links
 * receive new JSON arrays for the query.
 */
static void
profile_form_read(http_req_t *req, json_t *ref, struct profile_form *f, json_t *errors,
    json_t **skills, json_t **langs, json_t **links)
{
	json_t *langlist = json_object_get(ref, "languages");
	char name[24];
	int rc;

	memset(f, 0, sizeof(*f));
	*skills = NULL;
	*langs = json_array();
	*links = json_array();

	/* Values as typed, for the form shown again. */
	f->display_name = http_form(req, "display_name");
	f->headline = http_form(req, "headline");
	f->bio = http_form(req, "bio");
	f->skills = http_form(req, "skills");
	f->country = http_form(req, "country");
	f->timezone = http_form(req, "timezone");
	for (int i = 0; i < SELLER_LANGS_MAX; i++) {
		snprintf(name, sizeof(name), "lang_%d", i + 1);
		f->lang[i] = http_form(req, name);
		snprintf(name, sizeof(name), "level_%d", i + 1);
		f->level[i] = http_form(req, name);
	}
	for (int i = 0; i < SELLER_LINKS_MAX; i++) {
		snprintf(name, sizeof(name), "link_%d", i + 1);
		f->link[i] = http_form(req, name);
	}

	/* Display name, headline, bio. */
	{
		const char *v;

		if (seller_clean_text(req->arena, f->display_name, 0, &v) != 0)
			app_form_error(errors, "display_name", "bad_char");
		else if (v[0] == '\0')
			app_form_error(errors, "display_name", "required");
		else if (seller_utf8_chars(v) > SELLER_NAME_MAX)
			app_form_error(errors, "display_name", "too_long");
		else
			f->display_name = v;
		if (seller_clean_text(req->arena, f->headline, 0, &v) != 0)
			app_form_error(errors, "headline", "bad_char");
		else if (seller_utf8_chars(v) > SELLER_HEADLINE_MAX)
			app_form_error(errors, "headline", "too_long");
		else
			f->headline = v;
		if (seller_clean_text(req->arena, f->bio, 1, &v) != 0)
			app_form_error(errors, "bio", "bad_char");
		else if (seller_utf8_chars(v) > SELLER_BIO_MAX)
			app_form_error(errors, "bio", "too_long");
		else
			f->bio = v;
	}

	/* Skills. */
	rc = seller_parse_skills(req->arena, f->skills, skills);
	if (rc == SELLER_SKILLS_TOO_MANY)
		app_form_error(errors, "skills", "too_many");
	else if (rc == SELLER_SKILLS_TOO_LONG)
		app_form_error(errors, "skills", "too_long");
	else if (rc != SELLER_SKILLS_OK)
		app_form_error(errors, "skills", "bad_char");

	/* Languages: a row is used when a language is chosen. */
	for (int i = 0; i < SELLER_LANGS_MAX; i++) {
		json_t *l = find_code(langlist, f->lang[i]);
		int dup = 0;

		if (f->lang[i][0] == '\0') {
			if (f->level[i][0] != '\0')
				f->row_errors[i] = json_pack("{s:b}", "no_language", 1);
			continue;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(f->lang[j], f->lang[i]) == 0)
				dup = 1;
		if (l == NULL)
			f->row_errors[i] = json_pack("{s:b}", "unknown", 1);
		else if (dup)
			f->row_errors[i] = json_pack("{s:b}", "duplicate", 1);
		else if (f->level[i][0] == '\0' || !level_ok(f->level[i]))
			f->row_errors[i] = json_pack("{s:b}", "no_level", 1);
		else
			json_array_append_new(*langs, json_pack("{s:s, s:O, s:s}",
			    "code", f->lang[i], "name", json_object_get(l, "name_en"),
			    "level", f->level[i]));
		if (f->row_errors[i] != NULL)
			app_form_error(errors, "languages", "row");
	}

	/* Country and time zone. */
	if (f->country[0] == '\0')
		app_form_error(errors, "country", "required");
	else if (find_code(json_object_get(ref, "countries"), f->country) == NULL)
		app_form_error(errors, "country", "unknown");
	if (f->timezone[0] == '\0')
		app_form_error(errors, "timezone", "required");
	else if (!seller_timezone_ok(f->timezone))
		app_form_error(errors, "timezone", "unknown");

	/* Portfolio links: empty rows are skipped. */
	for (int i = 0; i < SELLER_LINKS_MAX; i++) {
		const char *v;

		if (seller_clean_text(req->arena, f->link[i], 0, &v) != 0)
			f->link_errors[i] = json_pack("{s:b}", "invalid", 1);
		else if (v[0] == '\0')
			continue;
		else if (strlen(v) > SELLER_URL_MAX)
			f->link_errors[i] = json_pack("{s:b}", "too_long", 1);
		else if (!seller_https_url_ok(v))
			f->link_errors[i] = json_pack("{s:b}", "invalid", 1);
		else
			json_array_append_new(*links, json_string(v));
		if (f->link_errors[i] != NULL)
			app_form_error(errors, "links", "row");
	}
}

/* The context of the profile form. */
static json_t *
profile_ctx(json_t *state, json_t *ref, const struct profile_form *f, json_t *errors)
{
	json_t *ctx = json_object(), *a, *e, *rows, *links;
	size_t i;

	json_object_set_new(ctx, "form", json_pack("{s:s, s:s, s:s, s:s}",
	    "display_name", f->display_name, "headline", f->headline, "bio", f->bio,
	    "skills", f->skills));
	a = json_array();
	json_array_foreach(json_object_get(ref, "countries"), i, e)
		json_array_append_new(a, json_pack("{s:O, s:O, s:b}", "code",
		    json_object_get(e, "code"), "name", json_object_get(e, "name"), "selected",
		    strcmp(json_string_value(json_object_get(e, "code")), f->country) == 0));
	json_object_set_new(ctx, "countries", a);
	a = json_array();
	for (const char *const *t = timezones; *t != NULL; t++)
		json_array_append_new(a, json_pack("{s:s, s:b}", "name", *t,
		    "selected", strcmp(*t, f->timezone) == 0));
	json_object_set_new(ctx, "timezones", a);
	rows = json_array();
	for (int r = 0; r < SELLER_LANGS_MAX; r++) {
		json_t *row, *opts = json_array();

		json_array_foreach(json_object_get(ref, "languages"), i, e)
			json_array_append_new(opts, json_pack("{s:O, s:O, s:b}", "code",
			    json_object_get(e, "code"), "name", json_object_get(e, "name"),
			    "selected", strcmp(json_string_value(json_object_get(e, "code")),
			    f->lang[r]) == 0));
		row = json_pack("{s:i, s:o, s:b, s:b, s:b, s:b}", "n", r + 1, "options", opts,
		    "lv_basic", strcmp(f->level[r], "basic") == 0,
		    "lv_conversational", strcmp(f->level[r], "conversational") == 0,
		    "lv_fluent", strcmp(f->level[r], "fluent") == 0,
		    "lv_native", strcmp(f->level[r], "native") == 0);
		json_object_set(row, "row_error", f->row_errors[r] ? f->row_errors[r] : json_false());
		json_array_append_new(rows, row);
	}
	json_object_set_new(ctx, "lang_rows", rows);
	links = json_array();
	for (int r = 0; r < SELLER_LINKS_MAX; r++) {
		json_t *row = json_pack("{s:i, s:s}", "n", r + 1, "value", f->link[r]);

		json_object_set(row, "link_error", f->link_errors[r] ? f->link_errors[r] :
		    json_false());
		json_array_append_new(links, row);
	}
	json_object_set_new(ctx, "link_rows", links);
	json_object_set(ctx, "errors", errors);
	json_object_set_new(ctx, "has_errors", json_boolean(json_object_size(errors) > 0));
	json_object_set_new(ctx, "steps", steps_json(state, 1));
	json_object_set(ctx, "is_seller", json_object_get(state, "is_seller"));
	return ctx;
}

static int
profile_page(http_req_t *req, json_t *state, const struct profile_form *f, json_t *errors,
    int status)
{
	json_t *ref;
	int rc;

	if ((rc = sellers_db_reference(APP(req)->db, app_lang(req), &ref)) != DB_OK)
		return app_db_status(req, rc);
	rc = render(req, "seller/profile", profile_ctx(state, ref, f, errors), status,
	    N_("Your seller profile | Souk"));
	json_decref(ref);
	return rc;
}

/*
 * After a step was saved: grant SELLER when both steps are done (inside
 * the caller's transaction), auditing the grant.
 * Returns: DB_OK with *@granted set, or an error.
 */
static int
grant_if_ready(http_req_t *req, int *granted)
{
	json_t *after;
	int rc;

	if ((rc = sellers_db_grant_if_ready(APP(req)->db, req->user_id, granted)) != DB_OK ||
	    !*granted)
		return rc;
	after = json_pack("{s:s, s:s}", "role", "SELLER", "via", "seller.onboarding");
	rc = audit_write(req, req->user_id, "role.grant", "user",
	    arena_printf(req->arena, "%lld", req->user_id), NULL, after);
	json_decref(after);
	return rc;
}

/* Commit, rotate the session after a grant, and redirect (303) to the next step. */
static int
finish_step(http_req_t *req, int granted, const char *next)
{
	int rc;

	if ((rc = db_commit(APP(req)->db)) != DB_OK)
		return abort_tx(req, rc);
	if (granted) {
		log_info("request_id=%s sellers: user %lld became a seller", req->request_id,
		    req->user_id);
		restart_session(req, ROLE_BIT(ROLE_SELLER));
		next = "/seller?welcome=1";
	}
	http_no_store(req);
	http_redirect(req, 303, next);
	return req->status;
}

static int
profile_get(http_req_t *req)
{
	struct profile_form f;
	json_t *state, *errors = json_object();
	int rc;

	if ((rc = load_state(req, &state)) != 0) {
		json_decref(errors);
		return rc;
	}
	profile_form_from_state(req, state, &f);
	rc = profile_page(req, state, &f, errors, 200);
	json_decref(errors);
	json_decref(state);
	return rc;
}

static int
profile_post(http_req_t *req)
{
	struct profile_form f;
	json_t *state, *ref, *errors = json_object(), *skills, *langs, *links;
	db_t *db = APP(req)->db;
	char *s_skills = NULL, *s_langs = NULL, *s_links = NULL;
	int rc, granted = 0, payout_done;

	if ((rc = load_state(req, &state)) != 0) {
		json_decref(errors);
		return rc;
	}
	if ((rc = sellers_db_reference(db, app_lang(req), &ref)) != DB_OK) {
		json_decref(errors);
		json_decref(state);
		return app_db_status(req, rc);
	}
	profile_form_read(req, ref, &f, errors, &skills, &langs, &links);
	json_decref(ref);
	if (json_object_size(errors) > 0) {
		rc = profile_page(req, state, &f, errors, 422);
		goto out;
	}
	s_skills = json_dumps(skills, JSON_COMPACT);
	s_langs = json_dumps(langs, JSON_COMPACT);
	s_links = json_dumps(links, JSON_COMPACT);
	if (s_skills == NULL || s_langs == NULL || s_links == NULL) {
		rc = app_error(req, 500, NULL);
		goto out;
	}
	if ((rc = db_begin(db)) != DB_OK) {
		rc = app_db_status(req, rc);
		goto out;
	}
	if ((rc = sellers_db_save_profile(db, req->user_id, f.display_name, f.headline, f.bio,
	    s_skills, s_langs, f.country, f.timezone, s_links)) != DB_OK ||
	    (rc = grant_if_ready(req, &granted)) != DB_OK) {
		rc = abort_tx(req, rc);
		goto out;
	}
	payout_done = json_is_object(json_object_get(state, "payout"));
	rc = finish_step(req, granted, state_flag(state, "is_seller") || payout_done ?
	    "/seller" : "/seller/onboarding/payout");
out:
	free(s_skills);
	free(s_langs);
	free(s_links);
	json_decref(skills);
	json_decref(langs);
	json_decref(links);
	profile_form_free(&f);
	json_decref(errors);
	json_decref(state);
	return rc;
}

/* ==== step 2: payout details ==== */

/*
 * A Stripe connected account id, ^acct_[A-Za-z0-9]{6,64}$ (Stripe Connect,
 * docs/payment-gateways.md §3.4: the transfer's destination).
 */
static int
stripe_account_ok(const char *s)
{
	size_t n;

	if (strncmp(s, "acct_", 5) != 0)
		return 0;
	s += 5;
	n = strlen(s);
	return n >= 6 && n <= 64 &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

struct payout_form {
	const char *method, *holder, *bank, *branch, *account, *account_type;
	const char *paypal_email, *alipay_account, *stripe_account;
};

static json_t *
payout_ctx(http_req_t *req, json_t *state, const struct payout_form *f, json_t *errors)
{
	json_t *ctx = json_object(), *a = json_array();

	for (const struct bank *b = banks; b->code != NULL; b++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "code", b->code,
		    "label", b->label, "selected", strcmp(b->code, f->bank) == 0));
	json_object_set_new(ctx, "banks", a);
	json_object_set_new(ctx, "form", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:b, s:b, s:b, s:b, s:b, s:b}",
	    "holder", f->holder, "branch", f->branch, "account", f->account,
	    "paypal_email", f->paypal_email, "alipay_account", f->alipay_account,
	    "stripe_account", f->stripe_account,
	    "m_bank", strcmp(f->method, "bank") == 0,
	    "m_paypal", strcmp(f->method, "paypal") == 0,
	    "m_alipay", strcmp(f->method, "alipay") == 0,
	    "m_stripe", strcmp(f->method, "stripe") == 0,
	    "t_cheque", strcmp(f->account_type, "cheque") == 0,
	    "t_savings", strcmp(f->account_type, "savings") == 0));
	payout_view(req, state);
	json_object_set(ctx, "current", json_object_get(state, "payout"));
	json_object_set(ctx, "errors", errors);
	json_object_set_new(ctx, "has_errors", json_boolean(json_object_size(errors) > 0));
	json_object_set_new(ctx, "steps", steps_json(state, 2));
	json_object_set(ctx, "is_seller", json_object_get(state, "is_seller"));
	return ctx;
}

static int
payout_get(http_req_t *req)
{
	struct payout_form f = { "", "", "", "", "", "", "", "", "" };
	json_t *state, *errors;
	const char *m;
	int rc;

	if ((rc = load_state(req, &state)) != 0)
		return rc;
	/* Only the method is shown again: saved details are never put back in a form. */
	m = json_string_value(json_object_get(json_object_get(state, "payout"), "method"));
	if (m != NULL)
		f.method = m;
	errors = json_object();
	rc = render(req, "seller/payout", payout_ctx(req, state, &f, errors), 200,
	    N_("Payout details | Souk"));
	json_decref(errors);
	json_decref(state);
	return rc;
}

/*
 * Check the posted payout form; on success return the details as JSON
 * (new reference), else NULL with @errors filled.
 */
static json_t *
payout_form_read(http_req_t *req, struct payout_form *f, json_t *errors)
{
	const char *v, *d;

	f->method = http_form(req, "method");
	f->holder = http_form(req, "holder");
	f->bank = http_form(req, "bank");
	f->branch = http_form(req, "branch");
	f->account = http_form(req, "account");
	f->account_type = http_form(req, "account_type");
	f->paypal_email = http_form(req, "paypal_email");
	f->alipay_account = http_form(req, "alipay_account");
	f->stripe_account = http_form(req, "stripe_account");

	if (strcmp(f->method, "bank") == 0) {
		const char *holder = NULL, *branch, *account;

		if (seller_clean_text(req->arena, f->holder, 0, &v) != 0)
			app_form_error(errors, "holder", "bad_char");
		else if (v[0] == '\0')
			app_form_error(errors, "holder", "required");
		else if (seller_utf8_chars(v) > SELLER_HOLDER_MAX)
			app_form_error(errors, "holder", "too_long");
		else
			holder = v;
		if (f->bank[0] == '\0')
			app_form_error(errors, "bank", "required");
		else if (seller_bank_label(f->bank) == NULL)
			app_form_error(errors, "bank", "unknown");
		if ((branch = seller_digits(req->arena, f->branch, 6, 6)) == NULL)
			app_form_error(errors, "branch", "invalid");
		if ((account = seller_digits(req->arena, f->account, 7, 11)) == NULL)
			app_form_error(errors, "account", "invalid");
		if (strcmp(f->account_type, "cheque") != 0 && strcmp(f->account_type, "savings") != 0)
			app_form_error(errors, "account_type", "required");
		if (json_object_size(errors) > 0)
			return NULL;
		return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "v", 1, "method", "bank",
		    "holder", holder, "bank", f->bank, "branch", branch, "account", account,
		    "type", f->account_type);
	}
	if (strcmp(f->method, "paypal") == 0) {
		if (seller_clean_text(req->arena, f->paypal_email, 0, &v) != 0 ||
		    !seller_email_ok(v)) {
			app_form_error(errors, "paypal_email", v != NULL && v[0] == '\0' ? "required" :
			    "invalid");
			return NULL;
		}
		return json_pack("{s:i, s:s, s:s}", "v", 1, "method", "paypal", "email", v);
	}
	if (strcmp(f->method, "alipay") == 0) {
		if (seller_clean_text(req->arena, f->alipay_account, 0, &v) != 0) {
			app_form_error(errors, "alipay_account", "invalid");
			return NULL;
		}
		if (v[0] == '\0') {
			app_form_error(errors, "alipay_account", "required");
			return NULL;
		}
		if (strchr(v, '@') != NULL)
			d = seller_email_ok(v) ? v : NULL;
		else
			d = seller_cn_mobile(req->arena, v);
		if (d == NULL) {
			app_form_error(errors, "alipay_account", "invalid");
			return NULL;
		}
		return json_pack("{s:i, s:s, s:s}", "v", 1, "method", "alipay", "account", d);
	}
	if (strcmp(f->method, "stripe") == 0) {
		if (seller_clean_text(req->arena, f->stripe_account, 0, &v) != 0) {
			app_form_error(errors, "stripe_account", "invalid");
			return NULL;
		}
		if (v[0] == '\0') {
			app_form_error(errors, "stripe_account", "required");
			return NULL;
		}
		if (!stripe_account_ok(v)) {
			app_form_error(errors, "stripe_account", "invalid");
			return NULL;
		}
		return json_pack("{s:i, s:s, s:s}", "v", 1, "method", "stripe", "account", v);
	}
	f->method = "";
	app_form_error(errors, "method", "required");
	return NULL;
}

static int
payout_post(http_req_t *req)
{
	struct payout_form f;
	json_t *state, *details, *errors = json_object(), *before = NULL, *after = NULL;
	db_t *db = APP(req)->db;
	const char *sealed, *had;
	int rc, granted = 0;

	if ((rc = load_state(req, &state)) != 0) {
		json_decref(errors);
		return rc;
	}
	if ((details = payout_form_read(req, &f, errors)) == NULL) {
		rc = render(req, "seller/payout", payout_ctx(req, state, &f, errors), 422,
		    N_("Payout details | Souk"));
		goto out;
	}
	sealed = seal_details(req, details);
	json_decref(details);
	if (sealed == NULL) {
		rc = app_error(req, 500, NULL);
		goto out;
	}
	had = json_string_value(json_object_get(json_object_get(state, "payout"), "method"));
	if ((rc = db_begin(db)) != DB_OK) {
		rc = app_db_status(req, rc);
		goto out;
	}
	/* The audit entry names the method only, never the details. */
	before = had != NULL ? json_pack("{s:s}", "method", had) : NULL;
	after = json_pack("{s:s}", "method", f.method);
	if ((rc = sellers_db_save_payout(db, req->user_id, f.method, sealed)) != DB_OK ||
	    (rc = audit_write(req, req->user_id, "seller.payout", "user",
	    arena_printf(req->arena, "%lld", req->user_id), before, after)) != DB_OK ||
	    (rc = grant_if_ready(req, &granted)) != DB_OK) {
		rc = abort_tx(req, rc);
		goto out;
	}
	rc = finish_step(req, granted, state_flag(state, "profile_done") ? "/seller" :
	    "/seller/onboarding/profile");
out:
	json_decref(before);
	json_decref(after);
	json_decref(errors);
	json_decref(state);
	return rc;
}

/* ==== step 3: identity verification ==== */

static json_t *
verification_flags(json_t *state)
{
	json_t *v = json_deep_copy(json_object_get(state, "verification"));
	const char *st = json_string_value(json_object_get(v, "status"));

	if (v == NULL)
		v = json_object();
	if (st == NULL)
		st = "none";
	json_object_set_new(v, "is_none", json_boolean(strcmp(st, "none") == 0));
	json_object_set_new(v, "is_pending", json_boolean(strcmp(st, "pending") == 0));
	json_object_set_new(v, "is_verified", json_boolean(strcmp(st, "verified") == 0));
	json_object_set_new(v, "is_rejected", json_boolean(strcmp(st, "rejected") == 0));
	json_object_set_new(v, "can_submit", json_boolean(strcmp(st, "none") == 0 ||
	    strcmp(st, "rejected") == 0));
	return v;
}

static int
identity_get(http_req_t *req)
{
	json_t *state, *ctx;
	int rc;

	if ((rc = load_state(req, &state)) != 0)
		return rc;
	ctx = json_object();
	json_object_set_new(ctx, "verification", verification_flags(state));
	json_object_set(ctx, "is_seller", json_object_get(state, "is_seller"));
	json_object_set_new(ctx, "steps", steps_json(state, 3));
	rc = render(req, "seller/identity", ctx, 200, N_("Identity verification | Souk"));
	json_decref(state);
	return rc;
}

static int
identity_post(http_req_t *req)
{
	json_t *state, *before, *after;
	db_t *db = APP(req)->db;
	const char *was;
	int rc;

	if ((rc = load_state(req, &state)) != 0)
		return rc;
	if (!state_flag(state, "is_seller")) {
		json_decref(state);
		http_no_store(req);
		http_redirect(req, 303, "/seller/onboarding");
		return req->status;
	}
	json_decref(state);
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	rc = sellers_db_submit_verification(db, req->user_id, &was);
	if (rc == DB_ENOROW) {
		/* Already pending or verified: nothing to do. */
		db_rollback(db);
		http_no_store(req);
		http_redirect(req, 303, "/seller/onboarding/identity");
		return req->status;
	}
	if (rc != DB_OK)
		return abort_tx(req, rc);
	before = json_pack("{s:s}", "status", was);
	after = json_pack("{s:s}", "status", "pending");
	rc = audit_write(req, req->user_id, "seller.verification", "user",
	    arena_printf(req->arena, "%lld", req->user_id), before, after);
	json_decref(before);
	json_decref(after);
	if (rc != DB_OK)
		return abort_tx(req, rc);
	return finish_step(req, 0, "/seller/onboarding/identity");
}

/* ==== onboarding entry and dashboard ==== */

static int
onboarding(http_req_t *req)
{
	json_t *state;
	const char *next;
	int rc;

	if ((rc = load_state(req, &state)) != 0)
		return rc;
	if (!state_flag(state, "profile_done") && !state_flag(state, "is_seller"))
		next = "/seller/onboarding/profile";
	else if (!json_is_object(json_object_get(state, "payout")))
		next = "/seller/onboarding/payout";
	else if (state_flag(state, "is_seller"))
		next = "/seller/onboarding/identity";
	else
		next = "/seller";
	json_decref(state);
	http_no_store(req);
	http_redirect(req, 303, next);
	return req->status;
}

static int
dashboard(http_req_t *req)
{
	json_t *state, *p;
	int rc;

	if ((rc = load_state(req, &state)) != 0)
		return rc;
	if (!state_flag(state, "is_seller")) {
		int done = state_flag(state, "profile_done") &&
		    json_is_object(json_object_get(state, "payout"));

		json_decref(state);
		if (done)	/* onboarded, and the role was taken away since */
			return app_error(req, 403, N_("Your seller account is not active. "
			    "Contact support to find out why."));
		http_no_store(req);
		http_redirect(req, 303, "/seller/onboarding");
		return req->status;
	}
	/* The role was granted but this session predates it: rotate now. */
	if (req->session != NULL && !(req->session->roles & ROLE_BIT(ROLE_SELLER)))
		restart_session(req, ROLE_BIT(ROLE_SELLER));
	payout_view(req, state);
	json_object_set_new(state, "verification", verification_flags(state));
	json_object_set_new(state, "steps", steps_json(state, 0));
	json_object_set_new(state, "welcome",
	    json_boolean(kv_get(&req->query_params, "welcome") != NULL));
	json_object_set_new(state, "has_links",
	    json_boolean(json_array_size(json_object_get(state, "portfolio_links")) > 0));
	p = json_object_get(state, "profile");
	if (json_is_object(p))
		json_object_set_new(p, "has_languages",
		    json_boolean(json_array_size(json_object_get(p, "languages")) > 0));
	rc = render(req, "seller/dashboard", state, 200, N_("Seller dashboard | Souk"));
	return rc;
}

/* ==== staff: identity verifications ==== */

/*
 * MODERATOR, ADMIN or SUPER_ADMIN with 2FA on.  Returns 0 to go on, or the
 * status of the answer already made (403, a 303 to /account/2fa, 503).
 */
static int
staff_gate(http_req_t *req)
{
	const unsigned ok = ROLE_BIT(ROLE_MODERATOR) | ROLE_BIT(ROLE_ADMIN) |
	    ROLE_BIT(ROLE_SUPER_ADMIN);

	if ((req->roles & ok) == 0)
		return app_error(req, 403, NULL);
	switch (twofa_enabled(APP(req)->db, req->user_id)) {
	case 1:
		return 0;
	case 0:
		http_no_store(req);
		http_redirect(req, 303, "/account/2fa?required=1");
		return req->status;
	default:
		return app_error(req, 503, NULL);
	}
}

/* The queue page; @id/@decision/@reason/@errors re-show one row's form (422). */
static int
verifications_page(http_req_t *req, long long id, const char *decision, const char *reason,
    json_t *errors, int status)
{
	json_t *ctx, *row;
	size_t i;
	int rc;

	if ((rc = sellers_db_pending(APP(req)->db, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	json_array_foreach(json_object_get(ctx, "pending"), i, row) {
		int mine = json_integer_value(json_object_get(row, "user_id")) == id;

		json_object_set_new(row, "self", json_boolean(
		    json_integer_value(json_object_get(row, "user_id")) == req->user_id));
		json_object_set(row, "row_errors", mine && errors ? errors : json_false());
		json_object_set_new(row, "reason_value", json_string(mine && reason ? reason : ""));
		json_object_set_new(row, "d_verified", json_boolean(mine && decision &&
		    strcmp(decision, "verified") == 0));
		json_object_set_new(row, "d_rejected", json_boolean(mine && decision &&
		    strcmp(decision, "rejected") == 0));
	}
	json_object_set_new(ctx, "done", json_boolean(
	    kv_get(&req->query_params, "done") != NULL && status == 200));
	return render(req, "seller/verifications", ctx, status, N_("Identity verifications | Souk"));
}

static int
verifications_get(http_req_t *req)
{
	int rc;

	if ((rc = staff_gate(req)) != 0)
		return rc;
	return verifications_page(req, 0, NULL, NULL, NULL, 200);
}

int
sellers_verification_review(http_req_t *req, long long seller_id, int verified,
    const char *reason)
{
	db_t *db = APP(req)->db;
	json_t *before, *after;
	int rc;

	if (!verified && (reason == NULL || reason[0] == '\0' ||
	    seller_utf8_chars(reason) > SELLER_REASON_MAX))
		return DB_ERROR;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = sellers_db_review(db, seller_id, req->user_id, verified ? "verified" :
	    "rejected", verified ? NULL : reason)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	before = json_pack("{s:s}", "status", "pending");
	after = verified ? json_pack("{s:s}", "status", "verified") :
	    json_pack("{s:s, s:s}", "status", "rejected", "reason", reason);
	rc = audit_write(req, req->user_id, "seller.verification", "user",
	    arena_printf(req->arena, "%lld", seller_id), before, after);
	json_decref(before);
	json_decref(after);
	if (rc != DB_OK || (rc = db_commit(db)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	return DB_OK;
}

static int
verifications_post(http_req_t *req)
{
	long long id = req->match.ints[0];
	const char *decision = http_form(req, "decision"), *reason = NULL;
	json_t *errors;
	int rc, verified;

	if ((rc = staff_gate(req)) != 0)
		return rc;
	errors = json_object();
	verified = strcmp(decision, "verified") == 0;
	if (!verified && strcmp(decision, "rejected") != 0)
		app_form_error(errors, "decision", "required");
	if (seller_clean_text(req->arena, http_form(req, "reason"), 1, &reason) != 0)
		app_form_error(errors, "reason", "bad_char");
	else if (seller_utf8_chars(reason) > SELLER_REASON_MAX)
		app_form_error(errors, "reason", "too_long");
	else if (!verified && reason[0] == '\0' && strcmp(decision, "rejected") == 0)
		app_form_error(errors, "reason", "required");
	if (id == req->user_id)
		app_form_error(errors, "decision", "own");
	if (json_object_size(errors) > 0) {
		rc = verifications_page(req, id, decision, reason ? reason : http_form(req, "reason"),
		    errors, 422);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	rc = sellers_verification_review(req, id, verified, reason);
	if (rc == DB_ENOROW)
		return app_error(req, 409, N_("This request is no longer pending: "
		    "someone else may have decided it already."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	log_info("request_id=%s sellers: verification of user %lld set to %s by %lld",
	    req->request_id, id, verified ? "verified" : "rejected", req->user_id);
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/verifications?done=%lld", id));
	return req->status;
}

const route_t sellers_routes[] = {
	{ "GET", "/seller", dashboard, ROLE_BUYER, "seller.dashboard" },
	{ "GET", "/seller/onboarding", onboarding, ROLE_BUYER, "seller.onboarding" },
	{ "GET", "/seller/onboarding/profile", profile_get, ROLE_BUYER, "seller.profile" },
	{ "POST", "/seller/onboarding/profile", profile_post, ROLE_BUYER, "seller.profile_save" },
	{ "GET", "/seller/onboarding/payout", payout_get, ROLE_BUYER, "seller.payout" },
	{ "POST", "/seller/onboarding/payout", payout_post, ROLE_BUYER, "seller.payout_save" },
	{ "GET", "/seller/onboarding/identity", identity_get, ROLE_BUYER, "seller.identity" },
	{ "POST", "/seller/onboarding/identity", identity_post, ROLE_BUYER,
	    "seller.identity_submit" },
	{ "GET", "/admin/verifications", verifications_get, ROLE_SUPPORT,
	    "admin.verifications" },
	{ "POST", "/admin/verifications/{id:int}", verifications_post, ROLE_SUPPORT,
	    "admin.verification_review" },
};
const size_t sellers_nroutes = sizeof(sellers_routes) / sizeof(sellers_routes[0]);
