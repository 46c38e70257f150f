/* dnscount.c -- LD_PRELOAD shim for the benchmark: counts the DNS messages a
 * process sends (UDP datagrams to port 53, also on sockets connect()ed to
 * port 53, and TCP connections to port 53)
 * and the wall time spent inside curl_easy_perform (waiting for the panel),
 * and appends "UDP TCP PANEL_SECONDS" to $DNSCOUNT_FILE at exit, then one
 * line per server the UDP messages went to (sendto with an address):
 * "server IP SENT PEAK FIRST_S LAST_S", PEAK the most sent to it within
 * any window of one second, FIRST_S/LAST_S its first and last message
 * (CLOCK_MONOTONIC seconds). Measurement only. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_ulong udp_sent, tcp_conn;
static double panel_s;

/* per server: the last RING send times, for the peak of any 1-s window */
#define SERVERS	64
#define RING	8192
static struct server {
	struct in_addr	 addr;
	unsigned long	 sent, peak;
	double		 first, last;
	double		*ring;		/* send times, RING of them */
	size_t		 head, tail;	/* ring[tail..head) within 1 s */
} servers[SERVERS];
static size_t nservers;


static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the helper's one libcurl entry point that waits for the panel */
int curl_easy_perform(void *);
int
curl_easy_perform(void *h)
{
	static int (*real)(void *);
	double t0;
	int rc;

	if (real == NULL)
		real = (int (*)(void *))dlsym(RTLD_NEXT, "curl_easy_perform");
	t0 = mono();
	rc = real(h);
	panel_s += mono() - t0;
	return rc;
}

static int
is_dns(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port) == 53;
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port) == 53;
	return 0;
}

/* one message to sa at now (single-threaded helper: no lock needed) */
static void
per_server(const struct sockaddr *sa)
{
	const struct sockaddr_in *in = (const void *)sa;
	struct server *v = NULL;
	double now = mono();
	size_t i;

	if (sa == NULL || sa->sa_family != AF_INET)
		return;
	for (i = 0; i < nservers; i++)
		if (servers[i].addr.s_addr == in->sin_addr.s_addr)
			v = &servers[i];
	if (v == NULL) {
		if (nservers == SERVERS)
			return;
		v = &servers[nservers];
		if ((v->ring = calloc(RING, sizeof(double))) == NULL)
			return;
		nservers++;
		v->addr = in->sin_addr;
		v->first = now;
	}
	v->sent++;
	v->last = now;
	v->ring[v->head++ % RING] = now;
	if (v->head - v->tail > RING)
		v->tail = v->head - RING;
	while (v->ring[v->tail % RING] <= now - 1.0)
		v->tail++;
	if (v->head - v->tail > v->peak)
		v->peak = v->head - v->tail;
}

/* UDP sockets connect()ed to port 53 (dig, through libuv, connects and
 * then uses sendmmsg with no address): every message sent on them counts */
#define DNS_FD_MAX 65536
static unsigned char dns_fd[DNS_FD_MAX / 8];

static void
fd_mark(int fd, int on)
{
	if (fd < 0 || fd >= DNS_FD_MAX)
		return;
	if (on)
		dns_fd[fd / 8] |= (unsigned char)(1u << (fd % 8));
	else
		dns_fd[fd / 8] &= (unsigned char)~(1u << (fd % 8));
}

static int
fd_dns(int fd)
{
	return fd >= 0 && fd < DNS_FD_MAX &&
	    (dns_fd[fd / 8] & (1u << (fd % 8))) != 0;
}

static int
msg_dns(int fd, const struct msghdr *m)
{
	return m->msg_name != NULL ? is_dns(m->msg_name) : fd_dns(fd);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int,
	    const struct sockaddr *, socklen_t);
	ssize_t rc;

	if (real == NULL)
		real = dlsym(RTLD_NEXT, "sendto");
	rc = real(fd, buf, len, flags, to, tolen);
	if (rc >= 0 && (to != NULL ? is_dns(to) : fd_dns(fd)))
		atomic_fetch_add(&udp_sent, 1);
	if (rc >= 0 && to != NULL && is_dns(to))
		per_server(to);
	return rc;
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	ssize_t rc;

	if (real == NULL)
		real = dlsym(RTLD_NEXT, "send");
	rc = real(fd, buf, len, flags);
	if (rc >= 0 && fd_dns(fd))
		atomic_fetch_add(&udp_sent, 1);
	return rc;
}

ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	ssize_t rc;

	if (real == NULL)
		real = dlsym(RTLD_NEXT, "sendmsg");
	rc = real(fd, m, flags);
	if (rc >= 0 && msg_dns(fd, m))
		atomic_fetch_add(&udp_sent, 1);
	return rc;
}

int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	static int (*real)(int, struct mmsghdr *, unsigned int, int);
	int rc, i;

	if (real == NULL)
		real = dlsym(RTLD_NEXT, "sendmmsg");
	rc = real(fd, v, n, flags);
	for (i = 0; i < rc; i++)
		if (msg_dns(fd, &v[i].msg_hdr))
			atomic_fetch_add(&udp_sent, 1);
	return rc;
}

/* libuv (dig) calls sendmmsg and close through syscall(2) */
long
syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6], rc;
	va_list ap;
	int i;

	if (real == NULL)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_close)
		fd_mark((int)a[0], 0);
	rc = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_sendmmsg)
		for (i = 0; i < rc; i++)
			if (msg_dns((int)a[0],
			    &((struct mmsghdr *)a[1])[i].msg_hdr))
				atomic_fetch_add(&udp_sent, 1);
	if (nr == SYS_sendmsg && rc >= 0 &&
	    msg_dns((int)a[0], (const struct msghdr *)a[1]))
		atomic_fetch_add(&udp_sent, 1);
	return rc;
}

int
close(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = dlsym(RTLD_NEXT, "close");
	fd_mark(fd, 0);
	return real(fd);
}

int
connect(int fd, const struct sockaddr *to, socklen_t tolen)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	int type = 0;
	socklen_t tl = sizeof(type);
	if (real == NULL)
		real = dlsym(RTLD_NEXT, "connect");
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0)
		type = 0;
	if (is_dns(to) && type == SOCK_STREAM)
		atomic_fetch_add(&tcp_conn, 1);
	fd_mark(fd, is_dns(to) && type == SOCK_DGRAM);
	return real(fd, to, tolen);
}

__attribute__((destructor)) static void
report(void)
{
	const char *p = getenv("DNSCOUNT_FILE");
	char ip[INET_ADDRSTRLEN];
	size_t i;
	FILE *f;

	if (p == NULL || (f = fopen(p, "a")) == NULL)
		return;
	fprintf(f, "%lu %lu %.6f\n", (unsigned long)udp_sent,
	    (unsigned long)tcp_conn, panel_s);
	for (i = 0; i < nservers; i++)
		if (inet_ntop(AF_INET, &servers[i].addr, ip, sizeof(ip)))
			fprintf(f, "server %s %lu %lu %.6f %.6f\n", ip,
			    servers[i].sent, servers[i].peak, servers[i].first,
			    servers[i].last);
	fclose(f);
}
