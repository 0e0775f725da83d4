/*
 * crm_int.h - what crm.c, board.c and crm_db.c share (not for other
 * modules: they use crm.h).  All queries return DB_OK, DB_ENOROW,
 * DB_ERROR or DB_EDOWN; ids are bigint, money int64 minor units.
 */
#ifndef SOUK_CRM_CRM_INT_H
#define SOUK_CRM_CRM_INT_H

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

/* Longest note body, stage name and label name, in Unicode characters (the CHECKs agree). */
#define CRM_NOTE_MAX 5000
#define CRM_STAGE_NAME_MAX 60
#define CRM_LABEL_NAME_MAX 40

/*
 * Cards shown per board column: the first CRM_BOARD_CAP of a stage in the
 * board's order (position, then newest activity); a fuller column links
 * to the list view of that stage ("Show all N").
 */
#define CRM_BOARD_CAP 50

/*
 * crm_db_board - the board of seller @seller_id with @filters (as
 * crm_db_leads): {cards: [lead as crm_db_leads, at most @cap per stage,
 * in board order], columns: [{stage_id, count, totals: [{currency,
 * amount_minor}]}]} where count and totals (per currency, USD, ZAR, CNY
 * order; minor units) cover every matching lead of the stage, shown or
 * not; a stage without matching leads has no entry.  @out: a new reference.
 */
int crm_db_board(db_t *db, long long seller_id, json_t *filters, int cap, json_t **out);

/* crm_db_columns - only the "columns" of crm_db_board (a new reference in @out). */
int crm_db_columns(db_t *db, long long seller_id, json_t *filters, json_t **out);

/* crm_db_lead_owner - the seller of lead @conv_id into @seller_id; DB_ENOROW when none. */
int crm_db_lead_owner(db_t *db, long long conv_id, long long *seller_id);

/*
 * crm_db_stage_owner - the seller of stage @stage_id into @seller_id and
 * whether it is deleted into @deleted (1/0); DB_ENOROW when none.
 */
int crm_db_stage_owner(db_t *db, long long stage_id, long long *seller_id, int *deleted);

/*
 * crm_db_set_value - the deal value the seller typed for lead @conv_id:
 * @value_minor (>= 0) of @currency ("USD", "ZAR", "CNY"), or both cleared
 * when @value_minor < 0.  DB_ENOROW when the lead is not @seller_id's.
 */
int crm_db_set_value(db_t *db, long long seller_id, long long conv_id, long long value_minor,
    const char *currency);

/* crm_db_set_spam - mark lead @conv_id of @seller_id as spam (@spam 1) or not (0). */
int crm_db_set_spam(db_t *db, long long seller_id, long long conv_id, int spam);

/*
 * crm_db_label_create - seller @seller_id's label @name (colour @color,
 * "#rrggbb"), created unless one of that name (any case) exists; its id
 * into @out.
 */
int crm_db_label_create(db_t *db, long long seller_id, const char *name, const char *color,
    long long *out);

/*
 * crm_db_label_add / crm_db_label_remove - put label @label_id (the
 * seller's) on lead @conv_id or take it off, with a 'label' timeline
 * event; nothing happens (DB_OK) when it already is / is not there or is
 * not the seller's.  Run inside a transaction.
 */
int crm_db_label_add(db_t *db, long long seller_id, long long conv_id, long long label_id);
int crm_db_label_remove(db_t *db, long long seller_id, long long conv_id, long long label_id);

/*
 * crm_db_note_add - private note @body (1..CRM_NOTE_MAX characters) on
 * lead @conv_id of @seller_id, with a 'note' event; its id into @out.
 * DB_ENOROW when the lead is not the seller's.  Run inside a transaction.
 */
int crm_db_note_add(db_t *db, long long seller_id, long long conv_id, const char *body,
    long long *out);

/* crm_db_note_delete - delete note @note_id of lead @conv_id (with a 'note' event); DB_ENOROW when absent. */
int crm_db_note_delete(db_t *db, long long seller_id, long long conv_id, long long note_id);

/* crm_db_stage_create - a new open stage @name, @color ("#rrggbb") after the seller's last one. */
int crm_db_stage_create(db_t *db, long long seller_id, const char *name, const char *color);

/* crm_db_stage_update - rename / recolour live stage @stage_id of @seller_id; DB_ENOROW when absent. */
int crm_db_stage_update(db_t *db, long long seller_id, long long stage_id, const char *name,
    const char *color);

/*
 * crm_db_stage_shift - move live stage @stage_id one place earlier (@dir
 * -1) or later (+1) among the seller's stages (nothing at either end).
 * Run inside a transaction.  DB_ENOROW when the stage is not a live one of the seller's.
 */
int crm_db_stage_shift(db_t *db, long long seller_id, long long stage_id, int dir);

/*
 * crm_db_stage_delete - move every lead of stage @stage_id to the end of
 * live stage @target_id (a 'stage' event each) and mark @stage_id
 * deleted.  Both must be live stages of @seller_id and differ (else
 * DB_ENOROW).  Run inside a transaction.
 */
int crm_db_stage_delete(db_t *db, long long seller_id, long long stage_id, long long target_id);

/*
 * crm_filters - the board filters of the request's query (stage, label,
 * unread, order, min, max, days; see crm.h) as a new JSON object for
 * crm_db_leads, and in @form (a new object, may be NULL) the values as
 * typed for the filter form.  Bad values are ignored.
 */
json_t *crm_filters(http_req_t *req, json_t **form);

/* crm_is_seller - 1 when the caller has the SELLER role bit. */
int crm_is_seller(const http_req_t *req);

/*
 * crm_decorate_leads - add display fields to each lead of @leads: value
 * (formatted with its currency, "" when none), has_value, has_labels,
 * has_unread.  Strings in the request arena.
 */
void crm_decorate_leads(http_req_t *req, json_t *leads);

/* Routes of board.c (GET /crm, GET /crm/export.csv). */
int crm_board_get(http_req_t *req);
int crm_export_csv(http_req_t *req);

#endif
