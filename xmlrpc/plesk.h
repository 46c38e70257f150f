/* plesk.h -- a Plesk XML API client: transport, protocol, batches, resolve. */
#ifndef MC_PLESK_H
#define MC_PLESK_H

#include "batch.h"
#include "transport.h"

#define PLESK_BATCH_DEFAULT	100

struct plesk_conf {
	struct transport_conf	 tc;
	size_t			 batch_max;	/* ops per packet; 0: 100 */
	const char		*version;	/* force one; NULL: negotiate */
};

struct plesk {
	struct transport	*t;
	char			 name[64];
	char			*version;	/* sent in every packet */
	char			*server_newest;	/* from the reply root */
	char			**protos;	/* from get_protos */
	size_t			 nprotos;
	size_t			 batch_max;
	long			 requests;	/* packets sent */
	long			 ops;		/* operations sent */
};

enum mc_result	 plesk_open(const struct plesk_conf *, struct plesk **,
		    struct mc_err *);
void		 plesk_free(struct plesk *);

/*
 * Ask the server which protocols it speaks (server get_protos, sent with
 * no version so any Plesk answers) and choose the highest one within
 * [PROTO_MIN, PROTO_MAX]. MC_E_VERSION if there is none, or if a forced
 * version is not among them.
 */
enum mc_result	 plesk_negotiate(struct plesk *, struct mc_err *);

/*
 * Send every queued operation in packets of at most batch_max operations.
 * Per-operation outcomes are in each op. Returns MC_OK when every packet
 * got a reply that lines up; otherwise the first packet-level failure.
 * A failed packet marks its own ops; later packets are still sent, except
 * after a panel-wide failure (connect, TLS, auth, version), which marks
 * the rest as not sent. op->sent tells which may have reached the panel.
 */
enum mc_result	 plesk_send(struct plesk *, struct batch *, struct mc_err *);

enum site_kind {
	SITE_NONE,
	SITE_WEBSPACE,
	SITE_SITE,
	SITE_SUBDOMAIN,
	SITE_ALIAS,
	SITE__MAX
};

const char	*site_kind_name(enum site_kind);

struct site_ref {
	const char	*name;		/* as asked (ASCII form); not owned */
	const char	*alt;		/* the other form of an IDN (Unicode),
					   or NULL; not owned */
	enum site_kind	 kind;
	unsigned long	 id;		/* site-id, or site-alias-id */
	unsigned long	 parent_id;	/* webspace of a site; site of alias */
	int		 manage_dns;	/* alias only: has its own zone */
	/*
	 * The domain's addresses on this panel (gen_info dns_ip_address):
	 * for an alias its site's, for a subdomain its parent's. "" if the
	 * panel reports none.
	 */
	char		 ip[64];
	char		 ip6[64];
	char		 stored[256];	/* the name as the panel stores it */
	char		 parent[256];	/* subdomain: the parent's name */
	enum mc_result	 result;
	char		 msg[256];
};

/*
 * Resolve names to ids: webspace by name first, then site and subdomain
 * (one packet: a subdomain is also a site on Plesk 10+, and only the
 * subdomain operator says it is one), then site-alias; each step one
 * batch for all names still unresolved. An IDN is looked up by both of
 * its forms in the same packet: Plesk 11 and 12 find a domain only by the
 * form it was entered in, often the Unicode one. Last, the addresses of
 * each alias's site and each subdomain's parent. A name found nowhere gets
 * MC_E_NOTFOUND in its ref; an error for one name never fails the others.
 * The return value is the first packet-level failure, or MC_OK.
 */
enum mc_result	 plesk_resolve(struct plesk *, struct site_ref *, size_t n,
		    struct mc_err *);

#endif
