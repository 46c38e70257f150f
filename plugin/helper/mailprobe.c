/* mailprobe.c -- probe SMTP, submission, IMAPS and POP3S on an IP over TLS. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mailcert.h"
#include "mailconn.h"
#include "mailprobe.h"
#include "trust.h"
#include "valid.h"

#define DEFAULT_TIMEOUT_MS	10000
#define MAX_TIMEOUT_MS		600000
#define DEFAULT_HELO		"mailcutover.invalid"

static const char *const kind_names[MP__MAX] = {
	[MP_SMTP] = "smtp",
	[MP_SUBMISSION] = "submission",
	[MP_IMAPS] = "imaps",
	[MP_POP3S] = "pop3s",
};

static const unsigned kind_ports[MP__MAX] = {
	[MP_SMTP] = 25,
	[MP_SUBMISSION] = 587,
	[MP_IMAPS] = 993,
	[MP_POP3S] = 995,
};

/* Everything a probe thread needs; probe is its only output. */
struct job {
	struct mailprobe		*probe;
	struct mailprobe_rcpt		*rcpt_out;	/* rcpt job if set */
	const char			*rcpt;
	unsigned			 rcpt_port;
	const struct sockaddr_storage	*sa;
	socklen_t			 salen;
	const char			*ip;
	const char			*host;		/* NULL: no SNI */
	const char			*helo;
	int				 timeout_ms;
	SSL_CTX				*ctx;
};

const char *
mailprobe_kind_name(enum mailprobe_kind k)
{
	if ((unsigned)k >= MP__MAX)
		return "unknown";
	return kind_names[k];
}

unsigned
mailprobe_kind_port(enum mailprobe_kind k)
{
	if ((unsigned)k >= MP__MAX)
		return 0;
	return kind_ports[k];
}

/* Greeting, EHLO, STARTTLS, TLS, certificate, EHLO, QUIT. */
static enum mc_result
probe_smtp(struct conn *c, struct mailprobe *p, const struct job *j)
{
	struct reply r;
	enum mc_result result, cert;
	char cmd[300];

	c->line_max = SMTP_LINE_MAX;
	if ((result = mailconn_reply(c, &r)) != MC_OK)
		return result;
	snprintf(p->banner, sizeof(p->banner), "%s", r.first);
	if (r.code != 220) {
		mailconn_fail(c, "greeting is not 220: %s", r.joined);
		return MC_E_API;
	}
	p->greeted = 1;
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->helo);
	if ((result = mailconn_cmd(c, cmd, &r)) != MC_OK)
		return result;
	if (r.code != 250) {
		mailconn_fail(c, "EHLO refused: %s", r.joined);
		return MC_E_API;
	}
	if (!r.starttls) {
		mailconn_fail(c, "no STARTTLS offered");
		return MC_E_TLS;
	}
	if ((result = mailconn_starttls(c, j->ctx, j->host)) != MC_OK)
		return result;
	p->tls = 1;
	cert = mailcert_check(c, p, j->host);
	/* RFC 3207 4.2: forget everything, start again with EHLO */
	if ((result = mailconn_cmd(c, cmd, &r)) != MC_OK)
		return result;
	if (r.code != 250) {
		mailconn_fail(c, "EHLO after STARTTLS refused: %s", r.joined);
		return MC_E_API;
	}
	/* the answer to QUIT changes nothing */
	(void)mailconn_cmd(c, "QUIT\r\n", &r);
	return cert;
}

