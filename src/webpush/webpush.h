/*
 * webpush.h - Web Push from souk (issue 6, "Notifications → Web Push").
 *
 *   crypto.c      RFC 8291 message encryption with the RFC 8188 "aes128gcm"
 *                 content coding; RFC 8292 VAPID (an ES256 JWT); base64url;
 *   send.c        the POST to a push service (RFC 8030) with libcurl, and
 *                 the souk-worker job "push";
 *   webpush_web.c the routes (webpush_routes) and the subscription table's SQL
 *                 (sql/0025_webpush.sql: push_subscriptions, push_deliveries).
 *
 * Everything cryptographic uses OpenSSL 3 (EVP): ECDH and ECDSA on P-256,
 * HKDF-SHA-256, AES-128-GCM.  Keys cross this interface as raw octets:
 * a P-256 public key is the 65-byte uncompressed point 0x04 || X || Y
 * (SEC 1, 2.3.3), a private key its 32-byte big-endian scalar.
 *
 * Routes (src/web/app.c registers webpush_routes):
 *
 *	GET  /push/key                    the VAPID public key, base64url
 *	                                  (text/plain), for
 *	                                  pushManager.subscribe(); 404 when Web
 *	                                  Push is off (no vapid_private_key_file)
 *	POST /push/subscriptions          (signed in) form fields csrf and either
 *	                                  `subscription` (the JSON of
 *	                                  PushSubscription.toJSON(): {endpoint,
 *	                                  keys: {p256dh, auth}}) or `endpoint`,
 *	                                  `p256dh`, `auth`; stores (or takes over)
 *	                                  the device's subscription: 201, or 422
 *	                                  for a malformed one (endpoint not
 *	                                  https://, or http://127.0.0.1 /
 *	                                  localhost only with dev_mode or
 *	                                  gateway_test_mode; p256dh not a 65-byte
 *	                                  P-256 point; auth not 16 bytes)
 *	POST /push/subscriptions/delete   field endpoint: forgets the caller's
 *	                                  subscription with that endpoint: 204
 *	                                  (303 to /settings/notifications without
 *	                                  "Accept: application/json"); 404 when
 *	                                  the caller has none with it
 *
 * With "Accept: application/json" the answers are JSON: 201 {"ok": true},
 * errors {"error": "<code>", "message": "<translated text>"}.
 *
 * The payload a service worker receives is the JSON object {title, body,
 * url, tag} (templates/webpush/settings.mustache, static/js/push.js, H4's
 * sw.js).
 */
#ifndef SOUK_WEBPUSH_WEBPUSH_H
#define SOUK_WEBPUSH_WEBPUSH_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "core/config.h"
#include "http/router.h"

struct worker_ctx;

/* Sizes in bytes. */
#define WEBPUSH_KEY_LEN		65	/* uncompressed P-256 point */
#define WEBPUSH_PRIV_LEN	32	/* P-256 private scalar */
#define WEBPUSH_AUTH_LEN	16	/* the subscription's auth secret (RFC 8291, 3.2) */
#define WEBPUSH_SALT_LEN	16	/* RFC 8188 salt */
#define WEBPUSH_RS		4096	/* record size we announce (RFC 8188, 2.1) */
#define WEBPUSH_HEADER_LEN	(WEBPUSH_SALT_LEN + 4 + 1 + WEBPUSH_KEY_LEN)	/* 86 */
#define WEBPUSH_TAG_LEN		16	/* AES-GCM tag */
/* Encrypted body = header + plaintext + 1 (the 0x02 delimiter) + tag. */
#define WEBPUSH_OVERHEAD	(WEBPUSH_HEADER_LEN + 1 + WEBPUSH_TAG_LEN)	/* 103 */
/* Largest plaintext: push services accept a body of 4096 bytes (RFC 8030, 7.2). */
#define WEBPUSH_MAX_PLAINTEXT	(4096 - WEBPUSH_OVERHEAD)	/* 3993 */
/* Longest subscription endpoint URL we store, bytes. */
#define WEBPUSH_ENDPOINT_MAX	2000
/* Seconds one push request may take (connect + answer). */
#define WEBPUSH_TIMEOUT		10
/* Subscriptions kept per user (the newest; one per device). */
#define WEBPUSH_MAX_PER_USER	20
/* Consecutive rejected pushes (4xx other than 404/410/429) after which a
 * subscription is dropped. */
