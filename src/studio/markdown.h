/*
 * markdown.h - gig descriptions: Markdown (CommonMark) to safe HTML.
 *
 * cmark parses the text; links are rewritten as our own HTML with
 * rel="nofollow ugc" and only http:, https: and mailto: (or relative)
 * URLs; everything is rendered with CMARK_OPT_SAFE, so raw HTML blocks and
 * inline HTML are dropped and dangerous image URLs removed.  The result is
 * meant to be printed unescaped ({{{description_html}}}).
 */
#ifndef SOUK_STUDIO_MARKDOWN_H
#define SOUK_STUDIO_MARKDOWN_H

#include <stddef.h>

/*
 * markdown_url_ok - whether @url may be a link target: a relative URL
 * (no scheme), or http:, https: or mailto: (ASCII case-insensitive), with
 * no control characters.
 * Returns: 1 or 0 (0 for NULL).
 */
int markdown_url_ok(const char *url);

/*
 * markdown_to_html - render @len bytes of Markdown @src as safe HTML.
 * Returns: a NUL-terminated string the caller frees with free(), or NULL
 * when out of memory.
 */
char *markdown_to_html(const char *src, size_t len);

#endif
