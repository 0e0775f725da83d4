/*
 * config.c - key = value configuration with environment overrides.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

enum ctype { C_STR, C_INT, C_SIZE };

struct key {
	const char *name;
	enum ctype type;
	size_t off;
};

#define K(n, t) { #n, t, offsetof(struct souk_config, n) }
static const struct key keys[] = {
	K(listen, C_STR), K(workers, C_INT), K(max_requests, C_INT),
	K(sse_listen, C_STR), K(sse_max_per_user, C_INT), K(sse_heartbeat, C_INT),
	K(sse_max_buffer, C_SIZE),
	K(message_warn_patterns, C_STR),
	K(vapid_private_key_file, C_STR), K(vapid_subject, C_STR), K(push_ttl, C_INT),
	K(database_url, C_STR), K(redis_url, C_STR), K(templates_dir, C_STR),
	K(base_url, C_STR), K(dev_mode, C_INT), K(max_body, C_SIZE),
	K(db_timeout, C_INT), K(secret_key, C_STR), K(smtp_url, C_STR),
	K(smtp_user, C_STR), K(smtp_password, C_STR), K(smtp_starttls, C_INT),
	K(mail_from, C_STR), K(smtp_timeout, C_INT),
	K(buyer_fee_bps, C_INT),
	K(seller_fee_bps, C_INT),
	K(small_order_threshold_usd, C_INT),
	K(small_order_fee_usd, C_INT),
	K(small_order_threshold_zar, C_INT),
	K(small_order_fee_zar, C_INT),
	K(small_order_threshold_cny, C_INT),
	K(small_order_fee_cny, C_INT),
	K(clearance_days, C_INT),
	K(clearance_days_top, C_INT),
	K(auto_complete_days, C_INT),
	K(cancel_answer_hours, C_INT),
	K(gateway_test_mode, C_INT),
	K(gateway_timeout, C_INT),
	K(notify_base_url, C_STR),
	K(payfast_merchant_id, C_STR),
	K(payfast_merchant_key, C_STR),
	K(payfast_passphrase, C_STR),
	K(payfast_process_url, C_STR),
	K(payfast_validate_url, C_STR),
	K(payfast_api_url, C_STR),
	K(payfast_itn_allow, C_STR),
	K(ozow_site_code, C_STR),
	K(ozow_private_key, C_STR),
	K(ozow_api_key, C_STR),
	K(ozow_pay_url, C_STR),
	K(ozow_api_url, C_STR),
	K(stripe_secret_key, C_STR),
	K(stripe_webhook_secret, C_STR),
	K(stripe_api_url, C_STR),
	K(stripe_pay_url, C_STR),
	K(paypal_client_id, C_STR),
	K(paypal_secret, C_STR),
	K(paypal_webhook_id, C_STR),
	K(paypal_api_url, C_STR),
	K(alipay_app_id, C_STR),
	K(alipay_private_key_file, C_STR),
	K(alipay_public_key_file, C_STR),
	K(alipay_gateway_url, C_STR),
	K(wechat_mchid, C_STR),
	K(wechat_appid, C_STR),
	K(wechat_serial, C_STR),
	K(wechat_private_key_file, C_STR),
	K(wechat_platform_key_file, C_STR),
	K(wechat_platform_serial, C_STR),
	K(wechat_apiv3_key, C_STR),
	K(wechat_api_url, C_STR),
};
#undef K

static int
set_value(struct souk_config *cfg, const struct key *k, const char *v)
{
	char *end;
	long long n;
	void *field = (char *)cfg + k->off;

	switch (k->type) {
	case C_STR:
		free(*(char **)field);
		*(char **)field = strdup(v);
		return 0;
	case C_INT:
	case C_SIZE:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0 || n > 1000000000LL)
			return -1;
		if (k->type == C_INT)
			*(int *)field = (int)n;
		else
			*(size_t *)field = (size_t)n;
		return 0;
	}
	return -1;
}

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_load(struct souk_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char line[2048], envname[64];
	int lineno = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = strdup("127.0.0.1:9000");
	cfg->workers = (int)(cores > 0 ? 2 * cores : 4);
	cfg->max_requests = 100000;
	cfg->sse_listen = strdup("127.0.0.1:9001");
	cfg->sse_max_per_user = 8;
	cfg->sse_heartbeat = 15;
	cfg->sse_max_buffer = 256 * 1024;
	cfg->message_warn_patterns = strdup(
	    "(\\+?[0-9]([ ().-]{0,2}[0-9]){8,})"
	    " ;; (whats ?app|telegram|signal app|skype|wechat id|weixin|line id|viber)"
	    " ;; (pay(ment)? (me )?(outside|off|directly|via bank|by bank)|bank transfer|"
	    "paypal\\.me|venmo|cash ?app|western union|e-?mail me at|contact me at)"
	    " ;; (微信|加我|电话|手机号|支付宝转账|私下(交易|付款))");
	cfg->vapid_private_key_file = strdup("");
	cfg->vapid_subject = strdup("mailto:support@souk.invalid");
	cfg->push_ttl = 86400;
	cfg->database_url = strdup("dbname=souk");
	cfg->redis_url = strdup("127.0.0.1:6379");
	cfg->templates_dir = strdup(SOUK_DATADIR "/templates");
	cfg->base_url = strdup("http://127.0.0.1:8080");
	cfg->dev_mode = 0;
	cfg->max_body = 1024 * 1024;
	cfg->db_timeout = 5000;
	cfg->secret_key = strdup("");
	cfg->smtp_url = strdup("smtp://127.0.0.1:25");
	cfg->smtp_user = strdup("");
	cfg->smtp_password = strdup("");
	cfg->smtp_starttls = 0;
	cfg->smtp_timeout = 60;
	cfg->mail_from = strdup("Souk <no-reply@souk.invalid>");
	cfg->buyer_fee_bps = 550;
	cfg->seller_fee_bps = 2000;
	cfg->small_order_threshold_usd = 5000;
	cfg->small_order_fee_usd = 200;
	cfg->small_order_threshold_zar = 90000;
	cfg->small_order_fee_zar = 3500;
	cfg->small_order_threshold_cny = 35000;
	cfg->small_order_fee_cny = 1500;
	cfg->clearance_days = 14;
	cfg->clearance_days_top = 7;
	cfg->auto_complete_days = 3;
	cfg->cancel_answer_hours = 48;
	cfg->gateway_test_mode = 0;
	cfg->gateway_timeout = 20;
	cfg->notify_base_url = strdup("");
	cfg->payfast_merchant_id = strdup("");
	cfg->payfast_merchant_key = strdup("");
	cfg->payfast_passphrase = strdup("");
	cfg->payfast_process_url = strdup("https://www.payfast.co.za/eng/process");
	cfg->payfast_validate_url = strdup("https://www.payfast.co.za/eng/query/validate");
	cfg->payfast_api_url = strdup("https://api.payfast.co.za");
	cfg->payfast_itn_allow = strdup("");
	cfg->ozow_site_code = strdup("");
	cfg->ozow_private_key = strdup("");
	cfg->ozow_api_key = strdup("");
	cfg->ozow_pay_url = strdup("https://pay.ozow.com");
	cfg->ozow_api_url = strdup("https://api.ozow.com");
	cfg->stripe_secret_key = strdup("");
	cfg->stripe_webhook_secret = strdup("");
	cfg->stripe_api_url = strdup("https://api.stripe.com");
	cfg->stripe_pay_url = strdup("https://checkout.stripe.com");
	cfg->paypal_client_id = strdup("");
	cfg->paypal_secret = strdup("");
	cfg->paypal_webhook_id = strdup("");
	cfg->paypal_api_url = strdup("https://api-m.paypal.com");
	cfg->alipay_app_id = strdup("");
	cfg->alipay_private_key_file = strdup("");
	cfg->alipay_public_key_file = strdup("");
	cfg->alipay_gateway_url = strdup("https://openapi.alipay.com/gateway.do");
	cfg->wechat_mchid = strdup("");
	cfg->wechat_appid = strdup("");
	cfg->wechat_serial = strdup("");
	cfg->wechat_private_key_file = strdup("");
	cfg->wechat_platform_key_file = strdup("");
	cfg->wechat_platform_serial = strdup("");
	cfg->wechat_apiv3_key = strdup("");
	cfg->wechat_api_url = strdup("https://api.mch.weixin.qq.com");

	if (path != NULL && *path != '\0') {
		if ((f = fopen(path, "r")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p = trim(line), *eq, *name, *value;
			const struct key *k;

			lineno++;
			if (*p == '\0' || *p == '#')
				continue;
			if ((eq = strchr(p, '=')) == NULL) {
				snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
				fclose(f);
				return -1;
			}
			*eq = '\0';
			name = trim(p);
			value = trim(eq + 1);
			if ((k = find_key(name)) == NULL) {
				snprintf(err, errlen, "%s:%d: unknown key \"%s\"", path, lineno, name);
				fclose(f);
				return -1;
			}
			if (set_value(cfg, k, value) != 0) {
				snprintf(err, errlen, "%s:%d: bad value for %s", path, lineno, name);
				fclose(f);
				return -1;
			}
		}
		fclose(f);
	}

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v;
		size_t j;

		snprintf(envname, sizeof(envname), "SOUK_%s", keys[i].name);
		for (j = 5; envname[j] != '\0'; j++)
			envname[j] = (char)toupper((unsigned char)envname[j]);
		if ((v = getenv(envname)) != NULL && set_value(cfg, &keys[i], v) != 0) {
			snprintf(err, errlen, "%s: bad value", envname);
			return -1;
		}
	}
	if (cfg->workers < 1)
		cfg->workers = 1;
	return 0;
}

void
config_free(struct souk_config *cfg)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].type == C_STR) {
			char **p = (char **)((char *)cfg + keys[i].off);
			free(*p);
			*p = NULL;
		}
}
