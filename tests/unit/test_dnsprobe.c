/* test_dnsprobe.c -- dnsprobe against a real BIND 9 on 127.0.54.x, plus a spoofing responder. */
#include "unit.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "../../plugin/helper/dnsprobe.c"
#include "../../plugin/helper/dnsq.c"
#include "../../plugin/helper/dnsrate.c"
#include "../../plugin/helper/dnsslot.c"
#include "../../plugin/helper/dnstcp.c"

/*
 * Every packet of this test goes to 127.0.54.x only:
 *   .1 and .5  our named (authoritative, no recursion)
 *   .2         the unreachable primary of the secondary zone sec.test
 *   .3 and .4  the spoofing responder thread
 *   .9         nothing listens: no answer
 */
#define NS1	"127.0.54.1"
#define NS2	"127.0.54.5"
#define SPOOF	"127.0.54.3"
#define SPOOF2	"127.0.54.4"
#define DEAD	"127.0.54.9"
#define SERIAL	2026112801UL
#define HOSTS	1000
#define BIGTXT	40

static const char *const aliases[] = { NS1, NS2, SPOOF, SPOOF2 };

static struct {
	char	*dir;
	pid_t	 pid;
	int	 added[4];	/* aliases this test added to lo */
} srv = { NULL, -1, { 0, 0, 0, 0 } };

static void
writef(const char *path, const char *text)
{
	unit_write_file(path, text, strlen(text), 0644);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run_quiet(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
write_zone(const char *path)
{
	FILE *f = fopen(path, "w");
	int i;

	if (f == NULL)
		return -1;
	fprintf(f, "$TTL 3600\n"
	    "@ IN SOA ns1.probe.test. hostmaster.probe.test. %lu 3600 900 "
	    "604800 300\n"
	    "@ NS ns1\n"
	    "ns1 A " NS1 "\n"
	    "@ MX 10 mail.probe.test.\n"
	    "@ TXT \"v=spf1 ip4:127.0.3.20 -all\"\n"
	    "mail 600 A 127.0.3.20\n"
	    "mail AAAA 2001:db8::20\n"
	    "alias CNAME mail\n"
	    "multi TXT \"part one \" \"part two\"\n", SERIAL);
	/* without EDNS, BIND truncates UDP answers above 512 octets */
	for (i = 0; i < BIGTXT; i++)
		fprintf(f, "big TXT \"record %02d padding padding padding "
		    "padding padding\"\n", i);
	for (i = 0; i < HOSTS; i++)
		fprintf(f, "h%d A 127.0.%d.%d\nh%d AAAA 2001:db8::%x\n"
		    "h%d TXT \"host %d\"\n", i, 4 + i / 250, i % 250 + 1, i,
		    i + 1, i, i);
	return fclose(f);
}

static int
named_answers(void)
{
	return run_quiet("dig @" NS1 " probe.test SOA +short +time=1 "
	    "+tries=1 2>/dev/null | grep -q 2026112801 && "
	    "dig @" NS2 " probe.test SOA +short +time=1 +tries=1 2>/dev/null "
	    "| grep -q 2026112801") == 0;
}

static int
group_setup(void **state)
{
	char cmd[256], *conf = NULL, *zone = NULL, *out = NULL, text[2048];
	size_t i;
	int fd, tries, st;

	(void)state;
	/* these tests measure dnsprobe itself: no per-server cap
	   (test_dnspoll shows the cap) */
	dnsrate_set(0);
	if (geteuid() != 0 || access("/usr/sbin/named", X_OK) != 0) {
		fprintf(stderr, "test_dnsprobe: needs root and "
		    "/usr/sbin/named\n");
		return -1;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "ip -4 addr show dev lo | "
		    "grep -q 'inet %s/'", aliases[i]);
		if (run_quiet(cmd) == 0)
			continue;
		snprintf(cmd, sizeof(cmd), "ip addr add %s/32 dev lo",
		    aliases[i]);
		if (run_quiet(cmd) != 0)
			return -1;
		srv.added[i] = 1;
	}
	srv.dir = unit_mkdtemp();
	conf = unit_path(srv.dir, "named.conf");
	zone = unit_path(srv.dir, "probe.test.zone");
	out = unit_path(srv.dir, "named.out");
	snprintf(text, sizeof(text),
	    "options {\n"
	    "\tdirectory \"%s\";\n"
	    "\tlisten-on port 53 { " NS1 "; " NS2 "; };\n"
	    "\tlisten-on-v6 { none; };\n"
	    "\trecursion no;\n"
	    "\tdnssec-validation no;\n"
	    "\tnotify no;\n"
	    "\tpid-file \"%s/named.pid\";\n"
	    "\tsession-keyfile \"%s/session.key\";\n"
	    "\tallow-notify { 127.0.0.0/8; };\n"
	    "};\n"
	    "controls { };\n"
	    "zone \"probe.test\" { type primary; file \"%s\"; };\n"
	    /* a secondary whose primary never answers: accepts NOTIFY */
	    "zone \"sec.test\" { type secondary; "
	    "primaries { 127.0.54.2; }; file \"%s/sec.test.zone\"; };\n",
	    srv.dir, srv.dir, srv.dir, zone, srv.dir);
	writef(conf, text);
	if (write_zone(zone) != 0)
		return -1;

	if ((srv.pid = fork()) == -1)
		return -1;
	if (srv.pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/sbin/named", "named", "-g", "-c", conf,
		    (char *)NULL);
		_exit(127);
	}
	for (tries = 0; tries < 100; tries++) {
		if (waitpid(srv.pid, &st, WNOHANG) == srv.pid) {
			srv.pid = -1;
			break;
		}
		if (named_answers())
			break;
		usleep(100000);
	}
	if (srv.pid == -1 || tries == 100) {
		char *log = unit_read_file(out, NULL);

		fprintf(stderr, "named did not come up:\n%s\n",
		    log ? log : "(no output)");
		free(log);
		free(conf);
		free(zone);
		free(out);
		return -1;
	}
	free(conf);
	free(zone);
	free(out);
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[512];
	size_t i;
	int st, n, rc = 0;

	(void)state;
	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM);
		for (n = 0; n < 100; n++) {
			if (waitpid(srv.pid, &st, WNOHANG) == srv.pid)
				break;
			usleep(50000);
		}
		if (n == 100) {
			kill(srv.pid, SIGKILL);
			waitpid(srv.pid, &st, 0);
		}
		if (kill(srv.pid, 0) == 0 || errno != ESRCH) {
			fprintf(stderr, "named %d still there\n", (int)srv.pid);
			rc = -1;
		}
		srv.pid = -1;
	}
	if (srv.dir != NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", srv.dir);
		run_quiet(cmd);
		free(srv.dir);
		srv.dir = NULL;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (srv.added[i]) {
			snprintf(cmd, sizeof(cmd), "ip addr del %s/32 dev lo",
			    aliases[i]);
			run_quiet(cmd);
		}
	return rc;
}

