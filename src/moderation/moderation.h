/*
 * moderation.h - the gig moderation queue of the staff console
 * (/admin/moderation) and the queries behind it (moderation_db.c).
 *
 * Access policy.  Every route's min_role is SUPPORT (the console's outer
 * gate: anonymous GETs go to /login, signed-in non-staff get 403).  The
 * handlers then require the MODERATOR, ADMIN or SUPER_ADMIN role bit
 * (staff roles are a set: SUPPORT and FINANCE alone get 403), and a staff
 * member without two-factor authentication is sent (303) to
 * /account/2fa?required=1 first, as everywhere in the console.
 *
 *   GET  /admin/moderation                      the queue: gigs in
 *                                               pending_review, oldest
 *                                               submission first
 *   GET  /admin/moderation/{id}                 the gig as buyers will see
 *                                               it (pending_changes applied)
 *   POST /admin/moderation/{id}/approve         -> active (pending_changes
 *                                               applied and cleared)
 *   POST /admin/moderation/{id}/request-changes -> requires_changes; field
 *                                               "reason" required (shown to
 *                                               the seller)
 *   POST /admin/moderation/{id}/deny            -> denied; "reason" required
 *
 * A decision runs in one transaction: the gig's row is locked, its status
 * must still be pending_review (else 409: someone decided first), the
 * status changes (the search index follows by trigger in the same
 * transaction), an audit entry "gig.approve", "gig.request_changes" or
 * "gig.deny" records the before and after snapshots, and a "gig_decision"
 * mail to the seller is queued (outbox); a gallery change held for a
 * live gig (pending_changes.media, src/studio/gallery.h) becomes its
 * gig_media rows on approval and is dropped on denial (gallery_decide();
 * media no gallery uses any more are deleted, their files after commit);
 * then 303 to the queue with
 * ?done=approved|changes|denied.  Every response carries
 * Cache-Control: no-store and noindex.
 */
#ifndef SOUK_MODERATION_MODERATION_H
#define SOUK_MODERATION_MODERATION_H

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

/* The routes, for src/web/app.c (before the catalog's catch-all). */
extern const route_t moderation_routes[];
extern const size_t moderation_nroutes;

/* Longest reason, in bytes (gigs.review_note allows 2000 characters). */
#define MODERATION_REASON_MAX 2000

int moderation_queue(http_req_t *req);		/* GET /admin/moderation */
int moderation_show(http_req_t *req);		/* GET /admin/moderation/{id:int} */
int moderation_approve(http_req_t *req);	/* POST .../{id:int}/approve */
int moderation_request_changes(http_req_t *req); /* POST .../{id:int}/request-changes */
int moderation_deny(http_req_t *req);		/* POST .../{id:int}/deny */

/* ==== queries (moderation_db.c) ====
 *
 * @lang is the UI language ("en" or "zh-CN").  @out receives a new
 * reference on DB_OK only.  Times are UTC text ("2025-03-01 14:05").
 * Returns DB_OK, DB_ENOROW (where said), DB_ERROR or DB_EDOWN.
 *
 * gig_snapshot: {id, status, title, review_note, pending_changes,
 *   seller: {id, handle, email, lang}}
 */

/*
 * moderation_db_queue - {gigs: [{id, title, url (the review page),
 * is_edit (an approved gig whose edit awaits review), submitted,
 * category: {name}, seller: {handle, display_name, url}}], total}: the
 * gigs in pending_review, oldest submission first (at most 200).
 */
int moderation_db_queue(db_t *db, const char *lang, json_t **out);

/*
 * moderation_db_gig - the review page of gig @id in any status: the gig
 * page's view model {gig: {id, title, slug, description,
 * description_paragraphs, description_html, tags, lang, url, category:
 * {name, url, parent}, media, packages, faq}, seller: {handle,
 * display_name, url, level, level_label, avatar_initials}} with the
 * pending_changes applied, plus review: {status, pending (status is
 * pending_review), is_edit, submitted, review_note}.
 * DB_ENOROW when there is no such gig.
 */
int moderation_db_gig(db_t *db, long long id, const char *lang, json_t **out);

/*
 * moderation_db_lock - inside a transaction: lock gig @id's row (FOR
 * UPDATE) and return its gig_snapshot.  DB_ENOROW if none.
 */
int moderation_db_lock(db_t *db, long long id, json_t **out);

/*
 * moderation_db_decide - decide on gig @id: set its status to @status and
 * @note as review_note (NULL clears it).  @decision is "approve",
 * "changes" or "deny".  "approve" applies pending_changes (title,
 * description, description_html), clears them and stamps approved_at;
 * "deny" discards pending_changes; "changes" keeps them for the seller to
 * fix.  For an edit of a live gig the caller passes the gig's current
 * status (active or paused), so the approved version stays listed.
 * @out receives the gig_snapshot after the change.  DB_ERROR with
 * db_sqlstate 23514 when the gig cannot be active (no Basic package).
 */
int moderation_db_decide(db_t *db, long long id, const char *status, const char *decision,
    const char *note, json_t **out);

#endif
