/* test_mailprobe.c -- mail probes against real Postfix + Dovecot beds. */
#include "unit.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "../../plugin/helper/mailcert.c"
#include "../../plugin/helper/mailconn.c"
#include "../../plugin/helper/mailprobe.c"

/*
 * Two beds (tests/mail/mailbed), sharing one test CA:
 *   good  127.0.4.20, certificate for mail.example.com, Postfix defaults
 *   bad   127.0.4.21, certificate for mail.other.test, and
 *         smtpd_relay_restrictions ending in reject_unauth_destination
 * Both serve example.com. 127.0.4.x stays clear of the addresses the
 * system tests use (127.0.2.10, 127.0.3.20).
 */
#define GOOD_IP		"127.0.4.20"
#define BAD_IP		"127.0.4.21"
#define DEAD_IP		"127.0.4.99"	/* nothing listens */
#define FAKE_IP		"127.0.4.30"	/* canned servers below */
#define HOST		"mail.example.com"
#define DOMAIN		"example.com"

struct beds {
	int	 skip;		/* 1: no postfix/dovecot, or not root */
	char	*base;		/* mkdtemp dir holding everything */
	char	*good, *bad, *ca, *cafile;
	const char *mailbed;	/* the script */
};

static struct beds beds;

static long long
ms_since(long long start)
{
	return mailconn_now() - start;
}

/* Run the bed script; output to DIR.out, shown on failure. */
static int
bed_run(const char *args, const char *logname)
{
	char cmd[1024], *log, *text;
	int rc;

	log = unit_path(beds.base, logname);
	snprintf(cmd, sizeof(cmd), "%s %s >>%s 2>&1", beds.mailbed, args, log);
	rc = system(cmd);
	if (rc != 0) {
		text = unit_read_file(log, NULL);
		fprintf(stderr, "mailbed %s: exit %d\n%s\n", args, rc,
		    text ? text : "");
		free(text);
	}
	free(log);
	return rc == 0 ? 0 : -1;
}

/* The last line of a bed log (the measured reply of disable-domain). */
static void
bed_last_line(const char *logname, char *buf, size_t cap)
{
	char *log = unit_path(beds.base, logname);
	char *text = unit_read_file(log, NULL), *nl;
	size_t len;

	buf[0] = '\0';
	if (text != NULL) {
		len = strlen(text);
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		nl = strrchr(text, '\n');
		snprintf(buf, cap, "%s", nl ? nl + 1 : text);
	}
	free(text);
	free(log);
}

/* Processes whose cwd or root lies under dir: what "down" must not leave. */
static int
procs_under(const char *dir, char *list, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char link[300], target[PATH_MAX];
	const char *names[] = { "cwd", "root" };
	size_t dl = strlen(dir), i;
	ssize_t n;
	int count = 0;

	list[0] = '\0';
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		for (i = 0; i < 2; i++) {
			snprintf(link, sizeof(link), "/proc/%s/%s", de->d_name,
			    names[i]);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strncmp(target, dir, dl) == 0 &&
			    (target[dl] == '\0' || target[dl] == '/')) {
				count++;
				mailconn_append(list, cap, de->d_name);
				mailconn_append(list, cap, " ");
				break;
			}
		}
	}
	closedir(d);
	return count;
}

