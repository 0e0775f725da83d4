/*
 * warn.c - the off-platform warning: messages matching one of the
 * configured patterns (message_warn_patterns) get messages.warn = true
 * and a safety banner in the thread (see messages.h).  The patterns are
 * compiled once per process and cached.
 */
#include "config.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "messages/messages.h"

static struct {
	char *source;		/* the text the cache was compiled from */
	regex_t *re;
	size_t n;
} cache;

void
messages_warn_free(void)
{
	for (size_t i = 0; i < cache.n; i++)
		regfree(&cache.re[i]);
	free(cache.re);
	free(cache.source);
	memset(&cache, 0, sizeof(cache));
}

/* Compile one pattern @p (@len bytes) into the next slot; logs a bad one. */
static void
compile_one(const char *p, size_t len)
{
	char *pat;
	int rc;

	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0 || (pat = strndup(p, len)) == NULL)
		return;
	rc = regcomp(&cache.re[cache.n], pat, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		char msg[128];

		regerror(rc, &cache.re[cache.n], msg, sizeof(msg));
		log_warn("message_warn_patterns: pattern \"%s\" skipped: %s", pat, msg);
	} else
		cache.n++;
	free(pat);
}

int
messages_warn_init(const char *patterns)
{
	static const char sep[] = " ;; ";
	const char *p, *q;
	size_t slots = 1;

	if (patterns == NULL)
		patterns = "";
	if (cache.source != NULL && strcmp(cache.source, patterns) == 0)
		return (int)cache.n;
	messages_warn_free();
	if ((cache.source = strdup(patterns)) == NULL)
		return -1;
	if (patterns[0] == '\0')
		return 0;
	for (p = patterns; (q = strstr(p, sep)) != NULL; p = q + sizeof(sep) - 1)
		slots++;
	if ((cache.re = calloc(slots, sizeof(*cache.re))) == NULL) {
		messages_warn_free();
		return -1;
	}
	for (p = patterns; (q = strstr(p, sep)) != NULL; p = q + sizeof(sep) - 1)
		compile_one(p, (size_t)(q - p));
	compile_one(p, strlen(p));
	return (int)cache.n;
}

/*
 * A process that never called messages_warn_init() (e.g. a module posting
 * messages from souk-worker) gets the defaults of src/core/config.c, with
 * SOUK_MESSAGE_WARN_PATTERNS from the environment if set.
 */
static void
init_defaults(void)
{
	struct souk_config cfg;
	char err[256];

	if (config_load(&cfg, NULL, err, sizeof(err)) != 0) {
		log_warn("message_warn_patterns: defaults not loaded: %s", err);
		(void)messages_warn_init("");
		return;
	}
	(void)messages_warn_init(cfg.message_warn_patterns);
	config_free(&cfg);
}

int
messages_warn_match(const char *text)
{
	if (cache.source == NULL)
		init_defaults();
	if (text == NULL)
		return 0;
	for (size_t i = 0; i < cache.n; i++)
		if (regexec(&cache.re[i], text, 0, NULL, 0) == 0)
			return 1;
	return 0;
}
