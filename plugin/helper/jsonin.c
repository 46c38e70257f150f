/* jsonin.c -- strings, scalars and punctuation of a JSON document, each
 * bounded by the input and refused unless exactly right. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"

void
jsonin_init(struct jsonin *j, const char *text, size_t len,
    const char *prefix, struct mc_err *err)
{
	j->start = j->p = text;
	j->end = text + len;
	j->prefix = prefix;
	j->err = err;
}

enum mc_result
jsonin_fail(struct jsonin *j, const char *what)
{
	return mc_err_set(j->err, MC_E_USAGE, "%s: bad JSON input at byte "
	    "%ld: %s", j->prefix, (long)(j->p - j->start), what);
}

static void
skip_ws(struct jsonin *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

int
jsonin_end(struct jsonin *j)
{
	skip_ws(j);
	return j->p == j->end;
}

int
jsonin_eat(struct jsonin *j, char c)
{
	skip_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 1;
	}
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "\uXXXX" after the backslash and the u: UTF-8 into buf; bytes or -1 */
static int
unicode_escape(struct jsonin *j, char *buf)
{
	unsigned cp = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if (j->p >= j->end || (h = hex_digit(*j->p++)) < 0)
			return -1;
		cp = cp * 16 + (unsigned)h;
	}
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -2;
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	buf[0] = (char)(0xe0 | (cp >> 12));
	buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* the character after a backslash; bytes written to buf, or < 0 */
static int
escape(struct jsonin *j, char *buf)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	char c;

	if (j->p >= j->end)
		return -3;
	c = *j->p++;
	if (c == 'u')
		return unicode_escape(j, buf);
	if (c == '\0' || (k = strchr(from, c)) == NULL)
		return -3;
	buf[0] = to[k - from];
	return 1;
}

enum mc_result
jsonin_string(struct jsonin *j, char **out)
{
	char *buf;
	size_t n = 0;
	int w;

	*out = NULL;
	if (!jsonin_eat(j, '"'))
		return jsonin_fail(j, "expected a string");
	/* never longer than the rest of the input */
	if ((buf = malloc((size_t)(j->end - j->p) + 1)) == NULL)
		return mc_err_set(j->err, MC_E_NOMEM, "out of memory");
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		if (c < 0x20) {
			free(buf);
			return jsonin_fail(j, "control character in a string");
		}
		if (c != '\\') {
			buf[n++] = (char)c;
			continue;
		}
		if (j->p >= j->end)
			break;		/* a backslash at the very end */
		if ((w = escape(j, buf + n)) < 0) {
			free(buf);
			return jsonin_fail(j, w == -1 ? "bad \\u escape" :
			    w == -2 ? "\\u0000 or a surrogate" : "bad escape");
		}
		n += (size_t)w;
	}
	if (j->p >= j->end) {
		free(buf);
		return jsonin_fail(j, "unterminated string");
	}
	j->p++;
	buf[n] = '\0';
	*out = buf;
	return MC_OK;
}

enum mc_result
jsonin_scalar(struct jsonin *j, char **out)
{
	const char *s;

	*out = NULL;
	skip_ws(j);
	if (j->p < j->end && *j->p == '"')
		return jsonin_string(j, out);
	if (j->end - j->p >= 4 && !strncmp(j->p, "null", 4)) {
		j->p += 4;
		return MC_OK;	/* null: not given */
	}
	if (j->end - j->p >= 4 && !strncmp(j->p, "true", 4)) {
		j->p += 4;
		*out = strdup("yes");
	} else if (j->end - j->p >= 5 && !strncmp(j->p, "false", 5)) {
		j->p += 5;
		*out = strdup("no");
	} else {
		for (s = j->p; j->p < j->end && isdigit((unsigned char)*j->p);
		    j->p++)
			;
		if (j->p == s || j->p - s > 12)
			return jsonin_fail(j, "expected a string or a whole "
			    "number");
		*out = strndup(s, (size_t)(j->p - s));
	}
	if (*out == NULL)
		return mc_err_set(j->err, MC_E_NOMEM, "out of memory");
	return MC_OK;
}
