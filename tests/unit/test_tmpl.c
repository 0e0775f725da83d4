/*
 * test_tmpl.c - unit tests of src/tmpl: the Mustache spec and our API.
 *
 * The spec runner reads every test of Mustache spec v1.4
 * (../shared/spec/mustache) from the directory in $MUSTACHE_SPEC_DIR and
 * fails, never skips, when that is unset or unreadable.  Each case is
 * rendered twice, through tmpl_set_add()+tmpl_render() and through
 * tmpl_render_string(), and both must equal "expected" byte for byte.
 *
 * The ~lambdas cases hold their lambdas as source code in several
 * languages (not C); each has a hand-written C equivalent below, found by
 * the case's name.  The first rendering replaces the code object in the
 * data by {"$lambda": "lambda"}; the second deletes it, so the name
 * resolves to the registered lambda because the context lacks it.  That
 * covers both ways tmpl_render() finds lambdas.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

/* ==================================================================== */
/* C versions of the ~lambdas.json lambdas                              */
/* ==================================================================== */

struct counter {
	int	 calls;
};

/* Interpolation: proc { "world" } */
static int
l_world(void *c, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, "world");
	return 0;
}

/* Interpolation - Expansion: proc { "{{planet}}" } */
static int
l_planet(void *c, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, "{{planet}}");
	return 0;
}

/* Interpolation - Alternate Delimiters: proc { "|planet| => {{planet}}" } */
static int
l_alt(void *c, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, "|planet| => {{planet}}");
	return 0;
}

/* Interpolation - Multiple Calls: proc { $calls ||= 0; $calls += 1 } */
static int
l_calls(void *c, const char *text, size_t len, buf_t *r)
{
	struct counter *k = c;

	buf_printf(r, "%d", ++k->calls);
	return 0;
}

/* Escaping: proc { ">" } */
static int
l_gt(void *c, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, ">");
	return 0;
}

/* Section: proc { |text| text == "{{x}}" ? "yes" : "no" } */
static int
l_section(void *c, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, len == 5 && memcmp(text, "{{x}}", 5) == 0 ? "yes" : "no");
	return 0;
}

/* Section - Expansion: proc { |text| "#{text}{{planet}}#{text}" } */
static int
l_sec_expand(void *c, const char *text, size_t len, buf_t *r)
{

	buf_append(r, text, len);
	buf_puts(r, "{{planet}}");
	buf_append(r, text, len);
	return 0;
}

/* Section - Alternate Delimiters: "#{text}{{planet}} => |planet|#{text}" */
static int
l_sec_alt(void *c, const char *text, size_t len, buf_t *r)
{

	buf_append(r, text, len);
	buf_puts(r, "{{planet}} => |planet|");
	buf_append(r, text, len);
	return 0;
}

/* Section - Multiple Calls: proc { |text| "__#{text}__" } */
static int
l_sec_calls(void *c, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, "__");
	buf_append(r, text, len);
	buf_puts(r, "__");
	return 0;
}

/*
 * Inverted Section: proc { |text| false }.  Lambdas are truthy, so an
 * inverted section never calls it: fail loudly if it is called.
 */
static int
l_never(void *c, const char *text, size_t len, buf_t *r)
{

	return 99;
}

static const struct {
	const char	*test;
	int		(*fn)(void *, const char *, size_t, buf_t *);
} spec_lambdas[] = {
	{ "Interpolation", l_world },
	{ "Interpolation - Expansion", l_planet },
	{ "Interpolation - Alternate Delimiters", l_alt },
	{ "Interpolation - Multiple Calls", l_calls },
	{ "Escaping", l_gt },
	{ "Section", l_section },
	{ "Section - Expansion", l_sec_expand },
	{ "Section - Alternate Delimiters", l_sec_alt },
	{ "Section - Multiple Calls", l_sec_calls },
	{ "Inverted Section", l_never },
};

/* ==================================================================== */
/* spec runner                                                          */
/* ==================================================================== */

