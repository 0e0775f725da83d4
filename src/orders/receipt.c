/*
 * receipt.c - receipts and invoices as PDF (orders.h: orders_pdf), drawn
 * with cairo's PDF surface and laid out with Pango, so names in any
 * script (Chinese included, through fontconfig's fallback fonts) print.
 *
 * The receipt is the platform's, to the buyer: what was bought (package x
 * quantity, extras, paid change orders), the service fee, the total, how
 * and when it was paid.  The invoice is the seller's, to the buyer, for
 * the service, with the fee lines (the buyer's service fee charged by the
 * platform; the platform's seller fee withheld from the seller).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "orders/orders.h"

#define PAGE_W	595.0	/* A4 in points */
#define PAGE_H	842.0
#define MARGIN	56.0
#define FONT	"DejaVu Sans, Noto Sans CJK SC"

struct pdf {
	cairo_t *cr;
	double y;
};

static cairo_status_t
write_buf(void *closure, const unsigned char *data, unsigned int len)
{
	buf_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* Text @s at (@x, y) @size points, @bold; right-aligned to @x when @right.  Returns its height. */
static double
put(struct pdf *p, double x, const char *s, double size, int bold, int right, double width)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_from_string(FONT);
	int w, h;

	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(l, fd);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_text(l, s, -1);
	pango_layout_get_pixel_size(l, &w, &h);
	cairo_move_to(p->cr, right ? x - w : x, p->y);
	pango_cairo_show_layout(p->cr, l);
	pango_font_description_free(fd);
	g_object_unref(l);
	return h;
}

/* A new page when less than @need points are left. */
static void
room_for(struct pdf *p, double need)
{
	if (p->y + need > PAGE_H - MARGIN) {
		cairo_show_page(p->cr);
		p->y = MARGIN;
	}
}

/* One line of text across the page. */
static void
line(struct pdf *p, const char *s, double size, int bold)
{
	room_for(p, size * 2);
	p->y += put(p, MARGIN, s, size, bold, 0, PAGE_W - 2 * MARGIN) + 2;
}

/* A table row: @label on the left, @amount right-aligned. */
static void
row(struct pdf *p, const char *label, const char *amount, int bold)
{
	double h;

	room_for(p, 30);
	h = put(p, MARGIN, label, 10, bold, 0, PAGE_W - 2 * MARGIN - 140);

	put(p, PAGE_W - MARGIN, amount, 10, bold, 1, 0);
	p->y += h + 4;
}

static void
rule(struct pdf *p)
{
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, MARGIN, p->y + 2);
	cairo_line_to(p->cr, PAGE_W - MARGIN, p->y + 2);
	cairo_stroke(p->cr);
	p->y += 8;
}

static void
gap(struct pdf *p, double h)
{
	p->y += h;
}

/* "Buyer" and "Seller"/"Issuer" blocks. */
static void
party(struct pdf *p, const char *title, const char *name, const char *extra1,
    const char *extra2)
{
	line(p, title, 9, 1);
	line(p, name, 10, 0);
	if (extra1 != NULL && extra1[0] != '\0')
		line(p, extra1, 10, 0);
	if (extra2 != NULL && extra2[0] != '\0')
		line(p, extra2, 10, 0);
	gap(p, 8);
}

