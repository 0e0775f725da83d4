/*
 * mail.h - e-mail: message building, SMTP delivery, mail templates, and
 * the "mail" job of souk-worker.
 *
 * Souk never sends mail from a web request.  A handler enqueues a job of
 * kind "mail" in its transaction (src/jobs/jobs.h), e.g.
 *   {"template": "verify_email", "to": "ada@example.com", "lang": "en",
 *    "data": {"handle": "ada", "link": "https://.../verify?t=..."}}
 * and souk-worker runs mail_job(): it renders
 * templates/mail/<template>.subject.mustache, .txt.mustache and (if
 * present) .html.mustache with the data (mail_render), builds an RFC 5322
 * message (mail_build) and hands it to the SMTP relay with libcurl
 * (mail_send).
 *
 * Standards followed: RFC 5321 (SMTP envelope), RFC 5322 (message format:
 * CRLF line ends, lines of at most 998 octets, Date, Message-ID), RFC 2045
 * and 2046 (MIME, quoted-printable, multipart/alternative), RFC 2047
 * (encoded-words for non-ASCII header text), RFC 3834 (Auto-Submitted).
 */
#ifndef SOUK_NOTIFY_MAIL_H
#define SOUK_NOTIFY_MAIL_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"

struct tmpl_set;
struct worker_ctx;

/* Results of mail_build() and mail_send(). */
enum {
	MAIL_OK = 0,
	MAIL_ERROR = -1,	/* delivery failed, may work later (network, 4xx, ...) */
	MAIL_EINVAL = -2,	/* bad input: address, header injection, not UTF-8 */
	MAIL_EREJECTED = -3,	/* the server refused the mailbox for good (550, 551, 553) */
};

/*
 * struct mail_config - how to reach the SMTP relay.  The strings are
 * borrowed (mail_config_from() points them into the souk_config).
 */
struct mail_config {
	const char	*url;		/* smtp://host:port (STARTTLS optional) or smtps://host:465 */
	const char	*user;		/* AUTH user, NULL or "" for none */
	const char	*password;	/* AUTH password */
	int		 starttls;	/* 1: require STARTTLS on smtp:// (CURLUSESSL_ALL) */
	const char	*from;		/* "Name <addr>" or "addr": From header and envelope sender */
	long		 connect_timeout_ms;	/* TCP + TLS connect, milliseconds */
	long		 timeout_ms;	/* whole SMTP transaction, milliseconds */
};

/* The From used when mail_from is not set. */
#define MAIL_FROM_DEFAULT "Souk <no-reply@souk.invalid>"

struct souk_config;

/*
 * mail_config_from - the SMTP settings of the configuration (src/core/
 * config.h: smtp_url, smtp_user, smtp_password, smtp_starttls,
 * smtp_timeout in seconds, mail_from; each overridable by SOUK_<KEY> in
 * the environment, e.g. SOUK_SMTP_URL).
 * @mc: filled; its strings point into @cfg and live as long as it does.
 */
void mail_config_from(struct mail_config *mc, const struct souk_config *cfg);

/*
 * mail_address_ok - tell whether @addr is an addr-spec Souk sends to:
 * local@domain in printable ASCII, no spaces, quotes, brackets, commas,
 * semicolons, colons or backslashes, at most 254 octets (local part at
 * most 64), a domain of letters, digits, '-' and '.' (RFC 5321 4.1.2 and
 * 4.5.3.1, without quoted local parts, address literals or SMTPUTF8).
 * Returns: 1 if acceptable, 0 otherwise (NULL gives 0).
 */
int mail_address_ok(const char *addr);

/*
 * mail_header - append one header field "Name: value" CRLF to @out.
 * @name:  field name (ASCII, no ':'), e.g. "Subject".
 * @value: unstructured UTF-8 text.  Pure ASCII is written as is, folded
 *         at spaces to keep lines near 78 octets (RFC 5322 2.2.3); text
 *         with non-ASCII characters (or "=?", or an unfoldable run) is
 *         written as RFC 2047 "B" encoded-words of at most 75 octets,
 *         each holding whole UTF-8 characters, separated by CRLF SP.
 * Returns: MAIL_OK, or MAIL_EINVAL when @value holds CR, LF or another
 * control character (header injection) or is not valid UTF-8; @out is
 * then unchanged.
 */
int mail_header(buf_t *out, const char *name, const char *value);

/*
 * mail_qp_encode - append @len bytes of @s quoted-printable encoded
 * (RFC 2045 6.7) to @out.  LF and CRLF in @s are line breaks and become
 * CRLF; every other byte outside printable ASCII, '=', white space at a
 * line end and '.' at a line start are =XX escapes; soft line breaks
 * keep every line at most 76 octets.
 */
