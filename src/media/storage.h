/*
 * storage.h - where media files live: a key/value store of files.
 *
 * A key is a relative path of lower-case letters, digits and "._-"
 * segments separated by single slashes, e.g.
 * "private/ab/cd/abcd0123...": no "..", no leading or trailing slash, no
 * empty segment, at most STORAGE_KEY_MAX bytes (storage_key_valid).  The
 * first segment says who may read it: "public/..." is served to anyone
 * (nginx, location /media/public/), "private/..." only through
 * X-Accel-Redirect after souk-web checked the caller's right (location
 * /media/private/, internal).
 *
 * Callers only use struct storage's function pointers, so an
 * S3-compatible backend (libcurl with AWS SigV4) can be added later
 * without changing them.  Today there is the local-filesystem backend,
 * rooted at the media root: $SOUK_MEDIA_ROOT, else STORAGE_DEFAULT_ROOT.
 */
#ifndef SOUK_MEDIA_STORAGE_H
#define SOUK_MEDIA_STORAGE_H

#include <stddef.h>

#define STORAGE_KEY_MAX		200
#define STORAGE_DEFAULT_ROOT	"/var/lib/souk/media"

/*
 * struct storage - one backend.  Every function returns 0 on success and
 * -1 with errno set on failure (EINVAL for an invalid key).
 * @name:  "local" (for logs).
 * @put:   store the file at @from_path under @key, replacing any object
 *         there.  The file at @from_path is consumed: moved (rename) when
 *         possible, else copied and removed.  The object appears
 *         atomically (readers never see half a file).
 * @open:  open the object @key for reading; on success *@fd is a file
 *         descriptor the caller closes.  ENOENT when there is none.
 * @del:   remove the object @key; a missing object is not an error.
 * @url:   the URL path under which the object is reachable through nginx
 *         ("/media/public/..." or, for private keys, the internal
 *         "/media/private/..." used in X-Accel-Redirect); written with its
 *         NUL into @buf (@len bytes); ENAMETOOLONG when it does not fit.
 * @local_path: the filesystem path of the object, for code that needs a
 *         file name (libvips); ENOTSUP for backends without one (then use
 *         @open).  Written into @buf as @url.
 * @scratch_dir: a local directory for temporary files that are later
 *         @put (on the same filesystem as the objects for the local
 *         backend, so @put is a rename); created on demand.
 * @ctx:   backend state.
 */
struct storage {
	const char	*name;
	int		(*put)(struct storage *s, const char *from_path, const char *key);
	int		(*open)(struct storage *s, const char *key, int *fd);
	int		(*del)(struct storage *s, const char *key);
	int		(*url)(struct storage *s, const char *key, char *buf, size_t len);
	int		(*local_path)(struct storage *s, const char *key, char *buf, size_t len);
	const char	*scratch_dir;
	void		*ctx;
};

/*
 * storage_default - the process's storage (created on the first call from
 * $SOUK_MEDIA_ROOT, else STORAGE_DEFAULT_ROOT; never NULL).  Owned by the
 * module; storage_default_free() releases it (at exit, for leak checkers).
 */
struct storage *storage_default(void);
void storage_default_free(void);

/*
 * storage_local_new - a local-filesystem backend rooted at @root (an
 * absolute or relative directory, created on demand).
 * Returns: a new backend (free with storage_free), or NULL (ENOMEM).
 */
struct storage *storage_local_new(const char *root);

/* storage_free - release a backend from storage_local_new (NULL ignored). */
void storage_free(struct storage *s);

/*
 * storage_key_valid - 1 when @key has the shape described at the top
 * (safe to append to a directory), else 0.
 */
int storage_key_valid(const char *key);

/*
 * storage_new_key - a fresh random media key "ab/cd/<32 hex digits>"
 * (128 random bits from libsodium; "ab" and "cd" are its first hex digits,
 * so no directory grows too big).  Call sodium_init() first.
 * @buf: receives the key and its NUL; @len must be >= STORAGE_NEW_KEY_LEN.
 * Returns: 0, or -1 when @len is too small.
 */
#define STORAGE_NEW_KEY_LEN	39	/* 2 + 1 + 2 + 1 + 32 + NUL */
int storage_new_key(char *buf, size_t len);

#endif
