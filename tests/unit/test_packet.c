/* test_packet.c -- building request packets: order, escaping, refusals. */
#include "unit.h"

#include <libxml/parser.h>

#define V "1.6.9.1"
#define PKT(body) "<packet version=\"" V "\">" body "</packet>"

/* Build a batch of one op with version V and compare with want. */
static void
expect_one(struct batch *b, const char *want)
{
	char *got = unit_build_body(b, 0, b->n, V);

	assert_string_equal(got, want);
	free(got);
}

static void
expect_refused(struct batch *b, const char *needle)
{
	struct packet *p = (struct packet *)0x1;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(batch_build(b, 0, b->n, V, &p, &err), MC_E_REFUSED);
	assert_null(p);
	assert_int_equal(err.code, MC_E_REFUSED);
	if (needle != NULL)
		assert_contains(err.msg, needle);
}

static void
test_server_protos(void **state)
{
	struct batch *b = batch_new();

	(void)state;
	unit_add(b, OP_SERVER_PROTOS, NULL, 0);
	expect_one(b, PKT("<server><get_protos/></server>"));
	batch_free(b);
}

static void
test_server_info(void **state)
{
	struct batch *b = batch_new();

	(void)state;
	unit_add(b, OP_SERVER_INFO, NULL, 0);
	expect_one(b, PKT("<server><get><gen_info/><stat/></get></server>"));
	batch_free(b);
}

static void
test_by_name(void **state)
{
	static const struct {
		enum op_kind kind;
		const char *want;
	} cases[] = {
		{ OP_WEBSPACE_BY_NAME, PKT("<webspace><get><filter><name>"
		    "example.com</name></filter><dataset><gen_info/></dataset>"
		    "</get></webspace>") },
		{ OP_SITE_BY_NAME, PKT("<site><get><filter><name>example.com"
		    "</name></filter><dataset><gen_info/></dataset></get>"
		    "</site>") },
		{ OP_SUBDOMAIN_BY_NAME, PKT("<subdomain><get><filter><name>"
		    "example.com</name></filter></get></subdomain>") },
		{ OP_ALIAS_BY_NAME, PKT("<site-alias><get><filter><name>"
		    "example.com</name></filter></get></site-alias>") },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct batch *b = batch_new();
		struct op *o = unit_add(b, cases[i].kind, NULL, 0);
		unit_set_name(o, "example.com");
		expect_one(b, cases[i].want);
		batch_free(b);
	}
}

static void
test_by_name_empty_refused(void **state)
{
	enum op_kind k;

	(void)state;
	for (k = OP_WEBSPACE_BY_NAME; k <= OP_ALIAS_BY_NAME; k++) {
		struct batch *b = batch_new();
		struct op *o = unit_add(b, k, NULL, 0);
		expect_refused(b, "empty name");
		unit_set_name(o, "");
		expect_refused(b, "empty name");
		batch_free(b);
	}
}

static void
test_get_rec(void **state)
{
	const unsigned long ids[] = { 12, 13, 4000000000UL };
	struct batch *b;
	struct op *o;

	(void)state;
	b = batch_new();
	unit_add(b, OP_DNS_GET_REC, ids, 3);
	expect_one(b, PKT("<dns><get_rec><filter><site-id>12</site-id>"
	    "<site-id>13</site-id><site-id>4000000000</site-id></filter>"
	    "</get_rec></dns>"));
	batch_free(b);

	b = batch_new();
	o = unit_add(b, OP_DNS_GET_REC, ids, 1);
	o->by_record_id = 1;
	expect_one(b, PKT("<dns><get_rec><filter><id>12</id></filter>"
	    "</get_rec></dns>"));
	batch_free(b);

	b = batch_new();
	o = unit_add(b, OP_DNS_GET_REC, ids, 2);
	o->alias = 1;
	expect_one(b, PKT("<dns><get_rec><filter><site-alias-id>12"
	    "</site-alias-id><site-alias-id>13</site-alias-id></filter>"
	    "</get_rec></dns>"));
	batch_free(b);
}