static void
q_set(struct dnsq *q, const char *server, unsigned port, const char *name,
    int type)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->server, sizeof(q->server), "%s", server);
	q->port = port;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
}

static void
run_ok(struct dnsq *qs, size_t n, const struct dnsprobe_opts *o)
{
	struct mc_err err;
	enum mc_result rc;

	mc_err_clear(&err);
	rc = dnsprobe_run(qs, n, o, &err);
	if (rc != MC_OK)
		fail_msg("dnsprobe_run: %s: %s", mc_strerror(rc), err.msg);
}

static void
expect_answered(const struct dnsq *q, int rcode, size_t nanswers)
{
	if (q->result != MC_OK)
		fail_msg("%s/%d: %s", q->name, q->type, q->msg);
	assert_int_equal(q->rcode, rcode);
	assert_int_equal(q->nanswers, nanswers);
}

/* ---- answers ---- */

static void
test_answers(void **state)
{
	struct dnsq q[8];

	(void)state;
	q_set(&q[0], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_A);
	q_set(&q[1], NS1, 53, "mail.probe.test.", LDNS_RR_TYPE_AAAA);
	q_set(&q[2], NS1, 0, "probe.test", LDNS_RR_TYPE_SOA);
	q_set(&q[3], NS1, 0, "probe.test", LDNS_RR_TYPE_MX);
	q_set(&q[4], NS1, 0, "probe.test", LDNS_RR_TYPE_TXT);
	q_set(&q[5], NS1, 0, "MAIL.Probe.TEST", LDNS_RR_TYPE_A);
	q_set(&q[6], NS1, 0, "alias.probe.test", LDNS_RR_TYPE_A);
	q_set(&q[7], NS1, 0, "multi.probe.test", LDNS_RR_TYPE_TXT);
	run_ok(q, 8, NULL);

	expect_answered(&q[0], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[0].answers[0], "127.0.3.20");
	assert_int_equal(q[0].ttl, 600);
	assert_int_equal(q[0].aa, 1);
	assert_int_equal(q[0].tries, 1);
	assert_int_equal(q[0].tcp, 0);
	assert_int_equal(q[0].has_serial, 0);

	expect_answered(&q[1], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[1].answers[0], "2001:db8::20");
	assert_int_equal(q[1].ttl, 3600);

	expect_answered(&q[2], LDNS_RCODE_NOERROR, 1);
	assert_int_equal(q[2].has_serial, 1);
	assert_int_equal(q[2].serial, SERIAL);
	assert_string_equal(q[2].answers[0], "ns1.probe.test. "
	    "hostmaster.probe.test. 2026112801 3600 900 604800 300");

	expect_answered(&q[3], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[3].answers[0], "10 mail.probe.test.");

	expect_answered(&q[4], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[4].answers[0], "v=spf1 ip4:127.0.3.20 -all");

	/* the question is matched case-insensitively */
	expect_answered(&q[5], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[5].answers[0], "127.0.3.20");

	/* CNAME chain inside the answer */
	expect_answered(&q[6], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[6].answers[0], "127.0.3.20");

	expect_answered(&q[7], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[7].answers[0], "part one part two");

	/* a second run on the same structs replaces the results */
	run_ok(q, 1, NULL);
	expect_answered(&q[0], LDNS_RCODE_NOERROR, 1);
	dnsq_free_all(q, 8);
	assert_null(q[0].answers);
	assert_int_equal(q[0].nanswers, 0);
	assert_string_equal(q[0].name, "mail.probe.test");
	dnsq_clear(NULL);
}

