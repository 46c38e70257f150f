/* mailprobe.h -- probe SMTP, submission, IMAPS and POP3S on an IP over TLS. */
#ifndef MC_MAILPROBE_H
#define MC_MAILPROBE_H

#include <stddef.h>

#include "err.h"

/*
 * What a probe talks to. Unknown kinds map to MP__MAX (see
 * mailprobe_kind_name).
 */
enum mailprobe_kind {
	MP_SMTP,	/* 25, STARTTLS */
	MP_SUBMISSION,	/* 587, STARTTLS */
	MP_IMAPS,	/* 993, TLS from the first byte */
	MP_POP3S,	/* 995, TLS from the first byte */
	MP__MAX
};

/*
 * One probe: the caller sets kind (and port, 0 for the kind's default);
 * mailprobe_run fills the rest. result is MC_OK only when the server was
 * reached, greeted, TLS came up, the chain verified against the trust
 * anchors and the certificate is valid for the host name. Otherwise:
 *   MC_E_CONNECT  connect refused, unreachable or timed out
 *   MC_E_IO       the connection broke or a deadline passed afterwards
 *   MC_E_PARSE    a reply that is not SMTP / IMAP / POP3
 *   MC_E_TOOBIG   a reply line over 512 octets or over 100 lines
 *   MC_E_API      the server refused a command (greeting not 220, ...)
 *   MC_E_TLS      no STARTTLS, handshake failed, chain or name refused
 * A refused certificate is a probe result, not a tool error.
 */
struct mailprobe {
	enum mailprobe_kind kind;
	unsigned	 port;		/* 0: default per kind */
	enum mc_result	 result;	/* see above */
	int		 connected;	/* TCP connection made */
	int		 greeted;	/* 220 / "* OK" / "+OK" read */
	int		 tls;		/* handshake done */
	int		 cert_chain_ok;	/* chains to a trust anchor, in date */
	int		 cert_name_ok;	/* valid for the host name */
	long		 cert_days_left; /* until notAfter; <0 if expired */
	char		 banner[256];	/* first greeting line, printable */
	char		 cert_subject[256]; /* one-line subject, printable */
	char		 msg[256];	/* "ip:port (kind): what happened" */
};

struct mailprobe_opts {
	const char	*cafile;	/* trust anchors; NULL: system store */
	int		 timeout_ms;	/* whole probe; 0: 10000 */
	const char	*helo;		/* EHLO name; NULL: mailcutover.invalid */
};

/*
 * Probe ip (an IPv4 or IPv6 literal) n times, once per probes[i].kind,
 * concurrently (one thread each; n <= MAILPROBE_MAX). hostname is
 * mail.<domain>: sent as SNI and the name the certificate must match.
 * Nothing is sent to the network on bad input.
 * Returns MC_OK when every probe ran (each probes[i].result says how it
 * went), MC_E_USAGE for a bad IP, host name, kind, port or opts,
 * MC_E_CONFIG when the cafile cannot be loaded, MC_E_NOMEM.
 */
#define MAILPROBE_MAX	32
enum mc_result	mailprobe_run(const char *ip, const char *hostname,
		    struct mailprobe *probes, size_t n,
		    const struct mailprobe_opts *, struct mc_err *);

/* The RCPT TO measurement of one address (field notes 3.6). */
struct mailprobe_rcpt {
	int		 code;		/* RCPT reply: 250, 454, 554...; 0 none */
	char		 reply[512];	/* the RCPT reply, printable, lines
					   joined with " / " */
	enum mc_result	 result;	/* MC_OK: a RCPT reply was read */
	char		 msg[256];	/* "ip:25 (smtp): RCPT TO:<x>: 454 ..." */
};

/*
 * Ask the SMTP server on ip:port (0: 25) what it answers to
 * RCPT TO:<rcpt> from an outside client: greeting, EHLO (HELO if EHLO is
 * refused), STARTTLS when offered (certificate not checked, as MTAs do),
 * MAIL FROM:<>, RCPT TO:<rcpt>, RSET, QUIT. Never sends DATA.
 * opts may be NULL. out is always filled.
 * Returns MC_E_USAGE (nothing sent) for a bad IP or address, otherwise
 * out->result: MC_OK when a RCPT reply was read whatever its code, an
 * error as for struct mailprobe when the dialogue did not get that far
 * (a refused MAIL FROM is MC_E_API, with its code and text in out).
 */
enum mc_result	mailprobe_rcpt(const char *ip, unsigned port, const char *rcpt,
		    const struct mailprobe_opts *, struct mailprobe_rcpt *out,
		    struct mc_err *);

/* "smtp", "submission", "imaps", "pop3s"; "unknown" otherwise. */
const char	*mailprobe_kind_name(enum mailprobe_kind);

/* Default port of a kind, 0 for an unknown kind. */
unsigned	 mailprobe_kind_port(enum mailprobe_kind);

#endif
