/* host.c -- host name normalization and comparison. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "host.h"

static size_t
len_nodot(const char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		n--;
	return n;
}

int
host_equal(const char *a, const char *b)
{
	size_t na, nb;

	if (a == NULL || b == NULL)
		return 0;
	na = len_nodot(a);
	nb = len_nodot(b);
	return na == nb && strncasecmp(a, b, na) == 0;
}

int
host_norm(const char *s, char *out, size_t outsz)
{
	size_t n, i;

	if (s == NULL)
		return 0;
	n = len_nodot(s);
	if (n + 1 > outsz)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return 1;
}

int
host_relative(const char *fqdn, const char *zone, char *out, size_t outsz)
{
	size_t nf, nz;

	if (fqdn == NULL || zone == NULL)
		return 0;
	nf = len_nodot(fqdn);
	nz = len_nodot(zone);
	if (nf == nz && strncasecmp(fqdn, zone, nz) == 0) {
		if (outsz < 1)
			return 0;
		out[0] = '\0';
		return 1;
	}
	if (nf <= nz + 1 || fqdn[nf - nz - 1] != '.' ||
	    strncasecmp(fqdn + nf - nz, zone, nz) != 0)
		return 0;
	return host_norm(fqdn, out, outsz) && (out[nf - nz - 1] = '\0', 1);
}
