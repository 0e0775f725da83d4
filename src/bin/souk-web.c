/*
 * souk-web - the FastCGI worker pool behind nginx.
 *
 * usage: souk-web [-c CONFIG]
 * Runs in the foreground; see src/http/server.h for signals.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "http/server.h"
#include "web/app.h"

static struct app app;

int
main(int argc, char **argv)
{
	struct server_hooks hooks = {
		.worker_start = app_worker_start,
		.handle = app_handle,
		.worker_stop = app_worker_stop,
		.reload = app_reload,
		.ctx = &app,
	};
	const char *config = NULL;
	char err[512];
	int ch, rc;

	log_set_prog("souk-web");
	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		default:
			fprintf(stderr, "usage: souk-web [-c CONFIG]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (app_init(&app, config, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 1;
	}
	rc = server_run(app.cfg.listen, app.cfg.workers, app.cfg.max_requests, &hooks);
	app_free(&app);
	return rc == 0 ? 0 : 1;
}
