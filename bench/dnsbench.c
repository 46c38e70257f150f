/* dnsbench.c -- the DNS part of the benchmark: the helper's own dnsprobe_run
 * over N domains x 3 names x every authoritative server, all at once.
 * usage: dnsbench FILE   (FILE: one "SERVER NAME" per line, type A)
 * prints one JSON line: {"queries","answered","wall_s","qps","sent","retries"} */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsprobe.h"
#include "dnsrate.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct dnsprobe_stats before, after;
	struct mc_err err = { 0 };
	struct dnsq *q = NULL;
	size_t n = 0, cap = 0, i, ok = 0;
	char srv[64], name[256];
	FILE *f;
	double t0, el;

	if (argc != 2 || (f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: dnsbench FILE\n");
		return 2;
	}
	while (fscanf(f, "%63s %255s", srv, name) == 2) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((q = realloc(q, cap * sizeof(*q))) == NULL)
				return 1;
		}
		memset(&q[n], 0, sizeof(q[n]));
		snprintf(q[n].server, sizeof(q[n].server), "%s", srv);
		snprintf(q[n].name, sizeof(q[n].name), "%s", name);
		q[n].type = LDNS_RR_TYPE_A;
		n++;
	}
	fclose(f);
	/* dnsprobe's own speed: no per-server cap here (the helper has one,
	   [cutover] dns_rate) */
	dnsrate_set(0);
	dnsprobe_stats_get(&before);
	t0 = now_s();
	if (dnsprobe_run(q, n, NULL, &err) != MC_OK) {
		fprintf(stderr, "dnsbench: %s\n", err.msg);
		return 1;
	}
	el = now_s() - t0;
	dnsprobe_stats_get(&after);
	for (i = 0; i < n; i++)
		ok += q[i].result == MC_OK && q[i].rcode == LDNS_RCODE_NOERROR &&
		    q[i].nanswers > 0;
	printf("{\"queries\": %zu, \"answered\": %zu, \"wall_s\": %.6f, "
	    "\"qps\": %.1f, \"sent\": %lu, \"retries\": %lu}\n", n, ok, el,
	    el > 0 ? (double)n / el : 0.0, after.sent - before.sent,
	    after.retries - before.retries);
	dnsq_free_all(q, n);
	free(q);
	return ok == n ? 0 : 1;
}
