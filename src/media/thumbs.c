/*
 * thumbs.c - souk-worker's "media.process" job (media.h): re-encode an
 * uploaded image, or the first page of a PDF, with libvips into
 *
 *	cover	1280 x 800
 *	card	 640 x 400
 *	thumb	 320 x 200
 *
 * (cropped to the centre), each as WebP and JPEG with every piece of
 * metadata stripped (EXIF, XMP, IPTC, ICC, comments), written to
 * "<public|private>/<storage_key>/<size>.{webp,jpg}" in the storage.
 * Re-encoding from decoded pixels is also what drops anything hidden in
 * the original's bytes.  Videos get an icon (no poster library here), as
 * do PDFs that libvips cannot render, and private media (downloaded whole,
 * never shown inline).
 *
 * Untrusted input: libvips runs with its "untrusted" loaders blocked
 * except pdfload (poppler), the file must decode with the loader of its
 * sniffed type, and images over MEDIA_MAX_PIXELS are refused before any
 * pixel is decoded.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <vips/vips.h>

#include "core/arena.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "media/media.h"
#include "media/storage.h"

#define ICON_VIDEO	"/static/img/icon-video.svg"
#define ICON_PDF	"/static/img/icon-pdf.svg"
#define ICON_FILE	"/static/img/icon-file.svg"

static const struct size {
	const char	*name;
	int		 w, h;
} sizes[] = {
	{ "cover", 1280, 800 },
	{ "card", 640, 400 },
	{ "thumb", 320, 200 },
};

static int vips_started;

/*
 * At process exit: libvips' threads, caches and type system are freed, so
 * that valgrind and LeakSanitizer see nothing left by libvips.
 */
static void
stop_vips(void)
{
	if (vips_started) {
		vips_started = 0;
		vips_shutdown();
	}
}

static int
start_vips(void)
{
	if (vips_started)
		return 0;
	if (VIPS_INIT("souk-worker"))
		return -1;
	if (atexit(stop_vips) != 0) {
		vips_shutdown();
		return -1;
	}
	/* No operation cache: every job reads a different file once. */
	vips_cache_set_max(0);
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoadPdf", FALSE);
	vips_started = 1;
	return 0;
}

/* vips_err: libvips' error buffer, one line, into @err; clears it. */
static void
vips_err(const char *what, char *err, size_t errlen)
{
	char msg[300];
	size_t i;

	snprintf(msg, sizeof(msg), "%s", vips_error_buffer());
	vips_error_clear();
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] == '\n' || msg[i] == '\r' || msg[i] == '"')
			msg[i] = ' ';
	snprintf(err, errlen, "%s: %s", what, msg[0] != '\0' ? msg : "not a decodable file");
}

/* The libvips loader that must read each sniffed type. */
static const char *
loader_of(const char *mime)
{
	if (strcmp(mime, "image/jpeg") == 0)
		return "jpegload";
	if (strcmp(mime, "image/png") == 0)
		return "pngload";
	if (strcmp(mime, "image/webp") == 0)
		return "webpload";
	if (strcmp(mime, "image/gif") == 0)
		return "gifload";
	if (strcmp(mime, "application/pdf") == 0)
		return "pdfload";
	return NULL;
}

/*
 * check_header: open @path lazily (header only) and check that its loader
 * is @loader and its size at most MEDIA_MAX_PIXELS.
 */
static int
check_header(const char *path, const char *loader, char *err, size_t errlen)
{
	VipsImage *im;
	const char *got = NULL;
	long long px;

	if ((im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL)) == NULL) {
		vips_err("cannot read the file", err, errlen);
		return -1;
	}
	if (vips_image_get_string(im, "vips-loader", &got) != 0 || got == NULL ||
	    strncmp(got, loader, strlen(loader)) != 0) {
		vips_error_clear();
		snprintf(err, errlen, "decoded by %s, expected %s", got ? got : "?", loader);
		g_object_unref(im);
		return -1;
	}
	px = (long long)vips_image_get_width(im) * vips_image_get_height(im);
	g_object_unref(im);
	if (px <= 0 || px > MEDIA_MAX_PIXELS) {
		snprintf(err, errlen, "image of %lld pixels (limit %lld)", px, MEDIA_MAX_PIXELS);
		return -1;
	}
	return 0;
}

