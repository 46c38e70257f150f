/* plesk.c -- the client: negotiate a protocol, send batches, resolve names. */
#include <stdlib.h>
#include <string.h>

#include "plesk.h"
#include "utf8.h"
#include "proto.h"

enum mc_result
plesk_open(const struct plesk_conf *c, struct plesk **out, struct mc_err *err)
{
	struct plesk *p;
	enum mc_result result;

	*out = NULL;
	if (c->version != NULL && !proto_valid(c->version))
		return mc_err_set(err, MC_E_CONFIG, "%s: protocol '%.40s' is "
		    "not a version number", c->tc.name ? c->tc.name : "panel",
		    c->version);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s",
	    c->tc.name ? c->tc.name : "panel");
	p->batch_max = c->batch_max ? c->batch_max : PLESK_BATCH_DEFAULT;
	if (c->version != NULL && (p->version = strdup(c->version)) == NULL) {
		free(p);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	if ((result = transport_new(&c->tc, &p->t, err)) != MC_OK) {
		plesk_free(p);
		return result;
	}
	*out = p;
	return MC_OK;
}

void
plesk_free(struct plesk *p)
{
	size_t i;

	if (p == NULL)
		return;
	transport_free(p->t);
	for (i = 0; i < p->nprotos; i++)
		free(p->protos[i]);
	free(p->protos);
	free(p->version);
	free(p->server_newest);
	free(p);
}

/* one round trip: a packet body out, its reply back */
static enum mc_result
post(struct plesk *p, const char *body, size_t len, char **reply,
    size_t *replylen, struct mc_err *err)
{
	p->requests++;
	return transport_post(p->t, body, len, reply, replylen, err);
}

/* Send ops [from, from+n) as one packet. */
static enum mc_result
send_packet(struct plesk *p, struct batch *b, size_t from, size_t n,
    struct mc_err *err)
{
	struct packet *pk = NULL;
	xmlChar *body = NULL;
	char *reply = NULL;
	size_t replylen = 0;
	int len = 0;
	enum mc_result result;

	if ((result = batch_build(b, from, n, p->version, &pk, err)) != MC_OK ||
	    (result = packet_serialize(pk, &body, &len, err)) != MC_OK) {
		batch_fail(b, from, n, 0, err);
		goto out;
	}
	p->ops += (long)n;
	result = post(p, (const char *)body, (size_t)len, &reply,
	    &replylen, err);
	if (result != MC_OK) {
		batch_fail(b, from, n, err->maybe_applied, err);
		goto out;
	}
	/* streamed: a reply for a thousand zones never becomes one tree */
	result = batch_take_reply(b, from, n, reply, replylen, p->version, err);
	if (result == MC_E_MISMATCH) {
		mc_err_prefix(err, "%s", p->name);
		err->maybe_applied = 1;
	} else if (result != MC_OK) {
		mc_err_prefix(err, "%s", p->name);
		/* a <system> error alone means nothing ran (after operation
		   results it is maybe_applied); a broken reply may not */
		if (result == MC_E_PARSE || result == MC_E_TOOBIG)
			err->maybe_applied = 1;
		batch_fail(b, from, n, err->maybe_applied, err);
	}
out:
	free(reply);
	xmlFree(body);
	packet_free(pk);
	return result;
}

enum mc_result
plesk_send(struct plesk *p, struct batch *b, struct mc_err *err)
{
	struct mc_err e;
	size_t from, n;
	enum mc_result result;

	enum mc_result first = MC_OK;

	for (from = 0; from < b->n; from += n) {
		n = b->n - from;
		if (n > p->batch_max)
			n = p->batch_max;
		mc_err_clear(&e);
		if ((result = send_packet(p, b, from, n, &e)) == MC_OK)
			continue;
		if (first == MC_OK) {
			first = result;
			if (err != NULL)
				*err = e;
		}
		/*
		 * A failure of one packet (a system error, a lost or broken
		 * answer) concerns its operations only: the next packets go
		 * on. A panel that cannot be reached, refuses the TLS or the
		 * credentials, or speaks no common protocol fails them all:
		 * stop, and mark the rest as not sent (safe to retry).
		 */
		if (result == MC_E_CONNECT || result == MC_E_TLS ||
		    result == MC_E_AUTH || result == MC_E_VERSION ||
		    result == MC_E_NOMEM) {
			if (from + n < b->n) {
				struct mc_err ns = e;
				snprintf(ns.msg, sizeof(ns.msg), "not sent: an "
				    "earlier packet failed (%.200s)", e.msg);
				batch_fail(b, from + n, b->n - from - n, 0,
				    &ns);
			}
			return result;
		}
	}
	return first;
}

