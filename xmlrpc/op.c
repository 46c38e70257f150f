/* op.c -- one operation: its kinds, its input, built in XSD order
 * (op_take.c takes its reply). */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errcode.h"
#include "op.h"
#include "packet.h"
#include "utf8.h"

static const struct {
	const char *operator, *operation;
} names[OP__MAX] = {
	[OP_SERVER_PROTOS] = { "server", "get_protos" },
	[OP_SERVER_INFO] = { "server", "get" },
	[OP_WEBSPACE_BY_NAME] = { "webspace", "get" },
	[OP_SITE_BY_NAME] = { "site", "get" },
	[OP_SUBDOMAIN_BY_NAME] = { "subdomain", "get" },
	[OP_ALIAS_BY_NAME] = { "site-alias", "get" },
	[OP_DNS_GET_REC] = { "dns", "get_rec" },
	[OP_DNS_ADD_REC] = { "dns", "add_rec" },
	[OP_DNS_DEL_REC] = { "dns", "del_rec" },
	[OP_DNS_GET] = { "dns", "get" },
	[OP_DNS_SET] = { "dns", "set" },
	[OP_DNS_ENABLE] = { "dns", "enable" },
	[OP_DNS_DISABLE] = { "dns", "disable" },
	[OP_MAIL_GET_PREFS] = { "mail", "get_prefs" },
	[OP_MAIL_ENABLE] = { "mail", "enable" },
	[OP_MAIL_DISABLE] = { "mail", "disable" },
	[OP_MAIL_GET_INFO] = { "mail", "get_info" },
	[OP_WEBSPACE_ALL] = { "webspace", "get" },
	[OP_SITE_ALL] = { "site", "get" },
};

const char *
op_operator(enum op_kind k)
{
	return (unsigned)k < OP__MAX ? names[k].operator : "?";
}

const char *
op_operation(enum op_kind k)
{
	return (unsigned)k < OP__MAX ? names[k].operation : "?";
}

struct op *
op_new(enum op_kind kind)
{
	struct op *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->kind = kind;
	o->result = MC_E_CONNECT;	/* until a reply says otherwise */
	snprintf(o->msg, sizeof(o->msg), "not sent");
	return o;
}

void
dns_record_clear(struct dns_record *r)
{
	if (r == NULL)
		return;
	free(r->type);
	free(r->host);
	free(r->value);
	free(r->opt);
	memset(r, 0, sizeof(*r));
}

void
op_reset_reply(struct op *o)
{
	size_t i;

	for (i = 0; i < o->nrecs; i++)
		dns_record_clear(&o->recs[i]);
	free(o->recs);
	for (i = 0; i < o->nitems; i++)
		free(o->items[i].errtext);
	free(o->items);
	for (i = 0; i < o->nstrs; i++)
		free(o->strs[i]);
	free(o->strs);
	free(o->usage);
	o->usage = NULL;
	free(o->errtext);
	free(o->found_name);
	free(o->ascii_name);
	free(o->ip);
	free(o->ip6);
	free(o->parent_name);
	free(o->plesk_version);
	free(o->server_name);
	o->recs = NULL;
	o->nrecs = 0;
	o->items = NULL;
	o->nitems = 0;
	o->strs = NULL;
	o->nstrs = 0;
	o->errtext = o->found_name = o->ascii_name = o->ip = o->ip6 = NULL;
	o->parent_name = NULL;
	o->plesk_version = o->server_name = NULL;
	o->errcode = 0;
	o->id = o->parent_id = 0;
	o->manage_dns = 0;
}

void
op_free(struct op *o)
{
	if (o == NULL)
		return;
	op_reset_reply(o);
	free(o->name);
	free(o->ids);
	dns_record_clear(&o->rec);
	free(o);
}

enum mc_result
op_set_ids(struct op *o, const unsigned long *ids, size_t n)
{
	free(o->ids);
	o->ids = NULL;
	o->nids = 0;
	if (n == 0)
		return MC_OK;
	if ((o->ids = malloc(n * sizeof(*ids))) == NULL)
		return MC_E_NOMEM;
	memcpy(o->ids, ids, n * sizeof(*ids));
	o->nids = n;
	return MC_OK;
}

