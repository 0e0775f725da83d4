/*
 * crm.h - the seller's CRM: pipeline board, leads, stages, labels and
 * private notes (issue 7, "The seller's CRM").
 *
 *   crm.c      lead page, stages page, moves, labels, notes (routes crm_routes);
 *   board.c    the board, the list view and the CSV export (filters);
 *   crm_db.c   their SQL (tables and triggers in sql/0026_crm.sql).
 *
 * Every conversation is a lead of its seller (a trigger on conversations
 * creates it, and the seller's default stages when missing).  Money is
 * int64 minor units of the lead's currency ("USD", "ZAR", "CNY").
 *
 * Routes (min_role SELLER; the SELLER bit is checked again in the handler):
 *
 *	GET  /crm                    the board: a column per stage, filters as
 *	                             GET params: stage=<id>, label=<id>,
 *	                             unread=1, order=1|0, min=/max= (decimal
 *	                             amounts of the lead's currency), days=N
 *	                             (last activity within N days); view=list
 *	                             shows a table instead of columns.  A
 *	                             column shows its first 50 cards in board
 *	                             order (CRM_BOARD_CAP) under a count and
 *	                             value totals per currency of all its
 *	                             matching leads, and "Show all N" (the list
 *	                             view of that stage, same filters) when it
 *	                             has more.  With Accept: application/json
 *	                             (the board's JS after a move or a live
 *	                             crm.lead): {"columns": [{id, count, more,
 *	                             show_all_url, totals: [{currency, amount
 *	                             (formatted), amount_minor}]}] (every live
 *	                             stage in order), "cap": 50}
 *	GET  /crm/export.csv         the same leads (same filters) as CSV; cells
 *	                             starting with = + - @ are prefixed with '
 *	POST /crm/leads/{conv}/move  stage_id, position (0 = top; empty = last):
 *	                             303 back (field "back"), or JSON
 *	                             {"ok":true,"conversation_id","stage_id",
 *	                             "position"} with Accept: application/json;
 *	                             another seller's stage → 403, another
 *	                             seller's lead → 404, a deleted stage → 409
 *	                             (errors as {"error","message"} in JSON);
 *	                             publishes "crm.lead" {conversation_id,
 *	                             stage_id, position} to the seller's stream
 *	GET  /crm/stages             the stages, with forms:
 *	POST /crm/stages             name, color (#rrggbb) → a new stage (last)
 *	POST /crm/stages/{id}        name, color → rename / recolour
 *	POST /crm/stages/{id}/up|down  reorder
 *	POST /crm/stages/{id}/delete target (a live stage id): its leads move
 *	                             there, then it is marked deleted (one
 *	                             transaction; the last stage cannot go: 409)
 *	GET  /crm/leads/{conv}       the lead: buyer, stage, value, labels,
 *	                             notes, spam mark, score breakdown, timeline
 *	POST /crm/leads/{conv}/value amount ("12.50"; empty clears), currency
 *	POST /crm/leads/{conv}/labels     label_id → add; or name, color → create + add
 *	POST /crm/leads/{conv}/labels/{id}/remove
 *	POST /crm/leads/{conv}/notes      body → a private note
 *	POST /crm/leads/{conv}/notes/{id}/delete
 *	POST /crm/leads/{conv}/spam       spam=1|0
 *
 * Lead score (0..100; sql/0026_crm.sql crm_lead_score_breakdown):
 *	recency 0..30  = floor(30 × (1 − days since the last message / 30)), ≥ 0
 *	messages 0..25 = 5 × messages from the buyer, at most 25
 *	orders 0..20   = 10 × orders not cancelled, at most 20
 *	value 0..10    = order subtotals / 10 000 minor units, at most 10
 *	response 0..15 = mean delay of the seller's first reply to each run of
 *	                 buyer messages: ≤ 1 h → 15, ≤ 4 h → 10, ≤ 24 h → 5, else 0
 */
