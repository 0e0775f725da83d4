/*
 * config.h - souk configuration: a "key = value" file plus environment.
 *
 * Precedence, lowest first: built-in defaults (suited to ./dev up), the
 * file, then SOUK_<KEY> environment variables (SOUK_DATABASE_URL, ...).
 * Lines starting with '#' and blank lines are ignored.
 */
#ifndef SOUK_CORE_CONFIG_H
#define SOUK_CORE_CONFIG_H

#include <stddef.h>

struct souk_config {
	char *listen;		/* unix socket path, or host:port */
	int workers;		/* worker processes; default 2 x cores */
	int max_requests;	/* requests a worker serves before it is recycled; 0 = never */
	char *database_url;	/* libpq conninfo */
	char *redis_url;	/* "unix:/path" or "host:port" */
	char *templates_dir;	/* folder of *.mustache */
	char *base_url;		/* absolute site URL without trailing slash */
	int dev_mode;		/* 1 enables development pages */
	size_t max_body;	/* largest request body accepted, bytes */
	int db_timeout;		/* statement timeout, milliseconds */
	char *secret_key;	/* 64 hex digits: the server key (libsodium) that
				 * seals payout details and TOTP secrets and keys
				 * recovery-code hashes; "" = a fixed development key */
	char *smtp_url;		/* "smtp://host:port" or "smtps://host:port" */
	char *smtp_user;	/* "" = no authentication */
	char *smtp_password;
	int smtp_starttls;	/* 1 = require STARTTLS */
	int smtp_timeout;	/* seconds for one delivery */
	char *mail_from;	/* "Name <address>" */

	/* Money (src/orders, src/ledger).  Amounts in minor units of the
	 * currency named; rates in basis points (1/100 of a percent). */
	int buyer_fee_bps;		/* buyer service fee; default 550 = 5.5% */
	int seller_fee_bps;		/* seller fee on release; default 2000 = 20% */
	int small_order_threshold_usd;	/* subtotal below which the small-order fee applies */
	int small_order_fee_usd;
	int small_order_threshold_zar;
	int small_order_fee_zar;
	int small_order_threshold_cny;
	int small_order_fee_cny;
	int clearance_days;		/* escrow release -> available; default 14 */
	int clearance_days_top;		/* the same for top-rated sellers; default 7 */
	int auto_complete_days;		/* delivered with no answer -> completed; default 3 */
	int cancel_answer_hours;	/* mutual cancellation answer window; default 48 */

	/* Gateways (src/payments; ../shared/docs/payment-gateways.md).  URLs
	 * point at the real hosts in production and at souk-paysim in
	 * development and tests. */
	int gateway_test_mode;		/* 1 = loopback may send notifications; default 0 */
	int gateway_timeout;		/* seconds for one outbound gateway call; default 20 */
	char *notify_base_url;		/* base of notify/return URLs; "" = base_url */
	char *payfast_merchant_id;
	char *payfast_merchant_key;
	char *payfast_passphrase;
	char *payfast_process_url;	/* .../eng/process */
	char *payfast_validate_url;	/* .../eng/query/validate */
	char *payfast_api_url;		/* https://api.payfast.co.za */
	char *payfast_itn_allow;	/* comma-separated IPv4 addresses/CIDRs */
	char *ozow_site_code;
	char *ozow_private_key;
	char *ozow_api_key;
	char *ozow_pay_url;		/* https://pay.ozow.com */
	char *ozow_api_url;		/* https://api.ozow.com */
	char *stripe_secret_key;
	char *stripe_webhook_secret;	/* whsec_...; up to two, comma-separated */
	char *stripe_api_url;		/* https://api.stripe.com */
	char *stripe_pay_url;		/* hosted confirmation page base */
	char *paypal_client_id;
	char *paypal_secret;
	char *paypal_webhook_id;
	char *paypal_api_url;
	char *alipay_app_id;
	char *alipay_private_key_file;	/* PEM, the merchant's RSA key */
	char *alipay_public_key_file;	/* PEM, Alipay's public key */
	char *alipay_gateway_url;
	char *wechat_mchid;
	char *wechat_appid;
	char *wechat_serial;		/* the merchant certificate's serial */
	char *wechat_private_key_file;	/* PEM, the merchant's RSA key */
	char *wechat_platform_key_file;	/* PEM, WeChat Pay's platform public key */
	char *wechat_platform_serial;
	char *wechat_apiv3_key;		/* 32 bytes */
	char *wechat_api_url;

	/* souk-sse (src/sse/sse.h): live events. */
	char *sse_listen;		/* "unix:/path" or "host:port"; default 127.0.0.1:9001 */
	int sse_max_per_user;		/* open /events connections per user; default 8 */
	int sse_heartbeat;		/* seconds between ": hb" comments; default 15 */
	size_t sse_max_buffer;		/* bytes queued for one client before it is dropped; default 256 KiB */

	/* messages (src/messages/messages.h): the warning banner. */
	char *message_warn_patterns;	/* POSIX extended regexes, case-insensitive, separated
					 * by " ;; "; a message matching any gets the
					 * off-platform warning; default: phone numbers and
					 * common off-platform payment/contact requests */

	/* Web Push (src/webpush/webpush.h): VAPID, RFC 8292. */
	char *vapid_private_key_file;	/* PEM, an EC P-256 private key; "" = Web Push off */
	char *vapid_subject;		/* "mailto:..." or "https://..." (the JWT "sub") */
	int push_ttl;			/* seconds a push service keeps an undelivered push; default 86400 */
};

/*
 * config_load - fill @cfg from defaults, the file @path (NULL or "" = none)
 * and the environment.  Strings in @cfg are heap copies owned by @cfg.
 * Returns: 0, or -1 with a message in @err (unreadable file, unknown key,
 * bad number) naming the file and line.
 */
int config_load(struct souk_config *cfg, const char *path, char *err, size_t errlen);

/* config_free - release the strings of @cfg. */
void config_free(struct souk_config *cfg);

#endif
