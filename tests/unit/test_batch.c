/* test_batch.c -- correlating canned replies with queued operations. */
#include "unit.h"

#include "host.h"
#include "proto.h"

#define R(xml) "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<packet version=\"1.6.9.1\">" xml "</packet>"
#define OK "<status>ok</status>"
#define ERR(code, text) "<status>error</status><errcode>" #code \
	"</errcode><errtext>" text "</errtext>"

/* One op of kind with ids in a fresh batch. */
static struct batch *
one(enum op_kind kind, const unsigned long *ids, size_t n, struct op **op)
{
	struct batch *b = batch_new();

	assert_non_null(b);
	*op = unit_add(b, kind, ids, n);
	return b;
}

/* Take a reply that lines up: the correlation must return MC_OK. */
static void
take_ok(struct batch *b, const char *xml)
{
	size_t i;

	assert_int_equal(unit_take(b, xml), MC_OK);
	for (i = 0; i < b->n; i++)
		assert_int_equal(b->ops[i]->sent, 1);
}

static void
expect_result(const struct op *o, enum mc_result want)
{
	if (o->result != want)
		fail_msg("%s %s: result %s (%s), wanted %s",
		    op_operator(o->kind), op_operation(o->kind),
		    mc_strerror(o->result), o->msg, mc_strerror(want));
}

/* ---- get_rec ---- */

static const char get_rec_reply[] = R("<dns><get_rec>"
    "<result>" OK "<id>101</id><data><site-id>12</site-id><type>TXT</type>"
    "<host>_acme-challenge.Example.COM.</host><value>abc &amp; \"q\""
    "</value><opt></opt></data></result>"
    "<result>" OK "<id>201</id><data><site-id>13</site-id><type>MX</type>"
    "<host>other.example.</host><value>mx.other.example.</value>"
    "<opt>10</opt></data></result>"
    "<result>" OK "<id>18</id><data><site-id>12</site-id><type>NS</type>"
    "<host>example.com.</host><value>ns.example.com.</value></data>"
    "</result>"
    "</get_rec></dns>");

static void
test_get_rec_demux(void **state)
{
	const unsigned long ids[] = { 12, 13, 14 };
	struct op *o;
	struct batch *b = one(OP_DNS_GET_REC, ids, 3, &o);
	char rel[256];
	size_t i, n12 = 0, n13 = 0;

	(void)state;
	take_ok(b, get_rec_reply);
	expect_result(o, MC_OK);
	assert_int_equal(o->nrecs, 3);
	for (i = 0; i < o->nrecs; i++) {
		const struct dns_record *r = &o->recs[i];
		assert_int_equal(r->alias, 0);
		if (r->site_id == 12) {
			n12++;
			assert_true(host_relative(r->host, "example.com", rel,
			    sizeof(rel)));
			if (r->id == 101) {
				assert_string_equal(rel, "_acme-challenge");
				assert_string_equal(r->type, "TXT");
				assert_string_equal(r->value, "abc & \"q\"");
				assert_string_equal(r->opt, "");
			} else {
				assert_int_equal(r->id, 18);
				assert_string_equal(rel, "");
				assert_true(host_equal(r->host,
				    "EXAMPLE.com"));
				/* missing <opt>: "" */
				assert_non_null(r->opt);
				assert_string_equal(r->opt, "");
			}
		} else {
			assert_int_equal(r->site_id, 13);
			n13++;
			assert_int_equal(r->id, 201);
			assert_true(host_relative(r->host, "other.example.",
			    rel, sizeof(rel)));
			assert_string_equal(rel, "");
			assert_false(host_relative(r->host, "example.com",
			    rel, sizeof(rel)));
			assert_string_equal(r->opt, "10");
		}
	}
	assert_int_equal(n12, 2);
	assert_int_equal(n13, 1);
	batch_free(b);
}

