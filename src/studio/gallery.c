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

_Static_assert(STUDIO_UPLOAD_MAX_FILE == (size_t)MEDIA_MAX_VIDEO,
    "the gallery upload limit follows the largest media kind (video)");

static int
live(const char *st)
{
	return st != NULL && (strcmp(st, GIG_ACTIVE) == 0 || strcmp(st, GIG_PAUSED) == 0);
}

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
 * The gallery page with @message (an N_() msgid or media's already
 * translated text, translated here; NULL: none) and @alt as typed in the
 * upload form.  It shows the working list (the held one of a live gig).
 */
static int
page(http_req_t *req, int status, const char *message, const char *alt)
{
	const char *lang = app_lang(req);
	db_t *db = APP(req)->db;
	json_t *ctx = NULL, *list = NULL, *work = NULL, *gig = NULL;
	int rc, held;

	if ((rc = studio_db_gig(db, req->user_id, req->match.ints[0], &gig)) != DB_OK)
		return app_db_status(req, rc);
	held = live(json_string_value(json_object_get(gig, "status"))) &&
	    json_is_true(json_object_get(gig, "pending"));
	json_decref(gig);
	if ((rc = gallery_db_working(db, req->match.ints[0], &work)) != DB_OK)
		return app_db_status(req, rc);
	rc = gallery_db_list(db, req->match.ints[0], work, &list);
	json_decref(work);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	ctx = json_pack("{s:o, s:s, s:b, s:i, s:i, s:i, s:b}", "gallery", list, "alt",
	    alt != NULL ? alt : "", "has_errors", message != NULL, "max_images",
	    GALLERY_MAX_IMAGES, "max_videos", GALLERY_MAX_VIDEOS, "max_pdfs", GALLERY_MAX_PDFS,
	    "held", held);
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
 * when it cannot be edited now); *@is_live: whether it is active or
 * paused (changes are held for review).  Returns 0 with the transaction
 * open, else the status answered.
 */
static int
begin(http_req_t *req, int *is_live)
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
	*is_live = live(status);
	return 0;
}

/*
 * Save working list @list of the request's gig (held for review when
 * @is_live, else into gig_media) and delete the media among @gone that no
 * gallery uses any more; *@keys: their storage keys (new array).
 */
static int
save(http_req_t *req, int is_live, const json_t *list, const json_t *gone, json_t **keys)
{
	db_t *db = APP(req)->db;
	long long gig = req->match.ints[0];
	int rc;

	*keys = NULL;
	rc = is_live ? gallery_db_stage(db, gig, list) : gallery_db_apply(db, gig, list);
	if (rc != DB_OK)
		return rc;
	return gallery_db_cleanup(db, gone, keys);
}

/* After commit: remove the files of @keys (may be NULL); drops the reference. */
static void
discard_all(json_t *keys)
{
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k)
		if (json_is_string(k))
			media_discard(json_string_value(k));
	json_decref(keys);
}

/* The media id of item @item as a JSON value to collect, or NULL (demo rows). */
static json_t *
media_of(const json_t *item)
{
	json_t *m = json_object_get(item, "media_id");

	return json_is_integer(m) ? json_integer(json_integer_value(m)) : NULL;
}

int
gallery_decide(db_t *db, long long gig_id, const json_t *held, int approve, json_t **keys)
{
	json_t *gone = json_array(), *old = NULL, *m;
	size_t i;
	json_t *item;
	int rc = DB_OK;

	*keys = NULL;
	if (!json_is_array(held)) {
		*keys = json_array();
		json_decref(gone);
		return DB_OK;
	}
	if (approve) {
		if ((rc = gallery_db_live(db, gig_id, &old)) == DB_OK)
			rc = gallery_db_apply(db, gig_id, held);
		json_array_foreach(old, i, item)
			if ((m = media_of(item)) != NULL)
				json_array_append_new(gone, m);
		json_decref(old);
	} else {
		json_array_foreach(held, i, item)
			if ((m = media_of(item)) != NULL)
				json_array_append_new(gone, m);
	}
	if (rc == DB_OK)
		rc = gallery_db_cleanup(db, gone, keys);
	json_decref(gone);
	return rc;
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

/* How many items of @kind @list has. */
static long long
count_kind(const json_t *list, const char *kind)
{
	long long n = 0;
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item) {
		const char *k = json_string_value(json_object_get(item, "kind"));

		if (k != NULL && strcmp(k, kind) == 0)
			n++;
	}
	return n;
}

/* POST /studio/gigs/{id}/gallery: one file (field "file") and its alt text. */
int
gallery_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	struct upload *up = NULL;
	struct media_row row;
	const char *alt, *key = NULL, *err = NULL;
	json_t *list = NULL, *gone = NULL, *keys = NULL;
	long long mid = 0, item = 0;
	int rc, is_live = 0;

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
	if ((rc = begin(req, &is_live)) != 0)
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
	if ((rc = gallery_db_working(db, req->match.ints[0], &list)) != DB_OK)
		goto fail;
	if (count_kind(list, row.kind) >= limit_of(row.kind)) {
		db_rollback(db);
		json_decref(list);
		media_discard(key);
		return page(req, 409, limit_message(row.kind), alt);
	}
	if ((rc = gallery_db_new_id(db, &item)) != DB_OK)
		goto fail;
	json_array_append_new(list, json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)item,
	    "media_id", (json_int_t)mid, "kind", row.kind, "alt", alt));
	gone = json_array();
	if ((rc = save(req, is_live, list, gone, &keys)) != DB_OK)
		goto fail;
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	json_decref(list);
	json_decref(gone);
	discard_all(keys);
	return redirect(req, "gallery");
