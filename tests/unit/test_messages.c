/*
 * test_messages.c - the off-platform warning matcher of src/messages/warn.c
 * with the default message_warn_patterns of src/core/config.c: phone
 * numbers, contact apps, paying outside Souk, Chinese requests; innocent
 * texts (prices, dates, order numbers, ordinary sentences) not flagged;
 * the cache (same text is a no-op, another text replaces it, a bad
 * pattern is skipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "messages/messages.h"

static int
setup(void **state)
{
	struct souk_config cfg;
	char err[256];

	(void)state;
	unsetenv("SOUK_MESSAGE_WARN_PATTERNS");
	if (config_load(&cfg, NULL, err, sizeof(err)) != 0)
		return -1;
	if (messages_warn_init(cfg.message_warn_patterns) < 4) {
		config_free(&cfg);
		return -1;
	}
	config_free(&cfg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	messages_warn_free();
	return 0;
}

static void
test_flagged(void **state)
{
	static const char *const bad[] = {
		"Call me on +27 82 555 1234 and we sort it out",
		"my number is 082-555-1234",
		"phone: (021) 555 0199",
		"+86 138 0013 8000",
		"Add me on WhatsApp please",
		"whats app me",
		"WHATSAPP: same as my profile",
		"ping me on Telegram",
		"Let's pay outside the site, cheaper for both",
		"You can pay me directly",
		"payment via bank is fine",
		"send it to paypal.me/someone",
		"I take Venmo or Cash App",
		"Western Union works",
		"email me at someone at example dot com",
		"加我微信聊",
		"我的微信是 abc123",
		"可以私下交易吗",
		"给我电话",
		NULL,
	};

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		if (!messages_warn_match(bad[i]))
			fail_msg("not flagged: %s", bad[i]);
	}
}

static void
test_innocent(void **state)
{
	static const char *const ok[] = {
		"Hello! Can you do a logo for my bakery?",
		"The price is $150 for 3 concepts.",
		"Delivery by Friday, order 12345, two revisions.",
		"I paid through Souk already, thanks.",
		"Version 2.0 of the design is attached",
		"Payment is handled by the platform",
		"你好，我想订购一个标志设计。",
		"谢谢，期待您的作品",
		"",
		NULL,
	};

	(void)state;
	for (size_t i = 0; ok[i] != NULL; i++) {
		if (messages_warn_match(ok[i]))
			fail_msg("flagged: %s", ok[i]);
	}
	assert_false(messages_warn_match(NULL));
}

static void
test_cache(void **state)
{
	(void)state;
	/* another pattern list replaces the cache; a bad pattern is skipped */
	assert_int_equal(messages_warn_init("(unclosed ;; zebra ;; q[0-9]+x"), 2);
	assert_true(messages_warn_match("a ZEBRA crossing"));
	assert_true(messages_warn_match("q42x"));
	assert_false(messages_warn_match("whatsapp"));
	/* the same text again keeps the compiled cache */
	assert_int_equal(messages_warn_init("(unclosed ;; zebra ;; q[0-9]+x"), 2);
	/* empty clears it */
	assert_int_equal(messages_warn_init(""), 0);
	assert_false(messages_warn_match("zebra"));
	assert_int_equal(setup(NULL), 0);
	assert_true(messages_warn_match("whatsapp"));
	/* a process that never initialized the cache uses the configuration defaults */
	messages_warn_free();
	assert_true(messages_warn_match("add me on WhatsApp"));
	assert_false(messages_warn_match("see you on Souk"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flagged),
		cmocka_unit_test(test_innocent),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