static void
test_add_rec(void **state)
{
	struct batch *b = batch_new();
	struct op *o;

	(void)state;
	o = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o->rec.site_id = 12;
	o->rec.type = strdup("MX");
	o->rec.host = strdup("");
	o->rec.value = strdup("mx1.example.net");
	o->rec.opt = strdup("10");
	o = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o->rec.site_id = 7;
	o->rec.alias = 1;
	o->rec.type = strdup("A");
	o->rec.host = strdup("www");
	o->rec.value = strdup("192.0.2.1");
	o->rec.opt = strdup("");	/* empty opt: left out */
	o = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o->rec.site_id = 12;
	o->rec.type = strdup("A");
	o->rec.value = strdup("192.0.2.2");	/* NULL host: apex */
	expect_one(b, PKT("<dns>"
	    "<add_rec><site-id>12</site-id><type>MX</type><host></host>"
	    "<value>mx1.example.net</value><opt>10</opt></add_rec>"
	    "<add_rec><site-alias-id>7</site-alias-id><type>A</type>"
	    "<host>www</host><value>192.0.2.1</value></add_rec>"
	    "<add_rec><site-id>12</site-id><type>A</type><host></host>"
	    "<value>192.0.2.2</value></add_rec>"
	    "</dns>"));
	batch_free(b);
}

static void
test_add_rec_refused(void **state)
{
	struct batch *b = batch_new();
	struct op *o;

	(void)state;
	o = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o->rec.type = strdup("A");
	o->rec.host = strdup("www");
	o->rec.value = strdup("192.0.2.1");
	expect_refused(b, "without site-id");
	o->rec.site_id = 3;
	free(o->rec.type);
	o->rec.type = NULL;
	expect_refused(b, "type and value");
	o->rec.type = strdup("A");
	free(o->rec.value);
	o->rec.value = NULL;
	expect_refused(b, "type and value");
	batch_free(b);
}

static void
test_del_rec(void **state)
{
	const unsigned long ids[] = { 101, 999 };
	struct batch *b = batch_new();
	struct op *o;

	(void)state;
	o = unit_add(b, OP_DNS_DEL_REC, ids, 2);
	o->alias = 1;	/* ignored: del_rec filters on record ids only */
	expect_one(b, PKT("<dns><del_rec><filter><id>101</id><id>999</id>"
	    "</filter></del_rec></dns>"));
	batch_free(b);
}

static void
test_dns_get_set(void **state)
{
	const unsigned long ids[] = { 1, 2 };
	struct batch *b;
	struct op *o;

	(void)state;
	b = batch_new();
	o = unit_add(b, OP_DNS_GET, ids, 1);
	o->with_soa = 1;
	o = unit_add(b, OP_DNS_GET, ids, 2);
	o->alias = 1;
	expect_one(b, PKT("<dns><get><filter><site-id>1</site-id></filter>"
	    "<soa/></get><get><filter><site-alias-id>1</site-alias-id>"
	    "<site-alias-id>2</site-alias-id></filter></get></dns>"));
	batch_free(b);

	b = batch_new();
	o = unit_add(b, OP_DNS_SET, ids, 2);
	o->soa.set = SOA_TTL | SOA_REFRESH | SOA_RETRY | SOA_EXPIRE |
	    SOA_MINIMUM;
	o->soa.ttl = 3600;
	o->soa.refresh = 10800;
	o->soa.retry = 1800;
	o->soa.expire = 604800;
	o->soa.minimum = 300;
	o = unit_add(b, OP_DNS_SET, ids + 1, 1);
	o->soa.set = SOA_MINIMUM | SOA_TTL;
	o->soa.ttl = 60;
	o->soa.minimum = 61;
	o->soa.retry = 99;	/* not in set: not sent */
	expect_one(b, PKT("<dns><set><filter><site-id>1</site-id><site-id>2"
	    "</site-id></filter><soa><ttl>3600</ttl><refresh>10800</refresh>"
	    "<retry>1800</retry><expire>604800</expire><minimum>300</minimum>"
	    "</soa></set><set><filter><site-id>2</site-id></filter><soa>"
	    "<ttl>60</ttl><minimum>61</minimum></soa></set></dns>"));
	batch_free(b);

	/* a set with no SOA value at all is refused */
	b = batch_new();
	unit_add(b, OP_DNS_SET, ids, 1);
	expect_refused(b, "no SOA value");
	batch_free(b);
}

