/* valid.c -- validators for outside input. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "valid.h"

static int
label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(isascii((unsigned char)s[i]) &&
		    (isalnum((unsigned char)s[i]) || s[i] == '-')))
			return 0;
	return 1;
}

int
valid_domain(const char *name)
{
	size_t len, start, i, labels = 0;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (start = 0, i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (!label_ok(name + start, i - start))
				return 0;
			labels++;
			start = i + 1;
		}
	}
	return labels >= 2;
}

int
valid_label(const char *s)
{
	size_t len, start, i;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len == 0)
		return 1;
	if (len > 253)
		return 0;
	for (start = 0, i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			/* allow "_dmarc" style service labels too */
			size_t n = i - start, j;
			if (n == 0 || n > 63)
				return 0;
			for (j = start; j < i; j++)
				if (!(isascii((unsigned char)s[j]) &&
				    (isalnum((unsigned char)s[j]) ||
				    s[j] == '-' || s[j] == '_')))
					return 0;
			start = i + 1;
		}
	}
	return 1;
}

int
valid_ipv4(const char *s)
{
	struct in_addr a;

	return s != NULL && inet_pton(AF_INET, s, &a) == 1;
}

int
valid_ipv6(const char *s)
{
	struct in6_addr a;

	return s != NULL && inet_pton(AF_INET6, s, &a) == 1;
}

int
valid_ip(const char *s)
{
	return valid_ipv4(s) || valid_ipv6(s);
}

int
url_has_userinfo(const char *url)
{
	const char *p = strstr(url, "://");

	p = p != NULL ? p + 3 : url;
	return memchr(p, '@', strcspn(p, "/?#")) != NULL;
}

int
valid_https_url(const char *v)
{
	const unsigned char *p;

	if (strncmp(v, "https://", 8) != 0 || strlen(v) > 512 ||
	    !(isalnum((unsigned char)v[8]) || v[8] == '[') ||
	    url_has_userinfo(v))
		return 0;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("\"'<>\\`{}|^", *p))
			return 0;
	return 1;
}

int
parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	char *end;
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > 20)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

int
parse_size(const char *s, size_t max, size_t *out)
{
	char buf[32];
	unsigned long v, mult = 1;
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'K': case 'k':
		mult = 1024UL;
		buf[--len] = '\0';
		break;
	case 'M': case 'm':
		mult = 1024UL * 1024UL;
		buf[--len] = '\0';
		break;
	case 'G': case 'g':
		mult = 1024UL * 1024UL * 1024UL;
		buf[--len] = '\0';
		break;
	}
	if (!parse_ulong(buf, 1, ULONG_MAX / mult, &v))
		return 0;
	if (v * mult > max)
		return 0;
	*out = v * mult;
	return 1;
}
