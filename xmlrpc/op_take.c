/* op_take.c -- one operation's reply: every <result> read, echoed ids
 * checked against the request, the reply data filled in; a reply that
 * does not line up is MC_E_MISMATCH, never a guess. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errcode.h"
#include "op.h"
#include "utf8.h"

/* ---- taking the reply ---- */

static enum mc_result
fail(struct op *o, enum mc_result r, struct mc_err *err, const char *fmt,
    const char *a)
{
	/* the parser's message, cut to o->msg (%.255s at the callers: an
	   intended cut), never inside a UTF-8 character */
	snprintf(o->msg, sizeof(o->msg), fmt, a);
	utf8_trim(o->msg);
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

/* Read the <result> c into *r; a malformed one fails o. */
static enum mc_result
read_result(struct op *o, xmlNodePtr c, struct result *r, struct mc_err *err)
{
	if (result_read(c, r, err) != MC_OK)
		return fail(o, MC_E_PARSE, err, "%.255s", err ? err->msg : "bad "
		    "result");
	return MC_OK;
}

/* 1 when *r is Plesk's error: o takes it and *r is released */
static int
result_refused(struct op *o, struct result *r, struct mc_err *err)
{
	if (r->ok)
		return 0;
	api_error(o, r, err);
	result_clear(r);
	return 1;
}

/* Exactly one <result>; read it into *r. */
static enum mc_result
one_result(struct op *o, xmlNodePtr n, struct result *r, struct mc_err *err)
{
	xmlNodePtr c = xml_child(n, "result");

	if (c == NULL || count_results(n) != 1)
		return fail(o, MC_E_MISMATCH, err, "expected exactly one "
		    "<result>%s", "");
	return read_result(o, c, r, err);
}

static enum mc_result
take_protos(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;
	xmlNodePtr ps, p;
	size_t k = 0;

	if (one_result(o, n, &r, err) != MC_OK)
		return o->result;
	if (result_refused(o, &r, err))
		return o->result;
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
	if (result_refused(o, &r, err))
		return o->result;
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

/* what a name lookup found: the name(s), addresses and parent; 0 when
 * out of memory */
static int
take_found(struct op *o, xmlNodePtr res)
{
	xmlNodePtr info;
	unsigned long v;
	char *s;

	switch (o->kind) {
	case OP_WEBSPACE_BY_NAME:
	case OP_SITE_BY_NAME:
		info = xml_child(xml_child(res, "data"), "gen_info");
		o->found_name = xml_child_text(info, "name");
		o->ascii_name = xml_child_text(info, "ascii-name");
		if (!take_ips(o, info))
			return 0;
		if (o->kind == OP_SITE_BY_NAME &&
		    xml_child_ulong(info, "webspace-id", &v))
			o->parent_id = v;
		break;
	case OP_SUBDOMAIN_BY_NAME:
		/*
		 * subdomain get answers the name relative to its parent:
		 * <data><parent>example.com</parent><name>sub</name>
		 */
		subdomain_name(o, xml_child(res, "data"), res);
		break;
	case OP_ALIAS_BY_NAME:
		info = xml_child(res, "info");
		o->found_name = xml_child_text(info, "name");
		o->ascii_name = xml_child_text(info, "ascii-name");
		if (xml_child_ulong(info, "site-id", &v))
			o->parent_id = v;
		s = xml_child_text(info, "manage-dns");
		o->manage_dns = s != NULL && strcmp(s, "true") == 0;
		free(s);
		break;
	default:
		break;
	}
	return 1;
}

/* webspace/site/subdomain/site-alias get by one name (or one id) */
static enum mc_result
take_by_name(struct op *o, xmlNodePtr n, struct mc_err *err)
{
	struct result r;
	char *fid = NULL, asked[32];
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
	if (!take_found(o, r.node)) {
		fail(o, MC_E_NOMEM, err, "out of memory%s", "");
		goto out;
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
		if (read_result(o, c, &r, err) != MC_OK)
			return o->result;
		if (result_refused(o, &r, err))
			return o->result;
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

/* the data of one good per-id result: SOA and zone status, or mail
 * preferences; 0 when dns get left out the SOA ttl it was asked for */
static int
take_item(const struct op *o, struct op_item *it, xmlNodePtr c)
{
	xmlNodePtr s;
	char *t;

	if (o->kind == OP_MAIL_GET_PREFS) {
		if ((t = xml_child_text(xml_child(c, "prefs"),
		    "mailservice")) != NULL)
			it->mailservice = strcmp(t, "true") == 0;
		free(t);
		return 1;
	}
	if (o->kind != OP_DNS_GET)
		return 1;
	if ((s = xml_child(c, "soa")) != NULL) {
		if (xml_child_ulong(s, "ttl", &it->soa.ttl))
			it->soa.set |= SOA_TTL;
		if (xml_child_ulong(s, "refresh", &it->soa.refresh))
			it->soa.set |= SOA_REFRESH;
		if (xml_child_ulong(s, "retry", &it->soa.retry))
			it->soa.set |= SOA_RETRY;
		if (xml_child_ulong(s, "expire", &it->soa.expire))
			it->soa.set |= SOA_EXPIRE;
		if (xml_child_ulong(s, "minimum", &it->soa.minimum))
			it->soa.set |= SOA_MINIMUM;
	}
	if ((t = xml_child_text(c, "zone_status")) != NULL)
		it->zone_enabled = strcmp(t, "enabled") == 0;
	free(t);
	if ((t = xml_child_text(c, "zone_type")) != NULL)
		it->zone_master = strcmp(t, "master") == 0;
	free(t);
	return !o->with_soa || (it->soa.set & SOA_TTL);
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
	xmlNodePtr c;
	struct result r;
	struct op_item *it;
	unsigned long v;
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
		if (read_result(o, c, &r, err) != MC_OK)
			return o->result;
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
		if (!take_item(o, it, c))
			return fail(o, MC_E_PARSE, err, "dns get answered without "
			    "the SOA ttl%s", "");
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
		if (read_result(o, c, &r, err) != MC_OK)
			return o->result;
		if (result_refused(o, &r, err))
			return o->result;
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
		if (read_result(o, c, &r, err) != MC_OK)
			return o->result;
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