fail:
	db_rollback(db);
	json_decref(list);
	json_decref(gone);
	json_decref(keys);
	media_discard(key);
	return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
}

enum op { OP_UP, OP_DOWN, OP_COVER, OP_ALT, OP_REMOVE };

/* The index of item @id in @list, or -1. */
static long
find_item(const json_t *list, long long id)
{
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item)
		if (json_integer_value(json_object_get(item, "id")) == id)
			return (long)i;
	return -1;
}

/* Move the item at @from to index @to of @list. */
static void
move_item(json_t *list, size_t from, size_t to)
{
	json_t *item = json_incref(json_array_get(list, from));

	json_array_remove(list, from);
	json_array_insert_new(list, to, item);
}

/* Apply @op with @alt to item @id of @list; its media goes to @gone when removed. */
static int
apply_op(json_t *list, json_t *gone, long long id, enum op op, const char *alt)
{
	long i = find_item(list, id);
	size_t n = json_array_size(list);
	json_t *m;

	if (i < 0)
		return DB_ENOROW;
	switch (op) {
	case OP_UP:
		if (i > 0)
			move_item(list, (size_t)i, (size_t)i - 1);
		break;
	case OP_DOWN:
		if ((size_t)i + 1 < n)
			move_item(list, (size_t)i, (size_t)i + 1);
		break;
	case OP_COVER:
		move_item(list, (size_t)i, 0);
		break;
	case OP_ALT:
		json_object_set_new(json_array_get(list, (size_t)i), "alt", json_string(alt));
		break;
	case OP_REMOVE:
		if ((m = media_of(json_array_get(list, (size_t)i))) != NULL)
			json_array_append_new(gone, m);
		json_array_remove(list, (size_t)i);
		break;
	}
	return DB_OK;
}

/*
 * Reorder @list as the comma-separated item ids of @order say.  Returns 0,
 * or -1 when @order is not exactly the items of @list (each once).
 */
static int
reorder(json_t *list, const char *order)
{
	size_t n = json_array_size(list), k = 0;
	json_t *out;
	const char *p = order;

	if (order == NULL || *order == '\0' || strlen(order) > 400)
		return -1;
	out = json_array();
	while (*p != '\0') {
		long long id = 0;
		int digits = 0;
		long i;

		while (*p >= '0' && *p <= '9' && digits < 18) {
			id = id * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0 || (*p != ',' && *p != '\0') || k >= n ||
		    (i = find_item(list, id)) < 0 || find_item(out, id) >= 0) {
			json_decref(out);
			return -1;
		}
		json_array_append(out, json_array_get(list, (size_t)i));
		k++;
		if (*p == ',' && *++p == '\0') {
			json_decref(out);
			return -1;
		}
	}
	if (k != n) {
		json_decref(out);
		return -1;
	}
	json_array_clear(list);
	json_array_extend(list, out);
	json_decref(out);
	return 0;
}

/*
 * One change of the working list: @op on item {mid}, or with @order (not
 * NULL) the whole order.  @script: answer 204 instead of redirecting.
 */
static int
change(http_req_t *req, enum op op, const char *order, int script)
{
	db_t *db = APP(req)->db;
	const char *alt = NULL;
	json_t *list = NULL, *gone = NULL, *keys = NULL;
	int rc, is_live = 0;

	if (order == NULL && op == OP_ALT && (alt = alt_text(req)) == NULL)
		return page(req, 422, N_("Use at most 300 characters for the description of "
		    "the file, without control characters."), NULL);
	if ((rc = begin(req, &is_live)) != 0)
		return rc;
	if ((rc = gallery_db_working(db, req->match.ints[0], &list)) != DB_OK)
		goto fail;
	gone = json_array();
	if (order != NULL) {
		if (reorder(list, order) != 0) {
			db_rollback(db);
			json_decref(list);
			json_decref(gone);
			return page(req, 422, N_("The new order must list each file of the gallery "
			    "exactly once."), NULL);
		}
	} else if ((rc = apply_op(list, gone, req->match.ints[1], op, alt)) != DB_OK)
		goto fail;
	if ((rc = save(req, is_live, list, gone, &keys)) != DB_OK)
		goto fail;
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	json_decref(list);
	json_decref(gone);
	discard_all(keys);
	if (script) {
		http_no_store(req);
		req->status = 204;
		return req->status;
	}
	return redirect(req, "gallery");
fail:
	db_rollback(db);
	json_decref(list);
	json_decref(gone);
	json_decref(keys);
	return app_db_status(req, rc);
}

int
gallery_up_post(http_req_t *req)
{
	return change(req, OP_UP, NULL, 0);
}

int
gallery_down_post(http_req_t *req)
{
	return change(req, OP_DOWN, NULL, 0);
}

int
gallery_cover_post(http_req_t *req)
{
	return change(req, OP_COVER, NULL, 0);
}

int
gallery_alt_post(http_req_t *req)
{
	return change(req, OP_ALT, NULL, 0);
}

int
gallery_remove_post(http_req_t *req)
{
	return change(req, OP_REMOVE, NULL, 0);
}

/* POST /studio/gigs/{id}/gallery/order (field order: "12,9,15"). */
int
gallery_order_post(http_req_t *req)
{
	const char *x = http_req_header(req, "X-Requested-With");

	return change(req, OP_UP, http_form(req, "order") != NULL ?
	    http_form(req, "order") : "", x != NULL && strcmp(x, "fetch") == 0);
}
