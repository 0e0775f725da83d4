/*
 * migrate.h - schema migrations from sql/NNNN_name.sql.
 */
#ifndef SOUK_DB_MIGRATE_H
#define SOUK_DB_MIGRATE_H

#include <stddef.h>

#include "db/db.h"

/*
 * migrate_run - apply every sql/NNNN_*.sql file of @dir not yet recorded in
 * schema_migrations, in file-name order, each in its own transaction,
 * recording its name and SHA-256 checksum (libsodium crypto_hash_sha256,
 * hex).  Before applying anything, every recorded file is checked: when an
 * applied file's checksum changed (or the file is gone) nothing is applied.
 * @applied: receives the number of files applied (may be NULL).
 * Returns: 0, or -1 with a message in @err (the file and the server's error).
 */
int migrate_run(db_t *db, const char *dir, int *applied, char *err, size_t errlen);

#endif