static int
port_open(const char *ip, unsigned port)
{
	struct sockaddr_in sa;
	int fd, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int
have(const char *prog)
{
	return access(prog, X_OK) == 0;
}

static int group_teardown(void **);

static int
group_setup(void **state)
{
	char args[1024];
	const char *env = getenv("MAILBED");

	(void)state;
	memset(&beds, 0, sizeof(beds));
	beds.mailbed = env != NULL ? env : "tests/mail/mailbed";
	if (geteuid() != 0 || !have("/usr/sbin/postfix") ||
	    !have("/usr/sbin/dovecot") || !have(beds.mailbed)) {
		fprintf(stderr, "test_mailprobe: skipping the bed tests: need "
		    "root, postfix and dovecot (tests/deps.sh) and %s\n",
		    beds.mailbed);
		beds.skip = 1;
		return 0;
	}
	{
		char tmpl[] = "/tmp/mc-mailprobe-XXXXXX";

		assert_non_null(mkdtemp(tmpl));
		beds.base = strdup(tmpl);
		assert_non_null(beds.base);
		/* the beds' unprivileged daemons must reach their dirs */
		assert_int_equal(chmod(beds.base, 0755), 0);
	}
	beds.good = unit_path(beds.base, "good");
	beds.bad = unit_path(beds.base, "bad");
	beds.ca = unit_path(beds.base, "ca");
	beds.cafile = unit_path(beds.good, "ca.pem");
	snprintf(args, sizeof(args), "up --dir %s --ip " GOOD_IP
	    " --hostname " HOST " --domain " DOMAIN " --ca-dir %s",
	    beds.good, beds.ca);
	if (bed_run(args, "good.out") != 0)
		goto fail;
	snprintf(args, sizeof(args), "up --dir %s --ip " BAD_IP
	    " --hostname " HOST " --cert-name mail.other.test --domain "
	    DOMAIN " --ca-dir %s --relay-reject", beds.bad, beds.ca);
	if (bed_run(args, "bad.out") != 0)
		goto fail;
	return 0;
fail:
	/* cmocka skips the group teardown when the setup fails */
	group_teardown(state);
	return -1;
}

static int
group_teardown(void **state)
{
	char args[512], list[512];
	const unsigned ports[] = { 25, 587, 993, 995 };
	int rc = 0, n;
	size_t i;

	(void)state;
	if (beds.skip)
		return 0;
	snprintf(args, sizeof(args), "down --dir %s", beds.good);
	if (access(beds.good, F_OK) == 0 && bed_run(args, "good.out") != 0)
		rc = -1;
	snprintf(args, sizeof(args), "down --dir %s", beds.bad);
	if (access(beds.bad, F_OK) == 0 && bed_run(args, "bad.out") != 0)
		rc = -1;
	if ((n = procs_under(beds.base, list, sizeof(list))) != 0) {
		fprintf(stderr, "test_mailprobe: %d processes left under %s: "
		    "%s\n", n, beds.base, list);
		rc = -1;
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (port_open(GOOD_IP, ports[i]) ||
		    port_open(BAD_IP, ports[i])) {
			fprintf(stderr, "test_mailprobe: port %u still open\n",
			    ports[i]);
			rc = -1;
		}
	}
	if (rc == 0) {
		snprintf(args, sizeof(args), "rm -rf %s", beds.base);
		if (system(args) != 0)
			rc = -1;
	} else
		fprintf(stderr, "test_mailprobe: kept %s\n", beds.base);
	free(beds.good);
	free(beds.bad);
	free(beds.ca);
	free(beds.cafile);
	free(beds.base);
	return rc;
}

#define NEED_BEDS() do {						\
	if (beds.skip)							\
		skip();							\
} while (0)

static void
probes_all(struct mailprobe *p)
{
	memset(p, 0, sizeof(*p) * MP__MAX);
	p[0].kind = MP_SMTP;
	p[1].kind = MP_SUBMISSION;
	p[2].kind = MP_IMAPS;
	p[3].kind = MP_POP3S;
}

