/* step.c -- the names of the runbook's steps. */
#include <string.h>

#include "step.h"

static const char *const names[STEP__MAX] = {
	[STEP_PLAN] = "plan",
	[STEP_PREPARE] = "prepare",
	[STEP_SWITCH] = "switch",
	[STEP_SYNC] = "sync",
	[STEP_DISABLE] = "disable-old-mail",
	[STEP_VERIFY] = "verify",
	[STEP_FINISH] = "finish",
	[STEP_ROLLBACK] = "rollback",
};

const char *
step_name(enum step_id s)
{
	return (unsigned)s < STEP__MAX ? names[s] : NULL;
}

enum step_id
step_by_name(const char *name)
{
	unsigned i;

	for (i = 0; i < STEP__MAX; i++)
		if (!strcmp(name, names[i]))
			return (enum step_id)i;
	return STEP__MAX;
}
