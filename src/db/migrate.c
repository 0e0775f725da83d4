/*
 * migrate.c - apply numbered SQL files once each, checksummed.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "db/migrate.h"

#define MAX_FILES 1000

static int
is_migration(const char *name)
{
	size_t n = strlen(name);

	return n > 9 && isdigit((unsigned char)name[0]) && isdigit((unsigned char)name[1]) &&
	    isdigit((unsigned char)name[2]) && isdigit((unsigned char)name[3]) &&
	    name[4] == '_' && strcmp(name + n - 4, ".sql") == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
read_file(const char *path, buf_t *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	return 0;
}

static void
checksum_hex(const buf_t *b, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)b->data, b->len);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

int
migrate_run(db_t *db, const char *dir, int *applied, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char *names[MAX_FILES];
	size_t n = 0, i;
	int rc = -1, count = 0;
	PGresult *res = NULL;

	if (applied != NULL)
		*applied = 0;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < MAX_FILES)
		if (is_migration(de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);

	if (db_exec(db, NULL,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " name TEXT PRIMARY KEY,"
	    " checksum TEXT NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
	    " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())", 0, NULL) != DB_OK) {
		snprintf(err, errlen, "schema_migrations: %s", db_errmsg(db));
		goto out;
	}
	if (db_exec(db, &res, "SELECT name, checksum FROM schema_migrations ORDER BY name",
	    0, NULL) != DB_OK) {
		snprintf(err, errlen, "schema_migrations: %s", db_errmsg(db));
		goto out;
	}

	/* Refuse to go on when an applied file changed or vanished. */
	for (int r = 0; r < PQntuples(res); r++) {
		const char *name = PQgetvalue(res, r, 0);
		char path[4096], hex[65];
		buf_t b;

		buf_init(&b, NULL);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (read_file(path, &b) != 0) {
			snprintf(err, errlen, "%s was applied but is missing", name);
			buf_free(&b);
			goto out;
		}
		checksum_hex(&b, hex);
		buf_free(&b);
		if (strcmp(hex, PQgetvalue(res, r, 1)) != 0) {
			snprintf(err, errlen, "%s changed after it was applied "
			    "(checksum %s, recorded %s): write a new migration instead",
			    name, hex, PQgetvalue(res, r, 1));
			goto out;
		}
	}

	for (i = 0; i < n; i++) {
		const char *p[2];
		char path[4096], hex[65];
		int found = 0;
		buf_t b;
		PGresult *r;

		for (int j = 0; j < PQntuples(res); j++)
			if (strcmp(PQgetvalue(res, j, 0), names[i]) == 0)
				found = 1;
		if (found)
			continue;
		buf_init(&b, NULL);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_file(path, &b) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			buf_free(&b);
			goto out;
		}
		checksum_hex(&b, hex);
		if (db_begin(db) != DB_OK) {
			snprintf(err, errlen, "%s: %s", names[i], db_errmsg(db));
			buf_free(&b);
			goto out;
		}
		/*
		 * A migration file holds several statements, which the extended
		 * protocol cannot run: the simple protocol is used for the file's
		 * own trusted text, never for anything a user typed.
		 */
		r = PQexec(db_conn(db), buf_cstr(&b));
		buf_free(&b);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
			snprintf(err, errlen, "%s: %s", names[i], PQresultErrorMessage(r));
			PQclear(r);
			db_rollback(db);
			goto out;
		}
		PQclear(r);
		p[0] = names[i];
		p[1] = hex;
		if (db_exec(db, NULL, "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
		    2, p) != DB_OK || db_commit(db) != DB_OK) {
			snprintf(err, errlen, "%s: %s", names[i], db_errmsg(db));
			db_rollback(db);
			goto out;
		}
		log_info("migrate: applied %s", names[i]);
		count++;
	}
	rc = 0;
	if (applied != NULL)
		*applied = count;
out:
	PQclear(res);
	for (i = 0; i < n; i++)
		free(names[i]);
	return rc;
}
