/* dnscount.c -- LD_PRELOAD shim for the benchmark: counts the DNS messages a
 * process sends (UDP datagrams to port 53 and TCP connections to port 53)
 * and the wall time spent inside curl_easy_perform (waiting for the panel),
 * and appends "UDP TCP PANEL_SECONDS" to $DNSCOUNT_FILE at exit.
 * Measurement only. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_ulong udp_sent, tcp_conn;
static double panel_s;

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

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int,
	    const struct sockaddr *, socklen_t);
	if (real == NULL)
		real = dlsym(RTLD_NEXT, "sendto");
	if (is_dns(to))
		atomic_fetch_add(&udp_sent, 1);
	return real(fd, buf, len, flags, to, tolen);
}

int
connect(int fd, const struct sockaddr *to, socklen_t tolen)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	int type = 0;
	socklen_t tl = sizeof(type);
	if (real == NULL)
		real = dlsym(RTLD_NEXT, "connect");
	if (is_dns(to) && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0
	    && type == SOCK_STREAM)
		atomic_fetch_add(&tcp_conn, 1);
	return real(fd, to, tolen);
}

__attribute__((destructor)) static void
report(void)
{
	const char *p = getenv("DNSCOUNT_FILE");
	FILE *f;

	if (p == NULL || (f = fopen(p, "a")) == NULL)
		return;
	fprintf(f, "%lu %lu %.6f\n", (unsigned long)udp_sent,
	    (unsigned long)tcp_conn, panel_s);
	fclose(f);
}
