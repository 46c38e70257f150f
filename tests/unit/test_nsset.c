/* test_nsset.c -- the comparison of step 5: what a parent zone lists
 * against what it should list (case, trailing dots, order, repeats,
 * extra or missing names), and the settings that feed it. */
#include "unit.h"

#include "../../plugin/helper/config.c"
#include "../../plugin/helper/config_key.c"
#include "../../plugin/helper/ini.c"
#include "../../plugin/helper/nsset.c"
#include "../../plugin/helper/text.c"

static void
set_of(struct nsset *s, const char *list)
{
	char bad[256];

	if (!nsset_parse(s, list, bad, sizeof(bad)))
		fail_msg("nsset_parse(\"%s\") refused '%s'", list, bad);
}

static int
same(const char *a, const char *b)
{
	struct nsset x = { NULL, 0 }, y = { NULL, 0 };
	int eq;

	set_of(&x, a);
	set_of(&y, b);
	eq = nsset_equal(&x, &y);
	assert_int_equal(nsset_equal(&y, &x), eq);	/* symmetric */
	nsset_free(&x);
	nsset_free(&y);
	return eq;
}

static void
test_equal_ignores_form(void **state)
{
	(void)state;
	/* case, the trailing dot, order, repeats and separators */
	assert_true(same("ns1.new.example, ns2.new.example",
	    "NS2.New.Example. ns1.new.example."));
	assert_true(same("ns1.new.example,ns2.new.example,ns1.new.example",
	    "ns2.new.example\tns1.new.example"));
	assert_true(same("ns1.xn--bcher-kva.example",
	    "NS1.XN--BCHER-KVA.EXAMPLE."));
}

static void
test_extra_or_missing_differ(void **state)
{
	(void)state;
	/* one more, one fewer, one other, the old ones */
	assert_false(same("ns1.new.example, ns2.new.example",
	    "ns1.new.example, ns2.new.example, ns3.new.example"));
	assert_false(same("ns1.new.example, ns2.new.example",
	    "ns1.new.example"));
	assert_false(same("ns1.new.example, ns2.new.example",
	    "ns1.new.example, ns3.new.example"));
	assert_false(same("ns1.new.example, ns2.new.example",
	    "ns1.shop.test, ns2.shop.test"));
	/* a label more is another name, not the same one */
	assert_false(same("ns1.new.example", "ns1.new.example.net"));
	assert_false(same("ns1.new.example", "x.ns1.new.example"));
}

static void
test_set_sorted_unique(void **state)
{
	struct nsset s = { NULL, 0 };
	char buf[256];

	(void)state;
	set_of(&s, "NS2.b.example. ns1.b.example ns2.b.example a.example");
	assert_int_equal(s.n, 3);
	assert_string_equal(nsset_join(&s, ", ", buf, sizeof(buf)),
	    "a.example, ns1.b.example, ns2.b.example");
	assert_true(nsset_has(&s, "NS1.B.EXAMPLE."));
	assert_false(nsset_has(&s, "ns3.b.example"));
	/* cut to the buffer, marked */
	assert_string_equal(nsset_join(&s, ", ", buf, 16), "a.example...");
	assert_string_equal(nsset_join(&s, ",", buf, 4), "...");
	nsset_free(&s);
	nsset_free(&s);		/* twice: empty again, no harm */
	nsset_free(NULL);
	assert_string_equal(nsset_join(&s, ", ", buf, sizeof(buf)), "");
}

static void
test_strict_refuses(void **state)
{
	struct nsset s = { NULL, 0 };
	char bad[256];
	size_t i;
	static const char *const refused[] = { "ns1", "bad..name.example",
	    "-ns.example", "ns_1.example", "ns1.example,", "",
	    "ns1.example ns\"2.example" };
	static const char *const want_bad[] = { "ns1", "bad..name.example",
	    "-ns.example", "ns_1.example", "", "", "ns\"2.example" };

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		/* "ns1.example," is one good name: the comma separates */
		int ok = nsset_parse(&s, refused[i], bad, sizeof(bad));
		if (i == 4) {
			assert_true(ok);
		} else {
			assert_false(ok);
			assert_string_equal(bad, want_bad[i]);
		}
		nsset_free(&s);
	}
	/* what a server answers is kept as it is, however odd: it never
	   equals an expected (valid) name */
	assert_true(nsset_add(&s, "ns_1.example.", 0));
	assert_false(nsset_add(&s, "has space", 0));
	assert_false(nsset_add(&s, "ns\x01.example", 0));
	assert_true(nsset_has(&s, "NS_1.EXAMPLE"));
	nsset_free(&s);
	/* at most NSSET_MAX names */
	for (i = 0; i < NSSET_MAX; i++) {
		snprintf(bad, sizeof(bad), "ns%zu.example", i);
		assert_true(nsset_add(&s, bad, 1));
	}
	assert_false(nsset_add(&s, "one.more.example", 1));
	assert_true(nsset_add(&s, "ns0.example", 1));	/* already there */
	assert_int_equal(s.n, NSSET_MAX);
	nsset_free(&s);
}

#define SRC "[source]\nurl = https://old.example:8443\nsecret_file = /k\n"

static void
test_config_keys(void **state)
{
	struct config *c = NULL;
	struct mc_err err = { 0 };

	(void)state;
	assert_int_equal(config_parse("t.conf", SRC "[cutover]\n"
	    "new_ns = ns1.new.example, NS2.new.example.\n"
	    "root_hints = 127.0.63.1, ::1\n"
	    "parent_dns = 127.0.63.2 127.0.63.3\n", &c, &err), MC_OK);
	assert_int_equal(c->cutover.nnew_ns, 2);
	assert_string_equal(c->cutover.new_ns[1], "NS2.new.example.");
	assert_int_equal(c->cutover.nroot_hints, 2);
	assert_string_equal(c->cutover.root_hints[1], "::1");
	assert_int_equal(c->cutover.nparent_dns, 2);
	config_free(c);
	c = NULL;
	assert_int_equal(config_parse("t.conf", SRC "[cutover]\n"
	    "root_hints = /etc/mailcutover/root.hints\n", &c, &err), MC_OK);
	assert_string_equal(c->cutover.root_hints[0],
	    "/etc/mailcutover/root.hints");
	config_free(c);
	c = NULL;
	assert_int_equal(config_parse("t.conf", SRC "[cutover]\n"
	    "new_ns = ns1.new.example, ns_2\n", &c, &err), MC_E_CONFIG);
	assert_non_null(strstr(err.msg, "t.conf:5: [cutover] new_ns: 'ns_2'"));
	assert_int_equal(config_parse("t.conf", SRC "[cutover]\n"
	    "root_hints = 127.0.63.1 /x/root.hints\n", &c, &err),
	    MC_E_CONFIG);
	assert_non_null(strstr(err.msg, "either addresses or one file"));
	assert_int_equal(config_parse("t.conf", SRC "[cutover]\n"
	    "root_hints = root.hints\n", &c, &err), MC_E_CONFIG);
	assert_non_null(strstr(err.msg, "root_hints: 'root.hints' is not"));
	assert_null(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_ignores_form),
		cmocka_unit_test(test_extra_or_missing_differ),
		cmocka_unit_test(test_set_sorted_unique),
		cmocka_unit_test(test_strict_refuses),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
