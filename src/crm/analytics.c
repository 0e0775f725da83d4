/*
 * analytics.c - the seller's CRM analytics: the page (figures, charts
 * drawn as server-rendered SVG with a data table each as text
 * alternative), its CSV export, and the refresh of the metric tables run
 * by souk-worker (see auto.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "crm/auto.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "payouts/payouts.h"
#include "tmpl/tmpl.h"
#include "web/app.h"

#define JS(o, k) json_string_value(json_object_get((o), (k)))
#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

int
crm_auto_refresh_analytics(db_t *db, int *sellers)
{
	PGresult *res = NULL;
	int rc;

	if (sellers != NULL)
		*sellers = 0;
	if ((rc = db_exec(db, &res, "SELECT crm_analytics_refresh()", 0, NULL)) != DB_OK)
		return rc;
	if (sellers != NULL && PQntuples(res) == 1)
		*sellers = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return DB_OK;
}

/* The period of ?days= (7, 30 or 90; default 30), or 0 for anything else. */
static int
period(http_req_t *req)
{
	const char *d = kv_get(&req->query_params, "days");

	if (d == NULL || d[0] == '\0' || strcmp(d, "30") == 0)
		return 30;
	if (strcmp(d, "7") == 0)
		return 7;
	if (strcmp(d, "90") == 0)
		return 90;
	return 0;
}

/* "1 h 30 min", "12 min", "40 s" for @secs working seconds. */
static const char *
duration_text(http_req_t *req, long long secs)
{
	const char *lang = app_lang(req);

	if (secs < 60)
		return arena_printf(req->arena, "%lld %s", secs, i18n_str(lang, N_("s")));
	if (secs < 3600)
		return arena_printf(req->arena, "%lld %s", secs / 60, i18n_str(lang, N_("min")));
	return arena_printf(req->arena, "%lld %s %lld %s", secs / 3600, i18n_str(lang, N_("h")),
	    secs % 3600 / 60, i18n_str(lang, N_("min")));
}

/* "12.50 USD" for @minor units of @cur (all our currencies have two decimals). */
static const char *
money_text(http_req_t *req, long long minor, const char *cur)
{
	return arena_printf(req->arena, "%s%lld.%02lld %s", minor < 0 ? "-" : "",
	    llabs(minor) / 100, llabs(minor) % 100, cur != NULL ? cur : "");
}

/* @a / @b as "66.7 %" (one decimal), or NULL when @b is 0. */
static const char *
percent_text(http_req_t *req, long long a, long long b)
{
	if (b <= 0)
		return NULL;
	return arena_printf(req->arena, "%.1f %%", 100.0 * (double)a / (double)b);
}

/* Longest label drawn in a chart, Unicode characters (the row's <title> has it all). */
#define LABEL_MAX 26

