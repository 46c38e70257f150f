/* idn.c -- IDNA2008 conversions with libidn2 (UTS #46 non-transitional
 * processing, the form browsers and registries use). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <idn2.h>

#include "idn.h"
#include "valid.h"

/* a top-level label of digits only: an IP address, not a name */
static int
numeric_tld(const char *s)
{
	size_t len = strlen(s), i, start;

	if (len > 0 && s[len - 1] == '.')
		len--;
	for (start = len; start > 0 && s[start - 1] != '.'; start--)
		;
	for (i = start; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return len > start;
}

const char *
idn_ascii(const char *in, char *out, size_t n)
{
	char *a = NULL;
	size_t len, i;
	int rc, ascii = 1;

	if (in == NULL || *in == '\0')
		return "empty";
	len = strlen(in);
	if (len > 1024)
		return "too long";
	for (i = 0; i < len; i++)
		ascii &= (unsigned char)in[i] < 0x80;
	if (ascii && strstr(in, "xn--") == NULL && strstr(in, "XN--") == NULL) {
		/* plain ASCII: no conversion, only the RFC 1035 check */
		if (len + 1 > n || !valid_domain(in))
			return "not a host name (RFC 1035: letters, digits, "
			    "hyphens; at least two labels)";
		if (numeric_tld(in))
			return "an IP address, not a domain name";
		for (i = 0; i < len; i++)
			out[i] = (char)tolower((unsigned char)in[i]);
		out[len] = '\0';
		if (len > 0 && out[len - 1] == '.')
			out[len - 1] = '\0';
		return NULL;
	}
	rc = idn2_to_ascii_8z(in, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK) {
		idn2_free(a);
		return idn2_strerror(rc);
	}
	len = strlen(a);
	if (len + 1 > n || !valid_domain(a)) {
		idn2_free(a);
		return "not a host name once converted to ASCII";
	}
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)a[i]);
	out[len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[len - 1] = '\0';
	idn2_free(a);
	return NULL;
}

void
idn_unicode(const char *ascii, char *out, size_t n)
{
	char *u = NULL;

	if (n > 0)
		out[0] = '\0';
	if (ascii == NULL || strstr(ascii, "xn--") == NULL)
		return;
	if (idn2_to_unicode_8z8z(ascii, &u, 0) == IDN2_OK && u != NULL &&
	    strlen(u) + 1 <= n)
		snprintf(out, n, "%s", u);
	idn2_free(u);
}
