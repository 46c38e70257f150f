/* op.c -- build one operation in XSD order and check its reply. */
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

static void
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

/* ---- taking the reply ---- */

static enum mc_result
fail(struct op *o, enum mc_result r, struct mc_err *err, const char *fmt,
    const char *a)
{
	snprintf(o->msg, sizeof(o->msg), fmt, a);
	o->result = r;
	return mc_err_set(err, r, "%s %s: %s", op_operator(o->kind),
	    op_operation(o->kind), o->msg);
}

static enum mc_result
api_error(struct op *o, const struct result *r, struct mc_err *err)
{
	o->errcode = r->errcode;
	if (r->errtext != NULL)
		o->errtext = strdup(r->errtext);
	o->result = (r->errcode == PLESK_ERR_NOT_FOUND ||
	    r->errcode == PLESK_ERR_OWNER_NOT_FOUND) ? MC_E_NOTFOUND :
	    MC_E_API;
	/* errtext is localized: never cut inside a multi-byte character */
	snprintf(o->msg, sizeof(o->msg), "error %u (%s): %.*s", r->errcode,
	    plesk_errcode_name(r->errcode), (int)utf8_clip(r->errtext ?
	    r->errtext : "", 150), r->errtext ? r->errtext : "");
	mc_err_set(err, o->result, "%s %s: %s", op_operator(o->kind),
	    op_operation(o->kind), o->msg);
	if (err != NULL)
		err->plesk_code = r->errcode;
	return o->result;
}

static size_t
count_results(xmlNodePtr n)
{
	xmlNodePtr c;
	size_t k = 0;

	for (c = xml_child(n, "result"); c != NULL; c = xml_next(c, "result"))
		k++;
	return k;
}

/* Exactly one <result>; read it into *r. */
static enum mc_result
one_result(struct op *o, xmlNodePtr n, struct result *r, struct mc_err *err)
{
	xmlNodePtr c = xml_child(n, "result");

	if (c == NULL || count_results(n) != 1)
		return fail(o, MC_E_MISMATCH, err, "expected exactly one "
		    "<result>%s", "");
	if (result_read(c, r, err) != MC_OK)
		return fail(o, MC_E_PARSE, err, "%s", err ? err->msg : "bad "
		    "result");
	return MC_OK;
}

static enum mc_result
take_protos(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;
	xmlNodePtr ps, p;
	size_t k = 0;

	if (one_result(o, n, &r, err) != MC_OK)
		return o->result;
	if (!r.ok) {
		api_error(o, &r, err);
		result_clear(&r);
		return o->result;
	}
	ps = xml_child(r.node, "protos");
	for (p = ps ? xml_child(ps, "proto") : NULL; p; p = xml_next(p, "proto"))
		k++;
	if (k == 0) {
		result_clear(&r);
		return fail(o, MC_E_PARSE, err, "no <proto> in the reply%s",
		    "");
	}
	if ((o->strs = calloc(k, sizeof(char *))) == NULL)
		goto nomem;
	for (p = xml_child(ps, "proto"); p; p = xml_next(p, "proto"))
		if ((o->strs[o->nstrs++] = xml_text(p)) == NULL)
			goto nomem;
	result_clear(&r);
	return o->result = MC_OK;
nomem:
	result_clear(&r);
	return fail(o, MC_E_NOMEM, err, "out of memory%s", "");
}

static enum mc_result
take_server_info(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;
	xmlNodePtr st, ver;

	if (one_result(o, n, &r, err) != MC_OK)
		return o->result;
	if (!r.ok) {
		api_error(o, &r, err);
		result_clear(&r);
		return o->result;
	}
	o->server_name = xml_child_text(xml_child(r.node, "gen_info"),
	    "server_name");
	st = xml_child(r.node, "stat");
	ver = xml_child(st, "version");
	o->plesk_version = xml_child_text(ver, "plesk_version");
	result_clear(&r);
	return o->result = MC_OK;
}

/*
 * gen_info carries up to two <dns_ip_address> (XSD maxOccurs 2): the
 * domain's IPv4 and IPv6 address. Keep one of each; a value that is not
 * an address is ignored (the caller then has no panel fact for it).
 */