static void
test_good_bed(void **state)
{
	struct mailprobe p[MP__MAX];
	struct mailprobe_opts o = { .cafile = beds.cafile, .timeout_ms = 5000 };
	struct mc_err err;
	size_t i;

	(void)state;
	NEED_BEDS();
	probes_all(p);
	mc_err_clear(&err);
	assert_int_equal(mailprobe_run(GOOD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_OK);
	for (i = 0; i < MP__MAX; i++) {
		print_message("%s: %s | banner \"%s\" | subject \"%s\"\n",
		    mailprobe_kind_name(p[i].kind), p[i].msg, p[i].banner,
		    p[i].cert_subject);
		if (p[i].result != MC_OK)
			fail_msg("%s", p[i].msg);
		assert_int_equal(p[i].port, kind_ports[p[i].kind]);
		assert_true(p[i].connected && p[i].greeted && p[i].tls);
		assert_true(p[i].cert_chain_ok && p[i].cert_name_ok);
		assert_true(p[i].cert_days_left > 0);
		assert_true(p[i].cert_days_left <= 90);
		assert_contains(p[i].cert_subject, HOST);
		assert_contains(p[i].msg, GOOD_IP);
	}
	assert_contains(p[0].banner, "220 " HOST " ESMTP");
	assert_contains(p[1].banner, "220 " HOST " ESMTP");
	assert_true(strncmp(p[2].banner, "* OK", 4) == 0);
	assert_true(strncmp(p[3].banner, "+OK", 3) == 0);

	/* the system store does not know the test CA: chain refused */
	probes_all(p);
	o.cafile = NULL;
	assert_int_equal(mailprobe_run(GOOD_IP, HOST, p, 1, &o, &err), MC_OK);
	print_message("system store: %s\n", p[0].msg);
	assert_int_equal(p[0].result, MC_E_TLS);
	assert_true(p[0].tls && !p[0].cert_chain_ok && p[0].cert_name_ok);
	assert_contains(p[0].msg, "not trusted");
}

static void
test_wrong_cert(void **state)
{
	struct mailprobe p[MP__MAX];
	struct mailprobe_opts o = { .cafile = beds.cafile, .timeout_ms = 5000 };
	struct mc_err err;
	size_t i;

	(void)state;
	NEED_BEDS();
	probes_all(p);
	mc_err_clear(&err);
	assert_int_equal(mailprobe_run(BAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_OK);
	for (i = 0; i < MP__MAX; i++) {
		print_message("%s: %s\n", mailprobe_kind_name(p[i].kind),
		    p[i].msg);
		assert_int_equal(p[i].result, MC_E_TLS);
		assert_true(p[i].connected && p[i].tls);
		assert_true(p[i].cert_chain_ok);
		assert_false(p[i].cert_name_ok);
		assert_contains(p[i].msg, "certificate is for mail.other.test, "
		    "not " HOST);
		assert_contains(p[i].msg, BAD_IP);
		assert_contains(p[i].cert_subject, "mail.other.test");
	}
	/* the same bed, asked for the name it has: fine */
	probes_all(p);
	assert_int_equal(mailprobe_run(BAD_IP, "mail.other.test", p, MP__MAX,
	    &o, &err), MC_OK);
	for (i = 0; i < MP__MAX; i++)
		assert_int_equal(p[i].result, MC_OK);
}

static void
test_nothing_listens(void **state)
{
	struct mailprobe p[MP__MAX];
	struct mailprobe_opts o = { .timeout_ms = 5000 };
	struct mc_err err;
	long long t0 = mailconn_now();
	size_t i;

	(void)state;
	probes_all(p);
	mc_err_clear(&err);
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_OK);
	assert_true(ms_since(t0) < 1000);
	for (i = 0; i < MP__MAX; i++) {
		assert_int_equal(p[i].result, MC_E_CONNECT);
		assert_false(p[i].connected);
		assert_contains(p[i].msg, DEAD_IP ":");
		assert_contains(p[i].msg, "Connection refused");
	}
	print_message("%s\n", p[0].msg);
	assert_contains(p[0].msg, DEAD_IP ":25 (smtp): connect:");
}

static void
test_invalid_input(void **state)
{
	static const char *bad_ips[] = { "127.0.4", "999.1.1.1", HOST, "",
	    "127.0.4.20 ", "127.0.4.20:25", NULL };
	static const char *bad_hosts[] = { "mail..example.com", "-a.example",
	    "mail example.com", "localhost", "", "mail.example.com\r\nQUIT",
	    NULL };
	static const char *bad_rcpts[] = { "postmaster", "@example.com",
	    "a@b@example.com", "a b@example.com", "a@example", ".a@example.com",
	    "a>@example.com", "a\r\nDATA@example.com", NULL };
	struct mailprobe p[MP__MAX], keep[MP__MAX];
	struct mailprobe_opts o = { .timeout_ms = 1000 };
	struct mailprobe_rcpt r;
	struct mc_err err;
	size_t i;

	(void)state;
	probes_all(p);
	memcpy(keep, p, sizeof(p));
	for (i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
		mc_err_clear(&err);
		assert_int_equal(mailprobe_run(bad_ips[i], HOST, p, MP__MAX,
		    &o, &err), MC_E_USAGE);
		assert_contains(err.msg, "not an IP address");
		assert_memory_equal(p, keep, sizeof(p));	/* untouched */
		assert_int_equal(mailprobe_rcpt(bad_ips[i], 25, "a@" DOMAIN,
		    &o, &r, &err), MC_E_USAGE);
		assert_int_equal(r.result, MC_E_USAGE);
		assert_int_equal(r.code, 0);
	}
	for (i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
		mc_err_clear(&err);
		assert_int_equal(mailprobe_run(DEAD_IP, bad_hosts[i], p,
		    MP__MAX, &o, &err), MC_E_USAGE);
		assert_contains(err.msg, "not a host name");
		assert_memory_equal(p, keep, sizeof(p));
	}
	for (i = 0; i < sizeof(bad_rcpts) / sizeof(bad_rcpts[0]); i++) {
		mc_err_clear(&err);
		assert_int_equal(mailprobe_rcpt(DEAD_IP, 25, bad_rcpts[i], &o,
		    &r, &err), MC_E_USAGE);
		assert_contains(r.msg, "recipient");
	}
	/* bad kind, port, count, options */
	p[1].kind = MP__MAX;
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_E_USAGE);
	probes_all(p);
	p[0].port = 65536;
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_E_USAGE);
	probes_all(p);
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MAILPROBE_MAX + 1,
	    &o, &err), MC_E_USAGE);
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, NULL, 1, &o, &err),
	    MC_E_USAGE);
	o.timeout_ms = -1;
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_E_USAGE);
	o.timeout_ms = 1000;
	o.helo = "bad helo";
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_E_USAGE);
	o.helo = NULL;
	o.cafile = "/nonexistent/ca.pem";
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, p, MP__MAX, &o, &err),
	    MC_E_CONFIG);
	assert_contains(err.msg, "/nonexistent/ca.pem");
	/* a trailing dot is fine; zero probes is a no-op */
	o.cafile = NULL;
	assert_int_equal(mailprobe_run(DEAD_IP, HOST ".", p, 1, &o, &err),
	    MC_OK);
	assert_int_equal(mailprobe_run(DEAD_IP, HOST, NULL, 0, &o, &err),
	    MC_OK);
	assert_string_equal(mailprobe_kind_name(MP__MAX), "unknown");
	assert_string_equal(mailprobe_kind_name(MP_SUBMISSION), "submission");
	assert_int_equal(mailprobe_kind_port(MP_POP3S), 995);
}

