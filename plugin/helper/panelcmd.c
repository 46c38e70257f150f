/* panelcmd.c -- `servers` and `pin`: the panels themselves. */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "json.h"
#include "panel.h"
#include "panelcmd.h"
#include "transport.h"
#include "valid.h"

/* what a usage error on the command line adds */
#define HINT	"\n(see mailcutover --help)"

enum exit_code
panelcmd_pin(int argc, char **argv, int json)
{
	struct mc_err err = { 0 };
	struct json j;
	char pin[128];

	if (argc != 2)
		return exit_usage("pin takes exactly one URL" HINT);
	if (url_has_userinfo(argv[1]))
		return exit_usage("pin: the URL must not hold a user or "
		    "password" HINT);
	if (!valid_https_url(argv[1]))
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

enum exit_code
panelcmd_servers(const struct config *c, int argc, int json)
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
