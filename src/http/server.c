/*
 * server.c - prefork master and worker loop (see server.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/http.h"
#include "http/server.h"

#define MAX_WORKERS 256

struct slot {
	pid_t pid;
	unsigned gen;
};

static volatile sig_atomic_t got_term, got_hup, got_chld;
static volatile sig_atomic_t worker_stop;
static struct slot slots[MAX_WORKERS];
static int nworkers, max_req;
static unsigned generation;

static void
on_master_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

static void
on_worker_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	/* Makes a blocked FCGX_Accept_r return instead of retrying accept(). */
	FCGX_ShutdownPending();
}

static void
set_handler(int sig, void (*fn)(int), int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(sig, &sa, NULL);
}

void
server_set_workers(int workers, int max_requests)
{
	nworkers = workers < 1 ? 1 : workers > MAX_WORKERS ? MAX_WORKERS : workers;
	max_req = max_requests;
}

static void
worker_main(int sock, const struct server_hooks *h)
{
	FCGX_Request req;
	long served = 0;

	set_handler(SIGTERM, on_worker_term, 0);
	set_handler(SIGINT, SIG_IGN, 0);
	set_handler(SIGHUP, SIG_IGN, 0);
	set_handler(SIGCHLD, SIG_DFL, 1);
	set_handler(SIGPIPE, SIG_IGN, 1);
	if (h->worker_start != NULL && h->worker_start(h->ctx) != 0)
		_exit(1);
	FCGX_InitRequest(&req, sock, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!worker_stop && (max_req <= 0 || served < max_req)) {
		if (FCGX_Accept_r(&req) < 0)
			break;
		h->handle(&req, h->ctx);
		FCGX_Finish_r(&req);
		served++;
	}
	if (h->worker_stop != NULL)
		h->worker_stop(h->ctx);
	FCGX_Free(&req, 1);
	_exit(0);
}

static pid_t
spawn(int sock, const struct server_hooks *h, int i)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("server: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		worker_main(sock, h);
	slots[i].pid = pid;
	slots[i].gen = generation;
	return pid;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
server_run(const char *listen, int workers, int max_requests, const struct server_hooks *h)
{
	int sock, i, status;
	pid_t pid;
	sigset_t block, old;
	const char *path = NULL;

	server_set_workers(workers, max_requests);
	if (FCGX_Init() != 0) {
		log_error("server: FCGX_Init failed");
		return -1;
	}
	if (listen[0] == '/') {
		path = listen;
		unlink(path);
	}
	/* fcgi2 takes "host:port", ":port" or a unix path. */
	if ((sock = FCGX_OpenSocket(listen, 1024)) < 0) {
		log_error("server: cannot listen on %s", listen);
		return -1;
	}
	if (path != NULL)
		chmod(path, 0666);	/* nginx runs as another user */

	set_handler(SIGTERM, on_master_signal, 1);
	set_handler(SIGINT, on_master_signal, 1);
	set_handler(SIGHUP, on_master_signal, 1);
	set_handler(SIGCHLD, on_master_signal, 1);
	set_handler(SIGPIPE, SIG_IGN, 1);
	log_info("server: listening on %s with %d workers", listen, nworkers);

	memset(slots, 0, sizeof(slots));
	for (i = 0; i < nworkers; i++)
		spawn(sock, h, i);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);

	while (!got_term) {
		sigprocmask(SIG_BLOCK, &block, &old);
		if (!got_term && !got_hup && !got_chld)
			sigsuspend(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);

		if (got_hup) {
			got_hup = 0;
			if (h->reload != NULL && h->reload(h->ctx) != 0)
				log_error("server: reload failed, keeping the running workers");
			else {
				/* New generation first, then retire the old one. */
				unsigned oldgen = generation++;
				struct slot old_slots[MAX_WORKERS];

				memcpy(old_slots, slots, sizeof(slots));
				memset(slots, 0, sizeof(slots));
				for (i = 0; i < nworkers; i++)
					spawn(sock, h, i);
				for (i = 0; i < MAX_WORKERS; i++)
					if (old_slots[i].pid > 0 && old_slots[i].gen == oldgen)
						kill(old_slots[i].pid, SIGTERM);
				log_info("server: reloaded, generation %u", generation);
			}
		}
		if (got_chld) {
			got_chld = 0;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				for (i = 0; i < MAX_WORKERS; i++) {
					if (slots[i].pid != pid)
						continue;
					slots[i].pid = 0;
					if (WIFSIGNALED(status))
						log_warn("server: worker %d killed by signal %d",
						    (int)pid, WTERMSIG(status));
					else if (WEXITSTATUS(status) != 0)
						log_warn("server: worker %d exited with %d",
						    (int)pid, WEXITSTATUS(status));
				}
			}
			/* Refill empty slots; a crash loop is slowed down. */
			for (i = 0; i < nworkers && !got_term; i++)
				if (slots[i].pid == 0) {
					sleep_ms(100);
					spawn(sock, h, i);
				}
		}
	}

	log_info("server: draining");
	for (i = 0; i < MAX_WORKERS; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, SIGTERM);
	/* Old generations too: signal the whole process group's children. */
	while ((pid = wait(&status)) > 0 || errno == EINTR)
		;
	close(sock);
	if (path != NULL)
		unlink(path);
	log_info("server: stopped");
	return 0;
}
