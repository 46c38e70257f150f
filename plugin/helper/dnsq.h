/* dnsq.h -- one DNS question to one server and its answer as text. */
#ifndef MC_DNSQ_H
#define MC_DNSQ_H

#include <stddef.h>

#include <ldns/ldns.h>

#include "err.h"

/*
 * One question to one server. The caller zeroes the struct and fills the
 * inputs; dnsprobe_run fills the results. answers and its strings are
 * owned by the struct and released by dnsq_clear (or by the next
 * dnsprobe_run on it, which clears the old results first).
 */
struct dnsq {
	char		 server[64];	/* IPv4 or IPv6 literal */
	unsigned	 port;		/* 0 -> 53 */
	char		 name[256];	/* owner name, trailing dot optional */
	int		 type;		/* ldns_rr_type: A AAAA SOA NS MX TXT PTR CNAME */
	/* results */
	enum mc_result	 result;	/* MC_OK when an answer (any rcode) arrived */
	int		 rcode;		/* LDNS_RCODE_*; -1 when no answer */
	int		 aa;		/* authoritative answer flag */
	/*
	 * rdata of the answer RRs of the asked type as text: "127.0.3.20",
	 * MX "10 mail.example.com.", TXT content unquoted (strings joined,
	 * bytes outside printable ASCII as \DDD), SOA the whole rdata.
	 * A CNAME chain inside the answer section is followed.
	 */
	char		**answers;
	size_t		 nanswers;
	unsigned long	 ttl;		/* TTL of the first matching answer RR */
	unsigned long	 serial;	/* SOA: serial */
	int		 has_serial;
	int		 tries;		/* how many sends it took (UDP and TCP) */
	int		 tcp;		/* answered over TCP (after TC) */
	char		 msg[160];	/* on failure: what went wrong */
	/*
	 * NS questions only, when the answer section holds no NS of the
	 * name: a referral's delegation from the authority section -- the
	 * owner of its NS records ("test."), their names -- and the glue
	 * of the additional section, "name address" for each A/AAAA record
	 * of one of those names (or of an answered NS name).
	 */
	char		*cut;
	char		**auth;
	size_t		 nauth;
	char		**glue;
	size_t		 nglue;
};

/* Free answers and reset the results; keep the inputs. NULL is a no-op. */
void		 dnsq_clear(struct dnsq *);

/* dnsq_clear on each of n. */
void		 dnsq_free_all(struct dnsq *, size_t n);

/*
 * Fill q from pkt, an accepted answer to `query`: rcode, AA, and the
 * rdata of the answer RRs of the asked type as text, a CNAME chain
 * inside the answer section followed (at most 8 hops); for NS, the
 * referral and glue too. MC_E_NOMEM is the only failure.
 */
enum mc_result	 dnsq_take(struct dnsq *q, const ldns_pkt *query,
		    const ldns_pkt *pkt, int tcp);

/* "A", "SOA" ... of the types a question may ask; NULL for others. */
const char	*dnsq_type_name(int type);

/* Format into q->msg; a message that does not fit ends in "...". */
void		 dnsq_msg(struct dnsq *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* "127.0.54.9" for port 53, else "127.0.54.9 port 5353". */
const char	*dnsq_server_text(const struct dnsq *, char *, size_t);

/* The name without its trailing dot (unless it is the root). */
const char	*dnsq_name_text(const struct dnsq *, char *, size_t);

#endif