#ifndef SOUK_CRM_CRM_H
#define SOUK_CRM_CRM_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "http/router.h"
#include "kv/kv.h"

extern const route_t crm_routes[];
extern const size_t crm_nroutes;

/* Results of crm_lead_move (and the move route's HTTP answers). */
enum {
	CRM_OK = 0,
	CRM_NOT_FOUND = 1,	/* no such lead or stage (404) */
	CRM_FORBIDDEN = 2,	/* the lead or the stage is another seller's (403) */
	CRM_CONFLICT = 3,	/* the stage is deleted (409) */
	CRM_ERROR = -1,		/* any other database error (500) */
	CRM_EDOWN = -2		/* no database connection (503) */
};

/*
 * crm_lead_move - move lead @conv_id (a conversation id) of seller
 * @seller_id to stage @stage_id, at the top of its column, inside the
 * caller's transaction (sql crm_move_lead: renumbers the column, sets
 * stage_changed_at, records a 'stage' event {from_stage_id, to_stage_id,
 * from, to, position, by}).  @by: who moved it — "seller",
 * "trigger:<id>" or "order" (stored in the event; not NULL).
 * @out_event_id (may be NULL) receives the event id, or 0 when the lead
 * already was there (nothing recorded).
 * Returns CRM_OK, CRM_NOT_FOUND, CRM_FORBIDDEN (another seller's lead or
 * stage), CRM_CONFLICT (deleted stage), CRM_ERROR or CRM_EDOWN.  On an
 * error the caller's transaction is aborted (roll it back).
 * Publishing the live "crm.lead" event is the caller's job, after commit:
 * crm_publish_move.
 */
int crm_lead_move(db_t *db, long long seller_id, long long conv_id, long long stage_id,
    const char *by, long long *out_event_id);

/*
 * crm_lead_move_at - crm_lead_move at position @position of the column
 * (0 = top; < 0 = last).  Same results.
 */
int crm_lead_move_at(db_t *db, long long seller_id, long long conv_id, long long stage_id,
    int position, const char *by, long long *out_event_id);

/*
 * crm_publish_move - after commit: publish "crm.lead" {conversation_id,
 * stage_id, position} (position as stored now) to seller @seller_id's own
 * stream, so the seller's other tabs and devices move the card.
 * Failures are logged and ignored (the board reloads correctly anyway).
 */
void crm_publish_move(kv_conn_t *kv, db_t *db, long long seller_id, long long conv_id);

/* ==== queries (crm_db.c); DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN unless said ==== */

/* crm_db_ensure_stages - seed seller @seller_id's default stages if they have none. */
int crm_db_ensure_stages(db_t *db, long long seller_id);

/*
 * crm_db_stages - seller @seller_id's live stages in order: [{id, name,
 * color, position, outcome, slug}].  @out: a new reference.
 */
int crm_db_stages(db_t *db, long long seller_id, json_t **out);

/* crm_db_labels - the seller's labels by name: [{id, name, color}].  @out: a new reference. */
int crm_db_labels(db_t *db, long long seller_id, json_t **out);

/*
 * crm_db_leads - seller @seller_id's leads matching @filters (a JSON
 * object with optional stage, label (ids), unread (bool), order (bool),
 * min, max (minor units), days (int)), ordered by stage position then card
 * position: [{conversation_id, buyer_id, buyer_handle, stage_id,
 * stage_name, position, value_minor, currency, value_source
 * ("manual"|"order"|"offer"|null), unread, has_order, last_activity (ISO
 * UTC), score, spam, labels: [{id, name, color}]}].  @out: a new reference.
 */
int crm_db_leads(db_t *db, long long seller_id, json_t *filters, json_t **out);

/*
 * crm_db_lead - lead @conv_id of seller @seller_id with its stage,
 * buyer, value, labels, notes, score breakdown and the latest 100
 * timeline events.  DB_ENOROW when absent or another seller's.
 * @out: a new reference.
 */
int crm_db_lead(db_t *db, long long seller_id, long long conv_id, json_t **out);

#endif
