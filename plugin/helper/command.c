/* command.c -- a command over domains: options, names, locks, journals;
 * then the runbook and the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "command.h"
#include "dnsrate.h"
#include "dom.h"
#include "engine.h"
#include "idn.h"
#include "journaldir.h"
#include "json.h"
#include "listcache.h"
#include "listing.h"
#include "nsset.h"
#include "report.h"
#include "runbook.h"
#include "valid.h"
#include "zone.h"

/* the commands besides the runbook's steps */
static const char *const others[] = { "migrate", "tick", "status", "list",
    "log" };

int
command_known(const char *cmd)
{
	size_t i;

	if (step_by_name(cmd) != STEP__MAX)
		return 1;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (!strcmp(cmd, others[i]))
			return 1;
	return 0;
}

/* tick, status, log and list may run without naming domains */
static int
needs_domains(const char *cmd)
{
	return strcmp(cmd, "tick") != 0 && strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "log") != 0 && strcmp(cmd, "list") != 0;
}

/* a whole number from lo to hi, or 0 */
static int
number(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && *v >= lo && *v <= hi;
}

/* list's filter: what a domain name may contain, at most 100 */
static int
filter_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 100 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* list and status, a page at a time (listing.h); 0: not one of them */
static int
list_option(struct engine *e, int argc, char **argv, int *a,
    enum exit_code *rc)
{
	struct listq *q = &e->list;
	const char *o = argv[*a], *v = *a + 1 < argc ? argv[*a + 1] : NULL;
	size_t k;

	*rc = EXIT_DONE;
	if (!strcmp(o, "--desc") || !strcmp(o, "--refresh")) {
		*(o[2] == 'd' ? &q->desc : &q->refresh) = 1;
		return 1;
	}
	if (strcmp(o, "--page") && strcmp(o, "--per-page") &&
	    strcmp(o, "--sort") && strcmp(o, "--state") &&
	    strcmp(o, "--filter"))
		return 0;
	if (v == NULL)
		*rc = exit_usage("%s needs a value", o);
	else if (!strcmp(o, "--page") && !number(v, 1, 1000000, &q->page))
		*rc = exit_usage("--page '%.20s' is not a page number", v);
	else if (!strcmp(o, "--per-page") && !number(v, 1,
	    LISTING_PER_PAGE_MAX, &q->per_page))
		*rc = exit_usage("--per-page: from 1 to %d",
		    LISTING_PER_PAGE_MAX);
	else if (!strcmp(o, "--sort") && strcmp(v, "domain") &&
	    strcmp(v, "state") && strcmp(v, "next") && strcmp(v, "result"))
		*rc = exit_usage("--sort: domain, state, next or result");
	else if (!strcmp(o, "--filter") && !filter_ok(v))
		*rc = exit_usage("--filter: letters, digits, '.' and '-', at "
		    "most 100");
	if (!strcmp(o, "--state")) {
		for (k = 0; v != NULL && listing_states[k] != NULL; k++)
			if (!strcmp(listing_states[k], v))
				break;
		if (v != NULL && listing_states[k] == NULL)
			*rc = exit_usage("--state '%.30s' is not a state", v);
	}
	if (*rc == EXIT_DONE) {
		q->paged |= !strcmp(o, "--page") || !strcmp(o, "--per-page");
		if (!strcmp(o, "--sort"))
			q->sort = v;
		else if (!strcmp(o, "--state"))
			q->state = v;
		else if (!strcmp(o, "--filter"))
			q->filter = v;
		(*a)++;
	}
	return 1;
}

/* one option of argv at *a (moved past its value); EXIT_DONE or usage.
 * The addresses are checked here, before anything is locked or asked. */
/* --new-ns NAME[,NAME...]: host names only */
static int
new_ns_ok(const char *v, char *bad, size_t sz)
{
	struct nsset s = { NULL, 0 };
	int ok = nsset_parse(&s, v, bad, sz);

	if (!ok && bad[0] == '\0')
		snprintf(bad, sz, "%s", v);
	nsset_free(&s);
	return ok;
}