/* TLS, certificate, "* OK" greeting, LOGOUT. */
static enum mc_result
probe_imaps(struct conn *c, struct mailprobe *p, const struct job *j)
{
	enum mc_result result, cert;
	char line[IMAP_LINE_MAX + 1];
	size_t len;
	int i;

	c->line_max = IMAP_LINE_MAX;
	if ((result = mailconn_tls(c, j->ctx, j->host)) != MC_OK)
		return result;
	p->tls = 1;
	cert = mailcert_check(c, p, j->host);
	if ((result = mailconn_line(c, line, sizeof(line), &len)) != MC_OK)
		return result;
	mailconn_printable(p->banner, sizeof(p->banner), line, len);
	if (strncasecmp(line, "* BYE", 5) == 0) {
		mailconn_fail(c, "server refused the session: %.160s", p->banner);
		return MC_E_API;
	}
	if (strncasecmp(line, "* OK", 4) != 0 &&
	    strncasecmp(line, "* PREAUTH", 9) != 0) {
		mailconn_fail(c, "not an IMAP greeting: \"%.120s\"", p->banner);
		return MC_E_PARSE;
	}
	p->greeted = 1;
	/* "* BYE ...", then "a1 OK ..."; the answer changes nothing */
	if (mailconn_write(c, "a1 LOGOUT\r\n") == MC_OK)
		for (i = 0; i < REPLY_LINES_MAX; i++)
			if (mailconn_line(c, line, sizeof(line), &len) != MC_OK ||
			    strncmp(line, "a1 ", 3) == 0)
				break;
	return cert;
}

/* TLS, certificate, "+OK" greeting, QUIT. */
static enum mc_result
probe_pop3s(struct conn *c, struct mailprobe *p, const struct job *j)
{
	enum mc_result result, cert;
	char line[POP3_LINE_MAX + 1];
	size_t len;

	c->line_max = POP3_LINE_MAX;
	if ((result = mailconn_tls(c, j->ctx, j->host)) != MC_OK)
		return result;
	p->tls = 1;
	cert = mailcert_check(c, p, j->host);
	if ((result = mailconn_line(c, line, sizeof(line), &len)) != MC_OK)
		return result;
	mailconn_printable(p->banner, sizeof(p->banner), line, len);
	if (strncmp(line, "-ERR", 4) == 0) {
		mailconn_fail(c, "server refused the session: %.160s", p->banner);
		return MC_E_API;
	}
	if (strncmp(line, "+OK", 3) != 0) {
		mailconn_fail(c, "not a POP3 greeting: \"%.120s\"", p->banner);
		return MC_E_PARSE;
	}
	p->greeted = 1;
	if (mailconn_write(c, "QUIT\r\n") == MC_OK)
		(void)mailconn_line(c, line, sizeof(line), &len);
	return cert;
}

static void
conn_init(struct conn *c, const struct job *j, unsigned port,
    const char *kind)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->line_max = SMTP_LINE_MAX;
	c->deadline = mailconn_now() + j->timeout_ms;
	if (strchr(j->ip, ':') != NULL)
		snprintf(c->where, sizeof(c->where), "[%s]:%u (%s)", j->ip,
		    port, kind);
	else
		snprintf(c->where, sizeof(c->where), "%s:%u (%s)", j->ip,
		    port, kind);
}

/* Set the port in a copy of the address. */
static void
addr_port(struct sockaddr_storage *dst, const struct sockaddr_storage *src,
    unsigned port)
{
	memcpy(dst, src, sizeof(*dst));
	if (dst->ss_family == AF_INET6)
		((struct sockaddr_in6 *)dst)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)dst)->sin_port = htons((uint16_t)port);
}

static void
probe_one(const struct job *j)
{
	struct mailprobe *p = j->probe;
	struct sockaddr_storage sa;
	struct conn c;
	enum mc_result result;

	conn_init(&c, j, p->port, mailprobe_kind_name(p->kind));
	addr_port(&sa, j->sa, p->port);
	if ((result = mailconn_connect(&c, &sa, j->salen)) != MC_OK)
		goto out;
	p->connected = 1;
	switch (p->kind) {
	case MP_SMTP:
	case MP_SUBMISSION:
		result = probe_smtp(&c, p, j);
		break;
	case MP_IMAPS:
		result = probe_imaps(&c, p, j);
		break;
	default:
		result = probe_pop3s(&c, p, j);
		break;
	}
out:
	mailconn_close(&c);
	/* a refused certificate outranks whatever failed after it */
	if (p->tls && (!p->cert_chain_ok || !p->cert_name_ok))
		result = MC_E_TLS;
	p->result = result;
	if (result == MC_OK)
		snprintf(p->msg, sizeof(p->msg), "%s: ok, certificate for %s "
		    "valid %ld more days", c.where, j->host,
		    p->cert_days_left);
	else
		snprintf(p->msg, sizeof(p->msg), "%s", c.msg[0] != '\0' ?
		    c.msg : mc_strerror(result));
}

