/*
 * media.h - uploaded media: accept an uploaded file, re-encode it in the
 * background, show it on pages, serve private files.
 *
 * Life of an upload (table media, sql/0009_media.sql):
 *
 *  1. http_read_multipart() (src/http/multipart.h) streamed the file part
 *     to a temporary file.  The handler opens a transaction and calls
 *     media_accept(): the bytes are sniffed with libmagic (the client's
 *     name, extension and Content-Type are ignored), the kind and size
 *     checked, the file moved into the storage (src/media/storage.h) as
 *     the private original, the row inserted with status 'processing' and
 *     the job "media.process" enqueued in the same transaction.
 *  2. On commit souk-worker runs media_process_job() (src/media/thumbs.c):
 *     images (and the first page of PDFs) become cover 1280x800, card
 *     640x400 and thumb 320x200, cropped to the centre, each as WebP and
 *     JPEG without any metadata (EXIF, XMP, ICC, comments); videos get an
 *     icon.  The row becomes 'ready' with the URLs in media.variants, or
 *     'failed' when the file cannot be decoded.
 *  3. Pages show media_view() (or the SQL function media_view(id) inside
 *     their own query): a placeholder until the job is done.
 *
 * If the handler's transaction rolls back after a successful
 * media_accept(), it must call media_discard() with the storage key
 * media_accept() returned, so that no orphan file stays on disk.
 */
#ifndef SOUK_MEDIA_MEDIA_H
#define SOUK_MEDIA_MEDIA_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

struct worker_ctx;

/* Kinds, as a bit mask for media_accept's @allowed_kinds. */
#define MEDIA_IMAGE	0x1u	/* image/jpeg, image/png, image/webp, image/gif */
#define MEDIA_VIDEO	0x2u	/* video/mp4, video/webm, video/quicktime */
#define MEDIA_PDF	0x4u	/* application/pdf */

/* Visibility (media.visibility). */
enum {
	MEDIA_PUBLIC = 0,	/* variants served to anyone under /media/public/ */
	MEDIA_PRIVATE = 1,	/* only through media_private_redirect() */
};

/* Largest accepted file per kind, in bytes (the request limits may be lower). */
#define MEDIA_MAX_IMAGE	(10LL * 1024 * 1024)
#define MEDIA_MAX_VIDEO	(100LL * 1024 * 1024)
#define MEDIA_MAX_PDF	(20LL * 1024 * 1024)

/* Largest image decoded by the worker, in pixels (decompression bombs). */
#define MEDIA_MAX_PIXELS	(50LL * 1000 * 1000)

/* Results of media_accept(). */
enum {
	MEDIA_OK = 0,
	MEDIA_ETYPE = -1,	/* not an allowed type: answer 415 or show @error */
	MEDIA_ETOOBIG = -2,	/* over the kind's limit: answer 413 or show @error */
	MEDIA_EEMPTY = -3,	/* empty file: show @error */
	MEDIA_EIO = -4,		/* temp file unreadable or storage failed: 500 */
	MEDIA_EDB = -5,		/* SQL failed: the caller's transaction is
				 * aborted and must be rolled back; 500/503 */
};

/*
 * media_accept - take an uploaded temporary file into the media store.
 * @req:           the request; the row's owner is req->user_id (must be
 *                 > 0), the database is the app's (APP(req)->db), strings
 *                 returned live in req->arena.
 * @temp_path:     the upload's temporary file (struct upload's path,
 *                 src/http/multipart.h).  On MEDIA_OK it has been moved
 *                 away (rename, or copy + unlink across filesystems): set
 *                 upload->path to NULL (http_uploads_cleanup() would ignore
 *                 ENOENT anyway); on any error it is left where it was.
 *                 Its size is measured here (upload->size is not trusted).
 * @client_name:   the sanitized client file name, kept for display only
 *                 (truncated to 255 bytes); may be NULL.
 * @allowed_kinds: MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF: what this field
 *                 takes.
 * @visibility:    MEDIA_PUBLIC or MEDIA_PRIVATE.
 * @media_id:      receives media.id on MEDIA_OK.
 * @storage_key:   receives the media's storage key ("ab/cd/<hex>", in the
 *                 arena) on MEDIA_OK, for media_discard(); may be NULL.
 * @error:         receives, on MEDIA_ETYPE, MEDIA_ETOOBIG and MEDIA_EEMPTY,
 *                 a message for the user already translated into the
 *                 request's language (app_lang(req); e.g. "This file is not
 *                 a JPEG, PNG, WebP or GIF image."), otherwise a generic
 *                 one; static, from the catalog or in the arena; may be
 *                 NULL.
 * Must be called inside the caller's transaction (db_begin() ...
 * db_commit()): the row and the "media.process" job commit or roll back
 * with the caller's change.  After a rollback, call media_discard().
 * On MEDIA_EDB the stored file has already been removed.
 * Returns: MEDIA_OK or one of the MEDIA_E* codes above.
 */
