/*
 * ctl_user.c - `soukctl user create` (see ctl_user.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin/admin.h"
#include "bin/ctl_user.h"
#include "core/utf8.h"
#include "db/db.h"
#include "http/parse.h"
#include "identity/session.h"

#define PASSWORD_MIN_CHARS 10
#define PASSWORD_MAX_BYTES 1024
#define MAX_ROLES 8

static void
usage(void)
{
	fprintf(stderr, "usage: soukctl [-c CONFIG] user create --email E --handle H\n"
	    "           (--password P | --password-stdin) [--role ROLE]...\n"
	    "       ROLE: BUYER (default), SELLER, SUPPORT, MODERATOR, FINANCE, ADMIN, "
	    "SUPER_ADMIN\n");
}

/* Compare ASCII case-insensitively. */
static int
same_ci(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* local@domain: no spaces, one '@', at most 254 bytes (the schema's rule). */
static int
email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	size_t n = strlen(e);

	if (n == 0 || n > 254 || at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (const char *p = e; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return utf8_valid(e, n);
}

static int
handle_ok(const char *h)
{
	size_t n = strlen(h);

	return n >= 2 && n <= 32 && strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* The first line of stdin into @buf (without its line end); -1 when empty or too long. */
static int
read_password(char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, stdin) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == size - 1)
		return -1;	/* longer than the buffer */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
user_create(const struct souk_config *cfg, int argc, char **argv)
{
	const char *email = NULL, *handle = NULL, *password = NULL;
	char pwbuf[PASSWORD_MAX_BYTES + 2], hash[crypto_pwhash_STRBYTES], roles[128];
	unsigned mask = 0;
	int from_stdin = 0, rc;
	long long id;
	size_t off;
	db_t *db;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--handle") == 0 && i + 1 < argc)
			handle = argv[++i];
		else if (strcmp(argv[i], "--password") == 0 && i + 1 < argc)
			password = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = 1;
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
			int r = role_parse(argv[++i]);

			if (r < ROLE_BUYER) {
				fprintf(stderr, "soukctl user create: unknown role %s\n", argv[i]);
				usage();
				return 2;
			}
			if (r > ROLE_BUYER)
				mask |= ROLE_BIT(r);
		} else {
			usage();
			return 2;
		}
	}
	if (email == NULL || handle == NULL || (password == NULL) == !from_stdin) {
		usage();
		return 2;
	}
	if (!email_ok(email)) {
		fprintf(stderr, "soukctl user create: %s is not an e-mail address\n", email);
		return 1;
	}
	if (!handle_ok(handle)) {
		fprintf(stderr, "soukctl user create: a handle is 2 to 32 of a-z, 0-9 and _\n");
		return 1;
	}
	if (from_stdin) {
		if (read_password(pwbuf, sizeof(pwbuf)) != 0) {
			fprintf(stderr, "soukctl user create: no password on stdin (one line, at most "
			    "%d bytes)\n", PASSWORD_MAX_BYTES);
			return 1;
		}
		password = pwbuf;
	}
	if (strlen(password) > PASSWORD_MAX_BYTES || !utf8_valid(password, strlen(password)) ||
	    utf8_chars(password) < PASSWORD_MIN_CHARS || same_ci(password, email) ||
	    same_ci(password, handle)) {
		fprintf(stderr, "soukctl user create: the password must have at least %d characters "
		    "and differ from the e-mail and the handle\n", PASSWORD_MIN_CHARS);
		sodium_memzero(pwbuf, sizeof(pwbuf));
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "soukctl user create: libsodium failed to initialise\n");
		return 1;
	}
	rc = crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	sodium_memzero(pwbuf, sizeof(pwbuf));
	if (rc != 0) {
		fprintf(stderr, "soukctl user create: out of memory hashing the password\n");
		return 1;
	}

	/* The roles as a PostgreSQL array literal; role names need no quoting. */
	off = (size_t)snprintf(roles, sizeof(roles), "{");
	for (int r = ROLE_SELLER; r <= ROLE_SUPER_ADMIN; r++)
		if (mask & ROLE_BIT(r))
			off += (size_t)snprintf(roles + off, sizeof(roles) - off, "%s%s",
			    off > 1 ? "," : "", role_name((role_t)r));
	snprintf(roles + off, sizeof(roles) - off, "}");

	db = db_new(cfg->database_url);
	if (db_ensure(db) != DB_OK) {
		fprintf(stderr, "soukctl: cannot connect to the database: %s\n", db_errmsg(db));
		db_free(db);
		return 1;
	}
	rc = admin_db_create_user(db, email, handle, hash, roles, &id);
	if (rc != DB_OK) {
		if (strcmp(db_sqlstate(db), "23505") == 0)
			fprintf(stderr, "soukctl user create: the e-mail or the handle is already "
			    "taken\n");
		else if (strcmp(db_sqlstate(db), "23514") == 0)
			fprintf(stderr, "soukctl user create: the database refused a value (is the "
			    "handle reserved?): %s\n", db_errmsg(db));
		else
			fprintf(stderr, "soukctl user create: %s\n", db_errmsg(db));
		db_free(db);
		return 1;
	}
	db_free(db);
	printf("%lld\n", id);
	return 0;
}

int
ctl_user(const struct souk_config *cfg, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return user_create(cfg, argc - 1, argv + 1);
	usage();
	return 2;
}
