/* engine.c -- the run's clock (engine.h says why there is only one) and
 * the domains a step acted on. */
#include <stdlib.h>

#include "dom.h"
#include "engine.h"

time_t
engine_tick(struct engine *e)
{
	time_t t = time(NULL);

	if (t > e->now)
		e->now = t;
	return e->now;
}

void
engine_act_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		e->doms[i].acted = 0;
}

struct dom **
engine_acted(struct engine *e, size_t *n)
{
	struct dom **list;
	size_t i;

	*n = 0;
	if ((list = calloc(e->n + 1, sizeof(*list))) == NULL)
		return NULL;
	for (i = 0; i < e->n; i++)
		if (e->doms[i].acted)
			list[(*n)++] = &e->doms[i];
	return list;
}
