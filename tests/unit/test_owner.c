/* test_owner.c -- the one decision of what is ours (owner.c), UTF-8
 * cutting (utf8.c), the JSON writer on bad bytes, IDN forms (idn.c). */
#include "unit.h"

#include "../../plugin/helper/idn.c"
#include "../../plugin/helper/json.c"
#include "../../plugin/helper/owner.c"

#define OLD4	"127.0.2.10"
#define OLD6	"fd00::2:10"
#define NEW4	"127.0.3.20"
#define NEW6	"fd00::3:20"
#define THIRD	"127.0.7.7"

/* a zone as get_rec gives it: FQDN hosts with a dot */
struct zone {
	struct dns_record r[32];
	size_t n;
};

static void
rec(struct zone *z, unsigned long id, const char *type, const char *host,
    const char *value)
{
	char fq[256];

	snprintf(fq, sizeof(fq), "%s%sex.test.", host, host[0] ? "." : "");
	z->r[z->n].id = id;
	z->r[z->n].type = strdup(type);
	z->r[z->n].host = strdup(fq);
	z->r[z->n].value = strdup(value);
	z->r[z->n].opt = strdup("");
	z->n++;
}

static void
zone_free(struct zone *z)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		dns_record_clear(&z->r[i]);
}

/* a zone of its own with NS at the apex */
static void
base(struct zone *z)
{
	memset(z, 0, sizeof(*z));
	rec(z, 1, "NS", "", "ns1.ex.test.");
	rec(z, 2, "A", "www", OLD4);
}

static char *labels3[] = { "mail", "lists", "webmail" };

static void
facts(struct own_facts *f, const struct zone *z)
{
	memset(f, 0, sizeof(*f));
	f->zone = "ex.test";
	f->recs = z->r;
	f->nrecs = z->n;
	f->labels = labels3;
	f->nlabels = 3;
	f->old[f->nold++] = OLD4;
	f->new4 = NEW4;
}

static size_t
count(const struct own_decision *d, int del)
{
	size_t i, n = 0;

	for (i = 0; i < d->nchanges; i++)
		n += d->changes[i].del == del;
	return n;
}

/* the plain case: every name on the old IP, add first, delete after */
static void
test_owned(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;

	(void)state;
	base(&z);
	rec(&z, 10, "A", "mail", OLD4);
	rec(&z, 11, "A", "lists", OLD4);
	rec(&z, 12, "A", "webmail", OLD4);
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SWITCH);
	assert_string_equal(d.names, "mail lists webmail");
	/* make-before-break: adds only, no delete while an add is pending */
	assert_int_equal(count(&d, 0), 3);
	assert_int_equal(count(&d, 1), 0);
	assert_string_equal(d.changes[0].rec.value, NEW4);
	own_decision_clear(&d);
	/* once the new records are there: the deletes, by id */
	rec(&z, 20, "A", "mail", NEW4);
	rec(&z, 21, "A", "lists", NEW4);
	rec(&z, 22, "A", "webmail", NEW4);
	f.nrecs = z.n;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(count(&d, 0), 0);
	assert_int_equal(count(&d, 1), 3);
	assert_int_equal(d.changes[0].rec.id, 10);
	assert_int_equal(d.changes[1].rec.id, 11);
	assert_int_equal(d.changes[2].rec.id, 12);
	own_decision_clear(&d);
	zone_free(&z);
}

/* issue 9 #1: mail hosted on a third server is never ours */
static void
test_third_party(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;

	(void)state;
	base(&z);
	rec(&z, 10, "A", "mail", THIRD);
	rec(&z, 11, "A", "lists", THIRD);
	rec(&z, 12, "A", "webmail", THIRD);
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SKIP);
	assert_int_equal(d.nchanges, 0);
	assert_int_equal(d.nothers, 3);
	assert_non_null(strstr(d.reason, "not on the old server (" OLD4));
	assert_non_null(strstr(d.reason, "mail.ex.test A " THIRD));
	own_decision_clear(&d);
	zone_free(&z);
}

