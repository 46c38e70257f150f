/* test_dnspoll.c -- the polite polling loop and the per-server rate cap,
 * counted where it matters: at a tiny UDP responder (two "name servers"
 * on 127.0.55.1 and 127.0.55.2, a thread of this test) that logs every
 * question it receives with the time it arrived. */
#include "unit.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../../plugin/helper/dnspoll.c"
#include "../../plugin/helper/dnsprobe.c"
#include "../../plugin/helper/dnsq.c"
#include "../../plugin/helper/dnsrate.c"
#include "../../plugin/helper/dnsslot.c"
#include "../../plugin/helper/dnstcp.c"

#define PRI	"127.0.55.1"
#define SEC	"127.0.55.2"
#define ZONES	256
#define LOGMAX	20000
#define ADDR	"10.0.0.1"

/* one question as the responder received it */
struct seen {
	long long	 us;		/* CLOCK_MONOTONIC */
	int		 srv;		/* 0 PRI, 1 SEC */
	int		 type;
	int		 zone;		/* zN.poll.test: N */
};

static struct {
	int		 fd[2];
	pthread_t	 th;
	atomic_int	 stop;
	long long	 t0_us;
	/* the secondary serves serial 2 of zone N from ready_ms[N] on
	 * (after t0), serial 1 before; the primary serves 2 */
	long long	 ready_ms[ZONES];
	int		 drop_every;	/* ignore every Nth first question */
	struct seen	 log[LOGMAX];
	atomic_int	 nlog;
} RS;

static long long
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
bound(const char *ip)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	assert_true(fd != -1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(53);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int
zone_no(const char *name)
{
	int n = -1;

	if (sscanf(name, "z%d.poll.test", &n) != 1 &&
	    sscanf(name, "%*[a-z].z%d.poll.test", &n) != 1)
		return -1;
	return n >= 0 && n < ZONES ? n : -1;
}

/* the answer to q (SOA or A) from server srv */
static void
answer(int srv, const struct sockaddr_in *to, ldns_pkt *q, int zone,
    long long now_us)
{
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0), *rr = NULL;
	ldns_pkt *a = ldns_pkt_new();
	char *owner = ldns_rdf2str(ldns_rr_owner(qrr)), line[512];
	uint8_t *wire = NULL;
	size_t len = 0;
	int serial = srv == 0 || now_us - RS.t0_us >= RS.ready_ms[zone] * 1000 ?
	    2 : 1;

	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, 1);
	ldns_pkt_set_aa(a, 1);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	if (ldns_rr_get_type(qrr) == LDNS_RR_TYPE_SOA)
		snprintf(line, sizeof(line), "%s 60 IN SOA ns1.poll.test. "
		    "h.poll.test. %d 3600 900 604800 60", owner, serial);
	else
		snprintf(line, sizeof(line), "%s 60 IN A %s", owner, ADDR);
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) == LDNS_STATUS_OK)
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	if (ldns_pkt2wire(&wire, a, &len) == LDNS_STATUS_OK)
		sendto(RS.fd[srv], wire, len, 0, (const struct sockaddr *)to,
		    sizeof(*to));
	free(wire);
	free(owner);
	ldns_pkt_free(a);
}

static void
serve_one(int srv)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t buf[1024];
	ldns_pkt *q = NULL;
	ldns_rr *qrr;
	char *name;
	ssize_t r;
	int zone, k;

	while ((r = recvfrom(RS.fd[srv], buf, sizeof(buf), 0,
	    (struct sockaddr *)&from, &fl)) > 0) {
		long long now = mono_us();
		if (ldns_wire2pkt(&q, buf, (size_t)r) != LDNS_STATUS_OK)
			continue;
		qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
		name = qrr ? ldns_rdf2str(ldns_rr_owner(qrr)) : NULL;
		zone = name ? zone_no(name) : -1;
		free(name);
		k = atomic_fetch_add(&RS.nlog, 1);
		if (k < LOGMAX && qrr != NULL)
			RS.log[k] = (struct seen){ now, srv,
			    (int)ldns_rr_get_type(qrr), zone };
		/* lost on the way: every Nth question gets no answer */
		if (zone >= 0 && !(RS.drop_every && k % RS.drop_every == 0))
			answer(srv, &from, q, zone, now);
		ldns_pkt_free(q);
		q = NULL;
		fl = sizeof(from);
	}
}

static void *
responder(void *arg)
{
	struct pollfd p[2];

	(void)arg;
	while (!atomic_load(&RS.stop)) {
		p[0] = (struct pollfd){ RS.fd[0], POLLIN, 0 };
		p[1] = (struct pollfd){ RS.fd[1], POLLIN, 0 };
		if (poll(p, 2, 50) <= 0)
			continue;
		serve_one(0);
		serve_one(1);
	}
	return NULL;
}

