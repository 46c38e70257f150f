/* command.c -- a command over domains: options, names, locks, journals;
 * then the runbook and the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "command.h"
#include "dom.h"
#include "engine.h"
#include "idn.h"
#include "journaldir.h"
#include "json.h"
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
	char bad[256];

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

/* add name to a list of names unless it is there (case-insensitive) */
static int
names_add(char ***names, size_t *n, const char *nm)
{
	char **p;
	size_t m;

	for (m = 0; m < *n; m++)
		if (strcasecmp((*names)[m], nm) == 0)
			return 1;
	if ((p = realloc(*names, (*n + 1) * sizeof(*p))) == NULL)
		return 0;
	*names = p;
	if ((p[*n] = strdup(nm)) == NULL)
		return 0;
	(*n)++;
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
	size_t i, k;
	enum exit_code rc = EXIT_DONE;

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
			    !names_add(names, n, ops[k]->strs[i]))
				rc = EXIT_FAILED;
	}
out:
	batch_free(b);
	return rc;
}

/* the run's domains: each once, locked (but for status and list), with
 * its journal; a domain whose lock or journal fails fails alone */
static enum exit_code
load_domains(struct engine *e, char **names, size_t n)
{
	struct mc_err err = { 0 };
	size_t i, k;
	int dup;

	if ((e->doms = calloc(n + 1, sizeof(*e->doms))) == NULL)
		return exit_usage("out of memory");
	for (i = 0; i < n; i++) {
		struct dom *d = &e->doms[e->n];
		for (k = 0, dup = 0; k < e->n; k++)
			dup |= strcasecmp(e->doms[k].name, names[i]) == 0;
		if (dup)
			continue;
		e->n++;
		dom_init(d, names[i]);
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