static void
test_enable_disable_prefs(void **state)
{
	const unsigned long ids[] = { 12, 14 };
	struct batch *b = batch_new();
	struct op *o;

	(void)state;
	unit_add(b, OP_DNS_ENABLE, ids, 2);
	o = unit_add(b, OP_DNS_DISABLE, ids, 1);
	o->alias = 1;
	o = unit_add(b, OP_MAIL_GET_PREFS, ids, 2);
	o->alias = 1;	/* mail has site-id only */
	expect_one(b, PKT("<dns><enable><filter><site-id>12</site-id>"
	    "<site-id>14</site-id></filter></enable><disable><filter>"
	    "<site-alias-id>12</site-alias-id></filter></disable></dns>"
	    "<mail><get_prefs><filter><site-id>12</site-id><site-id>14"
	    "</site-id></filter></get_prefs></mail>"));
	batch_free(b);
}

static void
test_mail_ops(void **state)
{
	const unsigned long ids[] = { 12 };
	struct batch *b = batch_new();

	(void)state;
	unit_add(b, OP_MAIL_ENABLE, ids, 1);
	unit_add(b, OP_MAIL_DISABLE, ids, 1);
	unit_add(b, OP_MAIL_GET_INFO, ids, 1);
	expect_one(b, PKT("<mail><enable><site-id>12</site-id></enable>"
	    "<disable><site-id>12</site-id></disable><get_info><filter>"
	    "<site-id>12</site-id></filter><mailbox/><mailbox-usage/><forwarding/><aliases/>"
	    "</get_info></mail>"));
	batch_free(b);
}

/* Empty filters select everything on Plesk: refused for every kind. */
static void
test_empty_filter_refused(void **state)
{
	static const enum op_kind kinds[] = { OP_DNS_DEL_REC, OP_DNS_GET_REC,
	    OP_DNS_GET, OP_DNS_SET, OP_DNS_ENABLE, OP_DNS_DISABLE,
	    OP_MAIL_GET_PREFS };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct batch *b = batch_new();
		struct op *o = unit_add(b, kinds[i], NULL, 0);
		o->soa.set = SOA_TTL;
		o->soa.ttl = 60;
		expect_refused(b, "empty filter");
		batch_free(b);
	}
}

static void
test_id_zero_refused(void **state)
{
	static const enum op_kind kinds[] = { OP_DNS_DEL_REC, OP_DNS_GET_REC,
	    OP_DNS_GET, OP_DNS_SET, OP_DNS_ENABLE, OP_DNS_DISABLE,
	    OP_MAIL_GET_PREFS, OP_MAIL_ENABLE, OP_MAIL_DISABLE,
	    OP_MAIL_GET_INFO };
	const unsigned long one[] = { 0 }, some[] = { 5, 0, 6 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct batch *b = batch_new();
		struct op *o = unit_add(b, kinds[i], one, 1);
		o->soa.set = SOA_TTL;
		expect_refused(b, NULL);
		assert_int_equal(op_set_ids(o, some, 3), MC_OK);
		expect_refused(b, NULL);
		batch_free(b);
	}
}

static void
test_mail_one_id(void **state)
{
	static const enum op_kind kinds[] = { OP_MAIL_ENABLE, OP_MAIL_DISABLE,
	    OP_MAIL_GET_INFO };
	const unsigned long two[] = { 5, 6 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct batch *b = batch_new();
		struct op *o = unit_add(b, kinds[i], NULL, 0);
		expect_refused(b, "exactly one site-id");
		assert_int_equal(op_set_ids(o, two, 2), MC_OK);
		expect_refused(b, "exactly one site-id");
		batch_free(b);
	}
}