/* RCPT TO:<postmaster@example.com> on ip; asserts a reply was read. */
static struct mailprobe_rcpt
rcpt_on(const char *ip)
{
	struct mailprobe_opts o = { .timeout_ms = 5000 };
	struct mailprobe_rcpt r;
	struct mc_err err;
	enum mc_result rc;

	mc_err_clear(&err);
	rc = mailprobe_rcpt(ip, 25, "postmaster@" DOMAIN, &o, &r, &err);
	if (rc != MC_OK)
		fail_msg("mailprobe_rcpt %s: %s (%s)", ip, r.msg, err.msg);
	assert_int_equal(r.result, MC_OK);
	print_message("%s\n", r.msg);
	return r;
}

/* enable/disable the domain on one bed, measure, restore */
static void
rcpt_cycle(const char *ip, const char *dir, const char *log)
{
	struct mailprobe_rcpt r;
	char args[512], line[512];

	r = rcpt_on(ip);
	assert_int_equal(r.code, 250);
	assert_contains(r.reply, "250 2.1.5");

	snprintf(args, sizeof(args), "disable-domain --dir %s --domain "
	    DOMAIN, dir);
	assert_int_equal(bed_run(args, log), 0);
	bed_last_line(log, line, sizeof(line));
	print_message("%s\n", line);
	r = rcpt_on(ip);
	print_message("MEASURED after disable-domain on %s: code %d, "
	    "reply \"%s\"\n", ip, r.code, r.reply);
	assert_true(r.code >= 400);
	assert_contains(r.reply, "postmaster@" DOMAIN);

	snprintf(args, sizeof(args), "enable-domain --dir %s --domain "
	    DOMAIN, dir);
	assert_int_equal(bed_run(args, log), 0);
	r = rcpt_on(ip);
	assert_int_equal(r.code, 250);
}

