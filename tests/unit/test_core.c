/*
 * test_core.c - arena, buffer and configuration.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"

static void
test_arena_alignment_and_reuse(void **state)
{
	arena_t *a = arena_new(1024);
	void *p;
	size_t before;

	(void)state;
	for (int i = 1; i < 200; i++) {
		p = arena_alloc(a, (size_t)i);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, (size_t)i);
	}
	/* A block larger than a quarter chunk gets its own chunk. */
	p = arena_alloc(a, 100000);
	memset(p, 1, 100000);
	assert_true(arena_bytes(a) >= 100000);
	arena_reset(a);
	before = arena_bytes(a);
	assert_true(before <= 1024 + 64);
	p = arena_alloc(a, 10);
	assert_non_null(p);
	assert_int_equal(arena_bytes(a), before);
	arena_free(a);
}

static void
test_arena_strings(void **state)
{
	arena_t *a = arena_new(0);
	char *s;
	int *z;

	(void)state;
	assert_string_equal(arena_strdup(a, "souk"), "souk");
	assert_null(arena_strdup(a, NULL));
	assert_string_equal(arena_strndup(a, "marketplace", 6), "market");
	s = arena_printf(a, "%s-%d-%05.1f", "gig", 42, 3.25);
	assert_string_equal(s, "gig-42-003.2");
	z = arena_calloc(a, 100, sizeof(int));
	for (int i = 0; i < 100; i++)
		assert_int_equal(z[i], 0);
	arena_free(a);
	arena_free(NULL);
}

static void
test_buf_heap_and_arena(void **state)
{
	arena_t *a = arena_new(0);
	buf_t h, b;

	(void)state;
	buf_init(&h, NULL);
	assert_string_equal(buf_cstr(&h), "");
	for (int i = 0; i < 1000; i++)
		buf_printf(&h, "%d,", i);
	assert_int_equal(strncmp(h.data, "0,1,2,", 6), 0);
	assert_int_equal(h.data[h.len], '\0');
	buf_truncate(&h, 4);
	assert_string_equal(buf_cstr(&h), "0,1,");
	buf_free(&h);
	assert_null(h.data);

	buf_init(&b, a);
	buf_puts(&b, "你好");
	buf_putc(&b, '!');
	buf_append(&b, "\0x", 2);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "你好!\0x", 9);
	arena_free(a);
}

static void
test_config_file_and_env(void **state)
{
	char path[] = "/tmp/souk-test-config-XXXXXX";
	struct souk_config cfg;
	char err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fprintf(f, "# comment\n\nlisten = /tmp/x.sock\nworkers = 3\n"
	    "database_url = dbname=one\n  base_url=http://example.test  \n");
	fclose(f);
	setenv("SOUK_DATABASE_URL", "dbname=two", 1);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen, "/tmp/x.sock");
	assert_int_equal(cfg.workers, 3);
	assert_string_equal(cfg.database_url, "dbname=two");
	assert_string_equal(cfg.base_url, "http://example.test");
	config_free(&cfg);
	unsetenv("SOUK_DATABASE_URL");

	f = fopen(path, "w");
	fprintf(f, "workers = many\n");
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: bad value for workers"));
	config_free(&cfg);

	f = fopen(path, "w");
	fprintf(f, "colour = blue\n");
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key"));
	config_free(&cfg);
	unlink(path);

	assert_int_equal(config_load(&cfg, "/nonexistent/souk.conf", err, sizeof(err)), -1);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_alignment_and_reuse),
		cmocka_unit_test(test_arena_strings),
		cmocka_unit_test(test_buf_heap_and_arena),
		cmocka_unit_test(test_config_file_and_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