int
orders_pdf(const json_t *r, int invoice, buf_t *out)
{
	cairo_surface_t *s;
	struct pdf p = { NULL, MARGIN };
	const json_t *buyer = json_object_get(r, "buyer"), *seller = json_object_get(r, "seller");
	const json_t *v;
	char t[512];
	size_t i;
	int rc = 0;

	s = cairo_pdf_surface_create_for_stream(write_buf, out, PAGE_W, PAGE_H);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return -1;
	}
	snprintf(t, sizeof(t), "%s %lld", invoice ? "Invoice" : "Receipt",
	    orders_jint(r, "id"));
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, t);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Souk");
	p.cr = cairo_create(s);
	cairo_set_source_rgb(p.cr, 0, 0, 0);

	line(&p, invoice ? "INVOICE" : "RECEIPT", 20, 1);
	snprintf(t, sizeof(t), "Order #%lld · %s", orders_jint(r, "id"),
	    orders_jstr(r, "created_at"));
	line(&p, t, 10, 0);
	gap(&p, 14);

	if (invoice) {
		snprintf(t, sizeof(t), "@%s · via %s", orders_jstr(seller, "handle"),
		    ORDERS_PLATFORM_NAME);
		party(&p, "From (seller)", orders_jstr(seller, "name"), t,
		    orders_jstr(seller, "country"));
	} else
		party(&p, "From", ORDERS_PLATFORM_NAME, ORDERS_PLATFORM_ADDRESS,
		    ORDERS_PLATFORM_EMAIL);
	snprintf(t, sizeof(t), "@%s · %s", orders_jstr(buyer, "handle"),
	    orders_jstr(buyer, "email"));
	party(&p, "To (buyer)", orders_jstr(buyer, "name"), t, orders_jstr(buyer, "country"));

	line(&p, orders_jstr(r, "gig_title"), 12, 1);
	gap(&p, 4);
	rule(&p);
	snprintf(t, sizeof(t), "%s package × %lld (%s each)", orders_jstr(r, "package_name"),
	    orders_jint(r, "quantity"), orders_jstr(r, "unit_price"));
	row(&p, t, orders_jstr(r, "package_total"), 0);
	json_array_foreach(json_object_get(r, "extras"), i, v) {
		snprintf(t, sizeof(t), "Extra: %s × %lld", orders_jstr(v, "title"),
		    orders_jint(v, "quantity"));
		row(&p, t, orders_jstr(v, "price"), 0);
	}
	json_array_foreach(json_object_get(r, "change_orders"), i, v) {
		snprintf(t, sizeof(t), "Change order: %s", orders_jstr(v, "description"));
		row(&p, t, orders_jstr(v, "amount"), 0);
	}
	rule(&p);
	row(&p, invoice ? "Service (subtotal)" : "Subtotal", orders_jstr(r, "subtotal"), 0);
	row(&p, invoice ? "Buyer service fee (charged by the platform)" : "Service fee",
	    orders_jstr(r, "buyer_fee"), 0);
	json_array_foreach(json_object_get(r, "change_orders"), i, v) {
		snprintf(t, sizeof(t), "Service fee on change order %zu", i + 1);
		row(&p, t, orders_jstr(v, "buyer_fee"), 0);
	}
	rule(&p);
	row(&p, "Total", orders_jstr(r, "total_paid")[0] ? orders_jstr(r, "total_paid") :
	    orders_jstr(r, "total"), 1);
	gap(&p, 10);
	if (invoice) {
		snprintf(t, sizeof(t), "Platform seller fee: %d.%02d%% of the service, withheld "
		    "from the seller on release.",
		    (int)orders_jint(r, "seller_fee_bps") / 100,
		    (int)orders_jint(r, "seller_fee_bps") % 100);
		line(&p, t, 9, 0);
	}
	gap(&p, 6);
	line(&p, "Payment", 10, 1);
	json_array_foreach(json_object_get(r, "payments"), i, v) {
		const char *credit = orders_jstr(v, "credit");

		snprintf(t, sizeof(t), "%s %s, reference %s, paid %s%s%s",
		    orders_jstr(v, "amount"), orders_jstr(v, "gateway"),
		    orders_jstr(v, "reference"), orders_jstr(v, "paid_at"),
		    credit[0] ? " + buyer credit " : "", credit);
		line(&p, t, 9, 0);
	}
	if (json_array_size(json_object_get(r, "payments")) == 0)
		line(&p, "No payment recorded.", 9, 0);
	gap(&p, 20);
	snprintf(t, sizeof(t), "%s · %s · %s", ORDERS_PLATFORM_NAME, ORDERS_PLATFORM_ADDRESS,
	    ORDERS_PLATFORM_EMAIL);
	line(&p, t, 8, 0);

	cairo_show_page(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(s);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		rc = -1;
	cairo_surface_destroy(s);
	return rc;
}