#define WEBPUSH_MAX_FAILURES	10
/* Lifetime of the VAPID JWT, seconds (RFC 8292, 2: at most 24 hours). */
#define WEBPUSH_JWT_LIFETIME	(12 * 3600)

/* Results of the functions below. */
enum {
	WEBPUSH_OK = 0,
	WEBPUSH_EINVAL = -1,	/* bad input (key length, base64url, point not on the curve, ...) */
	WEBPUSH_ECRYPTO = -2,	/* OpenSSL failed (out of memory, ...) */
	WEBPUSH_EGONE = -3,	/* push service: 404/410, the subscription no longer exists */
	WEBPUSH_ERETRY = -4,	/* push service: 429/5xx or a network error: try again later */
	WEBPUSH_EREJECTED = -5,	/* push service: another status (4xx): it will not accept this */
	WEBPUSH_ECONFIG = -6,	/* the VAPID key file is missing or not a P-256 key */
};

extern const route_t webpush_routes[];
extern const size_t webpush_nroutes;

/* ==== base64url (RFC 4648, 5), without padding ==== */

/*
 * webpush_b64url_decode - decode the base64url text @s (padding '=' at the
 * end is tolerated, nothing else outside the alphabet is) into @out, at
 * most @outmax bytes.
 * @outlen: receives the number of bytes decoded.
 * Returns: WEBPUSH_OK, or WEBPUSH_EINVAL (NULL, bad character, or more than
 * @outmax bytes).
 */
int webpush_b64url_decode(const char *s, unsigned char *out, size_t outmax, size_t *outlen);

/*
 * webpush_b64url_encode - @len bytes of @in as base64url without padding.
 * Returns: a NUL-terminated heap string the caller frees with free(), or
 * NULL when out of memory.
 */
char *webpush_b64url_encode(const unsigned char *in, size_t len);

/* ==== RFC 8291 / RFC 8188 encryption ==== */

/*
 * webpush_encrypt - encrypt one push message for a subscription (RFC 8291,
 * aes128gcm): a fresh ephemeral P-256 key and a random 16-byte salt each
 * call, one record of size WEBPUSH_RS with the 0x02 delimiter, no padding.
 * @ua_public: the subscription's p256dh key, WEBPUSH_KEY_LEN bytes.
 * @auth:      the subscription's auth secret, WEBPUSH_AUTH_LEN bytes.
 * @plain:     @len bytes, at most WEBPUSH_MAX_PLAINTEXT.
 * @out:       receives a heap buffer (caller free()s) of @len +
 *             WEBPUSH_OVERHEAD bytes: salt(16) || rs(4, big-endian 4096) ||
 *             idlen(1) = 65 || keyid (the ephemeral public key) || ciphertext
 *             || tag; the request body for "Content-Encoding: aes128gcm".
 * @outlen:    receives its length.
 * @err:       a one-line reason on failure (@errlen bytes).
 * Returns: WEBPUSH_OK, WEBPUSH_EINVAL (a key not on the curve, too long a
 * plaintext) or WEBPUSH_ECRYPTO.
 */
int webpush_encrypt(const unsigned char ua_public[WEBPUSH_KEY_LEN],
    const unsigned char auth[WEBPUSH_AUTH_LEN], const unsigned char *plain, size_t len,
    unsigned char **out, size_t *outlen, char *err, size_t errlen);

/*
 * webpush_encrypt_with - webpush_encrypt with the salt and the application
 * server's (ephemeral) key pair given: for tests that reproduce RFC 8291,
 * Appendix A byte for byte.  Never reuse a salt or key pair in production.
 * @as_private: the key pair's private scalar, WEBPUSH_PRIV_LEN bytes.
 * @as_public:  its public point, WEBPUSH_KEY_LEN bytes (written as keyid).
 * Other arguments and the result as for webpush_encrypt.
 */
