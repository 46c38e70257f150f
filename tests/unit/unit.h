/* unit.h -- shared helpers for the cmocka unit tests (header only). */
#ifndef MC_UNIT_H
#define MC_UNIT_H

#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "err.h"
#include "op.h"
#include "packet.h"
#include "response.h"

#define UNIT_UNUSED __attribute__((unused))

/* Read a whole file into a NUL-terminated malloc'd buffer; NULL if absent. */
static UNIT_UNUSED char *
unit_read_file(const char *path, size_t *lenp)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, len = 0, r;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* Write a file with the given mode (after creation, so umask does not apply). */
static UNIT_UNUSED void
unit_write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (len > 0)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Parse an XML reply string that must parse; fails the test otherwise. */
static UNIT_UNUSED struct response *
unit_parse(const char *xml)
{
	struct response *r = NULL;
	struct mc_err err;
	enum mc_result rc;

	mc_err_clear(&err);
	rc = response_parse(xml, strlen(xml), &r, &err);
	if (rc != MC_OK)
		fail_msg("response_parse failed (%s): %s", mc_strerror(rc),
		    err.msg);
	assert_non_null(r);
	return r;
}

/* Serialize a packet; returns a malloc'd NUL-terminated copy. */
static UNIT_UNUSED char *
unit_serialize(const struct packet *p)
{
	xmlChar *buf = NULL;
	int len = 0;
	struct mc_err err;
	char *s;

	mc_err_clear(&err);
	assert_int_equal(packet_serialize(p, &buf, &len, &err), MC_OK);
	assert_non_null(buf);
	assert_true(len > 0);
	s = malloc((size_t)len + 1);
	assert_non_null(s);
	memcpy(s, buf, (size_t)len);
	s[len] = '\0';
	xmlFree(buf);
	return s;
}

/*
 * Build ops [from, from+n) of b and serialize; returns the text after the
 * XML declaration line with the trailing newline removed (malloc'd).
 */
static UNIT_UNUSED char *
unit_build_body(const struct batch *b, size_t from, size_t n,
    const char *version)
{
	struct packet *p = NULL;
	struct mc_err err;
	enum mc_result rc;
	char *s, *body, *nl;
	size_t len;

	mc_err_clear(&err);
	rc = batch_build(b, from, n, version, &p, &err);
	if (rc != MC_OK)
		fail_msg("batch_build failed (%s): %s", mc_strerror(rc),
		    err.msg);
	s = unit_serialize(p);
	packet_free(p);
	assert_true(strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
	    39) == 0);
	body = strdup(s + 39);
	assert_non_null(body);
	free(s);
	len = strlen(body);
	while (len > 0 && body[len - 1] == '\n')
		body[--len] = '\0';
	nl = strchr(body, '\n');
	assert_null(nl);
	return body;
}

/* An op with ids set; asserts on ENOMEM. */
static UNIT_UNUSED struct op *
unit_add(struct batch *b, enum op_kind kind, const unsigned long *ids,
    size_t n)
{
	struct op *o = batch_add(b, kind);

	assert_non_null(o);
	if (n > 0)
		assert_int_equal(op_set_ids(o, ids, n), MC_OK);
	return o;
}

static UNIT_UNUSED void
unit_set_name(struct op *o, const char *name)
{
	free(o->name);
	o->name = strdup(name);
	assert_non_null(o->name);
}

/*
 * Correlate a canned reply with all ops of b; returns batch_take_reply's
 * result. The response is freed.
 */
static UNIT_UNUSED enum mc_result
unit_take(struct batch *b, const char *xml)
{
	struct response *r = unit_parse(xml);	/* the reply is valid */
	struct mc_err err;
	enum mc_result rc;

	response_free(r);
	/* the path the client takes: the streamed correlation */
	mc_err_clear(&err);
	rc = batch_take_reply(b, 0, b->n, xml, strlen(xml), NULL, &err);
	return rc;
}

/* Folder of the Plesk XSDs: $PLESK_XSD_DIR, else ../shared/plesk-xsd. */
static UNIT_UNUSED const char *
unit_xsd_dir(void)
{
	const char *d = getenv("PLESK_XSD_DIR");

	return (d != NULL && *d != '\0') ? d : "../shared/plesk-xsd";
}

/* A fresh temporary directory (malloc'd path). */
static UNIT_UNUSED char *
unit_mkdtemp(void)
{
	char tmpl[] = "/tmp/mc-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	d = strdup(d);
	assert_non_null(d);
	return d;
}

/* Join dir and name into a malloc'd path. */
static UNIT_UNUSED char *
unit_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Assert that haystack contains needle, printing both when it does not. */
#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("expected \"%s\" in \"%s\"", n_,		\
		    h_ ? h_ : "(null)");				\
} while (0)

#define assert_not_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ != NULL && strstr(h_, n_) != NULL)			\
		fail_msg("did not expect \"%s\" in \"%s\"", n_, h_);	\
} while (0)

#endif