/* One refused op fails the whole packet: nothing gets sent. */
static void
test_refusal_fails_packet(void **state)
{
	const unsigned long ids[] = { 12 };
	struct batch *b = batch_new();

	(void)state;
	unit_add(b, OP_DNS_GET_REC, ids, 1);
	unit_add(b, OP_DNS_DEL_REC, NULL, 0);
	unit_add(b, OP_DNS_GET_REC, ids, 1);
	expect_refused(b, "del_rec");
	batch_free(b);
}

static void
test_batch_ranges(void **state)
{
	const unsigned long ids[] = { 12 };
	struct batch *b = batch_new();
	struct packet *p = NULL;
	struct mc_err err;
	char *s;

	(void)state;
	unit_add(b, OP_DNS_GET_REC, ids, 1);
	unit_add(b, OP_MAIL_ENABLE, ids, 1);
	unit_add(b, OP_DNS_DEL_REC, NULL, 0);	/* refused if built */
	/* a sub-range builds only its own ops */
	s = unit_build_body(b, 1, 1, V);
	assert_string_equal(s, PKT("<mail><enable><site-id>12</site-id>"
	    "</enable></mail>"));
	free(s);
	mc_err_clear(&err);
	assert_int_equal(batch_build(b, 0, 0, V, &p, &err), MC_E_REFUSED);
	assert_null(p);
	assert_int_equal(batch_build(b, 2, 2, V, &p, &err), MC_E_REFUSED);
	assert_null(p);
	assert_int_equal(batch_build(b, 4, 1, V, &p, &err), MC_E_REFUSED);
	assert_null(p);
	assert_int_equal(batch_build(b, 0, 2, V, &p, &err), MC_OK);
	assert_non_null(p);
	assert_int_equal(p->nops, 2);
	packet_free(p);
	batch_free(b);
}

/* Consecutive ops of one operator share one operator element. */
static void
test_operator_sharing(void **state)
{
	const unsigned long ids[] = { 12 };
	struct batch *b = batch_new();
	struct packet *p = NULL;
	struct mc_err err;
	struct op *o;
	char *s;

	(void)state;
	o = unit_add(b, OP_DNS_DEL_REC, ids, 1);
	o = unit_add(b, OP_DNS_GET_REC, ids, 1);
	unit_add(b, OP_MAIL_GET_PREFS, ids, 1);
	unit_add(b, OP_MAIL_ENABLE, ids, 1);
	o = unit_add(b, OP_DNS_GET, ids, 1);
	unit_add(b, OP_SERVER_PROTOS, NULL, 0);
	o = unit_add(b, OP_SITE_BY_NAME, NULL, 0);
	unit_set_name(o, "a.example");
	o = unit_add(b, OP_SITE_BY_NAME, NULL, 0);
	unit_set_name(o, "b.example");
	s = unit_build_body(b, 0, b->n, V);
	assert_string_equal(s, PKT("<dns><del_rec><filter><id>12</id>"
	    "</filter></del_rec><get_rec><filter><site-id>12</site-id>"
	    "</filter></get_rec></dns><mail><get_prefs><filter><site-id>12"
	    "</site-id></filter></get_prefs><enable><site-id>12</site-id>"
	    "</enable></mail><dns><get><filter><site-id>12</site-id>"
	    "</filter></get></dns><server><get_protos/></server><site><get>"
	    "<filter><name>a.example</name></filter><dataset><gen_info/>"
	    "</dataset></get><get><filter><name>b.example</name></filter>"
	    "<dataset><gen_info/></dataset></get></site>"));
	free(s);
	mc_err_clear(&err);
	assert_int_equal(batch_build(b, 0, b->n, V, &p, &err), MC_OK);
	assert_int_equal(p->nops, b->n);
	packet_free(p);
	batch_free(b);
}

static void
test_version_attribute(void **state)
{
	struct batch *b = batch_new();
	char *s;

	(void)state;
	unit_add(b, OP_SERVER_PROTOS, NULL, 0);
	s = unit_build_body(b, 0, 1, NULL);
	assert_string_equal(s, "<packet><server><get_protos/></server>"
	    "</packet>");
	free(s);
	s = unit_build_body(b, 0, 1, "1.6.3.0");
	assert_string_equal(s, "<packet version=\"1.6.3.0\"><server>"
	    "<get_protos/></server></packet>");
	free(s);
	batch_free(b);
}

