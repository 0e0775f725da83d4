/*
 * qr.c - QR codes as inline SVG (see qr.h).
 */
#include "config.h"

#include <stddef.h>

#include <qrencode.h>

#include "core/buf.h"
#include "twofa/qr.h"

#define QUIET 4		/* quiet zone around the symbol, in modules */

int
qr_svg(buf_t *out, const char *text, int module_px)
{
	QRcode *qr;
	int x, y, run, w, size;
	const unsigned char *row;

	if (text == NULL || *text == '\0' || module_px < 1 || module_px > 64)
		return -1;
	/* Version 0: the smallest that fits.  Fails with errno ERANGE when too long. */
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		return -1;
	w = qr->width;
	size = w + 2 * QUIET;

	buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-label=\"QR code\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"",
	    size, size, size * module_px, size * module_px, size, size);

	/*
	 * Bit 0 of each module byte is set for a dark module.  Each maximal
	 * horizontal run of dark modules becomes one closed 1-module-high
	 * rectangle: "M x y h n v1 h-n z".
	 */
	for (y = 0; y < w; y++) {
		row = qr->data + (size_t)y * (size_t)w;
		for (x = 0; x < w; x++) {
			if (!(row[x] & 1))
				continue;
			for (run = 1; x + run < w && (row[x + run] & 1); run++)
				continue;
			buf_printf(out, "M%d %dh%dv1h-%dz",
			    x + QUIET, y + QUIET, run, run);
			x += run;	/* row[x + run] is light (or the end) */
		}
	}
	buf_puts(out, "\"/></svg>");
	QRcode_free(qr);
	return 0;
}
