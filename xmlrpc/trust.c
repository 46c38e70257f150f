/* trust.c -- find the system's CA bundle among the distributions' places. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

const char *const trust_paths[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Gentoo */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* RHEL, Alma, Rocky, CloudLinux */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ */
	"/etc/ssl/ca-bundle.pem",		/* openSUSE, SLES */
	"/var/lib/ca-certificates/ca-bundle.pem", /* SUSE (generated) */
	"/etc/ssl/cert.pem",			/* Alpine, Arch */
	NULL
};

/* A regular file (through symlinks) that root can open for reading. */
static int
readable_file(const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

const char *
trust_store(void)
{
	size_t i;

	for (i = 0; trust_paths[i] != NULL; i++)
		if (readable_file(trust_paths[i]))
			return trust_paths[i];
	return NULL;
}

void
trust_paths_text(char *out, size_t len)
{
	size_t i, off = 0;
	int n;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; trust_paths[i] != NULL && off < len; i++) {
		n = snprintf(out + off, len - off, "%s%s", i ? ", " : "",
		    trust_paths[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}
