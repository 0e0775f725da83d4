/*
 * storage.c - the storage interface (storage.h) and its local-filesystem
 * backend: object "a/b/c" is the file <root>/a/b/c.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "media/storage.h"

struct local {
	char	*root;
	char	*scratch;
};

int
storage_key_valid(const char *key)
{
	size_t i, n, seg = 0;

	if (key == NULL)
		return 0;
	n = strlen(key);
	if (n == 0 || n > STORAGE_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = key[i];

		if (c == '/') {
			if (seg == 0)
				return 0;		/* leading or double slash */
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
		/* a segment may not start with a dot: no ".", "..", hidden files */
		if (seg == 0 && c == '.')
			return 0;
		seg++;
	}
	return seg > 0;				/* no trailing slash */
}

int
storage_new_key(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	char h[33];
	size_t i;

	if (len < STORAGE_NEW_KEY_LEN)
		return -1;
	randombytes_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++) {
		h[2 * i] = hex[r[i] >> 4];
		h[2 * i + 1] = hex[r[i] & 15];
	}
	h[32] = '\0';
	snprintf(buf, len, "%.2s/%.2s/%s", h, h + 2, h);
	sodium_memzero(r, sizeof(r));
	return 0;
}

/* join: "<root>/<key>" into @buf; -1 with errno on a bad key or overflow. */
static int
join(const struct local *l, const char *key, char *buf, size_t len)
{
	int n;

	if (!storage_key_valid(key)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, "%s/%s", l->root, key);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* mkdirs: create every parent directory of @path (mode 0755). */
static int
mkdirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path), i;

	if (n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			return -1;
		tmp[i] = '/';
	}
	return 0;
}

/* copy_file: @from into a new temporary beside @to, then rename onto @to. */
static int
copy_file(const char *from, const char *to)
{
	char tmp[4200], b[65536];
	int in, out, rc = -1, saved;
	ssize_t r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", to) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((out = mkstemp(tmp)) == -1) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	for (;;) {
		r = read(in, b, sizeof(b));
		if (r == 0) {
			rc = 0;
			break;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, b + off, (size_t)(r - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				goto out;
			}
			off += w;
		}
	}
out:
	saved = errno;
	close(in);
	if (fchmod(out, 0644) == -1 && rc == 0)
		saved = errno, rc = -1;
	if (close(out) == -1 && rc == 0)
		saved = errno, rc = -1;
	if (rc == 0 && rename(tmp, to) == -1)
		saved = errno, rc = -1;
	if (rc == -1) {
		unlink(tmp);
		errno = saved;
	}
	return rc;
}

static int
local_put(struct storage *s, const char *from_path, const char *key)
{
	struct local *l = s->ctx;
	char path[4096];

	if (join(l, key, path, sizeof(path)) == -1 || mkdirs(path) == -1)
		return -1;
	if (rename(from_path, path) == 0) {
		/* temp files are often 0600: nginx must read public ones */
		chmod(path, 0644);
		return 0;
	}
	if (errno != EXDEV)
		return -1;
	if (copy_file(from_path, path) == -1)
		return -1;
	unlink(from_path);
	return 0;
}

static int
local_open(struct storage *s, const char *key, int *fd)
{
	struct local *l = s->ctx;
	char path[4096];
	int f;

	if (join(l, key, path, sizeof(path)) == -1)
		return -1;
	if ((f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	*fd = f;
	return 0;
}

static int
local_del(struct storage *s, const char *key)
{
	struct local *l = s->ctx;
	char path[4096];

	if (join(l, key, path, sizeof(path)) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

static int
local_url(struct storage *s, const char *key, char *buf, size_t len)
{
	int n;

	(void)s;
	if (!storage_key_valid(key)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, "/media/%s", key);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
local_path(struct storage *s, const char *key, char *buf, size_t len)
{
	return join(s->ctx, key, buf, len);
}

struct storage *
storage_local_new(const char *root)
{
	struct storage *s;
	struct local *l;
	size_t n;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL || (l->root = strdup(root)) == NULL) {
		free(l);
		free(s);
		return NULL;
	}
	n = strlen(l->root);
	while (n > 1 && l->root[n - 1] == '/')
		l->root[--n] = '\0';
	if ((l->scratch = malloc(n + sizeof("/tmp"))) == NULL) {
		free(l->root);
		free(l);
		free(s);
		return NULL;
	}
	memcpy(l->scratch, l->root, n);
	memcpy(l->scratch + n, "/tmp", sizeof("/tmp"));
	{
		char probe[4096];

		/* create root and scratch now if we can; put() retries anyway */
		if ((size_t)snprintf(probe, sizeof(probe), "%s/x", l->scratch) < sizeof(probe))
			(void)mkdirs(probe);
	}
	s->name = "local";
	s->put = local_put;
	s->open = local_open;
	s->del = local_del;
	s->url = local_url;
	s->local_path = local_path;
	s->scratch_dir = l->scratch;
	s->ctx = l;
	return s;
}

void
storage_free(struct storage *s)
{
	struct local *l;

	if (s == NULL)
		return;
	l = s->ctx;
	if (l != NULL) {
		free(l->root);
		free(l->scratch);
		free(l);
	}
	free(s);
}

static struct storage *dflt;

struct storage *
storage_default(void)
{
	const char *root;

	if (dflt != NULL)
		return dflt;
	root = getenv("SOUK_MEDIA_ROOT");
	if (root == NULL || *root == '\0')
		root = STORAGE_DEFAULT_ROOT;
	if ((dflt = storage_local_new(root)) == NULL)
		abort();			/* out of memory at start-up */
	return dflt;
}

void
storage_default_free(void)
{
	storage_free(dflt);
	dflt = NULL;
}
