/* raw.c -- direct XML API operations, validated, for tests and repairs. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "json.h"
#include "panel.h"
#include "idn.h"
#include "raw.h"
#include "valid.h"

static const struct {
	const char	*name;
	enum op_kind	 kind;
	int		 per_id;	/* one operation per id argument */
} raw_ops[] = {
	{ "get-rec", OP_DNS_GET_REC, 0 },
	{ "get-rec-id", OP_DNS_GET_REC, 0 },
	{ "add-rec", OP_DNS_ADD_REC, 0 },
	{ "del-rec", OP_DNS_DEL_REC, 0 },
	{ "soa", OP_DNS_GET, 0 },
	{ "soa-set", OP_DNS_SET, 0 },
	{ "zone-enable", OP_DNS_ENABLE, 0 },
	{ "zone-disable", OP_DNS_DISABLE, 0 },
	{ "mail-prefs", OP_MAIL_GET_PREFS, 0 },
	{ "mail-enable", OP_MAIL_ENABLE, 1 },
	{ "mail-disable", OP_MAIL_DISABLE, 1 },
	{ "mail-info", OP_MAIL_GET_INFO, 1 },
	{ "protos", OP_SERVER_PROTOS, 0 },
	{ "info", OP_SERVER_INFO, 0 },
};

static const char *const rec_types[] = {
	"A", "AAAA", "CNAME", "MX", "NS", "TXT", "PTR", "SRV", "CAA", "DS",
};

static const char *
result_word(enum mc_result r)
{
	switch (r) {
	case MC_OK:
		return "ok";
	case MC_E_NOTFOUND:
		return "not_found";
	case MC_E_API:
		return "error";
	case MC_E_MISMATCH:
		return "mismatch";
	case MC_E_LOST:
		return "unknown_outcome";
	default:
		return mc_strerror(r);
	}
}

static void
json_soa(struct json *j, const struct soa *s)
{
	json_obj_open(j, "soa");
	if (s->set & SOA_TTL)
		json_num(j, "ttl", (long long)s->ttl);
	if (s->set & SOA_REFRESH)
		json_num(j, "refresh", (long long)s->refresh);
	if (s->set & SOA_RETRY)
		json_num(j, "retry", (long long)s->retry);
	if (s->set & SOA_EXPIRE)
		json_num(j, "expire", (long long)s->expire);
	if (s->set & SOA_MINIMUM)
		json_num(j, "minimum", (long long)s->minimum);
	json_obj_close(j);
}

static void
print_op_json(struct json *j, const struct op *o)
{
	size_t i;

	json_obj_open(j, NULL);
	json_str(j, "op", op_operation(o->kind));
	json_str(j, "result", result_word(o->result));
	json_bool(j, "sent", o->sent);
	if (o->result != MC_OK) {
		json_str(j, "error", o->msg);
		if (o->errcode)
			json_num(j, "errcode", o->errcode);
	}
	if (o->id)
		json_num(j, "id", (long long)o->id);
	if (o->plesk_version || o->server_name) {
		json_str(j, "plesk_version", o->plesk_version);
		json_str(j, "server_name", o->server_name);
	}
	if (o->kind == OP_DNS_GET_REC) {
		json_arr_open(j, "records");
		for (i = 0; i < o->nrecs; i++) {
			const struct dns_record *r = &o->recs[i];
			json_obj_open(j, NULL);
			json_num(j, "id", (long long)r->id);
			json_num(j, "site_id", (long long)r->site_id);
			json_str(j, "type", r->type);
			json_str(j, "host", r->host);
			json_str(j, "value", r->value);
			json_str(j, "opt", r->opt);
			json_obj_close(j);
		}
		json_arr_close(j);
	}
	if (o->nitems > 0) {
		json_arr_open(j, "items");
		for (i = 0; i < o->nitems; i++) {
			const struct op_item *it = &o->items[i];
			json_obj_open(j, NULL);
			json_num(j, "id", (long long)it->id);
			json_str(j, "result", result_word(it->result));
			if (it->errcode) {
				json_num(j, "errcode", it->errcode);
				json_str(j, "errtext", it->errtext);
			}
			if (o->kind == OP_DNS_GET && it->result == MC_OK) {
				json_soa(j, &it->soa);
				if (it->zone_enabled >= 0)
					json_bool(j, "zone_enabled",
					    it->zone_enabled);
			}
			if (o->kind == OP_MAIL_GET_PREFS && it->mailservice >= 0)
				json_bool(j, "mailservice", it->mailservice);
			json_obj_close(j);
		}
		json_arr_close(j);
	}
	if (o->kind == OP_SERVER_PROTOS || o->kind == OP_MAIL_GET_INFO) {
		json_arr_open(j, o->kind == OP_SERVER_PROTOS ? "protos" :
		    "mailnames");
		for (i = 0; i < o->nstrs; i++)
			json_str(j, NULL, o->strs[i]);
		json_arr_close(j);
	}
	json_obj_close(j);
}