static int
take_ips(struct op *o, xmlNodePtr info)
{
	unsigned char buf[sizeof(struct in6_addr)];
	xmlNodePtr c;
	char *t;

	for (c = xml_child(info, "dns_ip_address"); c != NULL;
	    c = xml_next(c, "dns_ip_address")) {
		if ((t = xml_text(c)) == NULL)
			return 0;
		if (o->ip == NULL && inet_pton(AF_INET, t, buf) == 1)
			o->ip = t;
		else if (o->ip6 == NULL && inet_pton(AF_INET6, t, buf) == 1)
			o->ip6 = t;
		else
			free(t);
	}
	return 1;
}

/* the full name of a subdomain from <name> (short or full) and <parent> */
static void
subdomain_name(struct op *o, xmlNodePtr data, xmlNodePtr res)
{
	char *full;
	size_t fl, pl;

	o->found_name = xml_child_text(data, "name");
	if (o->found_name == NULL)	/* [U] older shapes */
		o->found_name = xml_child_text(res, "name");
	o->parent_name = xml_child_text(data, "parent");
	if (o->found_name == NULL || o->parent_name == NULL ||
	    *o->parent_name == '\0')
		return;
	fl = strlen(o->found_name);
	pl = strlen(o->parent_name);
	if (fl > pl + 1 && o->found_name[fl - pl - 1] == '.' &&
	    strcasecmp(o->found_name + fl - pl, o->parent_name) == 0)
		return;
	if (asprintf(&full, "%s.%s", o->found_name, o->parent_name) >= 0) {
		free(o->found_name);
		o->found_name = full;
	}
}

/* webspace/site/subdomain/site-alias get by one name (or one id) */
static enum mc_result
take_by_name(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;
	xmlNodePtr info;
	char *fid = NULL, *s = NULL, asked[32];
	const char *what = o->name;
	unsigned long v;
	int match;

	if (o->by_id) {
		snprintf(asked, sizeof(asked), "%lu", o->nids ? o->ids[0] : 0);
		what = asked;
	}
	if (xml_child(n, "result") == NULL) {
		/* [U] some versions answer an empty element for no match */
		return fail(o, MC_E_NOTFOUND, err, "%s not found", what);
	}
	if (count_results(n) != 1)
		return fail(o, MC_E_MISMATCH, err, "%s: several objects match "
		    "this name", what);
	if (one_result(o, n, &r, err) != MC_OK)
		return o->result;
	if (!r.ok) {
		api_error(o, &r, err);
		/* any "no such object" for a name lookup is a plain miss */
		if (o->result == MC_E_API &&
		    r.errcode == PLESK_ERR_NOT_FOUND)
			o->result = MC_E_NOTFOUND;
		result_clear(&r);
		return o->result;
	}
	/* the echoed filter-id, where given, must be what we asked */
	fid = xml_child_text(r.node, "filter-id");
	if (fid != NULL && strcasecmp(fid, what) != 0) {
		fail(o, MC_E_MISMATCH, err, "reply is for another object "
		    "(filter-id does not echo %s)", what);
		goto out;
	}
	if (!xml_child_ulong(r.node, "id", &v) || v == 0 ||
	    (o->by_id && v != o->ids[0])) {
		fail(o, MC_E_PARSE, err, "%s: reply has no valid <id>", what);
		goto out;
	}
	o->id = v;
	switch (o->kind) {
	case OP_WEBSPACE_BY_NAME:
	case OP_SITE_BY_NAME:
		info = xml_child(xml_child(r.node, "data"), "gen_info");
		o->found_name = xml_child_text(info, "name");
		o->ascii_name = xml_child_text(info, "ascii-name");
		if (!take_ips(o, info)) {
			fail(o, MC_E_NOMEM, err, "out of memory%s", "");
			goto out;
		}
		if (o->kind == OP_SITE_BY_NAME &&
		    xml_child_ulong(info, "webspace-id", &v))
			o->parent_id = v;
		break;
	case OP_SUBDOMAIN_BY_NAME:
		/*
		 * subdomain get answers the name relative to its parent:
		 * <data><parent>example.com</parent><name>sub</name>
		 */
		subdomain_name(o, xml_child(r.node, "data"), r.node);
		break;
	case OP_ALIAS_BY_NAME:
		info = xml_child(r.node, "info");
		o->found_name = xml_child_text(info, "name");
		o->ascii_name = xml_child_text(info, "ascii-name");
		if (xml_child_ulong(info, "site-id", &v))
			o->parent_id = v;
		s = xml_child_text(info, "manage-dns");
		o->manage_dns = s != NULL && strcmp(s, "true") == 0;
		break;
	default:
		break;
	}
	/* compare name and ascii-name (IDN) with what we asked for */
	match = o->by_id ||
	    (o->found_name == NULL && o->ascii_name == NULL) ||
	    (o->found_name != NULL && strcasecmp(o->found_name, o->name) == 0) ||
	    (o->ascii_name != NULL && strcasecmp(o->ascii_name, o->name) == 0);
	if (!match) {
		fail(o, MC_E_MISMATCH, err, "reply names another domain than "
		    "%s", o->name);
		goto out;
	}
	o->result = MC_OK;
out:
	free(fid);
	free(s);
	result_clear(&r);
	return o->result;
}

