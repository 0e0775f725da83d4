/*
 * test_accounts.c - password rules and hashes, link tokens, the checks of
 * sign-up fields, the ?next= filter, client keys and the sliding-window
 * rate limiter (its pure decision always; against a real Redis when
 * SOUK_TEST_REDIS is set, e.g. SOUK_TEST_REDIS=127.0.0.1:6379 or
 * unix:/path/redis.sock).
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
#include <sodium.h>

#include "identity/accounts.h"
#include "identity/password.h"
#include "kv/kv.h"
#include "kv/ratelimit.h"

/* ==== password rules ==== */

static void
test_password_rules(void **state)
{
	char big[PASSWORD_MAX_BYTES + 2];

	(void)state;
	assert_int_equal(password_check(NULL, NULL, NULL), PW_EMPTY);
	assert_int_equal(password_check("", "a@b.co", "ab"), PW_EMPTY);
	assert_int_equal(password_check("123456789", NULL, NULL), PW_TOO_SHORT);
	assert_int_equal(password_check("1234567890", NULL, NULL), PW_OK);
	/* Characters, not bytes: nine CJK characters are 27 bytes but too short. */
	assert_int_equal(password_check("密码密码密码密码密", NULL, NULL), PW_TOO_SHORT);
	assert_int_equal(password_check("密码密码密码密码密码", NULL, NULL), PW_OK);
	/* Blanks count like any character. */
	assert_int_equal(password_check("          ", NULL, NULL), PW_OK);

	memset(big, 'x', PASSWORD_MAX_BYTES);
	big[PASSWORD_MAX_BYTES] = '\0';
	assert_int_equal(password_check(big, NULL, NULL), PW_OK);
	big[PASSWORD_MAX_BYTES] = 'x';
	big[PASSWORD_MAX_BYTES + 1] = '\0';
	assert_int_equal(password_check(big, NULL, NULL), PW_TOO_LONG);

	/* Equal to the e-mail or handle, whatever the ASCII case. */
	assert_int_equal(password_check("Alice@Example.com", "alice@example.COM", "alice"),
	    PW_SAME_AS_EMAIL);
	assert_int_equal(password_check("Longhandle_1", "x@example.com", "longhandle_1"),
	    PW_SAME_AS_HANDLE);
	assert_int_equal(password_check("longhandle_12", "x@example.com", "longhandle_1"), PW_OK);
	assert_int_equal(password_check("alice@example.co", "alice@example.com", NULL), PW_OK);

	assert_string_equal(password_rule_code(PW_TOO_SHORT), "too_short");
	assert_string_equal(password_rule_code(PW_SAME_AS_EMAIL), "same_as_email");
	assert_string_equal(password_rule_code(PW_EMPTY), "required");
}

