/* dnsrate.h -- the per-server cap on DNS questions per second, for the
 * whole process: every message dnsprobe sends to a server (questions,
 * retries, TCP fallbacks, NOTIFY) is paced through it, whichever step
 * or check asks. */
#ifndef MC_DNSRATE_H
#define MC_DNSRATE_H

#include <sys/socket.h>

#include <stddef.h>

#define DNSRATE_DEFAULT	50	/* [cutover] dns_rate */
#define DNSRATE_MAX	100000

/*
 * Design. Messages to one server (address and port) are paced: the next
 * may leave 1/rate seconds (plus 1 %) after the previous one did, so no
 * window of one second ever holds more than `rate` of them, and there
 * are no bursts (a server's response rate limiting counts per second).
 * The slots live for the whole process: the cap counts across every
 * step and every dnsprobe_run of a run.
 */

/* Set the cap (messages per second per server); 0 lifts it. */
void		 dnsrate_set(unsigned long per_s);
unsigned long	 dnsrate_get(void);

/* The slot of a server, made on first use; -1 when out of memory. */
long		 dnsrate_slot(const struct sockaddr *, socklen_t);

/* Microseconds until slot may send (0: now); now_us CLOCK_MONOTONIC. */
long long	 dnsrate_wait(long slot, long long now_us);

/* One message left for slot at now_us. */
void		 dnsrate_sent(long slot, long long now_us);

/* What was sent to one server (for the tests and the benchmark). */
struct dnsrate_stat {
	unsigned long	 sent;		/* messages */
	unsigned long	 peak;		/* most in one window of 1 s */
};

/* The figures of the server of sa; 0 when it was never sent to. */
int		 dnsrate_stat_get(const struct sockaddr *, socklen_t,
		    struct dnsrate_stat *);

/* Forget every server (tests). */
void		 dnsrate_reset(void);

#endif