static void
test_nxdomain_refused(void **state)
{
	struct dnsq q[3];

	(void)state;
	q_set(&q[0], NS1, 0, "nope.probe.test", LDNS_RR_TYPE_A);
	q_set(&q[1], NS1, 0, "www.other.test", LDNS_RR_TYPE_A);
	q_set(&q[2], NS1, 0, "ns1.probe.test", LDNS_RR_TYPE_MX); /* NODATA */
	run_ok(q, 3, NULL);
	expect_answered(&q[0], LDNS_RCODE_NXDOMAIN, 0);
	assert_int_equal(q[0].aa, 1);
	expect_answered(&q[1], LDNS_RCODE_REFUSED, 0);
	assert_int_equal(q[1].aa, 0);
	expect_answered(&q[2], LDNS_RCODE_NOERROR, 0);
	dnsq_free_all(q, 3);
}

static void
test_concurrent_1000(void **state)
{
	struct dnsprobe_opts o = { .max_inflight = HOSTS,
	    .max_per_server = HOSTS };
	struct dnsprobe_stats before, after;
	struct dnsq *q;
	char name[64], want[32];
	size_t i, ok = 0;
	double t0, el;

	(void)state;
	q = calloc(HOSTS, sizeof(*q));
	assert_non_null(q);
	for (i = 0; i < HOSTS; i++) {
		snprintf(name, sizeof(name), "h%zu.probe.test", i);
		q_set(&q[i], i % 2 ? NS2 : NS1, 0, name, LDNS_RR_TYPE_A);
	}
	dnsprobe_stats_get(&before);
	t0 = now_s();
	run_ok(q, HOSTS, &o);
	el = now_s() - t0;
	dnsprobe_stats_get(&after);
	printf("[  INFO    ] %d questions all in flight at once: %.3f s, "
	    "%lu resent\n", HOSTS, el, after.retries - before.retries);
	for (i = 0; i < HOSTS; i++) {
		snprintf(want, sizeof(want), "127.0.%zu.%zu", 4 + i / 250,
		    i % 250 + 1);
		if (q[i].result == MC_OK && q[i].nanswers == 1 &&
		    strcmp(q[i].answers[0], want) == 0)
			ok++;
		else
			fprintf(stderr, "h%zu: %s\n", i, q[i].msg);
	}
	assert_int_equal(ok, HOSTS);
	assert_int_equal(after.received - before.received, HOSTS);
	assert_true(after.sent - before.sent >= HOSTS);
	dnsq_free_all(q, HOSTS);
	free(q);
}

