/* test_conformance.c -- every packet the library builds is valid per agent_input.xsd. */
#include "unit.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

struct xsd {
	char		 dir[1024];
	int		 absent;	/* folder or agent_input.xsd missing */
	xmlSchemaPtr	 schema;	/* NULL if it did not parse */
	char		 perr[1024];	/* why it did not parse */
};

static char verr[4096];

#if LIBXML_VERSION >= 21200
#define UNIT_XMLERR const xmlError *
#else
#define UNIT_XMLERR xmlErrorPtr
#endif

static void
collect(void *ctx, UNIT_XMLERR e)
{
	size_t n = strlen(verr);

	(void)ctx;
	if (e != NULL && e->message != NULL && n + 1 < sizeof(verr))
		snprintf(verr + n, sizeof(verr) - n, "line %d: %s", e->line,
		    e->message);
}

static int
group_setup(void **state)
{
	struct xsd *x = calloc(1, sizeof(*x));
	xmlSchemaParserCtxtPtr pc;
	char path[1100];
	struct stat st;

	if (x == NULL)
		return -1;
	snprintf(x->dir, sizeof(x->dir), "%s", unit_xsd_dir());
	snprintf(path, sizeof(path), "%s/agent_input.xsd", x->dir);
	if (stat(x->dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    stat(path, &st) == -1) {
		x->absent = 1;
		*state = x;
		return 0;
	}
	verr[0] = '\0';
	if ((pc = xmlSchemaNewParserCtxt(path)) != NULL) {
		xmlSchemaSetParserStructuredErrors(pc, collect, NULL);
		x->schema = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	if (x->schema == NULL)
		snprintf(x->perr, sizeof(x->perr), "%.300s: %.700s", path, verr);
	*state = x;
	return 0;
}

static int
group_teardown(void **state)
{
	struct xsd *x = *state;

	if (x != NULL) {
		if (x->schema != NULL)
			xmlSchemaFree(x->schema);
		free(x);
	}
	return 0;
}

/* Fail when the XSD folder is absent (the XSDs are required: a skipped
 * conformance test proves nothing) or the schema is broken. */
static struct xsd *
need_schema(void **state)
{
	struct xsd *x = *state;

	if (x->absent)
		fail_msg("XSD folder %s is absent (set PLESK_XSD_DIR): the "
		    "Plesk XSDs are required", x->dir);
	if (x->schema == NULL)
		fail_msg("cannot parse the Plesk XSD: %s", x->perr);
	return x;
}

/* 0 if text is valid against the schema; verr holds the reasons. */
static int
validate_text(const struct xsd *x, const char *text)
{
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr d;
	int rc;

	verr[0] = '\0';
	d = xmlReadMemory(text, (int)strlen(text), "packet.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d == NULL) {
		snprintf(verr, sizeof(verr), "not well-formed");
		return -1;
	}
	vc = xmlSchemaNewValidCtxt(x->schema);
	assert_non_null(vc);
	xmlSchemaSetValidStructuredErrors(vc, collect, NULL);
	rc = xmlSchemaValidateDoc(vc, d);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(d);
	return rc;
}

/* Build the whole batch with and without a version; both must validate. */
static void
expect_valid(const struct xsd *x, struct batch *b)
{
	static const char *const versions[] = { "1.6.9.1", "1.6.3.0", NULL };
	struct packet *p;
	struct mc_err err;
	size_t i;
	char *s;

	for (i = 0; i < 3; i++) {
		mc_err_clear(&err);
		p = NULL;
		if (batch_build(b, 0, b->n, versions[i], &p, &err) != MC_OK)
			fail_msg("batch_build: %s", err.msg);
		s = unit_serialize(p);
		packet_free(p);
		if (validate_text(x, s) != 0)
			fail_msg("packet rejected by agent_input.xsd:\n%s\n%s",
			    s, verr);
		free(s);
	}
}

static struct op *
add_rec(struct batch *b, unsigned long site, int alias, const char *type,
    const char *host, const char *value, const char *opt)
{
	struct op *o = unit_add(b, OP_DNS_ADD_REC, NULL, 0);

	o->rec.site_id = site;
	o->rec.alias = alias;
	o->rec.type = strdup(type);
	o->rec.host = host ? strdup(host) : NULL;
	o->rec.value = strdup(value);
	o->rec.opt = opt ? strdup(opt) : NULL;
	return o;
}

static void
test_server(void **state)
{
	const struct xsd *x = need_schema(state);
	struct batch *b = batch_new();

	unit_add(b, OP_SERVER_PROTOS, NULL, 0);
	expect_valid(x, b);
	batch_free(b);
	b = batch_new();
	unit_add(b, OP_SERVER_INFO, NULL, 0);
	expect_valid(x, b);
	batch_free(b);
}

static void
test_by_name(void **state)
{
	const struct xsd *x = need_schema(state);
	enum op_kind k;

	for (k = OP_WEBSPACE_BY_NAME; k <= OP_ALIAS_BY_NAME; k++) {
		struct batch *b = batch_new();
		struct op *o = unit_add(b, k, NULL, 0);
		unit_set_name(o, "xn--bcher-kva.example");
		o = unit_add(b, k, NULL, 0);
		unit_set_name(o, "a&b<c>.example");
		expect_valid(x, b);
		batch_free(b);
	}
}

static void
test_get_rec(void **state)
{
	const struct xsd *x = need_schema(state);
	const unsigned long ids[] = { 1, 2, 3 };
	struct batch *b = batch_new();
	struct op *o;

	unit_add(b, OP_DNS_GET_REC, ids, 3);
	o = unit_add(b, OP_DNS_GET_REC, ids, 2);
	o->by_record_id = 1;
	o = unit_add(b, OP_DNS_GET_REC, ids, 1);
	o->alias = 1;
	expect_valid(x, b);
	batch_free(b);
}

static void
test_add_rec(void **state)
{
	const struct xsd *x = need_schema(state);
	struct batch *b = batch_new();

	add_rec(b, 12, 0, "MX", "", "mx1.example.net", "10");
	add_rec(b, 12, 0, "A", "www", "192.0.2.1", NULL);
	add_rec(b, 12, 0, "AAAA", NULL, "2001:db8::1", "");
	add_rec(b, 7, 1, "TXT", "_dmarc", "v=DMARC1; p=none; a&b<c>\"'",
	    NULL);
	add_rec(b, 12, 0, "CNAME", "ftp", "example.com.", NULL);
	add_rec(b, 12, 0, "NS", "sub", "ns1.example.com.", NULL);
	add_rec(b, 12, 0, "SRV", "_sip._tcp", "sip.example.com.",
	    "10 5 5060");
	add_rec(b, 12, 0, "PTR", "1", "host.example.com.", "24");
	expect_valid(x, b);
	batch_free(b);
}

static void
test_del_rec(void **state)
{
	const struct xsd *x = need_schema(state);
	const unsigned long ids[] = { 101, 102 };
	struct batch *b = batch_new();

	unit_add(b, OP_DNS_DEL_REC, ids, 1);
	unit_add(b, OP_DNS_DEL_REC, ids, 2);
	expect_valid(x, b);
	batch_free(b);
}

static void
test_dns_get_set(void **state)
{
	const struct xsd *x = need_schema(state);
	const unsigned long ids[] = { 1, 2 };
	struct batch *b = batch_new();
	struct op *o;

	o = unit_add(b, OP_DNS_GET, ids, 2);
	o->with_soa = 1;
	o = unit_add(b, OP_DNS_GET, ids, 1);
	o = unit_add(b, OP_DNS_GET, ids, 2);
	o->alias = 1;
	o->with_soa = 1;
	o = unit_add(b, OP_DNS_SET, ids, 2);
	o->soa.set = SOA_TTL | SOA_REFRESH | SOA_RETRY | SOA_EXPIRE |
	    SOA_MINIMUM;
	o->soa.ttl = 86400;
	o->soa.refresh = 10800;
	o->soa.retry = 3600;
	o->soa.expire = 604800;
	o->soa.minimum = 10800;
	o = unit_add(b, OP_DNS_SET, ids, 1);
	o->alias = 1;
	o->soa.set = SOA_MINIMUM;
	o->soa.minimum = 300;
	expect_valid(x, b);
	batch_free(b);
}

static void
test_enable_disable(void **state)
{
	const struct xsd *x = need_schema(state);
	const unsigned long ids[] = { 1, 2 };
	struct batch *b = batch_new();
	struct op *o;

	unit_add(b, OP_DNS_ENABLE, ids, 2);
	unit_add(b, OP_DNS_DISABLE, ids, 1);
	o = unit_add(b, OP_DNS_ENABLE, ids, 1);
	o->alias = 1;
	o = unit_add(b, OP_DNS_DISABLE, ids, 2);
	o->alias = 1;
	expect_valid(x, b);
	batch_free(b);
}

static void
test_mail(void **state)
{
	const struct xsd *x = need_schema(state);
	const unsigned long ids[] = { 1, 2 };
	struct batch *b = batch_new();
	struct op *o;

	unit_add(b, OP_MAIL_GET_PREFS, ids, 2);
	o = unit_add(b, OP_MAIL_GET_PREFS, ids, 1);
	o->alias = 1;
	unit_add(b, OP_MAIL_ENABLE, ids, 1);
	unit_add(b, OP_MAIL_DISABLE, ids + 1, 1);
	unit_add(b, OP_MAIL_GET_INFO, ids, 1);
	expect_valid(x, b);
	batch_free(b);
}

/* Every kind in one packet, operators interleaved. */
static void
test_mixed_packet(void **state)
{
	const struct xsd *x = need_schema(state);
	const unsigned long ids[] = { 5 };
	struct batch *b = batch_new();
	struct op *o;
	enum op_kind k;

	for (k = 0; k < OP__MAX; k++) {
		o = unit_add(b, k, NULL, 0);
		switch (k) {
		case OP_WEBSPACE_BY_NAME:
		case OP_SITE_BY_NAME:
		case OP_SUBDOMAIN_BY_NAME:
		case OP_ALIAS_BY_NAME:
			unit_set_name(o, "example.com");
			break;
		case OP_DNS_ADD_REC:
			o->rec.site_id = 5;
			o->rec.type = strdup("A");
			o->rec.value = strdup("192.0.2.9");
			break;
		case OP_SERVER_PROTOS:
		case OP_SERVER_INFO:
			break;
		default:
			assert_int_equal(op_set_ids(o, ids, 1), MC_OK);
			o->soa.set = SOA_TTL;
			o->soa.ttl = 60;
			o->with_soa = 1;
			break;
		}
	}
	/* and once more, so operators repeat further down the packet */
	unit_add(b, OP_SERVER_PROTOS, NULL, 0);
	unit_add(b, OP_DNS_DEL_REC, ids, 1);
	expect_valid(x, b);
	batch_free(b);
}

/* Negative controls: the validator must really validate. */
static void
test_rejects_bad_order(void **state)
{
	const struct xsd *x = need_schema(state);

	assert_int_equal(validate_text(x, "<packet version=\"1.6.9.1\"><dns>"
	    "<add_rec><site-id>1</site-id><type>A</type><host>www</host>"
	    "<value>192.0.2.1</value></add_rec></dns></packet>"), 0);
	/* type before site-id */
	assert_int_not_equal(validate_text(x, "<packet version=\"1.6.9.1\">"
	    "<dns><add_rec><type>A</type><site-id>1</site-id><host>www</host>"
	    "<value>192.0.2.1</value></add_rec></dns></packet>"), 0);
	assert_contains(verr, "not expected");
	/* value before host */
	assert_int_not_equal(validate_text(x, "<packet><dns><add_rec>"
	    "<site-id>1</site-id><type>A</type><value>192.0.2.1</value>"
	    "<host>www</host></add_rec></dns></packet>"), 0);
	/* mixed filter kinds */
	assert_int_not_equal(validate_text(x, "<packet><dns><get_rec><filter>"
	    "<site-id>1</site-id><id>2</id></filter></get_rec></dns>"
	    "</packet>"), 0);
	/* mail get_info flags out of order */
	assert_int_not_equal(validate_text(x, "<packet><mail><get_info>"
	    "<filter><site-id>1</site-id></filter><aliases/><mailbox/>"
	    "</get_info></mail></packet>"), 0);
	/* webspace get without the required dataset */
	assert_int_not_equal(validate_text(x, "<packet><webspace><get>"
	    "<filter><name>a.example</name></filter></get></webspace>"
	    "</packet>"), 0);
	/* unknown operation */
	assert_int_not_equal(validate_text(x, "<packet><dns><update_rec/>"
	    "</dns></packet>"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_get_rec),
		cmocka_unit_test(test_add_rec),
		cmocka_unit_test(test_del_rec),
		cmocka_unit_test(test_dns_get_set),
		cmocka_unit_test(test_enable_disable),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_mixed_packet),
		cmocka_unit_test(test_rejects_bad_order),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
