/* test_delegation.c -- the parent zone's servers found from the root down
 * and asked for a zone's delegation (walk.c, delegation.c, the referral
 * of dnsq.c, roothints.c), against the loopback parent bed: real BIND 9
 * as the root (127.0.64.1) and two parent servers (127.0.64.2, .3) of
 * tests/system/parentbed.py; 127.0.64.9 answers nothing. */
#include "unit.h"

#include <sys/wait.h>

#include "../../plugin/helper/delegation.c"
#include "../../plugin/helper/dnsprobe.c"
#include "../../plugin/helper/dnsq.c"
#include "../../plugin/helper/dnsslot.c"
#include "../../plugin/helper/dnstcp.c"
#include "../../plugin/helper/nsset.c"
#include "../../plugin/helper/roothints.c"
#include "../../plugin/helper/walk.c"

#define ROOT	"127.0.64.1"
#define P1	"127.0.64.2"
#define P2	"127.0.64.3"
#define DEAD	"127.0.64.9"
#define DIR	"tests/out/unit-delegation"
#define BED	"/usr/bin/python3 tests/system/parentbed.py"
#define TIMEOUT	300

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_delegation: needs root (BIND on port "
		    "53 of loopback aliases)\n");
		return -1;
	}
	if (sh("rm -rf " DIR " && " BED " up --dir " DIR " --ip " ROOT) != 0 ||
	    sh(BED " set --dir " DIR " --zone shop.test "
	    "ns1.shop.test=127.0.53.1 ns2.shop.test=127.0.53.2") != 0 ||
	    sh(BED " set --dir " DIR " --zone moved.example "
	    "ns1.old-host.example ns2.old-host.example") != 0) {
		fprintf(stderr, "test_delegation: the parent bed did not "
		    "start (see " DIR "/named.log)\n");
		sh(BED " down --dir " DIR);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return sh(BED " down --dir " DIR " >/dev/null") == 0 ? 0 : -1;
}

static unsigned long
sent(void)
{
	struct dnsprobe_stats st;

	dnsprobe_stats_get(&st);
	return st.sent;
}

static void
ask1(struct dnsq *q, const char *server, const char *name, int type)
{
	struct mc_err err = { 0 };
	struct dnsprobe_opts o = { TIMEOUT, 2, 0, 0, 0 };

	/* q's earlier answers are released by dnsprobe_run */
	snprintf(q->server, sizeof(q->server), "%s", server);
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	assert_int_equal(dnsprobe_run(q, 1, &o, &err), MC_OK);
	assert_int_equal(q->result, MC_OK);
}

/* the referral of a non-recursive NS answer: owner, names, glue */
static void
test_referral_parsed(void **state)
{
	struct dnsq q;

	(void)state;
	memset(&q, 0, sizeof(q));
	ask1(&q, ROOT, "shop.test.", LDNS_RR_TYPE_NS);
	assert_int_equal(q.rcode, LDNS_RCODE_NOERROR);
	assert_false(q.aa);
	assert_int_equal(q.nanswers, 0);
	assert_string_equal(q.cut, "test.");
	assert_int_equal(q.nauth, 2);
	assert_int_equal(q.nglue, 2);
	assert_true((!strcmp(q.glue[0], "p1.nic.test. " P1) &&
	    !strcmp(q.glue[1], "p2.nic.test. " P2)) ||
	    (!strcmp(q.glue[1], "p1.nic.test. " P1) &&
	    !strcmp(q.glue[0], "p2.nic.test. " P2)));
	ask1(&q, P1, "SHOP.test", LDNS_RR_TYPE_NS);
	assert_string_equal(q.cut, "shop.test.");
	assert_int_equal(q.nauth, 2);
	assert_non_null(strstr(q.auth[0], ".shop.test."));
	assert_int_equal(q.nglue, 2);
	/* an authoritative answer has no referral */
	ask1(&q, ROOT, ".", LDNS_RR_TYPE_NS);
	assert_true(q.aa);
	assert_int_equal(q.nanswers, 1);
	assert_null(q.cut);
	assert_int_equal(q.nauth, 0);
	/* nor has any other type */
	ask1(&q, ROOT, "shop.test.", LDNS_RR_TYPE_A);
	assert_null(q.cut);
	assert_int_equal(q.nglue, 0);
	dnsq_clear(&q);
	assert_null(q.auth);
	assert_null(q.glue);
}

static void
walk_zones(struct walk_zone *zs, size_t n, const char *const *roots,
    size_t nroots)
{
	struct mc_err err = { 0 };

	assert_int_equal(walk_run(zs, n, roots, nroots, TIMEOUT, &err), MC_OK);
}

static int
host_is(const struct walk_zone *z, size_t i, const char *name,
    const char *addr)
{
	return i < z->nhosts && !strcmp(z->hosts[i].name, name) &&
	    !strcmp(z->hosts[i].addr, addr);
}

