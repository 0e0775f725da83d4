/*
 * test_media.c - unit tests of src/media: type sniffing with libmagic on
 * files made here (PNG, JPEG, PDF, a Windows executable named .jpg, ...),
 * the kinds and messages, storage key generation and path safety, and the
 * local storage backend (put, open, url, delete) in a temporary root.
 */
#include "config.h"

#include <sys/stat.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "media/media.h"
#include "media/storage.h"

static char dir[] = "/tmp/souk-test-media-XXXXXX";

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* put_file: write @n bytes of @p to <dir>/<name>; the path into @buf. */
static void
put_file(const char *name, const void *p, size_t n, char *buf, size_t len)
{
	FILE *f;

	snprintf(buf, len, "%s/%s", dir, name);
	f = fopen(buf, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
sniffs_as(const char *name, const void *p, size_t n, const char *want)
{
	char path[512], mime[128];

	put_file(name, p, n, path, sizeof(path));
	assert_int_equal(media_sniff(path, mime, sizeof(mime)), 0);
	assert_string_equal(mime, want);
}

/* A 1x1 PNG (signature, IHDR, IDAT, IEND). */
static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
	0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
	0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0x60, 0, 2, 0, 0, 5, 0, 1,
	0x7a, 0x5e, 0xab, 0x3f,
	0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

/* The start of a JFIF JPEG with an EXIF block. */
static const unsigned char jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
	0xff, 0xe1, 0, 16, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 0,
	0xff, 0xd9,
};

static const char pdf[] =
	"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
	"trailer << /Root 1 0 R >>\n%%EOF\n";

/* An "MZ" DOS header pointing at a "PE\0\0" header: a Windows executable. */
static unsigned char exe[512];

static void
test_sniff(void **state)
{
	(void)state;
	sniffs_as("a.bin", png, sizeof(png), "image/png");
	sniffs_as("photo.png", jpeg, sizeof(jpeg), "image/jpeg");	/* name is ignored */
	sniffs_as("doc.jpg", pdf, sizeof(pdf) - 1, "application/pdf");
	memset(exe, 0, sizeof(exe));
	exe[0] = 'M';
	exe[1] = 'Z';
	exe[0x3c] = 0x80;
	memcpy(exe + 0x80, "PE\0\0\x4c\x01", 6);
	{
		char path[512], mime[128];

		put_file("cat.jpg", exe, sizeof(exe), path, sizeof(path));
		assert_int_equal(media_sniff(path, mime, sizeof(mime)), 0);
		assert_int_equal(media_kind_of(mime), 0);	/* refused */
		assert_null(strstr(mime, "image/"));
	}
	sniffs_as("evil.gif", "<script>alert(1)</script>\n", 26, "text/html");
	{
		char mime[128];

		assert_int_equal(media_sniff("/nonexistent/file", mime, sizeof(mime)), -1);
	}
}

static void
test_kinds(void **state)
{
	(void)state;
	assert_int_equal(media_kind_of("image/jpeg"), MEDIA_IMAGE);
	assert_int_equal(media_kind_of("image/png"), MEDIA_IMAGE);
	assert_int_equal(media_kind_of("image/webp"), MEDIA_IMAGE);
	assert_int_equal(media_kind_of("image/gif"), MEDIA_IMAGE);
	assert_int_equal(media_kind_of("video/mp4"), MEDIA_VIDEO);
	assert_int_equal(media_kind_of("video/webm"), MEDIA_VIDEO);
	assert_int_equal(media_kind_of("video/quicktime"), MEDIA_VIDEO);
	assert_int_equal(media_kind_of("application/pdf"), MEDIA_PDF);
	assert_int_equal(media_kind_of("image/svg+xml"), 0);	/* scripts inside */
	assert_int_equal(media_kind_of("text/html"), 0);
	assert_int_equal(media_kind_of("application/x-dosexec"), 0);
	assert_int_equal(media_kind_of(NULL), 0);
	assert_string_equal(media_kind_name(MEDIA_PDF), "pdf");
	assert_null(media_kind_name(MEDIA_IMAGE | MEDIA_PDF));
	assert_true(media_max_bytes(MEDIA_IMAGE) == 10LL * 1024 * 1024);
	assert_true(media_max_bytes(MEDIA_PDF) == 20LL * 1024 * 1024);
	assert_string_equal(media_type_error(MEDIA_IMAGE),
	    "This file is not a JPEG, PNG, WebP or GIF image.");
	assert_non_null(strstr(media_type_error(MEDIA_IMAGE | MEDIA_PDF), "PDF"));
}

static void
test_keys(void **state)
{
	char a[STORAGE_NEW_KEY_LEN], b[STORAGE_NEW_KEY_LEN], small[10];
	size_t i;

	(void)state;
	assert_int_equal(storage_new_key(a, sizeof(a)), 0);
	assert_int_equal(storage_new_key(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), STORAGE_NEW_KEY_LEN - 1);
	assert_string_not_equal(a, b);
	assert_true(a[2] == '/' && a[5] == '/');
	assert_memory_equal(a, a + 6, 2);		/* ab/cd/abcd... */
	assert_memory_equal(a + 3, a + 8, 2);
	for (i = 6; i < strlen(a); i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_true(storage_key_valid(a));
	assert_int_equal(storage_new_key(small, sizeof(small)), -1);
}

static void
test_key_safety(void **state)
{
	static const char *const bad[] = {
		"", "/etc/passwd", "../etc/passwd", "a/../../b", "a/./b", "a//b", "a/",
		"a/.hidden", "..", ".", "A/b", "a b", "a\\b", "a/b\n", "a/%2e%2e/b",
		"a/b?c", "a/\xc3\xa9", "private/ab/cd/../../../../x",
	};
	static const char *const good[] = {
		"a", "private/ab/cd/0123456789abcdef0123456789abcdef",
		"public/ab/cd/0123456789abcdef0123456789abcdef/cover.webp", "x/y-z_1.jpg",
	};
	char longkey[STORAGE_KEY_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(storage_key_valid(bad[i]));
	assert_false(storage_key_valid(NULL));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(storage_key_valid(good[i]));
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_false(storage_key_valid(longkey));
	longkey[STORAGE_KEY_MAX] = '\0';
	assert_true(storage_key_valid(longkey));
}

static void
test_local_storage(void **state)
{
	struct storage *st;
	char root[512], src[512], url[300], path[1024], b[16];
	struct stat sb;
	int fd;

	(void)state;
	snprintf(root, sizeof(root), "%s/root", dir);
	st = storage_local_new(root);
	assert_non_null(st);
	assert_string_equal(st->name, "local");
	assert_int_equal(stat(st->scratch_dir, &sb), 0);

	put_file("up.tmp", "hello", 5, src, sizeof(src));
	assert_int_equal(st->put(st, src, "public/ab/cd/k/cover.jpg"), 0);
	assert_int_equal(access(src, F_OK), -1);	/* moved, not copied */
	assert_int_equal(st->local_path(st, "public/ab/cd/k/cover.jpg", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);	/* readable by nginx */
	assert_int_equal(st->open(st, "public/ab/cd/k/cover.jpg", &fd), 0);
	assert_int_equal(read(fd, b, sizeof(b)), 5);
	close(fd);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(st->url(st, "public/ab/cd/k/cover.jpg", url, sizeof(url)), 0);
	assert_string_equal(url, "/media/public/ab/cd/k/cover.jpg");
	assert_int_equal(st->url(st, "public/ab/cd/k/cover.jpg", url, 10), -1);

	/* unsafe keys never reach the filesystem */
	put_file("up2.tmp", "x", 1, src, sizeof(src));
	assert_int_equal(st->put(st, src, "../escape"), -1);
	assert_int_equal(st->put(st, src, "/tmp/escape"), -1);
	assert_int_equal(access(src, F_OK), 0);		/* left in place */
	assert_int_equal(st->open(st, "public/../../up2.tmp", &fd), -1);
	assert_int_equal(st->del(st, "../up2.tmp"), -1);
	assert_int_equal(access(src, F_OK), 0);
	assert_int_equal(st->url(st, "a/../b", url, sizeof(url)), -1);

	assert_int_equal(st->del(st, "public/ab/cd/k/cover.jpg"), 0);
	assert_int_equal(st->del(st, "public/ab/cd/k/cover.jpg"), 0);	/* missing: fine */
	assert_int_equal(st->open(st, "public/ab/cd/k/cover.jpg", &fd), -1);
	storage_free(st);
}

static void
test_discard(void **state)
{
	struct storage *st;
	char root[512], src[512], key[STORAGE_NEW_KEY_LEN], k[300], path[1024];

	(void)state;
	snprintf(root, sizeof(root), "%s/default", dir);
	setenv("SOUK_MEDIA_ROOT", root, 1);
	st = storage_default();
	assert_non_null(st);
	assert_ptr_equal(st, storage_default());
	storage_new_key(key, sizeof(key));
	put_file("o.tmp", "orig", 4, src, sizeof(src));
	snprintf(k, sizeof(k), "private/%s", key);
	assert_int_equal(st->put(st, src, k), 0);
	put_file("v.tmp", "var", 3, src, sizeof(src));
	snprintf(k, sizeof(k), "public/%s/card.webp", key);
	assert_int_equal(st->put(st, src, k), 0);
	assert_int_equal(media_discard(key), 0);
	assert_int_equal(st->local_path(st, k, path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(k, sizeof(k), "private/%s", key);
	assert_int_equal(st->local_path(st, k, path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(media_discard("../../etc"), -1);
	storage_default_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_key_safety),
		cmocka_unit_test(test_local_storage),
		cmocka_unit_test(test_discard),
	};
	int rc;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* remove the temporary tree, deepest first */
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
