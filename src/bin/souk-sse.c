/*
 * souk-sse - live events for browsers (Server-Sent Events); src/sse/sse.h.
 *
 * usage: souk-sse [-c CONFIG]
 *
 * CONFIG is souk-web's configuration file (src/core/config.h): redis_url,
 * sse_listen ("unix:/path" or "host:port"), sse_max_per_user,
 * sse_heartbeat (seconds) and sse_max_buffer (bytes).  nginx proxies
 * /events here unbuffered.  SIGTERM/SIGINT close the streams with a retry
 * hint and exit 0.  A second instance runs beside the first from the same
 * file with SOUK_SSE_LISTEN=<its own address> in its environment (every key
 * can be overridden so, src/core/config.h); instances share nothing but
 * Redis, and nginx balances /events over their sockets (souk.conf.in).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "sse/sse.h"

int
main(int argc, char **argv)
{
	struct souk_config cfg;
	const char *conf = NULL;
	char err[512];
	int opt, rc;

	log_set_prog("souk-sse");
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt == 'c')
			conf = optarg;
		else {
			fprintf(stderr, "usage: souk-sse [-c CONFIG]\n");
			return 2;
		}
	}
	if (config_load(&cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "souk-sse: %s\n", err);
		return 2;
	}
	rc = sse_run(&cfg);
	config_free(&cfg);
	return rc == 0 ? 0 : 1;
}
