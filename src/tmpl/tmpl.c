/*
 * tmpl.c - Mustache templates: compile once, render many (see tmpl.h).
 *
 * Follows Mustache spec v1.4 (../shared/spec/mustache), optional modules
 * included.  The file has three parts:
 *
 *   PART 1 the set: a hash table of compiled templates in one arena.
 *   PART 2 compilation: source text -> flat array of nodes.
 *   PART 3 rendering: walk the nodes against a stack of json_t values.
 *
 * A compiled template is one array of struct node.  Container nodes
 * (sections, inverted sections, parents, blocks) are followed by their
 * body and record in "end" the index just past it, so the body of node i
 * is [i + 1, end) and the renderer never follows pointers or allocates.
 * All standalone-line handling is done at compile time: the text nodes
 * already lack the lines that standalone tags remove.
 *
 * Indentation.  The spec indents every line of a standalone partial (and
 * of parents and blocks) by the whitespace in front of the tag, and the
 * inheritance module also strips the common indentation of a standalone
 * block's body ("dedent") before re-indenting it where it is expanded.
 * Both are done at render time so that one compiled template serves every
 * call site: text nodes carry a flag saying they begin a source line, an
 * OP_INDENT node marks source lines that begin with a tag, and the
 * renderer emits the current indentation (and skips the dedent) there.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "tmpl/tmpl.h"

#define NPOS		((size_t)-1)

/* Delimiters in force; compiled templates point at them for lambdas. */
struct delims {
	char		 otag[TMPL_DELIM_MAX + 1];
	char		 ctag[TMPL_DELIM_MAX + 1];
	size_t		 olen;
	size_t		 clen;
};

static const struct delims default_delims = { "{{", "}}", 2, 2 };

/* One key of a dotted name: "a.b" has parts "a" and "b". */
struct part {
	const char	*key;		/* not NUL-terminated */
	size_t		 len;
};

/*
 * A tag name.  Interpolations and sections use parts[] (nparts == 0 is
 * the implicit iterator "."); partials, parents and blocks use str/hash,
 * except dynamic ones ({{>*name}}) which resolve parts[] to a string.
 */
struct tname {
	const char	*str;		/* as written, NUL-terminated */
	size_t		 len;
	uint64_t	 hash;		/* hash_name(str, len) */
	const struct part *parts;
	unsigned	 nparts;
	int		 dynamic;	/* {{>*name}} / {{<*name}} */
};

enum op {
	OP_TEXT,	/* s/slen: literal bytes */
	OP_INDENT,	/* a source line starts here with a tag */
	OP_ESCAPED,	/* {{name}} */
	OP_RAW,		/* {{{name}}} and {{&name}} */
	OP_SECTION,	/* {{#name}}, body follows; s/slen: raw body */
	OP_INVERTED,	/* {{^name}}, body follows */
	OP_PARTIAL,	/* {{>name}}; s/slen: indentation if standalone */
	OP_PARENT,	/* {{<name}}, body (holding the blocks) follows */
	OP_BLOCK	/* {{$name}}, default body follows */
};

#define NF_BOL		0x01	/* OP_TEXT: begins a source line */
#define NF_STANDALONE	0x02	/* tag was alone on its line */

struct node {
	unsigned char	 op;		/* enum op */
	unsigned char	 flags;		/* NF_* */
	uint32_t	 end;		/* containers: index past the body */
	const char	*s;		/* see enum op; OP_BLOCK: site indent */
	size_t		 slen;
	size_t		 dedent;	/* OP_BLOCK: common body indentation */
	const struct delims *dl;	/* OP_SECTION: delimiters, for lambdas */
	struct tname	 name;
};

struct tmpl {
	const char	*name;
	size_t		 namelen;
	uint64_t	 hash;
	const char	*src;		/* the source; text nodes point into it */
	size_t		 len;
	const struct node *nodes;
	uint32_t	 nnodes;
};

struct tmpl_set {
	arena_t		*arena;		/* templates, names, sources, nodes */
	struct tmpl	**slots;	/* open addressing, cap a power of 2 */
	size_t		 cap;
	size_t		 count;
};

/* Does @op have a body following it? */
static int
is_container(unsigned op)
{

	return op == OP_SECTION || op == OP_INVERTED || op == OP_PARENT ||
	    op == OP_BLOCK;
}

