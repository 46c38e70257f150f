/* err.h -- the one error type of Mail Cutover: a result code plus a message. */
#ifndef MC_ERR_H
#define MC_ERR_H

#include <stddef.h>

/*
 * Every function that can fail returns enum mc_result (MC_OK == 0) and,
 * when it fails, fills a caller-supplied struct mc_err with a message that
 * names the object first ("source panel: HTTP 502 from agent.php").
 * Messages never contain secrets.
 */
enum mc_result {
	MC_OK = 0,
	MC_E_NOMEM,	/* allocation failed */
	MC_E_USAGE,	/* bad command line or argument */
	MC_E_CONFIG,	/* bad configuration file */
	MC_E_SECRET,	/* secret file missing, unreadable or unsafe */
	MC_E_IO,	/* local file or system call failed */
	MC_E_CONNECT,	/* panel unreachable; nothing was sent */
	MC_E_TLS,	/* TLS handshake, certificate or pin refused */
	MC_E_LOST,	/* request sent, answer lost: outcome unknown */
	MC_E_HTTP,	/* unexpected HTTP status */
	MC_E_TOOBIG,	/* response larger than the configured cap */
	MC_E_PARSE,	/* reply is not a well-formed Plesk packet */
	MC_E_AUTH,	/* panel refused the credentials (1001, 1029, 11003) */
	MC_E_VERSION,	/* no protocol version in common (1005) */
	MC_E_SYSTEM,	/* other packet-level <system> error */
	MC_E_API,	/* an operation's own <result> error */
	MC_E_MISMATCH,	/* reply does not line up with the request */
	MC_E_NOTFOUND,	/* object does not exist */
	MC_E_REFUSED,	/* the library refuses a dangerous request */
	MC_E_DNS,	/* DNS query failed */
	MC_E_CORRUPT,	/* on-disk state is damaged */
	MC_E_BUSY,	/* another run holds the object's lock */
	MC__MAX
};

struct mc_err {
	enum mc_result	 code;		/* MC_OK when nothing failed */
	unsigned	 plesk_code;	/* Plesk errcode, 0 if none */
	int		 maybe_applied;	/* 1: the panel may have acted */
	char		 msg[512];	/* human-readable detail */
};

/* Name of a result code, e.g. "MC_E_TLS" -> "tls". Never NULL. */
const char	*mc_strerror(enum mc_result);

/* Set err (if not NULL) and return code; printf-like message. */
enum mc_result	 mc_err_set(struct mc_err *, enum mc_result, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "what: ". */
void		 mc_err_prefix(struct mc_err *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

void		 mc_err_clear(struct mc_err *);

#endif
