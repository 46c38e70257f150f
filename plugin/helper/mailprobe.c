/* mailprobe.c -- probe SMTP, submission, IMAPS and POP3S on an IP over TLS. */
#include <sys/socket.h>

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

#include "mailprobe.h"
#include "trust.h"
#include "valid.h"

#define DEFAULT_TIMEOUT_MS	10000
#define MAX_TIMEOUT_MS		600000
#define DEFAULT_HELO		"mailcutover.invalid"
#define SMTP_LINE_MAX		512	/* RFC 5321 4.5.3.1.5, with CRLF */
#define POP3_LINE_MAX		512	/* RFC 1939 3 */
#define IMAP_LINE_MAX		2048	/* RFC 3501 has none; greetings are short */
#define REPLY_LINES_MAX		100	/* continuation lines per reply */

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

/*
 * One connection with a deadline. rbuf holds bytes read but not yet
 * consumed (plaintext before STARTTLS, decrypted after). Failures are
 * described in msg, prefixed with where.
 */
struct conn {
	int		 fd;		/* -1 until connected */
	SSL		*ssl;		/* NULL until the handshake starts */
	long long	 deadline;	/* CLOCK_MONOTONIC, ms */
	size_t		 line_max;	/* longest reply line, with CRLF */
	char		 rbuf[4096];
	size_t		 rlen;
	char		 where[80];	/* "127.0.3.20:993 (imaps)" */
	char		 msg[256];
};

