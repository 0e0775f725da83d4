/*
 * audit.h - the append-only audit log (table audit_log, sql/0003_identity.sql).
 *
 * Every staff action and every security event (log in, failed log in,
 * 2FA change, password change, role change, suspension) is written here
 * with the actor, the entity, its state before and after as JSON, the
 * client address and the request id.
 */
#ifndef SOUK_AUDIT_AUDIT_H
#define SOUK_AUDIT_AUDIT_H

#include <jansson.h>

#include "http/http.h"

/*
 * audit_write - append one entry, inside the caller's transaction if one
 * is open (so the entry commits or rolls back with the change).
 * @actor_id: the user who acted, 0 for none (e.g. a failed log in).
 * @action: dotted lower-case name, e.g. "user.login", "user.login_failed",
 *          "user.suspend", "role.grant", "twofa.enable".
 * @entity_type, @entity_id: what was acted on ("user", "42"); id may be NULL.
 * @before, @after: borrowed JSON snapshots, or NULL.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN (src/db/db.h).
 */
int audit_write(http_req_t *req, long long actor_id, const char *action,
    const char *entity_type, const char *entity_id, json_t *before, json_t *after);

#endif
