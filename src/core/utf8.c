/*
 * utf8.c - UTF-8 well-formedness, character count, white space (see utf8.h).
 */
#include "config.h"

#include <string.h>

#include "core/utf8.h"

size_t
utf8_seq_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	/*
	 * Table 3-7 of the Unicode standard: the second byte's range
	 * depends on the lead byte, which is how overlongs (C0, C1,
	 * E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and values
	 * above U+10FFFF (F4 90.., F5..FF) are excluded without
	 * computing the code point.
	 */
	if (c < 0xc2)
		return 0;
	else if (c < 0xe0)
		need = 1;
	else if (c < 0xf0) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n <= need)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need + 1;
}

int
utf8_valid(const char *s, size_t len)
{
	size_t k;

	while (len > 0) {
		if ((k = utf8_seq_len(s, len)) == 0)
			return 0;
		s += k;
		len -= k;
	}
	return 1;
}

size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int
utf8_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\f\v", *s) == NULL)
			return 0;
	return 1;
}