/* One SMTP reply, read by smtp_reply. */
struct reply {
	int		 code;		/* 100..599 */
	int		 starttls;	/* an EHLO line was "STARTTLS" */
	char		 first[256];	/* first line, printable */
	char		 joined[512];	/* all lines, printable, " / " */
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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy len bytes of server data as printable ASCII; '?' for the rest. */
static void
bytes_printable(char *dst, size_t cap, const char *src, size_t len)
{
	size_t i, j = 0;

	if (cap == 0)
		return;
	for (i = 0; i < len && j + 1 < cap; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[j++] = (ch == '\t') ? ' ' :
		    (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[j] = '\0';
}

/* Append s to dst (NUL-terminated, size cap), truncating silently. */
static void
append(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(dst);

	if (n + 1 < cap)
		snprintf(dst + n, cap - n, "%s", s);
}

static void conn_fail(struct conn *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Describe the failure in c->msg: "where: text". First failure wins. */
static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	if (c->msg[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(c->msg, sizeof(c->msg), "%.79s: %.170s", c->where, text);
}

static const char *
errno_text(int e, char *buf, size_t cap)
{
#ifdef __GLIBC__
	/* GNU strerror_r (we build with _GNU_SOURCE): may return buf or not */
	return strerror_r(e, buf, cap);
#else
	/* musl (the static build) has the XSI one only */
	if (strerror_r(e, buf, cap) != 0)
		snprintf(buf, cap, "error %d", e);
	return buf;
#endif
}

/* The OpenSSL error queue's first entry, or what, as text. */
static const char *
ssl_text(char *buf, size_t cap, const char *what)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, cap, "%s", what);
	else
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
	return buf;
}

/* Wait for events on c->fd until the deadline. */
static enum mc_result
conn_wait(struct conn *c, short events, const char *doing)
{
	struct pollfd pfd;
	long long left;
	int r;

	for (;;) {
		left = c->deadline - now_ms();
		if (left <= 0) {
			conn_fail(c, "timed out %s", doing);
			return MC_E_IO;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return MC_OK;
		if (r < 0 && errno != EINTR) {
			char eb[128];
			conn_fail(c, "poll: %s", errno_text(errno, eb,
			    sizeof(eb)));
			return MC_E_IO;
		}
	}
}

static enum mc_result
conn_connect(struct conn *c, const struct sockaddr_storage *sa,
    socklen_t salen)
{
	char eb[128];
	int e = 0;
	socklen_t elen = sizeof(e);

	c->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_fail(c, "socket: %s", errno_text(errno, eb, sizeof(eb)));
		return MC_E_IO;
	}
	if (connect(c->fd, (const struct sockaddr *)sa, salen) == 0)
		return MC_OK;
	if (errno != EINPROGRESS) {
		e = errno;
		goto refused;
	}
	if (conn_wait(c, POLLOUT, "connecting") != MC_OK) {
		c->msg[0] = '\0';
		conn_fail(c, "connect timed out");
		return MC_E_CONNECT;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
		e = errno;
	if (e == 0)
		return MC_OK;
refused:
	conn_fail(c, "connect: %s", errno_text(e, eb, sizeof(eb)));
	return MC_E_CONNECT;
}

/*
 * Read more bytes into rbuf (through TLS once it is up). EOF is an error:
 * every read we do expects an answer.
 */
static enum mc_result
conn_fill(struct conn *c)
{
	size_t room = sizeof(c->rbuf) - c->rlen;
	char eb[160];
	ssize_t n;
	int r, e;

	if (room == 0) {
		conn_fail(c, "reply line too long");
		return MC_E_TOOBIG;
	}
	for (;;) {
		if (c->ssl == NULL) {
			n = recv(c->fd, c->rbuf + c->rlen, room, 0);
			if (n > 0) {
				c->rlen += (size_t)n;
				return MC_OK;
			}
			if (n == 0) {
				conn_fail(c, "connection closed by server");
				return MC_E_IO;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail(c, "read: %s", errno_text(errno, eb,
				    sizeof(eb)));
				return MC_E_IO;
			}
			if (conn_wait(c, POLLIN, "waiting for a reply"))
				return MC_E_IO;
			continue;
		}
		ERR_clear_error();
		r = SSL_read(c->ssl, c->rbuf + c->rlen,
		    room > 16384 ? 16384 : (int)room);
		if (r > 0) {
			c->rlen += (size_t)r;
			return MC_OK;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			if (conn_wait(c, POLLIN, "waiting for a reply"))
				return MC_E_IO;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			if (conn_wait(c, POLLOUT, "waiting for a reply"))
				return MC_E_IO;
		} else if (e == SSL_ERROR_ZERO_RETURN) {
			conn_fail(c, "connection closed by server");
			return MC_E_IO;
		} else {
			conn_fail(c, "TLS read: %s", ssl_text(eb, sizeof(eb),
			    "connection closed"));
			return MC_E_IO;
		}
	}
}

/* Write all of s (through TLS once it is up). */
static enum mc_result
conn_write(struct conn *c, const char *s)
{
	size_t len = strlen(s), off = 0;
	char eb[160];
	ssize_t n;
	int r, e;

	while (off < len) {
		if (c->ssl == NULL) {
			/* MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE */
			n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);
			if (n >= 0) {
				off += (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail(c, "write: %s", errno_text(errno, eb,
				    sizeof(eb)));
				return MC_E_IO;
			}
			if (conn_wait(c, POLLOUT, "sending"))
				return MC_E_IO;
			continue;
		}
		ERR_clear_error();
		r = SSL_write(c->ssl, s + off, (int)(len - off));
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			if (conn_wait(c, POLLIN, "sending"))
				return MC_E_IO;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			if (conn_wait(c, POLLOUT, "sending"))
				return MC_E_IO;
		} else {
			conn_fail(c, "TLS write: %s", ssl_text(eb, sizeof(eb),
			    "connection closed"));
			return MC_E_IO;
		}
	}
	return MC_OK;
}

/*
 * Take one line from the connection into line (NUL-terminated, CR LF
 * stripped, raw bytes: make printable before showing). A line longer than
 * c->line_max octets with its CRLF is refused.
 */
static enum mc_result
conn_line(struct conn *c, char *line, size_t cap, size_t *lenp)
{
	enum mc_result result;
	char *lf;
	size_t n;

	for (;;) {
		lf = memchr(c->rbuf, '\n', c->rlen);
		if (lf != NULL)
			break;
		if (c->rlen >= c->line_max) {
			conn_fail(c, "reply line longer than %zu octets",
			    c->line_max);
			return MC_E_TOOBIG;
		}
		if ((result = conn_fill(c)) != MC_OK)
			return result;
	}
	n = (size_t)(lf - c->rbuf) + 1;
	if (n > c->line_max) {
		conn_fail(c, "reply line longer than %zu octets", c->line_max);
		return MC_E_TOOBIG;
	}
	*lenp = n - 1;
	if (*lenp > 0 && c->rbuf[*lenp - 1] == '\r')
		(*lenp)--;
	if (*lenp >= cap)
		*lenp = cap - 1;	/* cap > line_max in every caller */
	memcpy(line, c->rbuf, *lenp);
	line[*lenp] = '\0';
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
	return MC_OK;
}

/*
 * Read one SMTP reply, e.g.
 *	250-mail.example.com
 *	250-STARTTLS
 *	250 8BITMIME
 * Each line is three digits, then '-' (more follows), ' ' or nothing
 * (last line); every line carries the same code; at most
 * REPLY_LINES_MAX lines.
 */
static enum mc_result
smtp_reply(struct conn *c, struct reply *r)
{
	enum mc_result result;
	char line[SMTP_LINE_MAX + 1], pr[SMTP_LINE_MAX + 1];
	size_t len, i;
	int nlines = 0, code;

	memset(r, 0, sizeof(*r));
	for (;;) {
		if ((result = conn_line(c, line, sizeof(line), &len)) != MC_OK)
			return result;
		bytes_printable(pr, sizeof(pr), line, len);
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-') ||
		    line[0] < '1' || line[0] > '5') {
			conn_fail(c, "not an SMTP reply: \"%.120s\"", pr);
			return MC_E_PARSE;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (nlines == 0) {
			r->code = code;
			snprintf(r->first, sizeof(r->first), "%.255s", pr);
		} else if (code != r->code) {
			conn_fail(c, "SMTP reply changes code from %d to %d",
			    r->code, code);
			return MC_E_PARSE;
		}
		if (nlines > 0)
			append(r->joined, sizeof(r->joined), " / ");
		append(r->joined, sizeof(r->joined), pr);
		/* EHLO keyword lines: "250-STARTTLS", maybe trailing blanks */
		if (len >= 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0) {
			for (i = 12; i < len && line[i] == ' '; i++)
				;
			if (i == len)
				r->starttls = 1;
		}
		if (++nlines > REPLY_LINES_MAX) {
			conn_fail(c, "SMTP reply has more than %d lines",
			    REPLY_LINES_MAX);
			return MC_E_TOOBIG;
		}
		if (len == 3 || line[3] == ' ')
			return MC_OK;
	}
}

/* Send cmd (with CRLF) and read the reply. */
static enum mc_result
smtp_cmd(struct conn *c, const char *cmd, struct reply *r)
{
	enum mc_result result;

	if ((result = conn_write(c, cmd)) != MC_OK)
		return result;
	return smtp_reply(c, r);
}

/* Handshake over c->fd; sni may be NULL. */
static enum mc_result
conn_tls(struct conn *c, SSL_CTX *ctx, const char *sni)
{
	char eb[200];
	int r, e;

	ERR_clear_error();
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    (sni != NULL && SSL_set_tlsext_host_name(c->ssl, sni) != 1)) {
		conn_fail(c, "TLS setup: %s", ssl_text(eb, sizeof(eb),
		    "out of memory"));
		return MC_E_NOMEM;
	}
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			return MC_OK;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			if (conn_wait(c, POLLIN, "in the TLS handshake"))
				return MC_E_TLS;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			if (conn_wait(c, POLLOUT, "in the TLS handshake"))
				return MC_E_TLS;
		} else {
			conn_fail(c, "TLS handshake failed: %s",
			    ssl_text(eb, sizeof(eb), "connection closed"));
			return MC_E_TLS;
		}
	}
}

