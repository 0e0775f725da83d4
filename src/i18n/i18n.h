/*
 * i18n.h - user interface languages: message catalogs, language
 * negotiation and the language switch.
 *
 * Souk speaks English ("en", the language of the source texts) and
 * Simplified Chinese ("zh-CN").  Texts are looked up by their exact
 * English wording (the msgid) in GNU gettext message catalogs:
 * po/zh_CN.po, compiled by msgfmt into the binary .mo format
 * (zh_CN.mo).  Templates mark texts with the {{#t}}...{{/t}} lambda; C
 * code marks texts with N_("...") and translates them where they are
 * used with i18n_gettext() or i18n_str().  po/extract.mjs collects both
 * into po/souk.pot and merges it into the .po files.
 *
 * The {{#t}} lambda looks up the raw section text, so a translation may
 * keep {{tags}} (the engine renders the result).  When one English word
 * has two meanings, a leading Mustache comment makes two msgids and
 * renders as nothing in English: {{#t}}{{! price }}From{{/t}}.
 *
 * Why not glibc's gettext(3): its catalog and language are process-global
 * and bound to the C locale (setlocale, generated system locales,
 * LANGUAGE), so answering one request in English and the next in Chinese
 * from the same prefork worker means switching global state on every
 * request.  The .mo format is simple, so this module reads it itself:
 * i18n_load() parses the files once, in the master before fork, into an
 * immutable index that forked workers share copy-on-write, and every
 * lookup names its language explicitly.  Lookups never allocate and never
 * fail; a missing translation falls back to the English msgid.
 *
 * Thread safety: i18n_load() and i18n_free() change the process-wide
 * catalogs and must not run concurrently with lookups (souk-web calls
 * them in the master only, at start-up and on SIGHUP).  Everything else
 * only reads.
 */
#ifndef SOUK_I18N_I18N_H
#define SOUK_I18N_I18N_H

#include <stddef.h>

#include "http/http.h"

/*
 * N_ - mark a C string literal for translation without translating it
 * (the gettext "noop" convention).  po/extract.mjs collects the literal
 * (adjacent literals are joined, escapes decoded) as a msgid; translate
 * it where it is shown: i18n_str(app_lang(req), text).
 */
#define N_(s) (s)

/* The name of the cookie holding the chosen language ("en" or "zh-CN"). */
#define I18N_COOKIE "souk_lang"

/* Lifetime of that cookie, in seconds (one year). */
#define I18N_COOKIE_MAX_AGE 31536000

/*
 * Where souk-web looks for the compiled catalogs unless SOUK_LOCALE_DIR
 * is set: the installed location (make install puts po/zh_CN.mo there).
 */
#define I18N_DEFAULT_DIR SOUK_DATADIR "/locale"

/*
 * i18n_load - load the message catalogs from a directory.
 * @dir:    directory holding zh_CN.mo (the catalog of "zh-CN"); NULL
 *          unloads everything, leaving English only.
 * @err:    receives a NUL-terminated message on failure (may be NULL when
 *          @errlen is 0).
 * @errlen: size of @err in bytes.
 *
 * Each file is read whole into memory and validated: the magic number
 * 0x950412de in either byte order, format revision 0 or 1, and every
 * string of the original and translation tables inside the file and
 * NUL-terminated.  Entries with an empty msgid (the header) or an empty
 * translation are skipped; for plural entries the singular form is the
 * key and the first plural form the translation; entries with a context
 * (msgctxt) are kept under "context\004msgid" as gettext does.  The
 * index does not rely on the file's own sort order.
 * On success the new catalogs replace the old ones (whose strings become
 * invalid); on failure the old ones stay in place.
 * Returns: 0 on success; -1 with @err filled when a file is missing,
 * unreadable, larger than 64 MiB or malformed.
 */
int i18n_load(const char *dir, char *err, size_t errlen);

/*
 * i18n_load_default - load the catalogs souk-web and its tools use.
 * @err, @errlen: as for i18n_load().
 *
 * The directory is $SOUK_LOCALE_DIR when set and non-empty (./dev points
 * it at the build tree's po/); a failure to load it is an error.  Without
 * the variable, I18N_DEFAULT_DIR is tried; if its catalog is missing a
 * warning is logged and the process carries on in English only.
 * Returns: 0 on success (or English-only fallback); -1 with @err filled.
 */
int i18n_load_default(char *err, size_t errlen);

