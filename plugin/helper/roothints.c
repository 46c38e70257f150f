/* roothints.c -- the root servers' addresses the walk starts from. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "roothints.h"
#include "valid.h"

/* a.root-servers.net .. m.root-servers.net (IANA named.root, 2023-11) */
static const char *const builtin[] = {
	"198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13",
	"192.203.230.10", "192.5.5.241", "192.112.36.4", "198.97.190.53",
	"192.36.148.17", "192.58.128.30", "193.0.14.129", "199.7.83.42",
	"202.12.27.33",
};

static void
hint_add(struct roothints *h, const char *addr)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->addr[i], addr) == 0)
			return;
	if (h->n < ROOTHINTS_MAX)
		snprintf(h->addr[h->n++], sizeof(h->addr[0]), "%s", addr);
}

/* the A records of the file, then its AAAA records */
static enum mc_result
from_file(const char *path, struct roothints *h, struct mc_err *err)
{
	ldns_rr *rr;
	ldns_status st;
	FILE *f;
	char *a;
	int line = 1, pass;
	uint32_t ttl = 3600000;
	ldns_rdf *origin = NULL, *prev = NULL;

	if ((f = fopen(path, "re")) == NULL)
		return mc_err_set(err, MC_E_CONFIG, "root_hints %s: %s", path,
		    strerror(errno));
	for (pass = 0; pass < 2; pass++) {
		rewind(f);
		line = 1;
		while (!feof(f)) {
			rr = NULL;
			st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev,
			    &line);
			if (st == LDNS_STATUS_SYNTAX_EMPTY ||
			    st == LDNS_STATUS_SYNTAX_TTL ||
			    st == LDNS_STATUS_SYNTAX_ORIGIN)
				continue;
			if (st != LDNS_STATUS_OK) {
				if (feof(f))
					break;
				fclose(f);
				ldns_rdf_deep_free(origin);
				ldns_rdf_deep_free(prev);
				return mc_err_set(err, MC_E_CONFIG, "root_hints "
				    "%s:%d: %s", path, line,
				    ldns_get_errorstr_by_id(st));
			}
			if (ldns_rr_get_type(rr) == (pass ? LDNS_RR_TYPE_AAAA :
			    LDNS_RR_TYPE_A) && ldns_rr_rd_count(rr) == 1 &&
			    (a = ldns_rdf2str(ldns_rr_rdf(rr, 0))) != NULL) {
				if (valid_ip(a))
					hint_add(h, a);
				free(a);
			}
			ldns_rr_free(rr);
		}
	}
	fclose(f);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (h->n == 0)
		return mc_err_set(err, MC_E_CONFIG, "root_hints %s: no A or "
		    "AAAA record of a root server", path);
	return MC_OK;
}

enum mc_result
roothints_load(const struct cutover_conf *cc, struct roothints *h,
    struct mc_err *err)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	if (cc->nroot_hints == 0) {
		for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
			hint_add(h, builtin[i]);
		h->builtin = 1;
		return MC_OK;
	}
	if (cc->root_hints[0][0] == '/')
		return from_file(cc->root_hints[0], h, err);
	for (i = 0; i < cc->nroot_hints; i++)
		hint_add(h, cc->root_hints[i]);
	return MC_OK;
}