static int
id_requested(const struct op *o, unsigned long id)
{
	size_t i;

	for (i = 0; i < o->nids; i++)
		if (o->ids[i] == id)
			return 1;
	return 0;
}

static enum mc_result
take_get_rec(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	xmlNodePtr c, d;
	struct result r;
	struct dns_record *rec;
	size_t k = count_results(n);
	unsigned long v;

	if (k > 0 && (o->recs = calloc(k, sizeof(*o->recs))) == NULL)
		return fail(o, MC_E_NOMEM, err, "out of memory%s", "");
	for (c = xml_child(n, "result"); c != NULL; c = xml_next(c, "result")) {
		if (result_read(c, &r, err) != MC_OK)
			return fail(o, MC_E_PARSE, err, "%s",
			    err ? err->msg : "bad result");
		if (!r.ok) {
			api_error(o, &r, err);
			result_clear(&r);
			return o->result;
		}
		result_clear(&r);
		rec = &o->recs[o->nrecs];
		d = xml_child(c, "data");
		if (!xml_child_ulong(c, "id", &rec->id) || rec->id == 0 ||
		    d == NULL)
			return fail(o, MC_E_PARSE, err, "record without id or "
			    "data%s", "");
		if (xml_child_ulong(d, "site-id", &v))
			rec->site_id = v;
		else if (xml_child_ulong(d, "site-alias-id", &v)) {
			rec->site_id = v;
			rec->alias = 1;
		}
		rec->type = xml_child_text(d, "type");
		rec->host = xml_child_text(d, "host");
		rec->value = xml_child_text(d, "value");
		rec->opt = xml_child_text(d, "opt");
		if (rec->opt == NULL)
			rec->opt = strdup("");
		o->nrecs++;
		if (rec->type == NULL || rec->host == NULL ||
		    rec->value == NULL || rec->opt == NULL)
			return fail(o, MC_E_PARSE, err, "record without type, "
			    "host or value%s", "");
		/* every record must belong to what we asked for */
		if (o->by_record_id ? !id_requested(o, rec->id) :
		    (rec->site_id == 0 || rec->alias != o->alias ||
		    !id_requested(o, rec->site_id)))
			return fail(o, MC_E_MISMATCH, err, "reply holds a "
			    "record of a zone that was not asked for%s", "");
	}
	return o->result = MC_OK;
}

static enum mc_result
take_add_rec(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;

	if (one_result(o, n, &r, err) != MC_OK)
		return o->result;
	if (!r.ok) {
		api_error(o, &r, err);
	} else if (!xml_child_ulong(r.node, "id", &o->id) || o->id == 0) {
		fail(o, MC_E_PARSE, err, "add_rec answered ok without a "
		    "record id%s", "");
	} else
		o->result = MC_OK;
	result_clear(&r);
	return o->result;
}