/* FNV-1a: short names, good enough spread, no state. */
static uint64_t
hash_name(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Write a formatted message into a caller's err buffer, if any. */
static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Find @nl bytes of @n in @hl bytes of @h (memmem without _GNU_SOURCE).
 * Delimiters are short, so memchr on the first byte does the work.
 */
static const char *
find(const char *h, size_t hl, const char *n, size_t nl)
{
	const char *p, *end;

	if (nl == 0 || hl < nl)
		return NULL;
	end = h + hl - nl + 1;
	for (p = h; p < end; p++) {
		p = memchr(p, n[0], (size_t)(end - p));
		if (p == NULL)
			return NULL;
		if (memcmp(p, n, nl) == 0)
			return p;
	}
	return NULL;
}

/* ==================================================================== */
/* PART 1 the set                                                       */
/* ==================================================================== */

tmpl_set_t *
tmpl_set_new(void)
{
	tmpl_set_t *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		fatal("tmpl: out of memory");
	set->arena = arena_new(0);
	set->cap = 64;
	if ((set->slots = calloc(set->cap, sizeof(*set->slots))) == NULL)
		fatal("tmpl: out of memory");
	return set;
}

void
tmpl_set_free(tmpl_set_t *set)
{

	if (set == NULL)
		return;
	arena_free(set->arena);
	free(set->slots);
	free(set);
}

/* Find a template by name; @hash is hash_name(name, len). */
static const struct tmpl *
set_find(const tmpl_set_t *set, const char *name, size_t len, uint64_t hash)
{
	size_t i, mask;
	const struct tmpl *t;

	if (set == NULL)
		return NULL;
	mask = set->cap - 1;
	for (i = hash & mask; (t = set->slots[i]) != NULL; i = (i + 1) & mask)
		if (t->hash == hash && t->namelen == len &&
		    memcmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

/* Insert or replace @t; keeps the load factor at or below one half. */
static void
set_put(tmpl_set_t *set, struct tmpl *t)
{
	struct tmpl **old, *o;
	size_t i, mask, oldcap;

	if ((set->count + 1) * 2 > set->cap) {
		old = set->slots;
		oldcap = set->cap;
		set->cap *= 2;
		if ((set->slots = calloc(set->cap, sizeof(*set->slots))) == NULL)
			fatal("tmpl: out of memory");
		mask = set->cap - 1;
		for (i = 0; i < oldcap; i++) {
			size_t j;

			if ((o = old[i]) == NULL)
				continue;
			for (j = o->hash & mask; set->slots[j] != NULL;
			    j = (j + 1) & mask)
				continue;
			set->slots[j] = o;
		}
		free(old);
	}
	mask = set->cap - 1;
	for (i = t->hash & mask; (o = set->slots[i]) != NULL;
	    i = (i + 1) & mask)
		if (o->hash == t->hash && o->namelen == t->namelen &&
		    memcmp(o->name, t->name, t->namelen) == 0) {
			set->slots[i] = t;	/* replace; old stays in arena */
			return;
		}
	set->slots[i] = t;
	set->count++;
}

int
tmpl_set_has(const tmpl_set_t *set, const char *name)
{
	size_t len = strlen(name);

	return set_find(set, name, len, hash_name(name, len)) != NULL;
}

/* ==================================================================== */
/* PART 2 compilation                                                   */
/* ==================================================================== */

/* A section, parent or block whose close tag has not been seen yet. */
struct open {
	uint32_t	 node;		/* index of its node */
	size_t		 at;		/* offset of its tag, for errors */
	size_t		 body;		/* offset where its body starts */
	const char	*name;		/* tag content as written, to match */
	size_t		 namelen;
	int		 standalone;
};

struct parser {
	arena_t		*arena;		/* receives everything compiled */
	const char	*errname;	/* template name used in messages */
	const char	*src;		/* lives in arena (or longer) */
	size_t		 len;
	const struct delims *dl;	/* delimiters in force */
	struct node	*nodes;		/* heap while compiling */
	size_t		 nnodes;
	size_t		 cap;
	struct open	 open[TMPL_MAX_NEST];
	size_t		 nopen;
	char		*err;
	size_t		 errlen;
};

/* A tag as scanned: {{#  name }} has type '#' and content "name". */
struct tag {
	char		 type;		/* ! = { & # ^ / > < $, or 'v' */
	size_t		 at;		/* offset of the opening delimiter */
	size_t		 end;		/* offset past the closing delimiter */
	const char	*body;		/* content, trimmed of whitespace */
	size_t		 blen;
};

enum tagerr {
	TAG_OK,
	TAG_UNCLOSED,		/* no closing delimiter */
	TAG_BADDELIM,		/* {{= ... }} without the final '=' */
	TAG_EMPTY,		/* {{}}, {{# }} */
	TAG_BADNAME		/* whitespace inside a name */
};

static int
is_space(char c)
{

	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * 1-based line and column of byte offset @off.  Columns count UTF-8
 * characters, not bytes, so they match what an editor shows.
 */
static void
linecol(const struct parser *p, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = *col = 1;
	for (i = 0; i < off && i < p->len; i++) {
		if (p->src[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)p->src[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

/* Report a syntax error at byte offset @off of the source; returns -1. */
static int
perr(struct parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *p, size_t off, const char *fmt, ...)
{
	char msg[TMPL_ERRLEN];
	unsigned line, col;
	va_list ap;

	linecol(p, off, &line, &col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(p->err, p->errlen, "%s: line %u, column %u: %s",
	    p->errname, line, col, msg);
	return -1;
}

/*
 * Scan the tag whose opening delimiter is at @at.  Fills @t and returns
 * TAG_OK, or an enum tagerr (with t->type and t->at set) for the caller
 * to report; scanning alone never writes an error, so lookahead can use it.
 */
static enum tagerr
scan_tag(const struct parser *p, size_t at, struct tag *t)
{
	const struct delims *dl = p->dl;
	const char *s = p->src, *f, *b, *e;
	char needle[TMPL_DELIM_MAX + 2];
	size_t i = at + dl->olen, nlen, k;

	t->at = at;
	t->type = 'v';
	t->body = NULL;
	t->blen = 0;
	if (i >= p->len)
		return TAG_UNCLOSED;

	/*
	 * Triple mustache and set-delimiter tags end with one more character
	 * before the closing delimiter: "}" + ctag and "=" + ctag.
	 */
	nlen = 0;
	switch (s[i]) {
	case '{':
		needle[nlen++] = '}';
		t->type = s[i++];
		break;
	case '=':
		needle[nlen++] = '=';
		t->type = s[i++];
		break;
	case '!': case '&': case '#': case '^': case '/':
	case '>': case '<': case '$':
		t->type = s[i++];
		break;
	default:
		break;
	}
	memcpy(needle + nlen, dl->ctag, dl->clen);
	nlen += dl->clen;

	f = find(s + i, p->len - i, needle, nlen);
	if (f == NULL) {
		if (nlen > dl->clen &&
		    find(s + i, p->len - i, dl->ctag, dl->clen) != NULL)
			return t->type == '=' ? TAG_BADDELIM : TAG_UNCLOSED;
		return TAG_UNCLOSED;
	}
	t->end = (size_t)(f - s) + nlen;
	if (t->type == '!')
		return TAG_OK;

	/* Trim the content. */
	b = s + i;
	e = f;
	while (b < e && is_space(*b))
		b++;
	while (e > b && is_space(e[-1]))
		e--;
	t->body = b;
	t->blen = (size_t)(e - b);

	/* An opening delimiter inside means this tag never closed. */
	if (find(b, t->blen, dl->otag, dl->olen) != NULL)
		return TAG_UNCLOSED;
	if (t->type == '=')
		return TAG_OK;
	if (t->blen == 0)
		return TAG_EMPTY;

	/* Names hold no whitespace, except after the '*' of dynamic names. */
	k = 0;
	if ((t->type == '>' || t->type == '<') && b[0] == '*') {
		for (k = 1; k < t->blen && is_space(b[k]); k++)
			continue;
		if (k == t->blen)
			return TAG_EMPTY;
	}
	for (; k < t->blen; k++)
		if (is_space(b[k]))
			return TAG_BADNAME;
	return TAG_OK;
}

static int
tag_error(struct parser *p, const struct tag *t, enum tagerr e)
{

	switch (e) {
	case TAG_UNCLOSED:
		return perr(p, t->at, "unclosed tag (no \"%s%s\")",
		    t->type == '{' ? "}" : "", p->dl->ctag);
	case TAG_BADDELIM:
		return perr(p, t->at, "bad set-delimiter tag");
	case TAG_EMPTY:
		return perr(p, t->at, "empty tag name");
	case TAG_BADNAME:
		return perr(p, t->at, "bad tag name \"%.*s\"",
		    (int)t->blen, t->body);
	default:
		return 0;
	}
}

/* Append a zeroed node and return it (valid until the next push). */
static struct node *
push_node(struct parser *p, enum op op)
{
	struct node *n;

	if (p->nnodes == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		n = realloc(p->nodes, p->cap * sizeof(*n));
		if (n == NULL)
			fatal("tmpl: out of memory");
		p->nodes = n;
	}
	if (p->nnodes >= UINT32_MAX)
		fatal("tmpl: template too large");
	n = &p->nodes[p->nnodes++];
	memset(n, 0, sizeof(*n));
	n->op = op;
	return n;
}

/* Text [a, b) of the source. */
static void
emit_text(struct parser *p, size_t a, size_t b)
{
	struct node *n;

	if (b <= a)
		return;
	n = push_node(p, OP_TEXT);
	n->s = p->src + a;
	n->slen = b - a;
	if (a == 0 || p->src[a - 1] == '\n')
		n->flags |= NF_BOL;
}

/*
 * If the tag at @at is the first thing on its line, store the offset of
 * the line start in *@ls and return 1.  @pos is where the text before the
 * tag begins (the end of the previous tag).
 */
static int
line_before(const struct parser *p, size_t pos, size_t at, size_t *ls)
{
	size_t i;

	for (i = at; i > pos; i--)
		if (p->src[i - 1] == '\n')
			break;
	if (i == pos && pos != 0 && p->src[pos - 1] != '\n')
		return 0;	/* a previous tag sits on this line */
	*ls = i;
	for (; i < at; i++)
		if (p->src[i] != ' ' && p->src[i] != '\t')
			return 0;
	return 1;
}

/*
 * If only blanks follow offset @i up to a line end ("\n", "\r\n" or the
 * end of the source), return the offset past that line end; else NPOS.
 * *@wsend, if not NULL, gets the offset of the line end itself.
 */
static size_t
eol_after(const struct parser *p, size_t i, size_t *wsend)
{

	while (i < p->len && (p->src[i] == ' ' || p->src[i] == '\t'))
		i++;
	if (wsend != NULL)
		*wsend = i;
	if (i == p->len)
		return i;
	if (p->src[i] == '\n')
		return i + 1;
	if (p->src[i] == '\r' && i + 1 < p->len && p->src[i + 1] == '\n')
		return i + 2;
	return NPOS;
}

/* Tags that a standalone line may hold (those that print nothing there). */
static int
can_standalone(char type)
{

	return strchr("#^/!=><$", type) != NULL;
}

/*
 * Compile a name.  @dotted splits "a.b.c" into parts (and "." is the
 * implicit iterator); otherwise the name is one literal string, unless it
 * starts with '*' and @dynamic_ok, which makes it a dynamic name whose
 * dotted remainder is resolved at render time.
 */
static int
compile_name(struct parser *p, const struct tag *t, int dotted,
    int dynamic_ok, struct tname *nm)
{
	const char *b = t->body, *e = t->body + t->blen, *q, *dot;
	struct part *parts;
	unsigned n;

	memset(nm, 0, sizeof(*nm));
	if (dynamic_ok && *b == '*') {
		for (b++; b < e && is_space(*b); b++)
			continue;
		nm->dynamic = 1;
		dotted = 1;
	}
	nm->str = arena_strndup(p->arena, b, (size_t)(e - b));
	nm->len = (size_t)(e - b);
	nm->hash = hash_name(nm->str, nm->len);
	if (!dotted)
		return 0;
	if (nm->len == 1 && b[0] == '.')
		return 0;	/* implicit iterator */

	for (n = 1, q = b; q < e; q++)
		if (*q == '.')
			n++;
	parts = arena_calloc(p->arena, n, sizeof(*parts));
	nm->parts = parts;
	nm->nparts = n;
	for (n = 0, q = nm->str; ; n++) {
		dot = memchr(q, '.', (size_t)(nm->str + nm->len - q));
		if (dot == NULL)
			dot = nm->str + nm->len;
		if (dot == q)
			return perr(p, t->at, "bad tag name \"%.*s\"",
			    (int)t->blen, t->body);
		parts[n].key = q;
		parts[n].len = (size_t)(dot - q);
		if (dot == nm->str + nm->len)
			break;
		q = dot + 1;
	}
	return 0;
}

/* {{=<% %>=}}: two blank-separated delimiters without '=' or blanks. */
static int
set_delims(struct parser *p, const struct tag *t)
{
	struct delims *d;
	const char *b = t->body, *e = t->body + t->blen, *o, *c;
	size_t olen, clen;

	o = b;
	while (b < e && !is_space(*b))
		b++;
	olen = (size_t)(b - o);
	while (b < e && is_space(*b))
		b++;
	c = b;
	while (b < e && !is_space(*b))
		b++;
	clen = (size_t)(b - c);
	if (b != e || olen == 0 || clen == 0 ||
	    olen > TMPL_DELIM_MAX || clen > TMPL_DELIM_MAX ||
	    memchr(o, '=', olen) != NULL || memchr(c, '=', clen) != NULL)
		return perr(p, t->at, "bad set-delimiter tag");
	d = arena_calloc(p->arena, 1, sizeof(*d));
	memcpy(d->otag, o, olen);
	memcpy(d->ctag, c, clen);
	d->olen = olen;
	d->clen = clen;
	p->dl = d;
	return 0;
}

/*
 * Length of the common leading blanks of the non-blank lines of [a, b),
 * as Python's textwrap.dedent (which the spec's inheritance tests follow)
 * computes it; *@first gets the start of the first non-blank line.
 */
static size_t
common_indent(const char *s, size_t a, size_t b, const char **first)
{
	const char *ref = NULL;
	size_t i = a, w, k, best = 0;

	*first = NULL;
	while (i < b) {
		for (w = 0; i + w < b && (s[i + w] == ' ' || s[i + w] == '\t');
		    w++)
			continue;
		if (i + w < b && s[i + w] != '\n' &&
		    !(s[i + w] == '\r' && i + w + 1 < b && s[i + w + 1] == '\n')) {
			if (ref == NULL) {
				ref = s + i;
				best = w;
			} else {
				for (k = 0; k < best && k < w && s[i + k] == ref[k];
				    k++)
					continue;
				best = k;
			}
		}
		while (i < b && s[i] != '\n')
			i++;
		i++;
	}
	*first = ref;
	return ref == NULL ? 0 : best;
}

/*
 * Handle one tag.  @sa: the tag is standalone.  @ind: offset where its
 * indentation starts (the indentation is [ind, t->at)).  @body: offset
 * where the body of an opening tag starts.  @bend: offset where the body
 * closed by a closing tag ends.
 */
static int
do_tag(struct parser *p, const struct tag *t, int sa, size_t ind,
    size_t body, size_t bend)
{
	struct node *n;
	struct open *o;
	const char *first;
	size_t d;
	unsigned line, col;
	enum op op;

	switch (t->type) {
	case '!':
		return 0;
	case '=':
		return set_delims(p, t);
	case 'v':
	case '&':
	case '{':
		n = push_node(p, t->type == 'v' ? OP_ESCAPED : OP_RAW);
		return compile_name(p, t, 1, 0, &n->name);
	case '>':
		n = push_node(p, OP_PARTIAL);
		if (sa) {
			n->flags |= NF_STANDALONE;
			n->s = p->src + ind;
			n->slen = t->at - ind;
		}
		return compile_name(p, t, 0, 1, &n->name);
	case '#':
	case '^':
	case '<':
	case '$':
		if (p->nopen == TMPL_MAX_NEST)
			return perr(p, t->at, "sections nested deeper than %d",
			    TMPL_MAX_NEST);
		op = t->type == '#' ? OP_SECTION : t->type == '^' ?
		    OP_INVERTED : t->type == '<' ? OP_PARENT : OP_BLOCK;
		n = push_node(p, op);
		n->dl = p->dl;
		if (sa) {
			n->flags |= NF_STANDALONE;
			n->s = p->src + ind;
			n->slen = t->at - ind;
		}
		o = &p->open[p->nopen++];
		o->node = (uint32_t)(p->nnodes - 1);
		o->at = t->at;
		o->body = body;
		o->name = t->body;
		o->namelen = t->blen;
		o->standalone = sa;
		return compile_name(p, t, op == OP_SECTION ||
		    op == OP_INVERTED, op == OP_PARENT, &n->name);
	case '/':
		break;
	default:
		return 0;
	}

	/* A closing tag. */
	if (p->nopen == 0)
		return perr(p, t->at, "close tag \"%.*s\" without an open "
		    "section", (int)t->blen, t->body);
	o = &p->open[p->nopen - 1];
	if (o->namelen != t->blen || memcmp(o->name, t->body, t->blen) != 0) {
		linecol(p, o->at, &line, &col);
		return perr(p, t->at, "mismatched close tag \"%.*s\", expected "
		    "\"%.*s\" (opened at line %u, column %u)", (int)t->blen,
		    t->body, (int)o->namelen, o->name, line, col);
	}
	p->nopen--;
	n = &p->nodes[o->node];
	n->end = (uint32_t)p->nnodes;
	if (n->op == OP_SECTION || n->op == OP_INVERTED) {
		/* The raw body, as section lambdas receive it. */
		n->s = p->src + o->body;
		n->slen = bend > o->body ? bend - o->body : 0;
	} else if (n->op == OP_BLOCK && o->standalone) {
		/*
		 * A standalone block strips the common indentation of its body
		 * and is re-indented where it is expanded: by that indentation
		 * or, for an empty body, by the blanks before its tag.
		 */
		d = common_indent(p->src, o->body, bend, &first);
		n->dedent = d;
		if (d > 0) {
			n->s = first;
			n->slen = d;
		}
	}
	return 0;
}

/* Name of the close tag @t equals the name of open entry @o? */
static int
closes(const struct open *o, const struct tag *t)
{

	return t->type == '/' && o->namelen == t->blen &&
	    memcmp(o->name, t->body, t->blen) == 0;
}

/*
 * The inheritance spec treats some pairs of adjacent tags as standalone
 * together (see its "Standalone parent" and "Standalone block" tests):
 *   {{<p}}{{/p}}  both standalone; the line goes.
 *   {{<p}}{{$b}}  both standalone; the line goes, the block body starts
 *                 on the next line.
 *   {{$b}}{{/b}}  standalone block with an empty body; the blanks go but
 *                 the line end stays (spec PR #131).
 *   {{/b}}{{/p}}  both standalone; the line goes.
 * @t is the first tag, with only blanks before it from offset @ls.
 * Returns 1 if a pair was handled (with *@pos advanced), 0 if not, -1 on
 * error.
 */
static int
try_pair(struct parser *p, size_t *pos, size_t ls, const struct tag *t)
{
	const struct delims *dl = p->dl;
	struct tag t2;
	size_t le, wsend;

	if (t->type != '<' && t->type != '$' && t->type != '/')
		return 0;
	if (p->len - t->end < dl->olen ||
	    memcmp(p->src + t->end, dl->otag, dl->olen) != 0)
		return 0;
	if (scan_tag(p, t->end, &t2) != TAG_OK)
		return 0;
	if ((le = eol_after(p, t2.end, &wsend)) == NPOS)
		return 0;

	if (t->type == '<' && t2.type == '/' &&
	    t2.blen == t->blen && memcmp(t2.body, t->body, t->blen) == 0) {
		emit_text(p, *pos, ls);
		if (do_tag(p, t, 1, ls, t->end, 0) == -1 ||
		    do_tag(p, &t2, 1, t2.at, 0, t2.at) == -1)
			return -1;
		*pos = le;
		return 1;
	}
	if (t->type == '<' && t2.type == '$') {
		emit_text(p, *pos, ls);
		if (do_tag(p, t, 1, ls, t->end, 0) == -1 ||
		    do_tag(p, &t2, 1, t2.at, le, 0) == -1)
			return -1;
		*pos = le;
		return 1;
	}
	if (t->type == '$' && t2.type == '/' &&
	    t2.blen == t->blen && memcmp(t2.body, t->body, t->blen) == 0) {
		emit_text(p, *pos, ls);
		if (do_tag(p, t, 1, ls, t->end, 0) == -1 ||
		    do_tag(p, &t2, 1, t2.at, 0, t2.at) == -1)
			return -1;
		*pos = wsend;
		return 1;
	}
	if (t->type == '/' && t2.type == '/' && p->nopen >= 2 &&
	    p->nodes[p->open[p->nopen - 1].node].op == OP_BLOCK &&
	    p->nodes[p->open[p->nopen - 2].node].op == OP_PARENT &&
	    closes(&p->open[p->nopen - 1], t) &&
	    closes(&p->open[p->nopen - 2], &t2)) {
		emit_text(p, *pos, ls);
		if (do_tag(p, t, 1, ls, 0, ls) == -1 ||
		    do_tag(p, &t2, 1, t2.at, 0, t2.at) == -1)
			return -1;
		*pos = le;
		return 1;
	}
	return 0;
}

/* The main loop: text, tag, text, tag... */
static int
parse(struct parser *p)
{
	struct tag t;
	const char *f;
	size_t pos = 0, at, ls, le;
	enum tagerr te;
	int rc;

	while (pos < p->len) {
		f = find(p->src + pos, p->len - pos, p->dl->otag, p->dl->olen);
		if (f == NULL) {
			emit_text(p, pos, p->len);
			break;
		}
		at = (size_t)(f - p->src);
		if ((te = scan_tag(p, at, &t)) != TAG_OK)
			return tag_error(p, &t, te);

		if (line_before(p, pos, at, &ls)) {
			if ((rc = try_pair(p, &pos, ls, &t)) == -1)
				return -1;
			if (rc == 1)
				continue;
			if (can_standalone(t.type) &&
			    (le = eol_after(p, t.end, NULL)) != NPOS) {
				/* Standalone: the whole line goes. */
				emit_text(p, pos, ls);
				if (do_tag(p, &t, 1, ls, le, ls) == -1)
					return -1;
				pos = le;
				continue;
			}
		}
		emit_text(p, pos, at);
		if (at == 0 || p->src[at - 1] == '\n')
			push_node(p, OP_INDENT);
		if (do_tag(p, &t, 0, at, t.end, at) == -1)
			return -1;
		pos = t.end;
	}
	if (p->nopen > 0) {
		struct open *o = &p->open[p->nopen - 1];
		const struct node *n = &p->nodes[o->node];

		return perr(p, o->at, "unclosed %s \"%.*s\"",
		    n->op == OP_PARENT ? "parent" : n->op == OP_BLOCK ?
		    "block" : "section", (int)o->namelen, o->name);
	}
	return 0;
}

/*
 * Compile @len bytes at @src, which must stay valid as long as @a, into
 * a template allocated from @a.  @errname names it in messages.
 * Returns the template, or NULL with @err filled.
 */
static struct tmpl *
compile(arena_t *a, const char *name, const char *errname, const char *src,
    size_t len, const struct delims *dl, char *err, size_t errlen)
{
	struct parser p;
	struct tmpl *t = NULL;
	struct node *nodes;

	memset(&p, 0, sizeof(p));
	p.arena = a;
	p.errname = errname;
	p.src = src;
	p.len = len;
	p.dl = dl;
	p.err = err;
	p.errlen = errlen;
	if (parse(&p) == 0) {
		t = arena_calloc(a, 1, sizeof(*t));
		t->namelen = strlen(name);
		t->name = arena_strndup(a, name, t->namelen);
		t->hash = hash_name(t->name, t->namelen);
		t->src = src;
		t->len = len;
		nodes = arena_alloc(a, p.nnodes * sizeof(*nodes));
		if (p.nnodes > 0)
			memcpy(nodes, p.nodes, p.nnodes * sizeof(*nodes));
		t->nodes = nodes;
		t->nnodes = (uint32_t)p.nnodes;
	}
	free(p.nodes);
	return t;
}

/* Compile a source already copied into the set's arena, and store it. */
static int
set_add_owned(tmpl_set_t *set, const char *name, const char *errname,
    const char *src, size_t len, char *err, size_t errlen)
{
	struct tmpl *t;

	t = compile(set->arena, name, errname, src, len, &default_delims,
	    err, errlen);
	if (t == NULL)
		return -1;
	set_put(set, t);
	return 0;
}

int
tmpl_set_add(tmpl_set_t *set, const char *name, const char *src, size_t len,
    char *err, size_t errlen)
{

	return set_add_owned(set, name, name,
	    arena_strndup(set->arena, src, len), len, err, errlen);
}

/* Read @path (relative name @rel, ".mustache" stripped) into the set. */
static int
load_file(tmpl_set_t *set, const char *path, const char *rel, char *err,
    size_t errlen)
{
	struct stat st;
	char *src, *name;
	size_t len, got = 0;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* Read straight into the arena: the template keeps this copy. */
	len = (size_t)st.st_size;
	src = arena_alloc(set->arena, len + 1);
	while (got < len) {
		r = read(fd, src + got, len - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			seterr(err, errlen, "%s: %s", path,
			    r == 0 ? "file shrank while reading" :
			    strerror(errno));
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	src[len] = '\0';
	name = arena_strndup(set->arena, rel,
	    strlen(rel) - (sizeof(".mustache") - 1));
	rc = set_add_owned(set, name, path, src, len, err, errlen);
	return rc;
}

/* Walk @dir (at @rel below the root), loading *.mustache files. */
static int
load_dir(tmpl_set_t *set, char *path, size_t plen, size_t rootlen,
    int depth, char *err, size_t errlen)
{
	static const char suffix[] = ".mustache";
	DIR *d;
	struct dirent *de;
	struct stat st;
	size_t nlen, slen = sizeof(suffix) - 1;
	int rc = 0;

	if (depth > 32) {
		seterr(err, errlen, "%s: directories nested too deeply", path);
		return -1;
	}
	if ((d = opendir(path)) == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		nlen = strlen(de->d_name);
		if (plen + 1 + nlen >= PATH_MAX) {
			seterr(err, errlen, "%s/%s: path too long", path,
			    de->d_name);
			rc = -1;
			break;
		}
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nlen + 1);
		if (stat(path, &st) == -1) {
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode))
			rc = load_dir(set, path, plen + 1 + nlen, rootlen,
			    depth + 1, err, errlen);
		else if (S_ISREG(st.st_mode) && nlen > slen &&
		    strcmp(de->d_name + nlen - slen, suffix) == 0)
			rc = load_file(set, path, path + rootlen + 1, err,
			    errlen);
		path[plen] = '\0';
	}
	closedir(d);
	return rc;
}

int
tmpl_set_load_dir(tmpl_set_t *set, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	/* "dir/" and "dir" give the same names. */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(path)) {
		seterr(err, errlen, "%s: path too long", dir);
		return -1;
	}
	memcpy(path, dir, len);
	path[len] = '\0';
	return load_dir(set, path, len, len, 0, err, errlen);
}

/* ==================================================================== */
/* PART 3 rendering                                                     */
/* ==================================================================== */

/*
 * While a parent ({{<name}}) renders, the blocks given inside its tag
 * override the parent's blocks.  Frames chain outwards on the C stack;
 * the outermost override of a name wins (spec: "Multi-level inheritance").
 */
struct frame {
	const struct tmpl *t;		/* template holding the parent tag */
	uint32_t	 lo, hi;	/* the parent tag's body */
	const struct frame *outer;
};

struct rstate {
	const tmpl_set_t *set;
	const tmpl_lambda_t *lambdas;
	size_t		 nlambdas;
	buf_t		*out;		/* where output goes right now */
	json_t		*stack[TMPL_MAX_CONTEXT];	/* context stack */
	size_t		 nstack;
	char		 indent[TMPL_MAX_INDENT];	/* current indentation */
	size_t		 nindent;
	unsigned	 depth;		/* partials/parents/blocks/lambdas */
	arena_t		*arena;		/* the caller's out->arena, or NULL */
	buf_t		 scratch;	/* lambda results, reused */
	char		*err;
	size_t		 errlen;
};

/* A resolved name: a JSON value (NULL when missing) or a lambda. */
struct val {
	json_t		*v;
	const tmpl_lambda_t *lam;
};

static int render_nodes(struct rstate *, const struct tmpl *, uint32_t,
    uint32_t, size_t, const struct frame *);

static int
rerr(struct rstate *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rerr(struct rstate *st, const char *fmt, ...)
{
	va_list ap;

	if (st->err != NULL && st->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* HTML escapes; a const table, so shared safely by every process. */
static const char *const esc[256] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
	['\''] = "&#39;",
};
static const unsigned char esclen[256] = {
	['&'] = 5, ['<'] = 4, ['>'] = 4, ['"'] = 6, ['\''] = 5,
};

void
tmpl_escape_html(buf_t *out, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *run = s;

	/* Most text needs no escaping: reserve once, copy runs. */
	buf_reserve(out, len);
	for (; p < end; p++) {
		if (esclen[(unsigned char)*p] == 0)
			continue;
		buf_append(out, run, (size_t)(p - run));
		buf_append(out, esc[(unsigned char)*p],
		    esclen[(unsigned char)*p]);
		run = p + 1;
	}
	buf_append(out, run, (size_t)(p - run));
}

/* Append @v in decimal. */
static void
put_int(buf_t *b, json_int_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u;

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * Append @d in its shortest form that reads back as @d: 1.21 -> "1.21",
 * 3.0 -> "3".  "%.15g" is the shortest whenever it round-trips (any
 * double has at most one 15-digit decimal), else 16 or 17 digits are.
 */
static void
put_real(buf_t *b, double d)
{
	char tmp[40];
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (n > 0)
		buf_append(b, tmp, (size_t)n);
}

/* Interpolate a JSON value. */
static void
put_value(buf_t *b, json_t *v, int escape)
{

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (escape)
			tmpl_escape_html(b, json_string_value(v),
			    json_string_length(v));
		else
			buf_append(b, json_string_value(v),
			    json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(b, json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_append(b, "true", 4);
		break;
	case JSON_FALSE:
		buf_append(b, "false", 5);
		break;
	default:
		break;	/* null, objects and arrays print nothing */
	}
}

/*
 * Falsy: missing, null, false, [] (the spec), and also the number 0 and
 * the empty string, as in mustache.js and C: {{#rating_count}} hides a
 * block for a gig with no reviews.  The spec leaves other values to the
 * host language and tests none of these two.
 */
static int
truthy(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return 0;
	if (json_is_array(v) && json_array_size(v) == 0)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) == 0)
		return 0;
	if (json_is_real(v) && json_real_value(v) == 0.0)
		return 0;
	if (json_is_string(v) && json_string_length(v) == 0)
		return 0;
	return 1;
}

static const tmpl_lambda_t *
find_lambda(const struct rstate *st, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < st->nlambdas; i++)
		if (strncmp(st->lambdas[i].name, name, len) == 0 &&
		    st->lambdas[i].name[len] == '\0')
			return &st->lambdas[i];
	return NULL;
}

/*
 * Resolve a name against the context stack.  The first part is looked up
 * from the top of the stack down; the others only inside what it found
 * ("Dotted Names - Broken Chain Resolution").  See tmpl_render() for the
 * two ways a name becomes a lambda.
 */
static int
resolve(struct rstate *st, const struct tname *nm, struct val *r)
{
	json_t *v = NULL, *lv;
	size_t i;

	r->v = NULL;
	r->lam = NULL;
	if (nm->nparts == 0)
		v = st->stack[st->nstack - 1];
	else {
		for (i = st->nstack; i-- > 0; ) {
			if (!json_is_object(st->stack[i]))
				continue;
			v = json_object_getn(st->stack[i], nm->parts[0].key,
			    nm->parts[0].len);
			if (v != NULL)
				break;
		}
		if (v == NULL) {
			if (nm->nparts == 1)
				r->lam = find_lambda(st, nm->str, nm->len);
			return 0;
		}
		for (i = 1; i < nm->nparts && v != NULL; i++)
			v = json_is_object(v) ? json_object_getn(v,
			    nm->parts[i].key, nm->parts[i].len) : NULL;
	}
	if (json_is_object(v) && json_object_size(v) == 1 &&
	    (lv = json_object_get(v, "$lambda")) != NULL &&
	    json_is_string(lv)) {
		r->lam = find_lambda(st, json_string_value(lv),
		    json_string_length(lv));
		if (r->lam == NULL)
			return rerr(st, "no lambda \"%s\" given for tag \"%s\"",
			    json_string_value(lv), nm->str);
		return 0;
	}
	r->v = v;
	return 0;
}

/* Append [s, s + len) to the indentation, minus @dedent leading blanks. */
static int
push_indent(struct rstate *st, const char *s, size_t len, size_t dedent)
{
	size_t skip = dedent < len ? dedent : len;

	len -= skip;
	if (st->nindent + len > sizeof(st->indent))
		return rerr(st, "indentation deeper than %d bytes",
		    TMPL_MAX_INDENT);
	memcpy(st->indent + st->nindent, s + skip, len);
	st->nindent += len;
	return 0;
}

/*
 * Literal text.  Without indentation work it is one copy.  Otherwise each
 * line that starts in it gets the indentation, after dropping up to
 * @dedent leading blanks of its own.
 */
static void
put_text(struct rstate *st, const struct node *n, size_t dedent)
{
	const char *p = n->s, *end = n->s + n->slen, *nl;
	size_t k;
	int bol = n->flags & NF_BOL;

	if (st->nindent == 0 && dedent == 0) {
		buf_append(st->out, p, n->slen);
		return;
	}
	while (p < end) {
		if (bol) {
			for (k = 0; k < dedent && p < end &&
			    (*p == ' ' || *p == '\t'); k++)
				p++;
			buf_append(st->out, st->indent, st->nindent);
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			buf_append(st->out, p, (size_t)(end - p));
			break;
		}
		buf_append(st->out, p, (size_t)(nl + 1 - p));
		p = nl + 1;
		bol = 1;
	}
}

static int
enter(struct rstate *st, const char *what, const char *name)
{

	if (st->depth >= TMPL_MAX_DEPTH)
		return rerr(st, "recursion deeper than %d levels at %s \"%s\"",
		    TMPL_MAX_DEPTH, what, name);
	st->depth++;
	return 0;
}

/*
 * Render a lambda's result (in st->scratch) as a template with delimiters
 * @dl.  Results without an opening delimiter are plain text and skip the
 * compiler; others are compiled into a temporary arena freed here.  The
 * result is not indented: it replaces a tag, not source lines.
 */
static int
render_result(struct rstate *st, const tmpl_lambda_t *lam,
    const struct delims *dl, const struct frame *fr)
{
	arena_t *a;
	const struct tmpl *t;
	char *src, ename[96];
	size_t len = st->scratch.len, saved;
	int rc;

	if (find(st->scratch.data, len, dl->otag, dl->olen) == NULL) {
		buf_append(st->out, st->scratch.data, len);
		return 0;
	}
	if (enter(st, "lambda", lam->name) == -1)
		return -1;
	/* Copy: nested lambdas reuse st->scratch while this one renders. */
	a = arena_new(len + 1024);
	src = arena_strndup(a, st->scratch.data, len);
	snprintf(ename, sizeof(ename), "lambda \"%s\"", lam->name);
	t = compile(a, ename, ename, src, len, dl, st->err, st->errlen);
	if (t == NULL)
		rc = -1;
	else {
		saved = st->nindent;
		st->nindent = 0;
		rc = render_nodes(st, t, 0, t->nnodes, 0, fr);
		st->nindent = saved;
	}
	arena_free(a);
	st->depth--;
	return rc;
}

static int
call_lambda(struct rstate *st, const tmpl_lambda_t *lam, const char *text,
    size_t len)
{
	int rc;

	buf_truncate(&st->scratch, 0);
	if ((rc = lam->fn(lam->closure, text, len, &st->scratch)) != 0)
		return rerr(st, "lambda \"%s\" failed (%d)", lam->name, rc);
	if (st->scratch.data == NULL)
		buf_reserve(&st->scratch, 0);	/* data != NULL from here */
	return 0;
}

/* {{name}} on a lambda: render its result with {{ }}, then escape it. */
static int
interp_lambda(struct rstate *st, const tmpl_lambda_t *lam, int escape,
    const struct frame *fr)
{
	buf_t tmp, *out = st->out;
	int rc;

	if (call_lambda(st, lam, NULL, 0) == -1)
		return -1;
	if (find(st->scratch.data, st->scratch.len, "{{", 2) == NULL) {
		if (escape)
			tmpl_escape_html(out, st->scratch.data,
			    st->scratch.len);
		else
			buf_append(out, st->scratch.data, st->scratch.len);
		return 0;
	}
	buf_init(&tmp, st->arena);
	st->out = &tmp;
	rc = render_result(st, lam, &default_delims, fr);
	st->out = out;
	if (rc == 0) {
		if (escape)
			tmpl_escape_html(out, tmp.data, tmp.len);
		else
			buf_append(out, tmp.data, tmp.len);
	}
	buf_free(&tmp);
	return rc;
}

/* Look up the template a partial or parent node names. */
static const struct tmpl *
find_named(struct rstate *st, const struct node *n, int *err)
{
	struct val r;
	const char *s;
	size_t len;

	*err = 0;
	if (!n->name.dynamic)
		return set_find(st->set, n->name.str, n->name.len,
		    n->name.hash);
	/* {{>*name}}: the name's value (a string) names the partial. */
	if (resolve(st, &n->name, &r) == -1) {
		*err = 1;
		return NULL;
	}
	if (r.v == NULL || !json_is_string(r.v))
		return NULL;
	s = json_string_value(r.v);
	len = json_string_length(r.v);
	return set_find(st->set, s, len, hash_name(s, len));
}

static int
do_partial(struct rstate *st, const struct node *n, size_t dedent,
    const struct frame *fr)
{
	const struct tmpl *pt;
	size_t saved = st->nindent;
	int rc, e;

	if ((pt = find_named(st, n, &e)) == NULL)
		return e ? -1 : 0;	/* missing partial: "" */
	if (enter(st, "partial", pt->name) == -1)
		return -1;
	rc = 0;
	if (n->flags & NF_STANDALONE)
		rc = push_indent(st, n->s, n->slen, dedent);
	if (rc == 0)
		rc = render_nodes(st, pt, 0, pt->nnodes, 0, fr);
	st->nindent = saved;
	st->depth--;
	return rc;
}

/* {{<name}}: render the named template with this tag's blocks on top. */
static int
do_parent(struct rstate *st, const struct tmpl *t, uint32_t i, size_t dedent,
    const struct frame *fr)
{
	const struct node *n = &t->nodes[i];
	const struct tmpl *pt;
	struct frame f;
	size_t saved = st->nindent;
	int rc, e;

	if ((pt = find_named(st, n, &e)) == NULL)
		return e ? -1 : 0;
	if (enter(st, "parent", pt->name) == -1)
		return -1;
	f.t = t;
	f.lo = i + 1;
	f.hi = n->end;
	f.outer = fr;
	rc = 0;
	if (n->flags & NF_STANDALONE)
		rc = push_indent(st, n->s, n->slen, dedent);
	if (rc == 0)
		rc = render_nodes(st, pt, 0, pt->nnodes, 0, &f);
	st->nindent = saved;
	st->depth--;
	return rc;
}

/*
 * {{$name}}: render the outermost override of the block, or its default
 * body.  Text inside a parent tag other than blocks is ignored, so only
 * blocks directly in the parent's body count.
 */
static int
do_block(struct rstate *st, const struct tmpl *t, uint32_t i, size_t dedent,
    const struct frame *fr)
{
	const struct node *n = &t->nodes[i], *m, *over = NULL;
	const struct tmpl *bt = t, *ot = NULL;
	const struct frame *f;
	uint32_t j, oj = 0, lo = i + 1, hi = n->end;
	size_t bdedent, saved = st->nindent;
	int rc = 0, entered = 0;

	for (f = fr; f != NULL; f = f->outer)
		for (j = f->lo; j < f->hi; j = is_container(m->op) ?
		    m->end : j + 1) {
			m = &f->t->nodes[j];
			if (m->op == OP_BLOCK && m->name.hash == n->name.hash &&
			    m->name.len == n->name.len &&
			    memcmp(m->name.str, n->name.str, n->name.len) == 0) {
				over = m;
				ot = f->t;
				oj = j;
			}
		}
	if (over != NULL) {
		/* An override can name this block again: guard recursion. */
		if (enter(st, "block", n->name.str) == -1)
			return -1;
		entered = 1;
		bt = ot;
		lo = oj + 1;
		hi = over->end;
		bdedent = (over->flags & NF_STANDALONE) ? over->dedent : 0;
	} else
		bdedent = (n->flags & NF_STANDALONE) ? n->dedent : dedent;
	if (n->flags & NF_STANDALONE)
		rc = push_indent(st, n->s, n->slen, dedent);
	if (rc == 0)
		rc = render_nodes(st, bt, lo, hi, bdedent, fr);
	st->nindent = saved;
	if (entered)
		st->depth--;
	return rc;
}

static int
push_ctx(struct rstate *st, json_t *v)
{

	if (st->nstack == TMPL_MAX_CONTEXT)
		return rerr(st, "context stack deeper than %d",
		    TMPL_MAX_CONTEXT);
	st->stack[st->nstack++] = v;
	return 0;
}

/* Render nodes [lo, hi) of @t.  @dedent: see put_text(). */
static int
render_nodes(struct rstate *st, const struct tmpl *t, uint32_t lo,
    uint32_t hi, size_t dedent, const struct frame *fr)
{
	const struct node *n;
	struct val r;
	size_t k, cnt;
	uint32_t i = lo;

	while (i < hi) {
		n = &t->nodes[i];
		switch (n->op) {
		case OP_TEXT:
			put_text(st, n, dedent);
			i++;
			break;
		case OP_INDENT:
			if (st->nindent > 0)
				buf_append(st->out, st->indent, st->nindent);
			i++;
			break;
		case OP_ESCAPED:
		case OP_RAW:
			if (resolve(st, &n->name, &r) == -1)
				return -1;
			if (r.lam != NULL) {
				if (interp_lambda(st, r.lam,
				    n->op == OP_ESCAPED, fr) == -1)
					return -1;
			} else if (r.v != NULL)
				put_value(st->out, r.v, n->op == OP_ESCAPED);
			i++;
			break;
		case OP_SECTION:
			if (resolve(st, &n->name, &r) == -1)
				return -1;
			if (r.lam != NULL) {
				if (call_lambda(st, r.lam, n->s, n->slen) == -1 ||
				    render_result(st, r.lam, n->dl, fr) == -1)
					return -1;
			} else if (json_is_array(r.v)) {
				cnt = json_array_size(r.v);
				for (k = 0; k < cnt; k++) {
					if (push_ctx(st,
					    json_array_get(r.v, k)) == -1 ||
					    render_nodes(st, t, i + 1, n->end,
					    dedent, fr) == -1)
						return -1;
					st->nstack--;
				}
			} else if (truthy(r.v)) {
				if (push_ctx(st, r.v) == -1 ||
				    render_nodes(st, t, i + 1, n->end, dedent,
				    fr) == -1)
					return -1;
				st->nstack--;
			}
			i = n->end;
			break;
		case OP_INVERTED:
			if (resolve(st, &n->name, &r) == -1)
				return -1;
			if (r.lam == NULL && !truthy(r.v) &&
			    render_nodes(st, t, i + 1, n->end, dedent,
			    fr) == -1)
				return -1;
			i = n->end;
			break;
		case OP_PARTIAL:
			if (do_partial(st, n, dedent, fr) == -1)
				return -1;
			i++;
			break;
		case OP_PARENT:
			if (do_parent(st, t, i, dedent, fr) == -1)
				return -1;
			i = n->end;
			break;
		case OP_BLOCK:
			if (do_block(st, t, i, dedent, fr) == -1)
				return -1;
			i = n->end;
			break;
		default:
			i++;
			break;
		}
	}
	return 0;
}

/* Shared by tmpl_render() and tmpl_render_string(). */
static int
render_top(const tmpl_set_t *set, const struct tmpl *t, json_t *ctx,
    const tmpl_lambda_t *lambdas, size_t nlambdas, buf_t *out, char *err,
    size_t errlen)
{
	struct rstate *st, stbuf;
	size_t start = out->len;
	int rc;

	/* About 12 KiB; fine on a worker's stack and no malloc. */
	st = &stbuf;
	st->set = set;
	st->lambdas = lambdas;
	st->nlambdas = lambdas != NULL ? nlambdas : 0;
	st->out = out;
	st->stack[0] = ctx;
	st->nstack = 1;
	st->nindent = 0;
	st->depth = 0;
	st->err = err;
	st->errlen = errlen;
	/*
	 * Lambda scratch space comes from the output's arena when it has
	 * one (a request arena), so even lambdas cost no malloc then.
	 */
	st->arena = out->arena;
	buf_init(&st->scratch, st->arena);
	rc = render_nodes(st, t, 0, t->nnodes, 0, NULL);
	buf_free(&st->scratch);
	if (rc != 0)
		buf_truncate(out, start);
	return rc;
}

int
tmpl_render(const tmpl_set_t *set, const char *name, json_t *ctx,
    const tmpl_lambda_t *lambdas, size_t nlambdas, buf_t *out, char *err,
    size_t errlen)
{
	const struct tmpl *t;
	size_t len = strlen(name);

	if ((t = set_find(set, name, len, hash_name(name, len))) == NULL) {
		seterr(err, errlen, "no such template \"%s\"", name);
		return -1;
	}
	return render_top(set, t, ctx, lambdas, nlambdas, out, err, errlen);
}

int
tmpl_render_string(const tmpl_set_t *set, const char *src, size_t len,
    json_t *ctx, const tmpl_lambda_t *lambdas, size_t nlambdas, buf_t *out,
    char *err, size_t errlen)
{
	arena_t *a;
	const struct tmpl *t;
	char *copy;
	int rc = -1;

	a = arena_new(len + 4096);
	copy = arena_strndup(a, src, len);
	t = compile(a, "(string)", "(string)", copy, len, &default_delims,
	    err, errlen);
	if (t != NULL)
		rc = render_top(set, t, ctx, lambdas, nlambdas, out, err,
		    errlen);
	arena_free(a);
	return rc;
}