/*
 * The RCPT TO measurement. Any RCPT reply is a result; only a dialogue
 * that does not get that far is an error.
 */
/* the greeting, EHLO (HELO when refused), STARTTLS as a sending MTA
 * does it: opportunistic, certificate not checked */
static enum mc_result
rcpt_hello(struct conn *c, const struct job *j)
{
	struct reply r;
	enum mc_result result;
	char cmd[600];

	if ((result = mailconn_reply(c, &r)) != MC_OK)
		return result;
	if (r.code != 220) {
		mailconn_fail(c, "greeting is not 220: %s", r.joined);
		return MC_E_API;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->helo);
	if ((result = mailconn_cmd(c, cmd, &r)) != MC_OK)
		return result;
	if (r.code != 250) {
		snprintf(cmd, sizeof(cmd), "HELO %s\r\n", j->helo);
		if ((result = mailconn_cmd(c, cmd, &r)) != MC_OK)
			return result;
		if (r.code != 250) {
			mailconn_fail(c, "EHLO and HELO refused: %s", r.joined);
			return MC_E_API;
		}
		return MC_OK;
	}
	/* a refused STARTTLS leaves us in plaintext */
	if (!r.starttls ||
	    (result = mailconn_cmd(c, "STARTTLS\r\n", &r)) != MC_OK ||
	    r.code != 220)
		return result;
	if (c->rlen > 0) {
		mailconn_fail(c, "server sent data after its STARTTLS reply");
		return MC_E_PARSE;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->helo);
	if ((result = mailconn_tls(c, j->ctx, NULL)) != MC_OK ||
	    (result = mailconn_cmd(c, cmd, &r)) != MC_OK)
		return result;
	if (r.code != 250) {
		mailconn_fail(c, "EHLO after STARTTLS refused: %s", r.joined);
		return MC_E_API;
	}
	return MC_OK;
}

static void
rcpt_one(const struct job *j, unsigned port)
{
	struct mailprobe_rcpt *o = j->rcpt_out;
	struct sockaddr_storage sa;
	struct conn c;
	struct reply r;
	enum mc_result result;
	char cmd[600];

	conn_init(&c, j, port, "smtp");
	addr_port(&sa, j->sa, port);
	if ((result = mailconn_connect(&c, &sa, j->salen)) != MC_OK ||
	    (result = rcpt_hello(&c, j)) != MC_OK ||
	    (result = mailconn_cmd(&c, "MAIL FROM:<>\r\n", &r)) != MC_OK)
		goto out;
	if (r.code != 250) {
		mailconn_fail(&c, "MAIL FROM:<> refused: %s", r.joined);
		result = MC_E_API;
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", j->rcpt);
	if ((result = mailconn_cmd(&c, cmd, &r)) != MC_OK)
		goto out;
	o->code = r.code;
	snprintf(o->reply, sizeof(o->reply), "%s", r.joined);
	snprintf(o->msg, sizeof(o->msg), "%.79s: RCPT TO:<%.40s>: %.120s",
	    c.where, j->rcpt, r.joined);
	/* leave politely; the measurement is done whatever happens now */
	if (mailconn_cmd(&c, "RSET\r\n", &r) == MC_OK)
		(void)mailconn_cmd(&c, "QUIT\r\n", &r);
	result = MC_OK;
out:
	mailconn_close(&c);
	o->result = result;
	if (result != MC_OK)
		snprintf(o->msg, sizeof(o->msg), "%s", c.msg[0] != '\0' ?
		    c.msg : mc_strerror(result));
}

static void
job_body(const struct job *j)
{
	if (j->rcpt_out != NULL)
		rcpt_one(j, j->rcpt_port);
	else
		probe_one(j);
}

/*
 * Thread body. SIGPIPE is blocked here: a TLS write to a closed socket
 * raises it in this thread, and a pending thread-directed signal dies
 * with the thread instead of killing the helper.
 */
static void *
job_thread(void *arg)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	job_body(arg);
	return NULL;
}