static void
responder_start(void)
{
	atomic_store(&RS.stop, 0);
	atomic_store(&RS.nlog, 0);
	RS.fd[0] = bound(PRI);
	RS.fd[1] = bound(SEC);
	RS.t0_us = mono_us();
	assert_int_equal(pthread_create(&RS.th, NULL, responder, NULL), 0);
}

static void
responder_stop(void)
{
	atomic_store(&RS.stop, 1);
	assert_int_equal(pthread_join(RS.th, NULL), 0);
	close(RS.fd[0]);
	close(RS.fd[1]);
}

/* ---- a judge like authjudge's, on the responder's zones ---- */

struct tz {
	unsigned long	 serial[2];	/* what each server answered */
	int		 has[2];
	int		 ok[2];
};

static struct tz tzs[ZONES];

static int
item_zone(const struct dnspoll_item *it)
{
	return zone_no(it->zone);
}

static int
item_srv(const struct dnspoll_item *it)
{
	return strcmp(it->server, PRI) == 0 ? 0 : 1;
}

static size_t
t_names(void *ctx, struct dnspoll_item *it, struct dnsq *out, size_t max)
{
	static const char *const l[3] = { "mail", "lists", "webmail" };
	size_t k;

	(void)ctx;
	for (k = 0; k < 3 && k < max; k++) {
		snprintf(out[k].name, sizeof(out[k].name), "%s.%s", l[k],
		    it->zone);
		out[k].type = LDNS_RR_TYPE_A;
	}
	return k;
}

static enum dnspoll_state
t_soa(void *ctx, struct dnspoll_item *it, const struct dnsq *q)
{
	struct tz *z = &tzs[item_zone(it)];
	int s = item_srv(it);

	(void)ctx;
	z->has[s] = q->result == MC_OK && q->has_serial;
	z->serial[s] = q->serial;
	if (!z->has[s] || (s == 1 && (!z->has[0] || z->serial[1] !=
	    z->serial[0])))
		return DNSPOLL_SOA;
	return DNSPOLL_NAMES;
}

static enum dnspoll_state
t_took(void *ctx, struct dnspoll_item *it, const struct dnsq *q, size_t n)
{
	struct tz *z = &tzs[item_zone(it)];
	size_t k;
	int ok = n == 3;

	(void)ctx;
	for (k = 0; k < n; k++)
		ok &= q[k].result == MC_OK && q[k].nanswers == 1 &&
		    strcmp(q[k].answers[0], ADDR) == 0;
	z->ok[item_srv(it)] = ok;
	return ok ? DNSPOLL_DONE : DNSPOLL_SOA;
}

static const struct dnspoll_judge tjudge = { t_names, t_soa, t_took };

static char zname[ZONES][32];

/* items for zones [0, nz): the primary (lead) and the secondary of each */
static struct dnspoll_item *
items_of(int nz)
{
	struct dnspoll_item *it = calloc((size_t)nz * 2, sizeof(*it));
	int i;

	assert_non_null(it);
	memset(tzs, 0, sizeof(tzs));
	for (i = 0; i < nz; i++) {
		snprintf(zname[i], sizeof(zname[i]), "z%d.poll.test", i);
		it[2 * i] = (struct dnspoll_item){ .server = PRI,
		    .zone = zname[i], .lead = 1 };
		it[2 * i + 1] = (struct dnspoll_item){ .server = SEC,
		    .zone = zname[i] };
	}
	return it;
}

/* the most questions server srv received within any window of 1 s */
static int
peak_per_second(int srv, int type)
{
	int n = atomic_load(&RS.nlog), i, j, best = 0;

	if (n > LOGMAX)
		n = LOGMAX;
	for (i = 0, j = 0; i < n; i++) {
		if (RS.log[i].srv != srv || (type && RS.log[i].type != type))
			continue;
		while (RS.log[j].us <= RS.log[i].us - 1000000 ||
		    RS.log[j].srv != srv || (type && RS.log[j].type != type))
			j++;
		/* j..i: the questions of srv in (t - 1 s, t] */
		{
			int c = 0, k;
			for (k = j; k <= i; k++)
				c += RS.log[k].srv == srv &&
				    (!type || RS.log[k].type == type);
			if (c > best)
				best = c;
		}
	}
	return best;
}

static int
count(int srv, int type, int zone)
{
	int n = atomic_load(&RS.nlog), i, c = 0;

	for (i = 0; i < n && i < LOGMAX; i++)
		c += RS.log[i].srv == srv && (!type || RS.log[i].type == type) &&
		    (zone < 0 || RS.log[i].zone == zone);
	return c;
}

