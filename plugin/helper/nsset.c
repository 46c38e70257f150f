/* nsset.c -- sets of name server names, compared as step 5 needs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsset.h"
#include "valid.h"

/* the canonical form of name into buf; 0 when it cannot be one */
static int
ns_canon(const char *name, int strict, char *buf, size_t sz)
{
	size_t len, i;

	if (name == NULL || (len = strlen(name)) == 0 || len >= sz)
		return 0;
	if (strict && !valid_domain(name))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7f || c == ',')
			return 0;
		buf[i] = (char)tolower(c);
	}
	if (len > 1 && buf[len - 1] == '.')
		len--;
	buf[len] = '\0';
	return 1;
}

int
nsset_add(struct nsset *s, const char *name, int strict)
{
	char buf[256], **p, *dup;
	size_t i;
	int c = 1;

	if (!ns_canon(name, strict, buf, sizeof(buf)))
		return 0;
	for (i = 0; i < s->n && (c = strcmp(s->names[i], buf)) < 0; i++)
		;
	if (i < s->n && c == 0)
		return 1;
	if (s->n == NSSET_MAX ||
	    (p = realloc(s->names, (s->n + 1) * sizeof(*p))) == NULL)
		return 0;
	s->names = p;
	if ((dup = strdup(buf)) == NULL)
		return 0;
	memmove(&s->names[i + 1], &s->names[i], (s->n - i) * sizeof(*p));
	s->names[i] = dup;
	s->n++;
	return 1;
}

int
nsset_parse(struct nsset *s, const char *list, char *bad, size_t badsz)
{
	char *copy, *tok, *save = NULL;
	int ok = 1;

	if (badsz > 0)
		bad[0] = '\0';
	if (list == NULL || (copy = strdup(list)) == NULL)
		return 0;
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL && ok;
	    tok = strtok_r(NULL, ", \t", &save))
		if (!nsset_add(s, tok, 1)) {
			snprintf(bad, badsz, "%s", tok);
			ok = 0;
		}
	free(copy);
	return ok && s->n > 0;
}

int
nsset_equal(const struct nsset *a, const struct nsset *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	return 1;
}

int
nsset_has(const struct nsset *s, const char *name)
{
	char buf[256];
	size_t i;

	if (!ns_canon(name, 0, buf, sizeof(buf)))
		return 0;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->names[i], buf) == 0)
			return 1;
	return 0;
}

const char *
nsset_join(const struct nsset *s, const char *sep, char *buf, size_t sz)
{
	size_t i, o = 0;
	const char *sp;

	if (sz == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < s->n; i++) {
		sp = i ? sep : "";
		if (o + strlen(sp) + strlen(s->names[i]) >= sz) {
			/* "..." where the next name would have started */
			if (sz >= 4)
				memcpy(buf + (o + 4 <= sz ? o : sz - 4), "...", 4);
			break;
		}
		o += (size_t)snprintf(buf + o, sz - o, "%s%s", sp,
		    s->names[i]);
	}
	return buf;
}

void
nsset_free(struct nsset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->n = 0;
}
