/*
 * audit.c - append to audit_log (see audit.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/log.h"
#include "web/app.h"

static const char *
dump(http_req_t *req, json_t *j)
{
	char *s;
	const char *copy;

	if (j == NULL)
		return NULL;
	if ((s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return NULL;
	copy = arena_strdup(req->arena, s);
	free(s);
	return copy;
}

/* At most @max bytes of @s with anything but printable ASCII replaced: headers are not UTF-8 safe. */
static const char *
ascii(http_req_t *req, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *c = arena_strndup(req->arena, s, n);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] > 0x7e)
			c[i] = '?';
	return c;
}

int
audit_write(http_req_t *req, long long actor_id, const char *action,
    const char *entity_type, const char *entity_id, json_t *before, json_t *after)
{
	const char *ua = http_param(req, "HTTP_USER_AGENT");
	const char *p[9];

	p[0] = actor_id > 0 ? arena_printf(req->arena, "%lld", actor_id) : NULL;
	p[1] = action;
	p[2] = entity_type;
	p[3] = entity_id;
	p[4] = dump(req, before);
	p[5] = dump(req, after);
	p[6] = req->remote_addr;
	p[7] = req->request_id;
	p[8] = ua != NULL ? ascii(req, ua, 512) : NULL;
	return db_exec(APP(req)->db, NULL,
	    "INSERT INTO audit_log (actor_id, action, entity_type, entity_id, before, after,"
	    " ip, request_id, user_agent)"
	    " VALUES ($1::bigint, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9)", 9, p);
}