static void
test_get_rec_foreign_zone(void **state)
{
	const unsigned long ids[] = { 12, 13 };
	struct op *o;
	struct batch *b = one(OP_DNS_GET_REC, ids, 2, &o);

	(void)state;
	take_ok(b, R("<dns><get_rec>"
	    "<result>" OK "<id>101</id><data><site-id>12</site-id><type>A"
	    "</type><host>example.com.</host><value>192.0.2.1</value></data>"
	    "</result>"
	    "<result>" OK "<id>102</id><data><site-id>99</site-id><type>A"
	    "</type><host>evil.example.</host><value>192.0.2.2</value></data>"
	    "</result></get_rec></dns>"));
	expect_result(o, MC_E_MISMATCH);
	batch_free(b);

	/* an alias zone's record for a site-id request */
	b = one(OP_DNS_GET_REC, ids, 1, &o);
	take_ok(b, R("<dns><get_rec><result>" OK "<id>5</id><data>"
	    "<site-alias-id>12</site-alias-id><type>A</type><host>a.example."
	    "</host><value>192.0.2.1</value></data></result></get_rec>"
	    "</dns>"));
	expect_result(o, MC_E_MISMATCH);
	batch_free(b);

	/* a record with no owner at all */
	b = one(OP_DNS_GET_REC, ids, 1, &o);
	take_ok(b, R("<dns><get_rec><result>" OK "<id>5</id><data>"
	    "<type>A</type><host>a.example.</host><value>192.0.2.1</value>"
	    "</data></result></get_rec></dns>"));
	expect_result(o, MC_E_MISMATCH);
	batch_free(b);

	/* by record id: a record not asked for */
	b = one(OP_DNS_GET_REC, ids, 1, &o);
	o->by_record_id = 1;
	take_ok(b, R("<dns><get_rec><result>" OK "<id>13</id><data>"
	    "<site-id>1</site-id><type>A</type><host>a.example.</host>"
	    "<value>192.0.2.1</value></data></result></get_rec></dns>"));
	expect_result(o, MC_E_MISMATCH);
	take_ok(b, R("<dns><get_rec><result>" OK "<id>12</id><data>"
	    "<site-id>1</site-id><type>A</type><host>a.example.</host>"
	    "<value>192.0.2.1</value></data></result></get_rec></dns>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nrecs, 1);
	batch_free(b);
}

static void
test_get_rec_alias_and_empty(void **state)
{
	const unsigned long ids[] = { 7 };
	struct op *o;
	struct batch *b = one(OP_DNS_GET_REC, ids, 1, &o);

	(void)state;
	o->alias = 1;
	take_ok(b, R("<dns><get_rec><result>" OK "<id>5</id><data>"
	    "<site-alias-id>7</site-alias-id><type>A</type><host>a.example."
	    "</host><value>192.0.2.1</value></data></result></get_rec>"
	    "</dns>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nrecs, 1);
	assert_int_equal(o->recs[0].alias, 1);
	assert_int_equal(o->recs[0].site_id, 7);
	/* an empty zone (or a missing record id) is an empty element */
	take_ok(b, R("<dns><get_rec/></dns>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nrecs, 0);
	/* records without data or id are malformed */
	take_ok(b, R("<dns><get_rec><result>" OK "<id>5</id></result>"
	    "</get_rec></dns>"));
	expect_result(o, MC_E_PARSE);
	take_ok(b, R("<dns><get_rec><result>" OK "<data><site-alias-id>7"
	    "</site-alias-id><type>A</type><host>a.</host><value>1</value>"
	    "</data></result></get_rec></dns>"));
	expect_result(o, MC_E_PARSE);
	take_ok(b, R("<dns><get_rec><result>" OK "<id>5</id><data>"
	    "<site-alias-id>7</site-alias-id><type>A</type><value>1</value>"
	    "</data></result></get_rec></dns>"));
	expect_result(o, MC_E_PARSE);
	/* an error result for the zone */
	take_ok(b, R("<dns><get_rec><result>" ERR(1015, "Domain does not "
	    "exist") "</result></get_rec></dns>"));
	expect_result(o, MC_E_NOTFOUND);
	assert_int_equal(o->errcode, 1015);
	batch_free(b);
}

/* ---- add_rec ---- */

static void
test_add_rec(void **state)
{
	struct batch *b = batch_new();
	struct op *o1, *o2, *o3;

	(void)state;
	o1 = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o2 = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	o3 = unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	take_ok(b, R("<dns>"
	    "<add_rec><result>" OK "<id>101</id></result></add_rec>"
	    "<add_rec><result>" ERR(1007, "DNS record already exists.")
	    "</result></add_rec>"
	    "<add_rec><result>" OK "</result></add_rec>"
	    "</dns>"));
	expect_result(o1, MC_OK);
	assert_int_equal(o1->id, 101);
	expect_result(o2, MC_E_API);
	assert_int_equal(o2->errcode, 1007);
	assert_string_equal(o2->errtext, "DNS record already exists.");
	assert_contains(o2->msg, "1007");
	assert_int_equal(o2->id, 0);
	expect_result(o3, MC_E_PARSE);	/* ok without an id */
	batch_free(b);

	b = one(OP_DNS_ADD_REC, NULL, 0, &o1);
	take_ok(b, R("<dns><add_rec><result>" OK "<id>1</id></result>"
	    "<result>" OK "<id>2</id></result></add_rec></dns>"));
	expect_result(o1, MC_E_MISMATCH);
	take_ok(b, R("<dns><add_rec/></dns>"));
	expect_result(o1, MC_E_MISMATCH);
	take_ok(b, R("<dns><add_rec><result><status>maybe</status><id>1</id>"
	    "</result></add_rec></dns>"));
	expect_result(o1, MC_E_PARSE);
	batch_free(b);
}

/* ---- per-id results ---- */

static void
test_del_rec(void **state)
{
	const unsigned long ids[] = { 101, 999, 102 };
	struct op *o;
	struct batch *b = one(OP_DNS_DEL_REC, ids, 3, &o);

	(void)state;
	take_ok(b, R("<dns><del_rec>"
	    "<result>" OK "<id>101</id></result>"
	    "<result>" ERR(1013, "DNS record does not exist.") "<id>999</id>"
	    "</result>"
	    "<result>" OK "<id>102</id></result>"
	    "</del_rec></dns>"));
	expect_result(o, MC_E_NOTFOUND);
	assert_int_equal(o->errcode, 1013);
	assert_int_equal(o->nitems, 3);
	assert_int_equal(o->items[0].id, 101);
	assert_int_equal(o->items[0].result, MC_OK);
	assert_int_equal(o->items[1].id, 999);
	assert_int_equal(o->items[1].result, MC_E_NOTFOUND);
	assert_int_equal(o->items[1].errcode, 1013);
	assert_string_equal(o->items[1].errtext, "DNS record does not exist.");
	assert_int_equal(o->items[2].result, MC_OK);

	/* all ok */
	take_ok(b, R("<dns><del_rec><result>" OK "<id>101</id></result>"
	    "<result>" OK "<id>999</id></result><result>" OK "</result>"
	    "</del_rec></dns>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nitems, 3);

	/* echoed ids swapped */
	take_ok(b, R("<dns><del_rec><result>" OK "<id>999</id></result>"
	    "<result>" OK "<id>101</id></result><result>" OK "<id>102</id>"
	    "</result></del_rec></dns>"));
	expect_result(o, MC_E_MISMATCH);
	/* an unreadable echo is a mismatch too */
	take_ok(b, R("<dns><del_rec><result>" OK "<id>x</id></result>"
	    "<result>" OK "<id>999</id></result><result>" OK "<id>102</id>"
	    "</result></del_rec></dns>"));
	expect_result(o, MC_E_MISMATCH);
	/* wrong number of results */
	take_ok(b, R("<dns><del_rec><result>" OK "<id>101</id></result>"
	    "<result>" OK "<id>999</id></result></del_rec></dns>"));
	expect_result(o, MC_E_MISMATCH);
	take_ok(b, R("<dns><del_rec/></dns>"));
	expect_result(o, MC_E_MISMATCH);
	batch_free(b);
}

/* The op's own message carries the Plesk errtext, as for other kinds. */
static void
test_per_id_errtext(void **state)
{
	const unsigned long ids[] = { 101, 999 };
	struct op *o;
	struct batch *b = one(OP_DNS_DEL_REC, ids, 2, &o);

	(void)state;
	take_ok(b, R("<dns><del_rec><result>" OK "<id>101</id></result>"
	    "<result>" ERR(1013, "DNS record does not exist.") "<id>999</id>"
	    "</result></del_rec></dns>"));
	expect_result(o, MC_E_NOTFOUND);
	assert_string_equal(o->items[1].errtext, "DNS record does not exist.");
	if (o->errtext == NULL || strstr(o->msg, "does not exist") == NULL) {
		char msg[300];
		snprintf(msg, sizeof(msg), "errtext=%s msg=\"%s\"",
		    o->errtext ? o->errtext : "NULL", o->msg);
		batch_free(b);
		fail_msg("BUG (xmlrpc/op.c take_per_id): the first failing "
		    "item's errtext is dropped from the op: %s", msg);
	}
	batch_free(b);
}

static void
test_dns_set(void **state)
{
	const unsigned long ids[] = { 12, 13 };
	struct op *o;
	struct batch *b = one(OP_DNS_SET, ids, 2, &o);

	(void)state;
	take_ok(b, R("<dns><set>"
	    "<result>" OK "<site-id>12</site-id></result>"
	    "<result>" ERR(1015, "Domain does not exist") "<site-id>13"
	    "</site-id></result></set></dns>"));
	expect_result(o, MC_E_NOTFOUND);
	assert_int_equal(o->items[0].result, MC_OK);
	assert_int_equal(o->items[1].result, MC_E_NOTFOUND);
	assert_int_equal(o->items[1].errcode, 1015);

	/* an error result without the site-id echo: position decides */
	take_ok(b, R("<dns><set>"
	    "<result>" ERR(1023, "failed\x09here") "</result>"
	    "<result>" OK "<site-id>13</site-id></result></set></dns>"));
	expect_result(o, MC_E_API);
	assert_int_equal(o->errcode, 1023);
	assert_int_equal(o->items[0].id, 12);
	assert_int_equal(o->items[0].result, MC_E_API);
	assert_string_equal(o->items[0].errtext, "failed?here");
	assert_int_equal(o->items[1].id, 13);
	assert_int_equal(o->items[1].result, MC_OK);

	/* site-alias-id echo for alias ops */
	o->alias = 1;
	take_ok(b, R("<dns><set><result>" OK "<site-alias-id>12"
	    "</site-alias-id></result><result>" OK "<site-alias-id>13"
	    "</site-alias-id></result></set></dns>"));
	expect_result(o, MC_OK);
	take_ok(b, R("<dns><set><result>" OK "<site-alias-id>13"
	    "</site-alias-id></result><result>" OK "<site-alias-id>12"
	    "</site-alias-id></result></set></dns>"));
	expect_result(o, MC_E_MISMATCH);
	/* three results for two sites */
	o->alias = 0;
	take_ok(b, R("<dns><set><result>" OK "</result><result>" OK
	    "</result><result>" OK "</result></set></dns>"));
	expect_result(o, MC_E_MISMATCH);
	batch_free(b);
}

static void
test_dns_get(void **state)
{
	const unsigned long ids[] = { 1, 2, 3 };
	struct op *o;
	struct batch *b = one(OP_DNS_GET, ids, 3, &o);

	(void)state;
	o->with_soa = 1;
	take_ok(b, R("<dns><get>"
	    "<result>" OK "<site-id>1</site-id><soa><ttl>86400</ttl>"
	    "<refresh>10800</refresh><retry>3600</retry><expire>604800"
	    "</expire><minimum>10800</minimum></soa><zone_type>master"
	    "</zone_type><zone_status>enabled</zone_status></result>"
	    "<result>" OK "<site-id>2</site-id><soa><ttl>300</ttl></soa>"
	    "<zone_type>slave</zone_type><zone_status>disabled</zone_status>"
	    "</result>"
	    "<result>" ERR(1015, "Domain does not exist") "</result>"
	    "</get></dns>"));
	expect_result(o, MC_E_NOTFOUND);
	assert_int_equal(o->items[0].result, MC_OK);
	assert_int_equal(o->items[0].soa.set, SOA_TTL | SOA_REFRESH |
	    SOA_RETRY | SOA_EXPIRE | SOA_MINIMUM);
	assert_int_equal(o->items[0].soa.ttl, 86400);
	assert_int_equal(o->items[0].soa.refresh, 10800);
	assert_int_equal(o->items[0].soa.retry, 3600);
	assert_int_equal(o->items[0].soa.expire, 604800);
	assert_int_equal(o->items[0].soa.minimum, 10800);
	assert_int_equal(o->items[0].zone_enabled, 1);
	assert_int_equal(o->items[0].zone_master, 1);
	assert_int_equal(o->items[1].soa.set, SOA_TTL);
	assert_int_equal(o->items[1].zone_enabled, 0);
	assert_int_equal(o->items[1].zone_master, 0);
	assert_int_equal(o->items[2].result, MC_E_NOTFOUND);
	assert_int_equal(o->items[2].zone_enabled, -1);

	/* soa asked for but no ttl */
	take_ok(b, R("<dns><get><result>" OK "<site-id>1</site-id><soa/>"
	    "</result><result>" OK "</result><result>" OK "</result></get>"
	    "</dns>"));
	expect_result(o, MC_E_PARSE);
	/* without soa: zone status only */
	o->with_soa = 0;
	take_ok(b, R("<dns><get><result>" OK "<site-id>1</site-id>"
	    "<zone_type>master</zone_type><zone_status>enabled</zone_status>"
	    "</result><result>" OK "<site-id>2</site-id></result><result>" OK
	    "<site-id>3</site-id><zone_status>disabled</zone_status></result>"
	    "</get></dns>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->items[0].soa.set, 0);
	assert_int_equal(o->items[0].zone_enabled, 1);
	assert_int_equal(o->items[1].zone_enabled, -1);
	assert_int_equal(o->items[2].zone_enabled, 0);
	batch_free(b);
}

/* batch_drop: the first n freed, the rest at the front in order (a queue
 * sent in rounds, issue 14); more than there are empties it */
static void
test_drop(void **state)
{
	struct batch *b = batch_new();
	size_t i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < 5; i++) {
		struct op *o = batch_add(b, OP_DNS_DEL_REC);
		assert_non_null(o);
		o->id = 100 + i;
	}
	batch_drop(b, 2);
	assert_int_equal(b->n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(b->ops[i]->id, 102 + i);
	assert_non_null(batch_add(b, OP_DNS_DEL_REC));
	assert_int_equal(b->n, 4);
	batch_drop(b, 0);
	assert_int_equal(b->n, 4);
	assert_int_equal(b->ops[0]->id, 102);
	batch_drop(b, 9);
	assert_int_equal(b->n, 0);
	batch_free(b);
}

static void
test_enable_disable(void **state)
{
	const unsigned long ids[] = { 4, 5 };
	struct batch *b = batch_new();
	struct op *en, *dis;

	(void)state;
	en = unit_add(b, OP_DNS_ENABLE, ids, 2);
	dis = unit_add(b, OP_DNS_DISABLE, ids + 1, 1);
	take_ok(b, R("<dns><enable><result>" OK "<site-id>4</site-id>"
	    "</result><result>" OK "<site-id>5</site-id></result></enable>"
	    "<disable><result>" ERR(1013, "nope") "<site-id>5</site-id>"
	    "</result></disable></dns>"));
	expect_result(en, MC_OK);
	expect_result(dis, MC_E_NOTFOUND);
	batch_free(b);
}

/* ---- packet-level mismatches ---- */

static void
expect_all(const struct batch *b, enum mc_result want)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		expect_result(b->ops[i], want);
		assert_int_equal(b->ops[i]->sent, 1);
	}
}

static struct batch *
three(void)
{
	const unsigned long ids[] = { 12 };
	struct batch *b = batch_new();

	unit_add(b, OP_DNS_ADD_REC, NULL, 0);
	unit_add(b, OP_DNS_DEL_REC, ids, 1);
	unit_add(b, OP_MAIL_ENABLE, ids, 1);
	return b;
}

#define GOOD3 "<dns><add_rec><result>" OK "<id>5</id></result></add_rec>" \
	"<del_rec><result>" OK "<id>12</id></result></del_rec></dns>"	\
	"<mail><enable><result>" OK "</result></enable></mail>"

static void
test_packet_mismatch(void **state)
{
	static const char *const bad[] = {
		/* fewer */
		R("<dns><add_rec><result>" OK "<id>5</id></result></add_rec>"
		    "<del_rec><result>" OK "<id>12</id></result></del_rec>"
		    "</dns>"),
		/* more */
		R(GOOD3 "<mail><enable><result>" OK "</result></enable>"
		    "</mail>"),
		/* another operation at a position */
		R("<dns><add_rec><result>" OK "<id>5</id></result></add_rec>"
		    "<get_rec/></dns><mail><enable><result>" OK "</result>"
		    "</enable></mail>"),
		/* another operator at a position */
		R("<dns><add_rec><result>" OK "<id>5</id></result></add_rec>"
		    "<del_rec><result>" OK "<id>12</id></result></del_rec>"
		    "</dns><site><enable><result>" OK "</result></enable>"
		    "</site>"),
		/* swapped */
		R("<mail><enable><result>" OK "</result></enable></mail>"
		    "<dns><add_rec><result>" OK "<id>5</id></result></add_rec>"
		    "<del_rec><result>" OK "<id>12</id></result></del_rec>"
		    "</dns>"),
		/* nothing at all */
		R(""),
	};
	struct batch *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = three();
		if (unit_take(b, bad[i]) != MC_E_MISMATCH)
			fail_msg("reply %zu taken", i);
		expect_all(b, MC_E_MISMATCH);
		batch_free(b);
	}
	/* the good one, with operators split differently, lines up */
	b = three();
	take_ok(b, R("<dns><add_rec><result>" OK "<id>5</id></result>"
	    "</add_rec></dns><dns><del_rec><result>" OK "<id>12</id></result>"
	    "</del_rec></dns>\n<mail><enable><result>" OK "</result></enable>"
	    "</mail><output/>"));
	expect_all(b, MC_OK);
	batch_free(b);
}

/* A sub-range of a batch: only its ops are touched. */
static void
test_take_range(void **state)
{
	struct batch *b = three();
	struct mc_err err;
	const char *two = R("<dns><del_rec><result>" OK "<id>12</id></result>"
	    "</del_rec></dns><mail><enable><result>" OK "</result></enable>"
	    "</mail>");
	const char *all3 = R(GOOD3);

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 1, 2, two, strlen(two), NULL,
	    &err), MC_OK);
	assert_int_equal(b->ops[0]->sent, 0);
	expect_result(b->ops[0], MC_E_CONNECT);
	expect_result(b->ops[1], MC_OK);
	expect_result(b->ops[2], MC_OK);

	/* a range off by one is a mismatch for that range only */
	assert_int_equal(batch_take_reply(b, 0, 2, all3, strlen(all3), NULL,
	    &err), MC_E_MISMATCH);
	expect_result(b->ops[0], MC_E_MISMATCH);
	expect_result(b->ops[1], MC_E_MISMATCH);
	expect_result(b->ops[2], MC_OK);
	batch_free(b);
}

static void
test_batch_fail(void **state)
{
	struct batch *b = three();
	struct mc_err err;

	(void)state;
	mc_err_clear(&err);
	mc_err_set(&err, MC_E_LOST, "source panel: no complete answer");
	batch_fail(b, 1, 5, 1, &err);
	expect_result(b->ops[0], MC_E_CONNECT);
	assert_int_equal(b->ops[0]->sent, 0);
	expect_result(b->ops[1], MC_E_LOST);
	assert_int_equal(b->ops[1]->sent, 1);
	assert_string_equal(b->ops[2]->msg, "source panel: no complete answer");
	batch_free(b);
}

/* ---- resolving names ---- */

#define WS(body) R("<webspace><get>" body "</get></webspace>")

static void
test_idn_resolve(void **state)
{
	struct op *o;
	struct batch *b = one(OP_WEBSPACE_BY_NAME, NULL, 0, &o);

	(void)state;
	unit_set_name(o, "xn--bcher-kva.example");
	take_ok(b, WS("<result>" OK "<filter-id>xn--bcher-kva.example"
	    "</filter-id><id>7</id><data><gen_info><cr_date>2020-01-01"
	    "</cr_date><name>b\xc3\xbc" "cher.example</name><ascii-name>"
	    "xn--bcher-kva.example</ascii-name><status>0</status>"
	    "</gen_info></data></result>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->id, 7);
	assert_string_equal(o->found_name, "b\xc3\xbc" "cher.example");
	assert_string_equal(o->ascii_name, "xn--bcher-kva.example");

	/* filter-id for another name */
	take_ok(b, WS("<result>" OK "<filter-id>other.example</filter-id>"
	    "<id>8</id><data><gen_info><name>b\xc3\xbc" "cher.example</name>"
	    "<ascii-name>xn--bcher-kva.example</ascii-name></gen_info></data>"
	    "</result>"));
	expect_result(o, MC_E_MISMATCH);
	/* names of another domain */
	take_ok(b, WS("<result>" OK "<id>8</id><data><gen_info><name>"
	    "other.example</name><ascii-name>other.example</ascii-name>"
	    "</gen_info></data></result>"));
	expect_result(o, MC_E_MISMATCH);
	/* not found */
	take_ok(b, WS("<result>" ERR(1013, "Webspace does not exist")
	    "<filter-id>xn--bcher-kva.example</filter-id></result>"));
	expect_result(o, MC_E_NOTFOUND);
	assert_int_equal(o->errcode, 1013);
	take_ok(b, R("<webspace><get/></webspace>"));
	expect_result(o, MC_E_NOTFOUND);
	/* two objects for one name */
	take_ok(b, WS("<result>" OK "<id>7</id></result><result>" OK
	    "<id>9</id></result>"));
	expect_result(o, MC_E_MISMATCH);
	/* ok without an id */
	take_ok(b, WS("<result>" OK "<filter-id>xn--bcher-kva.example"
	    "</filter-id></result>"));
	expect_result(o, MC_E_PARSE);
	/* other errors stay API errors */
	take_ok(b, WS("<result>" ERR(1006, "Permission denied") "</result>"));
	expect_result(o, MC_E_API);
	/* case does not matter */
	take_ok(b, WS("<result>" OK "<filter-id>XN--BCHER-KVA.example"
	    "</filter-id><id>7</id><data><gen_info><name>b\xc3\xbc"
	    "cher.example</name><ascii-name>XN--Bcher-Kva.Example"
	    "</ascii-name></gen_info></data></result>"));
	expect_result(o, MC_OK);
	batch_free(b);
}

static void
test_site_sub_alias(void **state)
{
	struct batch *b = batch_new();
	struct op *site, *sub, *alias;

	(void)state;
	site = unit_add(b, OP_SITE_BY_NAME, NULL, 0);
	unit_set_name(site, "addon.example.net");
	sub = unit_add(b, OP_SUBDOMAIN_BY_NAME, NULL, 0);
	unit_set_name(sub, "sub.example.com");
	alias = unit_add(b, OP_ALIAS_BY_NAME, NULL, 0);
	unit_set_name(alias, "alias.example");
	take_ok(b, R("<site><get><result>" OK "<filter-id>addon.example.net"
	    "</filter-id><id>21</id><data><gen_info><name>addon.example.net"
	    "</name><ascii-name>addon.example.net</ascii-name><webspace-id>3"
	    "</webspace-id></gen_info></data></result></get></site>"
	    "<subdomain><get><result>" OK "<filter-id>sub.example.com"
	    "</filter-id><id>22</id><data><parent>example.com</parent><name>"
	    "sub.example.com</name></data></result></get></subdomain>"
	    "<site-alias><get><result>" OK "<id>4</id><info><site-id>3"
	    "</site-id><name>alias.example</name><ascii-name>alias.example"
	    "</ascii-name><manage-dns>true</manage-dns></info></result></get>"
	    "</site-alias>"));
	expect_result(site, MC_OK);
	assert_int_equal(site->id, 21);
	assert_int_equal(site->parent_id, 3);
	expect_result(sub, MC_OK);
	assert_int_equal(sub->id, 22);
	assert_string_equal(sub->found_name, "sub.example.com");
	expect_result(alias, MC_OK);
	assert_int_equal(alias->id, 4);
	assert_int_equal(alias->parent_id, 3);
	assert_int_equal(alias->manage_dns, 1);

	take_ok(b, R("<site><get><result>" ERR(1013, "x") "</result></get>"
	    "</site><subdomain><get><result>" OK "<id>22</id><name>"
	    "other.example.com</name></result></get></subdomain>"
	    "<site-alias><get><result>" OK "<id>4</id><info><site-id>3"
	    "</site-id><name>alias.example</name><manage-dns>false"
	    "</manage-dns></info></result></get></site-alias>"));
	expect_result(site, MC_E_NOTFOUND);
	expect_result(sub, MC_E_MISMATCH);
	expect_result(alias, MC_OK);
	assert_int_equal(alias->manage_dns, 0);
	batch_free(b);
}

/*
 * Plesk's subdomain get answers <data><parent>example.com</parent>
 * <name>sub</name>: the name relative to the parent (SubdomainObjectType;
 * tests/plesk-sim does the same). Resolving "sub.example.com" must work.
 */
static void
test_subdomain_short_name(void **state)
{
	struct op *o;
	struct batch *b = one(OP_SUBDOMAIN_BY_NAME, NULL, 0, &o);

	(void)state;
	unit_set_name(o, "sub.example.com");
	take_ok(b, R("<subdomain><get><result>" OK "<filter-id>"
	    "sub.example.com</filter-id><id>22</id><data><parent>example.com"
	    "</parent><name>sub</name><home>/sub.example.com</home></data>"
	    "</result></get></subdomain>"));
	if (o->result != MC_OK) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s: %s", mc_strerror(o->result),
		    o->msg);
		batch_free(b);
		fail_msg("BUG (xmlrpc/op.c take_by_name): subdomain "
		    "sub.example.com answered as parent example.com + name "
		    "sub gives %s", msg);
	}
	assert_int_equal(o->id, 22);
	/* a short name under another parent is still a mismatch */
	take_ok(b, R("<subdomain><get><result>" OK "<id>22</id><data><parent>"
	    "example.org</parent><name>sub</name></data></result></get>"
	    "</subdomain>"));
	expect_result(o, MC_E_MISMATCH);
	batch_free(b);
}

/* ---- mail ---- */

static void
test_mail_get_info(void **state)
{
	const unsigned long ids[] = { 1 };
	struct op *o;
	struct batch *b = one(OP_MAIL_GET_INFO, ids, 1, &o);

	(void)state;
	take_ok(b, R("<mail><get_info><result>" OK "</result></get_info>"
	    "</mail>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nstrs, 0);
	take_ok(b, R("<mail><get_info/></mail>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nstrs, 0);
	take_ok(b, R("<mail><get_info>"
	    "<result>" OK "<mailname><id>1</id><name>admin</name><mailbox>"
	    "<enabled>true</enabled><quota>-1</quota></mailbox><password/>"
	    "<antivir>off</antivir></mailname></result>"
	    "<result>" OK "<mailname><id>2</id><name>techdept</name>"
	    "</mailname></result></get_info></mail>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->nstrs, 2);
	assert_string_equal(o->strs[0], "admin");
	assert_string_equal(o->strs[1], "techdept");
	take_ok(b, R("<mail><get_info><result>" ERR(1015, "Domain does not "
	    "exist") "</result></get_info></mail>"));
	expect_result(o, MC_E_NOTFOUND);
	take_ok(b, R("<mail><get_info><result>" OK "<mailname><id>1</id>"
	    "</mailname></result></get_info></mail>"));
	expect_result(o, MC_E_PARSE);
	batch_free(b);
}

static void
test_mail_get_prefs(void **state)
{
	const unsigned long ids[] = { 12, 14, 15 };
	struct op *o;
	struct batch *b = one(OP_MAIL_GET_PREFS, ids, 3, &o);

	(void)state;
	take_ok(b, R("<mail><get_prefs>"
	    "<result>" OK "<site-id>12</site-id><prefs><nonexistent-user>"
	    "<bounce>text</bounce></nonexistent-user><webmail>roundcube"
	    "</webmail><spam-protect-sign>false</spam-protect-sign>"
	    "<greylisting>true</greylisting><mailservice>true</mailservice>"
	    "</prefs></result>"
	    "<result>" OK "<site-id>14</site-id><prefs><mailservice>false"
	    "</mailservice></prefs></result>"
	    "<result>" OK "<site-id>15</site-id><prefs><none/></prefs>"
	    "</result></get_prefs></mail>"));
	expect_result(o, MC_OK);
	assert_int_equal(o->items[0].mailservice, 1);
	assert_int_equal(o->items[1].mailservice, 0);
	assert_int_equal(o->items[2].mailservice, -1);
	batch_free(b);
}

static void
test_mail_enable(void **state)
{
	const unsigned long ids[] = { 12 };
	struct batch *b = batch_new();
	struct op *en, *dis;

	(void)state;
	en = unit_add(b, OP_MAIL_ENABLE, ids, 1);
	dis = unit_add(b, OP_MAIL_DISABLE, ids, 1);
	take_ok(b, R("<mail><enable><result>" OK "</result></enable>"
	    "<disable><result>" ERR(1023, "Operation failed") "</result>"
	    "</disable></mail>"));
	expect_result(en, MC_OK);
	expect_result(dis, MC_E_API);
	assert_int_equal(dis->errcode, 1023);
	take_ok(b, R("<mail><enable/><disable><result>" OK "</result><result>"
	    OK "</result></disable></mail>"));
	expect_result(en, MC_E_MISMATCH);
	expect_result(dis, MC_E_MISMATCH);
	batch_free(b);
}

/* ---- server ---- */

static const char *const full_protos[] = { "1.0.0.0", "1.1.0.0", "1.1.1.0",
	"1.2.0.0", "1.3.0.0", "1.3.1.0", "1.3.2.0", "1.3.3.0", "1.3.4.0",
	"1.3.5.0", "1.4.0.0", "1.4.1.0", "1.4.1.1", "1.4.1.2", "1.4.2.0",
	"1.5.0.0", "1.5.1.0", "1.5.2.0", "1.5.2.1", "1.6.0.0", "1.6.0.1",
	"1.6.0.2", "1.6.1.0", "1.6.2.0", "1.6.3.0", "1.6.3.1", "1.6.3.2",
	"1.6.3.3", "1.6.3.4", "1.6.3.5", "1.6.4.0", "1.6.5.0", "1.6.6.0",
	"1.6.7.0", "1.6.8.0", "1.6.9.0", "1.6.9.1" };

/* A get_protos reply listing protos[0..n). */
static char *
protos_reply(const char *const *protos, size_t n)
{
	size_t cap = 512 + n * 32, i;
	char *s = malloc(cap);

	assert_non_null(s);
	snprintf(s, cap, "<packet version=\"1.6.9.1\"><server><get_protos>"
	    "<result><status>ok</status><protos>");
	for (i = 0; i < n; i++)
		snprintf(s + strlen(s), cap - strlen(s), "\n<proto>%s</proto>",
		    protos[i]);
	snprintf(s + strlen(s), cap - strlen(s), "</protos></result>"
	    "</get_protos></server></packet>");
	return s;
}

static const char *
choose_from_reply(struct batch *b, struct op *o, const char *const *protos,
    size_t n)
{
	char *x = protos_reply(protos, n);
	size_t i;

	take_ok(b, x);
	free(x);
	expect_result(o, MC_OK);
	assert_int_equal(o->nstrs, n);
	for (i = 0; i < n; i++)
		assert_string_equal(o->strs[i], protos[i]);
	return proto_choose(o->strs, o->nstrs);
}

static void
test_protos(void **state)
{
	const char *const plesk11[] = { "1.6.4.0", "1.6.3.5", "1.6.3.0",
	    "1.6.2.0", "1.6.0.2", "1.5.2.1", "1.4.2.0", "1.0.0.0" };
	const char *const ancient[] = { "1.0.0.0", "1.4.2.0", "1.5.2.1",
	    "1.6.2.0", "1.6.2.99" };
	const char *const future[] = { "1.6.3.0", "1.6.9.1", "1.6.10.0",
	    "1.7", "2.0.0.0", "garbage" };
	struct op *o;
	struct batch *b = one(OP_SERVER_PROTOS, NULL, 0, &o);
	const char *best;

	(void)state;
	best = choose_from_reply(b, o, full_protos,
	    sizeof(full_protos) / sizeof(full_protos[0]));
	assert_non_null(best);
	assert_string_equal(best, "1.6.9.1");
	best = choose_from_reply(b, o, plesk11, 8);
	assert_non_null(best);
	assert_string_equal(best, "1.6.4.0");
	best = choose_from_reply(b, o, ancient, 5);
	assert_null(best);
	best = choose_from_reply(b, o, future, 6);
	assert_non_null(best);
	assert_string_equal(best, "1.6.9.1");

	take_ok(b, R("<server><get_protos><result>" OK "<protos/></result>"
	    "</get_protos></server>"));
	expect_result(o, MC_E_PARSE);
	take_ok(b, R("<server><get_protos><result>" ERR(1006, "no")
	    "</result></get_protos></server>"));
	expect_result(o, MC_E_API);
	batch_free(b);
}

static void
test_server_info(void **state)
{
	struct op *o;
	struct batch *b = one(OP_SERVER_INFO, NULL, 0, &o);

	(void)state;
	take_ok(b, R("<server><get><result>" OK "<gen_info><server_name>"
	    "panel.example.com</server_name><server_guid>x</server_guid>"
	    "</gen_info><stat><objects/><version><plesk_name>psa</plesk_name>"
	    "<plesk_version>18.0.52</plesk_version></version></stat></result>"
	    "</get></server>"));
	expect_result(o, MC_OK);
	assert_string_equal(o->server_name, "panel.example.com");
	assert_string_equal(o->plesk_version, "18.0.52");
	batch_free(b);
}

/* issue 11: a <system> error after operation results: the panel ran part
 * of the packet, so the outcome is unknown (maybe applied); alone, before
 * any result, nothing ran */
static void
test_system_after_results(void **state)
{
	struct batch *b = batch_new();
	struct mc_err err;
	const char *late = R("<dns><add_rec><result>" OK "<id>7</id></result>"
	    "</add_rec></dns><system><status>error</status><errcode>1014"
	    "</errcode><errtext>Parser error</errtext></system>");
	const char *alone = R("<system><status>error</status><errcode>1014"
	    "</errcode><errtext>Parser error</errtext></system>");
	struct op *o1, *o2;

	(void)state;
	o1 = batch_add(b, OP_DNS_ADD_REC);
	o2 = batch_add(b, OP_DNS_ADD_REC);
	o1->rec.site_id = o2->rec.site_id = 1;
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 0, 2, late, strlen(late), NULL,
	    &err), MC_E_SYSTEM);
	assert_int_equal(err.maybe_applied, 1);
	assert_non_null(strstr(err.msg, "after 1 operation result"));
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 0, 2, alone, strlen(alone), NULL,
	    &err), MC_E_SYSTEM);
	assert_int_equal(err.maybe_applied, 0);
	batch_free(b);
}

/* The streamed reader: a reply cut after the first operation, and one
 * with a DTD, fail the packet; nothing is half-taken as success. */
static void
test_stream_broken(void **state)
{
	struct batch *b = batch_new();
	struct mc_err err;
	struct op *o1, *o2;
	const char *cut = R("<dns><add_rec><result>" OK "<id>7</id></result>"
	    "</add_rec><add_rec><result>" OK "<id>8</id>");
	const char *dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE packet [<!ENTITY"
	    " x \"y\">]><packet><dns><add_rec><result>" OK "<id>7</id>"
	    "</result></add_rec></dns></packet>";
	unsigned long site = 1;

	(void)state;
	o1 = batch_add(b, OP_DNS_ADD_REC);
	o2 = batch_add(b, OP_DNS_ADD_REC);
	o1->rec.site_id = o2->rec.site_id = site;
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 0, 2, cut, strlen(cut), NULL,
	    &err), MC_E_PARSE);
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 0, 1, dtd, strlen(dtd), NULL,
	    &err), MC_E_PARSE);
	assert_non_null(strstr(err.msg, "DTD"));
	batch_free(b);
}

/* A reply in another protocol version than the packet is a mismatch. */
static void
test_stream_version(void **state)
{
	struct batch *b = batch_new();
	struct mc_err err;
	struct op *o = batch_add(b, OP_SERVER_PROTOS);
	const char *xml = "<packet version=\"1.6.4.0\"><server><get_protos>"
	    "<result>" OK "<protos><proto>1.6.4.0</proto></protos></result>"
	    "</get_protos></server></packet>";

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 0, 1, xml, strlen(xml),
	    "1.6.9.1", &err), MC_E_MISMATCH);
	assert_int_equal(o->result, MC_E_MISMATCH);
	mc_err_clear(&err);
	assert_int_equal(batch_take_reply(b, 0, 1, xml, strlen(xml),
	    "1.6.4.0", &err), MC_OK);
	assert_int_equal(o->result, MC_OK);
	batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_rec_demux),
		cmocka_unit_test(test_get_rec_foreign_zone),
		cmocka_unit_test(test_get_rec_alias_and_empty),
		cmocka_unit_test(test_add_rec),
		cmocka_unit_test(test_del_rec),
		cmocka_unit_test(test_per_id_errtext),
		cmocka_unit_test(test_dns_set),
		cmocka_unit_test(test_dns_get),
		cmocka_unit_test(test_enable_disable),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_packet_mismatch),
		cmocka_unit_test(test_take_range),
		cmocka_unit_test(test_batch_fail),
		cmocka_unit_test(test_stream_broken),
		cmocka_unit_test(test_system_after_results),
		cmocka_unit_test(test_stream_version),
		cmocka_unit_test(test_idn_resolve),
		cmocka_unit_test(test_site_sub_alias),
		cmocka_unit_test(test_subdomain_short_name),
		cmocka_unit_test(test_mail_get_info),
		cmocka_unit_test(test_mail_get_prefs),
		cmocka_unit_test(test_mail_enable),
		cmocka_unit_test(test_protos),
		cmocka_unit_test(test_server_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
