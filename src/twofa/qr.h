/*
 * qr.h - QR codes as inline SVG, for the 2FA enrolment page.
 *
 * The otpauth:// URI of a new TOTP secret is shown as a QR code for the
 * user's authenticator app to scan.  It is drawn on the server (no
 * JavaScript, no third-party service that would see the secret) with
 * libqrencode, as an <svg> element to put straight into the page.
 */
#ifndef SOUK_TWOFA_QR_H
#define SOUK_TWOFA_QR_H

#include "core/buf.h"

/*
 * qr_svg - encode @text as a QR code (ISO/IEC 18004) and draw it as SVG.
 * @out: the <svg> element is appended to it (owned by the caller).
 * @text: NUL-terminated text, e.g. an otpauth:// URI.  It is encoded
 *	case-sensitively at error-correction level M (15% of the symbol may be
 *	damaged), the smallest version that fits, modes chosen by libqrencode
 *	with 8-bit as the hint.
 * @module_px: the size of one module in CSS pixels, 1 to 64; the element's
 *	width and height are (modules + 8) * @module_px, and its viewBox is in
 *	modules, so CSS may resize it without blurring.
 * The drawing has a 4-module quiet zone, black modules on an explicit white
 * <rect> (so it scans in dark mode too), shape-rendering="crispEdges",
 * role="img" and aria-label="QR code".  Dark modules are one <path>, one
 * rectangle per horizontal run.  The same @text always gives the same
 * bytes.  The text is not written into the SVG, only its modules.
 * Returns: 0, or -1 (nothing appended) if @module_px is out of range or
 * @text is empty or too long for a QR code (about 2300 bytes at level M).
 */
int qr_svg(buf_t *out, const char *text, int module_px);

#endif