static enum exit_code
option(struct engine *e, int argc, char **argv, int *a)
{
	const char *o = argv[*a];
	enum exit_code rc;
	char bad[256];

	if (list_option(e, argc, argv, a, &rc))
		return rc;
	if (!strcmp(o, "--force"))
		e->force = 1;
	else if (!strcmp(o, "--confirm-registrar"))
		e->confirm_registrar = 1;
	else if (!strcmp(o, "--drop-aaaa"))
		e->drop_aaaa = 1;
	else if (!strcmp(o, "--new-ip") && *a + 1 < argc) {
		e->new_ip = argv[++*a];
		if (!valid_ipv4(e->new_ip))
			return exit_usage("--new-ip '%.60s' is not an IPv4 "
			    "address (IPv6: --new-ip6)", e->new_ip);
	} else if (!strcmp(o, "--new-ip6") && *a + 1 < argc) {
		e->new_ip6 = argv[++*a];
		if (!valid_ipv6(e->new_ip6))
			return exit_usage("--new-ip6 '%.60s' is not an IPv6 "
			    "address", e->new_ip6);
	} else if (!strcmp(o, "--new-ns") && *a + 1 < argc) {
		if (!new_ns_ok(argv[++*a], bad, sizeof(bad)))
			return exit_usage("--new-ns: '%.60s' is not a host name "
			    "such as ns1.example.net", bad);
		if (e->nnew_ns == CONFIG_MAX_NEW_NS)
			return exit_usage("--new-ns: at most %d times",
			    CONFIG_MAX_NEW_NS);
		e->new_ns[e->nnew_ns++] = argv[*a];
	} else if (!strcmp(o, "--old-ip") && *a + 1 < argc) {
		if (!valid_ip(argv[++*a]))
			return exit_usage("--old-ip '%.60s' is not an IP "
			    "address", argv[*a]);
		if (e->nold_ip == OWN_MAX_GIVEN)
			return exit_usage("--old-ip: at most %d addresses",
			    OWN_MAX_GIVEN);
		e->old_ip[e->nold_ip++] = argv[*a];
	} else
		return exit_usage("unknown option '%.60s'", o);
	return EXIT_DONE;
}

/* the names of argv, each in one spelling: ASCII, lower case, no dot */
static enum exit_code
parse_args(struct engine *e, int argc, char **argv, char (*norm)[256],
    size_t *n)
{
	enum exit_code rc;
	const char *why;
	int a;

	*n = 0;
	for (a = 1; a < argc; a++) {
		if (argv[a][0] == '-') {
			if ((rc = option(e, argc, argv, &a)) != EXIT_DONE)
				return rc;
		} else if ((why = idn_ascii(argv[a], norm[*n],
		    sizeof(norm[0]))) != NULL)
			return exit_usage("'%.100s' is not a domain name: %s",
			    argv[a], why);
		else
			(*n)++;
	}
	if (*n == 0 && needs_domains(e->cmd))
		return exit_usage("%s needs one or more domains", e->cmd);
	if ((e->list.page || e->list.per_page || e->list.sort ||
	    e->list.state || e->list.filter || e->list.desc ||
	    e->list.refresh) && strcmp(e->cmd, "list") &&
	    strcmp(e->cmd, "status"))
		return exit_usage("--page, --per-page, --sort, --desc, "
		    "--state, --filter and --refresh are for list and status");
	if (e->list.paged || e->list.sort || e->list.state ||
	    e->list.filter || e->list.desc) {
		e->list.paged = 1;
		e->list.page += e->list.page == 0;
		if (e->list.per_page == 0)
			e->list.per_page = 50;
	}
	return EXIT_DONE;
}

/* ---- log ---- */

struct log_ctx {
	struct json	*j;
	int		 json;
};

static void
log_line(void *arg, const char *const f[7])
{
	struct log_ctx *c = arg;
	static const char *const keys[7] = { "time", "domain", "step", "old",
	    "new", "result", "actor" };
	int i;

	if (!c->json) {
		printf("%s %s %s: %s -> %s: %s (%s)\n", f[0], f[1], f[2], f[3],
		    f[4], f[5], f[6]);
		return;
	}
	json_obj_open(c->j, NULL);
	for (i = 0; i < 7; i++)
		json_str(c->j, keys[i], f[i]);
	json_obj_close(c->j);
}