static const char *const spec_files[] = {
	"comments.json", "delimiters.json", "interpolation.json",
	"inverted.json", "partials.json", "sections.json",
	"~dynamic-names.json", "~inheritance.json", "~lambdas.json",
};

/* Print @s as a C string literal so whitespace differences show. */
static void
print_quoted(const char *label, const char *s, size_t len)
{
	size_t i;

	fprintf(stderr, "    %-9s \"", label);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c < 0x20)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputs("\"\n", stderr);
}

/*
 * Replace (or with @drop, delete) every {"__tag__": "code"} object in
 * @v by {"$lambda": "KEY"}, KEY being the member name it was under.
 */
static void
mark_lambdas(json_t *v, int drop)
{
	const char *key;
	json_t *m, *tag;
	void *iter, *next;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			mark_lambdas(m, drop);
		return;
	}
	if (!json_is_object(v))
		return;
	for (iter = json_object_iter(v); iter != NULL; iter = next) {
		next = json_object_iter_next(v, iter);
		key = json_object_iter_key(iter);
		m = json_object_iter_value(iter);
		tag = json_object_get(m, "__tag__");
		if (tag != NULL && json_is_string(tag) &&
		    strcmp(json_string_value(tag), "code") == 0) {
			if (drop)
				json_object_del(v, key);
			else
				json_object_iter_set_new(v, iter,
				    json_pack("{s:s}", "$lambda", key));
		} else
			mark_lambdas(m, drop);
	}
}

/* Run one spec case; returns 1 if it passed. */
static int
run_case(const char *file, size_t idx, json_t *tc)
{
	const char *name, *desc, *tpl, *exp, *pname;
	json_t *data, *parts, *pv, *d1, *d2;
	tmpl_set_t *set;
	tmpl_lambda_t lam;
	struct counter cnt;
	buf_t out1, out2;
	char err1[TMPL_ERRLEN] = "", err2[TMPL_ERRLEN] = "";
	size_t i, nlam = 0, explen;
	int ok, rc1 = -1, rc2 = -1, addfail = 0;

	name = json_string_value(json_object_get(tc, "name"));
	desc = json_string_value(json_object_get(tc, "desc"));
	tpl = json_string_value(json_object_get(tc, "template"));
	exp = json_string_value(json_object_get(tc, "expected"));
	data = json_object_get(tc, "data");
	parts = json_object_get(tc, "partials");
	assert_non_null(name);
	assert_non_null(tpl);
	assert_non_null(exp);
	explen = json_string_length(json_object_get(tc, "expected"));

	lam.name = "lambda";
	lam.fn = NULL;
	lam.closure = &cnt;
	if (strcmp(file, "~lambdas.json") == 0) {
		for (i = 0; i < sizeof(spec_lambdas) / sizeof(spec_lambdas[0]);
		    i++)
			if (strcmp(spec_lambdas[i].test, name) == 0)
				lam.fn = spec_lambdas[i].fn;
		if (lam.fn == NULL) {
			fprintf(stderr, "FAIL %s #%zu \"%s\": no C lambda "
			    "written for this case\n", file, idx, name);
			return 0;
		}
		nlam = 1;
	}
	d1 = json_deep_copy(data);
	d2 = json_deep_copy(data);
	mark_lambdas(d1, 0);
	mark_lambdas(d2, 1);

	buf_init(&out1, NULL);
	buf_init(&out2, NULL);
	set = tmpl_set_new();
	json_object_foreach(parts, pname, pv)
		if (tmpl_set_add(set, pname, json_string_value(pv),
		    json_string_length(pv), err1, sizeof(err1)) == -1)
			addfail = 1;
	if (!addfail && tmpl_set_add(set, "(spec)", tpl, strlen(tpl), err1,
	    sizeof(err1)) == 0) {
		cnt.calls = 0;
		rc1 = tmpl_render(set, "(spec)", d1, &lam, nlam, &out1, err1,
		    sizeof(err1));
	}
	cnt.calls = 0;
	rc2 = tmpl_render_string(set, tpl, strlen(tpl), d2, &lam, nlam, &out2,
	    err2, sizeof(err2));

	ok = rc1 == 0 && rc2 == 0 && out1.len == explen &&
	    out2.len == explen && memcmp(buf_cstr(&out1), exp, explen) == 0 &&
	    memcmp(buf_cstr(&out2), exp, explen) == 0;
	if (!ok) {
		fprintf(stderr, "FAIL %s #%zu \"%s\": %s\n", file, idx, name,
		    desc != NULL ? desc : "");
		print_quoted("template", tpl, strlen(tpl));
		print_quoted("expected", exp, explen);
		if (rc1 == 0)
			print_quoted("actual", buf_cstr(&out1), out1.len);
		else
			fprintf(stderr, "    error     %s\n", err1);
		if (rc2 == 0)
			print_quoted("string", buf_cstr(&out2), out2.len);
		else
			fprintf(stderr, "    error     %s (render_string)\n",
			    err2);
	}
	buf_free(&out1);
	buf_free(&out2);
	tmpl_set_free(set);
	json_decref(d1);
	json_decref(d2);
	return ok;
}

