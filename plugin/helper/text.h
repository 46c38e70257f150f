/* text.h -- small text helpers shared by the readers of configuration
 * and panel data: trimming, one word, a time-of-day window. */
#ifndef MC_TEXT_H
#define MC_TEXT_H

#include <stddef.h>

/* Cut white space at both ends of s in place; returns the first byte
 * that is not white space (inside s). */
char	*text_trim(char *s);

/*
 * Copy the n-th word (0-based, separated by spaces or tabs) of s into
 * out, cut to the buffer. Returns 1, or 0 (out "") when s has no such
 * word. "220 mail.example.com ESMTP", 1 -> "mail.example.com".
 */
int	 text_word(const char *s, size_t n, char *out, size_t);

/*
 * "HH:MM-HH:MM" (hours 0-23 and minutes 0-59 of one or two digits, start
 * and end different) -> minutes of the day. Returns 1, or 0 when v is
 * anything else (nothing set).
 */
int	 text_window(const char *v, int *start, int *end);

#endif