/* The byte length of the first @max characters of the UTF-8 string @s. */
static size_t
clip(const char *s, size_t max)
{
	size_t i = 0, n = 0;

	for (; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
			break;
	return i;
}

/*
 * A horizontal bar chart as SVG: @n rows of @labels and @values (drawn to
 * scale, the largest full width) with @texts printed after each bar.
 * Every text is escaped; @title and @desc become <title>/<desc>, named
 * by aria-labelledby; the page puts a data table next to it.
 */
static void
svg_bars(buf_t *b, const char *id, const char *title, const char *desc, const char **labels,
    const double *values, const char **texts, size_t n)
{
	const int row = 26, label_w = 200, bar_w = 300, width = 700;
	double max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	buf_printf(b, "<svg class=\"crm-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""
	    " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" aria-labelledby=\"%s-title %s-desc\">",
	    width, (int)n * row + 8, width, (int)n * row + 8, id, id);
	buf_printf(b, "<title id=\"%s-title\">", id);
	tmpl_escape_html(b, title, strlen(title));
	buf_printf(b, "</title><desc id=\"%s-desc\">", id);
	tmpl_escape_html(b, desc, strlen(desc));
	buf_puts(b, "</desc>");
	for (i = 0; i < n; i++) {
		int y = (int)i * row + 4;
		int w = max > 0 ? (int)(values[i] / max * bar_w + 0.5) : 0;

		buf_puts(b, "<g class=\"crm-chart__row\"><title>");
		tmpl_escape_html(b, labels[i], strlen(labels[i]));
		buf_puts(b, ": ");
		tmpl_escape_html(b, texts[i], strlen(texts[i]));
		buf_printf(b, "</title><text class=\"crm-chart__label\" x=\"%d\" y=\"%d\""
		    " text-anchor=\"end\">", label_w - 8, y + 16);
		tmpl_escape_html(b, labels[i], clip(labels[i], LABEL_MAX));
		if (labels[i][clip(labels[i], LABEL_MAX)] != '\0')
			buf_puts(b, "\xe2\x80\xa6");	/* … */
		buf_printf(b, "</text><rect class=\"crm-chart__bar\" x=\"%d\" y=\"%d\" width=\"%d\""
		    " height=\"%d\" rx=\"3\"></rect><text class=\"crm-chart__value\" x=\"%d\" y=\"%d\">",
		    label_w, y + 2, w < 1 && values[i] > 0 ? 1 : w, row - 8, label_w + w + 6, y + 16);
		tmpl_escape_html(b, texts[i], strlen(texts[i]));
		buf_puts(b, "</text></g>");
	}
	buf_puts(b, "</svg>");
}

/* Chart @rows (borrowed) by @label_key / numeric @value_key / @text_key into HTML in the arena. */
static const char *
chart(http_req_t *req, const char *id, const char *title, const char *desc, json_t *rows,
    const char *label_key, const char *value_key, const char *text_key)
{
	size_t n = json_array_size(rows), i;
	const char **labels = arena_alloc(req->arena, (n + 1) * sizeof(*labels));
	const char **texts = arena_alloc(req->arena, (n + 1) * sizeof(*texts));
	double *values = arena_alloc(req->arena, (n + 1) * sizeof(*values));
	json_t *r;
	buf_t b;

	json_array_foreach(rows, i, r) {
		json_t *v = json_object_get(r, value_key);

		labels[i] = JS(r, label_key) != NULL ? JS(r, label_key) : "";
		texts[i] = JS(r, text_key) != NULL ? JS(r, text_key) : "";
		values[i] = json_is_number(v) ? json_number_value(v) : 0;
	}
	buf_init(&b, req->arena);
	svg_bars(&b, id, title, desc, labels, values, texts, n);
	return buf_cstr(&b);
}

/* The figures of @a (crm_auto_db_analytics) formatted for the page, into @ctx. */
static void
page_figures(http_req_t *req, json_t *a, json_t *ctx)
{
	const char *lang = app_lang(req);
	json_t *sum, *pipeline = json_array(), *won = json_array(), *gigs = json_array();
	json_t *daily = json_array(), *r, *v;
	long long conv = JI(a, "conversations");
	size_t i, j;
	buf_t vt;

	sum = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "conversations", (json_int_t)conv,
	    "spam", (json_int_t)JI(a, "spam"), "responded", (json_int_t)JI(a, "responded"),
	    "responded_24h", (json_int_t)JI(a, "responded_24h"),
	    "decided_24h", (json_int_t)JI(a, "decided_24h"),
	    "conversions", (json_int_t)JI(a, "conversions"));
	if (json_is_integer(json_object_get(a, "response_median_s"))) {
		json_object_set(sum, "median_s", json_object_get(a, "response_median_s"));
		json_object_set_new(sum, "median_text", json_string(duration_text(req,
		    JI(a, "response_median_s"))));
		json_object_set(sum, "p90_s", json_object_get(a, "response_p90_s"));
		json_object_set_new(sum, "p90_text", json_string(duration_text(req,
		    JI(a, "response_p90_s"))));
	}
	if (percent_text(req, JI(a, "responded_24h"), JI(a, "decided_24h")) != NULL)
		json_object_set_new(sum, "rate_text", json_string(percent_text(req,
		    JI(a, "responded_24h"), JI(a, "decided_24h"))));
	if (percent_text(req, JI(a, "conversions"), conv) != NULL)
		json_object_set_new(sum, "conversion_text", json_string(percent_text(req,
		    JI(a, "conversions"), conv)));
	json_object_set_new(ctx, "summary", sum);

	json_array_foreach(json_object_get(a, "pipeline"), i, r) {
		json_t *vals = json_array();
		long long total = 0;

		buf_init(&vt, req->arena);
		json_array_foreach(json_object_get(r, "values"), j, v) {
			const char *t = money_text(req, JI(v, "minor"), JS(v, "currency"));

			json_array_append_new(vals, json_pack("{s:s, s:I, s:s}", "currency",
			    JS(v, "currency"), "minor", (json_int_t)JI(v, "minor"), "amount", t));
			buf_printf(&vt, "%s%s", j > 0 ? ", " : "", t);
			total += JI(v, "minor");
		}
		json_array_append_new(pipeline, json_pack("{s:I, s:s, s:I, s:o, s:s, s:s}",
		    "stage_id", (json_int_t)JI(r, "stage_id"), "name", JS(r, "name"),
		    "leads", (json_int_t)JI(r, "leads"), "values", vals, "values_text",
		    buf_cstr(&vt), "chart_text", arena_printf(req->arena, "%lld %s%s%s",
		    JI(r, "leads"), JI(r, "leads") == 1 ? i18n_str(lang, N_("lead")) :
		    i18n_str(lang, N_("leads")), vt.len > 0 ? " · " : "",
		    buf_cstr(&vt))));
		(void)total;
	}
	json_array_foreach(json_object_get(a, "won_weekly"), i, r) {
		const char *t = money_text(req, JI(r, "minor"), JS(r, "currency"));

		json_array_append_new(won, json_pack("{s:s, s:s, s:I, s:f, s:s, s:I, s:s}",
		    "week", JS(r, "week"), "currency", JS(r, "currency"),
		    "minor", (json_int_t)JI(r, "minor"), "value", (double)JI(r, "minor"),
		    "amount", t, "orders", (json_int_t)JI(r, "orders"),
		    "label", arena_printf(req->arena, "%s %s", JS(r, "week"), JS(r, "currency"))));
	}
	json_array_foreach(json_object_get(a, "by_gig"), i, r) {
		const char *title = JS(r, "title") != NULL ? JS(r, "title") :
		    i18n_str(lang, N_("No gig"));

		json_array_append_new(gigs, json_pack("{s:o, s:s, s:I, s:I, s:f, s:s}",
		    "gig_id", json_incref(json_object_get(r, "gig_id")), "title", title,
		    "leads", (json_int_t)JI(r, "leads"), "conversions", (json_int_t)JI(r, "conversions"),
		    "value", (double)JI(r, "leads"), "text", arena_printf(req->arena, "%lld", JI(r,
		    "leads"))));
	}
	json_array_foreach(json_object_get(a, "daily"), i, r) {
		json_array_append_new(daily, json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:s}",
		    "day", JS(r, "day"), "conversations", (json_int_t)JI(r, "conversations"),
		    "responses", (json_int_t)JI(r, "responses"),
		    "responses_24h", (json_int_t)JI(r, "responses_24h"),
		    "conversions", (json_int_t)JI(r, "conversions"),
		    "value", (double)JI(r, "conversations"),
		    "text", arena_printf(req->arena, "%lld", JI(r, "conversations"))));
	}
	json_array_foreach(pipeline, i, r)
		json_object_set_new(r, "value", json_real((double)JI(r, "leads")));
	json_object_set_new(ctx, "pipeline_svg", json_string(chart(req, "chart-pipeline",
	    i18n_str(lang, N_("Pipeline by stage")),
	    i18n_str(lang, N_("Leads in each stage of your board and their value.")),
	    pipeline, "name", "value", "chart_text")));
	if (json_array_size(won) > 0)
		json_object_set_new(ctx, "won_svg", json_string(chart(req, "chart-won",
		    i18n_str(lang, N_("Won revenue per week")),
		    i18n_str(lang, N_("Order value placed each week, per currency.")),
		    won, "label", "value", "amount")));
	if (json_array_size(gigs) > 0)
		json_object_set_new(ctx, "gigs_svg", json_string(chart(req, "chart-gigs",
		    i18n_str(lang, N_("Leads by source gig")),
		    i18n_str(lang, N_("New conversations in the period, by the gig they came from.")),
		    gigs, "title", "value", "text")));
	if (json_array_size(daily) > 0)
		json_object_set_new(ctx, "daily_svg", json_string(chart(req, "chart-daily",
		    i18n_str(lang, N_("New conversations per day")),
		    i18n_str(lang, N_("Conversations started each day, in your time zone.")),
		    daily, "day", "value", "text")));
	json_object_set_new(ctx, "pipeline", pipeline);
	json_object_set_new(ctx, "won_weekly", won);
	json_object_set_new(ctx, "has_won", json_boolean(json_array_size(won) > 0));
	json_object_set_new(ctx, "by_gig", gigs);
	json_object_set_new(ctx, "has_gigs", json_boolean(json_array_size(gigs) > 0));
	json_object_set_new(ctx, "daily", daily);
	json_object_set_new(ctx, "has_daily", json_boolean(json_array_size(daily) > 0));
}

