/*
 * catalog.h - browsing the catalog: home, category listings, search, gig
 * pages, seller profiles and the sitemap.  Handlers for the route table
 * of src/web/app.c; each returns the response status.
 */
#ifndef SOUK_CATALOG_CATALOG_H
#define SOUK_CATALOG_CATALOG_H

#include "http/http.h"

/* The catalog's routes, for src/web/app.c; the last row is the catch-all gig route. */
extern const route_t catalog_routes[];
extern const size_t catalog_nroutes;

/* Listing page size, gigs per page. */
#define CATALOG_PER_PAGE 24
/* Highest page number accepted in ?page= (deeper pages answer 400). */
#define CATALOG_MAX_PAGE 1000

int catalog_home(http_req_t *req);	/* GET / */
int catalog_category(http_req_t *req);	/* GET /c/{category:slug} */
int catalog_search(http_req_t *req);	/* GET /search?q= */
int catalog_gig(http_req_t *req);	/* GET /{handle:handle}/{gig:slug} */
int catalog_seller(http_req_t *req);	/* GET /u/{handle:handle} */
int catalog_sitemap(http_req_t *req);	/* GET /sitemap.xml */

#endif
