/* registrar.h -- runbook 5: the name servers changed at the registrar,
 * checked at every server of the parent zone (delegation.h) against the
 * ones expected (newns.h), or confirmed by the operator where the parent
 * cannot be asked; what the last check saw, for the report. */
#ifndef MC_REGISTRAR_H
#define MC_REGISTRAR_H

#include <stddef.h>

struct engine;
struct dom;
struct json;

/*
 * For each of ds[0..n) (verified domains, at most once per run): through[i]
 * 1 when step 5 is done -- before, or now: every parent server lists
 * exactly the expected name servers (registrar.how parent), the operator
 * confirms it where the parent cannot be asked or no expected set is
 * known (--confirm-registrar, audited: operator), or the old server was
 * not the primary DNS and no --new-ns asks for the check (manual) --
 * and registrar.done stamped. Otherwise 0 and the domain waits for
 * finish, its message and notes saying what the parent serves and what
 * it should. One round of questions for all the domains; each check is
 * journaled (parent.*).
 */
void	registrar_run(struct engine *, struct dom **ds, size_t n,
	    int *through);

/* The domain's "delegation" object of the JSON report (its journal). */
void	registrar_json(const struct dom *, struct json *);

/* The same for people: a few indented lines (status, list). */
void	registrar_text(const struct dom *);

#endif