int
crm_auto_analytics_page(http_req_t *req)
{
	int days = period(req), rc;
	json_t *a = NULL, *ctx, *periods;
	static const int all[] = { 7, 30, 90 };

	if ((req->roles & ROLE_BIT(ROLE_SELLER)) == 0)
		return app_error(req, 403, N_("The CRM is for sellers. Become a seller first."));
	if (days == 0)
		return app_error(req, 400, N_("Choose a period of 7, 30 or 90 days."));
	rc = crm_auto_db_analytics(APP(req)->db, req->user_id, days, &a);
	if (rc != DB_OK && rc != DB_ENOROW)
		return app_db_status(req, rc);
	periods = json_array();
	for (size_t i = 0; i < 3; i++)
		json_array_append_new(periods, json_pack("{s:i, s:s, s:b}", "days", all[i], "url",
		    arena_printf(req->arena, "/crm/analytics?days=%d", all[i]), "current",
		    all[i] == days));
	ctx = json_pack("{s:i, s:o, s:b, s:s}", "days", days, "periods", periods, "computed",
	    rc == DB_OK, "csv_url", arena_printf(req->arena, "/crm/analytics.csv?days=%d", days));
	if (rc == DB_OK) {
		json_object_set(ctx, "computed_at", json_object_get(a, "computed_at"));
		json_object_set(ctx, "time_zone", json_object_get(a, "time_zone"));
		page_figures(req, a, ctx);
	}
	json_decref(a);
	app_page(ctx, i18n_str(app_lang(req), N_("CRM analytics")), NULL,
	    arena_printf(req->arena, "/crm/analytics?days=%d", days), NULL);
	http_no_store(req);
	rc = app_render(req, "crm/analytics", ctx);
	json_decref(ctx);
	return rc;
}

