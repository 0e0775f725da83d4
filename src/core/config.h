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