/* ---- failures ---- */

static void
test_dead_server(void **state)
{
	struct dnsprobe_opts o = { .timeout_ms = 200, .tries = 2 };
	struct dnsq q[4];
	double t0, el;

	(void)state;
	q_set(&q[0], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_A);
	q_set(&q[1], DEAD, 0, "probe.test.", LDNS_RR_TYPE_A);
	q_set(&q[2], DEAD, 5353, "probe.test", LDNS_RR_TYPE_SOA);
	q_set(&q[3], NS1, 0, "probe.test", LDNS_RR_TYPE_SOA);
	t0 = now_s();
	run_ok(q, 4, &o);
	el = now_s() - t0;
	expect_answered(&q[0], LDNS_RCODE_NOERROR, 1);
	expect_answered(&q[3], LDNS_RCODE_NOERROR, 1);
	assert_int_equal(q[1].result, MC_E_DNS);
	assert_int_equal(q[1].tries, 2);
	assert_int_equal(q[1].nanswers, 0);
	assert_int_equal(q[1].rcode, -1);
	assert_string_equal(q[1].msg, DEAD ": no answer for probe.test/A "
	    "after 2 tries (timeout 200 ms)");
	assert_int_equal(q[2].result, MC_E_DNS);
	assert_int_equal(q[2].tries, 2);
	assert_string_equal(q[2].msg, DEAD " port 5353: no answer for "
	    "probe.test/SOA after 2 tries (timeout 200 ms)");
	/* the two tries run in parallel with everything else */
	assert_true(el >= 0.39 && el < 1.5);
	dnsq_free_all(q, 4);
}

static void
test_tcp_fallback(void **state)
{
	struct dnsprobe_stats before, after;
	struct dnsq q[2];
	char want[80];
	size_t i;
	int seen[BIGTXT] = { 0 }, k;

	(void)state;
	q_set(&q[0], NS1, 0, "big.probe.test", LDNS_RR_TYPE_TXT);
	q_set(&q[1], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_A);
	dnsprobe_stats_get(&before);
	run_ok(q, 2, NULL);
	dnsprobe_stats_get(&after);
	expect_answered(&q[0], LDNS_RCODE_NOERROR, BIGTXT);
	assert_int_equal(q[0].tcp, 1);
	assert_int_equal(q[0].tries, 2);
	assert_int_equal(q[0].aa, 1);
	for (i = 0; i < q[0].nanswers; i++) {
		assert_int_equal(sscanf(q[0].answers[i], "record %d", &k), 1);
		assert_true(k >= 0 && k < BIGTXT);
		snprintf(want, sizeof(want), "record %02d padding padding "
		    "padding padding padding", k);
		assert_string_equal(q[0].answers[i], want);
		seen[k]++;
	}
	for (k = 0; k < BIGTXT; k++)
		assert_int_equal(seen[k], 1);
	expect_answered(&q[1], LDNS_RCODE_NOERROR, 1);
	assert_int_equal(q[1].tcp, 0);
	assert_int_equal(after.tcp - before.tcp, 1);
	dnsq_free_all(q, 2);
}

/* A question that fails validation leaves every dnsq untouched. */
static void
expect_usage(struct dnsq *q, size_t n, const struct dnsprobe_opts *o)
{
	struct dnsprobe_stats before, after;
	struct mc_err err;
	size_t i;

	for (i = 0; i < n; i++) {
		q[i].tries = 77;
		snprintf(q[i].msg, sizeof(q[i].msg), "sentinel");
	}
	mc_err_clear(&err);
	dnsprobe_stats_get(&before);
	assert_int_equal(dnsprobe_run(q, n, o, &err), MC_E_USAGE);
	dnsprobe_stats_get(&after);
	assert_int_equal(after.sent, before.sent);
	assert_true(err.msg[0] != '\0');
	for (i = 0; i < n; i++) {
		assert_int_equal(q[i].tries, 77);
		assert_string_equal(q[i].msg, "sentinel");
		assert_null(q[i].answers);
	}
}

