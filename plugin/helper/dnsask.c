/* dnsask.c -- one question to the preflight's resolver. */
#include <stdio.h>
#include <string.h>

#include "dnsask.h"

void
dnsask_init(struct dnsask *c, const struct cutover_conf *cc)
{
	memset(c, 0, sizeof(*c));
	c->o.timeout_ms = (int)cc->dns_timeout_ms;
	c->o.tries = 2;
	if (cc->resolver) {
		c->server = cc->resolver;
		c->port = 53;
		c->o.rd = 1;
		c->how = "resolver";
	} else {
		c->server = cc->primary_dns;
		c->port = (unsigned)cc->dns_port;
		c->how = "primary name server";
	}
}

int
dnsask_one(const struct dnsask *c, struct dnsq *q, const char *name, int type)
{
	struct mc_err err = { 0 };

	memset(q, 0, sizeof(*q));
	if (c->server == NULL)
		return -1;
	snprintf(q->server, sizeof(q->server), "%s", c->server);
	q->port = c->port;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	if (dnsprobe_run(q, 1, &c->o, &err) != MC_OK || q->result != MC_OK)
		return -1;
	return q->rcode;
}