/* No thread to be had: the same in the caller's thread, mask restored. */
static void
job_inline(const struct job *j)
{
	const struct timespec zero = { 0, 0 };
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	job_body(j);
	if (!sigismember(&old, SIGPIPE))
		while (sigtimedwait(&set, NULL, &zero) == SIGPIPE)
			;	/* swallow the SIGPIPEs we caused */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Strict IPv4/IPv6 literal to a socket address (port 0). */
static int
addr_parse(const char *ip, struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (ip == NULL || !valid_ip(ip))
		return 0;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return 1;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return 1;
	}
	return 0;
}

/* Options with defaults applied; MC_E_USAGE if out of range. */
static enum mc_result
opts_resolve(const struct mailprobe_opts *o, int *timeout,
    const char **helo, const char **cafile, struct mc_err *err)
{
	*timeout = DEFAULT_TIMEOUT_MS;
	*helo = DEFAULT_HELO;
	*cafile = NULL;
	if (o == NULL)
		return MC_OK;
	if (o->timeout_ms < 0 || o->timeout_ms > MAX_TIMEOUT_MS)
		return mc_err_set(err, MC_E_USAGE, "mail probe: timeout %d ms "
		    "out of range 0..%d", o->timeout_ms, MAX_TIMEOUT_MS);
	if (o->timeout_ms > 0)
		*timeout = o->timeout_ms;
	if (o->helo != NULL) {
		if (!valid_domain(o->helo))
			return mc_err_set(err, MC_E_USAGE, "mail probe: EHLO "
			    "name is not a host name");
		*helo = o->helo;
	}
	*cafile = o->cafile;
	return MC_OK;
}

/* A client context; trust anchors only when verify is set. */
static enum mc_result
ctx_new(const char *cafile, int verify, SSL_CTX **out, struct mc_err *err)
{
	SSL_CTX *ctx;
	char eb[200];
	enum mc_result result = MC_E_NOMEM;

	*out = NULL;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		mc_err_set(err, MC_E_NOMEM, "mail probe: TLS context: %s",
		    mailconn_ssl_text(eb, sizeof(eb), "out of memory"));
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		mc_err_set(err, MC_E_NOMEM, "mail probe: TLS context: %s",
		    mailconn_ssl_text(eb, sizeof(eb), "cannot set TLS 1.2"));
		goto out;
	}
	/*
	 * The handshake completes whatever the certificate; its verdict is
	 * read afterwards (SSL_get_verify_result) so that a bad chain is
	 * reported next to the name check instead of a bare "handshake
	 * failed". We send nothing secret over it either way.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (verify) {
		if (cafile == NULL)	/* the system's, wherever it lives */
			cafile = trust_store();
		if (cafile != NULL &&
		    SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
			result = mc_err_set(err, MC_E_CONFIG, "%s: cannot load "
			    "CA certificates: %s", cafile, mailconn_ssl_text(eb,
			    sizeof(eb), "unreadable"));
			goto out;
		}
		if (cafile == NULL && SSL_CTX_set_default_verify_paths(ctx)
		    != 1) {
			result = mc_err_set(err, MC_E_CONFIG, "mail probe: "
			    "cannot load the system CA store: %s",
			    mailconn_ssl_text(eb, sizeof(eb), "unreadable"));
			goto out;
		}
	}
	*out = ctx;
	ctx = NULL;
	result = MC_OK;
out:
	SSL_CTX_free(ctx);
	return result;
}

