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
 *	POST /studio/gigs/{id}/gallery/order            the whole order at once (field
 *	                                                order: the item ids, comma-separated;
 *	                                                exactly the gallery's items, else 422);
 *	                                                204 for a script (header
 *	                                                X-Requested-With: fetch), else 303
 *
 * {mid} is gig_media.id.  Limits per gig: GALLERY_MAX_IMAGES images,
 * GALLERY_MAX_VIDEOS video, GALLERY_MAX_PDFS PDFs (409 beyond).  A file of
 * another type answers 422 with media_accept()'s message and nothing
 * stored.  Every change is one transaction; a rollback after
 * media_accept() calls media_discard(), and media no gallery uses any more
 * are deleted with their files after commit.  On a live gig (active or
 * paused) every change (add, remove, order, cover, alt text) is held in
 * pending_changes.media for review while buyers keep seeing the approved
 * gallery; the moderator's decision applies or drops it (gallery_decide).
 * Schema: sql/0012_gig_gallery.sql, sql/0010_studio.sql.
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
int gallery_order_post(http_req_t *req);

/*
 * studio_steps_json - the wizard's step list for templates/studio/_steps
 * (defined in studio.c), for gig @id (0: new) with step @current marked.
 * Returns: a new JSON array.
 */
json_t *studio_steps_json(long long id, const char *current);

/*
 * gallery_decide - the moderator's decision on a held gallery change of
 * a live gig, inside the caller's transaction.
 * @db: the caller's connection, transaction open, gig row locked.
 * @gig_id: the gig.
 * @held: pending_changes.media as it was before the decision (a working
 *	list, see below; NULL or not an array: nothing held, nothing done).
 * @approve: 1: the held list becomes the live gallery (gig_media);
 *	0: it is dropped.  Call it after pending_changes was cleared.
 * @keys: receives a new JSON array (caller json_decref) of the storage
 *	keys of media no gallery uses any more (their rows are deleted):
 *	call media_discard() on each after commit.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN (the caller rolls back).
 */
int gallery_decide(db_t *db, long long gig_id, const json_t *held, int approve,
    json_t **keys);

/* ==== queries (gallery_db.c: SQL only) ==== */

/*
 * A working list is the gallery as a JSON array in display order (the
 * first item is the cover): [{id, media_id, kind, alt}], id a gig_media
 * id (new items get one from gallery_db_new_id() before their row
 * exists), media_id a media id or null (demo rows), kind "image",
 * "video" or "pdf".  The gallery of a draft (or requires_changes) gig is
 * its gig_media rows; a live (active or paused) gig keeps its gig_media
 * rows, shown to buyers, while a changed list waits for review in
 * pending_changes.media (sql/0010_studio.sql).
 */

/*
 * gallery_db_working - the list the seller edits for gig @gig_id: the held
 * one of a live gig when there is one, else the live one.  @out: a new
 * JSON array.  DB_ENOROW when there is no such gig.
 */
int gallery_db_working(db_t *db, long long gig_id, json_t **out);

/* gallery_db_live - the live list of gig @gig_id (its gig_media rows); @out: new array. */
int gallery_db_live(db_t *db, long long gig_id, json_t **out);

/*
 * gallery_db_list - the gallery page's view of working list @list of gig
 * @gig_id: {items: [{id, kind, alt, position, is_cover, is_first, is_last,
 * is_image, is_video, is_pdf, processing, failed, thumb, name}], images,
 * videos, pdfs} in order; thumb is the URL to show (media thumb JPEG, icon
 * or the row's url).
 */
int gallery_db_list(db_t *db, long long gig_id, const json_t *list, json_t **out);

/* gallery_db_new_id - a fresh gig_media id for a new item (from its sequence). */
int gallery_db_new_id(db_t *db, long long *id);

/*
 * gallery_db_apply - make the gig_media rows of @gig_id equal to @list:
 * rows not in it are deleted, kept rows take its order and alt text, new
 * ids are inserted (their url follows the media, sql/0012_gig_gallery.sql).
 */
int gallery_db_apply(db_t *db, long long gig_id, const json_t *list);

/*
 * gallery_db_stage - hold @list in pending_changes.media of live gig
 * @gig_id (submitted_at = now(), so it joins the moderation queue); a
 * list equal to the live one clears the held one instead.
 */
int gallery_db_stage(db_t *db, long long gig_id, const json_t *list);

/*
 * gallery_db_cleanup - delete the media rows among @media_ids (a JSON
 * array of ids) that no gig_media row and no held list uses any more.
 * @keys: receives a new JSON array of their storage keys, for
 * media_discard() after commit.
 */
int gallery_db_cleanup(db_t *db, const json_t *media_ids, json_t **keys);

#endif