/*
 * i18n_free - unload every catalog (English only afterwards).  Strings
 * returned by earlier lookups become invalid.
 */
void i18n_free(void);

/*
 * i18n_count - number of translated messages loaded for @lang (0 for
 * "en", for an unknown language or when nothing is loaded).
 */
size_t i18n_count(const char *lang);

/*
 * i18n_gettext - the translation of a text.
 * @lang:   "en" or "zh-CN" (NULL, "en" or any other value: no lookup).
 * @msgid:  the English text, @len bytes, need not be NUL-terminated.
 * @len:    length of @msgid in bytes.
 * @outlen: receives the length of the result in bytes (may be NULL).
 *
 * The lookup is an exact, byte-wise match of the whole text.
 * Returns: a pointer into the loaded catalog (valid until the next
 * i18n_load() or i18n_free(), always NUL-terminated), or @msgid itself
 * when @lang is English or the text has no translation.  Never NULL
 * unless @msgid is NULL.
 */
const char *i18n_gettext(const char *lang, const char *msgid, size_t len,
    size_t *outlen);

/*
 * i18n_str - i18n_gettext() for a NUL-terminated @msgid.
 * Returns: a NUL-terminated translation, or @msgid.
 */
const char *i18n_str(const char *lang, const char *msgid);

/*
 * i18n_status_text - the reason phrase of an HTTP status for people, in
 * @lang ("Not Found", "未找到页面"); falls back to http_status_text().
 * Returns: a static or catalog string, never NULL.
 */
const char *i18n_status_text(const char *lang, int status);

/*
 * i18n_lang_valid - 1 when @lang is a language Souk offers ("en" or
 * "zh-CN", exactly), else 0 (NULL included).
 */
int i18n_lang_valid(const char *lang);

/*
 * i18n_pick - the negotiation itself, a pure function.
 * @cookie: the value of the souk_lang cookie, or NULL when absent.
 * @accept_language: the Accept-Language header, or NULL/"" when absent.
 *
 * A valid cookie value ("en" or "zh-CN") wins.  Otherwise the header is
 * read as RFC 9110 language ranges with optional q-values: "zh" and any
 * "zh-..." range (zh-CN, zh-Hans, zh-SG, zh-TW: only Simplified Chinese is
 * offered) count for "zh-CN", "en" and "en-..." for "en", and "*" for
 * whichever of the two the header does not name.  Each language takes
 * the highest q among its ranges; q=0 excludes it.  The highest q wins;
 * on a tie, the language named first; "en" when nothing matches.
 * Malformed ranges or q-values are skipped (a bad q counts as q=0), and
 * at most 64 ranges are read, so any input is safe and linear.
 * Returns: "en" or "zh-CN" (static strings).
 */
const char *i18n_pick(const char *cookie, const char *accept_language);

/*
 * i18n_negotiate - the UI language of a request.
 * @req: the request (cookies and Accept-Language already parsed).
 *
 * i18n_pick() of the souk_lang cookie and the Accept-Language header.
 * Since the answer depends on both, it also adds the response header
 * "Vary: Accept-Language, Cookie" (caches keep the languages apart).
 * Returns: "en" or "zh-CN" (static); the caller stores it in req->lang.
 */
const char *i18n_negotiate(http_req_t *req);

/*
 * i18n_safe_next - the local path to send a browser back to.
 * @a:    arena for the result.
 * @next: a candidate (already percent-decoded), or NULL.
 *
 * Accepted: a path that starts with "/" but not "//" or "/\", contains
 * no backslash and no control character, at most 2048 bytes.  Bytes
 * outside printable ASCII, spaces and quotes are percent-encoded so the
 * result is a valid Location value.
 * Returns: the path (in @a), or NULL when @next is not acceptable.
 */
const char *i18n_safe_next(arena_t *a, const char *next);

/*
 * i18n_switch - GET /lang?l=LANG[&next=PATH]: remember the language.
 * @req: the request.
 *
 * l must be "en" or "zh-CN" (else a 400 page).  Sets the souk_lang cookie
 * (Path=/, one year, HttpOnly, SameSite=Lax, Secure unless the site is
 * plain http on loopback) and answers 303 to @next when i18n_safe_next()
 * accepts it, else to the path of the Referer when it is this site (same
 * host), else to "/".
 * Returns: the response status.
 */
int i18n_switch(http_req_t *req);

/* The module's routes, for src/web/app.c (GET /lang). */
extern const route_t i18n_routes[];
extern const size_t i18n_nroutes;

#endif