/*
 * What the panel sent, printed on a terminal: control characters (C0,
 * DEL, C1 in UTF-8) as \xNN, so a record value cannot move the cursor,
 * retitle the window or fake a line; then the separator.
 */
static void
put(const char *s, const char *sep)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(s != NULL ? s : ""); *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			printf("\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			printf("\\xc2\\x%02x", *++p);
		else
			putchar(*p);
	fputs(sep, stdout);
}

static void
print_op_text(const struct op *o)
{
	size_t i;

	printf("%s %s: %s", op_operator(o->kind), op_operation(o->kind),
	    result_word(o->result));
	if (o->result != MC_OK) {
		fputs(" (", stdout);
		put(o->msg, ")");
	}
	if (o->id)
		printf(" id=%lu", o->id);
	if (o->plesk_version) {
		fputs(" plesk=", stdout);
		put(o->plesk_version, "");
	}
	putchar('\n');
	for (i = 0; i < o->nrecs; i++) {
		printf("  %lu\t%lu\t", o->recs[i].id, o->recs[i].site_id);
		put(o->recs[i].type, "\t");
		put(o->recs[i].host, "\t");
		put(o->recs[i].value, "\t");
		put(o->recs[i].opt, "\n");
	}
	for (i = 0; i < o->nitems; i++) {
		const struct op_item *it = &o->items[i];
		printf("  %lu: %s", it->id, result_word(it->result));
		if (it->soa.set & SOA_TTL)
			printf(" ttl=%lu refresh=%lu retry=%lu expire=%lu "
			    "minimum=%lu", it->soa.ttl, it->soa.refresh,
			    it->soa.retry, it->soa.expire, it->soa.minimum);
		if (it->zone_enabled >= 0 && o->kind == OP_DNS_GET)
			printf(" zone=%s", it->zone_enabled ? "enabled" :
			    "disabled");
		if (it->mailservice >= 0 && o->kind == OP_MAIL_GET_PREFS)
			printf(" mail=%s", it->mailservice ? "on" : "off");
		putchar('\n');
	}
	for (i = 0; i < o->nstrs; i++) {
		fputs("  ", stdout);
		put(o->strs[i], "\n");
	}
}

static enum exit_code
parse_ids(int argc, char **argv, unsigned long **ids, size_t *n)
{
	int i;

	*n = 0;
	if (argc <= 0)
		return exit_usage("raw: expected at least one id");
	if ((*ids = calloc((size_t)argc, sizeof(**ids))) == NULL)
		return exit_usage("raw: out of memory");
	for (i = 0; i < argc; i++)
		if (!parse_ulong(argv[i], 1, LONG_MAX, &(*ids)[(*n)++]))
			return exit_usage("raw: '%.60s' is not an id (a whole number "
			    "from 1)", argv[i]);
	return EXIT_DONE;
}

static int
parse_soa_arg(const char *a, struct soa *s)
{
	static const struct {
		const char *name;
		enum soa_field f;
	} f[] = {
		{ "ttl=", SOA_TTL }, { "refresh=", SOA_REFRESH },
		{ "retry=", SOA_RETRY }, { "expire=", SOA_EXPIRE },
		{ "minimum=", SOA_MINIMUM },
	};
	unsigned long v, *dst[] = { &s->ttl, &s->refresh, &s->retry,
	    &s->expire, &s->minimum };
	size_t i;

	for (i = 0; i < 5; i++) {
		size_t n = strlen(f[i].name);
		if (strncmp(a, f[i].name, n) != 0)
			continue;
		if (!parse_ulong(a + n, 0, 2147483647UL, &v))
			return -1;
		*dst[i] = v;
		s->set |= f[i].f;
		return 1;
	}
	return 0;
}

