/* utf8.h -- cutting and checking UTF-8 text that comes from a panel. */
#ifndef MC_UTF8_H
#define MC_UTF8_H

#include <stddef.h>

/*
 * Plesk localizes its error texts (a Japanese panel answers in Japanese),
 * so any text we shorten may hold multi-byte characters. A cut in the
 * middle of one makes the JSON document invalid and PHP's json_decode
 * then loses the whole batch's results.
 */

/*
 * The number of bytes of s to keep so that at most max bytes are kept and
 * the cut does not split a UTF-8 sequence. Use as "%.*s", (int)n, s.
 */
size_t	utf8_clip(const char *s, size_t max);

/*
 * Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes at p
 * are not one (a stray continuation byte, an overlong form, a surrogate,
 * a truncated sequence, or above U+10FFFF).
 */
size_t	utf8_seq(const unsigned char *p);

/* Drop an incomplete sequence at the end of s (after a snprintf cut). */
void	utf8_trim(char *s);

#endif