/* from the root down; one question per name however many zones ask it */
static void
test_walk(void **state)
{
	static const char *const roots[] = { ROOT };
	struct walk_zone zs[4];
	unsigned long before;
	size_t i;

	(void)state;
	memset(zs, 0, sizeof(zs));
	zs[0].zone = "shop.test";
	zs[1].zone = "nosuch.test";
	zs[2].zone = "other.test";
	before = sent();
	walk_zones(zs, 3, roots, 1);
	assert_int_equal(sent() - before, 1);	/* "test. NS?" to the root */
	for (i = 0; i < 3; i++) {
		assert_string_equal(zs[i].parent, "test");
		assert_int_equal(zs[i].nhosts, 2);
		assert_true((host_is(&zs[i], 0, "p1.nic.test", P1) &&
		    host_is(&zs[i], 1, "p2.nic.test", P2)) ||
		    (host_is(&zs[i], 1, "p1.nic.test", P1) &&
		    host_is(&zs[i], 0, "p2.nic.test", P2)));
		walk_zone_free(&zs[i]);
	}
	memset(zs, 0, sizeof(zs));
	zs[0].zone = "moved.example";
	zs[1].zone = "absent.zz";	/* no such TLD: the root is the parent */
	zs[2].zone = "test";		/* a TLD: the root is its parent */
	zs[3].zone = "a.b.moved.example"; /* below a delegation: its servers */
	walk_zones(zs, 4, roots, 1);
	assert_string_equal(zs[0].parent, "example");
	assert_int_equal(zs[0].nhosts, 2);
	assert_string_equal(zs[1].parent, ".");
	assert_true(host_is(&zs[1], 0, "", ROOT));
	assert_string_equal(zs[2].parent, ".");
	/* moved.example's servers (ns1.old-host.example) have no address:
	   the walk says so and stops */
	assert_int_equal(zs[3].nhosts, 0);
	assert_non_null(strstr(zs[3].msg, "no address (glue)"));
	assert_non_null(strstr(zs[3].msg, "moved.example"));
	for (i = 0; i < 4; i++)
		walk_zone_free(&zs[i]);
}

/* a root that does not answer: the next one; none answers: said */
static void
test_walk_dead_root(void **state)
{
	static const char *const both[] = { DEAD, ROOT };
	static const char *const dead[] = { DEAD };
	struct walk_zone z;

	(void)state;
	memset(&z, 0, sizeof(z));
	z.zone = "shop.test";
	walk_zones(&z, 1, both, 2);
	assert_string_equal(z.parent, "test");
	assert_int_equal(z.nhosts, 2);
	walk_zone_free(&z);
	memset(&z, 0, sizeof(z));
	z.zone = "shop.test";
	walk_zones(&z, 1, dead, 1);
	assert_int_equal(z.nhosts, 0);
	assert_non_null(strstr(z.msg, "asking the servers of the root for "
	    "test"));
	assert_non_null(strstr(z.msg, DEAD));
	walk_zone_free(&z);
}

static const struct delegation_server *
srv(const struct delegation *d, const char *addr)
{
	size_t i;

	for (i = 0; i < d->nsrv; i++)
		if (!strcmp(d->srv[i].addr, addr))
			return &d->srv[i];
	fail_msg("no server %s for %s", addr, d->zone);
	return NULL;
}

static int
lists(const struct delegation_server *s, const char *names)
{
	struct nsset want = { NULL, 0 };
	int eq;

	assert_true(nsset_parse(&want, names, NULL, 0));
	eq = s->status == DELEG_LISTS && nsset_equal(&s->ns, &want);
	nsset_free(&want);
	return eq;
}

static void
run(struct delegation *ds, size_t n, char *const *parents, size_t np)
{
	static const char *const roots[] = { ROOT };
	struct delegation_opts o = { parents, np, roots, 1, TIMEOUT };
	struct mc_err err = { 0 };

	assert_int_equal(delegation_run(ds, n, &o, &err), MC_OK);
}