/* the audit log of all domains, or of those named */
static enum exit_code
cmd_log(struct engine *e, char (*names)[256], size_t n)
{
	struct log_ctx c = { NULL, e->json };
	struct mc_err err = { 0 };
	struct json j;
	enum exit_code rc = EXIT_DONE;
	size_t i;

	if (e->json) {
		json_init(&j, stdout);
		c.j = &j;
		json_obj_open(&j, NULL);
		json_arr_open(&j, "log");
	}
	for (i = 0; i < (n ? n : 1); i++)
		if (audit_read(e->cc->state_dir, n ? names[i] : NULL,
		    log_line, &c, &err) != MC_OK) {
			fprintf(stderr, "mailcutover: %s\n", err.msg);
			rc = EXIT_FAILED;
		}
	if (e->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	return rc;
}

/* ---- the domains of the run ---- */

/* add name to a list of names (load_domains drops the repeats) */
static int
names_add(char ***names, size_t *n, size_t *cap, const char *nm)
{
	char **p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((p = realloc(*names, *cap * sizeof(*p))) == NULL)
			return 0;
		*names = p;
	}
	if (((*names)[*n] = strdup(nm)) == NULL)
		return 0;
	(*n)++;
	return 1;
}

/* the paged list: the panel's names as listed in the last few minutes
 * (listcache.h); 1 when they were there */
static int
list_cached(struct engine *e, char ***names, size_t *n, size_t *cap)
{
	char **v;
	size_t k, m;

	if (!e->list.paged || e->list.refresh || !listcache_read(
	    e->cc->state_dir, e->now, LISTCACHE_MAX_AGE, &v, &m))
		return 0;
	for (k = 0; k < m; k++)
		if (!names_add(names, n, cap, v[k]))
			break;
	listcache_free(v, m);
	return 1;
}

/*
 * Add every subscription, site and subdomain of the source panel to the
 * names (two list operations in one request). Returns an exit code on a
 * panel failure, EXIT_DONE otherwise.
 */
static enum exit_code
list_panel(struct engine *e, char ***names, size_t *n)
{
	struct mc_err err = { 0 };
	struct batch *b;
	struct op *ops[2];
	size_t i, k, cap = *n, first = *n;
	enum exit_code rc = EXIT_DONE;

	if (list_cached(e, names, n, &cap))
		return EXIT_DONE;
	if (!zone_source(e)) {
		fprintf(stderr, "mailcutover: %s\n", e->panel_msg);
		return (enum exit_code)e->panel_failed;
	}
	if ((b = batch_new()) == NULL ||
	    (ops[0] = batch_add(b, OP_WEBSPACE_ALL)) == NULL ||
	    (ops[1] = batch_add(b, OP_SITE_ALL)) == NULL) {
		batch_free(b);
		return EXIT_FAILED;
	}
	if (plesk_send(e->src, b, &err) != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		rc = exit_panel(err.code);
		goto out;
	}
	for (k = 0; k < 2 && rc == EXIT_DONE; k++) {
		if (ops[k]->result != MC_OK) {
			fprintf(stderr, "mailcutover: listing the source panel: "
			    "%s\n", ops[k]->msg);
			rc = EXIT_FAILED;
		}
		for (i = 0; rc == EXIT_DONE && i < ops[k]->nstrs; i++)
			if (valid_domain(ops[k]->strs[i]) &&
			    !names_add(names, n, &cap, ops[k]->strs[i]))
				rc = EXIT_FAILED;
	}
	if (rc == EXIT_DONE && listcache_write(e->cc->state_dir, e->now,
	    *names + first, *n - first, &err) != MC_OK)
		fprintf(stderr, "mailcutover: %s\n", err.msg);
out:
	batch_free(b);
	return rc;
}

static char **sort_names;

static int
by_name(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcasecmp(sort_names[x], sort_names[y]);

	return c ? c : (x > y) - (x < y);
}

/* dup[i] = 1 for a name said before (case-insensitively); NULL: OOM */
static unsigned char *
repeats(char **names, size_t n)
{
	unsigned char *dup = calloc(n + 1, 1);
	size_t *ord = calloc(n + 1, sizeof(*ord)), i;

	if (dup == NULL || ord == NULL) {
		free(dup);
		free(ord);
		return NULL;
	}
	for (i = 0; i < n; i++)
		ord[i] = i;
	sort_names = names;
	qsort(ord, n, sizeof(*ord), by_name);
	sort_names = NULL;
	for (i = 1; i < n; i++)
		dup[ord[i]] = strcasecmp(names[ord[i - 1]], names[ord[i]]) == 0;
	free(ord);
	return dup;
}