static void
test_password_hash(void **state)
{
	char h[PASSWORD_HASH_SIZE], h2[PASSWORD_HASH_SIZE], big[PASSWORD_MAX_BYTES + 2];

	(void)state;
	assert_int_equal(password_hash("correct horse battery", h), 0);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_int_equal(password_verify(h, "correct horse battery"), 1);
	assert_int_equal(password_verify(h, "correct horse batterY"), 0);
	assert_int_equal(password_verify(h, ""), 0);
	assert_int_equal(password_needs_rehash(h), 0);
	/* Salted: the same password hashes differently. */
	assert_int_equal(password_hash("correct horse battery", h2), 0);
	assert_string_not_equal(h, h2);

	/* No hash (unknown user, no password): the dummy is checked, never a match. */
	assert_int_equal(password_verify(NULL, "anything at all"), 0);
	assert_int_equal(password_verify("", "anything at all"), 0);
	assert_int_equal(password_verify("not a hash", "anything at all"), 0);

	/* Weaker limits, or no argon2id string: rehash. */
	assert_int_equal(crypto_pwhash_str(h2, "pw", 2, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_int_equal(password_verify(h2, "pw"), 1);
	assert_int_equal(password_needs_rehash(h2), 1);
	assert_int_equal(password_needs_rehash(NULL), 1);
	assert_int_equal(password_needs_rehash("$2y$10$abcdefghijklmnopqrstuu"), 1);

	/* Overlong: not hashed, never verified. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(password_hash(big, h2), -1);
	assert_string_equal(h2, "");
	assert_int_equal(password_verify(h, big), 0);
}

/* ==== tokens ==== */

static void
test_token_hash(void **state)
{
	char hex[ACCOUNT_HASH_SIZE];

	(void)state;
	/* FIPS 180-2 test vectors. */
	account_token_hash("abc", hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	account_token_hash("", hex);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_token_new(void **state)
{
	char t1[ACCOUNT_TOKEN_SIZE], t2[ACCOUNT_TOKEN_SIZE];
	char h1[ACCOUNT_HASH_SIZE], h2[ACCOUNT_HASH_SIZE], check[ACCOUNT_HASH_SIZE];

	(void)state;
	account_token_new(t1, h1);
	account_token_new(t2, h2);
	assert_int_equal(strlen(t1), ACCOUNT_TOKEN_CHARS);
	assert_true(account_token_ok(t1));
	assert_true(account_token_ok(t2));
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	assert_int_equal(strspn(h1, "0123456789abcdef"), 64);
	/* The stored hash is the hash of the mailed token. */
	account_token_hash(t1, check);
	assert_string_equal(check, h1);

	assert_false(account_token_ok(NULL));
	assert_false(account_token_ok(""));
	assert_false(account_token_ok("abc"));
	assert_true(account_token_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAa-"));
	assert_true(account_token_ok("0123456789_-abcdefghijABCDEFGHIJklmnopqrstu"));
	assert_false(account_token_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAa="));
	assert_false(account_token_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAa+"));
	assert_false(account_token_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAaaa"));
	assert_false(account_token_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAa"));
	assert_false(account_token_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' "));
}

/* ==== sign-up fields ==== */

static void
test_check_email(void **state)
{
	char big[300];

	(void)state;
	assert_int_equal(account_check_email("alice@example.com"), FIELD_OK);
	assert_int_equal(account_check_email("A.Li+souk@mail.example.co.za"), FIELD_OK);
	assert_int_equal(account_check_email("x_y-z@sub-domain.example.cn"), FIELD_OK);
	assert_int_equal(account_check_email(NULL), FIELD_REQUIRED);
	assert_int_equal(account_check_email(""), FIELD_REQUIRED);
	assert_int_equal(account_check_email("alice"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@"), FIELD_INVALID);
	assert_int_equal(account_check_email("@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example.c"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example.c0m"), FIELD_INVALID);
	assert_int_equal(account_check_email("a@b@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("al ice@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@exa mple.com"), FIELD_INVALID);
	assert_int_equal(account_check_email(".alice@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice.@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("al..ice@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example..com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@-example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example-.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("<alice>@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example.com."), FIELD_INVALID);
	assert_int_equal(account_check_email("李@example.com"), FIELD_INVALID);
	assert_int_equal(account_check_email("alice@example.com\n"), FIELD_INVALID);

	/* 64 bytes of local part are fine, 65 are not; 254 bytes in all, not 255. */
	memset(big, 'a', sizeof(big));
	memcpy(big + 64, "@example.com", 13);
	assert_int_equal(account_check_email(big), FIELD_OK);
	memset(big, 'a', sizeof(big));
	memcpy(big + 65, "@example.com", 13);
	assert_int_equal(account_check_email(big), FIELD_INVALID);
	/* 11 + 1 + 242 = 254 bytes: the longest address accepted. */
	for (int extra = 0; extra <= 1; extra++) {
		size_t len = 0;

		memset(big, 'a', 11 + (size_t)extra);
		len = 11 + (size_t)extra;
		big[len++] = '@';
		for (int i = 0; i < 24; i++, len += 10)
			memcpy(big + len, "abcdefghi.", 10);
		memcpy(big + len, "co", 3);
		assert_int_equal(strlen(big), 254 + (size_t)extra);
		assert_int_equal(account_check_email(big), extra ? FIELD_TOO_LONG : FIELD_OK);
	}
}

static void
test_check_handle(void **state)
{
	(void)state;
	assert_int_equal(account_check_handle("alice"), FIELD_OK);
	assert_int_equal(account_check_handle("a1_b2"), FIELD_OK);
	assert_int_equal(account_check_handle("ab"), FIELD_OK);
	assert_int_equal(account_check_handle("abcdefghijklmnopqrstuvwxyz012345"), FIELD_OK);
	assert_int_equal(account_check_handle("abcdefghijklmnopqrstuvwxyz0123456"), FIELD_TOO_LONG);
	assert_int_equal(account_check_handle("a"), FIELD_TOO_SHORT);
	assert_int_equal(account_check_handle(""), FIELD_REQUIRED);
	assert_int_equal(account_check_handle(NULL), FIELD_REQUIRED);
	assert_int_equal(account_check_handle("Alice"), FIELD_INVALID);
	assert_int_equal(account_check_handle("al-ice"), FIELD_INVALID);
	assert_int_equal(account_check_handle("al ice"), FIELD_INVALID);
	assert_int_equal(account_check_handle("李四"), FIELD_INVALID);
	assert_int_equal(account_check_handle("admin"), FIELD_RESERVED);
	assert_int_equal(account_check_handle("account"), FIELD_RESERVED);
	assert_int_equal(account_check_handle("seller"), FIELD_RESERVED);
	assert_int_equal(account_check_handle("login"), FIELD_RESERVED);
	assert_int_equal(account_check_handle("admin2"), FIELD_OK);
	assert_string_equal(field_check_code(FIELD_RESERVED), "reserved");
	assert_string_equal(field_check_code(FIELD_TOO_LONG), "too_long");
}

static void
test_safe_next(void **state)
{
	char big[ACCOUNTS_NEXT_MAX + 2];

	(void)state;
	assert_string_equal(account_safe_next("/account"), "/account");
	assert_string_equal(account_safe_next("/c/logo-design?page=2"), "/c/logo-design?page=2");
	assert_string_equal(account_safe_next("/"), "/");
	assert_string_equal(account_safe_next(NULL), "/");
	assert_string_equal(account_safe_next(""), "/");
	assert_string_equal(account_safe_next("//evil.example"), "/");
	assert_string_equal(account_safe_next("/\\evil.example"), "/");
	assert_string_equal(account_safe_next("/a\\b"), "/");
	assert_string_equal(account_safe_next("https://evil.example/"), "/");
	assert_string_equal(account_safe_next("javascript:alert(1)"), "/");
	assert_string_equal(account_safe_next("evil.example"), "/");
	assert_string_equal(account_safe_next("/a\r\nSet-Cookie: x=1"), "/");
	assert_string_equal(account_safe_next("/a b"), "/");
	assert_string_equal(account_safe_next("/\xe6\x90\x9c"), "/");
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[ACCOUNTS_NEXT_MAX] = '\0';
	assert_ptr_equal(account_safe_next(big), big);
	big[ACCOUNTS_NEXT_MAX] = 'a';
	big[ACCOUNTS_NEXT_MAX + 1] = '\0';
	assert_string_equal(account_safe_next(big), "/");
}

static void
test_client_key(void **state)
{
	char k[96];

	(void)state;
	account_client_key("203.0.113.9", k, sizeof(k));
	assert_string_equal(k, "203.0.113.9");
	account_client_key("2001:db8:1:2:3:4:5:6", k, sizeof(k));
	assert_string_equal(k, "2001:db8:1:2::/64");
	account_client_key("2001:db8:1:2:ffff::1", k, sizeof(k));
	assert_string_equal(k, "2001:db8:1:2::/64");
	account_client_key("::ffff:198.51.100.7", k, sizeof(k));
	assert_string_equal(k, "198.51.100.7");
	account_client_key(NULL, k, sizeof(k));
	assert_string_equal(k, "-");
	account_client_key("unix:", k, sizeof(k));
	assert_string_equal(k, "unix:");
}

/* ==== the limiter's decision ==== */

static void
test_ratelimit_decide(void **state)
{
	struct ratelimit_result r;
	/* Window 10 s, limit 3, now = 100 s. */
	const long long w = 10000, now = 100000;
	const long long three[] = { 91000, 95000, 99000 };
	const long long stale[] = { 80000, 90000, 95000, 99000 };
	const long long edge[] = { 90001, 90001, 90001 };

	(void)state;
	ratelimit_decide(NULL, 0, now, 3, w, &r);
	assert_true(r.allowed);
	assert_int_equal(r.retry_after, 0);
	assert_int_equal(r.count, 1);

	ratelimit_decide(three, 2, now, 3, w, &r);
	assert_true(r.allowed);
	assert_int_equal(r.count, 3);

	/* Full: the oldest (91 s) leaves the window at 101 s. */
	ratelimit_decide(three, 3, now, 3, w, &r);
	assert_false(r.allowed);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.retry_after, 1);

	/* Events at or before now - window do not count (90 s is out, 80 s too). */
	ratelimit_decide(stale, 4, now, 3, w, &r);
	assert_true(r.allowed);
	assert_int_equal(r.count, 3);

	/* Limit 2 with 95 and 99 in the window: 95 must go, at 105 s. */
	ratelimit_decide(stale, 4, now, 2, w, &r);
	assert_false(r.allowed);
	assert_int_equal(r.retry_after, 5);

	/* Limit 1: the newest (99 s) must leave: 9 s. */
	ratelimit_decide(stale, 4, now, 1, w, &r);
	assert_false(r.allowed);
	assert_int_equal(r.retry_after, 9);

	/* Rounded up to whole seconds: 1 ms left is 1 s. */
	ratelimit_decide(edge, 3, now, 3, w, &r);
	assert_false(r.allowed);
	assert_int_equal(r.retry_after, 1);
	ratelimit_decide(edge, 3, now + 1, 3, w, &r);
	assert_true(r.allowed);

	/* A limit below 1 refuses everything for a whole window. */
	ratelimit_decide(NULL, 0, now, 0, w, &r);
	assert_false(r.allowed);
	assert_int_equal(r.retry_after, 10);
}

/* A sliding window keeps refusing until the oldest event ages out. */
static void
test_ratelimit_sliding(void **state)
{
	struct ratelimit_result r;
	long long stamps[16];
	size_t n = 0;
	const long long w = 60000;

	(void)state;
	/* One event every 10 s, limit 4 per minute. */
	for (long long t = 0; t <= 200000; t += 10000) {
		ratelimit_decide(stamps, n, t, 4, w, &r);
		if (r.allowed) {
			if (n == sizeof(stamps) / sizeof(stamps[0])) {
				memmove(stamps, stamps + 1, (n - 1) * sizeof(stamps[0]));
				n--;
			}
			stamps[n++] = t;
		}
	}
	/* Accepted: 0,10,20,30 | 60 (0 left at 60 exactly),70,80,90 | 120,... */
	assert_int_equal(stamps[n - 1], 200000);
	ratelimit_decide(stamps, n, 200000, 4, w, &r);
	assert_false(r.allowed);
}

/* ==== against Redis ==== */

static void
test_ratelimit_redis(void **state)
{
	const char *url = getenv("SOUK_TEST_REDIS");
	struct ratelimit_result r;
	kv_conn_t *kv;
	char key[64];

	(void)state;
	if (url == NULL || url[0] == '\0') {
		skip();
		return;
	}
	kv = kv_new(url);
	assert_int_equal(kv_ensure(kv), 0);
	snprintf(key, sizeof(key), "test:accounts:%ld", (long)getpid());
	assert_int_equal(ratelimit_reset(kv, key), 0);

	for (int i = 1; i <= 3; i++) {
		assert_int_equal(ratelimit_hit(kv, key, 3, 60, 1, &r), 0);
		assert_true(r.allowed);
		assert_int_equal(r.count, i);
	}
	/* Looking does not count. */
	assert_int_equal(ratelimit_hit(kv, key, 4, 60, 0, &r), 0);
	assert_true(r.allowed);
	assert_int_equal(r.count, 3);
	/* Fourth: refused, with a wait of about a minute; refusals are not kept. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ratelimit_hit(kv, key, 3, 60, 1, &r), 0);
		assert_false(r.allowed);
		assert_true(r.retry_after >= 59 && r.retry_after <= 60);
		assert_int_equal(r.count, 3);
	}
	assert_int_equal(ratelimit_hit(kv, key, 4, 60, 1, &r), 0);
	assert_true(r.allowed);
	assert_int_equal(r.count, 4);

	/* A one-second window empties by itself. */
	assert_int_equal(ratelimit_reset(kv, key), 0);
	assert_int_equal(ratelimit_hit(kv, key, 1, 1, 1, &r), 0);
	assert_true(r.allowed);
	assert_int_equal(ratelimit_hit(kv, key, 1, 1, 1, &r), 0);
	assert_false(r.allowed);
	assert_int_equal(r.retry_after, 1);
	usleep(1100000);
	assert_int_equal(ratelimit_hit(kv, key, 1, 1, 1, &r), 0);
	assert_true(r.allowed);

	assert_int_equal(ratelimit_reset(kv, key), 0);
	assert_int_equal(ratelimit_hit(kv, "", 1, 0, 1, &r), -1);
	kv_free(kv);
}

static void
test_ratelimit_down(void **state)
{
	struct ratelimit_result r;
	kv_conn_t *kv;

	(void)state;
	/* Nothing listens on port 1: refused with a short retry, never allowed. */
	kv = kv_new("127.0.0.1:1");
	assert_int_equal(ratelimit_hit(kv, "test:down", 5, 60, 1, &r), -1);
	assert_false(r.allowed);
	assert_true(r.retry_after > 0);
	kv_free(kv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_rules),
		cmocka_unit_test(test_password_hash),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_token_new),
		cmocka_unit_test(test_check_email),
		cmocka_unit_test(test_check_handle),
		cmocka_unit_test(test_safe_next),
		cmocka_unit_test(test_client_key),
		cmocka_unit_test(test_ratelimit_decide),
		cmocka_unit_test(test_ratelimit_sliding),
		cmocka_unit_test(test_ratelimit_redis),
		cmocka_unit_test(test_ratelimit_down),
	};

	if (sodium_init() < 0) {
		fprintf(stderr, "libsodium failed to initialise\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
