/* listing.h -- list and status a page at a time, for the extension's
 * domain list over thousands of domains: filtered, sorted, counted by
 * state, and only the page's domains written out. */
#ifndef MC_LISTING_H
#define MC_LISTING_H

struct engine;

#define LISTING_PER_PAGE_MAX	1000

/* the states in the list's order (sort=state), NULL-terminated */
extern const char *const listing_states[];

/*
 * e->list says which page: domains whose name or display form contains
 * filter (ASCII, case-insensitively) and, with state, are in it; sorted
 * by domain, state (listing_states order), next (when the next step is
 * possible; none first) or result (as domain), each then by domain,
 * descending with desc. JSON: the head of every report, then "total"
 * (after the filters), "page" (at most "pages"), "pages", "per_page",
 * "counts" (domains per state, over all, before the filters) and
 * "domains": the page's domains in report_print's form. Text: one line
 * "page N of P (T domains)", then the page's domains.
 */
void	listing_print(const struct engine *);

#endif
