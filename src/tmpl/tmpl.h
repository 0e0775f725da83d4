/*
 * tmpl.h - Mustache templates: compile once, render many times.
 *
 * Implements Mustache spec v1.4 (../shared/spec/mustache): the required
 * modules (comments, delimiters, interpolation, inverted, partials,
 * sections) and the optional ones (~inheritance, ~lambdas, ~dynamic-names).
 *
 * A tmpl_set_t holds named compiled templates; it is also the namespace in
 * which partials ({{>name}}) and parents ({{<name}}) are looked up.  Build
 * the set once (in the master, before fork), then render from it as often
 * as needed.  Rendering reads the set and never changes it, and the module
 * has no global mutable state, so forked workers share the compiled
 * templates copy-on-write without ever touching their pages.
 *
 * The data model is jansson: the context passed to tmpl_render() is the
 * root of the context stack.  Falsy values are: missing names, JSON null,
 * false and the empty array.  Everything else is truthy, including 0 and
 * "" (so test strings with a length, not with a section).
 *
 * Interpolation prints strings as they are, integers in decimal, reals in
 * the shortest form that reads back as the same double ("1.21", "3"),
 * true/false as "true"/"false"; null, objects and arrays print nothing.
 * {{name}} is HTML-escaped with tmpl_escape_html(); {{{name}}} and
 * {{&name}} are not.
 *
 * Lambdas are C callbacks (tmpl_lambda_t) passed to each render; see
 * tmpl_render() for how names resolve to them.
 */
#ifndef SOUK_TMPL_TMPL_H
#define SOUK_TMPL_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"

/*
 * Limits.  Each can be overridden at compile time (-DTMPL_MAX_DEPTH=...).
 */
#ifndef TMPL_MAX_DEPTH
#define TMPL_MAX_DEPTH 64	/* nested partials, parents, blocks, lambdas */
#endif
#ifndef TMPL_MAX_NEST
#define TMPL_MAX_NEST 100	/* sections open at once inside one template */
#endif
#ifndef TMPL_MAX_CONTEXT
#define TMPL_MAX_CONTEXT 512	/* frames on the context stack */
#endif
#ifndef TMPL_MAX_INDENT
#define TMPL_MAX_INDENT 4096	/* bytes of accumulated partial indentation */
#endif

/* TMPL_DELIM_MAX - longest delimiter accepted by {{=<% %>=}}, in bytes. */
#define TMPL_DELIM_MAX 15

/* TMPL_ERRLEN - a good size for the err buffers below, in bytes. */
#define TMPL_ERRLEN 256

typedef struct tmpl_set tmpl_set_t;

/*
 * tmpl_lambda_t - a named C callback usable as a Mustache lambda.
 * @name:    the name a tag uses to call it (e.g. "t" for {{#t}}...{{/t}}).
 * @fn:      the callback, see below.
 * @closure: passed unchanged as the first argument of @fn (e.g. the
 *           request language for a translation lambda).
 *
 * @fn(closure, text, len, result) is called once per use, never cached:
 * - for a section {{#name}}...{{/name}}, @text/@len is the raw, unrendered
 *   section body (@len bytes, not NUL-terminated, valid only during the
 *   call).  Standalone lines around the section tags are not part of it.
 * - for an interpolation {{name}}, {{{name}}} or {{&name}}, @text is NULL
 *   and @len is 0.
 * The callback appends its return value to @result, an empty buf_t owned
 * by the renderer (in the output buffer's arena if it has one, else on
 * the heap); do not free it or keep pointers into it.  What
 * it appends is then itself rendered as a template against the current
 * context: with the delimiters in force at the section for sections, with
 * the default {{ }} for interpolations, whose output is then HTML-escaped
 * unless the tag was {{{name}}} or {{&name}}.
 * Returns 0 on success; any other value aborts the render, which then
 * fails with "lambda \"name\" failed (rc)".
 * An inverted section {{^name}} on a lambda is never rendered and never
 * calls the lambda (lambdas are truthy).
 */
typedef struct tmpl_lambda {
	const char	*name;
	int		(*fn)(void *closure, const char *text, size_t len,
			    buf_t *result);
	void		*closure;
} tmpl_lambda_t;

/*
 * tmpl_set_new - create an empty template set.
 * Returns: the set, owned by the caller; release it with tmpl_set_free().
 * Never returns NULL: running out of memory aborts the process (as arena.h).
 */
tmpl_set_t *tmpl_set_new(void);

/*
 * tmpl_set_free - release a set and every template compiled into it.
 * @set: the set, or NULL (ignored).
 * Pointers previously handed to lambdas or held by callers into the set
 * are invalid afterwards.
 */
void tmpl_set_free(tmpl_set_t *set);

/*
 * tmpl_set_add - compile a template and store it in the set under a name.
 * @set:    the set.
 * @name:   NUL-terminated name (copied); partials and parents refer to the
 *          template by it.  Adding an existing name replaces that template.
 * @src:    the Mustache source, @len bytes, need not be NUL-terminated;
 *          copied, so the caller may free it on return.
 * @len:    size of @src in bytes.
 * @err:    buffer receiving a NUL-terminated message on failure; may be
 *          NULL when @errlen is 0.  TMPL_ERRLEN bytes is enough.
 * @errlen: size of @err in bytes (messages are truncated to fit).
 *
 * The source is parsed once into a flat node array; rendering walks it.
 * Errors detected: unclosed section, mismatched close tag, close tag
 * without an open section, unclosed tag, bad set-delimiter tag, empty tag
 * name, bad tag name (whitespace inside a name, empty dotted part), and
 * sections nested deeper than TMPL_MAX_NEST.  The message names the
 * template, the 1-based line and the 1-based column (in UTF-8 characters)
 * of the offending tag, e.g.
 *   card: line 3, column 7: unclosed section "items"
 * Returns: 0 on success; -1 on a syntax error (@err filled, the set keeps
 * whatever it held under @name before).
 */