static enum exit_code
build_add_rec(struct batch *b, int argc, char **argv)
{
	struct op *o;
	unsigned long site;
	size_t i;
	int ok = 0;

	if (argc < 4 || argc > 5)
		return exit_usage("raw: add-rec SITE-ID TYPE HOST VALUE [OPT]");
	if (!parse_ulong(argv[0], 1, LONG_MAX, &site))
		return exit_usage("raw: '%.60s' is not a site id", argv[0]);
	for (i = 0; i < sizeof(rec_types) / sizeof(rec_types[0]); i++)
		ok |= strcmp(argv[1], rec_types[i]) == 0;
	if (!ok)
		return exit_usage("raw: record type '%.20s' is not one of A AAAA "
		    "CNAME MX NS TXT PTR SRV CAA DS", argv[1]);
	if (!valid_label(argv[2]))
		return exit_usage("raw: host '%.60s' must be relative to the zone "
		    "(\"mail\", or \"\" for the apex)", argv[2]);
	if ((!strcmp(argv[1], "A") && !valid_ipv4(argv[3])) ||
	    (!strcmp(argv[1], "AAAA") && !valid_ipv6(argv[3])))
		return exit_usage("raw: '%.60s' is not an address of that type",
		    argv[3]);
	if (strlen(argv[3]) == 0 || strlen(argv[3]) > 4000)
		return exit_usage("raw: value must be 1 to 4000 bytes");
	if (argc == 5 && strlen(argv[4]) > 255)
		return exit_usage("raw: opt is too long");
	if ((o = batch_add(b, OP_DNS_ADD_REC)) == NULL ||
	    (o->rec.type = strdup(argv[1])) == NULL ||
	    (o->rec.host = strdup(argv[2])) == NULL ||
	    (o->rec.value = strdup(argv[3])) == NULL ||
	    (argc == 5 && (o->rec.opt = strdup(argv[4])) == NULL))
		return exit_usage("raw: out of memory");
	o->rec.site_id = site;
	return EXIT_DONE;
}

static enum exit_code
run_resolve(struct plesk *p, int argc, char **argv, int json)
{
	struct site_ref *refs;
	struct mc_err err = { 0 };
	struct json j;
	enum mc_result r;
	char (*ascii)[256] = NULL, (*uni)[256] = NULL;
	enum exit_code rc = EXIT_DONE;
	int i;

	if (argc < 1)
		return exit_usage("raw: resolve DOMAIN...");
	if ((refs = calloc((size_t)argc, sizeof(*refs))) == NULL ||
	    (ascii = calloc((size_t)argc, sizeof(*ascii))) == NULL ||
	    (uni = calloc((size_t)argc, sizeof(*uni))) == NULL) {
		free(refs);
		free(ascii);
		return exit_usage("raw: out of memory");
	}
	for (i = 0; i < argc; i++) {
		if (idn_ascii(argv[i], ascii[i], sizeof(ascii[0])) != NULL) {
			free(refs);
			free(ascii);
			free(uni);
			return exit_usage("raw: '%.100s' is not a domain name",
			    argv[i]);
		}
		idn_unicode(ascii[i], uni[i], sizeof(uni[0]));
		refs[i].name = ascii[i];
		refs[i].alt = uni[i][0] ? uni[i] : NULL;
	}
	r = plesk_resolve(p, refs, (size_t)argc, &err);
	if (r != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		rc = mc_exit_code(r);
	}
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "protocol", p->version);
		json_num(&j, "requests", p->requests);
		json_arr_open(&j, "domains");
	}
	for (i = 0; i < argc; i++) {
		if (refs[i].result != MC_OK && rc == EXIT_DONE)
			rc = EXIT_FAILED;
		if (!json) {
			printf("%s: ", argv[i]);
			put(refs[i].result == MC_OK ? refs[i].msg +
			    strlen(ascii[i]) + 2 : refs[i].msg, "\n");
			continue;
		}
		json_obj_open(&j, NULL);
		json_str(&j, "name", argv[i]);
		json_str(&j, "result", result_word(refs[i].result));
		json_str(&j, "kind", site_kind_name(refs[i].kind));
		json_num(&j, "id", (long long)refs[i].id);
		json_num(&j, "parent_id", (long long)refs[i].parent_id);
		json_bool(&j, "manage_dns", refs[i].manage_dns);
		json_str(&j, "stored", refs[i].stored);
		json_str(&j, "ip", refs[i].ip[0] ? refs[i].ip : NULL);
		json_str(&j, "ip6", refs[i].ip6[0] ? refs[i].ip6 : NULL);
		if (refs[i].result != MC_OK)
			json_str(&j, "error", refs[i].msg);
		json_obj_close(&j);
	}
	if (json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	free(refs);
	free(ascii);
	free(uni);
	return rc;
}

/* the operations over ids: soa-set's FIELD=N first, then the ids */
static enum exit_code
build_by_ids(struct batch *b, size_t opi, const char *name, int argc,
    char **argv)
{
	unsigned long *ids = NULL;
	size_t nids = 0, k;
	struct soa soa = { 0 };
	struct op *o;
	enum exit_code rc = EXIT_DONE;
	int first = 0, sets, per = raw_ops[opi].per_id;

	while (raw_ops[opi].kind == OP_DNS_SET && first < argc &&
	    (sets = parse_soa_arg(argv[first], &soa)) != 0) {
		if (sets < 0)
			return exit_usage("raw: '%.60s': SOA values are whole "
			    "seconds", argv[first]);
		first++;
	}
	if (raw_ops[opi].kind == OP_DNS_SET && soa.set == 0)
		return exit_usage("raw: soa-set needs ttl=N, refresh=N, "
		    "retry=N, expire=N or minimum=N");
	if ((rc = parse_ids(argc - first, argv + first, &ids, &nids)))
		goto out;
	if (raw_ops[opi].kind == OP_MAIL_GET_INFO && nids != 1) {
		rc = exit_usage("raw: mail-info takes one site id");
		goto out;
	}
	for (k = 0; k < (per ? nids : 1); k++) {
		if ((o = batch_add(b, raw_ops[opi].kind)) == NULL ||
		    op_set_ids(o, per ? &ids[k] : ids, per ? 1 : nids) !=
		    MC_OK) {
			rc = exit_usage("raw: out of memory");
			goto out;
		}
		o->by_record_id = !strcmp(name, "get-rec-id");
		o->with_soa = 1;
		o->soa = soa;
	}
out:
	free(ids);
	return rc;
}