void mail_qp_encode(buf_t *out, const char *s, size_t len);

/*
 * mail_build - build a complete message, ready for SMTP DATA.
 * @out:     the message is appended (heap or arena buffer of the caller).
 * @from:    "Display Name <addr>" or "addr"; a non-ASCII display name is
 *           RFC 2047 encoded, one with specials is quoted.
 * @to:      the recipient's addr-spec (mail_address_ok).
 * @subject: UTF-8, one line (RFC 2047 encoded when not ASCII).
 * @text:    the plain-text body, UTF-8, required (may be "").
 * @html:    the HTML body, UTF-8; NULL or "" sends text/plain alone,
 *           otherwise multipart/alternative with text/plain first and
 *           text/html second (RFC 2046 5.1.4: preferred part last).
 * @date:    the Date header's time (seconds since the epoch, UTC).
 * @err:     receives a message on failure (@errlen bytes, may be 0).
 * Headers: Date, From, To, Subject, Message-ID (<32 random hex
 * digits@the sender's domain>, libsodium randombytes), MIME-Version,
 * Auto-Submitted: auto-generated, Content-Type; bodies are UTF-8 and
 * quoted-printable.  Every line ends in CRLF and none exceeds 998 octets.
 * Returns: MAIL_OK, or MAIL_EINVAL (bad address, CR/LF or control
 * characters in @from/@to/@subject, text not UTF-8) with @err filled and
 * @out unchanged.
 */
int mail_build(buf_t *out, const char *from, const char *to, const char *subject,
    const char *text, const char *html, time_t date, char *err, size_t errlen);

/*
 * mail_send - send one message to one recipient through the relay.
 * @mc:      the relay (curl_global_init() must have been called).
 * @to, @subject, @text, @html: as for mail_build(); the sender is mc->from.
 * @err:     receives a one-line reason on failure (no credentials in it).
 * Builds the message with mail_build() and sends it with libcurl's SMTP
 * (MAIL FROM, RCPT TO, DATA; RFC 5321), within mc->timeout_ms.
 * Returns: MAIL_OK; MAIL_EINVAL (mail_build refused); MAIL_EREJECTED (the
 * server answered 550, 551 or 553: the mailbox does not exist or is not
 * allowed); MAIL_ERROR (anything else: connection, TLS, 4xx, other 5xx).
 */
int mail_send(const struct mail_config *mc, const char *to, const char *subject,
    const char *text, const char *html, char *err, size_t errlen);

/*
 * mail_render - render the three templates of a mail.
 * @set:       compiled templates_dir (tmpl_set_load_dir), holding
 *             mail/<name>.subject, mail/<name>.txt and optionally
 *             mail/<name>.html (which may extend mail/layout.html).
 * @name:      template name, [a-z0-9_]{1,64}, e.g. "verify_email".
 * @lang:      "en" or "zh-CN" (NULL: "en"); the {{#t}}…{{/t}} lambda
 *             translates into it with i18n_gettext() (src/i18n/i18n.h;
 *             the catalogs must have been loaded with i18n_load_default(),
 *             else the text stays English); also available as {{lang}}.
 * @data:      the template data (a JSON object, or NULL); borrowed.  The
 *             context is a copy of it plus site: {name, base_url} and lang.
 * @site_name, @base_url: for the site object (base_url without trailing /).
 * @subject, @text, @html: receive the renderings (appended); the subject
 *             is trimmed of surrounding white space; @html stays empty when
 *             there is no .html template.
 * Templates other than .html must use {{{triple}}} mustaches for data
 * (plain text, no HTML escaping).
 * Returns: 0, or -1 with @err filled (bad name, no such template, render
 * error).
 */
int mail_render(const struct tmpl_set *set, const char *name, const char *lang,
    json_t *data, const char *site_name, const char *base_url, buf_t *subject,
    buf_t *text, buf_t *html, char *err, size_t errlen);

/*
 * mail_job - the "mail" job handler (struct job_handler, src/jobs/jobs.h).
 * @payload: {"template": NAME, "to": ADDR, "lang": "en"|"zh-CN", "data": {...}}
 *           (lang and data optional); borrowed.
 * Renders with w->tmpl and w->cfg->base_url, sends with w->mail.
 * Returns: JOB_OK; JOB_EPERM for a bad payload, unknown template, render
 * error, refused address or mailbox; JOB_ERETRY when delivery failed
 * otherwise.  @err receives the reason.
 */
int mail_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen);

#endif
