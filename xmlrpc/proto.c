/* proto.c -- protocol version comparison and choice. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static int
parts(const char *s, unsigned long v[4])
{
	int n = 0;
	char *end;

	memset(v, 0, 4 * sizeof(v[0]));
	if (s == NULL || !isdigit((unsigned char)*s))
		return 0;
	for (;;) {
		if (n == 4 || !isdigit((unsigned char)*s))
			return 0;
		v[n++] = strtoul(s, &end, 10);
		if (end - s > 6)
			return 0;
		if (*end == '\0')
			return n;
		if (*end != '.')
			return 0;
		s = end + 1;
	}
}

int
proto_valid(const char *s)
{
	unsigned long v[4];

	return parts(s, v) > 0;
}

int
proto_cmp(const char *a, const char *b)
{
	unsigned long va[4], vb[4];
	int i;

	parts(a, va);
	parts(b, vb);
	for (i = 0; i < 4; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

const char *
proto_choose(char *const *protos, size_t n)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!proto_valid(protos[i]) ||
		    proto_cmp(protos[i], PROTO_MIN) < 0 ||
		    proto_cmp(protos[i], PROTO_MAX) > 0)
			continue;
		if (best == NULL || proto_cmp(protos[i], best) > 0)
			best = protos[i];
	}
	return best;
}