/* every argument checked and the batch built before any panel is asked */
static enum exit_code
build(struct batch *b, size_t opi, int argc, char **argv)
{
	int k;

	if (!strcmp(argv[0], "resolve")) {
		for (k = 1; k < argc; k++)
			if (!valid_domain(argv[k]))
				return exit_usage("raw: '%.100s' is not a domain "
				    "name (ASCII; IDNs as xn-- A-labels)",
				    argv[k]);
		return EXIT_DONE;
	}
	if (raw_ops[opi].kind == OP_DNS_ADD_REC)
		return build_add_rec(b, argc - 1, argv + 1);
	if (raw_ops[opi].kind == OP_SERVER_PROTOS ||
	    raw_ops[opi].kind == OP_SERVER_INFO) {
		if (argc != 1)
			return exit_usage("raw: %s takes no arguments", argv[0]);
		if (batch_add(b, raw_ops[opi].kind) == NULL)
			return exit_usage("raw: out of memory");
		return EXIT_DONE;
	}
	return build_by_ids(b, opi, argv[0], argc - 1, argv + 1);
}

/* what the panel answered to each operation; the exit code */
static enum exit_code
print_ops(const struct panel_conf *pc, struct plesk *p, struct batch *b,
    enum mc_result r, const struct mc_err *err, int json)
{
	enum exit_code rc = mc_exit_code(r);
	struct json j;
	size_t k;

	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "panel", pc->role);
		json_str(&j, "protocol", p->version);
		json_num(&j, "requests", p->requests);
		json_num(&j, "connections", transport_connections(p->t));
		if (r != MC_OK) {
			json_str(&j, "error", err->msg);
			json_str(&j, "error_kind", mc_strerror(r));
			json_bool(&j, "maybe_applied", err->maybe_applied);
		}
		json_arr_open(&j, "ops");
	}
	for (k = 0; k < b->n; k++) {
		if (b->ops[k]->result != MC_OK && rc == EXIT_DONE)
			rc = EXIT_FAILED;
		if (json)
			print_op_json(&j, b->ops[k]);
		else
			print_op_text(b->ops[k]);
	}
	if (json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	return rc;
}

enum exit_code
raw_main(const struct config *c, int argc, char **argv, int json)
{
	const struct panel_conf *pc = &c->source;
	struct plesk *p = NULL;
	struct batch *b = NULL;
	struct mc_err err = { 0 };
	size_t opi;
	enum mc_result r;
	enum exit_code rc;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--panel")) {
		if (!strcmp(argv[2], "source"))
			pc = &c->source;
		else if (!strcmp(argv[2], "target"))
			pc = &c->target;
		else
			return exit_usage("raw: --panel is source or target, not "
			    "'%.30s'", argv[2]);
		i = 3;
	}
	if (i >= argc)
		return exit_usage("raw: missing operation (see --help)");
	for (opi = 0; opi < sizeof(raw_ops) / sizeof(raw_ops[0]); opi++)
		if (!strcmp(argv[i], raw_ops[opi].name))
			break;
	if (strcmp(argv[i], "resolve") != 0 &&
	    opi == sizeof(raw_ops) / sizeof(raw_ops[0]))
		return exit_usage("raw: unknown operation '%.60s'", argv[i]);
	if ((b = batch_new()) == NULL)
		return exit_usage("raw: out of memory");
	if ((rc = build(b, opi, argc - i, argv + i)) != EXIT_DONE)
		goto out;
	if ((r = panel_open(pc, &p, &err)) != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		rc = exit_panel(r);
		goto out;
	}
	if (!strcmp(argv[i], "resolve")) {
		rc = run_resolve(p, argc - i - 1, argv + i + 1, json);
		goto out;
	}
	if ((r = plesk_send(p, b, &err)) != MC_OK)
		fprintf(stderr, "mailcutover: %s\n", err.msg);
	rc = print_ops(pc, p, b, r, &err, json);
out:
	batch_free(b);
	plesk_free(p);
	return rc;
}