/*
 * One <result> per requested id, in order. Where the reply echoes an id
 * (<id>, <site-id> or <site-alias-id>) it must be the one asked for;
 * where it does not (Plesk leaves it out on some errors [I]), position
 * decides.
 */
static enum mc_result
take_per_id(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	const char *echo = o->kind == OP_DNS_DEL_REC ? "id" :
	    (o->alias ? "site-alias-id" : "site-id");
	xmlNodePtr c, p, s;
	struct result r;
	struct op_item *it;
	unsigned long v;
	char *t;
	size_t i = 0;
	int failed = 0;

	if (count_results(n) != o->nids)
		return fail(o, MC_E_MISMATCH, err, "reply has a different "
		    "number of results than ids asked for%s", "");
	if ((o->items = calloc(o->nids, sizeof(*o->items))) == NULL)
		return fail(o, MC_E_NOMEM, err, "out of memory%s", "");
	for (c = xml_child(n, "result"); c; c = xml_next(c, "result"), i++) {
		it = &o->items[i];
		it->id = o->ids[i];
		it->zone_enabled = it->mailservice = -1;
		o->nitems = i + 1;
		if (result_read(c, &r, err) != MC_OK)
			return fail(o, MC_E_PARSE, err, "%s",
			    err ? err->msg : "bad result");
		if (xml_child(c, echo) != NULL &&
		    (!xml_child_ulong(c, echo, &v) || v != it->id)) {
			result_clear(&r);
			return fail(o, MC_E_MISMATCH, err, "result echoes "
			    "another id than the one asked for at its "
			    "position%s", "");
		}
		if (!r.ok) {
			if (!failed++)
				api_error(o, &r, NULL);
			it->errcode = r.errcode;
			it->errtext = r.errtext;
			r.errtext = NULL;
			it->result = (r.errcode == PLESK_ERR_NOT_FOUND ||
			    r.errcode == PLESK_ERR_OWNER_NOT_FOUND) ?
			    MC_E_NOTFOUND : MC_E_API;
			result_clear(&r);
			continue;
		}
		result_clear(&r);
		it->result = MC_OK;
		if (o->kind == OP_DNS_GET) {
			if ((s = xml_child(c, "soa")) != NULL) {
				if (xml_child_ulong(s, "ttl", &it->soa.ttl))
					it->soa.set |= SOA_TTL;
				if (xml_child_ulong(s, "refresh",
				    &it->soa.refresh))
					it->soa.set |= SOA_REFRESH;
				if (xml_child_ulong(s, "retry", &it->soa.retry))
					it->soa.set |= SOA_RETRY;
				if (xml_child_ulong(s, "expire",
				    &it->soa.expire))
					it->soa.set |= SOA_EXPIRE;
				if (xml_child_ulong(s, "minimum",
				    &it->soa.minimum))
					it->soa.set |= SOA_MINIMUM;
			}
			if ((t = xml_child_text(c, "zone_status")) != NULL)
				it->zone_enabled = strcmp(t, "enabled") == 0;
			free(t);
			if ((t = xml_child_text(c, "zone_type")) != NULL)
				it->zone_master = strcmp(t, "master") == 0;
			free(t);
			if (o->with_soa && !(it->soa.set & SOA_TTL))
				return fail(o, MC_E_PARSE, err, "dns get "
				    "answered without the SOA ttl%s", "");
		} else if (o->kind == OP_MAIL_GET_PREFS) {
			p = xml_child(c, "prefs");
			if ((t = xml_child_text(p, "mailservice")) != NULL)
				it->mailservice = strcmp(t, "true") == 0;
			free(t);
		}
	}
	if (!failed)
		o->result = MC_OK;
	return o->result;
}

static enum mc_result
take_plain(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;

	if (one_result(o, n, &r, err) != MC_OK)
		return o->result;
	if (!r.ok)
		api_error(o, &r, err);
	else
		o->result = MC_OK;
	result_clear(&r);
	return o->result;
}