static void
test_rcpt_disable_domain(void **state)
{
	(void)state;
	NEED_BEDS();
	/* Postfix 3.x default relay policy (defer_unauth_destination) */
	rcpt_cycle(GOOD_IP, beds.good, "good.out");
}

static void
test_rcpt_disable_domain_reject(void **state)
{
	(void)state;
	NEED_BEDS();
	/* relay policy ending in reject_unauth_destination */
	rcpt_cycle(BAD_IP, beds.bad, "bad.out");
}

/*
 * A canned server on FAKE_IP: sends script[0], then for each further
 * entry reads one line from the client and sends the entry. NULL ends;
 * "" means read a line and send nothing. The client's lines are kept.
 */
struct fake {
	int		 lfd;
	unsigned	 port;
	const char	*const *script;
	char		 got[2048];
	pthread_t	 tid;
};

static void *
fake_serve(void *arg)
{
	struct fake *f = arg;
	char ch;
	size_t i, glen = 0;
	int fd;

	if ((fd = accept(f->lfd, NULL, NULL)) == -1)
		return NULL;
	for (i = 0; f->script[i] != NULL; i++) {
		if (i > 0) {
			/* one client line */
			while (recv(fd, &ch, 1, 0) == 1) {
				if (glen + 1 < sizeof(f->got))
					f->got[glen++] = ch;
				if (ch == '\n')
					break;
			}
		}
		if (send(fd, f->script[i], strlen(f->script[i]),
		    MSG_NOSIGNAL) < 0)
			break;
	}
	/* hold the line open until the client goes */
	while (recv(fd, &ch, 1, 0) == 1)
		if (glen + 1 < sizeof(f->got))
			f->got[glen++] = ch;
	f->got[glen] = '\0';
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, const char *const *script)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;

	memset(f, 0, sizeof(*f));
	f->script = script;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, FAKE_IP, &sa.sin_addr);
	assert_true((f->lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->tid, NULL, fake_serve, f), 0);
}

static void
fake_stop(struct fake *f)
{
	/* the server thread ends when the client has closed */
	pthread_join(f->tid, NULL);
	close(f->lfd);
}

/* One SMTP probe against a canned script; returns the probe. */
static struct mailprobe
fake_probe(const char *const *script, int timeout_ms, struct fake *f)
{
	struct mailprobe p;
	struct mailprobe_opts o = { .timeout_ms = timeout_ms };
	struct mc_err err;

	fake_start(f, script);
	memset(&p, 0, sizeof(p));
	p.kind = MP_SMTP;
	p.port = f->port;
	assert_int_equal(mailprobe_run(FAKE_IP, HOST, &p, 1, &o, &err), MC_OK);
	fake_stop(f);
	print_message("%s\n", p.msg);
	return p;
}

