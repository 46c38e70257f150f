/* mailconn.c -- a mail server connection with one deadline for all of
 * it: non-blocking connect, bounded reply lines, TLS (OpenSSL). */
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mailconn.h"

long long
mailconn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy len bytes of server data as printable ASCII; '?' for the rest. */
void
mailconn_printable(char *dst, size_t cap, const char *src, size_t len)
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
void
mailconn_append(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(dst);

	if (n + 1 < cap)
		snprintf(dst + n, cap - n, "%s", s);
}

/* Describe the failure in c->msg: "where: text". First failure wins. */
void
mailconn_fail(struct conn *c, const char *fmt, ...)
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
const char *
mailconn_ssl_text(char *buf, size_t cap, const char *what)
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
		left = c->deadline - mailconn_now();
		if (left <= 0) {
			mailconn_fail(c, "timed out %s", doing);
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
			mailconn_fail(c, "poll: %s", errno_text(errno, eb,
			    sizeof(eb)));
			return MC_E_IO;
		}
	}
}

enum mc_result
mailconn_connect(struct conn *c, const struct sockaddr_storage *sa,
    socklen_t salen)
{
	char eb[128];
	int e = 0;
	socklen_t elen = sizeof(e);

	c->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		mailconn_fail(c, "socket: %s", errno_text(errno, eb, sizeof(eb)));
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
		mailconn_fail(c, "connect timed out");
		return MC_E_CONNECT;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
		e = errno;
	if (e == 0)
		return MC_OK;
refused:
	mailconn_fail(c, "connect: %s", errno_text(e, eb, sizeof(eb)));
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
		mailconn_fail(c, "reply line too long");
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
				mailconn_fail(c, "connection closed by server");
				return MC_E_IO;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				mailconn_fail(c, "read: %s", errno_text(errno, eb,
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
			mailconn_fail(c, "connection closed by server");
			return MC_E_IO;
		} else {
			mailconn_fail(c, "TLS read: %s", mailconn_ssl_text(eb, sizeof(eb),
			    "connection closed"));
			return MC_E_IO;
		}
	}
}

/* Write all of s (through TLS once it is up). */
enum mc_result
mailconn_write(struct conn *c, const char *s)
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
				mailconn_fail(c, "write: %s", errno_text(errno, eb,
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
			mailconn_fail(c, "TLS write: %s", mailconn_ssl_text(eb, sizeof(eb),
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
enum mc_result
mailconn_line(struct conn *c, char *line, size_t cap, size_t *lenp)
{
	enum mc_result result;
	char *lf;
	size_t n;

	for (;;) {
		lf = memchr(c->rbuf, '\n', c->rlen);
		if (lf != NULL)
			break;
		if (c->rlen >= c->line_max) {
			mailconn_fail(c, "reply line longer than %zu octets",
			    c->line_max);
			return MC_E_TOOBIG;
		}
		if ((result = conn_fill(c)) != MC_OK)
			return result;
	}
	n = (size_t)(lf - c->rbuf) + 1;
	if (n > c->line_max) {
		mailconn_fail(c, "reply line longer than %zu octets", c->line_max);
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
enum mc_result
mailconn_reply(struct conn *c, struct reply *r)
{
	enum mc_result result;
	char line[SMTP_LINE_MAX + 1], pr[SMTP_LINE_MAX + 1];
	size_t len, i;
	int nlines = 0, code;

	memset(r, 0, sizeof(*r));
	for (;;) {
		if ((result = mailconn_line(c, line, sizeof(line), &len)) != MC_OK)
			return result;
		mailconn_printable(pr, sizeof(pr), line, len);
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-') ||
		    line[0] < '1' || line[0] > '5') {
			mailconn_fail(c, "not an SMTP reply: \"%.120s\"", pr);
			return MC_E_PARSE;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (nlines == 0) {
			r->code = code;
			snprintf(r->first, sizeof(r->first), "%.255s", pr);
		} else if (code != r->code) {
			mailconn_fail(c, "SMTP reply changes code from %d to %d",
			    r->code, code);
			return MC_E_PARSE;
		}
		if (nlines > 0)
			mailconn_append(r->joined, sizeof(r->joined), " / ");
		mailconn_append(r->joined, sizeof(r->joined), pr);
		/* EHLO keyword lines: "250-STARTTLS", maybe trailing blanks */
		if (len >= 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0) {
			for (i = 12; i < len && line[i] == ' '; i++)
				;
			if (i == len)
				r->starttls = 1;
		}
		if (++nlines > REPLY_LINES_MAX) {
			mailconn_fail(c, "SMTP reply has more than %d lines",
			    REPLY_LINES_MAX);
			return MC_E_TOOBIG;
		}
		if (len == 3 || line[3] == ' ')
			return MC_OK;
	}
}

/* Send cmd (with CRLF) and read the reply. */
enum mc_result
mailconn_cmd(struct conn *c, const char *cmd, struct reply *r)
{
	enum mc_result result;

	if ((result = mailconn_write(c, cmd)) != MC_OK)
		return result;
	return mailconn_reply(c, r);
}

/* Handshake over c->fd; sni may be NULL. */
enum mc_result
mailconn_tls(struct conn *c, SSL_CTX *ctx, const char *sni)
{
	char eb[200];
	int r, e;

	ERR_clear_error();
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    (sni != NULL && SSL_set_tlsext_host_name(c->ssl, sni) != 1)) {
		mailconn_fail(c, "TLS setup: %s", mailconn_ssl_text(eb, sizeof(eb),
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
			mailconn_fail(c, "TLS handshake failed: %s",
			    mailconn_ssl_text(eb, sizeof(eb), "connection closed"));
			return MC_E_TLS;
		}
	}
}

/*
 * STARTTLS: anything the server sent after its 220 arrived in plaintext
 * and would be taken as if it came over TLS (CVE-2011-0411 style
 * injection): refuse it.
 */
enum mc_result
mailconn_starttls(struct conn *c, SSL_CTX *ctx, const char *sni)
{
	struct reply r;
	enum mc_result result;

	if ((result = mailconn_cmd(c, "STARTTLS\r\n", &r)) != MC_OK)
		return result;
	if (r.code != 220) {
		mailconn_fail(c, "STARTTLS refused: %s", r.joined);
		return MC_E_TLS;
	}
	if (c->rlen > 0) {
		mailconn_fail(c, "server sent data after its STARTTLS reply");
		return MC_E_PARSE;
	}
	return mailconn_tls(c, ctx, sni);
}

void
mailconn_close(struct conn *c)
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
