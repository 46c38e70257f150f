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

/* When old mail may be disabled (runbook 3); -1 before the sync. */
time_t	gate_disable(const struct engine *, const struct dom *);

/* 1 inside the configured quiet-hours window (or when there is none):
 * tick switches and disables only then. */
int	gate_quiet(const struct engine *);

/* Seconds from the run's clock to `at`, 0 when it has passed. */
long	gate_left(const struct engine *, time_t at);

/* "1h05m", "4m10s", "35s" */
void	gate_human(long seconds, char *, size_t);

#endif
