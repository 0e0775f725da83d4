/*
 * catalog_db.h - catalog queries: every function runs one SQL statement
 * that builds the page's view model as JSON (json_build_object, json_agg)
 * in the shapes of templates/README.md, and hands it back parsed.
 *
 * Common rules:
 *  - @lang is the UI language, "en" or "zh-CN" (anything starting with
 *    "zh" counts as Chinese, anything else as English).  It picks the
 *    language of category names, labels (seller level, package tier,
 *    revisions, country and language names); gig and profile texts are
 *    shown in the language their author wrote them in.
 *  - In every "name" of a category the name is already in the UI
 *    language; "name_zh" (home, category) is always the Chinese name.
 *  - Prices are formatted by souk_money() in the gig's own currency
 *    ("$25.00", "R 450,00", "¥180.00"); *_minor fields are integers in
 *    minor units of that currency.  Ratings are strings with one decimal.
 *  - URLs are paths: gigs "/<handle>/<slug>", sellers "/u/<handle>",
 *    categories "/c/<slug>".  Dates are UTC, "YYYY-MM-DD".
 *  - Only active gigs of active accounts are shown anywhere.
 *  - @out receives a new reference on DB_OK only; the caller json_decref()s
 *    it.  Strings passed in are only read during the call.
 *  - Returns DB_OK, DB_ENOROW (where said), DB_ERROR or DB_EDOWN (see
 *    db/db.h); errors are logged by the db layer.
 */
#ifndef SOUK_CATALOG_CATALOG_DB_H
#define SOUK_CATALOG_CATALOG_DB_H

#include <jansson.h>

#include "db/db.h"

/* Listing filters, shared by category pages and search. */
struct catalog_filter {
	const char *category;	/* category slug (catalog_db_category), or NULL */
	const char *q;		/* search text (catalog_db_search), up to 200 bytes used */
	long long min_price;	/* basic package price in US cents (converted through
				   fx_rates), inclusive; -1 = no minimum */
	long long max_price;	/* likewise, inclusive; -1 = no maximum */
	int max_delivery;	/* basic package delivery, days, inclusive; 0 = any */
	const char *level;	/* NULL or "new", "level_1", "level_2", "top_rated" */
	double min_rating;	/* gig rating, inclusive, 0..5; 0 = any */
	const char *language;	/* NULL, "en" or "zh": the language a gig is written in */
	const char *sort;	/* "relevance" (default, also for NULL or unknown),
				   "rating", "newest", "price_asc" */
	const char *lang;	/* UI language, "en" or "zh-CN" */
	int page;		/* 1-based; values below 1 count as 1 */
	int per_page;		/* gigs per page, clamped to 1..100 */
};

/*
 * catalog_db_home - the home page: {categories: [{slug, name, name_zh, url,
 * icon, gig_count, children: [{slug, name, url}]}], featured: [gig_card]}.
 * Categories in their set order; gig_count counts the active gigs of all
 * children.  featured: 12 gigs with at least 50 reviews, at most two per
 * top-level category, by popularity (rating weighted by the log of the
 * review count), those written in the UI language first; deterministic.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int catalog_db_home(db_t *db, const char *lang, json_t **out);

/*
 * catalog_db_nav - the header menu: {categories: [{slug, name, url}]}, the
 * top-level categories in their set order, names in the UI language.
 * The result changes only with a migration: cache it per language.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int catalog_db_nav(db_t *db, const char *lang, json_t **out);

/*
 * catalog_db_category - one page of a category listing: {category: {slug,
 * name, name_zh, description, url, parent: {slug, name, url} | null,
 * children: [{slug, name, url, current}]}, gigs: [gig_card], total}.
 * A top-level category lists the gigs of all its children and its children
 * are its subcategories (current false); a second-level category shows
 * its siblings with itself marked current.  @f->category is the slug; q is
 * ignored.  total counts all matches, not only the page.  Sorts:
 * relevance = popularity (score), rating = rating then review count,
 * newest = creation time, price_asc = basic price in US cents; ties by id.
 * Returns: DB_OK, DB_ENOROW when no category has that slug, DB_ERROR or
 * DB_EDOWN.
 */
int catalog_db_category(db_t *db, const struct catalog_filter *f, json_t **out);

/*
 * catalog_db_search - one page of search results: {gigs: [gig_card], total,
 * fuzzy}.  @f->q must be non-empty; @f->category is ignored.  Full-text
 * search over titles (weight A), tags (B) and descriptions (C), English
 * words stemmed and Chinese text cut into character bigrams; the query is
 * read as websearch syntax ("quoted phrases", or, -word) and never as SQL
 * or tsquery syntax.  The relevance sort is ts_rank_cd scaled by
 * popularity.  When the full-text search finds nothing with the filters
 * applied, typo tolerance takes over and fuzzy is true: first the query
 * words are corrected against the vocabulary of gig titles and tags
 * (Levenshtein distance 1-2: "logo desgin") and searched again, Chinese
 * bigrams ORed; failing that, titles are matched by trigram word
 * similarity ("logodesign").  The filters apply at every stage.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN (an empty result is DB_OK with
 * total 0).
 */
int catalog_db_search(db_t *db, const struct catalog_filter *f, json_t **out);

/*
 * catalog_db_gig - a gig page: {gig: {...}, seller: {...}, related:
 * [gig_card]} (templates/README.md).  @handle and @slug are matched
 * exactly (both lower case).  related: up to 8 other gigs of the same
 * category, those in the gig's language first, by popularity.
 * Returns: DB_OK, DB_ENOROW when there is no such active gig of an active
 * seller, DB_ERROR or DB_EDOWN.
 */
int catalog_db_gig(db_t *db, const char *handle, const char *slug, const char *lang,
    json_t **out);

/*
 * catalog_db_seller - a seller page: {seller: {...}, gigs: [gig_card]} with
 * all the seller's active gigs by popularity.
 * Returns: DB_OK, DB_ENOROW when there is no active account with a
 * profile under @handle, DB_ERROR or DB_EDOWN.
 */
int catalog_db_seller(db_t *db, const char *handle, const char *lang, json_t **out);

/*
 * catalog_db_sitemap - {categories: [{url}], gigs: [{url, updated}]}: every
 * category, and every active gig with the date it last changed.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int catalog_db_sitemap(db_t *db, json_t **out);

#endif