/* scratch_file: a new empty temporary file in the storage's scratch dir. */
static int
scratch_file(struct storage *st, char *buf, size_t len)
{
	int fd;

	if ((size_t)snprintf(buf, len, "%s/media-XXXXXX", st->scratch_dir) >= len)
		return -1;
	if ((fd = mkstemp(buf)) == -1)
		return -1;
	close(fd);
	return 0;
}

/*
 * webp_strip: remove the EXIF, XMP and ICCP chunks (and their VP8X flags)
 * from the WebP file in @b (@len bytes), in place.  libvips 8.14's
 * webpsave writes an EXIF chunk of its own even with strip set.
 * Returns: the new length, or 0 when @b is not a well-formed WebP.
 */
static size_t
webp_strip(unsigned char *b, size_t len)
{
	size_t in = 12, out = 12, n, total;

	if (len < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WEBP", 4) != 0)
		return 0;
	while (len - in >= 8) {
		n = (size_t)b[in + 4] | (size_t)b[in + 5] << 8 | (size_t)b[in + 6] << 16 |
		    (size_t)b[in + 7] << 24;
		total = 8 + n + (n & 1);
		if (n > len || total > len - in)
			return 0;
		if (memcmp(b + in, "EXIF", 4) != 0 && memcmp(b + in, "XMP ", 4) != 0 &&
		    memcmp(b + in, "ICCP", 4) != 0) {
			memmove(b + out, b + in, total);
			if (memcmp(b + out, "VP8X", 4) == 0 && n >= 1)
				b[out + 8] &= (unsigned char)~(0x20 | 0x08 | 0x04);
			out += total;
		}
		in += total;
	}
	if (in != len)
		return 0;
	n = out - 8;
	b[4] = (unsigned char)(n & 0xff);
	b[5] = (unsigned char)(n >> 8 & 0xff);
	b[6] = (unsigned char)(n >> 16 & 0xff);
	b[7] = (unsigned char)(n >> 24 & 0xff);
	return out;
}

/* write_all: @len bytes of @b into the existing file @path. */
static int
write_all(const char *path, const unsigned char *b, size_t len)
{
	int fd;
	ssize_t w;

	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1)
		return -1;
	while (len > 0) {
		if ((w = write(fd, b, len)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		b += w;
		len -= (size_t)w;
	}
	return close(fd);
}

/*
 * save_size: write @im as WebP and JPEG (no metadata) to
 * "<area>/<key>/<name>.{webp,jpg}" and add {webp, jpeg, w, h} to @variants.
 */
static int
save_size(struct storage *st, VipsImage *im, const char *area, const char *key,
    const char *name, json_t *variants, char *err, size_t errlen)
{
	char tmp[4096], k[STORAGE_KEY_MAX + 1], webp[STORAGE_KEY_MAX + 64],
	    jpeg[STORAGE_KEY_MAX + 64];
	VipsImage *flat = NULL;
	int rc = -1;

	/* WebP, alpha kept */
	if (scratch_file(st, tmp, sizeof(tmp)) == -1) {
		snprintf(err, errlen, "scratch file: %s", strerror(errno));
		return -1;
	}
	{
		void *wb = NULL;
		size_t wlen = 0, slen;

		if (vips_webpsave_buffer(im, &wb, &wlen, "Q", 80, "strip", TRUE, NULL) != 0) {
			vips_err("webpsave", err, errlen);
			goto fail;
		}
		slen = webp_strip(wb, wlen);
		if (slen == 0 || write_all(tmp, wb, slen) == -1) {
			g_free(wb);
			snprintf(err, errlen, "webp: %s", slen == 0 ? "malformed output" : strerror(errno));
			goto fail;
		}
		g_free(wb);
	}
	snprintf(k, sizeof(k), "%s/%s/%s.webp", area, key, name);
	if (st->put(st, tmp, k) == -1 || st->url(st, k, webp, sizeof(webp)) == -1) {
		snprintf(err, errlen, "storage put %s: %s", k, strerror(errno));
		goto fail;
	}

	/* JPEG, flattened on white */
	if (vips_image_hasalpha(im)) {
		VipsArrayDouble *bg = vips_array_double_newv(3, 255.0, 255.0, 255.0);
		int r = vips_flatten(im, &flat, "background", bg, NULL);

		vips_area_unref(VIPS_AREA(bg));
		if (r != 0) {
			vips_err("flatten", err, errlen);
			return -1;
		}
	} else {
		flat = im;
		g_object_ref(flat);
	}
	if (scratch_file(st, tmp, sizeof(tmp)) == -1) {
		snprintf(err, errlen, "scratch file: %s", strerror(errno));
		goto out;
	}
	if (vips_jpegsave(flat, tmp, "Q", 82, "strip", TRUE, "interlace", TRUE,
	    "optimize_coding", TRUE, NULL) != 0) {
		vips_err("jpegsave", err, errlen);
		goto fail;
	}
	snprintf(k, sizeof(k), "%s/%s/%s.jpg", area, key, name);
	if (st->put(st, tmp, k) == -1 || st->url(st, k, jpeg, sizeof(jpeg)) == -1) {
		snprintf(err, errlen, "storage put %s: %s", k, strerror(errno));
		goto fail;
	}
	json_object_set_new(variants, name, json_pack("{sssssisi}", "webp", webp,
	    "jpeg", jpeg, "w", vips_image_get_width(im), "h", vips_image_get_height(im)));
	rc = 0;
	goto out;
fail:
	unlink(tmp);
out:
	if (flat != NULL)
		g_object_unref(flat);
	return rc;
}

/*
 * strip_meta: drop every metadata item of @im (EXIF, XMP, IPTC, ICC,
 * comments, ...), which must be referenced only by the caller.  The
 * savers' strip option is not enough: libvips 8.14's webpsave still
 * writes the EXIF block.  Built-in header fields (width, ...) are not
 * metadata items and stay.
 */
static void
strip_meta(VipsImage *im)
{
	gchar **f = vips_image_get_fields(im);
	size_t i;

	for (i = 0; f != NULL && f[i] != NULL; i++)
		(void)vips_image_remove(im, f[i]);
	g_strfreev(f);
}

/* render: the three sizes of the image (or PDF page 1) at @path into @variants. */
static int
render(struct storage *st, const char *path, const char *area, const char *key,
    json_t *variants, char *err, size_t errlen)
{
	VipsImage *cover = NULL, *srgb = NULL, *im;
	size_t i;
	int rc = -1;

	if (vips_thumbnail(path, &cover, sizes[0].w, "height", sizes[0].h,
	    "crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH, NULL) != 0) {
		vips_err("thumbnail", err, errlen);
		return -1;
	}
	if (vips_colourspace(cover, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0) {
		vips_err("colourspace", err, errlen);
		goto out;
	}
	/* decode once: the smaller sizes come from the cover's pixels */
	if ((im = vips_image_copy_memory(srgb)) == NULL) {
		vips_err("decode", err, errlen);
		goto out;
	}
	g_object_unref(srgb);
	srgb = im;
	strip_meta(srgb);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		VipsImage *sized;

		if (i == 0) {
			sized = srgb;
			g_object_ref(sized);
		} else if (vips_thumbnail_image(srgb, &sized, sizes[i].w, "height", sizes[i].h,
		    "crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH, NULL) != 0) {
			vips_err("thumbnail", err, errlen);
			goto out;
		}
		if (save_size(st, sized, area, key, sizes[i].name, variants, err, errlen) == -1) {
			g_object_unref(sized);
			goto out;
		}
		g_object_unref(sized);
	}
	rc = 0;
out:
	if (srgb != NULL)
		g_object_unref(srgb);
	if (cover != NULL)
		g_object_unref(cover);
	return rc;
}

int
media_process_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen)
{
	struct storage *st = storage_default();
	struct media_row row;
	json_t *jid, *variants = NULL;
	char okey[STORAGE_KEY_MAX + 1], path[4096];
	const char *area, *loader;
	arena_t *a;
	long long id;
	int rc, result;

	jid = json_is_object(payload) ? json_object_get(payload, "media_id") : NULL;
	if (!json_is_integer(jid) || (id = json_integer_value(jid)) <= 0) {
		snprintf(err, errlen, "payload needs a positive integer media_id");
		return JOB_EPERM;
	}
	if ((a = arena_new(0)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return JOB_ERETRY;
	}
	rc = media_db_get(w->db, a, id, &row);
	if (rc == DB_ENOROW) {
		/* deleted meanwhile: nothing left to do */
		log_info("media.process: no such media media_id=%lld", id);
		result = JOB_OK;
		goto out;
	}
	if (rc != DB_OK) {
		snprintf(err, errlen, "database: cannot read media %lld", id);
		result = JOB_ERETRY;
		goto out;
	}
	if (strcmp(row.status, "processing") != 0) {
		result = JOB_OK;		/* already done by an earlier run */
		goto out;
	}
	variants = json_object();
	area = "public";
	if (strcmp(row.visibility, "private") == 0) {
		/*
		 * Private media (deliveries, requirement answers, attachments)
		 * are only ever downloaded whole through X-Accel-Redirect; its
		 * original sits at "private/<key>", so no variant tree can live
		 * beside it, and none is needed: an icon stands for the file.
		 */
		json_object_set_new(variants, "icon", json_string(
		    strcmp(row.kind, "video") == 0 ? ICON_VIDEO :
		    strcmp(row.kind, "pdf") == 0 ? ICON_PDF : ICON_FILE));
		goto ready;
	}
	if (strcmp(row.kind, "video") == 0) {
		json_object_set_new(variants, "icon", json_string(ICON_VIDEO));
		goto ready;
	}
	if (start_vips() == -1) {
		snprintf(err, errlen, "libvips did not start");
		result = JOB_ERETRY;
		goto out;
	}
	snprintf(okey, sizeof(okey), "private/%s", row.storage_key);
	if (st->local_path == NULL || st->local_path(st, okey, path, sizeof(path)) == -1 ||
	    access(path, R_OK) == -1) {
		snprintf(err, errlen, "original %s unreadable: %s", okey, strerror(errno));
		result = JOB_ERETRY;
		goto out;
	}
	loader = loader_of(row.mime);
	if (loader == NULL || check_header(path, loader, err, errlen) == -1 ||
	    render(st, path, area, row.storage_key, variants, err, errlen) == -1) {
		if (loader == NULL)
			snprintf(err, errlen, "no loader for %s", row.mime);
		if (strcmp(row.kind, "pdf") == 0) {
			/* no page image: the icon will do */
			log_info("media.process: pdf shown as icon media_id=%lld reason=%s",
			    id, err);
			json_decref(variants);
			variants = json_pack("{ss}", "icon", ICON_PDF);
			goto ready;
		}
		log_warn("media.process: failed media_id=%lld reason=%s", id, err);
		rc = media_db_finish(w->db, id, "failed", NULL);
		if (rc == DB_ENOROW)
			media_discard(row.storage_key);	/* deleted meanwhile */
		result = rc == DB_OK || rc == DB_ENOROW ? JOB_EPERM : JOB_ERETRY;
		goto out;
	}
	if (strcmp(row.kind, "pdf") == 0)
		json_object_set_new(variants, "icon", json_string(ICON_PDF));
ready:
	rc = media_db_finish(w->db, id, "ready", variants);
	if (rc == DB_ENOROW) {
		/*
		 * The row was deleted while the variants were made, and its
		 * files removed before these were written: remove them too, so
		 * that no orphan file stays on disk.
		 */
		log_info("media.process: deleted meanwhile media_id=%lld", id);
		media_discard(row.storage_key);
	} else if (rc != DB_OK) {
		snprintf(err, errlen, "database: cannot update media %lld", id);
		result = JOB_ERETRY;
		goto out;
	}
	log_info("media.process: ready media_id=%lld kind=%s", id, row.kind);
	result = JOB_OK;
out:
	json_decref(variants);
	arena_free(a);
	return result;
}