/* The verifying context, kept while its CA file is unchanged (path,
 * inode, size, mtime): loading a bundle costs ~30 ms of CPU, and plan
 * probes every domain (issue 14: 10,000 domains). */
static struct {
	SSL_CTX		*ctx;
	char		*path;
	struct stat	 st;
} CA;

static enum mc_result
ctx_verifying(const char *cafile, SSL_CTX **out, struct mc_err *err)
{
	const char *path = cafile != NULL ? cafile : trust_store();
	struct stat st;
	enum mc_result r;
	int have = path != NULL && stat(path, &st) == 0;

	if (have && CA.ctx != NULL && strcmp(CA.path, path) == 0 &&
	    st.st_dev == CA.st.st_dev && st.st_ino == CA.st.st_ino &&
	    st.st_size == CA.st.st_size && st.st_mtim.tv_sec ==
	    CA.st.st_mtim.tv_sec && st.st_mtim.tv_nsec ==
	    CA.st.st_mtim.tv_nsec && SSL_CTX_up_ref(CA.ctx) == 1) {
		*out = CA.ctx;
		return MC_OK;
	}
	if ((r = ctx_new(cafile, 1, out, err)) != MC_OK || !have)
		return r;
	SSL_CTX_free(CA.ctx);
	free(CA.path);
	CA.ctx = NULL;
	if ((CA.path = strdup(path)) != NULL && SSL_CTX_up_ref(*out) == 1) {
		CA.ctx = *out;
		CA.st = st;
	}
	return MC_OK;
}

/* the address and the host name of mailprobe_run, checked; host gets
 * the name without a final dot */
static enum mc_result
run_args(const char *ip, const char *hostname, struct sockaddr_storage *sa,
    socklen_t *salen, char host[254], struct mc_err *err)
{
	size_t hl;

	if (!addr_parse(ip, sa, salen))
		return mc_err_set(err, MC_E_USAGE, "mail probe: not an IP "
		    "address");
	if (hostname == NULL || !valid_domain(hostname))
		return mc_err_set(err, MC_E_USAGE, "mail probe: not a host "
		    "name");
	/* valid_domain: at most 253 octets plus one trailing dot */
	hl = strlen(hostname);
	if (hostname[hl - 1] == '.')
		hl--;
	memcpy(host, hostname, hl);
	host[hl] = '\0';
	return MC_OK;
}

