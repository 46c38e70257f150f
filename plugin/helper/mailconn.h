/* mailconn.h -- one connection to a mail server with a deadline: connect,
 * lines in and out (plaintext, then TLS), SMTP replies and STARTTLS. */
#ifndef MC_MAILCONN_H
#define MC_MAILCONN_H

#include <sys/socket.h>

#include <stddef.h>

#include <openssl/ssl.h>

#include "err.h"

#define SMTP_LINE_MAX		512	/* RFC 5321 4.5.3.1.5, with CRLF */
#define POP3_LINE_MAX		512	/* RFC 1939 3 */
#define IMAP_LINE_MAX		2048	/* RFC 3501 has none; greetings are short */
#define REPLY_LINES_MAX		100	/* continuation lines per reply */

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

/* CLOCK_MONOTONIC in milliseconds (deadlines). */
long long	 mailconn_now(void);

/* Copy len bytes of server data as printable ASCII; '?' for the rest. */
void		 mailconn_printable(char *dst, size_t cap, const char *src,
		    size_t len);

/* Append s to dst (NUL-terminated, size cap), truncating silently. */
void		 mailconn_append(char *dst, size_t cap, const char *s);

/* Describe the failure in c->msg: "where: text". First failure wins. */
void		 mailconn_fail(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The OpenSSL error queue's first entry, or what, as text. */
const char	*mailconn_ssl_text(char *buf, size_t cap, const char *what);

/* Connect c->fd to sa before the deadline: MC_E_CONNECT when refused,
 * unreachable or late. */
enum mc_result	 mailconn_connect(struct conn *,
		    const struct sockaddr_storage *sa, socklen_t salen);

/* Write all of s (through TLS once it is up). */
enum mc_result	 mailconn_write(struct conn *, const char *s);

/*
 * Take one line from the connection into line (NUL-terminated, CR LF
 * stripped, raw bytes: make printable before showing). A line longer than
 * c->line_max octets with its CRLF is refused (MC_E_TOOBIG).
 */
enum mc_result	 mailconn_line(struct conn *, char *line, size_t cap,
		    size_t *lenp);

/*
 * Read one SMTP reply: lines of three digits, then '-' (more follows),
 * ' ' or nothing (the last line), all with the same code; at most
 * REPLY_LINES_MAX lines.
 */
enum mc_result	 mailconn_reply(struct conn *, struct reply *);

/* Send cmd (with CRLF) and read the reply. */
enum mc_result	 mailconn_cmd(struct conn *, const char *cmd, struct reply *);

/* The TLS handshake over c->fd; sni may be NULL. */
enum mc_result	 mailconn_tls(struct conn *, SSL_CTX *, const char *sni);

/* STARTTLS, refusing plaintext the server sent after its 220 (it would
 * be taken as if it came over TLS: CVE-2011-0411 style injection). */
enum mc_result	 mailconn_starttls(struct conn *, SSL_CTX *, const char *sni);

/* Close TLS and the socket. */
void		 mailconn_close(struct conn *);

#endif