/* every parent server asked; a delegation that moves on one of them */
static void
test_delegation_moves(void **state)
{
	struct delegation ds[2];

	(void)state;
	memset(ds, 0, sizeof(ds));
	snprintf(ds[0].zone, sizeof(ds[0].zone), "shop.test");
	snprintf(ds[1].zone, sizeof(ds[1].zone), "nosuch.test");
	run(ds, 2, NULL, 0);
	assert_string_equal(ds[0].parent, "test");
	assert_int_equal(ds[0].nsrv, 2);
	assert_string_equal(ds[0].srv[0].name, "p1.nic.test");	/* sorted */
	assert_true(lists(srv(&ds[0], P1), "ns1.shop.test ns2.shop.test"));
	assert_true(lists(srv(&ds[0], P2), "ns2.shop.test ns1.shop.test"));
	assert_int_equal(srv(&ds[1], P1)->status, DELEG_NONE);
	assert_non_null(strstr(srv(&ds[1], P1)->why, "NXDOMAIN"));
	delegation_free(&ds[0]);
	delegation_free(&ds[1]);

	assert_int_equal(sh(BED " set --dir " DIR " --zone shop.test --server "
	    P1 " ns1.new-host.example NS2.new-host.example >/dev/null"), 0);
	memset(ds, 0, sizeof(ds));
	snprintf(ds[0].zone, sizeof(ds[0].zone), "shop.test");
	run(ds, 1, NULL, 0);
	assert_true(lists(srv(&ds[0], P1),
	    "ns1.new-host.example ns2.new-host.example"));
	assert_true(lists(srv(&ds[0], P2), "ns1.shop.test ns2.shop.test"));
	delegation_free(&ds[0]);
	/* not delegated any more: the parent says so */
	assert_int_equal(sh(BED " set --dir " DIR " --zone shop.test --server "
	    P2 " >/dev/null"), 0);
	memset(ds, 0, sizeof(ds));
	snprintf(ds[0].zone, sizeof(ds[0].zone), "shop.test");
	run(ds, 1, NULL, 0);
	assert_int_equal(srv(&ds[0], P2)->status, DELEG_NONE);
	delegation_free(&ds[0]);
	delegation_free(NULL);
}

/* parent_dns: these addresses asked; one dead, one not the parent */
static void
test_delegation_given(void **state)
{
	static char p1[] = P1, dead[] = DEAD, root[] = ROOT;
	char *const parents[] = { p1, dead, root };
	struct delegation d;
	unsigned long before = sent();

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.zone, sizeof(d.zone), "moved.example");
	run(&d, 1, parents, 3);
	assert_string_equal(d.parent, "");
	assert_int_equal(d.nsrv, 3);
	assert_true(lists(srv(&d, P1), "ns1.old-host.example "
	    "ns2.old-host.example"));
	assert_int_equal(srv(&d, DEAD)->status, DELEG_UNASKED);
	assert_non_null(strstr(srv(&d, DEAD)->why, DEAD));
	assert_int_equal(srv(&d, ROOT)->status, DELEG_UNASKED);
	assert_non_null(strstr(srv(&d, ROOT)->why, "not authoritative for the "
	    "parent zone (a referral to example.)"));
	/* no walk: three questions, and the dead one's second try */
	assert_int_equal(sent() - before, 4);
	delegation_free(&d);
}

static void
test_roothints(void **state)
{
	struct cutover_conf cc;
	struct roothints h;
	struct mc_err err = { 0 };
	char cwd[512], path[700], bad[700], none[700], a1[] = "127.0.64.1",
	    a2[] = "::1";

	(void)state;
	/* root_hints names an absolute path */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/" DIR "/root.hints", cwd);
	snprintf(bad, sizeof(bad), "%s/" DIR "/bad.hints", cwd);
	snprintf(none, sizeof(none), "%s/" DIR "/none.hints", cwd);
	memset(&cc, 0, sizeof(cc));
	assert_int_equal(roothints_load(&cc, &h, &err), MC_OK);
	assert_true(h.builtin);
	assert_int_equal(h.n, 13);
	assert_string_equal(h.addr[0], "198.41.0.4");
	cc.root_hints[0] = a1;
	cc.root_hints[1] = a2;
	cc.nroot_hints = 2;
	assert_int_equal(roothints_load(&cc, &h, &err), MC_OK);
	assert_false(h.builtin);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.addr[1], "::1");
	/* the bed's named.root-style file */
	cc.root_hints[0] = path;
	cc.nroot_hints = 1;
	assert_int_equal(roothints_load(&cc, &h, &err), MC_OK);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.addr[0], ROOT);
	unit_write_file(bad, "root.parentbed. 3600 IN A 300.1.1.1x\n", 37,
	    0644);
	cc.root_hints[0] = bad;
	assert_int_equal(roothints_load(&cc, &h, &err), MC_E_CONFIG);
	assert_non_null(strstr(err.msg, "bad.hints"));
	unit_write_file(bad, ". 3600 IN NS root.parentbed.\n", 29, 0644);
	assert_int_equal(roothints_load(&cc, &h, &err), MC_E_CONFIG);
	assert_non_null(strstr(err.msg, "no A or AAAA record"));
	cc.root_hints[0] = none;
	assert_int_equal(roothints_load(&cc, &h, &err), MC_E_CONFIG);
	assert_non_null(strstr(err.msg, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_referral_parsed),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_dead_root),
		cmocka_unit_test(test_delegation_moves),
		cmocka_unit_test(test_delegation_given),
		cmocka_unit_test(test_roothints),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