/* one thread per job (or the job run here when there is none) */
static enum mc_result
run_jobs(struct job *jobs, size_t n, struct mc_err *err)
{
	pthread_t *tids;
	char *started;
	size_t i;

	if ((tids = calloc(n, sizeof(*tids))) == NULL ||
	    (started = calloc(n, 1)) == NULL) {
		free(tids);
		return mc_err_set(err, MC_E_NOMEM, "mail probe: out of memory");
	}
	for (i = 0; i < n; i++) {
		/* no thread: run it here; slower, same result */
		if (pthread_create(&tids[i], NULL, job_thread, &jobs[i]) == 0)
			started[i] = 1;
		else
			job_inline(&jobs[i]);
	}
	for (i = 0; i < n; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	free(started);
	free(tids);
	return MC_OK;
}

enum mc_result
mailprobe_run(const char *ip, const char *hostname, struct mailprobe *probes,
    size_t n, const struct mailprobe_opts *opts, struct mc_err *err)
{
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	struct job *jobs = NULL;
	SSL_CTX *ctx = NULL;
	const char *helo, *cafile;
	char host[254];
	size_t i;
	int timeout;
	enum mc_result result;

	if ((result = run_args(ip, hostname, &sa, &salen, host, err)) != MC_OK)
		goto out;
	if (n > MAILPROBE_MAX || (n > 0 && probes == NULL)) {
		result = mc_err_set(err, MC_E_USAGE, "mail probe: %zu probes (at "
		    "most %d)", n, MAILPROBE_MAX);
		goto out;
	}
	if ((result = opts_resolve(opts, &timeout, &helo, &cafile, err)))
		goto out;
	for (i = 0; i < n; i++)
		if ((unsigned)probes[i].kind >= MP__MAX ||
		    probes[i].port > 65535) {
			result = mc_err_set(err, MC_E_USAGE, "mail probe %zu: "
			    "bad kind or port", i);
			goto out;
		}
	if (n == 0 || (result = ctx_verifying(cafile, &ctx, err)) != MC_OK)
		goto out;
	if ((jobs = calloc(n, sizeof(*jobs))) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "mail probe: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct mailprobe *p = &probes[i];
		enum mailprobe_kind k = p->kind;
		unsigned port = p->port ? p->port : kind_ports[k];

		memset(p, 0, sizeof(*p));
		p->kind = k;
		p->port = port;
		p->result = MC_E_IO;
		jobs[i] = (struct job){ .probe = p, .sa = &sa, .salen = salen,
		    .ip = ip, .host = host, .helo = helo,
		    .timeout_ms = timeout, .ctx = ctx };
	}
	result = run_jobs(jobs, n, err);
out:
	SSL_CTX_free(ctx);
	free(jobs);
	return result;
}

/* local@domain with a dot-atom local part (RFC 5321 4.1.2), no quoting. */
static int
valid_rcpt(const char *s)
{
	const char *at, *p;
	size_t local;

	if (s == NULL || strlen(s) > 254 || (at = strrchr(s, '@')) == NULL)
		return 0;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || at[-1] == '.')
		return 0;
	for (p = s; p < at; p++) {
		if (isalnum((unsigned char)*p))
			continue;
		if (strchr("!#$%&'*+/=?^_`{|}~.-", *p) == NULL || *p == '\0')
			return 0;
		if (*p == '.' && p[1] == '.')
			return 0;
	}
	return valid_domain(at + 1);
}

enum mc_result
mailprobe_rcpt(const char *ip, unsigned port, const char *rcpt,
    const struct mailprobe_opts *opts, struct mailprobe_rcpt *out,
    struct mc_err *err)
{
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	struct job job;
	pthread_t tid;
	SSL_CTX *ctx = NULL;
	const char *helo, *cafile;
	int timeout;
	enum mc_result result = MC_E_USAGE;

	if (out == NULL)
		return mc_err_set(err, MC_E_USAGE, "mail probe: no output");
	memset(out, 0, sizeof(*out));
	out->result = MC_E_USAGE;
	if (!addr_parse(ip, &sa, &salen)) {
		mc_err_set(err, MC_E_USAGE, "mail probe: not an IP address");
		goto out;
	}
	if (port > 65535) {
		mc_err_set(err, MC_E_USAGE, "mail probe: port %u", port);
		goto out;
	}
	if (!valid_rcpt(rcpt)) {
		mc_err_set(err, MC_E_USAGE, "mail probe: recipient is not "
		    "local@domain");
		goto out;
	}
	if ((result = opts_resolve(opts, &timeout, &helo, &cafile, err)))
		goto out;
	if ((result = ctx_new(NULL, 0, &ctx, err)) != MC_OK)
		goto out;
	job = (struct job){ .rcpt_out = out, .rcpt = rcpt,
	    .rcpt_port = port ? port : 25,
	    .sa = &sa, .salen = salen, .ip = ip, .host = NULL, .helo = helo,
	    .timeout_ms = timeout, .ctx = ctx };
	/* a thread of its own for the SIGPIPE mask (see job_thread) */
	if (pthread_create(&tid, NULL, job_thread, &job) == 0)
		pthread_join(tid, NULL);
	else
		job_inline(&job);
	result = out->result;
	if (result != MC_OK)
		mc_err_set(err, result, "%s", out->msg);
out:
	if (result != MC_OK && out->msg[0] == '\0' && err != NULL)
		snprintf(out->msg, sizeof(out->msg), "%.255s", err->msg);
	out->result = result;
	SSL_CTX_free(ctx);
	return result;
}