static void
test_spec(void **state)
{
	const char *dir = getenv("MUSTACHE_SPEC_DIR");
	char path[4096];
	json_t *root, *tests, *tc;
	json_error_t jerr;
	size_t f, i;
	int pass = 0, fail = 0, fpass, ffail;

	if (dir == NULL || *dir == '\0')
		fail_msg("MUSTACHE_SPEC_DIR is not set: point it at the "
		    "spec JSON files (../shared/spec/mustache)");
	for (f = 0; f < sizeof(spec_files) / sizeof(spec_files[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, spec_files[f]);
		if ((root = json_load_file(path, 0, &jerr)) == NULL)
			fail_msg("%s: line %d: %s", path, jerr.line, jerr.text);
		tests = json_object_get(root, "tests");
		if (!json_is_array(tests) || json_array_size(tests) == 0)
			fail_msg("%s: no \"tests\" array", path);
		fpass = ffail = 0;
		json_array_foreach(tests, i, tc) {
			if (run_case(spec_files[f], i, tc))
				fpass++;
			else
				ffail++;
		}
		fprintf(stderr, "  %-20s %3d passed, %d failed\n",
		    spec_files[f], fpass, ffail);
		pass += fpass;
		fail += ffail;
		json_decref(root);
	}
	fprintf(stderr, "mustache spec: %d passed, %d failed\n", pass, fail);
	assert_int_equal(fail, 0);
}

/* ==================================================================== */
/* API tests                                                            */
/* ==================================================================== */

/* Render @src against JSON text @data; the output must equal @want. */
static void
check(const tmpl_set_t *set, const char *src, const char *data,
    const tmpl_lambda_t *l, size_t nl, const char *want)
{
	json_t *ctx = json_loads(data, JSON_DECODE_ANY, NULL);
	char err[TMPL_ERRLEN] = "";
	buf_t out;
	int rc;

	assert_non_null(ctx);
	buf_init(&out, NULL);
	rc = tmpl_render_string(set, src, strlen(src), ctx, l, nl, &out, err,
	    sizeof(err));
	if (rc != 0)
		fail_msg("render of \"%s\" failed: %s", src, err);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
	json_decref(ctx);
}

static void
test_escape(void **state)
{
	static const char in[] = "<a href=\"x\" title='y'>Tom & \xe4\xbd\xa0</a>";
	buf_t b;

	buf_init(&b, NULL);
	tmpl_escape_html(&b, in, sizeof(in) - 1);
	assert_string_equal(buf_cstr(&b), "&lt;a href=&quot;x&quot; "
	    "title=&#39;y&#39;&gt;Tom &amp; \xe4\xbd\xa0&lt;/a&gt;");
	buf_truncate(&b, 0);
	tmpl_escape_html(&b, "", 0);
	tmpl_escape_html(&b, "plain", 5);
	assert_string_equal(buf_cstr(&b), "plain");
	buf_free(&b);

	check(NULL, "{{x}}|{{{x}}}|{{&x}}", "{\"x\": \"<b>'&'</b>\"}", NULL,
	    0, "&lt;b&gt;&#39;&amp;&#39;&lt;/b&gt;|<b>'&'</b>|<b>'&'</b>");
}

static void
test_values(void **state)
{

	check(NULL, "{{i}} {{n}} {{r}} {{w}} {{e}} {{t}} {{f}} [{{z}}{{o}}"
	    "{{a}}{{missing}}]",
	    "{\"i\": 85, \"n\": -42, \"r\": 1.21, \"w\": 3.0, \"e\": 0.1, "
	    "\"t\": true, \"f\": false, \"z\": null, \"o\": {\"k\": 1}, "
	    "\"a\": [1]}", NULL, 0, "85 -42 1.21 3 0.1 true false []");
	/* Falsy: false, null, [], missing, 0 and ""; truthy: {}. */
	check(NULL, "{{#f}}F{{/f}}{{#z}}Z{{/z}}{{#a}}A{{/a}}{{#m}}M{{/m}}"
	    "{{#zero}}0{{/zero}}{{#s}}S{{/s}}{{#o}}O{{/o}}",
	    "{\"f\": false, \"z\": null, \"a\": [], \"zero\": 0, \"s\": \"\", "
	    "\"o\": {}}", NULL, 0, "O");
	check(NULL, "{{#list}}{{name}}{{^last}}, {{/last}}{{/list}}",
	    "{\"list\": [{\"name\": \"a\"}, {\"name\": \"b\", \"last\": true}]}",
	    NULL, 0, "a, b");
}

static void
test_syntax_errors(void **state)
{
	static const struct {
		const char *src, *msg;
	} cases[] = {
		{ "a\nb\n  {{#items}}\nx",
		  "card: line 3, column 3: unclosed section \"items\"" },
		{ "{{#a}}\n {{/b}}",
		  "card: line 2, column 2: mismatched close tag \"b\", "
		  "expected \"a\" (opened at line 1, column 1)" },
		{ "x\n{{/a}}",
		  "card: line 2, column 1: close tag \"a\" without an open "
		  "section" },
		{ "ab {{name",
		  "card: line 1, column 4: unclosed tag (no \"}}\")" },
		{ "{{a\n{{b}}",
		  "card: line 1, column 1: unclosed tag (no \"}}\")" },
		{ "{{{a}}", "card: line 1, column 1: unclosed tag (no \"}}}\")" },
		{ "x {{=<% %>}}", "card: line 1, column 3: bad set-delimiter tag" },
		{ "{{=<%=}}", "card: line 1, column 1: bad set-delimiter tag" },
		{ "{{= a b c =}}", "card: line 1, column 1: bad set-delimiter tag" },
		{ "{{}}", "card: line 1, column 1: empty tag name" },
		{ "\n\n  {{# }}", "card: line 3, column 3: empty tag name" },
		{ "{{a b}}", "card: line 1, column 1: bad tag name \"a b\"" },
		{ "{{a..b}}", "card: line 1, column 1: bad tag name \"a..b\"" },
		/* Columns count characters: the tag is the 4th one. */
		{ "\xe4\xbd\xa0\xe5\xa5\xbd {{#x}}",
		  "card: line 1, column 4: unclosed section \"x\"" },
		{ "{{<base}}{{$a}}", "card: line 1, column 10: unclosed block \"a\"" },
		{ "{{=| |=}}\n|#s|", "card: line 2, column 1: unclosed section \"s\"" },
	};
	tmpl_set_t *set = tmpl_set_new();
	char err[TMPL_ERRLEN];
	buf_t out;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(err, "(none)");
		if (tmpl_set_add(set, "card", cases[i].src,
		    strlen(cases[i].src), err, sizeof(err)) != -1)
			fail_msg("\"%s\" compiled", cases[i].src);
		assert_string_equal(err, cases[i].msg);
	}
	assert_false(tmpl_set_has(set, "card"));

	/* A failed add keeps the previous template; err may be NULL. */
	assert_int_equal(tmpl_set_add(set, "card", "ok", 2, err,
	    sizeof(err)), 0);
	assert_int_equal(tmpl_set_add(set, "card", "{{#x}}", 6, NULL, 0), -1);
	buf_init(&out, NULL);
	assert_int_equal(tmpl_render(set, "card", NULL, NULL, 0, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(buf_cstr(&out), "ok");

	/* Unknown template; output is left as it was. */
	assert_int_equal(tmpl_render(set, "nope", NULL, NULL, 0, &out, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "no such template \"nope\"");
	assert_string_equal(buf_cstr(&out), "ok");
	buf_free(&out);
	tmpl_set_free(set);
}

/* Write @text to DIR/REL, creating nothing but the file. */
static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
rm_tree(const char *dir)
{
	char cmd[4200];

	/* Test scaffolding only: dir is our own mkdtemp() result. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
make_dir(const char *dir, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void
test_load_dir(void **state)
{
	char dir[] = "/tmp/test_tmpl.XXXXXX", err[TMPL_ERRLEN], *p;
	tmpl_set_t *set;
	json_t *ctx;
	buf_t out;

	assert_non_null(mkdtemp(dir));
	make_dir(dir, "layouts");
	make_dir(dir, "partials");
	make_dir(dir, "catalog");
	make_dir(dir, ".git");
	write_file(dir, "layouts/base.mustache",
	    "<html>\n"
	    "  <title>{{$title}}Souk{{/title}}</title>\n"
	    "  <body>\n"
	    "    {{$content}}\n"
	    "    {{/content}}\n"
	    "  </body>\n"
	    "</html>\n");
	write_file(dir, "partials/gig_card.mustache",
	    "<li>{{title}}</li>\n");
	write_file(dir, "catalog/home.mustache",
	    "{{<layouts/base}}\n"
	    "{{$title}}Gigs{{/title}}\n"
	    "{{$content}}\n"
	    "<ul>\n"
	    "{{#gigs}}\n"
	    "  {{>partials/gig_card}}\n"
	    "{{/gigs}}\n"
	    "</ul>\n"
	    "{{/content}}\n"
	    "{{/layouts/base}}\n");
	write_file(dir, "notes.txt", "{{#not a template");
	write_file(dir, ".hidden.mustache", "{{#broken");
	write_file(dir, ".git/x.mustache", "{{#broken");

	set = tmpl_set_new();
	/* A trailing slash gives the same names. */
	p = malloc(strlen(dir) + 2);
	assert_non_null(p);
	sprintf(p, "%s/", dir);
	if (tmpl_set_load_dir(set, p, err, sizeof(err)) != 0)
		fail_msg("load_dir: %s", err);
	free(p);
	assert_true(tmpl_set_has(set, "layouts/base"));
	assert_true(tmpl_set_has(set, "partials/gig_card"));
	assert_true(tmpl_set_has(set, "catalog/home"));
	assert_false(tmpl_set_has(set, "notes"));
	assert_false(tmpl_set_has(set, ".hidden"));
	assert_false(tmpl_set_has(set, "catalog/home.mustache"));

	ctx = json_pack("{s:[{s:s},{s:s}]}", "gigs", "title", "Logo & icon",
	    "title", "Translation");
	buf_init(&out, NULL);
	if (tmpl_render(set, "catalog/home", ctx, NULL, 0, &out, err,
	    sizeof(err)) != 0)
		fail_msg("render: %s", err);
	assert_string_equal(buf_cstr(&out),
	    "<html>\n"
	    "  <title>Gigs</title>\n"
	    "  <body>\n"
	    "    <ul>\n"
	    "      <li>Logo &amp; icon</li>\n"
	    "      <li>Translation</li>\n"
	    "    </ul>\n"
	    "  </body>\n"
	    "</html>\n");
	buf_free(&out);
	json_decref(ctx);
	tmpl_set_free(set);

	/* A syntax error names the file, line and column. */
	write_file(dir, "partials/bad.mustache", "ok\n  {{/oops}}\n");
	set = tmpl_set_new();
	assert_int_equal(tmpl_set_load_dir(set, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/partials/bad.mustache: line 2, "
	    "column 3: close tag \"oops\" without an open section"));
	tmpl_set_free(set);

	set = tmpl_set_new();
	assert_int_equal(tmpl_set_load_dir(set, "/nonexistent/dir", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/dir: "));
	tmpl_set_free(set);
	rm_tree(dir);
}

/* Add a template that must compile. */
static void
add(tmpl_set_t *set, const char *name, const char *src)
{
	char err[TMPL_ERRLEN];

	if (tmpl_set_add(set, name, src, strlen(src), err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
}

static void
expect_render_error(tmpl_set_t *set, const char *name, json_t *ctx,
    const char *want)
{
	char err[TMPL_ERRLEN] = "";
	buf_t out;

	buf_init(&out, NULL);
	buf_puts(&out, "kept");
	assert_int_equal(tmpl_render(set, name, ctx, NULL, 0, &out, err,
	    sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	/* Partial output is taken back. */
	assert_string_equal(buf_cstr(&out), "kept");
	buf_free(&out);
}

static void
test_depth_limit(void **state)
{
	tmpl_set_t *set = tmpl_set_new();
	char err[TMPL_ERRLEN];
	json_t *deep, *leaf;
	int i;

	add(set, "self", "x{{>self}}");
	add(set, "parent", "{{<parent}}{{/parent}}");
	add(set, "q", "{{$a}}{{/a}}");
	/* The override of block "a" expands block "a" again, forever. */
	add(set, "blocks", "{{<q}}{{$a}}<{{$a}}{{/a}}>{{/a}}{{/q}}");
	add(set, "tree", "{{#c}}{{>tree}}{{/c}}");

	expect_render_error(set, "self", NULL,
	    "recursion deeper than 64 levels at partial \"self\"");
	expect_render_error(set, "parent", NULL,
	    "recursion deeper than 64 levels at parent \"parent\"");
	expect_render_error(set, "blocks", NULL,
	    "recursion deeper than 64 levels at block \"a\"");

	/* Data-driven recursion: fine at 60 levels, an error at 100. */
	for (int depth = 60; depth <= 100; depth += 40) {
		/* {"c": {"c": ... {"c": false}}}: false ends the descent. */
		deep = json_pack("{s:b}", "c", 0);
		for (i = 1; i < depth; i++) {
			leaf = json_object();
			json_object_set_new(leaf, "c", deep);
			deep = leaf;
		}
		if (depth == 60) {
			buf_t out;

			buf_init(&out, NULL);
			if (tmpl_render(set, "tree", deep, NULL, 0, &out, err,
			    sizeof(err)) != 0)
				fail_msg("tree: %s", err);
			buf_free(&out);
		} else
			expect_render_error(set, "tree", deep,
			    "recursion deeper than 64");
		json_decref(deep);
	}
	tmpl_set_free(set);
}

/* The translation lambda: closure is the language, "zh" or "en". */
static int
l_translate(void *closure, const char *text, size_t len, buf_t *r)
{
	static const struct {
		const char *en, *zh;
	} dict[] = {
		{ "Hello {{name}}", "\xe4\xbd\xa0\xe5\xa5\xbd {{name}}" },
		{ "Search gigs", "\xe6\x90\x9c\xe7\xb4\xa2\xe6\x9c\x8d\xe5\x8a\xa1" },
	};
	size_t i;

	if (text == NULL)
		return 7;	/* only meant for sections */
	if (strcmp(closure, "zh") == 0)
		for (i = 0; i < sizeof(dict) / sizeof(dict[0]); i++)
			if (strlen(dict[i].en) == len &&
			    memcmp(dict[i].en, text, len) == 0) {
				buf_puts(r, dict[i].zh);
				return 0;
			}
	buf_append(r, text, len);	/* untranslated: as written */
	return 0;
}

/* A lambda whose result does not compile. */
static int
l_bad(void *closure, const char *text, size_t len, buf_t *r)
{

	buf_puts(r, "{{#oops}}");
	return 0;
}

static void
test_translation(void **state)
{
	tmpl_lambda_t zh = { "t", l_translate, (void *)"zh" };
	tmpl_lambda_t en = { "t", l_translate, (void *)"en" };
	tmpl_lambda_t bad = { "b", l_bad, NULL };
	tmpl_set_t *set = tmpl_set_new();
	char err[TMPL_ERRLEN];
	json_t *ctx;
	buf_t out;
	int i;

	check(NULL, "{{#t}}Hello {{name}}{{/t}}", "{\"name\": \"<Ann>\"}",
	    &zh, 1, "\xe4\xbd\xa0\xe5\xa5\xbd &lt;Ann&gt;");
	check(NULL, "{{#t}}Hello {{name}}{{/t}}", "{\"name\": \"Ann\"}",
	    &en, 1, "Hello Ann");
	check(NULL, "<h1>{{#t}}Search gigs{{/t}}</h1>", "{}", &zh, 1,
	    "<h1>\xe6\x90\x9c\xe7\xb4\xa2\xe6\x9c\x8d\xe5\x8a\xa1</h1>");
	/* Translations inside loops and partials see the loop's context. */
	add(set, "card", "<b>{{#t}}Hello {{name}}{{/t}}</b>");
	check(set, "{{#people}}{{>card}}{{/people}}",
	    "{\"people\": [{\"name\": \"A\"}, {\"name\": \"B\"}]}", &zh, 1,
	    "<b>\xe4\xbd\xa0\xe5\xa5\xbd A</b><b>\xe4\xbd\xa0\xe5\xa5\xbd B</b>");
	/* The context wins over a registered lambda of the same name. */
	check(NULL, "[{{#t}}Search gigs{{/t}}]", "{\"t\": false}", &zh, 1,
	    "[]");
	/* {"$lambda": "t"} anywhere in the data calls it too. */
	check(NULL, "{{#x.tr}}Search gigs{{/x.tr}}",
	    "{\"x\": {\"tr\": {\"$lambda\": \"t\"}}}", &zh, 1,
	    "\xe6\x90\x9c\xe7\xb4\xa2\xe6\x9c\x8d\xe5\x8a\xa1");

	/* Errors: unknown $lambda, failing lambda, bad result syntax. */
	buf_init(&out, NULL);
	ctx = json_pack("{s:{s:s}}", "x", "$lambda", "nope");
	assert_int_equal(tmpl_render_string(NULL, "{{x}}", 5, ctx, &zh, 1,
	    &out, err, sizeof(err)), -1);
	assert_string_equal(err, "no lambda \"nope\" given for tag \"x\"");
	json_decref(ctx);
	assert_int_equal(tmpl_render_string(NULL, "a{{t}}", 6, NULL, &zh, 1,
	    &out, err, sizeof(err)), -1);
	assert_string_equal(err, "lambda \"t\" failed (7)");
	assert_int_equal(tmpl_render_string(NULL, "{{#b}}x{{/b}}", 13,
	    NULL, &bad, 1, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "lambda \"b\": line 1, column 1: unclosed "
	    "section \"oops\"");
	assert_int_equal(tmpl_render_string(NULL, "{{b}}", 5,
	    NULL, &bad, 1, &out, err, sizeof(err)), -1);
	assert_int_equal(out.len, 0);

	/* Many renders of one compiled template give the same bytes. */
	ctx = json_pack("{s:s}", "name", "Ann");
	add(set, "hello", "{{#t}}Hello {{name}}{{/t}}!");
	for (i = 0; i < 1000; i++) {
		buf_truncate(&out, 0);
		assert_int_equal(tmpl_render(set, "hello", ctx, &zh, 1, &out,
		    err, sizeof(err)), 0);
		assert_string_equal(buf_cstr(&out),
		    "\xe4\xbd\xa0\xe5\xa5\xbd Ann!");
	}
	json_decref(ctx);
	buf_free(&out);

	/* Into a request arena: lambda scratch space comes from it too. */
	{
		arena_t *a = arena_new(0);
		buf_t ab;

		buf_init(&ab, a);
		ctx = json_pack("{s:s,s:{s:s}}", "name", "<Ann>", "x",
		    "$lambda", "t");
		add(set, "mixed", "{{#t}}Hello {{name}}{{/t}}|{{x}}|");
		for (i = 0; i < 3; i++)
			assert_int_equal(tmpl_render(set, "mixed", ctx, &zh,
			    1, &ab, err, sizeof(err)), -1);
		assert_string_equal(err, "lambda \"t\" failed (7)");
		assert_int_equal(ab.len, 0);
		assert_int_equal(tmpl_render(set, "hello", ctx, &zh, 1, &ab,
		    err, sizeof(err)), 0);
		assert_string_equal(buf_cstr(&ab),
		    "\xe4\xbd\xa0\xe5\xa5\xbd &lt;Ann&gt;!");
		json_decref(ctx);
		arena_free(a);
	}
	tmpl_set_free(set);
}

/* Run tmpl_cli_render with stdout sent to a file; return its status. */
static int
run_cli(char **argv, int argc, const char *outpath)
{
	int fd, saved, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = tmpl_cli_render(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return rc;
}

static void
test_cli(void **state)
{
	char dir[] = "/tmp/test_tmpl.XXXXXX", t[4200], d[4200], bad[4200];
	char pd[4200], o[4200], got[256];
	FILE *f;
	size_t n;

	assert_non_null(mkdtemp(dir));
	make_dir(dir, "p");
	make_dir(dir, "p/partials");
	write_file(dir, "page.mustache", "Hi {{name}}\n{{>partials/x}}\n");
	write_file(dir, "p/partials/x.mustache", "[{{n}}]");
	write_file(dir, "data.json", "{\"name\": \"<A>\", \"n\": 1.5}");
	write_file(dir, "bad.json", "{\"name\": \n  oops}");
	write_file(dir, "broken.mustache", "ok\n{{#a}}\n");
	snprintf(t, sizeof(t), "%s/page.mustache", dir);
	snprintf(d, sizeof(d), "%s/data.json", dir);
	snprintf(pd, sizeof(pd), "%s/p", dir);
	snprintf(o, sizeof(o), "%s/out", dir);

	{
		char *argv[] = { "render", "--template", t, "--data", d,
		    "--partials", pd, NULL };

		assert_int_equal(run_cli(argv, 7, o), 0);
	}
	f = fopen(o, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	/* The partial's line is standalone: its line end goes with it. */
	assert_string_equal(got, "Hi &lt;A&gt;\n[1.5]");

	{
		char *argv[] = { "render", "--data", d, NULL };

		assert_int_equal(run_cli(argv, 3, o), 2);
	}
	{
		char *argv[] = { "render", "--template", t, "--data", NULL };

		assert_int_equal(run_cli(argv, 4, o), 2);
	}
	{
		char *argv[] = { "render", "--bogus", NULL };

		assert_int_equal(run_cli(argv, 2, o), 2);
	}
	snprintf(bad, sizeof(bad), "--data=%s/bad.json", dir);
	{
		char tt[4300];
		char *argv[] = { "render", tt, bad, NULL };

		snprintf(tt, sizeof(tt), "--template=%s", t);
		assert_int_equal(run_cli(argv, 3, o), 1);
	}
	snprintf(bad, sizeof(bad), "%s/broken.mustache", dir);
	{
		char *argv[] = { "render", "--template", bad, "--data", d,
		    NULL };

		assert_int_equal(run_cli(argv, 5, o), 1);
	}
	rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_translation),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