static void
test_invalid(void **state)
{
	struct dnsprobe_opts bad = { .timeout_ms = -1 };
	struct dnsprobe_opts bad2 = { .max_inflight = 5000 };
	struct dnsprobe_opts bad3 = { .max_per_server = -2 };
	char label64[80], longname[256];
	struct dnsq q[2];
	struct mc_err err;
	int i;

	(void)state;
	memset(label64, 'a', 64);
	snprintf(label64 + 64, sizeof(label64) - 64, ".probe.test");

	q_set(&q[0], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_A);
	q_set(&q[1], "127.0.54.300", 0, "mail.probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	q_set(&q[1], "127.0.54.1:53", 0, "mail.probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	q_set(&q[1], "localhost", 0, "mail.probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	q_set(&q[1], NS1, 70000, "mail.probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	q_set(&q[1], NS1, 0, label64, LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	label64[63] = '\0';	/* 63 a's: one label, valid */
	q_set(&q[1], NS1, 0, "a..probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	q_set(&q[1], NS1, 0, "", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	q_set(&q[1], NS1, 0, "a\\.b.probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, NULL);
	/* 4 x 63-char labels: 255 characters, 257 octets on the wire */
	for (i = 0; i < 4; i++) {
		memset(longname + i * 64, 'b', 63);
		longname[i * 64 + 63] = '.';
	}
	longname[4 * 64 - 1] = '\0';
	assert_int_equal(strlen(longname), 255);
	q_set(&q[1], NS1, 0, "x", LDNS_RR_TYPE_A);
	memcpy(q[1].name, longname, 256);
	expect_usage(q, 2, NULL);
	longname[3 * 64 - 1] = '\0';	/* 3 labels: valid */
	assert_true(valid_name(longname, 256));
	q_set(&q[1], NS1, 0, "mail.probe.test", 0);
	expect_usage(q, 2, NULL);
	q_set(&q[1], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_DS);
	expect_usage(q, 2, NULL);
	/* a name filling all 256 bytes without a NUL */
	q_set(&q[1], NS1, 0, "x", LDNS_RR_TYPE_A);
	memset(q[1].name, 'x', sizeof(q[1].name));
	expect_usage(q, 2, NULL);
	q_set(&q[1], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_A);
	expect_usage(q, 2, &bad);
	expect_usage(q, 2, &bad2);
	expect_usage(q, 2, &bad3);

	mc_err_clear(&err);
	assert_int_equal(dnsprobe_run(q, DNSPROBE_MAX_QUERIES + 1, NULL,
	    &err), MC_E_USAGE);
	assert_int_equal(dnsprobe_run(NULL, 3, NULL, &err), MC_E_USAGE);
	assert_int_equal(dnsprobe_run(NULL, 0, NULL, &err), MC_OK);
	assert_string_equal(q[0].msg, "sentinel");
}

/* ---- a responder that lies first, then answers ---- */

struct spoof {
	int	 fd;		/* SPOOF:53, receives the query */
	int	 fd_other;	/* SPOOF2:53, wrong source address */
	int	 fd_port;	/* SPOOF:5300, wrong source port */
	int	 sent;
	int	 ready;
};

static int
udp_bound(const char *ip, unsigned port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	assert_true(fd != -1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A reply to id with question qname/A and one A record (ldns-built). */
static void
spoof_send_tc(int fd, const struct sockaddr_in *to, uint16_t id, int qr,
    int tc, const char *qname, const char *addr)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *rr = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	char line[256];

	assert_non_null(pkt);
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_qr(pkt, qr);
	ldns_pkt_set_aa(pkt, 1);
	ldns_pkt_set_tc(pkt, tc);
	snprintf(line, sizeof(line), "%s IN A", qname);
	assert_int_equal(ldns_rr_new_question_frm_str(&rr, line, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr);
	if (addr != NULL) {
		snprintf(line, sizeof(line), "%s 60 IN A %s", qname, addr);
		assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
	}
	assert_int_equal(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	assert_int_equal(sendto(fd, wire, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)), (ssize_t)len);
	free(wire);
	ldns_pkt_free(pkt);
}

static void
spoof_send(int fd, const struct sockaddr_in *to, uint16_t id, int qr,
    const char *qname, const char *addr)
{
	spoof_send_tc(fd, to, id, qr, 0, qname, addr);
}

static void *
tc_main(void *arg)
{
	struct spoof *sp = arg;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t buf[512];
	ldns_pkt *q = NULL;
	ssize_t r;

	r = recvfrom(sp->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fl);
	if (r <= 0 || ldns_wire2pkt(&q, buf, (size_t)r) != LDNS_STATUS_OK)
		return NULL;
	spoof_send_tc(sp->fd, &from, ldns_pkt_id(q), 1, 1, "tc.spoof.test.",
	    NULL);
	sp->sent = 1;
	ldns_pkt_free(q);
	return NULL;
}

static void *
spoof_main(void *arg)
{
	struct spoof *sp = arg;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t buf[512];
	ldns_pkt *q = NULL;
	ssize_t r;
	uint16_t id;

	r = recvfrom(sp->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fl);
	if (r <= 0 || ldns_wire2pkt(&q, buf, (size_t)r) != LDNS_STATUS_OK)
		return NULL;
	id = ldns_pkt_id(q);
	/* wrong id */
	spoof_send(sp->fd, &from, (uint16_t)(id ^ 0x5a5a), 1,
	    "mail.spoof.test.", "127.0.0.66");
	/* right id, wrong question */
	spoof_send(sp->fd, &from, id, 1, "evil.spoof.test.", "127.0.0.77");
	/* right id and question, wrong source address */
	spoof_send(sp->fd_other, &from, id, 1, "mail.spoof.test.",
	    "127.0.0.88");
	/* ... wrong source port */
	spoof_send(sp->fd_port, &from, id, 1, "mail.spoof.test.",
	    "127.0.0.87");
	/* ... QR bit clear: a query, not a reply */
	spoof_send(sp->fd, &from, id, 0, "mail.spoof.test.", "127.0.0.86");
	/* the real one */
	spoof_send(sp->fd, &from, id, 1, "mail.spoof.test.", "127.0.0.99");
	sp->sent = 6;
	ldns_pkt_free(q);
	return NULL;
}

static void
test_spoofed_replies_ignored(void **state)
{
	struct dnsprobe_opts o = { .timeout_ms = 3000, .tries = 1 };
	struct dnsprobe_stats before, after;
	struct spoof sp;
	struct dnsq q[2];
	pthread_t th;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	sp.fd = udp_bound(SPOOF, 53);
	sp.fd_other = udp_bound(SPOOF2, 53);
	sp.fd_port = udp_bound(SPOOF, 5300);
	assert_int_equal(pthread_create(&th, NULL, spoof_main, &sp), 0);
	q_set(&q[0], SPOOF, 0, "mail.spoof.test", LDNS_RR_TYPE_A);
	q_set(&q[1], NS1, 0, "mail.probe.test", LDNS_RR_TYPE_A);
	dnsprobe_stats_get(&before);
	run_ok(q, 2, &o);
	dnsprobe_stats_get(&after);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(sp.sent, 6);
	expect_answered(&q[0], LDNS_RCODE_NOERROR, 1);
	assert_string_equal(q[0].answers[0], "127.0.0.99");
	assert_int_equal(q[0].tries, 1);
	assert_int_equal(q[0].ttl, 60);
	expect_answered(&q[1], LDNS_RCODE_NOERROR, 1);
	assert_int_equal(after.ignored - before.ignored, 5);
	close(sp.fd);
	close(sp.fd_other);
	close(sp.fd_port);
	dnsq_free_all(q, 2);
}

/* TC=1 from a server without TCP: the TCP tries fail, the query reports it. */
static void
test_tc_without_tcp(void **state)
{
	struct dnsprobe_opts o = { .timeout_ms = 2000, .tries = 2 };
	struct dnsprobe_stats before, after;
	struct spoof sp;
	struct dnsq q;
	pthread_t th;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	sp.fd = udp_bound(SPOOF, 53);
	assert_int_equal(pthread_create(&th, NULL, tc_main, &sp), 0);
	q_set(&q, SPOOF, 0, "tc.spoof.test", LDNS_RR_TYPE_A);
	dnsprobe_stats_get(&before);
	run_ok(&q, 1, &o);
	dnsprobe_stats_get(&after);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(sp.sent, 1);
	assert_int_equal(q.result, MC_E_DNS);
	assert_int_equal(q.tries, 3);	/* 1 UDP + 2 TCP */
	assert_int_equal(q.tcp, 0);
	assert_string_equal(q.msg, SPOOF ": no answer over TCP (Connection "
	    "refused) for tc.spoof.test/A after 3 tries (timeout 2000 ms)");
	assert_int_equal(after.tcp - before.tcp, 1);
	close(sp.fd);
	dnsq_clear(&q);
}

/* ---- NOTIFY ---- */

static void
test_notify(void **state)
{
	struct dnsprobe_opts o = { .timeout_ms = 300, .tries = 2 };
	struct mc_err err;

	(void)state;
	mc_err_clear(&err);
	if (dnsprobe_notify(NS1, 0, "sec.test", &o, &err) != MC_OK)
		fail_msg("notify sec.test: %s", err.msg);
	/* BIND 9.18 acknowledges a NOTIFY for its own primary zone too */
	mc_err_clear(&err);
	if (dnsprobe_notify(NS1, 53, "probe.test.", &o, &err) != MC_OK)
		fail_msg("notify probe.test: %s", err.msg);

	/* a zone it does not serve: BIND answers NOTAUTH */
	mc_err_clear(&err);
	assert_int_equal(dnsprobe_notify(NS1, 0, "other.test", &o, &err),
	    MC_E_DNS);
	assert_string_equal(err.msg, NS1 ": NOTIFY for other.test answered "
	    "NOTAUTH");

	mc_err_clear(&err);
	assert_int_equal(dnsprobe_notify(DEAD, 0, "sec.test", &o, &err),
	    MC_E_DNS);
	assert_string_equal(err.msg, DEAD ": no answer to NOTIFY for sec.test "
	    "after 2 tries (timeout 300 ms)");

	mc_err_clear(&err);
	assert_int_equal(dnsprobe_notify("ns1.probe.test", 0, "sec.test", &o,
	    &err), MC_E_USAGE);
	assert_int_equal(dnsprobe_notify(NS1, 0, "bad..zone", &o, &err),
	    MC_E_USAGE);
	assert_int_equal(dnsprobe_notify(NULL, 0, "sec.test", &o, &err),
	    MC_E_USAGE);
}

/* ---- throughput (informational) ---- */

static void
test_throughput(void **state)
{
	static const int ty[3] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_TYPE_TXT };
	const size_t n = (size_t)HOSTS * 3 * 2;
	struct dnsprobe_stats before, after;
	struct dnsq *q;
	char name[64];
	size_t i, ok = 0;
	double t0, el, qps, dig_qps;
	int ndig = 100;

	(void)state;
	q = calloc(n, sizeof(*q));
	assert_non_null(q);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h%zu.probe.test", i / 6);
		q_set(&q[i], (i / 3) % 2 ? NS2 : NS1, 0, name, ty[i % 3]);
	}
	dnsprobe_stats_get(&before);
	t0 = now_s();
	run_ok(q, n, NULL);
	el = now_s() - t0;
	dnsprobe_stats_get(&after);
	for (i = 0; i < n; i++)
		ok += q[i].result == MC_OK && q[i].nanswers == 1;
	qps = (double)n / el;

	t0 = now_s();
	assert_int_equal(run_quiet("i=0; while [ $i -lt 100 ]; do "
	    "dig @" NS1 " h$i.probe.test A +norec +short +time=1 +tries=1 "
	    ">/dev/null || exit 1; i=$((i+1)); done"), 0);
	dig_qps = (double)ndig / (now_s() - t0);
	printf("[  INFO    ] dnsprobe: %zu queries (%zu answered) in %.3f s "
	    "= %.0f queries/s (sent %lu, retries %lu); sequential dig loop "
	    "%.0f queries/s; ratio %.0fx\n", n, ok, el, qps,
	    after.sent - before.sent, after.retries - before.retries,
	    dig_qps, qps / dig_qps);
	assert_int_equal(ok, n);
	dnsq_free_all(q, n);
	free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_nxdomain_refused),
		cmocka_unit_test(test_concurrent_1000),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_tcp_fallback),
		cmocka_unit_test(test_spoofed_replies_ignored),
		cmocka_unit_test(test_tc_without_tcp),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
