/* panel.c -- from configuration to a connected, negotiated client. */
#include <stdio.h>
#include <unistd.h>

#include "panel.h"
#include "secret.h"

enum mc_result
panel_open(const struct panel_conf *pc, struct plesk **out, struct mc_err *err)
{
	struct plesk_conf c = { 0 };
	struct secret *s = NULL;
	enum mc_result result;
	char name[32];

	*out = NULL;
	snprintf(name, sizeof(name), "%s panel", pc->role);
	if (!pc->present)
		return mc_err_set(err, MC_E_CONFIG, "%s: not configured",
		    name);
	if (pc->secret_file[0] == '-' && pc->secret_file[1] == '\0')
		result = secret_load_fd(STDIN_FILENO, "secret on stdin", &s,
		    err);
	else
		result = secret_load_file(pc->secret_file, 0, &s, err);
	if (result != MC_OK) {
		mc_err_prefix(err, "%s", name);
		return result;
	}
	if (pc->insecure)
		fprintf(stderr, "mailcutover: WARNING: %s: TLS verification "
		    "is OFF (insecure = yes); anyone on the path can read "
		    "the secret and change the answers. Configure pin = "
		    "instead (mailcutover pin %s).\n", name, pc->url);
	c.tc.name = name;
	c.tc.url = pc->url;
	c.tc.auth = pc->auth;
	c.tc.login = pc->login;
	c.tc.secret = s;
	c.tc.pin = pc->pin;
	c.tc.cafile = pc->cafile;
	c.tc.insecure = pc->insecure;
	c.tc.connect_timeout_ms = pc->connect_timeout_ms;
	c.tc.timeout_ms = pc->timeout_ms;
	c.tc.max_body = pc->max_body;
	c.batch_max = pc->batch_max;
	c.version = pc->protocol;
	result = plesk_open(&c, out, err);
	/* the transport keeps the secret only inside its header list */
	secret_free(s);
	if (result != MC_OK)
		return result;
	if ((result = plesk_negotiate(*out, err)) != MC_OK) {
		plesk_free(*out);
		*out = NULL;
	}
	return result;
}
