/* atomicfile.c -- temp file, fsync, rename, directory fsync. */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"

/*
 * The system calls, replaceable by a test that #includes this file
 * (define the macros first) to inject ENOSPC, EIO and the like.
 */
#ifndef AFILE_WRITE
#define AFILE_WRITE	write
#endif
#ifndef AFILE_FSYNC
#define AFILE_FSYNC	fsync
#endif
#ifndef AFILE_RENAME
#define AFILE_RENAME	rename
#endif

#define TMP_TRIES	16

/* Create DIR/.BASE.XXXXXX with random X, exclusively; -1 on failure. */
static int
tmp_create(const char *dir, const char *base, char *tmp, size_t tmpsz,
    struct mc_err *err)
{
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[6];
	char sfx[7];
	int fd, tries, i, w;

	for (tries = 0; tries < TMP_TRIES; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			mc_err_set(err, MC_E_IO, "%s: getrandom: %s", dir,
			    strerror(errno));
			break;
		}
		for (i = 0; i < 6; i++)
			sfx[i] = alnum[rnd[i] % 62];
		sfx[6] = '\0';
		w = snprintf(tmp, tmpsz, "%s/.%s.%s", dir, base, sfx);
		if (w < 0 || (size_t)w >= tmpsz) {
			mc_err_set(err, MC_E_IO, "%.200s: path too long", dir);
			break;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1)
			return fd;
		if (errno != EEXIST || tries == TMP_TRIES - 1) {
			mc_err_set(err, MC_E_IO, "%s: cannot create temporary "
			    "file: %s", tmp, strerror(errno));
			break;
		}
	}
	tmp[0] = '\0';		/* nothing of ours to unlink */
	return -1;
}

static enum mc_result
write_all(int fd, const char *path, const char *buf, size_t len,
    struct mc_err *err)
{
	ssize_t r;

	while (len > 0) {
		r = AFILE_WRITE(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mc_err_set(err, MC_E_IO, "%s: write: %s%s", path,
			    strerror(errno), errno == ENOSPC ?
			    " (temporary; free space and retry)" : "");
		if (r == 0)
			return mc_err_set(err, MC_E_IO, "%s: write wrote nothing",
			    path);
		buf += r;
		len -= (size_t)r;
	}
	return MC_OK;
}

/* the temporary file written in full and on disk, then closed */
static enum mc_result
tmp_fill(int fd, const char *tmp, const char *data, size_t len,
    struct mc_err *err)
{
	enum mc_result result;

	if ((result = write_all(fd, tmp, data, len, err)) != MC_OK)
		return result;
	if (fchmod(fd, 0600) == -1)
		return mc_err_set(err, MC_E_IO, "%s: fchmod: %s", tmp,
		    strerror(errno));
	if (AFILE_FSYNC(fd) == -1)
		return mc_err_set(err, MC_E_IO, "%s: fsync: %s", tmp,
		    strerror(errno));
	return MC_OK;
}

enum mc_result
afile_write(const char *dir, const char *base, const char *what,
    const char *data, size_t len, struct mc_err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd = -1, dfd = -1, renamed = 0, w;
	enum mc_result result;

	tmp[0] = '\0';
	w = snprintf(path, sizeof(path), "%s/%s", dir, base);
	if (w < 0 || (size_t)w >= sizeof(path)) {
		result = mc_err_set(err, MC_E_IO, "%.200s: path too long", dir);
		goto out;
	}
	if ((fd = tmp_create(dir, base, tmp, sizeof(tmp), err)) == -1) {
		result = MC_E_IO;
		goto out;
	}
	if ((result = tmp_fill(fd, tmp, data, len, err)) != MC_OK)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		result = mc_err_set(err, MC_E_IO, "%s: close: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (AFILE_RENAME(tmp, path) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: rename from %s: %s", path,
		    tmp, strerror(errno));
		goto out;
	}
	renamed = 1;
	/* make the rename itself durable */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    AFILE_FSYNC(dfd) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: fsync of the directory: "
		    "%s (%s %s written but may not survive a crash)", dir,
		    strerror(errno), what, path);
		goto out;
	}
	result = MC_OK;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (!renamed && tmp[0] != '\0')
		unlink(tmp);
	return result;
}
