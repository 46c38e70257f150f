/* json.c -- streaming JSON writer with escaping of every string. */
#include "json.h"
#include "utf8.h"

void
json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = 1;
}

static void
put_string(FILE *f, const char *s)
{
	const unsigned char *p;
	size_t n;

	/*
	 * Never invalid UTF-8 (PHP's json_decode would return null and the
	 * UI would lose every result of the run): a byte that does not start
	 * a valid character becomes U+FFFD.
	 */
	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else if (*p < 0x80)
				fputc(*p, f);
			else if ((n = utf8_seq(p)) == 0)
				fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			else {
				/* a whole, valid character */
				fwrite(p, 1, n, f);
				p += n - 1;
			}
		}
	}
	fputc('"', f);
}

static void
member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (key != NULL) {
		put_string(j->f, key);
		fputc(':', j->f);
	}
}

static void
open_(struct json *j, const char *key, int c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = 1;
}

static void
close_(struct json *j, int c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_open(struct json *j, const char *k) { open_(j, k, '{'); }
void json_obj_close(struct json *j) { close_(j, '}'); }
void json_arr_open(struct json *j, const char *k) { open_(j, k, '['); }
void json_arr_close(struct json *j) { close_(j, ']'); }

void
json_str(struct json *j, const char *key, const char *v)
{
	member(j, key);
	if (v == NULL)
		fputs("null", j->f);
	else
		put_string(j->f, v);
}

void
json_num(struct json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void
json_bool(struct json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
json_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
