/*
 * seed.h - the demo catalog loaded by `soukctl seed --demo`.
 */
#ifndef SOUK_BIN_SEED_H
#define SOUK_BIN_SEED_H

#include <stddef.h>

#include "db/db.h"

/*
 * seed_demo - load the demo sellers and gigs into the catalog created by
 * the migrations (sql/0001, 0002: the categories come from 0002).
 *
 * The data is generated in C from fixed tables and a fixed-seed PRNG
 * (no clock, no network), so every run builds the same rows: 320 sellers
 * (accounts user@demo.souk.invalid, no password) with profiles in English
 * or Chinese, and 3,600 active gigs in the 57 second-level categories,
 * about a quarter of them written in Simplified Chinese, each with three
 * packages (USD, ZAR or CNY), one to three pictures (/static/img/gigs/
 * N.svg, N in 1..12) and two to four FAQ entries.  Everything is
 * streamed with COPY into temporary tables and inserted in one
 * transaction, then the tables are analysed; it takes a few seconds.
 *
 * Demo data is recognised by its e-mail domain: when any account of
 * @demo.souk.invalid exists, nothing is changed and 0 is returned, so a
 * second run leaves the data as it was.  Loading fails (and rolls back)
 * if a real account already uses one of the demo handles.
 *
 * @db: a connected handle, not inside a transaction.
 * @err, @errlen: receives a one-line reason on failure.
 * Returns: 0 on success (loaded, or already present), -1 on failure.
 */
int seed_demo(db_t *db, char *err, size_t errlen);

#endif
