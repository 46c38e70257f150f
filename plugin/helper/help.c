/* help.c -- `mailcutover COMMAND --help`: one command's usage, no config. */
#include <string.h>

#include "help.h"

struct help {
	const char	*cmd;
	const char	*text;
};

#define DOMAINS_OPTS \
"options: --new-ip IP   the new server's IP (default: [cutover] new_ip or\n" \
"                       the domain's IP on [target])\n" \
"         --old-ip IP   the old IP to switch away from (default: what the\n" \
"                       switched names point at now)\n"

static const struct help helps[] = {
{ "servers",
"usage: mailcutover [--config FILE] [--json] servers\n"
"Check each configured panel ([source], [target]): reachable, authenticated,\n"
"the XML API protocol the helper will speak and the Plesk version.\n"
"exit: 0 all fine, 2 config error, 4 a panel unreachable or refused\n" },
{ "settings",
"usage: mailcutover [--config FILE] [--json] settings get\n"
"       mailcutover [--config FILE] [--json] settings set   < JSON\n"
"get: the config as JSON for the panel's settings page (never the secret).\n"
"set: merge a JSON object read on stdin (url, auth, login, secret, pin,\n"
"new_ip, lowered_ttl, restored_ttl, min_wait, quiet_hours, secondaries)\n"
"into the config and write it (0600, atomically); the secret goes to the\n"
"secret file, never to argv or output.\n" },
{ "confirm",
"usage: mailcutover [--config FILE] [--json] confirm DOMAIN clients yes|no\n"
"Step 0.3: record (audit log) that every mail client of DOMAIN uses\n"
"mail.DOMAIN, or withdraw that confirmation.\n" },
{ "pin",
"usage: mailcutover [--json] pin https://HOST[:PORT]\n"
"Print the public-key pin (sha256//...) of a panel's certificate for the\n"
"config's pin = line. The key is read WITHOUT verification: confirm it on\n"
"the panel server itself before trusting it. Needs no config.\n" },
{ "plan",
"usage: mailcutover [--config FILE] [--json] plan [options] DOMAIN...\n"
"Preflight, changes nothing: the exact diff of the switched names, the name\n"
"servers and the primary, blockers and warnings, and the mail checks\n"
"(mailbox parity, the new server's certificates, PTR, DKIM, SPF).\n"
DOMAINS_OPTS
"exit: 0 no blocker, 1 a domain is blocked, 2 usage/config, 4 panel\n" },
{ "prepare",
"usage: mailcutover [--config FILE] [--json] prepare DOMAIN...\n"
"Step 0.2: lower each zone's TTL to lowered_ttl (one batch) and journal the\n"
"old TTL; the switch may start once the old TTL has passed.\n" },
{ "switch",
"usage: mailcutover [--config FILE] [--json] switch [options] [--force] DOMAIN...\n"
"Step 1: add the new A records, then delete the old ones (make-before-\n"
"break), then wait until the primary name server serves them.\n"
"Before the TTL gate: exit 3 with the time left (--force overrides,\n"
"loudly, journaled).\n"
DOMAINS_OPTS },
{ "sync",
"usage: mailcutover [--config FILE] [--json] sync DOMAIN...\n"
"Step 2: ask every authoritative server for the serial and the switched\n"
"names; refresh laggards by their method; done when all agree.\n" },
{ "disable-old-mail",
"usage: mailcutover [--config FILE] [--json] disable-old-mail [--force] DOMAIN...\n"
"Step 3: after sync plus max(min_wait, TTL), and once the old server has\n"
"received nothing new for quiet_window (its mailbox usage polled each\n"
"run), switch mail off for the domain on the source panel and read it\n"
"back. Before the gate: exit 3. After quiet_max with mail still arriving:\n"
"exit 3 until --force (the operator confirms) or quiet_force = yes.\n" },
{ "verify",
"usage: mailcutover [--config FILE] [--json] verify DOMAIN...\n"
"Step 4: every name server answers the new IP; SMTP 25/587 (STARTTLS),\n"
"IMAPS 993 and POP3S 995 on the new IP with a certificate valid for\n"
"mail.DOMAIN (trusted by mail_cafile or the system's CA bundle).\n" },
{ "finish",
"usage: mailcutover [--config FILE] [--json] finish [--confirm-registrar]\n"
"       [--new-ns NS[,NS...]] DOMAIN...\n"
"Step 5, when the old server was the primary DNS: every server of the\n"
"parent zone (parent_dns, or found from root_hints down) is asked for the\n"
"domain's NS records without recursion; step 5 is done when each lists\n"
"exactly the new name servers (--new-ns, [cutover] new_ns, or the zone's NS\n"
"records on [target]). Until then: exit 3, saying what the parent serves\n"
"and what it should. --confirm-registrar confirms the change where the\n"
"parent cannot be asked (audited); it is refused while a parent server\n"
"answers with other name servers. Step 6: the zone TTL back to\n"
"restored_ttl. migrate and tick run it for verified domains.\n" },
{ "rollback",
"usage: mailcutover [--config FILE] [--json] rollback DOMAIN...\n"
"From any step: the original records back (make-before-break), mail back\n"
"on, the TTL back, exactly as journaled.\n" },
{ "migrate",
"usage: mailcutover [--config FILE] [--json] migrate [options] DOMAIN...\n"
"Advance each domain as far as its gates allow; say what comes next and\n"
"when (exit 3 while a gate is closed).\n"
DOMAINS_OPTS },
{ "tick",
"usage: mailcutover [--config FILE] [--json] tick\n"
"The panel's scheduled task: migrate every domain in progress, switching\n"
"and disabling only inside quiet_hours. Until the settings page has been\n"
"saved once (no config file) it does nothing and exits 0.\n" },
{ "status",
"usage: mailcutover [--config FILE] [--json] status [DOMAIN...]\n"
"State and next step of each domain in progress (or those named).\n" },
{ "list",
"usage: mailcutover [--config FILE] [--json] list\n"
"Every domain of the source panel with its state and next step.\n" },
{ "log",
"usage: mailcutover [--config FILE] [--json] log [DOMAIN...]\n"
"The audit log (every step, who ran it, its result), of all or some\n"
"domains.\n" },
{ "raw",
"usage: mailcutover [--config FILE] [--json] raw [--panel source|target] OP ARG...\n"
"One XML API operation, for tests and repairs:\n"
"  resolve DOMAIN...       get-rec SITE-ID...     get-rec-id REC-ID...\n"
"  add-rec SITE-ID TYPE HOST VALUE [OPT]         del-rec REC-ID...\n"
"  soa SITE-ID...          soa-set FIELD=N... SITE-ID...\n"
"  zone-enable SITE-ID...  zone-disable SITE-ID...\n"
"  mail-prefs SITE-ID...   mail-enable SITE-ID... mail-disable SITE-ID...\n"
"  mail-info SITE-ID       protos                 info\n" },
{ "selftest",
"usage: mailcutover [--json] selftest\n"
"Check that this binary runs here: its libraries (libcurl with HTTPS,\n"
"OpenSSL and its random generator, libxml2, ldns), the system's CA bundle\n"
"and /etc/resolv.conf. Needs no config. The extension's install runs it.\n"
"exit: 0 it can work (warnings are printed), 1 it cannot\n" },
};

int
help_known(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(cmd, helps[i].cmd))
			return 1;
	return 0;
}

int
help_command(const char *cmd, FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(cmd, helps[i].cmd)) {
			fputs(helps[i].text, f);
			return 0;
		}
	return -1;
}

int
help_asked(int argc, char **argv)
{
	int i;

	/* "-h" only right after the command: raw's values may be anything */
	if (argc > 1 && !strcmp(argv[1], "-h"))
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help"))
			return 1;
	return 0;
}
