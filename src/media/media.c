/*
 * media.c - accepting uploads into the media store, and what handlers
 * need to show or serve media (media.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "i18n/i18n.h"
#include "jobs/jobs.h"
#include "media/media.h"
#include "media/storage.h"
#include "web/app.h"

#define GENERIC_ERROR	N_("The file could not be saved. Please try again.")

/* hash_file: SHA-256 (hex) and size of the regular file at @path. */
static int
hash_file(const char *path, char hex[65], long long *bytes)
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], md[crypto_hash_sha256_BYTES];
	struct stat sb;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	crypto_hash_sha256_init(&st);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		crypto_hash_sha256_update(&st, buf, (unsigned long long)r);
	}
	close(fd);
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	*bytes = (long long)sb.st_size;
	return 0;
}

/* original_key: "private/<key>" into @buf. */
static int
original_key(const char *key, char *buf, size_t len)
{
	int n = snprintf(buf, len, "private/%s", key);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* utf8_prefix: the length of the longest prefix of @s of at most @max bytes not cutting a character. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/*
 * The size message of a file of @bytes bytes and @kind, translated into
 * @lang.  The numbers go into the translated text in place of {size} and
 * {max} (never through a format string taken from a catalog).
 */
static const char *
too_big(arena_t *a, const char *lang, unsigned kind, long long bytes)
{
	const char *t = kind == MEDIA_IMAGE ?
	    N_("This image is {size} MB; images may be at most {max} MB.") :
	    kind == MEDIA_VIDEO ?
	    N_("This video is {size} MB; videos may be at most {max} MB.") :
	    N_("This PDF is {size} MB; PDFs may be at most {max} MB.");
	char size[32], max[32];
	buf_t b;
	const char *p;

	snprintf(size, sizeof(size), "%.1f", (double)bytes / (1024.0 * 1024.0));
	snprintf(max, sizeof(max), "%lld", media_max_bytes(kind) / (1024 * 1024));
	buf_init(&b, a);
	for (p = i18n_str(lang, t); *p != '\0'; ) {
		if (strncmp(p, "{size}", 6) == 0) {
			buf_puts(&b, size);
			p += 6;
		} else if (strncmp(p, "{max}", 5) == 0) {
			buf_puts(&b, max);
			p += 5;
		} else
			buf_putc(&b, *p++);
	}
	return buf_cstr(&b);
}

int
media_accept(http_req_t *req, const char *temp_path, const char *client_name,
    unsigned allowed_kinds, int visibility, long long *media_id,
    const char **storage_key, const char **error)
{
	struct storage *st = storage_default();
	db_t *db = APP(req)->db;
	char mime[128], sha[65], key[STORAGE_NEW_KEY_LEN], okey[STORAGE_KEY_MAX + 1];
	const char *dummy, *name, *lang;
	long long bytes, id;
	unsigned kind;
	json_t *payload;
	int rc;

	if (error == NULL)
		error = &dummy;
	lang = app_lang(req);
	*error = i18n_str(lang, GENERIC_ERROR);
	if (req->user_id <= 0 || temp_path == NULL)
		return MEDIA_EIO;
	if (hash_file(temp_path, sha, &bytes) == -1) {
		log_error("media: cannot read upload path=%s errno=%d", temp_path, errno);
		return MEDIA_EIO;
	}
	if (bytes == 0) {
		*error = i18n_str(lang, N_("This file is empty."));
		return MEDIA_EEMPTY;
	}
	if (media_sniff(temp_path, mime, sizeof(mime)) == -1)
		return MEDIA_EIO;
	kind = media_kind_of(mime);
	if (kind == 0 || (kind & allowed_kinds) == 0) {
		log_info("media: type refused mime=%s user=%lld", mime, req->user_id);
		*error = i18n_str(lang, media_type_error(allowed_kinds));
		return MEDIA_ETYPE;
	}
	if (bytes > media_max_bytes(kind)) {
		*error = too_big(req->arena, lang, kind, bytes);
		return MEDIA_ETOOBIG;
	}

	storage_new_key(key, sizeof(key));
	if (original_key(key, okey, sizeof(okey)) == -1 ||
	    st->put(st, temp_path, okey) == -1) {
		log_error("media: storage put failed key=%s errno=%d", okey, errno);
		return MEDIA_EIO;
	}

	name = client_name != NULL ? arena_strndup(req->arena, client_name,
	    utf8_prefix(client_name, 255)) : "";
	rc = media_db_insert(db, req->user_id, media_kind_name(kind), mime, bytes, sha, key,
	    visibility == MEDIA_PRIVATE ? "private" : "public", name, &id);
	if (rc == DB_OK) {
		if ((payload = json_pack("{sI}", "media_id", (json_int_t)id)) == NULL)
			rc = DB_ERROR;
		else {
			rc = jobs_enqueue(db, "media.process", payload, 0, NULL);
			json_decref(payload);
		}
	}
	if (rc != DB_OK) {
		/* the row never commits: take the file back out */
		st->del(st, okey);
		return MEDIA_EDB;
	}
	*media_id = id;
	if (storage_key != NULL)
		*storage_key = arena_strdup(req->arena, key);
	*error = NULL;
	return MEDIA_OK;
}

/* The names of the variant files the worker writes (thumbs.c). */
static const char *const variant_files[] = {
	"cover.webp", "cover.jpg", "card.webp", "card.jpg", "thumb.webp", "thumb.jpg",
};

int
media_discard(const char *storage_key)
{
	static const char *const areas[] = { "public", "private" };
	struct storage *st = storage_default();
	char k[STORAGE_KEY_MAX + 1];
	size_t a, v;
	int rc = 0;

	if (!storage_key_valid(storage_key))
		return -1;
	if (original_key(storage_key, k, sizeof(k)) == 0 && st->del(st, k) == -1) {
		log_error("media: cannot remove key=%s errno=%d", k, errno);
		rc = -1;
	}
	for (a = 0; a < sizeof(areas) / sizeof(areas[0]); a++) {
		for (v = 0; v < sizeof(variant_files) / sizeof(variant_files[0]); v++) {
			int n = snprintf(k, sizeof(k), "%s/%s/%s", areas[a], storage_key,
			    variant_files[v]);

			if (n < 0 || (size_t)n >= sizeof(k))
				continue;
			if (st->del(st, k) == -1) {
				log_error("media: cannot remove key=%s errno=%d", k, errno);
				rc = -1;
			}
		}
		/* the now empty "<area>/<key>" directory of the local backend */
		if (st->local_path != NULL) {
			int n = snprintf(k, sizeof(k), "%s/%s", areas[a], storage_key);
			char path[4096];

			if (n > 0 && (size_t)n < sizeof(k) &&
			    st->local_path(st, k, path, sizeof(path)) == 0)
				(void)rmdir(path);
		}
	}
	return rc;
}

int
media_view(db_t *db, long long media_id, json_t **out)
{
	char id[32];
	const char *p[1] = { id };

	snprintf(id, sizeof(id), "%lld", media_id);
	return db_query_json(db, out, "SELECT media_view($1::bigint)", 1, p);
}

/* pct_encode: RFC 5987 value-chars of @s into the arena. */
static char *
pct_encode(arena_t *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	char *r = arena_alloc(a, 3 * n + 1);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL) {
			r[o++] = (char)c;
		} else {
			r[o++] = '%';
			r[o++] = hex[c >> 4];
			r[o++] = hex[c & 15];
		}
	}
	r[o] = '\0';
	return r;
}

int
media_private_redirect(http_req_t *req, long long media_id)
{
	struct storage *st = storage_default();
	struct media_row row;
	char k[STORAGE_KEY_MAX + 1], url[STORAGE_KEY_MAX + 64];
	int rc;

	rc = media_db_get(APP(req)->db, req->arena, media_id, &row);
	if (rc == DB_ENOROW)
		return 404;
	if (rc != DB_OK)
		return rc == DB_EDOWN ? 503 : 500;
	if (original_key(row.storage_key, k, sizeof(k)) == -1 ||
	    st->url(st, k, url, sizeof(url)) == -1)
		return 500;
	http_header(req, "X-Accel-Redirect", url);
	req->content_type_out = arena_strdup(req->arena, row.mime);
	http_header(req, "Content-Disposition", arena_printf(req->arena,
	    "attachment; filename=\"download\"; filename*=UTF-8''%s",
	    pct_encode(req->arena, row.original_name[0] != '\0' ? row.original_name : "download")));
	http_header(req, "Cache-Control", "private, no-store");
	req->status = 200;
	return 0;
}
