/* gate.h -- the runbook's waits: when a step may act on a domain. Each
 * gate is one function here; status, the steps and migrate ask it. */
#ifndef MC_GATE_H
#define MC_GATE_H

#include <time.h>

struct engine;
struct dom;

/*
 * When the switch (runbook 1) may run: (time_t)-1 while not every name
 * server is known to serve the lowered TTL, else the time it opens.
 */
time_t	gate_switch(const struct engine *, const struct dom *);

/*
 * When old mail may be disabled (runbook 3): the time gate and the quiet
 * gate (gate.c says how they count); -1 before the sync and when
 * quiet_max ended the wait (the operator confirms, or quiet_force).
 */
time_t	gate_disable(const struct engine *, const struct dom *);

/* The quiet gate of one domain, as its journal tells it. */
enum quiet_state {
	QUIET_NONE,		/* not at step 3: not synced, disabled, or
				   not its own mail */
	QUIET_OFF,		/* quiet_gate = off (test beds): time only */
	QUIET_TIME,		/* the time gate has not passed */
	QUIET_RECEIVING,	/* mailbox usage changed within the window */
	QUIET_WAIT,		/* unchanged so far; the window runs */
	QUIET_CAPPED,		/* quiet_max passed while still receiving */
	QUIET_OPEN		/* quiet for the window, confirmed by a
				   reading */
};

struct quiet_view {
	enum quiet_state state;
	int		 live;		/* usage figures taken as fresh */
	const char	*why;		/* ... and why (static text) */
	unsigned long	 window;	/* quiet_window in seconds */
	time_t		 last_growth;	/* reading that last showed a
					   change; 0 none */
	time_t		 last_reading;	/* 0 none */
	time_t		 time_at;	/* the time gate */
	time_t		 opens_at;	/* the whole gate, if it stays quiet */
	time_t		 cap_at;	/* sync.done + quiet_max */
	time_t		 capped;	/* when the cap was acted on; 0 */
};

void	gate_quiet_view(const struct engine *, const struct dom *,
	    struct quiet_view *);
/* "receiving", "quiet", ... (the JSON's quiet.state) */
const char *quiet_state_name(enum quiet_state);
/* "old server still receiving mail: last growth at 13:47 UTC, gate opens
 * at 14:02 UTC (in 14m10s)" and the like */
void	gate_quiet_say(const struct engine *, const struct quiet_view *,
	    char *, size_t);
/* quiet_window, or max(min_wait, TTL) when it is not set */
unsigned long gate_quiet_window(const struct engine *, const struct dom *);
/* 1 when the domain's mailbox usage is taken as fresh (usage_signal,
 * and for auto what was seen); *why says why, or why not */
int	gate_usage_live(const struct engine *, const struct dom *,
	    const char **why);

/* 1 inside the configured quiet-hours window (or when there is none):
 * tick switches and disables only then. */
int	gate_quiet(const struct engine *);

/* Seconds from the run's clock to `at`, 0 when it has passed. */
long	gate_left(const struct engine *, time_t at);

/* "1h05m", "4m10s", "35s" */
void	gate_human(long seconds, char *, size_t);

#endif