int webpush_encrypt_with(const unsigned char ua_public[WEBPUSH_KEY_LEN],
    const unsigned char auth[WEBPUSH_AUTH_LEN], const unsigned char salt[WEBPUSH_SALT_LEN],
    const unsigned char as_private[WEBPUSH_PRIV_LEN],
    const unsigned char as_public[WEBPUSH_KEY_LEN], const unsigned char *plain, size_t len,
    unsigned char **out, size_t *outlen, char *err, size_t errlen);

/*
 * webpush_point_valid - whether @key (@len bytes) is an uncompressed point
 * on P-256 (what a subscription's p256dh must be).
 * Returns: 1 or 0.
 */
int webpush_point_valid(const unsigned char *key, size_t len);

/* ==== RFC 8292 VAPID ==== */

/* The application server's VAPID key (opaque; webpush_vapid_load). */
typedef struct webpush_vapid webpush_vapid_t;

/*
 * webpush_vapid_load - read the P-256 private key in PEM file @path
 * ("openssl ecparam -name prime256v1 -genkey -noout" output, or PKCS #8).
 * @out: receives the key, owned by the caller (webpush_vapid_free).
 * Returns: WEBPUSH_OK, or WEBPUSH_ECONFIG with the reason in @err
 * (unreadable file, not an EC key, another curve).
 */
int webpush_vapid_load(const char *path, webpush_vapid_t **out, char *err, size_t errlen);

/* webpush_vapid_free - release @v (NULL is ignored). */
void webpush_vapid_free(webpush_vapid_t *v);

/*
 * webpush_vapid_public - the public key as base64url of its 65-byte
 * uncompressed point (the "k" of the Authorization header and the
 * applicationServerKey of pushManager.subscribe).  Owned by @v.
 */
const char *webpush_vapid_public(const webpush_vapid_t *v);

/*
 * webpush_origin - the origin (RFC 6454) of URL @url: "scheme://host" plus
 * ":port" when the URL has one that is not the scheme's default; the
 * VAPID "aud" claim.
 * Returns: a heap string (caller free()s), or NULL when @url is not an
 * absolute http(s) URL.
 */
char *webpush_origin(const char *url);

/*
 * webpush_vapid_jwt - the signed JWT of RFC 8292, 2: header
 * {"typ":"JWT","alg":"ES256"}, claims {"aud": origin of @endpoint,
 * "exp": @now + WEBPUSH_JWT_LIFETIME (Unix seconds), "sub": @subject},
 * signed with ECDSA P-256 / SHA-256 (RFC 7518, 3.4: the signature is
 * r || s, 64 bytes, base64url).
 * @subject: "mailto:..." or an https: URL (cfg.vapid_subject).
 * Returns: a heap string (caller free()s), or NULL with the reason in @err
 * (bad endpoint, signing failed).
 */
char *webpush_vapid_jwt(const webpush_vapid_t *v, const char *endpoint, const char *subject,
    time_t now, char *err, size_t errlen);

/*
 * webpush_vapid_header - the value of the Authorization header (RFC 8292,
 * 3): "vapid t=<jwt>, k=<public key>".  Arguments as webpush_vapid_jwt.
 * Returns: a heap string (caller free()s), or NULL with the reason in @err.
 */
char *webpush_vapid_header(const webpush_vapid_t *v, const char *endpoint, const char *subject,
    time_t now, char *err, size_t errlen);

/* ==== subscriptions and sending ==== */

/*
 * webpush_endpoint_ok - whether @endpoint may be stored as a subscription
 * endpoint: an absolute https:// URL with a host, no user:password, at
 * most WEBPUSH_ENDPOINT_MAX bytes of printable ASCII; with @allow_loopback
 * also http://127.0.0.1[:port]/... and http://localhost[:port]/... (the
 * local push-service stand-in in development and tests).
 * Returns: 1 or 0.
 */
int webpush_endpoint_ok(const char *endpoint, int allow_loopback);

