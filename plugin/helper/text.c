/* text.c -- trimming, words and time-of-day windows. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

char *
text_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
text_word(const char *s, size_t n, char *out, size_t sz)
{
	size_t len;

	out[0] = '\0';
	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\0')
			return 0;
		len = strcspn(s, " \t");
		if (n-- == 0) {
			snprintf(out, sz, "%.*s", (int)len, s);
			return 1;
		}
		s += len;
	}
}

/* one or two digits, then `end` (a separator, or '\0'), within max */
static const char *
two_digits(const char *p, char end, unsigned max, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	while (n < 2 && isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p++ - '0');
		n++;
	}
	if (n == 0 || *p != end || v > max)
		return NULL;
	*out = v;
	return end == '\0' ? p : p + 1;
}

int
text_window(const char *v, int *start, int *end)
{
	unsigned h1, m1, h2, m2;

	if ((v = two_digits(v, ':', 23, &h1)) == NULL ||
	    (v = two_digits(v, '-', 59, &m1)) == NULL ||
	    (v = two_digits(v, ':', 23, &h2)) == NULL ||
	    two_digits(v, '\0', 59, &m2) == NULL || (h1 == h2 && m1 == m2))
		return 0;
	*start = (int)(h1 * 60 + m1);
	*end = (int)(h2 * 60 + m2);
	return 1;
}
