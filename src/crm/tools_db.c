/*
 * tools_db.c - the SQL of saved replies and custom offers (see tools.h;
 * tables in sql/0027_crm_tools.sql).  SQL only; every value travels as a
 * text parameter.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm/tools.h"

/* ==== saved replies ==== */

int
crm_db_replies(db_t *db, long long seller_id, json_t **out)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(json_build_object('id', id, 'shortcut', shortcut,"
	    " 'title', title, 'body', body) ORDER BY shortcut), '[]'::json)"
	    " FROM crm_saved_replies WHERE seller_id = $1::bigint", 1, p);
}

int
crm_db_reply(db_t *db, long long seller_id, long long id, json_t **out)
{
	char s[24], i[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(i, id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', id, 'shortcut', shortcut, 'title', title, 'body', body)"
	    " FROM crm_saved_replies WHERE seller_id = $1::bigint AND id = $2::bigint", 2, p);
}

int
crm_db_reply_save(db_t *db, long long seller_id, long long id, const char *shortcut,
    const char *title, const char *body, int *taken, int *full)
{
	char s[24], i[24];
	const char *p[5] = { DB_NUM(s, seller_id), DB_NUM(i, id), shortcut, title, body };
	int rc;

	*taken = 0;
	*full = 0;
	if (id == 0) {
		long long n = 0;

		if ((rc = db_query_bigint(db, &n, "SELECT count(*) FROM crm_saved_replies"
		    " WHERE seller_id = $1::bigint", 1, p)) != DB_OK)
			return rc;
		if (n >= CRM_REPLIES_MAX) {
			*full = 1;
			return DB_OK;
		}
		const char *q[4] = { p[0], shortcut, title, body };

		rc = db_query_bigint(db, NULL,
		    "INSERT INTO crm_saved_replies (seller_id, shortcut, title, body)"
		    " VALUES ($1::bigint, $2, $3, $4) ON CONFLICT (seller_id, shortcut) DO NOTHING"
		    " RETURNING id", 4, q);
	} else {
		if ((rc = db_query_bigint(db, NULL, "SELECT id FROM crm_saved_replies"
		    " WHERE seller_id = $1::bigint AND id = $2::bigint", 2, p)) != DB_OK)
			return rc;
		rc = db_query_bigint(db, NULL,
		    "UPDATE crm_saved_replies SET shortcut = $3, title = $4, body = $5"
		    " WHERE seller_id = $1::bigint AND id = $2::bigint AND NOT EXISTS"
		    "  (SELECT 1 FROM crm_saved_replies o WHERE o.seller_id = $1::bigint"
		    "   AND o.shortcut = $3 AND o.id <> $2::bigint)"
		    " RETURNING id", 5, p);
	}
	/* no row: the shortcut is another reply's (a twin request may hit the key) */
	if (rc == DB_ENOROW || (rc == DB_ERROR && strcmp(db_sqlstate(db), "23505") == 0)) {
		*taken = 1;
		return DB_OK;
	}
	return rc;
}

int
crm_db_reply_delete(db_t *db, long long seller_id, long long id)
{
	char s[24], i[24];
	const char *p[2] = { DB_NUM(s, seller_id), DB_NUM(i, id) };

	return db_query_bigint(db, NULL, "DELETE FROM crm_saved_replies WHERE seller_id = $1::bigint"
	    " AND id = $2::bigint RETURNING id", 2, p);
}

int
crm_db_reply_vars(db_t *db, long long conv_id, long long seller_id, json_t **out)
{
	char c[24], s[24];
	const char *p[2] = { DB_NUM(c, conv_id), DB_NUM(s, seller_id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('buyer_name', coalesce(nullif(bp.display_name, ''), b.handle),"
	    " 'buyer_handle', b.handle,"
	    " 'seller_name', coalesce(nullif(sp.display_name, ''), s.handle),"
	    " 'seller_handle', s.handle,"
	    " 'gig_title', coalesce("
	    "  (SELECT g.title FROM crm_leads l JOIN gigs g ON g.id = l.source_gig_id"
	    "   WHERE l.conversation_id = c.id),"
	    "  (SELECT o.gig_title FROM orders o WHERE o.buyer_id = c.buyer_id"
	    "   AND o.seller_id = c.seller_id ORDER BY o.id DESC LIMIT 1),"
	    "  (SELECT g.title FROM gigs g WHERE g.seller_id = c.seller_id AND g.status = 'active'"
	    "   ORDER BY g.id DESC LIMIT 1), ''))"
	    " FROM conversations c JOIN users b ON b.id = c.buyer_id JOIN users s ON s.id = c.seller_id"
	    " LEFT JOIN profiles bp ON bp.user_id = b.id LEFT JOIN profiles sp ON sp.user_id = s.id"
	    " WHERE c.id = $1::bigint AND c.seller_id = $2::bigint", 2, p);
}

/* ==== custom offers ==== */

int
crm_db_conv_parties(db_t *db, long long conv_id, json_t **out)
{
	char c[24];
	const char *p[1] = { DB_NUM(c, conv_id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', c.id, 'buyer_id', c.buyer_id, 'seller_id', c.seller_id,"
	    " 'blocked', EXISTS (SELECT 1 FROM user_blocks k WHERE (k.blocker_id = c.buyer_id"
	    "  AND k.blocked_id = c.seller_id) OR (k.blocker_id = c.seller_id"
	    "  AND k.blocked_id = c.buyer_id)))"
	    " FROM conversations c WHERE c.id = $1::bigint", 1, p);
}

int
crm_db_offer_options(db_t *db, long long seller_id, json_t **out)
{
	char s[24];
	const char *p[1] = { DB_NUM(s, seller_id) };

	return db_query_json(db, out,
	    "WITH g AS (SELECT id, title, currency FROM gigs WHERE seller_id = $1::bigint"
	    "  AND status = 'active')"
	    " SELECT json_build_object("
	    " 'gigs', coalesce((SELECT json_agg(json_build_object('id', id, 'title', title,"
	    "  'currency', currency) ORDER BY title, id) FROM g), '[]'::json),"
	    " 'currencies', coalesce((SELECT json_agg(c ORDER BY c) FROM"
	    "  (SELECT DISTINCT currency AS c FROM g WHERE currency IN ('USD', 'ZAR', 'CNY')) x),"
	    "  '[\"CNY\", \"USD\", \"ZAR\"]'::json))", 1, p);
}

int
crm_db_offer_insert(db_t *db, const struct crm_new_offer *o, long long *id)
{
	char n[8][24];
	const char *p[10];

	DB_NUM(n[0], o->conversation_id);
	DB_NUM(n[1], o->seller_id);
	DB_NUM(n[2], o->buyer_id);
	DB_NUM(n[3], o->gig_id);
	snprintf(n[4], sizeof(n[4]), "%" PRId64, o->price_minor);
	DB_NUM(n[5], o->delivery_days);
	DB_NUM(n[6], o->revisions);
	DB_NUM(n[7], o->expiry_days);
	p[0] = n[0]; p[1] = n[1]; p[2] = n[2]; p[3] = o->gig_id > 0 ? n[3] : NULL;
	p[4] = o->description; p[5] = n[4]; p[6] = o->currency; p[7] = n[5]; p[8] = n[6];
	p[9] = n[7];
	/* a base gig must be an active gig of the seller in the offer's currency */
	return db_query_bigint(db, id,
	    "INSERT INTO crm_offers (conversation_id, seller_id, buyer_id, gig_id, description,"
	    " price_minor, currency, delivery_days, revisions, expires_at)"
	    " SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint, $5, $6::bigint, $7, $8::int,"
	    "  $9::int, souk_now() + make_interval(days => $10::int)"
	    " WHERE $4::bigint IS NULL OR EXISTS (SELECT 1 FROM gigs g WHERE g.id = $4::bigint"
	    "  AND g.seller_id = $2::bigint AND g.status = 'active' AND g.currency = $7)"
	    " RETURNING id", 10, p);
}

int
crm_db_offer_set_message(db_t *db, long long id, long long msg_id)
{
	char i[24], m[24];
	const char *p[2] = { DB_NUM(i, id), DB_NUM(m, msg_id) };

	return db_query_bigint(db, NULL, "UPDATE crm_offers SET message_id = $2::bigint"
	    " WHERE id = $1::bigint RETURNING id", 2, p);
}

int
crm_db_offer(db_t *db, long long id, json_t **out)
{
	char i[24];
	const char *p[1] = { DB_NUM(i, id) };

	return db_query_json(db, out,
	    "SELECT json_build_object('id', f.id, 'conversation_id', f.conversation_id,"
	    " 'seller_id', f.seller_id, 'buyer_id', f.buyer_id, 'gig_id', coalesce(f.gig_id, 0),"
	    " 'gig_title', g.title, 'description', f.description, 'price_minor', f.price_minor,"
	    " 'currency', f.currency, 'delivery_days', f.delivery_days, 'revisions', f.revisions,"
	    " 'status', f.status, 'expired', f.status = 'open' AND f.expires_at <= souk_now(),"
	    " 'message_id', coalesce(f.message_id, 0), 'order_id', coalesce(f.order_id, 0))"
	    " FROM crm_offers f LEFT JOIN gigs g ON g.id = f.gig_id WHERE f.id = $1::bigint", 1, p);
}

int
crm_db_offer_cards(db_t *db, long long conv_id, const char *msg_ids, const char *lang,
    json_t **out)
{
	char c[24];
	const char *p[3] = { DB_NUM(c, conv_id), msg_ids, lang };

	return db_query_json(db, out,
	    "SELECT coalesce(json_object_agg(f.message_id, json_build_object('id', f.id,"
	    " 'description', f.description, 'price', souk_money(f.price_minor, f.currency, $3),"
	    " 'price_minor', f.price_minor, 'currency', f.currency,"
	    " 'delivery_days', f.delivery_days, 'revisions', f.revisions,"
	    " 'expires_at', to_char(f.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
	    " 'status', x.st, 'is_open', x.st = 'open', 'is_accepted', x.st = 'accepted',"
	    " 'is_paid', x.st = 'paid', 'is_withdrawn', x.st = 'withdrawn',"
	    " 'is_expired', x.st = 'expired', 'buyer_id', f.buyer_id, 'seller_id', f.seller_id,"
	    " 'gig', CASE WHEN g.id IS NULL THEN NULL ELSE json_build_object('title', g.title,"
	    "  'url', '/' || u.handle || '/' || g.slug) END,"
	    " 'order_id', coalesce(f.order_id, 0))), '{}'::json)"
	    " FROM crm_offers f"
	    " CROSS JOIN LATERAL (SELECT CASE WHEN f.status = 'open' AND f.expires_at <= souk_now()"
	    "  THEN 'expired' ELSE f.status END AS st) x"
	    " LEFT JOIN gigs g ON g.id = f.gig_id LEFT JOIN users u ON u.id = g.seller_id"
	    " WHERE f.conversation_id = $1::bigint AND f.message_id = ANY ($2::bigint[])", 3, p);
}

int
crm_db_offer_accept(db_t *db, long long id, long long buyer_id, long long order_id)
{
	char i[24], b[24], o[24];
	const char *p[3] = { DB_NUM(i, id), DB_NUM(b, buyer_id), DB_NUM(o, order_id) };

	return db_query_bigint(db, NULL,
	    "UPDATE crm_offers SET status = 'accepted', order_id = $3::bigint,"
	    " decided_at = souk_now()"
	    " WHERE id = $1::bigint AND buyer_id = $2::bigint AND status = 'open'"
	    " AND expires_at > souk_now() RETURNING id", 3, p);
}

int
crm_db_offer_withdraw(db_t *db, long long id, long long seller_id)
{
	char i[24], s[24];
	const char *p[2] = { DB_NUM(i, id), DB_NUM(s, seller_id) };

	return db_query_bigint(db, NULL,
	    "UPDATE crm_offers SET status = 'withdrawn', decided_at = souk_now()"
	    " WHERE id = $1::bigint AND seller_id = $2::bigint AND status = 'open' RETURNING id",
	    2, p);
}

int
crm_db_offer_expire(db_t *db, long long id)
{
	char i[24];
	const char *p[1] = { DB_NUM(i, id) };

	return db_query_bigint(db, NULL,
	    "UPDATE crm_offers SET status = 'expired', decided_at = souk_now()"
	    " WHERE id = $1::bigint AND status = 'open' AND expires_at <= souk_now() RETURNING id",
	    1, p);
}

int
crm_db_offer_event(db_t *db, long long offer_id, const char *action)
{
	char i[24];
	const char *p[2] = { DB_NUM(i, offer_id), action };

	return db_exec(db, NULL,
	    "INSERT INTO crm_lead_events (conversation_id, seller_id, kind, data)"
	    " SELECT f.conversation_id, f.seller_id, 'offer', jsonb_strip_nulls(jsonb_build_object("
	    "  'offer_id', f.id, 'action', $2::text, 'price_minor', f.price_minor,"
	    "  'currency', f.currency, 'order_id', f.order_id))"
	    " FROM crm_offers f WHERE f.id = $1::bigint", 2, p);
}

int
crm_db_offers_due(db_t *db, int limit, json_t **out)
{
	char l[24];
	const char *p[1] = { DB_NUM(l, limit) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(x.id ORDER BY x.id), '[]'::json) FROM"
	    " (SELECT id FROM crm_offers WHERE status = 'open' AND expires_at <= souk_now()"
	    "  ORDER BY id LIMIT $1::int) x", 1, p);
}

int
crm_db_offer_changes(db_t *db, long long after, int limit, json_t **out)
{
	char a[24], l[24];
	const char *p[2] = { DB_NUM(a, after), DB_NUM(l, limit) };

	return db_query_json(db, out,
	    "SELECT coalesce(json_agg(json_build_object('event_id', x.id, 'offer_id', x.offer_id)"
	    " ORDER BY x.id), '[]'::json) FROM"
	    " (SELECT e.id, (e.data->>'offer_id')::bigint AS offer_id FROM crm_lead_events e"
	    "  WHERE e.id > $1::bigint AND e.kind = 'offer'"
	    "  AND e.data->>'action' IN ('paid', 'reopened') ORDER BY e.id LIMIT $2::int) x", 2, p);
}

int
crm_db_offer_of_message(db_t *db, long long conv_id, long long msg_id, long long *id)
{
	char c[24], m[24];
	const char *p[2] = { DB_NUM(c, conv_id), DB_NUM(m, msg_id) };

	return db_query_bigint(db, id, "SELECT id FROM crm_offers WHERE conversation_id = $1::bigint"
	    " AND message_id = $2::bigint", 2, p);
}
