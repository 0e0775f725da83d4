/*
 * ctl_user.h - `soukctl user`: accounts from the command line, above all
 * the first staff account of a new installation.
 */
#ifndef SOUK_BIN_CTL_USER_H
#define SOUK_BIN_CTL_USER_H

#include "core/config.h"

/*
 * ctl_user - run `soukctl user SUBCOMMAND ...`; @argv[0] is "user".
 *
 *   user create --email E --handle H (--password P | --password-stdin)
 *               [--role ROLE]...
 *
 * Creates an active account whose e-mail counts as verified, with the
 * password hashed by crypto_pwhash_str (argon2id, interactive limits) and
 * each ROLE granted (BUYER, the default, needs no grant; SELLER, SUPPORT,
 * MODERATOR, FINANCE, ADMIN, SUPER_ADMIN; --role may be repeated), writes
 * a "user.create" audit entry, and prints the new user's id on stdout.
 * --password-stdin reads the first line of standard input (safer than an
 * argument, which other users can see in the process list).  Passwords
 * follow the sign-up rules: at least 10 characters, not equal to the
 * e-mail or the handle.  The database is @cfg->database_url.
 * Returns: the exit status: 0 done, 1 refused or failed (a message on
 * stderr: taken e-mail or handle, bad input, database down), 2 usage.
 */
int ctl_user(const struct souk_config *cfg, int argc, char **argv);

#endif
