/*
 * gallery.h - step 6 of the gig wizard: the gallery (images, a video and
 * PDFs of a gig), gig_media rows pointing at uploaded media (src/media).
 *
 * Routes (in studio_routes, src/studio/studio.c; SELLER; the gig must be
 * the seller's, else 404; changes need an editable gig, else 409):
 *
 *	GET  /studio/gigs/{id}/gallery                  the list and the upload form
 *	POST /studio/gigs/{id}/gallery                  upload one file (multipart: file, alt)
 *	POST /studio/gigs/{id}/gallery/{mid}/up         move item {mid} one place up
 *	POST /studio/gigs/{id}/gallery/{mid}/down       one place down
 *	POST /studio/gigs/{id}/gallery/{mid}/cover      make it the first item (the cover)
 *	POST /studio/gigs/{id}/gallery/{mid}/alt        set its alt text (field alt)
 *	POST /studio/gigs/{id}/gallery/{mid}/remove     delete it (and its media when unused)
 *
 * {mid} is gig_media.id.  Limits per gig: GALLERY_MAX_IMAGES images,
 * GALLERY_MAX_VIDEOS video, GALLERY_MAX_PDFS PDFs (409 beyond).  A file of
 * another type answers 422 with media_accept()'s message and nothing
 * stored.  Every change is one transaction; a rollback after
 * media_accept() calls media_discard().  Schema: sql/0012_gig_gallery.sql.
 */
#ifndef SOUK_STUDIO_GALLERY_H
#define SOUK_STUDIO_GALLERY_H

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

#define GALLERY_MAX_IMAGES	3
#define GALLERY_MAX_VIDEOS	1
#define GALLERY_MAX_PDFS	2
#define GALLERY_ALT_MAX		300

/* Handlers (route table of studio.c). */
int gallery_get(http_req_t *req);
int gallery_post(http_req_t *req);
int gallery_up_post(http_req_t *req);
int gallery_down_post(http_req_t *req);
int gallery_cover_post(http_req_t *req);
int gallery_alt_post(http_req_t *req);
int gallery_remove_post(http_req_t *req);

/*
 * studio_steps_json - the wizard's step list for templates/studio/_steps
 * (defined in studio.c), for gig @id (0: new) with step @current marked.
 * Returns: a new JSON array.
 */
json_t *studio_steps_json(long long id, const char *current);

/* ==== queries (gallery_db.c: SQL only) ==== */

/*
 * gallery_db_list - the gallery of gig @gig_id: {items: [{id, kind, alt,
 * position, is_cover, is_image, is_video, is_pdf, processing, failed,
 * thumb, name}], images, videos, pdfs} in order; thumb is the URL to show
 * (media thumb JPEG, icon or the row's url).
 */
int gallery_db_list(db_t *db, long long gig_id, json_t **out);

/* gallery_db_count - how many items of @kind ("image", "video", "pdf") gig @gig_id has. */
int gallery_db_count(db_t *db, long long gig_id, const char *kind, long long *n);

/* gallery_db_add - append media @media_id of @kind with @alt to the gallery of @gig_id. */
int gallery_db_add(db_t *db, long long gig_id, long long media_id, const char *kind,
    const char *alt);

/*
 * gallery_db_move - move item @item_id of @gig_id by @delta (-1 up, +1
 * down; nothing at either end), or to the front when @delta is 0.
 * Returns: DB_ENOROW when the gig has no such item.
 */
int gallery_db_move(db_t *db, long long gig_id, long long item_id, int delta);

/* gallery_db_alt - set the alt text of item @item_id; DB_ENOROW when there is none. */
int gallery_db_alt(db_t *db, long long gig_id, long long item_id, const char *alt);

/*
 * gallery_db_remove - delete item @item_id of @gig_id and, when no other
 * gig_media row uses its media, the media row too; @key then receives the
 * media's storage key (in @a) for media_discard() after commit, else NULL.
 * Returns: DB_ENOROW when the gig has no such item.
 */
int gallery_db_remove(db_t *db, arena_t *a, long long gig_id, long long item_id,
    char **key);

#endif