/* the run's domains: each once, locked (but for status and list), with
 * its journal; a domain whose lock or journal fails fails alone */
static enum exit_code
load_domains(struct engine *e, char **names, size_t n)
{
	struct mc_err err = { 0 };
	unsigned char *dup;
	size_t i;

	if ((e->doms = calloc(n + 1, sizeof(*e->doms))) == NULL ||
	    (dup = repeats(names, n)) == NULL)
		return exit_usage("out of memory");
	for (i = 0; i < n; i++) {
		struct dom *d = &e->doms[e->n];
		if (dup[i])
			continue;
		e->n++;
		if (!dom_init(d, names[i]))
			return exit_usage("out of memory");
		if (strcmp(e->cmd, "status") && strcmp(e->cmd, "list") &&
		    journal_lock(e->cc->state_dir, d->name, &d->lockfd, &err)) {
			/* held by another run: not a failure; tick (or the
			   operator) runs it again */
			if (err.code == MC_E_BUSY)
				dom_outcome(d, DR_BUSY, "%s; retried by the next "
				    "run", err.msg);
			else
				dom_fail(d, "%s", err.msg);
			continue;
		}
		if (journal_load(e->cc->state_dir, d->name, &d->j, &err))
			dom_fail(d, "%s (fix or move the journal away; nothing "
			    "was changed)", err.msg);
	}
	free(dup);
	return EXIT_DONE;
}

/* tick, status: every domain with a journal; list: and every domain of
 * the source panel */
static enum exit_code
listed_domains(struct engine *e, char ***names, size_t *n)
{
	struct mc_err err = { 0 };

	if (journal_list(e->cc->state_dir, names, n, &err)) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return EXIT_FAILED;
	}
	if (!strcmp(e->cmd, "list"))
		return list_panel(e, names, n);
	return EXIT_DONE;
}

/* everything the run holds: journals, locks, zones, notes, panels */
static void
engine_free(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		dom_release(&e->doms[i]);
	free(e->doms);
	plesk_free(e->src);
	plesk_free(e->tgt);
}

/* the domains of the run, the runbook, the report */
static enum exit_code
run(struct engine *e, char (*norm)[256], size_t nnames)
{
	char **names = NULL, **listed = NULL;
	size_t nlisted = 0, i;
	enum exit_code rc;

	if (nnames > 0) {
		if ((names = calloc(nnames, sizeof(*names))) == NULL)
			return exit_usage("out of memory");
		for (i = 0; i < nnames; i++)
			names[i] = norm[i];
		rc = load_domains(e, names, nnames);
		free(names);
	} else if ((rc = listed_domains(e, &listed, &nlisted)) == EXIT_DONE)
		rc = load_domains(e, listed, nlisted);
	journal_list_free(listed, nlisted);
	if (rc != EXIT_DONE)
		return rc;
	runbook_run(e);
	if (e->list.paged)
		listing_print(e);
	else
		report_print(e);
	return report_exit(e);
}

enum exit_code
command_run(const struct config *c, int argc, char **argv, int json)
{
	struct engine e;
	struct mc_err err = { 0 };
	char (*norm)[256];
	size_t nnames = 0;
	enum exit_code rc;

	memset(&e, 0, sizeof(e));
	/* the run's clock starts here (engine.h) */
	e.conf = c;
	e.cc = &c->cutover;
	e.cmd = argv[0];
	e.step = step_by_name(argv[0]);
	e.json = json;
	/* every DNS question of the run, all steps, is paced per server */
	dnsrate_set(e.cc->dns_rate);
	engine_tick(&e);
	if ((norm = calloc((size_t)argc, sizeof(*norm))) == NULL)
		return exit_usage("out of memory");
	/* bad arguments: a clear error, exit 2, and nothing else happens */
	if ((rc = parse_args(&e, argc, argv, norm, &nnames)) != EXIT_DONE)
		goto out;
	if (journal_open_dir(e.cc->state_dir, &err) != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!strcmp(e.cmd, "log"))
		rc = cmd_log(&e, norm, nnames);
	else
		rc = run(&e, norm, nnames);
out:
	engine_free(&e);
	free(norm);
	return rc;
}