/*
 * The cap: 120 zones on two servers, every one of them in sync, so each
 * server gets a SOA and three names per zone (480 questions), and one
 * question in 7 is lost and asked again. At dns_rate 100 the responder
 * must never see more than 100 in any second at either server; asking
 * them takes at least 4.8 s, and not much more.
 */
static void
test_rate_cap(void **state)
{
	struct dnspoll_opts o = { .probe = { .timeout_ms = 200, .tries = 3 } };
	struct dnspoll_item *it = items_of(120);
	struct mc_err err = { 0 };
	long long t0;
	double el;
	int s, i, sent;

	(void)state;
	memset(RS.ready_ms, 0, sizeof(RS.ready_ms));
	RS.drop_every = 7;
	dnsrate_reset();
	dnsrate_set(100);
	responder_start();
	t0 = mono_us();
	o.deadline = dnspoll_now() + 30000;
	assert_int_equal(dnspoll_run(it, 240, &tjudge, NULL, &o, &err), MC_OK);
	el = (double)(mono_us() - t0) / 1e6;
	responder_stop();
	for (i = 0; i < 120; i++) {
		assert_int_equal(it[2 * i].state, DNSPOLL_DONE);
		assert_int_equal(it[2 * i + 1].state, DNSPOLL_DONE);
		assert_true(tzs[i].ok[0] && tzs[i].ok[1]);
	}
	for (s = 0; s < 2; s++) {
		sent = count(s, 0, -1);
		printf("[  INFO    ] rate cap 100/s: server %d received %d "
		    "questions (lost and asked again: 1 in 7) in %.2f s, "
		    "at most %d in one second\n", s, sent, el,
		    peak_per_second(s, 0));
		assert_true(sent >= 480 + 480 / 7 - 2);
		assert_true(peak_per_second(s, 0) <= 100);
	}
	assert_true(el >= 5.2);	/* >= 548 questions at 100/s */
	assert_true(el <= 12.0);	/* and the cap is used, not wasted */
	free(it);
	RS.drop_every = 0;
}

/*
 * The back-off, scaled down tenfold (first 50 ms, at most 800 ms): zone 0
 * is on the secondary at 2.0 s, zone 1 at 30 ms, zone 2 never (the
 * deadline at 4 s). Each zone's SOA polls at the secondary are spaced
 * 50, 100, 200, 400, 800, 800 ms; its names are asked only after the
 * serial matched, once; the primary is asked once.
 */
static void
test_backoff(void **state)
{
	struct dnspoll_opts o = { .probe = { .timeout_ms = 300, .tries = 2 },
	    .first_ms = 50, .max_ms = 800 };
	struct dnspoll_item *it = items_of(3);
	static const long long gaps[] = { 50, 100, 200, 400, 800, 800 };
	struct mc_err err = { 0 };
	long long last = 0, first_a = 0, last_soa = 0;
	int n, i, k;

	(void)state;
	RS.ready_ms[0] = 2000;
	RS.ready_ms[1] = 30;
	RS.ready_ms[2] = 1000000;
	dnsrate_reset();
	dnsrate_set(0);
	responder_start();
	o.deadline = dnspoll_now() + 4000;
	assert_int_equal(dnspoll_run(it, 6, &tjudge, NULL, &o, &err), MC_OK);
	responder_stop();
	n = atomic_load(&RS.nlog);
	/* zone 0 at the secondary: SOA at 0, 50, 150, 350, 750, 1550, 2350 */
	for (i = 0, k = 0; i < n; i++) {
		const struct seen *x = &RS.log[i];
		if (x->srv != 1 || x->zone != 0)
			continue;
		if (x->type == LDNS_RR_TYPE_SOA) {
			if (k > 0) {
				long long gap = (x->us - last) / 1000;
				printf("[  INFO    ] zone 0 SOA poll %d after "
				    "%lld ms\n", k + 1, gap);
				assert_true(k - 1 < 6);
				/* never sooner; later only by the
				   scheduling of a busy machine */
				assert_true(gap >= gaps[k - 1] - 5 &&
				    gap <= gaps[k - 1] + 200);
			}
			last = last_soa = x->us;
			k++;
		} else if (first_a == 0)
			first_a = x->us;
	}
	assert_int_equal(k, 7);
	assert_true(last_soa - RS.t0_us >= 2000000);
	assert_true(first_a > last_soa);	/* names only after the match */
	assert_int_equal(count(1, LDNS_RR_TYPE_A, 0), 3);
	assert_int_equal(count(0, LDNS_RR_TYPE_SOA, 0), 1);
	assert_int_equal(count(0, LDNS_RR_TYPE_A, 0), 3);
	/* zone 1: behind at 0, in sync at 50 ms: two polls, names once */
	assert_int_equal(count(1, LDNS_RR_TYPE_SOA, 1), 2);
	assert_int_equal(count(1, LDNS_RR_TYPE_A, 1), 3);
	/* zone 2: polled until the deadline (a last look at 4 s), never its
	 * names: 0, 50, 150, 350, 750, 1550, 2350, 3150, 3950 (4000) */
	k = count(1, LDNS_RR_TYPE_SOA, 2);
	assert_true(k >= 9 && k <= 10);
	assert_int_equal(count(1, LDNS_RR_TYPE_A, 2), 0);
	assert_int_equal(it[5].state, DNSPOLL_SOA);
	assert_int_equal(it[1].state, DNSPOLL_DONE);
	free(it);
}

