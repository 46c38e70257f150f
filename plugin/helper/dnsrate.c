/* dnsrate.c -- the per-server pacing of every DNS message the process
 * sends (dnsrate.h says how). */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsrate.h"

struct rslot {
	uint8_t		 key[19];	/* family, port, address */
	uint8_t		 used;
	long long	 last_us;	/* the last message, or -1 */
	unsigned long	 sent;
	long long	 sec;		/* the second counted in nsec */
	unsigned long	 nsec, peak;
};

static struct {
	unsigned long	 rate;
	long long	 gap_us;	/* 1/rate s plus 1 % */
	struct rslot	*tab;		/* open addressing */
	size_t		 cap, n;
} R = { DNSRATE_DEFAULT, (1000000LL * 101 + DNSRATE_DEFAULT * 100 - 1) /
    (DNSRATE_DEFAULT * 100), NULL, 0, 0 };

void
dnsrate_set(unsigned long per_s)
{
	if (per_s > DNSRATE_MAX)
		per_s = DNSRATE_MAX;
	R.rate = per_s;
	/* rounded up: k messages at least gap apart never fit in 1 s when
	   k > rate */
	R.gap_us = per_s ? (long long)((1000000ULL * 101 + per_s * 100 - 1) /
	    (per_s * 100)) : 0;
}

unsigned long
dnsrate_get(void)
{
	return R.rate;
}

static int
key_of(const struct sockaddr *sa, socklen_t len, uint8_t key[19])
{
	memset(key, 0, 19);
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;
		key[0] = 4;
		memcpy(key + 1, &in->sin_port, 2);
		memcpy(key + 3, &in->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		key[0] = 6;
		memcpy(key + 1, &in6->sin6_port, 2);
		memcpy(key + 3, &in6->sin6_addr, 16);
		return 1;
	}
	return 0;
}

static size_t
hash_of(const uint8_t key[19])
{
	size_t h = 2166136261u, i;

	for (i = 0; i < 19; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* the slot of key in tab (cap a power of two), or an empty one */
static size_t
probe_at(const struct rslot *tab, size_t cap, const uint8_t key[19])
{
	size_t i = hash_of(key) & (cap - 1);

	while (tab[i].used && memcmp(tab[i].key, key, 19) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int
table_grow(void)
{
	size_t cap = R.cap ? R.cap * 2 : 16, i, k;
	struct rslot *t = calloc(cap, sizeof(*t));

	if (t == NULL)
		return 0;
	for (i = 0; i < R.cap; i++)
		if (R.tab[i].used) {
			k = probe_at(t, cap, R.tab[i].key);
			t[k] = R.tab[i];
		}
	free(R.tab);
	R.tab = t;
	R.cap = cap;
	return 1;
}

long
dnsrate_slot(const struct sockaddr *sa, socklen_t len)
{
	uint8_t key[19];
	size_t i;

	if (!key_of(sa, len, key))
		return -1;
	if (R.cap == 0 && !table_grow())
		return -1;
	i = probe_at(R.tab, R.cap, key);
	if (R.tab[i].used)
		return (long)i;
	if ((R.n + 1) * 2 > R.cap) {
		if (!table_grow())
			return -1;
		i = probe_at(R.tab, R.cap, key);
	}
	memcpy(R.tab[i].key, key, 19);
	R.tab[i].used = 1;
	R.tab[i].last_us = -1;
	R.tab[i].sec = -1;
	R.n++;
	return (long)i;
}

long long
dnsrate_wait(long slot, long long now_us)
{
	const struct rslot *s;

	if (slot < 0 || (size_t)slot >= R.cap || R.rate == 0)
		return 0;
	s = &R.tab[slot];
	if (s->last_us < 0 || now_us - s->last_us >= R.gap_us)
		return 0;
	return R.gap_us - (now_us - s->last_us);
}

void
dnsrate_sent(long slot, long long now_us)
{
	struct rslot *s;

	if (slot < 0 || (size_t)slot >= R.cap)
		return;
	s = &R.tab[slot];
	s->last_us = now_us;
	s->sent++;
	if (s->sec != now_us / 1000000) {
		s->sec = now_us / 1000000;
		s->nsec = 0;
	}
	if (++s->nsec > s->peak)
		s->peak = s->nsec;
}

int
dnsrate_stat_get(const struct sockaddr *sa, socklen_t len,
    struct dnsrate_stat *st)
{
	uint8_t key[19];
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!key_of(sa, len, key) || R.cap == 0)
		return 0;
	i = probe_at(R.tab, R.cap, key);
	if (!R.tab[i].used)
		return 0;
	st->sent = R.tab[i].sent;
	st->peak = R.tab[i].peak;
	return 1;
}

void
dnsrate_reset(void)
{
	free(R.tab);
	R.tab = NULL;
	R.cap = R.n = 0;
}
