/*
 * gallery.c - step 6 of the gig wizard: the gallery (see gallery.h).
 * Input checks, which query, which template; SQL in gallery_db.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/multipart.h"
#include "i18n/i18n.h"
#include "media/media.h"
#include "sellers/sellers.h"
#include "studio/gallery.h"
#include "studio/studio.h"
#include "web/app.h"

#define ALLOWED_KINDS	(MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF)

static int
editable(const char *st)
{
	return st != NULL && (strcmp(st, GIG_DRAFT) == 0 || strcmp(st, GIG_REQUIRES_CHANGES) == 0 ||
	    strcmp(st, GIG_ACTIVE) == 0 || strcmp(st, GIG_PAUSED) == 0);
}

static int
redirect(http_req_t *req, const char *step)
{
	http_no_store(req);
	http_redirect(req, 303, arena_printf(req->arena, "/studio/gigs/%lld/%s",
	    req->match.ints[0], step));
	return req->status;
}

/*
 * The gallery page with @message (an N_() msgid or media's English text,
 * translated here; NULL: none) and @alt as typed in the upload form.
 */
static int
page(http_req_t *req, int status, const char *message, const char *alt)
{
	const char *lang = app_lang(req);
	json_t *ctx = NULL, *list = NULL;
	int rc;

	if ((rc = gallery_db_list(APP(req)->db, req->match.ints[0], &list)) != DB_OK)
		return app_db_status(req, rc);
	ctx = json_pack("{s:o, s:s, s:b, s:i, s:i, s:i}", "gallery", list, "alt",
	    alt != NULL ? alt : "", "has_errors", message != NULL, "max_images",
	    GALLERY_MAX_IMAGES, "max_videos", GALLERY_MAX_VIDEOS, "max_pdfs", GALLERY_MAX_PDFS);
	if (message != NULL)
		json_object_set_new(ctx, "error", json_string(i18n_str(lang, message)));
	json_object_set_new(ctx, "has_items",
	    json_boolean(json_array_size(json_object_get(list, "items")) > 0));
	app_page(ctx, i18n_str(lang, N_("Gallery")), NULL, req->path, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	json_object_set_new(ctx, "steps", studio_steps_json(req->match.ints[0], "gallery"));
	json_object_set_new(ctx, "gig_id", json_integer(req->match.ints[0]));
	http_no_store(req);
	req->status = status;
	app_render(req, "studio/gallery", ctx);
	json_decref(ctx);
	return req->status;
}

/*
 * Open the transaction and lock the gig (404 when not the seller's, 409
 * when it cannot be edited now).  Returns 0 with the transaction open,
 * else the status answered.
 */
static int
begin(http_req_t *req)
{
	db_t *db = APP(req)->db;
	char status[24];
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = studio_db_lock(db, req->user_id, req->match.ints[0], status,
	    sizeof(status))) != DB_OK) {
		db_rollback(db);
		return app_db_status(req, rc);
	}
	if (!editable(status)) {
		db_rollback(db);
		return app_error(req, 409, N_("This gig cannot be changed while it is waiting "
		    "for review, denied or archived."));
	}
	return 0;
}

/* The alt text of the form, cleaned, or NULL when it is not acceptable. */
static const char *
alt_text(http_req_t *req)
{
	const char *v;

	if (seller_clean_text(req->arena, http_form(req, "alt"), 0, &v) != 0 ||
	    seller_utf8_chars(v) > GALLERY_ALT_MAX)
		return NULL;
	return v;
}

/* GET /studio/gigs/{id}/gallery */
int
gallery_get(http_req_t *req)
{
	json_t *gig = NULL;
	int rc, ok;

	if ((rc = studio_db_gig(APP(req)->db, req->user_id, req->match.ints[0], &gig)) != DB_OK)
		return app_db_status(req, rc);
	ok = editable(json_string_value(json_object_get(gig, "status")));
	json_decref(gig);
	if (!ok)
		return redirect(req, "publish");
	return page(req, 200, NULL, NULL);
}

/* The limit message of @kind. */
static const char *
limit_message(const char *kind)
{
	if (strcmp(kind, "image") == 0)
		return N_("A gig can have at most 3 images. Remove one before adding another.");
	if (strcmp(kind, "video") == 0)
		return N_("A gig can have only one video. Remove it before adding another.");
	return N_("A gig can have at most 2 PDFs. Remove one before adding another.");
}

