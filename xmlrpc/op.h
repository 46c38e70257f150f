/* op.h -- one queued XML API operation: its input, its reply, its checks. */
#ifndef MC_OP_H
#define MC_OP_H

#include <stddef.h>

#include <libxml/tree.h>

#include "err.h"
#include "response.h"

enum op_kind {
	OP_SERVER_PROTOS,	/* server get_protos */
	OP_SERVER_INFO,		/* server get gen_info + stat */
	OP_WEBSPACE_BY_NAME,	/* webspace get, filter name (or id: by_id) */
	OP_SITE_BY_NAME,	/* site get, filter name (or id: by_id) */
	OP_SUBDOMAIN_BY_NAME,	/* subdomain get, filter name */
	OP_ALIAS_BY_NAME,	/* site-alias get, filter name */
	OP_DNS_GET_REC,		/* filter site-id* (or id* with by_record_id) */
	OP_DNS_ADD_REC,
	OP_DNS_DEL_REC,		/* filter id*: never empty */
	OP_DNS_GET,		/* SOA + zone status, filter site-id+ */
	OP_DNS_SET,		/* SOA values, filter site-id+ */
	OP_DNS_ENABLE,
	OP_DNS_DISABLE,
	OP_MAIL_GET_PREFS,	/* filter site-id+ */
	OP_MAIL_ENABLE,		/* one site-id */
	OP_MAIL_DISABLE,	/* one site-id */
	OP_MAIL_GET_INFO,	/* one site-id: mail names */
	OP_WEBSPACE_ALL,	/* webspace get, empty filter: list (read only) */
	OP_SITE_ALL,		/* site get, empty filter: sites + subdomains */
	OP__MAX
};

/* Operator and operation element names of a kind. */
const char	*op_operator(enum op_kind);
const char	*op_operation(enum op_kind);

enum soa_field {
	SOA_TTL = 1 << 0,
	SOA_REFRESH = 1 << 1,
	SOA_RETRY = 1 << 2,
	SOA_EXPIRE = 1 << 3,
	SOA_MINIMUM = 1 << 4,
};

struct soa {
	unsigned	 set;	/* enum soa_field bits present */
	unsigned long	 ttl, refresh, retry, expire, minimum;
};

struct dns_record {
	unsigned long	 id;
	unsigned long	 site_id;	/* or site-alias-id when alias */
	int		 alias;
	char		*type;		/* "A", "MX", ... */
	char		*host;		/* as Plesk gave it: FQDN with dot */
	char		*value;
	char		*opt;		/* may be "" */
};

/* Per filter value result: one per site-id (or record id for del_rec). */
struct op_item {
	unsigned long	 id;
	enum mc_result	 result;	/* MC_OK, MC_E_API, MC_E_NOTFOUND */
	unsigned	 errcode;
	char		*errtext;
	struct soa	 soa;		/* OP_DNS_GET */
	int		 zone_enabled;	/* OP_DNS_GET: 1/0, -1 unknown */
	int		 zone_master;	/* OP_DNS_GET: 1 master, 0 slave */
	int		 mailservice;	/* OP_MAIL_GET_PREFS: 1/0, -1 */
};

struct op {
	enum op_kind	 kind;

	/* input */
	char		*name;		/* *_BY_NAME */
	int		 by_id;		/* WEBSPACE/SITE_BY_NAME: filter on
					   <id> ids[0] instead of the name */
	unsigned long	*ids;		/* site-ids, or record ids */
	size_t		 nids;
	int		 by_record_id;	/* OP_DNS_GET_REC: filter on <id> */
	int		 alias;		/* ids are site-alias-ids */
	int		 with_soa;	/* OP_DNS_GET: ask for <soa/> */
	struct dns_record rec;		/* OP_DNS_ADD_REC */
	struct soa	 soa;		/* OP_DNS_SET */

	/* outcome */
	int		 sent;		/* packet left us (maybe applied) */
	enum mc_result	 result;	/* whole-operation result */
	unsigned	 errcode;	/* Plesk errcode when MC_E_API */
	char		*errtext;	/* printable Plesk errtext, or NULL */
	char		 msg[256];	/* our own message when failed */

	/* reply data */
	unsigned long	 id;		/* add_rec: new id; *_BY_NAME: id */
	unsigned long	 parent_id;	/* site/subdomain parent; alias site */
	int		 manage_dns;	/* alias: has its own zone */
	char		*found_name;	/* *_BY_NAME: name as the panel has it */
	char		*ascii_name;
	char		*ip;		/* *_BY_NAME: the IPv4 dns_ip_address */
	char		*ip6;		/* *_BY_NAME: the IPv6 dns_ip_address */
	char		*parent_name;	/* SUBDOMAIN_BY_NAME: <parent> */
	struct dns_record *recs;	/* OP_DNS_GET_REC */
	size_t		 nrecs;
	struct op_item	*items;		/* per id, request order */
	size_t		 nitems;
	char		**strs;		/* protos, mail names, or *_ALL names */
	size_t		 nstrs;
	unsigned long	*usage;		/* OP_MAIL_GET_INFO: bytes per name */
	char		*plesk_version;	/* OP_SERVER_INFO */
	char		*server_name;	/* OP_SERVER_INFO */
};

struct op	*op_new(enum op_kind);
void		 op_free(struct op *);
/* Set input ids (copied). */
enum mc_result	 op_set_ids(struct op *, const unsigned long *, size_t);

/*
 * Append this operation to parent (the operator element) in XSD order.
 * Refuses (MC_E_REFUSED) an operation whose filter would be empty where an
 * empty filter means "everything" (del_rec deletes every record on the
 * server; get_rec dumps all zones; set/enable/disable hit the template).
 */
enum mc_result	 op_build(const struct op *, xmlNodePtr operator_node,
		    struct mc_err *);

/* Forget the reply data of a previous send (op_take and op_free do). */
void		 op_reset_reply(struct op *);

void		 dns_record_clear(struct dns_record *);

#include "op_take.h"

#endif
