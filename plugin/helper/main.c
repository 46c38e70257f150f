/* main.c -- mailcutover: the command line. Global options, then a table
 * of commands (which need the configuration loaded first); every command
 * returns an exit code (exitcode.h). */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "command.h"
#include "config.h"
#include "exitcode.h"
#include "help.h"
#include "json.h"
#include "panelcmd.h"
#include "raw.h"
#include "selftest.h"
#include "settings.h"

/* what a usage error on the command line adds */
#define HINT	"\n(see mailcutover --help)"

static void
usage(FILE *f)
{
	fputs(
"usage: mailcutover [--config FILE] [--json] COMMAND [ARG...]\n"
"       mailcutover --version        mailcutover COMMAND --help\n"
"\n"
"commands:\n"
"  servers                 check each configured panel: reachable,\n"
"                          authenticated, protocol and Plesk version\n"
"  settings get|set        the panel's settings page: show the config as\n"
"                          JSON (never the secret); set from JSON on stdin\n"
"  confirm DOMAIN clients yes|no  0.3: mail clients use mail.DOMAIN\n"
"  pin URL                 print the public-key pin of https://HOST:8443\n"
"                          for the config's pin = line (confirm it first)\n"
"  plan DOMAIN...          preflight: the exact diff, blockers, warnings\n"
"  prepare DOMAIN...       0.2: lower the zone TTL, journal the old one\n"
"  switch DOMAIN...        1: new A records in, old out; primary serves them\n"
"  sync DOMAIN...          2: every authoritative server agrees\n"
"  disable-old-mail DOMAIN...  3: mail off on the old server (after its gate)\n"
"  verify DOMAIN...        4: DNS everywhere, SMTP/IMAP/POP3 on the new IP\n"
"  finish DOMAIN...        5-6: delegation checked at the parent (or the\n"
"                          registrar change confirmed), TTL restored\n"
"  rollback DOMAIN...      restore records, TTL and mail exactly\n"
"  migrate DOMAIN...       advance each domain as far as its gates allow\n"
"  tick                    migrate every domain in progress (scheduler)\n"
"  status [DOMAIN...]      list [DOMAIN...]      log [DOMAIN...]\n"
"  selftest                check that this binary can work on this machine\n"
"    options: --new-ip IPv4 --new-ip6 IPv6 --old-ip IP (repeatable)\n"
"             --drop-aaaa --force --confirm-registrar\n"
"             --new-ns NS[,NS...] (finish: the expected name servers)\n"
"  raw [--panel source|target] OP ARG...\n"
"                          one XML API operation, for tests and repairs:\n"
"    resolve DOMAIN...       get-rec SITE-ID...     get-rec-id REC-ID...\n"
"    add-rec SITE-ID TYPE HOST VALUE [OPT]         del-rec REC-ID...\n"
"    soa SITE-ID...          soa-set FIELD=N... SITE-ID...\n"
"    zone-enable SITE-ID...  zone-disable SITE-ID...\n"
"    mail-prefs SITE-ID...   mail-enable SITE-ID... mail-disable SITE-ID...\n"
"    mail-info SITE-ID       protos                 info\n"
"\n"
"exit codes: 0 done, 1 some operation failed, 2 usage or config error,\n"
"            3 nothing failed but something waits (a time gate, a name\n"
"              server, a confirmation), 4 panel unreachable or auth refused\n",
	    f);
}

/*
 * The helper holds the panel's secret in memory: no core dump of it
 * (nor a ptrace attach by a non-root user of the same uid), and no TLS
 * key log (libcurl writes one where SSLKEYLOGFILE points). Proxy
 * variables are ignored by the transport (CURLOPT_PROXY ""): there is no
 * proxy setting in the config.
 */
static void
harden(void)
{
	struct rlimit no = { 0, 0 };

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &no);
	(void)unsetenv("SSLKEYLOGFILE");
}

/* global options: --config FILE, --json, --version, --help */
struct opts {
	const char	*config_path;
	int		 json;
	int		 version;
};

static enum exit_code
cmd_selftest(const struct config *c, const struct opts *o, int argc,
    char **argv)
{
	(void)c;
	(void)argv;
	if (argc != 1)
		return exit_usage("selftest takes no arguments" HINT);
	return selftest_run(o->json) ? EXIT_FAILED : EXIT_DONE;
}

static enum exit_code
cmd_pin(const struct config *c, const struct opts *o, int argc, char **argv)
{
	(void)c;
	return panelcmd_pin(argc, argv, o->json);
}

/* settings needs no valid configuration to run: it writes one */
static enum exit_code
cmd_settings(const struct config *c, const struct opts *o, int argc,
    char **argv)
{
	(void)c;
	return settings_main(o->config_path, argc, argv, o->json);
}

