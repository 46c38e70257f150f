/* runbook.h -- the runbook as one table. A row per step says how the
 * step is shown (checklist, state, status), when it may act on a domain
 * (gate), what it does (act), how the change is confirmed (check) and
 * undone (undo). migrate, tick, status, the command line and the report
 * all read this table; adding a step, or changing a gate, is one row and
 * its functions. doc/architecture.md draws it. */
#ifndef MC_RUNBOOK_H
#define MC_RUNBOOK_H

#include <time.h>

#include "jkey.h"
#include "step.h"

struct engine;
struct dom;
struct undo;

/* flags of a row */
#define STEP_PANEL	0x01	/* reads the source panel (zone_read) first */
#define STEP_MIGRATE	0x02	/* migrate and tick run it, in table order */
#define STEP_QUIET	0x04	/* tick runs it only inside quiet_hours */
#define STEP_STARTED	0x08	/* as its own command, a domain that never
				   started gets plan's outcome instead */

struct step {
	enum step_id	 id;
	const char	*label;		/* the checklist line; NULL: none */
	enum jkey	 mark;		/* stamped when done; JK__MAX: none */
	const char	*state;		/* the domain's state once marked */
	const char	*waiting;	/* status: waiting for this step */
	const char	*unknown;	/* ... while its gate is not known */
	/* when the step opens for d: 0 or a past time open, a later time
	   closed until then, (time_t)-1 not known yet; NULL: no gate */
	time_t		(*gate)(const struct engine *, const struct dom *);
	/* status: whether the step applies to d at all; NULL: always */
	int		(*applies)(const struct dom *);
	/* change what the step changes, for every active domain the gate
	   lets through (batched); NULL: nothing to change */
	void		(*act)(struct engine *);
	/* confirm the change (DNS, a read-back) and stamp the mark; own is
	   0 when a later step re-asks it (see needs) */
	void		(*check)(struct engine *, int own);
	/* rollback: put back what the step changed (walked in reverse) */
	void		(*undo)(struct engine *, struct undo *);
	/* a step whose check is asked again first, for the domains still
	   waiting for it (at most once per run); STEP__MAX: none */
	enum step_id	 needs;
	unsigned	 flags;
	/* tick outside quiet_hours: what a domain without the mark is told
	   (NULL: nothing, it keeps what the previous step said) */
	const char	*quiet;
	/* status: what d waits for at this step, in words (NULL: waiting
	   or unknown above) */
	void		(*why)(const struct engine *, const struct dom *,
			    char *, size_t);
};

extern const struct step runbook[STEP__MAX];

/*
 * Run e->cmd over e's domains: one step (e->step), or migrate (every
 * STEP_MIGRATE row in order, a second pass when the switch gate opened
 * meanwhile), tick (migrate for the domains in progress, quiet hours
 * honoured), or status and list (each domain's next step from the
 * table, nothing asked).
 */
void	runbook_run(struct engine *);

/*
 * A domain's state, derived from its journal's marks (the latest row
 * marked, with rolling_back, rolled_back, planned and new around them);
 * "unknown" when its journal could not be read.
 */
const char *runbook_state(const struct dom *);

#endif