/* One CSV line: section,key,label,currency,value. */
static void
csv_line(buf_t *b, const char *section, const char *key, const char *label, const char *cur,
    const char *value)
{
	payouts_csv_field(b, section, 0);
	buf_putc(b, ',');
	payouts_csv_field(b, key, 1);
	buf_putc(b, ',');
	payouts_csv_field(b, label, 1);
	buf_putc(b, ',');
	payouts_csv_field(b, cur, 0);
	buf_putc(b, ',');
	payouts_csv_field(b, value, 0);
	buf_puts(b, "\r\n");
}

int
crm_auto_analytics_csv(http_req_t *req)
{
	int days = period(req), rc;
	json_t *a = NULL, *r, *v;
	arena_t *ar = req->arena;
	buf_t *b = &req->body;
	size_t i, j;
	static const char *const counts[] = { "conversations", "spam", "responded",
	    "responded_24h", "decided_24h", "conversions", NULL };

	if ((req->roles & ROLE_BIT(ROLE_SELLER)) == 0)
		return app_error(req, 403, N_("The CRM is for sellers. Become a seller first."));
	if (days == 0)
		return app_error(req, 400, N_("Choose a period of 7, 30 or 90 days."));
	rc = crm_auto_db_analytics(APP(req)->db, req->user_id, days, &a);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("Your analytics are not computed yet. Try again in a "
		    "minute."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_no_store(req);
	req->content_type_out = "text/csv; charset=utf-8";
	http_header(req, "Content-Disposition", arena_printf(ar,
	    "attachment; filename=\"souk-crm-analytics-%dd.csv\"", days));
	buf_puts(b, "section,key,label,currency,value\r\n");
	for (i = 0; counts[i] != NULL; i++)
		csv_line(b, "summary", counts[i], "", "", arena_printf(ar, "%lld", JI(a, counts[i])));
	if (json_is_integer(json_object_get(a, "response_median_s"))) {
		csv_line(b, "summary", "response_median_seconds", "", "", arena_printf(ar, "%lld",
		    JI(a, "response_median_s")));
		csv_line(b, "summary", "response_p90_seconds", "", "", arena_printf(ar, "%lld",
		    JI(a, "response_p90_s")));
	}
	if (JI(a, "decided_24h") > 0)
		csv_line(b, "summary", "response_rate_24h", "", "", arena_printf(ar, "%.4f",
		    (double)JI(a, "responded_24h") / (double)JI(a, "decided_24h")));
	if (JI(a, "conversations") > 0)
		csv_line(b, "summary", "conversion_rate", "", "", arena_printf(ar, "%.4f",
		    (double)JI(a, "conversions") / (double)JI(a, "conversations")));
	json_array_foreach(json_object_get(a, "pipeline"), i, r) {
		const char *sid = arena_printf(ar, "%lld", JI(r, "stage_id"));

		csv_line(b, "pipeline_leads", sid, JS(r, "name"), "", arena_printf(ar, "%lld",
		    JI(r, "leads")));
		json_array_foreach(json_object_get(r, "values"), j, v)
			csv_line(b, "pipeline_value", sid, JS(r, "name"), JS(v, "currency"),
			    arena_printf(ar, "%lld", JI(v, "minor")));
	}
	json_array_foreach(json_object_get(a, "won_weekly"), i, r) {
		csv_line(b, "won_week", JS(r, "week"), "", JS(r, "currency"), arena_printf(ar, "%lld",
		    JI(r, "minor")));
		csv_line(b, "won_week_orders", JS(r, "week"), "", JS(r, "currency"),
		    arena_printf(ar, "%lld", JI(r, "orders")));
	}
	json_array_foreach(json_object_get(a, "by_gig"), i, r) {
		const char *gid = json_is_integer(json_object_get(r, "gig_id")) ?
		    arena_printf(ar, "%lld", JI(r, "gig_id")) : "";

		csv_line(b, "gig_leads", gid, JS(r, "title"), "", arena_printf(ar, "%lld",
		    JI(r, "leads")));
		csv_line(b, "gig_conversions", gid, JS(r, "title"), "", arena_printf(ar, "%lld",
		    JI(r, "conversions")));
	}
	json_array_foreach(json_object_get(a, "daily"), i, r) {
		csv_line(b, "daily_conversations", JS(r, "day"), "", "", arena_printf(ar, "%lld",
		    JI(r, "conversations")));
		csv_line(b, "daily_conversions", JS(r, "day"), "", "", arena_printf(ar, "%lld",
		    JI(r, "conversions")));
	}
	json_decref(a);
	req->status = 200;
	return req->status;
}