static long long
limit_of(const char *kind)
{
	if (strcmp(kind, "image") == 0)
		return GALLERY_MAX_IMAGES;
	if (strcmp(kind, "video") == 0)
		return GALLERY_MAX_VIDEOS;
	return GALLERY_MAX_PDFS;
}

/* POST /studio/gigs/{id}/gallery: one file (field "file") and its alt text. */
int
gallery_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	struct upload *up = NULL;
	struct media_row row;
	const char *alt, *key = NULL, *err = NULL;
	long long mid = 0, n = 0;
	int rc;

	for (size_t i = 0; i < req->nuploads; i++)
		if (req->uploads[i].path != NULL && strcmp(req->uploads[i].field, "file") == 0) {
			up = &req->uploads[i];
			break;
		}
	if ((alt = alt_text(req)) == NULL)
		return page(req, 422, N_("Use at most 300 characters for the description of "
		    "the file, without control characters."), http_form(req, "alt"));
	if (up == NULL)
		return page(req, 422, N_("Choose a file to upload: an image, a video or a PDF."),
		    alt);
	if ((rc = begin(req)) != 0)
		return rc;
	rc = media_accept(req, up->path, up->filename, ALLOWED_KINDS, MEDIA_PUBLIC, &mid, &key,
	    &err);
	if (rc != MEDIA_OK) {
		db_rollback(db);
		if (rc == MEDIA_ETYPE || rc == MEDIA_ETOOBIG || rc == MEDIA_EEMPTY)
			return page(req, 422, err != NULL ? err :
			    N_("This file cannot be used."), alt);
		return app_error(req, 500, NULL);
	}
	up->path = NULL;
	if ((rc = media_db_get(db, req->arena, mid, &row)) != DB_OK)
		goto fail;
	if ((rc = gallery_db_count(db, req->match.ints[0], row.kind, &n)) != DB_OK)
		goto fail;
	if (n >= limit_of(row.kind)) {
		db_rollback(db);
		media_discard(key);
		return page(req, 409, limit_message(row.kind), alt);
	}
	if ((rc = gallery_db_add(db, req->match.ints[0], mid, row.kind, alt)) != DB_OK)
		goto fail;
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	return redirect(req, "gallery");
fail:
	db_rollback(db);
	media_discard(key);
	return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
}

enum op { OP_UP, OP_DOWN, OP_COVER, OP_ALT, OP_REMOVE };

/* POST /studio/gigs/{id}/gallery/{mid}/<op> */
static int
item_post(http_req_t *req, enum op op)
{
	db_t *db = APP(req)->db;
	long long gig = req->match.ints[0], item = req->match.ints[1];
	const char *alt = NULL;
	char *key = NULL;
	int rc;

	if (op == OP_ALT && (alt = alt_text(req)) == NULL)
		return page(req, 422, N_("Use at most 300 characters for the description of "
		    "the file, without control characters."), NULL);
	if ((rc = begin(req)) != 0)
		return rc;
	switch (op) {
	case OP_UP:
		rc = gallery_db_move(db, gig, item, -1);
		break;
	case OP_DOWN:
		rc = gallery_db_move(db, gig, item, 1);
		break;
	case OP_COVER:
		rc = gallery_db_move(db, gig, item, 0);
		break;
	case OP_ALT:
		rc = gallery_db_alt(db, gig, item, alt);
		break;
	case OP_REMOVE:
		rc = gallery_db_remove(db, req->arena, gig, item, &key);
		break;
	}
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		db_rollback(db);
		return app_db_status(req, rc);
	}
	if (key != NULL)
		media_discard(key);
	return redirect(req, "gallery");
}

int
gallery_up_post(http_req_t *req)
{
	return item_post(req, OP_UP);
}

int
gallery_down_post(http_req_t *req)
{
	return item_post(req, OP_DOWN);
}

int
gallery_cover_post(http_req_t *req)
{
	return item_post(req, OP_COVER);
}

int
gallery_alt_post(http_req_t *req)
{
	return item_post(req, OP_ALT);
}

int
gallery_remove_post(http_req_t *req)
{
	return item_post(req, OP_REMOVE);
}