/* issue 9 #2: two A records at one name, one ours: only ours moves */
static void
test_mixed_name(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;
	size_t i;

	(void)state;
	base(&z);
	rec(&z, 10, "A", "mail", THIRD);
	rec(&z, 11, "A", "mail", OLD4);
	rec(&z, 12, "A", "lists", OLD4);
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SWITCH);
	assert_string_equal(d.names, "mail lists");
	own_decision_clear(&d);
	rec(&z, 20, "A", "mail", NEW4);
	rec(&z, 21, "A", "lists", NEW4);
	f.nrecs = z.n;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(count(&d, 1), 2);
	for (i = 0; i < d.nchanges; i++)
		assert_int_not_equal(d.changes[i].rec.id, 10);
	own_decision_clear(&d);
	zone_free(&z);
}

static void
test_already_and_empty(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;

	(void)state;
	base(&z);
	rec(&z, 10, "A", "mail", NEW4);
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_ALREADY);
	assert_int_equal(d.nchanges, 0);
	own_decision_clear(&d);
	zone_free(&z);
	base(&z);
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SKIP);
	assert_non_null(strstr(d.reason, "no A or AAAA record"));
	own_decision_clear(&d);
	zone_free(&z);
}

/* a value that is not an address (padded values are trimmed first) */
static void
test_bad_values(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;

	(void)state;
	base(&z);
	rec(&z, 10, "A", "mail", " " OLD4 " ");
	rec(&z, 11, "A", "lists", "127.0.2.010");
	rec(&z, 12, "A", "webmail", OLD6);	/* wrong family */
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SWITCH);
	assert_string_equal(d.names, "mail");
	assert_int_equal(d.nothers, 2);
	assert_int_equal(d.others[0].cls, OWN_BAD);
	assert_int_equal(d.others[1].cls, OWN_BAD);
	own_decision_clear(&d);
	zone_free(&z);
}

/* refusals: no zone of its own, no old address, old == new, AAAA */
static void
test_refusals(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;

	(void)state;
	memset(&z, 0, sizeof(z));
	rec(&z, 10, "A", "mail", OLD4);	/* records, no NS at the apex */
	facts(&f, &z);
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_REFUSED);
	assert_non_null(strstr(d.reason, "no DNS zone of its own"));
	own_decision_clear(&d);
	zone_free(&z);

	base(&z);
	rec(&z, 10, "A", "mail", OLD4);
	facts(&f, &z);
	f.nold = 0;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_REFUSED);
	assert_non_null(strstr(d.reason, "--old-ip"));
	own_decision_clear(&d);

	facts(&f, &z);
	f.new4 = OLD4;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_REFUSED);
	assert_non_null(strstr(d.reason, "both " OLD4));
	own_decision_clear(&d);

	facts(&f, &z);
	f.new4 = NULL;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_REFUSED);
	assert_non_null(strstr(d.reason, "no new IPv4"));
	own_decision_clear(&d);
	zone_free(&z);
}

/* IPv6: switched with a new IPv6, refused without, dropped if chosen */
static void
test_aaaa(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;

	(void)state;
	base(&z);
	rec(&z, 10, "A", "mail", OLD4);
	rec(&z, 11, "AAAA", "mail", "fd00:0:0:0::2:10");	/* other spelling */
	facts(&f, &z);
	f.old[f.nold++] = OLD6;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_REFUSED);
	assert_non_null(strstr(d.reason, "--new-ip6"));
	own_decision_clear(&d);

	f.new6 = NEW6;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SWITCH);
	assert_int_equal(count(&d, 0), 2);
	assert_string_equal(d.changes[1].rec.type, "AAAA");
	assert_string_equal(d.changes[1].rec.value, NEW6);
	own_decision_clear(&d);

	f.new6 = NULL;
	f.drop_aaaa = 1;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SWITCH);
	assert_int_equal(count(&d, 0), 1);	/* A only */
	own_decision_clear(&d);
	rec(&z, 20, "A", "mail", NEW4);
	f.nrecs = z.n;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(count(&d, 1), 2);	/* old A and old AAAA go */
	own_decision_clear(&d);
	zone_free(&z);

	/* a third party's IPv6 is not ours and needs no new IPv6 */
	base(&z);
	rec(&z, 10, "A", "mail", OLD4);
	rec(&z, 11, "AAAA", "mail", "2001:db8::7");
	facts(&f, &z);
	f.old[f.nold++] = OLD6;
	assert_int_equal(own_decide(&f, OWN_FORWARD, &d, NULL), MC_OK);
	assert_int_equal(d.verdict, OWN_SWITCH);
	assert_int_equal(d.nothers, 1);
	own_decision_clear(&d);
	zone_free(&z);
}

