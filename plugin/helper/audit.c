/* audit.c -- the append-only audit log: one sanitized line per action. */
#include <sys/file.h>
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

/* write(2), replaceable by a test that #includes this file (ENOSPC) */
#ifndef AUDIT_WRITE
#define AUDIT_WRITE	write
#endif

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

/* "TIME\tdomain\tstep\told\tnew\tresult\tactor\n" into line; its length */
static size_t
line_format(char *line, const char *ts, const char *const f[AUDIT_FIELDS - 1])
{
	size_t len, i;

	len = strlen(ts);
	memcpy(line, ts, len);
	for (i = 0; i < AUDIT_FIELDS - 1; i++) {
		line[len++] = '\t';
		len += field_clean(line + len, f[i]);
	}
	line[len++] = '\n';
	return len;
}

/* open the log for appending: a regular file of root's, not writable by
 * group or others; -1 and err otherwise */
static int
log_open(const char *path, struct mc_err *err)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		mc_err_set(err, MC_E_IO, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link; refusing it" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		mc_err_set(err, MC_E_IO, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		mc_err_set(err, MC_E_IO, "%s: not a regular file", path);
	else if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		mc_err_set(err, MC_E_IO, "%s: owned by uid %lu with mode %04o; "
		    "must be owned by root and not group or world writable",
		    path, (unsigned long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	else
		return fd;
	close(fd);
	return -1;
}

/*
 * All or nothing: under an exclusive lock (concurrent runs append to the
 * same log), one write(2) of the whole line at the end; a write that
 * stops inside the line (ENOSPC) is cut back to the old size, so that no
 * torn line is ever left for readers. Then fsync.
 */
static enum mc_result
line_write(int fd, const char *path, const char *line, size_t len,
    struct mc_err *err)
{
	struct stat st;
	ssize_t w;
	enum mc_result result = MC_OK;

	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1)
		return mc_err_set(err, MC_E_IO, "%s: %s", path,
		    strerror(errno));
	do
		w = AUDIT_WRITE(fd, line, len);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		result = mc_err_set(err, MC_E_IO, "%s: write: %s%s", path,
		    strerror(errno), errno == ENOSPC ? " (disk full)" : "");
	else if ((size_t)w != len)
		result = mc_err_set(err, MC_E_IO, "%s: short write (%zd of %zu "
		    "bytes; disk full?): the line is left out", path, w, len);
	if (result != MC_OK && w > 0 && ftruncate(fd, st.st_size) == -1)
		result = mc_err_set(err, MC_E_IO, "%s: a partial line could "
		    "not be removed: %s", path, strerror(errno));
	if (result == MC_OK && fsync(fd) == -1)
		result = mc_err_set(err, MC_E_IO, "%s: fsync: %s", path,
		    strerror(errno));
	flock(fd, LOCK_UN);
	return result;
}

enum mc_result
audit_append(const char *dir, const char *domain, const char *step,
    const char *old_value, const char *new_value, const char *result_s,
    const char *actor, struct mc_err *err)
{
	const char *f[AUDIT_FIELDS - 1] = { domain, step, old_value,
	    new_value, result_s, actor };
	char path[PATH_MAX], ts[32];
	char line[(AUDIT_FIELDS) * (AUDIT_FIELD_MAX + 1) + 1];
	struct tm tm;
	time_t now;
	size_t len;
	int fd = -1, r;
	enum mc_result result = MC_E_IO;

	r = snprintf(path, sizeof(path), "%s/" AUDIT_FILE, dir);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		result = mc_err_set(err, MC_E_USAGE, "%.200s: path too long",
		    dir);
		goto out;
	}
	now = time(NULL);	/* the moment of writing: never cached */
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		result = mc_err_set(err, MC_E_IO, "%s: cannot format the time "
		    "%lld", path, (long long)now);
		goto out;
	}
	len = line_format(line, ts, f);
	if ((fd = log_open(path, err)) == -1 ||
	    (result = line_write(fd, path, line, len, err)) != MC_OK)
		goto out;
	r = close(fd);
	fd = -1;
	if (r == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: close: %s", path,
		    strerror(errno));
		goto out;
	}
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

/*
 * The next line of fp into line (its newline cut): 1 a whole line, 0 a
 * bad one (*why says how: incomplete, too long, not 7 fields; an
 * overlong line is skipped to its end), -1 at the end of the file.
 */
static int
line_read(FILE *fp, char *line, const char *fields[AUDIT_FIELDS],
    const char **why)
{
	size_t len;
	int c;

	if (fgets(line, AUDIT_LINE_MAX + 2, fp) == NULL)
		return -1;
	len = strlen(line);
	if (len == 0 || line[len - 1] != '\n') {
		if (feof(fp) || len < AUDIT_LINE_MAX + 1) {
			*why = "incomplete last line or NUL byte";
			return 0;
		}
		/* overlong: skip the rest of it */
		while ((c = getc(fp)) != EOF && c != '\n')
			;
		*why = "line too long";
		return 0;
	}
	line[len - 1] = '\0';
	if (!line_split(line, fields)) {
		*why = "not 7 tab-separated fields";
		return 0;
	}
	return 1;
}

/* the log for reading; NULL with *result set (MC_OK: there is none) */
static FILE *
log_read_open(const char *path, enum mc_result *result, struct mc_err *err)
{
	FILE *fp;
	int fd;

	*result = MC_OK;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)	/* ENOENT: nothing logged yet */
			*result = mc_err_set(err, MC_E_IO, "%s: %s", path,
			    errno == ELOOP ? "is a symbolic link; refusing it" :
			    strerror(errno));
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		*result = mc_err_set(err, MC_E_IO, "%s: %s", path,
		    strerror(errno));
		close(fd);
	}
	return fp;
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
	size_t lineno = 0, bad = 0, first_bad = 0;
	const char *why = NULL, *w;
	int r;
	enum mc_result result = MC_E_IO;

	r = snprintf(path, sizeof(path), "%s/" AUDIT_FILE, dir);
	if (r < 0 || (size_t)r >= sizeof(path))
		return mc_err_set(err, MC_E_USAGE, "%.200s: path too long",
		    dir);
	if ((fp = log_read_open(path, &result, err)) == NULL)
		return result;
	if ((line = malloc(AUDIT_LINE_MAX + 2)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while ((r = line_read(fp, line, fields, &w)) >= 0) {
		lineno++;
		if (r == 0) {
			if (first_bad == 0) {
				first_bad = lineno;
				why = w;
			}
			bad++;
		} else if (domain == NULL || domain_eq(fields[1], domain))
			cb(arg, fields);
	}
	if (ferror(fp))
		result = mc_err_set(err, MC_E_IO, "%s: read: %s", path,
		    strerror(errno));
	else if (bad > 0)
		result = mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: %s "
		    "(%zu bad line%s skipped)", path, first_bad, why, bad,
		    bad == 1 ? "" : "s");
	else
		result = MC_OK;
out:
	free(line);
	fclose(fp);
	return result;
}
