/*
 * cli.c - "soukctl render": render one template against a JSON file.
 *
 *   soukctl render --template FILE --data FILE.json [--partials DIR]
 *
 * Handy for checking a template change without starting the server, and
 * for the e2e tests.  Exit status: 0 rendered, 1 template/JSON/I-O error,
 * 2 usage error (see tmpl_cli_render() in tmpl.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

static void
usage(void)
{

	fprintf(stderr, "usage: soukctl render --template FILE "
	    "--data FILE.json [--partials DIR]\n");
}

/*
 * Match "--name VALUE" or "--name=VALUE" at argv[*i]; on a match store
 * VALUE in *val, advance *i past it and return 1.  Returns 0 when argv[*i]
 * is another option, -1 when the value is missing.
 */
static int
opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, len) != 0)
		return 0;
	if (a[len] == '=') {
		*val = a + len + 1;
		return 1;
	}
	if (a[len] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* Read a whole file into a heap buffer; NULL with errno set on failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	buf_t b;
	char chunk[8192];
	size_t n;
	int saved;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf_init(&b, NULL);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(f)) {
		saved = errno;
		fclose(f);
		buf_free(&b);
		errno = saved ? saved : EIO;
		return NULL;
	}
	fclose(f);
	*len = b.len;
	if (b.data == NULL)
		buf_reserve(&b, 0);	/* empty file: still a string */
	return b.data;
}

int
tmpl_cli_render(int argc, char **argv)
{
	const char *tfile = NULL, *dfile = NULL, *pdir = NULL;
	char err[TMPL_ERRLEN], *src = NULL;
	tmpl_set_t *set = NULL;
	json_t *data = NULL;
	json_error_t jerr;
	buf_t out;
	size_t len = 0;
	int i, r, rc = 1;

	for (i = 1; i < argc; i++) {
		if ((r = opt(argc, argv, &i, "--template", &tfile)) == 0 &&
		    (r = opt(argc, argv, &i, "--data", &dfile)) == 0 &&
		    (r = opt(argc, argv, &i, "--partials", &pdir)) == 0) {
			fprintf(stderr, "soukctl render: unknown argument "
			    "\"%s\"\n", argv[i]);
			usage();
			return 2;
		}
		if (r == -1) {
			fprintf(stderr, "soukctl render: %s needs a value\n",
			    argv[i]);
			usage();
			return 2;
		}
	}
	if (tfile == NULL || dfile == NULL) {
		usage();
		return 2;
	}

	buf_init(&out, NULL);
	set = tmpl_set_new();
	if (pdir != NULL && tmpl_set_load_dir(set, pdir, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "soukctl render: %s\n", err);
		goto out;
	}
	if ((src = slurp(tfile, &len)) == NULL) {
		fprintf(stderr, "soukctl render: %s: %s\n", tfile,
		    strerror(errno));
		goto out;
	}
	/* Named by its path as given, so errors point at the file. */
	if (tmpl_set_add(set, tfile, src, len, err, sizeof(err)) == -1) {
		fprintf(stderr, "soukctl render: %s\n", err);
		goto out;
	}
	if ((data = json_load_file(dfile, JSON_DECODE_ANY, &jerr)) == NULL) {
		fprintf(stderr, "soukctl render: %s: line %d, column %d: %s\n",
		    dfile, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (tmpl_render(set, tfile, data, NULL, 0, &out, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "soukctl render: %s: %s\n", tfile, err);
		goto out;
	}
	if ((out.len > 0 &&
	    fwrite(out.data, 1, out.len, stdout) != out.len) ||
	    fflush(stdout) == EOF) {
		fprintf(stderr, "soukctl render: stdout: %s\n",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(data);
	free(src);
	buf_free(&out);
	tmpl_set_free(set);
	return rc;
}
