/* engine.h -- one run of the helper over its domains: what every layer
 * below the command line shares (the configuration, the panels, the
 * domains, the options) and the run's one clock. */
#ifndef MC_ENGINE_H
#define MC_ENGINE_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "owner.h"
#include "plesk.h"
#include "step.h"

struct dom;

struct engine {
	const struct config	*conf;
	const struct cutover_conf *cc;		/* &conf->cutover */
	const char		*cmd;		/* the command as typed */
	enum step_id		 step;		/* its step; STEP__MAX for
						   migrate, tick, status,
						   list */
	struct plesk		*src;		/* source panel, opened once
						   (zone_source) */
	struct plesk		*tgt;		/* target panel, or NULL */
	struct dom		*doms;		/* the domains of this run */
	size_t			 n;
	time_t			 now;		/* the clock: engine_tick */
	int			 json;
	int			 force;		/* --force */
	int			 confirm_registrar; /* --confirm-registrar */
	const char		*new_ip;	/* --new-ip */
	const char		*new_ip6;	/* --new-ip6 */
	const char		*old_ip[OWN_MAX_ADDRS];	/* --old-ip ... */
	size_t			 nold_ip;
	int			 drop_aaaa;	/* --drop-aaaa */
	const char		*new_ns[CONFIG_MAX_NEW_NS]; /* --new-ns ... */
	size_t			 nnew_ns;
	int			 targets_read;	/* target panel asked */
	int			 panel_failed;	/* the exit code (4, 2) */
	char			 panel_msg[512];
};

/*
 * The run's one clock. e->now is read when the run starts and again by
 * engine_tick(): before each step of the runbook and whenever an event
 * is stamped into a journal (dom_stamp). Gates and countdowns compare
 * with e->now; every journal time stamp is the moment its event
 * happened, so a sync that waited five minutes for a secondary stamps
 * sync.done when the last server agreed, not when the run began (the
 * disable gate counts from there). A stamp moves e->now forward too, so
 * a gate computed from a stamp of this run is never compared with an
 * earlier reading. The clock never goes back within a run. The tests
 * move it with libfaketime; the product has no clock override.
 * Returns the new e->now.
 */
time_t	engine_tick(struct engine *);

/* A step's act lists the domains it changed (d->acted) for its check:
 * engine_act_clear forgets the previous step's list; engine_acted
 * returns this one's (calloc'd, *n set; NULL when out of memory). */
void		 engine_act_clear(struct engine *);
struct dom	**engine_acted(struct engine *, size_t *n);

#endif