/* rollback: the journaled records of each name, exactly */
static void
test_back(void **state)
{
	struct zone z;
	struct own_facts f;
	struct own_decision d;
	struct own_rec orig[3];

	(void)state;
	assert_true(own_rec_parse("mail|A|" OLD4 "|old|10", &orig[0]));
	assert_true(own_rec_parse("mail|A|" THIRD "|other|11", &orig[1]));
	assert_true(own_rec_parse("lists|A|" NEW4 "|new|12", &orig[2]));
	/* after the switch: mail has new + third, lists had new already */
	base(&z);
	rec(&z, 11, "A", "mail", THIRD);
	rec(&z, 20, "A", "mail", NEW4);
	rec(&z, 12, "A", "lists", NEW4);
	facts(&f, &z);
	f.orig = orig;
	f.norig = 3;
	assert_int_equal(own_decide(&f, OWN_BACK, &d, NULL), MC_OK);
	/* mail gets its old record back first; lists keeps its new one */
	assert_int_equal(count(&d, 0), 1);
	assert_int_equal(count(&d, 1), 0);
	assert_string_equal(d.changes[0].rec.label, "mail");
	assert_string_equal(d.changes[0].rec.value, OLD4);
	own_decision_clear(&d);
	rec(&z, 30, "A", "mail", OLD4);
	f.nrecs = z.n;
	assert_int_equal(own_decide(&f, OWN_BACK, &d, NULL), MC_OK);
	assert_int_equal(count(&d, 0), 0);
	assert_int_equal(count(&d, 1), 1);
	assert_int_equal(d.changes[0].rec.id, 20);	/* never 11 or 12 */
	own_decision_clear(&d);
	zone_free(&z);
}

static void
test_expect(void **state)
{
	struct own_rec orig[3];
	const char *old[] = { OLD4, OLD6 }, *must[8], *mustnot[8];
	size_t nm, nn;

	(void)state;
	assert_true(own_rec_parse("mail|A|" OLD4 "|old|10", &orig[0]));
	assert_true(own_rec_parse("mail|A|" THIRD "|other|11", &orig[1]));
	assert_true(own_rec_parse("mail|AAAA|" OLD6 "|old|12", &orig[2]));
	own_expect(orig, 3, OWN_FORWARD, old, 2, NEW4, NEW6, 0, "mail", "A",
	    must, &nm, mustnot, &nn, 8);
	assert_int_equal(nm, 1);
	assert_string_equal(must[0], NEW4);
	assert_int_equal(nn, 1);
	assert_string_equal(mustnot[0], OLD4);
	own_expect(orig, 3, OWN_FORWARD, old, 2, NEW4, NEW6, 0, "mail",
	    "AAAA", must, &nm, mustnot, &nn, 8);
	assert_int_equal(nm, 1);
	assert_string_equal(must[0], NEW6);
	own_expect(orig, 3, OWN_BACK, old, 2, NEW4, NEW6, 0, "mail", "A",
	    must, &nm, mustnot, &nn, 8);
	assert_int_equal(nm, 1);
	assert_string_equal(must[0], OLD4);
	assert_int_equal(nn, 1);
	assert_string_equal(mustnot[0], NEW4);
	/* dropped AAAA: nothing must be served, the old one must be gone */
	own_expect(orig, 3, OWN_FORWARD, old, 2, NEW4, NULL, 1, "mail", "AAAA",
	    must, &nm, mustnot, &nn, 8);
	assert_int_equal(nm, 0);
	assert_int_equal(nn, 1);
}

