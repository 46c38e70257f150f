/* utf8.c -- UTF-8 boundaries and validity (RFC 3629). */
#include <string.h>

#include "utf8.h"

size_t
utf8_seq(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;	/* continuation byte, 0xc0/0xc1, 0xf5.. */
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong, surrogate, out of range */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

size_t
utf8_clip(const char *s, size_t max)
{
	size_t len = strlen(s), k;

	if (len <= max)
		return len;
	/* step back over continuation bytes to the start of a character */
	k = max;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

void
utf8_trim(char *s)
{
	size_t len = strlen(s), start = len, n;

	/* the last character starts at most 3 bytes before the end */
	while (start > 0 && len - start < 4 &&
	    ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (start > 0 && ((unsigned char)s[start - 1] & 0xc0) == 0xc0)
		start--;
	else
		return;
	n = utf8_seq((const unsigned char *)s + start);
	if (n == 0 || start + n != len)
		s[start] = '\0';
}