enum mc_result
plesk_negotiate(struct plesk *p, struct mc_err *err)
{
	struct batch *b = NULL;
	struct op *o;
	const char *best;
	char *saved = p->version;
	enum mc_result result;
	size_t i;

	if ((b = batch_new()) == NULL || (o = batch_add(b, OP_SERVER_PROTOS))
	    == NULL) {
		batch_free(b);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	/* no version attribute: every Plesk answers with its newest */
	p->version = NULL;
	result = plesk_send(p, b, err);
	p->version = saved;
	if (result != MC_OK)
		goto out;
	if (o->result != MC_OK) {
		result = mc_err_set(err, o->result, "%s: get_protos: %s",
		    p->name, o->msg);
		goto out;
	}
	/* keep the list */
	p->protos = o->strs;
	p->nprotos = o->nstrs;
	o->strs = NULL;
	o->nstrs = 0;
	if (p->version != NULL) {
		for (i = 0; i < p->nprotos; i++)
			if (proto_cmp(p->protos[i], p->version) == 0)
				break;
		if (i == p->nprotos) {
			result = mc_err_set(err, MC_E_VERSION, "%s: protocol "
			    "%s is not among the %zu the server speaks "
			    "(newest %s)", p->name, p->version, p->nprotos,
			    p->protos[p->nprotos - 1]);
			goto out;
		}
		result = MC_OK;
		goto out;
	}
	if ((best = proto_choose(p->protos, p->nprotos)) == NULL) {
		result = mc_err_set(err, MC_E_VERSION, "%s: speaks no protocol "
		    "between %s (Plesk 10) and %s (Obsidian)", p->name,
		    PROTO_MIN, PROTO_MAX);
		goto out;
	}
	if ((p->version = strdup(best)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "out of memory");
		goto out;
	}
	result = MC_OK;
out:
	batch_free(b);
	return result;
}

static const char *const kind_names[SITE__MAX] = {
	[SITE_NONE] = "none",
	[SITE_WEBSPACE] = "subscription",
	[SITE_SITE] = "site",
	[SITE_SUBDOMAIN] = "subdomain",
	[SITE_ALIAS] = "alias",
};

const char *
site_kind_name(enum site_kind k)
{
	return (unsigned)k < SITE__MAX ? kind_names[k] : "none";
}

/* one lookup operation of plesk_resolve and whose it is */
struct lookup {
	struct op	*op;
	size_t		 ref;
};

static enum mc_result
lookup_add(struct batch *b, struct lookup *l, size_t *nl, size_t ref,
    enum op_kind kind, const char *name, unsigned long id,
    struct mc_err *err)
{
	struct op *o;

	if ((o = batch_add(b, kind)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	if (name != NULL) {
		if ((o->name = strdup(name)) == NULL)
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
	} else {
		o->by_id = 1;
		if (op_set_ids(o, &id, 1) != MC_OK)
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	l[*nl].op = o;
	l[*nl].ref = ref;
	(*nl)++;
	return MC_OK;
}

/* a lookup for each form of each pending name; returns the count */
static enum mc_result
lookup_names(struct batch *b, struct lookup *l, size_t *nl,
    struct site_ref *out, size_t n, const enum op_kind *kinds, size_t nk,
    struct mc_err *err)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (out[i].result != MC_E_NOTFOUND || out[i].kind != SITE_NONE)
			continue;
		for (k = 0; k < nk; k++) {
			if (lookup_add(b, l, nl, i, kinds[k], out[i].name, 0,
			    err) != MC_OK)
				return err->code;
			if (out[i].alt != NULL && lookup_add(b, l, nl, i,
			    kinds[k], out[i].alt, 0, err) != MC_OK)
				return err->code;
		}
	}
	return MC_OK;
}

static void
ref_found(struct site_ref *r, const struct op *o, enum site_kind kind)
{
	r->result = MC_OK;
	r->kind = kind;
	r->id = o->id;
	r->parent_id = o->parent_id;
	r->manage_dns = kind == SITE_ALIAS ? o->manage_dns : 1;
	if (o->ip != NULL)
		snprintf(r->ip, sizeof(r->ip), "%s", o->ip);
	if (o->ip6 != NULL)
		snprintf(r->ip6, sizeof(r->ip6), "%s", o->ip6);
	snprintf(r->stored, sizeof(r->stored), "%s", o->found_name ?
	    o->found_name : o->name);
	if (o->parent_name != NULL)
		snprintf(r->parent, sizeof(r->parent), "%s", o->parent_name);
	snprintf(r->msg, sizeof(r->msg), "%.100s: %s %lu", r->name,
	    site_kind_name(kind), r->id);
}

static enum site_kind
kind_of(enum op_kind k)
{
	switch (k) {
	case OP_WEBSPACE_BY_NAME:
		return SITE_WEBSPACE;
	case OP_SITE_BY_NAME:
		return SITE_SITE;
	case OP_SUBDOMAIN_BY_NAME:
		return SITE_SUBDOMAIN;
	case OP_ALIAS_BY_NAME:
		return SITE_ALIAS;
	default:
		return SITE_NONE;
	}
}

/* a second answer for a name already found in this step */
static void
ref_merge(struct site_ref *r, const struct op *o)
{
	char ip[64], ip6[64];

	if (o->kind == OP_SUBDOMAIN_BY_NAME && r->kind == SITE_SITE) {
		/* the site operator lists subdomains too: it is one */
		snprintf(ip, sizeof(ip), "%s", r->ip);
		snprintf(ip6, sizeof(ip6), "%s", r->ip6);
		ref_found(r, o, SITE_SUBDOMAIN);
		snprintf(r->ip, sizeof(r->ip), "%s", ip);
		snprintf(r->ip6, sizeof(r->ip6), "%s", ip6);
	} else if (o->kind == OP_SITE_BY_NAME && r->kind == SITE_SUBDOMAIN) {
		/* the subdomain's site answer brings its addresses */
		if (o->ip != NULL && r->ip[0] == '\0')
			snprintf(r->ip, sizeof(r->ip), "%s", o->ip);
		if (o->ip6 != NULL && r->ip6[0] == '\0')
			snprintf(r->ip6, sizeof(r->ip6), "%s", o->ip6);
	}
	/* else: the other form of an IDN found the same object */
}

/*
 * Take one step's answers: first every answer that found something, then
 * the errors of names that nothing found (an error for one form of an IDN
 * does not hide the other form's answer). An error other than "not found"
 * stops that name only.
 */
static void
lookup_take(struct plesk *p, struct lookup *l, size_t nl,
    struct site_ref *out)
{
	size_t k;

	for (k = 0; k < nl; k++) {
		struct op *o = l[k].op;
		struct site_ref *r = &out[l[k].ref];
		if (o->result != MC_OK)
			continue;
		if (r->result == MC_OK)
			ref_merge(r, o);
		else
			ref_found(r, o, kind_of(o->kind));
	}
	for (k = 0; k < nl; k++) {
		struct op *o = l[k].op;
		struct site_ref *r = &out[l[k].ref];
		if (o->result == MC_OK || o->result == MC_E_NOTFOUND ||
		    r->result == MC_OK || r->kind == SITE__MAX)
			continue;
		r->result = o->result;
		r->kind = SITE__MAX;	/* stop here */
		snprintf(r->msg, sizeof(r->msg), "%.100s: %.*s on %s", r->name,
		    (int)utf8_clip(o->msg, 120), o->msg, p->name);
	}
}

/*
 * An alias has no addresses of its own in the API and a subdomain's
 * answer has none: take those of the site (alias) or parent (subdomain),
 * by id or by name, webspace and site operator in one packet.
 */
static enum mc_result
lookup_parents(struct plesk *p, struct site_ref *out, size_t n,
    struct lookup *l, struct mc_err *err)
{
	struct batch *b;
	size_t i, k, nl = 0;
	enum mc_result result = MC_OK;

	if ((b = batch_new()) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct site_ref *r = &out[i];
		const char *pn = NULL;
		unsigned long pid = 0;
		if (r->result != MC_OK || r->ip[0] != '\0' || r->ip6[0] != '\0')
			continue;
		if (r->kind == SITE_ALIAS && r->parent_id != 0)
			pid = r->parent_id;
		else if (r->kind == SITE_SUBDOMAIN && r->parent[0] != '\0')
			pn = r->parent;
		else
			continue;
		if (lookup_add(b, l, &nl, i, OP_WEBSPACE_BY_NAME, pn, pid,
		    err) != MC_OK || lookup_add(b, l, &nl, i, OP_SITE_BY_NAME,
		    pn, pid, err) != MC_OK) {
			result = err->code;
			goto out;
		}
	}
	if (nl == 0)
		goto out;
	result = plesk_send(p, b, err);
	for (k = 0; k < nl; k++) {
		struct op *o = l[k].op;
		struct site_ref *r = &out[l[k].ref];
		if (o->result != MC_OK)
			continue;	/* no fact: the caller says so */
		if (o->ip != NULL && r->ip[0] == '\0')
			snprintf(r->ip, sizeof(r->ip), "%s", o->ip);
		if (o->ip6 != NULL && r->ip6[0] == '\0')
			snprintf(r->ip6, sizeof(r->ip6), "%s", o->ip6);
	}
out:
	batch_free(b);
	return result;
}

enum mc_result
plesk_resolve(struct plesk *p, struct site_ref *out, size_t n,
    struct mc_err *err)
{
	static const enum op_kind step1[] = { OP_WEBSPACE_BY_NAME };
	static const enum op_kind step2[] = { OP_SITE_BY_NAME,
	    OP_SUBDOMAIN_BY_NAME };
	static const enum op_kind step3[] = { OP_ALIAS_BY_NAME };
	static const struct {
		const enum op_kind *kinds;
		size_t n;
	} steps[] = { { step1, 1 }, { step2, 2 }, { step3, 1 } };
	struct batch *b = NULL;
	struct lookup *l = NULL;
	size_t s, i, nl;
	enum mc_result result = MC_OK;

	for (i = 0; i < n; i++) {
		out[i].kind = SITE_NONE;
		out[i].id = out[i].parent_id = 0;
		out[i].manage_dns = 0;
		out[i].ip[0] = out[i].ip6[0] = out[i].parent[0] = '\0';
		snprintf(out[i].stored, sizeof(out[i].stored), "%s",
		    out[i].name);
		out[i].result = MC_E_NOTFOUND;
		snprintf(out[i].msg, sizeof(out[i].msg), "%.100s: not found on "
		    "%.60s (as subscription, site, subdomain or alias)",
		    out[i].name, p->name);
	}
	if (n == 0)
		return MC_OK;
	/* at most 4 lookups per name and step (2 kinds x 2 forms) */
	if ((l = calloc(4 * n, sizeof(*l))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		batch_free(b);
		nl = 0;
		if ((b = batch_new()) == NULL) {
			result = mc_err_set(err, MC_E_NOMEM, "out of memory");
			goto out;
		}
		if ((result = lookup_names(b, l, &nl, out, n, steps[s].kinds,
		    steps[s].n, err)) != MC_OK)
			goto out;
		if (nl == 0)
			break;
		result = plesk_send(p, b, err);
		lookup_take(p, l, nl, out);
		if (result != MC_OK)
			goto out;
	}
	result = lookup_parents(p, out, n, l, err);
out:
	for (i = 0; i < n; i++)
		if (out[i].kind == SITE__MAX)
			out[i].kind = SITE_NONE;
	batch_free(b);
	free(l);
	return result;
}