/* Text of the first element called name anywhere below n. */
static char *
find_text(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;
	char *t;

	for (c = n; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, BAD_CAST name) == 0)
			return (char *)xmlNodeGetContent(c);
		if ((t = find_text(c->children, name)) != NULL)
			return t;
	}
	return NULL;
}

static void
test_escaping(void **state)
{
	static const char txt[] = "v=DKIM1; k=rsa; p=A&B<C>\"D\"'E' &amp;";
	static const char login[] = "o'brien&co<\"x\">@b\xc3\xbc" "cher.example";
	struct batch *b = batch_new();
	struct packet *p = NULL;
	struct mc_err err;
	struct op *o;
	xmlDocPtr d;
	char *s, *t;

	(void)state;
	o = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o->rec.site_id = 1;
	o->rec.type = strdup("TXT");
	o->rec.host = strdup("_dmarc<&>");
	o->rec.value = strdup(txt);
	o = unit_add(b, OP_WEBSPACE_BY_NAME, NULL, 0);
	unit_set_name(o, login);
	s = unit_build_body(b, 0, 2, V);
	assert_string_equal(s, PKT("<dns><add_rec><site-id>1</site-id>"
	    "<type>TXT</type><host>_dmarc&lt;&amp;&gt;</host>"
	    "<value>v=DKIM1; k=rsa; p=A&amp;B&lt;C&gt;\"D\"'E' &amp;amp;"
	    "</value></add_rec></dns><webspace><get><filter><name>"
	    "o'brien&amp;co&lt;\"x\"&gt;@b\xc3\xbc" "cher.example</name>"
	    "</filter><dataset><gen_info/></dataset></get></webspace>"));
	free(s);

	/* and it round-trips through a parser unchanged */
	mc_err_clear(&err);
	assert_int_equal(batch_build(b, 0, 2, V, &p, &err), MC_OK);
	s = unit_serialize(p);
	packet_free(p);
	d = xmlReadMemory(s, (int)strlen(s), "p.xml", NULL, XML_PARSE_NONET);
	assert_non_null(d);
	t = find_text(xmlDocGetRootElement(d), "value");
	assert_non_null(t);
	assert_string_equal(t, txt);
	xmlFree(t);
	t = find_text(xmlDocGetRootElement(d), "name");
	assert_non_null(t);
	assert_string_equal(t, login);
	xmlFree(t);
	t = find_text(xmlDocGetRootElement(d), "host");
	assert_string_equal(t, "_dmarc<&>");
	xmlFree(t);
	xmlFreeDoc(d);
	free(s);
	batch_free(b);
}

static void
test_op_names(void **state)
{
	(void)state;
	assert_string_equal(op_operator(OP_ALIAS_BY_NAME), "site-alias");
	assert_string_equal(op_operation(OP_DNS_ADD_REC), "add_rec");
	assert_string_equal(op_operator(OP_MAIL_GET_INFO), "mail");
	assert_string_equal(op_operation(OP_MAIL_GET_INFO), "get_info");
	assert_string_equal(op_operator(OP__MAX), "?");
	assert_string_equal(op_operation((enum op_kind)-1), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_protos),
		cmocka_unit_test(test_server_info),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_by_name_empty_refused),
		cmocka_unit_test(test_get_rec),
		cmocka_unit_test(test_add_rec),
		cmocka_unit_test(test_add_rec_refused),
		cmocka_unit_test(test_del_rec),
		cmocka_unit_test(test_dns_get_set),
		cmocka_unit_test(test_enable_disable_prefs),
		cmocka_unit_test(test_mail_ops),
		cmocka_unit_test(test_empty_filter_refused),
		cmocka_unit_test(test_id_zero_refused),
		cmocka_unit_test(test_mail_one_id),
		cmocka_unit_test(test_refusal_fails_packet),
		cmocka_unit_test(test_batch_ranges),
		cmocka_unit_test(test_operator_sharing),
		cmocka_unit_test(test_version_attribute),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_op_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
