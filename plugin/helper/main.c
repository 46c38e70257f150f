/* main.c -- mailcutover: command line, dispatch and exit codes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "config.h"
#include "engine.h"
#include "exitcode.h"
#include "help.h"
#include "json.h"
#include "panel.h"
#include "raw.h"
#include "selftest.h"
#include "settings.h"
#include "transport.h"
#include "valid.h"

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
"  finish DOMAIN...        5-6: registrar confirmed, TTL restored\n"
"  rollback DOMAIN...      restore records, TTL and mail exactly\n"
"  migrate DOMAIN...       advance each domain as far as its gates allow\n"
"  tick                    migrate every domain in progress (scheduler)\n"
"  status [DOMAIN...]      list [DOMAIN...]      log [DOMAIN...]\n"
"  selftest                check that this binary can work on this machine\n"
"    options: --new-ip IPv4 --new-ip6 IPv6 --old-ip IP (repeatable)\n"
"             --drop-aaaa --force --confirm-registrar\n"
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

static int
is_engine_cmd(const char *cmd)
{
	static const char *const cmds[] = { "plan", "prepare", "switch",
	    "sync", "disable-old-mail", "verify", "finish", "rollback",
	    "migrate", "tick", "status", "list", "log" };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i]))
			return 1;
	return 0;
}

static int
cmd_pin(int argc, char **argv, int json)
{
	struct mc_err err = { 0 };
	struct json j;
	char pin[128];

	if (argc != 2)
		return exit_usage("pin takes exactly one URL" HINT);
	if (strncmp(argv[1], "https://", 8) != 0 || strlen(argv[1]) > 512)
		return exit_usage("pin: '%.100s' is not an https:// URL" HINT,
		    argv[1]);
	if (transport_fetch_pin(argv[1], 15000, pin, sizeof(pin), &err)) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return exit_panel(err.code);
	}
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "url", argv[1]);
		json_str(&j, "pin", pin);
		json_obj_close(&j);
		json_end(&j);
	} else {
		printf("%s\n", pin);
		fprintf(stderr, "mailcutover: this key was read without "
		    "verification. Confirm it on the panel server itself:\n"
		    "  openssl x509 -in /usr/local/psa/admin/conf/httpsd.pem "
		    "-pubkey -noout | openssl pkey -pubin -outform der | "
		    "openssl dgst -sha256 -binary | base64\n"
		    "then put `pin = %s` in the panel's section.\n", pin);
	}
	return EXIT_DONE;
}

static void
servers_one(struct json *j, const struct panel_conf *pc, int json,
    enum exit_code *rc)
{
	struct mc_err err = { 0 };
	struct plesk *p = NULL;
	struct batch *b = NULL;
	struct op *o = NULL;
	enum mc_result r;

	if (!pc->present)
		return;
	r = panel_open(pc, &p, &err);
	if (r == MC_OK && ((b = batch_new()) == NULL ||
	    (o = batch_add(b, OP_SERVER_INFO)) == NULL))
		r = mc_err_set(&err, MC_E_NOMEM, "out of memory");
	if (r == MC_OK)
		r = plesk_send(p, b, &err);
	if (json) {
		json_obj_open(j, NULL);
		json_str(j, "panel", pc->role);
		json_str(j, "url", pc->url);
		json_bool(j, "reachable", r == MC_OK || (r != MC_E_CONNECT &&
		    r != MC_E_TLS && r != MC_E_SECRET && r != MC_E_CONFIG));
		json_bool(j, "authenticated", r == MC_OK);
		json_str(j, "protocol", p != NULL ? p->version : NULL);
		json_str(j, "plesk_version", r == MC_OK && o->result == MC_OK ?
		    o->plesk_version : NULL);
		json_str(j, "error", r == MC_OK ? NULL : err.msg);
		json_str(j, "error_kind", r == MC_OK ? NULL : mc_strerror(r));
		json_obj_close(j);
	} else if (r == MC_OK) {
		printf("%s: %s ok: protocol %s, Plesk %s\n", pc->role, pc->url,
		    p->version, o->result == MC_OK && o->plesk_version ?
		    o->plesk_version : "(unknown)");
	} else
		printf("%s: %s FAILED: %s\n", pc->role, pc->url, err.msg);
	if (r != MC_OK && exit_panel(r) > *rc)
		*rc = exit_panel(r);
	batch_free(b);
	plesk_free(p);
}

static int
cmd_servers(const struct config *c, int argc, int json)
{
	struct json j;
	enum exit_code rc = EXIT_DONE;

	if (argc != 1)
		return exit_usage("servers takes no arguments" HINT);
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_arr_open(&j, "panels");
	}
	servers_one(&j, &c->source, json, &rc);
	servers_one(&j, &c->target, json, &rc);
	if (json) {
		json_arr_close(&j);
		json_num(&j, "exit", rc);
		json_obj_close(&j);
		json_end(&j);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *config_path = CONFIG_DEFAULT_PATH, *cmd;
	struct config *c = NULL;
	struct mc_err err = { 0 };
	int json = 0, version = 0, i, rc;
	struct stat st;

#ifdef MC_STATIC
	/*
	 * The static build carries its own OpenSSL: the host's openssl.cnf
	 * is written for the host's OpenSSL (another version, crypto-policies
	 * includes, FIPS providers this build does not have) and is not read.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
#endif
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config_path = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--version"))
			version = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_DONE;
		} else if (argv[i][0] == '-')
			return exit_usage("unknown option '%.60s'" HINT, argv[i]);
		else
			break;
	}
	if (version)
		return selftest_version(json);
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[i];
	if (help_known(cmd) && help_asked(argc - i, argv + i))
		return help_command(cmd, stdout) == 0 ? EXIT_DONE : EXIT_USAGE;
	if (!strcmp(cmd, "selftest")) {
		if (argc - i != 1)
			return exit_usage("selftest takes no arguments" HINT);
		return selftest_run(json) ? EXIT_FAILED : EXIT_DONE;
	}
	if (!strcmp(cmd, "pin"))
		return cmd_pin(argc - i, argv + i, json);
	if (!strcmp(cmd, "settings"))	/* needs no valid config to run */
		return settings_main(config_path, argc - i, argv + i, json);
	if (strcmp(cmd, "servers") != 0 && strcmp(cmd, "raw") != 0 &&
	    strcmp(cmd, "confirm") != 0 &&
	    !is_engine_cmd(cmd))
		return exit_usage("unknown command '%.60s'" HINT, cmd);
	if (!strcmp(cmd, "tick") && argc - i == 1 &&
	    stat(config_path, &st) != 0 && errno == ENOENT) {
		/*
		 * The scheduled task runs from the install on; until the
		 * settings page has been saved once there is nothing to do,
		 * and nothing worth a scheduler mail.
		 */
		if (json) {
			struct json j;

			json_init(&j, stdout);
			json_obj_open(&j, NULL);
			json_str(&j, "command", "tick");
			json_bool(&j, "configured", 0);
			json_arr_open(&j, "domains");
			json_arr_close(&j);
			json_obj_close(&j);
			json_end(&j);
		} else
			printf("mailcutover: not configured yet (no %s): "
			    "nothing to do\n", config_path);
		return EXIT_DONE;
	}
	if (config_load(config_path, &c, &err) != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (c->cutover.test_timings)	/* config.h: "loudly allowed" */
		fprintf(stderr, "mailcutover: WARNING: %s: test_timings = yes: "
		    "lowered_ttl and min_wait may be below the production "
		    "minimums (%d s, %d s); for test beds only, never for "
		    "real mail\n", config_path, CONFIG_MIN_LOWERED_TTL,
		    CONFIG_MIN_WAIT);
	if (!strcmp(cmd, "servers"))
		rc = cmd_servers(c, argc - i, json);
	else if (!strcmp(cmd, "confirm"))
		rc = settings_confirm(c, argc - i, argv + i, json);
	else if (!strcmp(cmd, "raw"))
		rc = raw_main(c, argc - i, argv + i, json);
	else
		rc = engine_main(c, argc - i, argv + i, json);
	config_free(c);
	return rc;
}