/* ---- building ---- */

#define NOMEM(n) do { if ((n) == NULL) goto nomem; } while (0)

static enum mc_result
add_id_filter(xmlNodePtr parent, const char *key, const struct op *o,
    struct mc_err *err)
{
	xmlNodePtr f;
	size_t i;

	if (o->nids == 0)
		return mc_err_set(err, MC_E_REFUSED, "%s %s: refusing an empty "
		    "filter (on Plesk it selects every object on the server)",
		    op_operator(o->kind), op_operation(o->kind));
	if ((f = packet_empty(parent, "filter")) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "packet: out of memory");
	for (i = 0; i < o->nids; i++) {
		if (o->ids[i] == 0)
			return mc_err_set(err, MC_E_REFUSED, "%s %s: id 0 is "
			    "not a valid id", op_operator(o->kind),
			    op_operation(o->kind));
		if (packet_ulong(f, key, o->ids[i]) == NULL)
			return mc_err_set(err, MC_E_NOMEM,
			    "packet: out of memory");
	}
	return MC_OK;
}

static enum mc_result
build_name_get(const struct op *o, xmlNodePtr op, int dataset,
    struct mc_err *err)
{
	xmlNodePtr f, d;

	if (o->by_id) {
		if (o->nids != 1 || o->ids[0] == 0)
			return mc_err_set(err, MC_E_REFUSED, "%s get: by id "
			    "takes exactly one id", op_operator(o->kind));
		NOMEM(f = packet_empty(op, "filter"));
		NOMEM(packet_ulong(f, "id", o->ids[0]));
	} else {
		if (o->name == NULL || *o->name == '\0')
			return mc_err_set(err, MC_E_REFUSED, "%s get: refusing "
			    "an empty name", op_operator(o->kind));
		NOMEM(f = packet_empty(op, "filter"));
		NOMEM(packet_text(f, "name", o->name));
	}
	if (dataset) {
		NOMEM(d = packet_empty(op, "dataset"));
		NOMEM(packet_empty(d, "gen_info"));
	}
	return MC_OK;
nomem:
	return mc_err_set(err, MC_E_NOMEM, "packet: out of memory");
}

static enum mc_result
build_soa(const struct soa *s, xmlNodePtr parent, struct mc_err *err)
{
	xmlNodePtr n;

	if (s->set == 0)
		return mc_err_set(err, MC_E_REFUSED, "dns set: no SOA value "
		    "to set");
	NOMEM(n = packet_empty(parent, "soa"));
	if (s->set & SOA_TTL)
		NOMEM(packet_ulong(n, "ttl", s->ttl));
	if (s->set & SOA_REFRESH)
		NOMEM(packet_ulong(n, "refresh", s->refresh));
	if (s->set & SOA_RETRY)
		NOMEM(packet_ulong(n, "retry", s->retry));
	if (s->set & SOA_EXPIRE)
		NOMEM(packet_ulong(n, "expire", s->expire));
	if (s->set & SOA_MINIMUM)
		NOMEM(packet_ulong(n, "minimum", s->minimum));
	return MC_OK;
nomem:
	return mc_err_set(err, MC_E_NOMEM, "packet: out of memory");
}

static enum mc_result
build_add_rec(const struct op *o, xmlNodePtr op, struct mc_err *err)
{
	const struct dns_record *r = &o->rec;

	if (r->site_id == 0)
		return mc_err_set(err, MC_E_REFUSED, "dns add_rec: refusing a "
		    "record without site-id (it would go to the server's "
		    "DNS template)");
	if (r->type == NULL || r->value == NULL)
		return mc_err_set(err, MC_E_REFUSED, "dns add_rec: type and "
		    "value are required");
	NOMEM(packet_ulong(op, r->alias ? "site-alias-id" : "site-id",
	    r->site_id));
	NOMEM(packet_text(op, "type", r->type));
	NOMEM(packet_text(op, "host", r->host != NULL ? r->host : ""));
	NOMEM(packet_text(op, "value", r->value));
	if (r->opt != NULL && *r->opt != '\0')
		NOMEM(packet_text(op, "opt", r->opt));
	return MC_OK;
nomem:
	return mc_err_set(err, MC_E_NOMEM, "packet: out of memory");
}

