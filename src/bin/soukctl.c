/*
 * soukctl - administration: migrations, demo data, template previews.
 *
 * usage:
 *   soukctl migrate [--dir SQL_DIR]
 *   soukctl seed --demo
 *   soukctl render --template FILE --data FILE.json [--partials DIR]
 *   soukctl user create --email E --handle H (--password P | --password-stdin) [--role ROLE]...
 *   soukctl money-sweep   (one pass of souk-worker's money sweep; src/payouts/payouts.h)
 *   soukctl crm-sweep     (one CRM trigger sweep and analytics refresh; src/crm/auto.h)
 *   soukctl notify-sweep  (one pass of souk-worker's digest sweep; src/notify/notifications.h)
 * The database is SOUK_DATABASE_URL (or database_url in -c CONFIG).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "bin/ctl_user.h"
#include "bin/seed.h"
#include "core/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "crm/auto.h"
#include "db/migrate.h"
#include "notify/notifications.h"
#include "payouts/payouts.h"
#include "tmpl/tmpl.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: soukctl [-c CONFIG] migrate [--dir SQL_DIR]\n"
	    "       soukctl [-c CONFIG] seed --demo\n"
	    "       soukctl render --template FILE --data FILE.json [--partials DIR]\n"
	    "       soukctl [-c CONFIG] user create --email E --handle H\n"
	    "           (--password P | --password-stdin) [--role ROLE]...\n"
	    "       soukctl [-c CONFIG] money-sweep\n"
	    "       soukctl [-c CONFIG] crm-sweep\n"
	    "       soukctl [-c CONFIG] notify-sweep\n");
}

/* Connect to the configured database; NULL (and a message) when it is unreachable. */
static db_t *
open_db(const struct souk_config *cfg)
{
	db_t *db = db_new(cfg->database_url);

	if (db_ensure(db) != DB_OK) {
		fprintf(stderr, "soukctl: cannot connect to the database: %s\n", db_errmsg(db));
		db_free(db);
		return NULL;
	}
	return db;
}

static int
cmd_migrate(struct souk_config *cfg, int argc, char **argv)
{
	const char *dir = SOUK_DATADIR "/sql";
	char err[1024];
	int applied, rc;
	db_t *db;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			usage();
			return 2;
		}
	}
	if ((db = open_db(cfg)) == NULL)
		return 1;
	rc = migrate_run(db, dir, &applied, err, sizeof(err));
	db_free(db);
	if (rc != 0) {
		fprintf(stderr, "soukctl migrate: %s\n", err);
		return 1;
	}
	printf("migrations applied: %d\n", applied);
	return 0;
}

static int
cmd_seed(struct souk_config *cfg, int argc, char **argv)
{
	char err[1024];
	double t0 = clock_mono();
	db_t *db;
	int rc;

	if (argc != 2 || strcmp(argv[1], "--demo") != 0) {
		usage();
		return 2;
	}
	if ((db = open_db(cfg)) == NULL)
		return 1;
	rc = seed_demo(db, err, sizeof(err));
	db_free(db);
	if (rc != 0) {
		fprintf(stderr, "soukctl seed: %s\n", err);
		return 1;
	}
	printf("demo catalog loaded in %.1f s\n", clock_mono() - t0);
	return 0;
}

/* One money sweep (orders, clearance, weekly payout batch); prints what it did. */
static int
cmd_money_sweep(struct souk_config *cfg, int argc, char **argv)
{
	struct payouts_sweep sw;
	db_t *db;
	int rc;

	(void)argv;
	if (argc != 1) {
		usage();
		return 2;
	}
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "soukctl money-sweep: libsodium or libcurl failed to initialise\n");
		return 1;
	}
	if ((db = open_db(cfg)) == NULL) {
		curl_global_cleanup();
		return 1;
	}
	rc = payouts_money_sweep(db, cfg, &sw);
	printf("orders=%d cleared=%d batches=%d paid=%d failed=%d bank_files=%d\n", sw.orders,
	    sw.cleared, sw.batches, sw.paid, sw.failed, sw.bank_files);
	if (rc != DB_OK)
		fprintf(stderr, "soukctl money-sweep: %s\n", db_errmsg(db));
	db_free(db);
	curl_global_cleanup();
	return rc == DB_OK ? 0 : 1;
}

/* One digest sweep (daily digests, unread-messages digests); prints what it queued. */
static int
cmd_notify_sweep(struct souk_config *cfg, int argc, char **argv)
{
	struct notifications_sweep ns;
	db_t *db;
	int rc;

	(void)argv;
	if (argc != 1) {
		usage();
		return 2;
	}
	if ((db = open_db(cfg)) == NULL)
		return 1;
	rc = notifications_sweep(db, &ns);
	printf("daily=%d messages=%d\n", ns.daily, ns.messages);
	if (rc != DB_OK)
		fprintf(stderr, "soukctl notify-sweep: %s\n", db_errmsg(db));
	db_free(db);
	return rc == DB_OK ? 0 : 1;
}

/* One CRM trigger sweep then one analytics refresh (souk-worker's); prints what they did. */
static int
cmd_crm_sweep(struct souk_config *cfg, int argc, char **argv)
{
	struct crm_auto_sweep cs;
	kv_conn_t *kv;
	db_t *db;
	int rc, rc2, sellers = 0;

	(void)argv;
	if (argc != 1) {
		usage();
		return 2;
	}
	if ((db = open_db(cfg)) == NULL)
		return 1;
	kv = kv_new(cfg->redis_url);
	rc = crm_auto_sweep(db, kv, &cs);
	if (rc != DB_OK)
		fprintf(stderr, "soukctl crm-sweep: triggers: %s\n", db_errmsg(db));
	if ((rc2 = crm_auto_refresh_analytics(db, &sellers)) != DB_OK)
		fprintf(stderr, "soukctl crm-sweep: analytics: %s\n", db_errmsg(db));
	printf("defaults=%d sent=%d moved=%d skipped=%d analytics_sellers=%d\n", cs.defaults,
	    cs.sent, cs.moved, cs.skipped, sellers);
	kv_free(kv);
	db_free(db);
	return rc == DB_OK && rc2 == DB_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct souk_config cfg;
	const char *config = NULL;
	char err[512];
	int rc;

	log_set_prog("soukctl");
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		config = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "render") == 0)
		return tmpl_cli_render(argc - 1, argv + 1);
	if (config_load(&cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "soukctl: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "migrate") == 0)
		rc = cmd_migrate(&cfg, argc - 1, argv + 1);
	else if (strcmp(argv[1], "seed") == 0)
		rc = cmd_seed(&cfg, argc - 1, argv + 1);
	else if (strcmp(argv[1], "user") == 0)
		rc = ctl_user(&cfg, argc - 1, argv + 1);
	else if (strcmp(argv[1], "money-sweep") == 0)
		rc = cmd_money_sweep(&cfg, argc - 1, argv + 1);
	else if (strcmp(argv[1], "crm-sweep") == 0)
		rc = cmd_crm_sweep(&cfg, argc - 1, argv + 1);
	else if (strcmp(argv[1], "notify-sweep") == 0)
		rc = cmd_notify_sweep(&cfg, argc - 1, argv + 1);
	else {
		usage();
		rc = 2;
	}
	config_free(&cfg);
	return rc;
}