int tmpl_set_add(tmpl_set_t *set, const char *name, const char *src,
    size_t len, char *err, size_t errlen);

/*
 * tmpl_set_load_dir - compile every *.mustache file below a directory.
 * @set:    the set.
 * @dir:    directory path, searched recursively; entries whose name starts
 *          with '.' are skipped, symbolic links are followed.
 * @err:    as for tmpl_set_add(); the message names the file path.
 * @errlen: size of @err in bytes.
 *
 * Each file is stored under its path relative to @dir without the
 * ".mustache" suffix, with '/' separators: DIR/layouts/base.mustache is
 * "layouts/base", DIR/partials/gig_card.mustache is "partials/gig_card"
 * (so {{>partials/gig_card}} finds it).
 * Returns: 0 on success; -1 on an I/O error or the first syntax error
 * (@err filled; templates loaded before the failure stay in the set).
 */
int tmpl_set_load_dir(tmpl_set_t *set, const char *dir, char *err,
    size_t errlen);

/*
 * tmpl_set_has - tell whether the set holds a template.
 * @set:  the set.
 * @name: NUL-terminated template name.
 * Returns: 1 if @name is in @set, 0 otherwise.
 */
int tmpl_set_has(const tmpl_set_t *set, const char *name);

/*
 * tmpl_render - render a template of the set, appending to a buffer.
 * @set:      the set holding the template and its partials/parents.
 * @name:     NUL-terminated template name.
 * @ctx:      root of the context stack (any JSON value; NULL = empty).
 *            Only read; the caller keeps its reference.
 * @lambdas:  array of @nlambdas lambdas (may be NULL when @nlambdas is 0);
 *            only read, must stay valid during the call.
 * @nlambdas: number of entries in @lambdas.
 * @out:      buffer the output is appended to (arena or heap backed).
 * @err:      buffer receiving a NUL-terminated message on failure; may be
 *            NULL when @errlen is 0.
 * @errlen:   size of @err in bytes.
 *
 * A tag name resolves to a lambda when either (1) the lookup through the
 * context stack finds a JSON object whose only member is
 * {"$lambda": "NAME"} (NAME must be in @lambdas), or (2) a plain name
 * (no dots) is found nowhere on the context stack and @lambdas has an
 * entry of that name.  Missing partials and parents render as "".
 * Rendering allocates nothing per node: output goes straight into @out.
 * Lambda results are collected in a scratch buffer (in @out's arena when
 * @out has one, else on the heap and freed before returning); only
 * results that contain tags are compiled, into a temporary arena freed
 * before returning.
 * Returns: 0 on success.  -1 on error with @err filled and @out truncated
 * back to its length on entry; errors are: no such template, recursion
 * deeper than TMPL_MAX_DEPTH (partials/parents/blocks/lambdas), context
 * stack deeper than TMPL_MAX_CONTEXT, indentation longer than
 * TMPL_MAX_INDENT bytes, a lambda failing or unknown, a syntax error in
 * a lambda's result.
 */
int tmpl_render(const tmpl_set_t *set, const char *name, json_t *ctx,
    const tmpl_lambda_t *lambdas, size_t nlambdas, buf_t *out, char *err,
    size_t errlen);

/*
 * tmpl_render_string - compile an ad-hoc template and render it once.
 * @set:  set used for partials and parents (may be NULL: none).
 * @src:  Mustache source, @len bytes (not necessarily NUL-terminated).
 * @len:  size of @src in bytes.
 * Other arguments and errors as for tmpl_render(); syntax errors are
 * reported with the template name "(string)".
 * The compiled form lives in a temporary arena freed before returning, so
 * this costs a compile per call: use tmpl_set_add() for anything hot.
 * Returns: 0 on success, -1 on error (@err filled, @out truncated back).
 */
int tmpl_render_string(const tmpl_set_t *set, const char *src, size_t len,
    json_t *ctx, const tmpl_lambda_t *lambdas, size_t nlambdas, buf_t *out,
    char *err, size_t errlen);

/*
 * tmpl_escape_html - append HTML-escaped text to a buffer.
 * @out: the buffer.
 * @s:   text, @len bytes (NUL bytes are copied like any other byte).
 * @len: size of @s in bytes.
 * Replaces & < > " ' with &amp; &lt; &gt; &quot; &#39; (the spec asks for
 * the first four; escaping ' too keeps single-quoted attributes safe).
 * Everything else, including UTF-8 sequences, is copied unchanged.
 */
void tmpl_escape_html(buf_t *out, const char *s, size_t len);

/*
 * tmpl_cli_render - the "soukctl render" command.
 * @argc: argument count; @argv[0] is "render".
 * @argv: soukctl render --template FILE --data FILE.json [--partials DIR]
 *        (--opt=value is accepted too).
 *
 * Loads DIR with tmpl_set_load_dir(), adds FILE under its path as given
 * (so syntax errors name the file), parses the JSON data with jansson and
 * writes the rendering to stdout.  Diagnostics go to stderr: a template
 * syntax error names the file, line and column; bad JSON names the file
 * with jansson's line and column.
 * Returns: the exit status: 0 on success, 1 on a template, JSON, I/O or
 * render error, 2 on a usage error.
 */
int tmpl_cli_render(int argc, char **argv);

#endif
