/*
 * markdown.c - Markdown to safe HTML with cmark (see markdown.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>

#include "core/arena.h"
#include "core/buf.h"
#include "studio/markdown.h"

int
markdown_url_ok(const char *url)
{
	const char *p;

	if (url == NULL)
		return 0;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	/* A scheme is what comes before the first ':' if no '/', '?', '#' precedes it. */
	p = url + strcspn(url, ":/?#");
	if (*p != ':')
		return 1;
	return strncasecmp(url, "http:", 5) == 0 || strncasecmp(url, "https:", 6) == 0 ||
	    strncasecmp(url, "mailto:", 7) == 0;
}

/* Append @s to @b escaped for an HTML attribute. */
static void
attr_escape(buf_t *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_append(b, s, 1);
		}
	}
}

/* Append URL @s to @b: bytes outside the URL set %-encoded, then escaped for an attribute. */
static void
href_escape(buf_t *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~!*();:@=+$,/?#[]%", c) != NULL)
			buf_append(b, s, 1);
		else if (c == '&')
			buf_puts(b, "&amp;");
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			buf_append(b, e, 3);
		}
	}
}

/* Replace @link by a custom inline node printing our own <a> around its children. */
static int
rewrite_link(cmark_node *link, arena_t *a)
{
	const char *url = cmark_node_get_url(link), *title = cmark_node_get_title(link);
	cmark_node *custom, *child;
	buf_t open;

	if ((custom = cmark_node_new(CMARK_NODE_CUSTOM_INLINE)) == NULL)
		return -1;
	buf_init(&open, a);
	if (url != NULL && url[0] != '\0' && markdown_url_ok(url)) {
		buf_puts(&open, "<a href=\"");
		href_escape(&open, url);
		buf_puts(&open, "\"");
		if (title != NULL && title[0] != '\0') {
			buf_puts(&open, " title=\"");
			attr_escape(&open, title);
			buf_puts(&open, "\"");
		}
		buf_puts(&open, " rel=\"nofollow ugc\">");
		cmark_node_set_on_enter(custom, buf_cstr(&open));
		cmark_node_set_on_exit(custom, "</a>");
	} else {
		/* A refused URL: keep the link text only. */
		cmark_node_set_on_enter(custom, "");
		cmark_node_set_on_exit(custom, "");
	}
	while ((child = cmark_node_first_child(link)) != NULL) {
		cmark_node_unlink(child);
		cmark_node_append_child(custom, child);
	}
	cmark_node_insert_before(link, custom);
	cmark_node_free(link);
	return 0;
}

char *
markdown_to_html(const char *src, size_t len)
{
	cmark_node *doc, *node, **links = NULL;
	cmark_iter *it;
	cmark_event_type ev;
	size_t n = 0, cap = 0, i;
	arena_t *a;
	char *html = NULL;
	int opts = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_NORMALIZE;

	if ((doc = cmark_parse_document(src != NULL ? src : "", src != NULL ? len : 0,
	    opts)) == NULL)
		return NULL;
	if ((a = arena_new(4096)) == NULL) {
		cmark_node_free(doc);
		return NULL;
	}
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_LINK)
			continue;
		if (n == cap) {
			cmark_node **nl;

			cap = cap ? cap * 2 : 16;
			if ((nl = realloc(links, cap * sizeof(*links))) == NULL)
				goto out;
			links = nl;
		}
		links[n++] = node;
	}
	/* Innermost last: links cannot nest in CommonMark, so the order does not matter. */
	for (i = 0; i < n; i++)
		if (rewrite_link(links[i], a) != 0)
			goto out;
	html = cmark_render_html(doc, opts);
out:
	cmark_iter_free(it);
	free(links);
	cmark_node_free(doc);
	arena_free(a);
	return html;
}