/* the defaults: 0.5 s, then 1 s (a zone in sync at 1.2 s: polls at 0,
 * 0.5 and 1.5 s); one pass (deadline 0) asks each SOA once */
static void
test_backoff_defaults(void **state)
{
	struct dnspoll_opts o = { .probe = { .timeout_ms = 300, .tries = 2 } };
	struct dnspoll_item *it = items_of(2);
	struct mc_err err = { 0 };
	long long t[4];
	int n, i, k = 0;

	(void)state;
	RS.ready_ms[0] = 1200;
	RS.ready_ms[1] = 1000000;
	dnsrate_reset();
	responder_start();
	o.deadline = dnspoll_now() + 1900;
	assert_int_equal(dnspoll_run(it, 4, &tjudge, NULL, &o, &err), MC_OK);
	n = atomic_load(&RS.nlog);
	for (i = 0; i < n; i++)
		if (RS.log[i].srv == 1 && RS.log[i].zone == 0 &&
		    RS.log[i].type == LDNS_RR_TYPE_SOA && k < 4)
			t[k++] = RS.log[i].us;
	assert_int_equal(k, 3);
	assert_true((t[1] - t[0]) / 1000 >= 495 && (t[1] - t[0]) / 1000 < 700);
	assert_true((t[2] - t[1]) / 1000 >= 995 && (t[2] - t[1]) / 1000 < 1200);
	assert_int_equal(it[1].state, DNSPOLL_DONE);
	free(it);
	/* one pass: the SOA once, the names where it matched, no wait */
	it = items_of(2);
	atomic_store(&RS.nlog, 0);
	o.deadline = 0;
	assert_int_equal(dnspoll_run(it, 4, &tjudge, NULL, &o, &err), MC_OK);
	responder_stop();
	assert_int_equal(count(1, LDNS_RR_TYPE_SOA, 1), 1);
	assert_int_equal(count(1, LDNS_RR_TYPE_A, 1), 0);
	assert_int_equal(count(0, LDNS_RR_TYPE_A, 1), 3);
	assert_int_equal(it[3].state, DNSPOLL_SOA);
	free(it);
}

/* the cap counts per server across dnsprobe runs (the whole process) */
static void
test_rate_across_runs(void **state)
{
	struct dnsprobe_opts o = { .timeout_ms = 500, .tries = 2 };
	struct mc_err err = { 0 };
	struct dnsrate_stat st;
	struct sockaddr_in sa;
	struct dnsq q[10];
	int r, i;

	(void)state;
	memset(RS.ready_ms, 0, sizeof(RS.ready_ms));
	dnsrate_reset();
	dnsrate_set(20);
	responder_start();
	for (r = 0; r < 5; r++) {
		for (i = 0; i < 10; i++) {
			memset(&q[i], 0, sizeof(q[i]));
			snprintf(q[i].server, sizeof(q[i].server), "%s", SEC);
			snprintf(q[i].name, sizeof(q[i].name),
			    "mail.z%d.poll.test", i);
			q[i].type = LDNS_RR_TYPE_A;
		}
		assert_int_equal(dnsprobe_run(q, 10, &o, &err), MC_OK);
		dnsq_free_all(q, 10);
	}
	responder_stop();
	assert_int_equal(count(1, 0, -1), 50);
	assert_true(peak_per_second(1, 0) <= 20);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(53);
	inet_pton(AF_INET, SEC, &sa.sin_addr);
	assert_true(dnsrate_stat_get((struct sockaddr *)&sa, sizeof(sa), &st));
	assert_int_equal(st.sent, 50);
	assert_true(st.peak <= 20);
	dnsrate_set(DNSRATE_DEFAULT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_cap),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_backoff_defaults),
		cmocka_unit_test(test_rate_across_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