static void
test_fake_servers(void **state)
{
	static char longline[700];
	static char many[120 * 16 + 32];
	const char *s_long[] = { longline, NULL };
	const char *s_many[] = { "220 fake\r\n", many, NULL };
	const char *s_notls[] = { "220 fake\r\n",
	    "250-fake\r\n250 8BITMIME\r\n", "221 bye\r\n", NULL };
	const char *s_inject[] = { "220 fake\r\n",
	    "250-fake\r\n250 STARTTLS\r\n", "220 go ahead\r\n250 injected\r\n",
	    NULL };
	const char *s_garbage[] = { "HTTP/1.1 400 Bad Request\r\n", NULL };
	const char *s_554[] = { "554 5.7.1 go away \x01\xff\r\n", "", NULL };
	const char *s_mixed[] = { "220-fake\r\n221 other\r\n", NULL };
	const char *s_silent[] = { "", NULL };
	const char *s_helo[] = { "220 fake\r\n", "502 5.5.1 what\r\n",
	    "250 fake\r\n", "250 2.1.0 Ok\r\n",
	    "550-5.1.1 <postmaster@example.com>: Recipient\r\n"
	    "550 5.1.1 address rejected\r\n", "250 Ok\r\n", "221 Bye\r\n",
	    NULL };
	struct fake f;
	struct mailprobe p;
	struct mailprobe_rcpt r;
	struct mailprobe_opts o = { .timeout_ms = 2000 };
	struct mc_err err;
	size_t i, off = 0;
	long long t0;

	(void)state;
	memset(longline, 'x', 600);
	memcpy(longline, "220 ", 4);
	memcpy(longline + 600, "\r\n", 3);
	for (i = 0; i < 120; i++) {
		off += (size_t)snprintf(many + off, sizeof(many) - off,
		    "250-line%03zu\r\n", i);
		assert_true(off < sizeof(many));
	}
	snprintf(many + off, sizeof(many) - off, "250 end\r\n");

	p = fake_probe(s_long, 2000, &f);
	assert_int_equal(p.result, MC_E_TOOBIG);
	assert_contains(p.msg, "longer than 512 octets");

	p = fake_probe(s_many, 2000, &f);
	assert_int_equal(p.result, MC_E_TOOBIG);
	assert_contains(p.msg, "more than 100 lines");

	p = fake_probe(s_notls, 2000, &f);
	assert_int_equal(p.result, MC_E_TLS);
	assert_true(p.greeted && !p.tls);
	assert_contains(p.msg, "no STARTTLS offered");
	assert_contains(f.got, "EHLO mailcutover.invalid\r\n");

	p = fake_probe(s_inject, 2000, &f);
	assert_int_equal(p.result, MC_E_PARSE);
	assert_contains(p.msg, "data after its STARTTLS reply");

	p = fake_probe(s_garbage, 2000, &f);
	assert_int_equal(p.result, MC_E_PARSE);
	assert_contains(p.msg, "not an SMTP reply: \"HTTP/1.1 400");

	p = fake_probe(s_554, 2000, &f);
	assert_int_equal(p.result, MC_E_API);
	assert_false(p.greeted);
	/* server bytes made printable */
	assert_string_equal(p.banner, "554 5.7.1 go away ??");
	assert_contains(p.msg, "greeting is not 220: 554 5.7.1 go away ??");

	p = fake_probe(s_mixed, 2000, &f);
	assert_int_equal(p.result, MC_E_PARSE);

	/* a server that accepts and says nothing: the deadline holds */
	t0 = mailconn_now();
	p = fake_probe(s_silent, 300, &f);
	assert_true(ms_since(t0) < 1500);
	assert_int_equal(p.result, MC_E_IO);
	assert_contains(p.msg, "timed out waiting for a reply");

	/* RCPT: HELO fallback, multi-line 5xx joined, RSET + QUIT, no DATA */
	fake_start(&f, s_helo);
	mc_err_clear(&err);
	assert_int_equal(mailprobe_rcpt(FAKE_IP, f.port, "postmaster@" DOMAIN,
	    &o, &r, &err), MC_OK);
	fake_stop(&f);
	print_message("%s\n", r.msg);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.reply, "550-5.1.1 <postmaster@example.com>: "
	    "Recipient / 550 5.1.1 address rejected");
	assert_string_equal(f.got, "EHLO mailcutover.invalid\r\n"
	    "HELO mailcutover.invalid\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<postmaster@example.com>\r\nRSET\r\nQUIT\r\n");
	assert_not_contains(f.got, "DATA");

	/* RCPT where nothing listens */
	assert_int_equal(mailprobe_rcpt(DEAD_IP, 25, "postmaster@" DOMAIN,
	    &o, &r, &err), MC_E_CONNECT);
	assert_int_equal(r.result, MC_E_CONNECT);
	assert_contains(r.msg, "Connection refused");
	assert_contains(err.msg, "Connection refused");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_nothing_listens),
		cmocka_unit_test(test_fake_servers),
		cmocka_unit_test(test_good_bed),
		cmocka_unit_test(test_wrong_cert),
		cmocka_unit_test(test_rcpt_disable_domain),
		cmocka_unit_test(test_rcpt_disable_domain_reject),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
