/* listing.c -- list and status a page at a time: filter, sort, counts,
 * one page of the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dom.h"
#include "engine.h"
#include "json.h"
#include "listing.h"
#include "report.h"
#include "runbook.h"

const char *const listing_states[] = { "new", "planned", "prepared",
    "switched", "synced", "mail_disabled", "verified", "done",
    "rolling_back", "rolled_back", "unknown", NULL };

#define NSTATES	(sizeof(listing_states) / sizeof(listing_states[0]) - 1)

/* one domain of the listing and what it is sorted by */
struct row {
	const struct dom *d;
	unsigned	 rank;		/* of its state */
	long long	 next;		/* next_at, 0 none */
};

static int sort_by;		/* 0 domain, 1 state, 2 next */

static unsigned
state_rank(const char *s)
{
	unsigned k;

	for (k = 0; k < NSTATES; k++)
		if (!strcmp(listing_states[k], s))
			return k;
	return NSTATES;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (sort_by == 1 && x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (sort_by == 2 && x->next != y->next)
		return x->next < y->next ? -1 : 1;
	return strcmp(x->d->name, y->d->name);
}

/* filter: ASCII letters, digits, '.', '-' (command.c checks it) */
static int
matches(const struct dom *d, const struct listq *q)
{
	if (q->filter == NULL || *q->filter == '\0')
		return 1;
	return strcasestr(d->name, q->filter) != NULL ||
	    strcasestr(d->display, q->filter) != NULL;
}

/* the rows that pass the filters, sorted; counts per state of all */
static struct row *
rows_of(const struct engine *e, size_t *nr, unsigned long counts[])
{
	const struct listq *q = &e->list;
	struct row *r = calloc(e->n + 1, sizeof(*r));
	const char *st;
	size_t i;

	*nr = 0;
	if (r == NULL)
		return NULL;
	for (i = 0; i < e->n; i++) {
		const struct dom *d = &e->doms[i];
		st = runbook_state(d);
		counts[state_rank(st)]++;
		if ((q->state != NULL && strcmp(q->state, st) != 0) ||
		    !matches(d, q))
			continue;
		r[*nr].d = d;
		r[*nr].rank = state_rank(st);
		r[(*nr)++].next = (long long)d->next_at;
	}
	sort_by = q->sort == NULL ? 0 : !strcmp(q->sort, "state") ? 1 :
	    !strcmp(q->sort, "next") ? 2 : 0;
	qsort(r, *nr, sizeof(*r), row_cmp);
	return r;
}

void
listing_print(const struct engine *e)
{
	const struct listq *q = &e->list;
	unsigned long counts[NSTATES + 1] = { 0 }, pages, page;
	struct row *r;
	struct json j;
	size_t nr, i, k, from, to;

	if ((r = rows_of(e, &nr, counts)) == NULL) {
		fprintf(stderr, "mailcutover: out of memory\n");
		return;
	}
	pages = nr == 0 ? 1 : (unsigned long)((nr + q->per_page - 1) /
	    q->per_page);
	page = q->page < 1 ? 1 : q->page > pages ? pages : q->page;
	from = (size_t)((page - 1) * q->per_page);
	to = from + q->per_page < nr ? from + q->per_page : nr;
	if (!e->json) {
		printf("page %lu of %lu (%zu domains)\n", page, pages, nr);
		for (i = from; i < to; i++)
			report_text_domain(e, r[q->desc ? nr - 1 - i : i].d);
		free(r);
		return;
	}
	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	report_json_head(e, &j);
	json_num(&j, "total", (long long)nr);
	json_num(&j, "page", (long long)page);
	json_num(&j, "pages", (long long)pages);
	json_num(&j, "per_page", (long long)q->per_page);
	json_obj_open(&j, "counts");
	for (k = 0; k < NSTATES; k++)
		if (counts[k] > 0)
			json_num(&j, listing_states[k], (long long)counts[k]);
	json_obj_close(&j);
	json_arr_open(&j, "domains");
	for (i = from; i < to; i++)
		report_json_domain(e, r[q->desc ? nr - 1 - i : i].d, &j);
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
	free(r);
}