/* Names a certificate is for: its DNS SANs, else its CN (printable). */
static void
cert_names(X509 *cert, char *buf, size_t cap)
{
	GENERAL_NAMES *sans;
	const GENERAL_NAME *gn;
	char pr[128], cn[128];
	int i, n, len;

	buf[0] = '\0';
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	n = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;
	for (i = 0; i < n && i < 4; i++) {
		gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type != GEN_DNS)
			continue;
		bytes_printable(pr, sizeof(pr),
		    (const char *)ASN1_STRING_get0_data(gn->d.dNSName),
		    (size_t)ASN1_STRING_length(gn->d.dNSName));
		if (buf[0] != '\0')
			append(buf, cap, ", ");
		append(buf, cap, pr);
	}
	if (n > 4)
		append(buf, cap, ", ...");
	GENERAL_NAMES_free(sans);
	if (buf[0] != '\0')
		return;
	len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, cn, sizeof(cn));
	if (len > 0) {
		bytes_printable(pr, sizeof(pr), cn, (size_t)len);
		append(buf, cap, pr);
	} else
		append(buf, cap, "(no name)");
}

/*
 * After the handshake: chain (as verified against the trust anchors by
 * the handshake, which does not abort on failure), name, expiry.
 */
static enum mc_result
cert_check(struct conn *c, struct mailprobe *p, const char *host)
{
	X509 *cert = NULL;
	BIO *bio = NULL;
	char names[160], *data;
	long v, blen;
	int days = 0, secs = 0;
	enum mc_result result = MC_E_TLS;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	cert = SSL_get1_peer_certificate(c->ssl);
#else
	cert = SSL_get_peer_certificate(c->ssl);
#endif
	if (cert == NULL) {
		conn_fail(c, "server sent no certificate");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		blen = BIO_get_mem_data(bio, &data);
		bytes_printable(p->cert_subject, sizeof(p->cert_subject), data,
		    blen > 0 ? (size_t)blen : 0);
	}
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
		p->cert_days_left = (days == 0 && secs < 0) ? -1 : days;
	v = SSL_get_verify_result(c->ssl);
	p->cert_chain_ok = (v == X509_V_OK);
	p->cert_name_ok = X509_check_host(cert, host, 0,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	cert_names(cert, names, sizeof(names));
	if (!p->cert_chain_ok && !p->cert_name_ok)
		conn_fail(c, "certificate not trusted (%s) and is for %s, "
		    "not %s", X509_verify_cert_error_string(v), names, host);
	else if (!p->cert_chain_ok)
		conn_fail(c, "certificate for %s not trusted: %s", names,
		    X509_verify_cert_error_string(v));
	else if (!p->cert_name_ok)
		conn_fail(c, "certificate is for %s, not %s", names, host);
	else
		result = MC_OK;
out:
	BIO_free(bio);
	X509_free(cert);
	ERR_clear_error();
	return result;
}

/*
 * STARTTLS: anything the server sent after its 220 arrived in plaintext
 * and would be taken as if it came over TLS (CVE-2011-0411 style
 * injection): refuse it.
 */
static enum mc_result
smtp_starttls(struct conn *c, SSL_CTX *ctx, const char *sni)
{
	struct reply r;
	enum mc_result result;

	if ((result = smtp_cmd(c, "STARTTLS\r\n", &r)) != MC_OK)
		return result;
	if (r.code != 220) {
		conn_fail(c, "STARTTLS refused: %s", r.joined);
		return MC_E_TLS;
	}
	if (c->rlen > 0) {
		conn_fail(c, "server sent data after its STARTTLS reply");
		return MC_E_PARSE;
	}
	return conn_tls(c, ctx, sni);
}

/* Greeting, EHLO, STARTTLS, TLS, certificate, EHLO, QUIT. */
static enum mc_result
probe_smtp(struct conn *c, struct mailprobe *p, const struct job *j)
{
	struct reply r;
	enum mc_result result, cert;
	char cmd[300];

	c->line_max = SMTP_LINE_MAX;
	if ((result = smtp_reply(c, &r)) != MC_OK)
		return result;
	snprintf(p->banner, sizeof(p->banner), "%s", r.first);
	if (r.code != 220) {
		conn_fail(c, "greeting is not 220: %s", r.joined);
		return MC_E_API;
	}
	p->greeted = 1;
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->helo);
	if ((result = smtp_cmd(c, cmd, &r)) != MC_OK)
		return result;
	if (r.code != 250) {
		conn_fail(c, "EHLO refused: %s", r.joined);
		return MC_E_API;
	}
	if (!r.starttls) {
		conn_fail(c, "no STARTTLS offered");
		return MC_E_TLS;
	}
	if ((result = smtp_starttls(c, j->ctx, j->host)) != MC_OK)
		return result;
	p->tls = 1;
	cert = cert_check(c, p, j->host);
	/* RFC 3207 4.2: forget everything, start again with EHLO */
	if ((result = smtp_cmd(c, cmd, &r)) != MC_OK)
		return result;
	if (r.code != 250) {
		conn_fail(c, "EHLO after STARTTLS refused: %s", r.joined);
		return MC_E_API;
	}
	/* the answer to QUIT changes nothing */
	(void)smtp_cmd(c, "QUIT\r\n", &r);
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
	if ((result = conn_tls(c, j->ctx, j->host)) != MC_OK)
		return result;
	p->tls = 1;
	cert = cert_check(c, p, j->host);
	if ((result = conn_line(c, line, sizeof(line), &len)) != MC_OK)
		return result;
	bytes_printable(p->banner, sizeof(p->banner), line, len);
	if (strncasecmp(line, "* BYE", 5) == 0) {
		conn_fail(c, "server refused the session: %.160s", p->banner);
		return MC_E_API;
	}
	if (strncasecmp(line, "* OK", 4) != 0 &&
	    strncasecmp(line, "* PREAUTH", 9) != 0) {
		conn_fail(c, "not an IMAP greeting: \"%.120s\"", p->banner);
		return MC_E_PARSE;
	}
	p->greeted = 1;
	/* "* BYE ...", then "a1 OK ..."; the answer changes nothing */
	if (conn_write(c, "a1 LOGOUT\r\n") == MC_OK)
		for (i = 0; i < REPLY_LINES_MAX; i++)
			if (conn_line(c, line, sizeof(line), &len) != MC_OK ||
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
	if ((result = conn_tls(c, j->ctx, j->host)) != MC_OK)
		return result;
	p->tls = 1;
	cert = cert_check(c, p, j->host);
	if ((result = conn_line(c, line, sizeof(line), &len)) != MC_OK)
		return result;
	bytes_printable(p->banner, sizeof(p->banner), line, len);
	if (strncmp(line, "-ERR", 4) == 0) {
		conn_fail(c, "server refused the session: %.160s", p->banner);
		return MC_E_API;
	}
	if (strncmp(line, "+OK", 3) != 0) {
		conn_fail(c, "not a POP3 greeting: \"%.120s\"", p->banner);
		return MC_E_PARSE;
	}
	p->greeted = 1;
	if (conn_write(c, "QUIT\r\n") == MC_OK)
		(void)conn_line(c, line, sizeof(line), &len);
	return cert;
}

static void
conn_init(struct conn *c, const struct job *j, unsigned port,
    const char *kind)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->line_max = SMTP_LINE_MAX;
	c->deadline = now_ms() + j->timeout_ms;
	if (strchr(j->ip, ':') != NULL)
		snprintf(c->where, sizeof(c->where), "[%s]:%u (%s)", j->ip,
		    port, kind);
	else
		snprintf(c->where, sizeof(c->where), "%s:%u (%s)", j->ip,
		    port, kind);
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		/* no close_notify: the server has seen QUIT or LOGOUT */
		SSL_set_quiet_shutdown(c->ssl, 1);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	ERR_clear_error();
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
	if ((result = conn_connect(&c, &sa, j->salen)) != MC_OK)
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
	conn_close(&c);
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
static void
rcpt_one(const struct job *j, unsigned port)
{
	struct mailprobe_rcpt *o = j->rcpt_out;
	struct sockaddr_storage sa;
	struct conn c;
	struct reply r;
	enum mc_result result;
	char cmd[600];
	int esmtp = 1;

	conn_init(&c, j, port, "smtp");
	addr_port(&sa, j->sa, port);
	if ((result = conn_connect(&c, &sa, j->salen)) != MC_OK)
		goto out;
	if ((result = smtp_reply(&c, &r)) != MC_OK)
		goto out;
	if (r.code != 220) {
		conn_fail(&c, "greeting is not 220: %s", r.joined);
		result = MC_E_API;
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->helo);
	if ((result = smtp_cmd(&c, cmd, &r)) != MC_OK)
		goto out;
	if (r.code != 250) {
		esmtp = 0;
		snprintf(cmd, sizeof(cmd), "HELO %s\r\n", j->helo);
		if ((result = smtp_cmd(&c, cmd, &r)) != MC_OK)
			goto out;
		if (r.code != 250) {
			conn_fail(&c, "EHLO and HELO refused: %s", r.joined);
			result = MC_E_API;
			goto out;
		}
	}
	if (esmtp && r.starttls) {
		/*
		 * As a sending MTA would: opportunistic, certificate not
		 * checked. A refused STARTTLS leaves us in plaintext.
		 */
		if ((result = smtp_cmd(&c, "STARTTLS\r\n", &r)) != MC_OK)
			goto out;
		if (r.code == 220) {
			if (c.rlen > 0) {
				conn_fail(&c, "server sent data after its "
				    "STARTTLS reply");
				result = MC_E_PARSE;
				goto out;
			}
			if ((result = conn_tls(&c, j->ctx, NULL)) != MC_OK)
				goto out;
			snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", j->helo);
			if ((result = smtp_cmd(&c, cmd, &r)) != MC_OK)
				goto out;
			if (r.code != 250) {
				conn_fail(&c, "EHLO after STARTTLS refused: %s",
				    r.joined);
				result = MC_E_API;
				goto out;
			}
		}
	}
	if ((result = smtp_cmd(&c, "MAIL FROM:<>\r\n", &r)) != MC_OK)
		goto out;
	if (r.code != 250) {
		conn_fail(&c, "MAIL FROM:<> refused: %s", r.joined);
		result = MC_E_API;
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", j->rcpt);
	if ((result = smtp_cmd(&c, cmd, &r)) != MC_OK)
		goto out;
	o->code = r.code;
	snprintf(o->reply, sizeof(o->reply), "%s", r.joined);
	snprintf(o->msg, sizeof(o->msg), "%.79s: RCPT TO:<%.40s>: %.120s",
	    c.where,
	    j->rcpt, r.joined);
	/* leave politely; the measurement is done whatever happens now */
	if (smtp_cmd(&c, "RSET\r\n", &r) == MC_OK)
		(void)smtp_cmd(&c, "QUIT\r\n", &r);
	result = MC_OK;
out:
	conn_close(&c);
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
		    ssl_text(eb, sizeof(eb), "out of memory"));
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		mc_err_set(err, MC_E_NOMEM, "mail probe: TLS context: %s",
		    ssl_text(eb, sizeof(eb), "cannot set TLS 1.2"));
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
			    "CA certificates: %s", cafile, ssl_text(eb,
			    sizeof(eb), "unreadable"));
			goto out;
		}
		if (cafile == NULL && SSL_CTX_set_default_verify_paths(ctx)
		    != 1) {
			result = mc_err_set(err, MC_E_CONFIG, "mail probe: "
			    "cannot load the system CA store: %s",
			    ssl_text(eb, sizeof(eb), "unreadable"));
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

enum mc_result
mailprobe_run(const char *ip, const char *hostname, struct mailprobe *probes,
    size_t n, const struct mailprobe_opts *opts, struct mc_err *err)
{
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	struct job *jobs = NULL;
	pthread_t *tids = NULL;
	char *started = NULL;
	SSL_CTX *ctx = NULL;
	const char *helo, *cafile;
	char host[254];
	size_t i, hl;
	int timeout;
	enum mc_result result = MC_E_USAGE;

	if (!addr_parse(ip, &sa, &salen)) {
		mc_err_set(err, MC_E_USAGE, "mail probe: not an IP address");
		goto out;
	}
	if (hostname == NULL || !valid_domain(hostname)) {
		mc_err_set(err, MC_E_USAGE, "mail probe: not a host name");
		goto out;
	}
	/* valid_domain: at most 253 octets plus one trailing dot */
	hl = strlen(hostname);
	if (hostname[hl - 1] == '.')
		hl--;
	memcpy(host, hostname, hl);
	host[hl] = '\0';
	if (n > MAILPROBE_MAX || (n > 0 && probes == NULL)) {
		mc_err_set(err, MC_E_USAGE, "mail probe: %zu probes (at most "
		    "%d)", n, MAILPROBE_MAX);
		goto out;
	}
	if ((result = opts_resolve(opts, &timeout, &helo, &cafile, err)))
		goto out;
	for (i = 0; i < n; i++) {
		if ((unsigned)probes[i].kind >= MP__MAX ||
		    probes[i].port > 65535) {
			result = mc_err_set(err, MC_E_USAGE, "mail probe %zu: "
			    "bad kind or port", i);
			goto out;
		}
	}
	if (n == 0) {
		result = MC_OK;
		goto out;
	}
	if ((result = ctx_new(cafile, 1, &ctx, err)) != MC_OK)
		goto out;
	result = MC_E_NOMEM;
	if ((jobs = calloc(n, sizeof(*jobs))) == NULL ||
	    (tids = calloc(n, sizeof(*tids))) == NULL ||
	    (started = calloc(n, 1)) == NULL) {
		mc_err_set(err, MC_E_NOMEM, "mail probe: out of memory");
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
	result = MC_OK;
out:
	SSL_CTX_free(ctx);
	free(started);
	free(tids);
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