static enum mc_result
take_get_info(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	xmlNodePtr c, m;
	struct result r;
	size_t k = count_results(n);

	if (k > 0 && ((o->strs = calloc(k, sizeof(char *))) == NULL ||
	    (o->usage = calloc(k, sizeof(*o->usage))) == NULL))
		return fail(o, MC_E_NOMEM, err, "out of memory%s", "");
	for (c = xml_child(n, "result"); c; c = xml_next(c, "result")) {
		if (result_read(c, &r, err) != MC_OK)
			return fail(o, MC_E_PARSE, err, "%s",
			    err ? err->msg : "bad result");
		if (!r.ok) {
			api_error(o, &r, err);
			result_clear(&r);
			return o->result;
		}
		result_clear(&r);
		/* a domain with no mail names: a bare ok <result> [I] */
		if ((m = xml_child(c, "mailname")) == NULL)
			continue;
		if ((o->strs[o->nstrs] = xml_child_text(m, "name")) == NULL)
			return fail(o, MC_E_PARSE, err, "mailname without "
			    "name%s", "");
		/* bytes in the mailbox (<mailbox-usage/>); 0 if not given */
		xml_child_ulong(xml_child(m, "mailbox"), "usage",
		    &o->usage[o->nstrs]);
		o->nstrs++;
	}
	return o->result = MC_OK;
}

/* every object of a list: strs[i] = ascii-name (or name), items[i].id */
static enum mc_result
take_all(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	xmlNodePtr c, info;
	struct result r;
	size_t k = count_results(n);
	unsigned long v;
	char *name;

	if (k > 0 && ((o->strs = calloc(k, sizeof(char *))) == NULL ||
	    (o->items = calloc(k, sizeof(*o->items))) == NULL))
		return fail(o, MC_E_NOMEM, err, "out of memory%s", "");
	for (c = xml_child(n, "result"); c; c = xml_next(c, "result")) {
		if (result_read(c, &r, err) != MC_OK)
			return fail(o, MC_E_PARSE, err, "%s",
			    err ? err->msg : "bad result");
		if (!r.ok) {
			/* an empty server answers an error for "no objects" */
			if (r.errcode == PLESK_ERR_NOT_FOUND) {
				result_clear(&r);
				continue;
			}
			api_error(o, &r, err);
			result_clear(&r);
			return o->result;
		}
		result_clear(&r);
		info = xml_child(xml_child(c, "data"), "gen_info");
		if (!xml_child_ulong(c, "id", &v) || v == 0 ||
		    ((name = xml_child_text(info, "ascii-name")) == NULL &&
		    (name = xml_child_text(info, "name")) == NULL))
			return fail(o, MC_E_PARSE, err, "listed object without "
			    "id or name%s", "");
		o->items[o->nitems].id = v;
		o->items[o->nitems].zone_enabled = -1;
		o->items[o->nitems].mailservice = -1;
		o->nitems++;
		o->strs[o->nstrs++] = name;
	}
	return o->result = MC_OK;
}

enum mc_result
op_take(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	op_reset_reply(o);
	o->msg[0] = '\0';
	switch (o->kind) {
	case OP_SERVER_PROTOS:
		return take_protos(o, n, err);
	case OP_SERVER_INFO:
		return take_server_info(o, n, err);
	case OP_WEBSPACE_BY_NAME:
	case OP_SITE_BY_NAME:
	case OP_SUBDOMAIN_BY_NAME:
	case OP_ALIAS_BY_NAME:
		return take_by_name(o, n, err);
	case OP_DNS_GET_REC:
		return take_get_rec(o, n, err);
	case OP_DNS_ADD_REC:
		return take_add_rec(o, n, err);
	case OP_DNS_DEL_REC:
	case OP_DNS_GET:
	case OP_DNS_SET:
	case OP_DNS_ENABLE:
	case OP_DNS_DISABLE:
	case OP_MAIL_GET_PREFS:
		return take_per_id(o, n, err);
	case OP_MAIL_ENABLE:
	case OP_MAIL_DISABLE:
		return take_plain(o, n, err);
	case OP_MAIL_GET_INFO:
		return take_get_info(o, n, err);
	case OP_WEBSPACE_ALL:
	case OP_SITE_ALL:
		return take_all(o, n, err);
	case OP__MAX:
		break;
	}
	return fail(o, MC_E_PARSE, err, "unknown operation kind%s", "");
}