static void
test_rec_format(void **state)
{
	struct own_rec r, back;
	char buf[200];

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.label, sizeof(r.label), "mail");
	snprintf(r.type, sizeof(r.type), "AAAA");
	snprintf(r.value, sizeof(r.value), NEW6);
	r.cls = OWN_NEW;
	r.id = 77;
	assert_true(own_rec_format(&r, buf, sizeof(buf)));
	assert_string_equal(buf, "mail|AAAA|" NEW6 "|new|77");
	assert_true(own_rec_parse(buf, &back));
	assert_int_equal(memcmp(&r, &back, sizeof(r)), 0);
	assert_false(own_rec_parse("mail|A|1.2.3.4|old", &back));
	assert_false(own_rec_parse("mail|A|1.2.3.4|old|1|x", &back));
	assert_false(own_rec_parse("mail|MX|1.2.3.4|old|1", &back));
	assert_false(own_rec_parse("mail|A|1.2.3.4|mine|1", &back));
	assert_false(own_rec_parse("mail|A|1.2.3.4|old|1x", &back));
}

/* ---- UTF-8 ---- */

static void
test_utf8(void **state)
{
	/* "エラー" is 9 bytes: E3 82 A8 E3 83 A9 E3 83 BC */
	const char *ja = "\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc";
	char buf[16];

	(void)state;
	assert_int_equal(utf8_clip(ja, 9), 9);
	assert_int_equal(utf8_clip(ja, 8), 6);
	assert_int_equal(utf8_clip(ja, 4), 3);
	assert_int_equal(utf8_clip(ja, 2), 0);
	assert_int_equal(utf8_clip("abc", 2), 2);
	snprintf(buf, 8, "%.7s", ja);	/* 7 bytes: cut inside the third */
	utf8_trim(buf);
	assert_string_equal(buf, "\xe3\x82\xa8\xe3\x83\xa9");
	snprintf(buf, sizeof(buf), "a\xc3\xa9");
	utf8_trim(buf);
	assert_string_equal(buf, "a\xc3\xa9");	/* whole: kept */
	assert_int_equal(utf8_seq((const unsigned char *)"\xc0\xaf"), 0);
	assert_int_equal(utf8_seq((const unsigned char *)"\xed\xa0\x80"), 0);
	assert_int_equal(utf8_seq((const unsigned char *)"\xf4\x90\x80\x80"),
	    0);
	assert_int_equal(utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80"),
	    4);
}

/* the JSON writer replaces bytes that are not UTF-8, keeps the rest */
static void
test_json_utf8(void **state)
{
	struct json j;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&out, &len));
	json_init(&j, f);
	json_obj_open(&j, NULL);
	json_str(&j, "t", "\xe3\x82\xa8\xe3\x83");	/* cut sequence */
	json_str(&j, "u", "ok \xc3\xa9 \xff\x01");
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	assert_string_equal(out, "{\"t\":\"\xe3\x82\xa8\xef\xbf\xbd\xef\xbf"
	    "\xbd\",\"u\":\"ok \xc3\xa9 \xef\xbf\xbd\\u0001\"}\n");
	free(out);
}

/* ---- IDN ---- */

static void
test_idn(void **state)
{
	char a[256], u[256];

	(void)state;
	assert_null(idn_ascii("B\xc3\xbc" "cher.Example.", a, sizeof(a)));
	assert_string_equal(a, "xn--bcher-kva.example");
	assert_null(idn_ascii("XN--BCHER-KVA.example", a, sizeof(a)));
	assert_string_equal(a, "xn--bcher-kva.example");
	idn_unicode("xn--bcher-kva.example", u, sizeof(u));
	assert_string_equal(u, "b\xc3\xbc" "cher.example");
	idn_unicode("example.com", u, sizeof(u));
	assert_string_equal(u, "");
	assert_null(idn_ascii("Example.COM.", a, sizeof(a)));
	assert_string_equal(a, "example.com");
	assert_null(idn_ascii("127.0.0.1x", a, sizeof(a)));
	assert_non_null(idn_ascii("127.0.0.1", a, sizeof(a)));
	assert_non_null(idn_ascii("10.20.30.40.", a, sizeof(a)));
	assert_non_null(idn_ascii("../etc", a, sizeof(a)));
	assert_non_null(idn_ascii("a b.test", a, sizeof(a)));
	assert_non_null(idn_ascii("xn--zz.test", a, sizeof(a)));
	assert_non_null(idn_ascii("localhost", a, sizeof(a)));
	assert_non_null(idn_ascii("\xff\xfe.test", a, sizeof(a)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owned),
		cmocka_unit_test(test_third_party),
		cmocka_unit_test(test_mixed_name),
		cmocka_unit_test(test_already_and_empty),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_back),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_rec_format),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_idn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
