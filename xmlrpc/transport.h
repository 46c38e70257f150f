/* transport.h -- HTTPS POST of packets to agent.php with libcurl. */
#ifndef MC_TRANSPORT_H
#define MC_TRANSPORT_H

#include <stddef.h>

#include "err.h"
#include "secret.h"

#define TRANSPORT_MAX_BODY_DEFAULT	(64UL * 1024 * 1024)
#define TRANSPORT_PATH			"/enterprise/control/agent.php"

enum auth_kind {
	AUTH_KEY,	/* KEY: header */
	AUTH_LOGIN,	/* HTTP_AUTH_LOGIN + HTTP_AUTH_PASSWD headers */
};

struct transport_conf {
	const char		*name;		/* "source panel", for messages */
	const char		*url;		/* https://host:8443 */
	enum auth_kind		 auth;
	const char		*login;		/* AUTH_LOGIN only */
	const struct secret	*secret;	/* key or password; not owned */
	const char		*pin;		/* "sha256//..." or NULL */
	const char		*cafile;	/* CA bundle or NULL */
	int			 insecure;	/* no verification at all */
	long			 connect_timeout_ms;
	long			 timeout_ms;
	size_t			 max_body;	/* 0: default 64 MiB */
};

/* How TLS will be checked for a configuration: derived, testable. */
struct tls_plan {
	int		 verify_peer;	/* CURLOPT_SSL_VERIFYPEER */
	int		 verify_host;	/* CURLOPT_SSL_VERIFYHOST (0 or 2) */
	const char	*pin;		/* CURLOPT_PINNEDPUBLICKEY */
	const char	*cafile;	/* CURLOPT_CAINFO */
	int		 warn_insecure;	/* print a warning on every run */
};

/*
 * Decide the TLS checks: a pin accepts a self-signed certificate only if
 * its public key matches (peer and host checks off, pin on); a CA file
 * verifies chain and host name against it; neither means the system CAs;
 * insecure turns everything off and must warn. A pin must look like
 * "sha256//" + 44 base64 characters (several joined by ';' allowed).
 */
enum mc_result	 transport_tls_plan(const struct transport_conf *,
		    struct tls_plan *, struct mc_err *);

struct transport;

enum mc_result	 transport_new(const struct transport_conf *,
		    struct transport **, struct mc_err *);
void		 transport_free(struct transport *);

/*
 * POST body to the panel; on MC_OK *reply (malloc'd, NUL-terminated) and
 * *replylen hold the body of an HTTP 200 answer. One connection is kept
 * alive across calls. The body is never sent twice: if libcurl wants to
 * resend it on a fresh connection after a reused one died, the call fails
 * with MC_E_LOST (err->maybe_applied set) instead; so does a reconnect
 * libcurl makes by itself that is refused or fails its TLS once any of
 * the body had left. Failures before anything was sent are MC_E_CONNECT
 * or MC_E_TLS.
 */
enum mc_result	 transport_post(struct transport *, const char *body,
		    size_t len, char **reply, size_t *replylen,
		    struct mc_err *);

/* Connections opened so far (1 when keep-alive worked throughout). */
long		 transport_connections(const struct transport *);

/*
 * Connect to url without verification only to read the server's public
 * key, and write its pin ("sha256//BASE64") into out.
 */
enum mc_result	 transport_fetch_pin(const char *url, long timeout_ms,
		    char *out, size_t, struct mc_err *);

/* Validate a pin string. */
int		 valid_pin(const char *);

#endif
