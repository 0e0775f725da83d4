/*
 * utf8.h - UTF-8 well-formedness (RFC 3629, Unicode table 3-7), and the
 * character count and white-space test that form checks share.
 */
#ifndef SOUK_CORE_UTF8_H
#define SOUK_CORE_UTF8_H

#include <stddef.h>

/*
 * utf8_seq_len - the length in bytes (1 to 4) of the well-formed UTF-8
 * sequence that starts at @s, reading at most @n bytes (n >= 1); 0 when
 * the bytes there are not one (overlong, surrogate, above U+10FFFF, cut).
 */
size_t utf8_seq_len(const char *s, size_t n);

/* utf8_valid - 1 when the @len bytes at @s are well-formed UTF-8 (NUL allowed), else 0. */
int utf8_valid(const char *s, size_t len);

/*
 * utf8_chars - the number of Unicode characters (code points) in the
 * NUL-terminated UTF-8 string @s: every byte that is not a continuation
 * byte (10xxxxxx) counts one.  Exact for well-formed UTF-8 (which form
 * values are, see utf8_valid); it does not check well-formedness itself.
 * Returns: the count, 0 for "".
 */
size_t utf8_chars(const char *s);

/*
 * utf8_blank - whether the NUL-terminated string @s holds nothing but
 * ASCII white space (space, \t, \r, \n, \f, \v).
 * Returns: 1 when @s is "" or all white space, else 0.
 */
int utf8_blank(const char *s);

#endif
