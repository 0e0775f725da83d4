/*
 * server.h - the prefork FastCGI master and its workers.
 *
 * The master binds the FastCGI socket (fcgi2's FCGX_OpenSocket: a unix
 * path or "host:port"), forks the workers and then only supervises:
 *   - a worker that dies is respawned (at most one respawn per 100 ms);
 *   - SIGHUP: hooks->reload() runs in the master (re-read templates and
 *     config), then a new generation of workers is forked and the old ones
 *     get SIGTERM; they finish the request in hand and exit, while the new
 *     ones already accept, so no request is dropped;
 *   - SIGTERM/SIGINT: every worker finishes its request in hand and exits,
 *     the master waits for them, removes a unix socket and returns.
 * A worker serves requests one at a time and exits after max_requests
 * (then it is replaced), which bounds any slow growth of its memory.
 */
#ifndef SOUK_HTTP_SERVER_H
#define SOUK_HTTP_SERVER_H

#include <fcgiapp.h>

struct server_hooks {
	/* In a new worker after fork; non-zero makes the worker exit(1). */
	int (*worker_start)(void *ctx);
	/* Serve one accepted request; the server calls FCGX_Finish_r after. */
	void (*handle)(FCGX_Request *req, void *ctx);
	/* In a worker before it exits normally. */
	void (*worker_stop)(void *ctx);
	/* In the master on SIGHUP; non-zero keeps the current workers. */
	int (*reload)(void *ctx);
	void *ctx;
};

/*
 * server_run - bind @listen, fork @workers workers and supervise them until
 * SIGTERM.  @max_requests: requests per worker before recycling (0 = none).
 * Returns: 0 after a clean drain, -1 when the socket cannot be bound
 * (logged).  Only the master returns; workers _exit().
 */
int server_run(const char *listen, int workers, int max_requests, const struct server_hooks *hooks);

/* server_set_workers - change the worker count from reload() (takes effect at once). */
void server_set_workers(int workers, int max_requests);

#endif
