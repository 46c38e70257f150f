/* audit.c -- the append-only audit log: one sanitized line per action. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

#define AUDIT_FILE	"audit.log"

/*
 * Length of the valid, printable UTF-8 sequence at s (n bytes left), or 0
 * if s does not start one. C1 controls (U+0080..U+009F) count as invalid.
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (s[0] == 0xc2)
		lo = 0xa0;		/* no C1 controls */
	else if (s[0] == 0xe0)
		lo = 0xa0;		/* no overlong forms */
	else if (s[0] == 0xed)
		hi = 0x9f;		/* no surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;		/* nothing above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Append field f to o (room for AUDIT_FIELD_MAX bytes) as one printable
 * line without tabs; NULL becomes "-". Returns the bytes written.
 */
static size_t
field_clean(char *o, const char *f)
{
	const unsigned char *s = (const unsigned char *)f;
	size_t n, left, k, w = 0;

	if (f == NULL) {
		o[0] = '-';
		return 1;
	}
	left = strlen(f);
	while (left > 0 && w < AUDIT_FIELD_MAX) {
		if (*s < 0x80) {
			o[w++] = (*s < 0x20 || *s == 0x7f) ? ' ' : (char)*s;
			s++;
			left--;
			continue;
		}
		if ((n = utf8_len(s, left)) == 0) {
			o[w++] = '?';
			s++;
			left--;
			continue;
		}
		if (w + n > AUDIT_FIELD_MAX)
			break;			/* never cut a character */
		for (k = 0; k < n; k++)
			o[w++] = (char)s[k];
		s += n;
		left -= n;
	}
	return w;
}

enum mc_result
audit_append(const char *dir, const char *domain, const char *step,
    const char *old_value, const char *new_value, const char *result_s,
    const char *actor, struct mc_err *err)
{
	const char *f[AUDIT_FIELDS - 1];
	char path[PATH_MAX], ts[32];
	char line[(AUDIT_FIELDS) * (AUDIT_FIELD_MAX + 1) + 1];
	struct stat st;
	struct tm tm;
	time_t now;
	size_t len, i;
	ssize_t w;
	int fd = -1, r;
	enum mc_result result = MC_E_IO;

	r = snprintf(path, sizeof(path), "%s/" AUDIT_FILE, dir);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		result = mc_err_set(err, MC_E_USAGE, "%.200s: path too long",
		    dir);
		goto out;
	}
	now = time(NULL);	/* never cached: tests run under faketime */
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		result = mc_err_set(err, MC_E_IO, "%s: cannot format the time "
		    "%lld", path, (long long)now);
		goto out;
	}
	f[0] = domain;
	f[1] = step;
	f[2] = old_value;
	f[3] = new_value;
	f[4] = result_s;
	f[5] = actor;
	len = strlen(ts);
	memcpy(line, ts, len);
	for (i = 0; i < AUDIT_FIELDS - 1; i++) {
		line[len++] = '\t';
		len += field_clean(line + len, f[i]);
	}
	line[len++] = '\n';

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: %s", path,
		    errno == ELOOP ? "is a symbolic link; refusing it" :
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		result = mc_err_set(err, MC_E_IO, "%s: not a regular file",
		    path);
		goto out;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		result = mc_err_set(err, MC_E_IO, "%s: owned by uid %lu with "
		    "mode %04o; must be owned by root and not group or world "
		    "writable", path, (unsigned long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* one write(2), so that concurrent runs never interleave lines */
	do
		w = write(fd, line, len);
	while (w == -1 && errno == EINTR);
	if (w == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: write: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((size_t)w != len) {
		result = mc_err_set(err, MC_E_IO, "%s: short write (%zd of %zu "
		    "bytes; disk full?)", path, w, len);
		goto out;
	}
	if (fsync(fd) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: fsync: %s", path,
		    strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		result = mc_err_set(err, MC_E_IO, "%s: close: %s", path,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	result = MC_OK;
out:
	if (fd != -1)
		close(fd);
	return result;
}

/* Case-insensitive name compare; one trailing dot on either is ignored. */
static int
domain_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Split line (no newline) at tabs; 1 if exactly AUDIT_FIELDS fields. */
static int
line_split(char *line, const char *fields[AUDIT_FIELDS])
{
	size_t n = 0;
	char *p = line, *tab;

	for (;;) {
		if (n == AUDIT_FIELDS)
			return 0;
		fields[n++] = p;
		if ((tab = strchr(p, '\t')) == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n == AUDIT_FIELDS;
}

enum mc_result
audit_read(const char *dir, const char *domain,
    void (*cb)(void *arg, const char *const fields[7]), void *arg,
    struct mc_err *err)
{
	char path[PATH_MAX];
	char *line = NULL;
	const char *fields[AUDIT_FIELDS];
	FILE *fp = NULL;
	size_t lineno = 0, bad = 0, first_bad = 0, len;
	const char *why = NULL;
	int fd = -1, c, r, ok;
	enum mc_result result = MC_E_IO;

	r = snprintf(path, sizeof(path), "%s/" AUDIT_FILE, dir);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		result = mc_err_set(err, MC_E_USAGE, "%.200s: path too long",
		    dir);
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			result = MC_OK;		/* nothing logged yet */
		else
			result = mc_err_set(err, MC_E_IO, "%s: %s", path,
			    errno == ELOOP ? "is a symbolic link; refusing it" :
			    strerror(errno));
		goto out;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		result = mc_err_set(err, MC_E_IO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if ((line = malloc(AUDIT_LINE_MAX + 2)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while (fgets(line, AUDIT_LINE_MAX + 2, fp) != NULL) {
		lineno++;
		len = strlen(line);
		ok = 1;
		if (len == 0 || line[len - 1] != '\n') {
			ok = 0;
			if (feof(fp) || len < AUDIT_LINE_MAX + 1) {
				if (first_bad == 0)
					why = "incomplete last line or NUL byte";
			} else {
				/* overlong: skip the rest of it */
				while ((c = getc(fp)) != EOF && c != '\n')
					;
				if (first_bad == 0)
					why = "line too long";
			}
		} else {
			line[len - 1] = '\0';
			if (!line_split(line, fields)) {
				ok = 0;
				if (first_bad == 0)
					why = "not 7 tab-separated fields";
			}
		}
		if (!ok) {
			if (first_bad == 0)
				first_bad = lineno;
			bad++;
			continue;
		}
		if (domain == NULL || domain_eq(fields[1], domain))
			cb(arg, fields);
	}
	if (ferror(fp)) {
		result = mc_err_set(err, MC_E_IO, "%s: read: %s", path,
		    strerror(errno));
		goto out;
	}
	if (bad > 0) {
		result = mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: %s "
		    "(%zu bad line%s skipped)", path, first_bad, why, bad,
		    bad == 1 ? "" : "s");
		goto out;
	}
	result = MC_OK;
out:
	free(line);
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	return result;
}