int media_accept(http_req_t *req, const char *temp_path, const char *client_name,
    unsigned allowed_kinds, int visibility, long long *media_id,
    const char **storage_key, const char **error);

/*
 * media_discard - remove every stored file of @storage_key (the original
 * and any variants).  For a rolled back media_accept(), and for deleting
 * media after its row was deleted.  Missing files are not an error.
 * Returns: 0, or -1 (invalid key; a file that could not be removed is logged).
 */
int media_discard(const char *storage_key);

/*
 * media_view - the template view of media @media_id: {id, kind, mime,
 * status, processing, failed, visibility, original_name, bytes, cover,
 * card, thumb, icon}, each size being {webp, jpeg, w, h} URLs and pixels.
 * While processing or failed, the URLs are /static/img/processing.svg;
 * videos (and PDFs without a renderable page) have only "icon".  The same
 * JSON is available in SQL as media_view(id) for queries that build a
 * whole page.
 * @out: receives a new reference (json_decref) on DB_OK.
 * Returns: DB_OK, DB_ENOROW (no such media), DB_ERROR or DB_EDOWN.
 */
int media_view(db_t *db, long long media_id, json_t **out);

/*
 * media_private_redirect - let nginx send the original file of @media_id:
 * sets X-Accel-Redirect to /media/private/<key>, Content-Type to the
 * sniffed type and Content-Disposition to attachment with the display
 * name.  The caller must have checked the user's right to the file; it
 * then sends the (empty-bodied) response as usual.
 * Returns: 0, 404 (no such media) or 500/503 (database).
 */
int media_private_redirect(http_req_t *req, long long media_id);

/* --- lower level, also used by the unit tests ------------------------ */

/*
 * media_sniff - the MIME type of the file at @path from its content
 * (libmagic, MAGIC_MIME_TYPE), e.g. "image/png", into @buf (@len bytes).
 * Returns: 0, or -1 (file unreadable, libmagic failure; logged).
 */
int media_sniff(const char *path, char *buf, size_t len);

/*
 * media_kind_of - the kind (MEDIA_IMAGE, MEDIA_VIDEO, MEDIA_PDF) of an
 * allowed sniffed MIME type, 0 for any other type.
 */
unsigned media_kind_of(const char *mime);

/* media_kind_name - "image", "video" or "pdf" for one kind bit, else NULL. */
const char *media_kind_name(unsigned kind);

/* media_max_bytes - the size limit of one kind bit, bytes (0 if unknown). */
long long media_max_bytes(unsigned kind);

/*
 * media_type_error - the user's message for a file that is none of
 * @allowed_kinds, e.g. "This file is not a JPEG, PNG, WebP or GIF image."
 * (static string, an N_() msgid in English: translate it where it is
 * shown with i18n_str()).
 */
const char *media_type_error(unsigned allowed_kinds);

/*
 * media_process_job - souk-worker's handler for "media.process" (payload
 * {"media_id": N}); see struct job_handler in src/jobs/jobs.h.
 * Idempotent: a media already ready is left alone.  The first call
 * starts libvips (VIPS_INIT) and registers vips_shutdown() with atexit(),
 * so libvips frees its threads and caches when the process exits.
 */
int media_process_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen);

/* --- queries (media_db.c) --------------------------------------------- */

/*
 * struct media_row - what the worker and the redirect need of one row;
 * strings in the arena given to media_db_get().
 */
struct media_row {
	long long	 id;
	const char	*kind;		/* "image", "video", "pdf" */
	const char	*mime;
	const char	*storage_key;
	const char	*visibility;	/* "public", "private" */
	const char	*status;	/* "processing", "ready", "failed" */
	const char	*original_name;
};

/* media_db_insert - insert a row (status processing); DB_OK and *@id, or DB_ERROR/DB_EDOWN. */
int media_db_insert(db_t *db, long long owner_id, const char *kind, const char *mime,
    long long bytes, const char *sha256, const char *storage_key, const char *visibility,
    const char *original_name, long long *id);

/* media_db_get - one row into @row (strings in @a); DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN. */
int media_db_get(db_t *db, arena_t *a, long long id, struct media_row *row);

/*
 * media_db_finish - set status @status ("ready" or "failed") and, when
 * @variants is not NULL, the variants (borrowed JSON object).
 * Returns: DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN.
 */
int media_db_finish(db_t *db, long long id, const char *status, json_t *variants);

#endif