/*
 * struct webpush_sub - one subscription as sent to a push service.
 * @endpoint:  the push resource URL (RFC 8030, 5).
 * @p256dh:    the user agent's public key, WEBPUSH_KEY_LEN bytes.
 * @auth:      its auth secret, WEBPUSH_AUTH_LEN bytes.
 */
struct webpush_sub {
	const char	*endpoint;
	unsigned char	 p256dh[WEBPUSH_KEY_LEN];
	unsigned char	 auth[WEBPUSH_AUTH_LEN];
};

/*
 * webpush_send - encrypt @plain (@len bytes, at most WEBPUSH_MAX_PLAINTEXT)
 * for @sub and POST it to its endpoint (RFC 8030, 5) with libcurl: TLS
 * verification on, WEBPUSH_TIMEOUT seconds, no redirects; headers TTL
 * (@ttl seconds), Content-Encoding: aes128gcm, Urgency (@urgency:
 * "very-low", "low", "normal" or "high"), Authorization: vapid (signed
 * with @v for @subject).
 * Without @allow_loopback the connection is refused when the host
 * resolves to a loopback, private (RFC 1918 / RFC 4193), link-local, CGNAT,
 * multicast or unspecified address (checked at connect time, so DNS cannot
 * point a subscription into our network).
 * @allow_loopback: permit http://127.0.0.1 endpoints (webpush_endpoint_ok)
 *                  and non-public addresses (development and tests).
 * @status: receives the HTTP status (0 when there was no answer).
 * Returns: WEBPUSH_OK (201/202 and other 2xx: accepted), WEBPUSH_EGONE
 * (404/410: delete the subscription), WEBPUSH_ERETRY (429, 5xx, network or
 * TLS error), WEBPUSH_EREJECTED (any other status, or a non-public
 * address), WEBPUSH_EINVAL (the
 * endpoint is not acceptable) or WEBPUSH_ECRYPTO; a one-line reason in
 * @err except on WEBPUSH_OK.
 */
int webpush_send(const webpush_vapid_t *v, const char *subject, const struct webpush_sub *sub,
    const unsigned char *plain, size_t len, long ttl, const char *urgency, int allow_loopback,
    long *status, char *err, size_t errlen);

/*
 * webpush_vapid_cached - the VAPID key of @cfg (vapid_private_key_file),
 * loaded once per process and reloaded when the path changes.
 * Returns: the key, owned by this module (valid until the next call with
 * another path), or NULL when Web Push is off (empty path) or the file
 * cannot be used (logged once per path).
 */
const webpush_vapid_t *webpush_vapid_cached(const struct souk_config *cfg);

/*
 * webpush_job - souk-worker handler of job kind "push", payload
 * {"notification_id": N} (src/jobs/jobs.h, struct job_handler).  Reads
 * notification N (table notifications, sql/0024: user_id, type, title,
 * body, url, data, created_at, read_at); does nothing when Web Push is off,
 * when it has been read, or when the user has an open tab (Redis key
 * presence:u:<user_id> exists).  Otherwise it sends {title, body, url,
 * tag} (tag "conversation-<id>" for a message, else "notification-<N>";
 * body cut to 1000 bytes) to every subscription of the user that has not
 * accepted this version of it yet (table push_deliveries; the version is
 * created_at, which a refreshed "message" notification moves), with
 * Urgency high for messages, normal otherwise; deletes subscriptions the
 * push service reports gone (404/410), counts other refusals (dropping a
 * subscription after WEBPUSH_MAX_FAILURES in a row), and sets
 * notifications.pushed_at when at least one device accepted this version.
 * Returns: JOB_OK; JOB_ERETRY when a push service asked to retry (429,
 * 5xx, network) or the database is unavailable: the retry only sends to
 * the devices that have not accepted; JOB_EPERM for a bad payload or an
 * unknown notification.
 */
int webpush_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen);

/*
 * webpush_worker_end - at process exit: close the Redis connection
 * webpush_job opened for the presence check and free the key
 * webpush_vapid_cached loaded.  No return value; safe to call when neither
 * was used, and more than once.
 */
void webpush_worker_end(void);

#endif