static enum exit_code
cmd_servers(const struct config *c, const struct opts *o, int argc,
    char **argv)
{
	(void)argv;
	return panelcmd_servers(c, argc, o->json);
}

static enum exit_code
cmd_confirm(const struct config *c, const struct opts *o, int argc,
    char **argv)
{
	return settings_confirm(c, argc, argv, o->json);
}

static enum exit_code
cmd_raw(const struct config *c, const struct opts *o, int argc, char **argv)
{
	return raw_main(c, argc, argv, o->json);
}

static enum exit_code
cmd_domains(const struct config *c, const struct opts *o, int argc,
    char **argv)
{
	return command_run(c, argc, argv, o->json);
}

static const struct cmd {
	const char	*name;		/* NULL: the domain commands */
	int		 config;	/* loads the configuration first */
	enum exit_code	(*run)(const struct config *, const struct opts *,
			    int argc, char **argv);
} cmds[] = {
	{ "selftest", 0, cmd_selftest },
	{ "pin", 0, cmd_pin },
	{ "settings", 0, cmd_settings },
	{ "servers", 1, cmd_servers },
	{ "confirm", 1, cmd_confirm },
	{ "raw", 1, cmd_raw },
	{ NULL, 1, cmd_domains },	/* command_known(): plan ... log */
};

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].name != NULL ? !strcmp(name, cmds[i].name) :
		    command_known(name))
			return &cmds[i];
	return NULL;
}

/*
 * The scheduled task runs from the install on; until the settings page
 * has been saved once there is nothing to do, and nothing worth a
 * scheduler mail. 1 when that is the case (and said).
 */
static int
tick_unconfigured(const struct opts *o, int argc, char **argv)
{
	struct json j;
	struct stat st;

	if (strcmp(argv[0], "tick") != 0 || argc != 1 ||
	    stat(o->config_path, &st) == 0 || errno != ENOENT)
		return 0;
	if (o->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", "tick");
		json_bool(&j, "configured", 0);
		json_arr_open(&j, "domains");
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	} else
		printf("mailcutover: not configured yet (no %s): nothing to "
		    "do\n", o->config_path);
	return 1;
}

/* the configuration, with the loud warning of test_timings */
static enum exit_code
load(const struct opts *o, struct config **c)
{
	struct mc_err err = { 0 };

	if (config_load(o->config_path, c, &err) != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if ((*c)->cutover.test_timings)	/* config.h: "loudly allowed" */
		fprintf(stderr, "mailcutover: WARNING: %s: test_timings = yes: "
		    "lowered_ttl and min_wait may be below the production "
		    "minimums (%d s, %d s); for test beds only, never for "
		    "real mail\n", o->config_path, CONFIG_MIN_LOWERED_TTL,
		    CONFIG_MIN_WAIT);
	return EXIT_DONE;
}

/* the options before the command; *i at the command. -1: go on */
static int
global_opts(int argc, char **argv, struct opts *o, int *i)
{
	for (*i = 1; *i < argc; (*i)++) {
		if (!strcmp(argv[*i], "--config") && *i + 1 < argc)
			o->config_path = argv[++*i];
		else if (!strcmp(argv[*i], "--json"))
			o->json = 1;
		else if (!strcmp(argv[*i], "--version"))
			o->version = 1;
		else if (!strcmp(argv[*i], "--help") || !strcmp(argv[*i], "-h")) {
			usage(stdout);
			return EXIT_DONE;
		} else if (argv[*i][0] == '-')
			return exit_usage("unknown option '%.60s'" HINT,
			    argv[*i]);
		else
			break;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct opts o = { CONFIG_DEFAULT_PATH, 0, 0 };
	struct config *c = NULL;
	const struct cmd *cmd;
	int i, rc;

	harden();
#ifdef MC_STATIC
	/*
	 * The static build carries its own OpenSSL: the host's openssl.cnf
	 * is written for the host's OpenSSL (another version, crypto-policies
	 * includes, FIPS providers this build does not have) and is not read.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
#endif
	if ((rc = global_opts(argc, argv, &o, &i)) >= 0)
		return rc;
	if (o.version)
		return selftest_version(o.json);
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= i;
	argv += i;
	if (help_known(argv[0]) && help_asked(argc, argv))
		return help_command(argv[0], stdout) == 0 ? EXIT_DONE :
		    EXIT_USAGE;
	if ((cmd = cmd_find(argv[0])) == NULL)
		return exit_usage("unknown command '%.60s'" HINT, argv[0]);
	if (tick_unconfigured(&o, argc, argv))
		return EXIT_DONE;
	if (cmd->config && (rc = load(&o, &c)) != EXIT_DONE)
		return rc;
	rc = cmd->run(c, &o, argc, argv);
	config_free(c);
	return rc;
}