enum mc_result
op_build(const struct op *o, xmlNodePtr operator_node, struct mc_err *err)
{
	xmlNodePtr op, n;
	const char *site_key = o->alias ? "site-alias-id" : "site-id";
	enum mc_result result;

	if ((unsigned)o->kind >= OP__MAX)
		return mc_err_set(err, MC_E_REFUSED, "packet: unknown "
		    "operation kind");
	if ((op = xmlNewChild(operator_node, NULL,
	    BAD_CAST op_operation(o->kind), NULL)) == NULL)
		goto nomem;
	switch (o->kind) {
	case OP_SERVER_PROTOS:
		return MC_OK;
	case OP_SERVER_INFO:
		NOMEM(packet_empty(op, "gen_info"));
		NOMEM(packet_empty(op, "stat"));
		return MC_OK;
	case OP_WEBSPACE_BY_NAME:
	case OP_SITE_BY_NAME:
		return build_name_get(o, op, 1, err);
	case OP_SUBDOMAIN_BY_NAME:
	case OP_ALIAS_BY_NAME:
		return build_name_get(o, op, 0, err);
	case OP_DNS_GET_REC:
		return add_id_filter(op, o->by_record_id ? "id" : site_key,
		    o, err);
	case OP_DNS_DEL_REC:
		/* by record id only: a site-id or empty filter deletes zones */
		return add_id_filter(op, "id", o, err);
	case OP_DNS_ADD_REC:
		return build_add_rec(o, op, err);
	case OP_DNS_GET:
		if ((result = add_id_filter(op, site_key, o, err)) != MC_OK)
			return result;
		if (o->with_soa)
			NOMEM(packet_empty(op, "soa"));
		return MC_OK;
	case OP_DNS_SET:
		if ((result = add_id_filter(op, site_key, o, err)) != MC_OK)
			return result;
		return build_soa(&o->soa, op, err);
	case OP_DNS_ENABLE:
	case OP_DNS_DISABLE:
	case OP_MAIL_GET_PREFS:
		return add_id_filter(op, o->kind == OP_MAIL_GET_PREFS ?
		    "site-id" : site_key, o, err);
	case OP_MAIL_ENABLE:
	case OP_MAIL_DISABLE:
		if (o->nids != 1 || o->ids[0] == 0)
			return mc_err_set(err, MC_E_REFUSED, "mail %s: takes "
			    "exactly one site-id", op_operation(o->kind));
		NOMEM(packet_ulong(op, "site-id", o->ids[0]));
		return MC_OK;
	case OP_WEBSPACE_ALL:
	case OP_SITE_ALL:
		/* an empty filter lists everything: harmless for a get */
		NOMEM(packet_empty(op, "filter"));
		NOMEM(n = packet_empty(op, "dataset"));
		NOMEM(packet_empty(n, "gen_info"));
		return MC_OK;
	case OP_MAIL_GET_INFO:
		if (o->nids != 1 || o->ids[0] == 0)
			return mc_err_set(err, MC_E_REFUSED, "mail get_info: "
			    "takes exactly one site-id");
		NOMEM(n = packet_empty(op, "filter"));
		NOMEM(packet_ulong(n, "site-id", o->ids[0]));
		NOMEM(packet_empty(op, "mailbox"));
		NOMEM(packet_empty(op, "mailbox-usage"));
		NOMEM(packet_empty(op, "forwarding"));
		NOMEM(packet_empty(op, "aliases"));
		return MC_OK;
	case OP__MAX:
		break;
	}
	return mc_err_set(err, MC_E_REFUSED, "packet: unknown operation");
nomem:
	return mc_err_set(err, MC_E_NOMEM, "packet: out of memory");
}
