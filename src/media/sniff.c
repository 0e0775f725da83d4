/*
 * sniff.c - what an uploaded file really is, from its bytes (libmagic),
 * and which types each kind of media allows.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <magic.h>

#include "core/log.h"
#include "i18n/i18n.h"
#include "media/media.h"

static const struct {
	const char	*mime;
	unsigned	 kind;
} allowed[] = {
	{ "image/jpeg", MEDIA_IMAGE },
	{ "image/png", MEDIA_IMAGE },
	{ "image/webp", MEDIA_IMAGE },
	{ "image/gif", MEDIA_IMAGE },
	{ "video/mp4", MEDIA_VIDEO },
	{ "video/webm", MEDIA_VIDEO },
	{ "video/quicktime", MEDIA_VIDEO },
	{ "application/pdf", MEDIA_PDF },
};

int
media_sniff(const char *path, char *buf, size_t len)
{
	magic_t m;
	const char *t;
	int rc = -1;

	/*
	 * A fresh cookie per call: uploads are rare next to the cost of
	 * loading the database (a few ms), and nothing stays allocated.
	 */
	if ((m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_NO_CHECK_ELF)) == NULL) {
		log_error("media: magic_open failed");
		return -1;
	}
	if (magic_load(m, NULL) == -1) {
		log_error("media: magic_load failed error=%s", magic_error(m));
		goto out;
	}
	if ((t = magic_file(m, path)) == NULL) {
		log_error("media: magic_file failed error=%s", magic_error(m));
		goto out;
	}
	if ((size_t)snprintf(buf, len, "%s", t) >= len)
		goto out;
	rc = 0;
out:
	magic_close(m);
	return rc;
}

unsigned
media_kind_of(const char *mime)
{
	size_t i;

	if (mime == NULL)
		return 0;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(mime, allowed[i].mime) == 0)
			return allowed[i].kind;
	return 0;
}

const char *
media_kind_name(unsigned kind)
{
	switch (kind) {
	case MEDIA_IMAGE:
		return "image";
	case MEDIA_VIDEO:
		return "video";
	case MEDIA_PDF:
		return "pdf";
	default:
		return NULL;
	}
}

long long
media_max_bytes(unsigned kind)
{
	switch (kind) {
	case MEDIA_IMAGE:
		return MEDIA_MAX_IMAGE;
	case MEDIA_VIDEO:
		return MEDIA_MAX_VIDEO;
	case MEDIA_PDF:
		return MEDIA_MAX_PDF;
	default:
		return 0;
	}
}

const char *
media_type_error(unsigned allowed_kinds)
{
	switch (allowed_kinds & (MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF)) {
	case MEDIA_IMAGE:
		return N_("This file is not a JPEG, PNG, WebP or GIF image.");
	case MEDIA_VIDEO:
		return N_("This file is not an MP4, WebM or QuickTime video.");
	case MEDIA_PDF:
		return N_("This file is not a PDF document.");
	case MEDIA_IMAGE | MEDIA_VIDEO:
		return N_("This file is not a JPEG, PNG, WebP or GIF image, nor an "
		    "MP4, WebM or QuickTime video.");
	case MEDIA_IMAGE | MEDIA_PDF:
		return N_("This file is not a JPEG, PNG, WebP or GIF image, nor a PDF document.");
	case MEDIA_VIDEO | MEDIA_PDF:
		return N_("This file is not an MP4, WebM or QuickTime video, nor a PDF document.");
	case MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF:
		return N_("This file is not a JPEG, PNG, WebP or GIF image, an MP4, WebM "
		    "or QuickTime video, or a PDF document.");
	default:
		return N_("No file is accepted here.");
	}
}
