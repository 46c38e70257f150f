/* journaldir.c -- the state directory: checked and created the
 * OpenSMTPD ckdir way, its journals listed, a domain's lock taken. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "journaldir.h"
#include "valid.h"

/* ---- the state directory ------------------------------------------------ */

static enum mc_result
dir_check(const char *dir, const struct stat *st, struct mc_err *err)
{
	if (S_ISLNK(st->st_mode))
		return mc_err_set(err, MC_E_IO, "state directory %s: is a "
		    "symbolic link; refusing it", dir);
	if (!S_ISDIR(st->st_mode))
		return mc_err_set(err, MC_E_IO, "state directory %s: not a "
		    "directory", dir);
	if (st->st_uid != 0)
		return mc_err_set(err, MC_E_IO, "state directory %s: owned by "
		    "uid %lu, must be owned by root", dir,
		    (unsigned long)st->st_uid);
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		return mc_err_set(err, MC_E_IO, "state directory %s: mode %04o "
		    "gives access to group or others; run chmod 700 %s", dir,
		    (unsigned)(st->st_mode & 07777), dir);
	return MC_OK;
}

enum mc_result
journal_open_dir(const char *dir, struct mc_err *err)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT)
			return mc_err_set(err, MC_E_IO, "state directory %s: %s",
			    dir, strerror(errno));
		/* the OpenSMTPD ckdir way: create, then set the mode
		   explicitly (umask), then check like an existing one */
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return mc_err_set(err, MC_E_IO, "state directory %s: "
			    "cannot create: %s", dir, strerror(errno));
		if (lstat(dir, &st) == -1)
			return mc_err_set(err, MC_E_IO, "state directory %s: %s",
			    dir, strerror(errno));
		if (S_ISDIR(st.st_mode) && st.st_uid == 0 &&
		    (st.st_mode & 07777) != 0700 && chmod(dir, 0700) == -1)
			return mc_err_set(err, MC_E_IO, "state directory %s: "
			    "chmod 700: %s", dir, strerror(errno));
		if (lstat(dir, &st) == -1)
			return mc_err_set(err, MC_E_IO, "state directory %s: %s",
			    dir, strerror(errno));
	}
	return dir_check(dir, &st, err);
}

/* ---- existence, listing ------------------------------------------------- */

int
journal_exists(const char *dir, const char *domain)
{
	char name[JOURNAL_NAME_MAX], path[PATH_MAX];
	struct stat st;

	if (journal_name(domain, name, NULL) != MC_OK ||
	    journal_file_path(path, sizeof(path), NULL, dir, "", name,
	    JOURNAL_SUFFIX) != MC_OK)
		return 0;
	return lstat(path, &st) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
journal_list_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

enum mc_result
journal_list(const char *dir, char ***domains, size_t *np,
    struct mc_err *err)
{
	DIR *d = NULL;
	struct dirent *de;
	char **v = NULL, **nv, name[JOURNAL_NAME_MAX];
	size_t n = 0, cap = 0, len;
	enum mc_result result = MC_E_IO;

	*domains = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		result = mc_err_set(err, MC_E_IO, "state directory %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				result = mc_err_set(err, MC_E_IO,
				    "state directory %s: readdir: %s", dir,
				    strerror(errno));
				goto out;
			}
			break;
		}
		len = strlen(de->d_name);
		/* only "<domain>.journal"; temp files start with '.' */
		if (de->d_name[0] == '.' || len <= sizeof(JOURNAL_SUFFIX) - 1 ||
		    len - (sizeof(JOURNAL_SUFFIX) - 1) >= sizeof(name) ||
		    strcmp(de->d_name + len - (sizeof(JOURNAL_SUFFIX) - 1),
		    JOURNAL_SUFFIX) != 0)
			continue;
		memcpy(name, de->d_name, len - (sizeof(JOURNAL_SUFFIX) - 1));
		name[len - (sizeof(JOURNAL_SUFFIX) - 1)] = '\0';
		{
			char norm[JOURNAL_NAME_MAX];

			/* only names journal_save could have written */
			if (journal_name(name, norm, NULL) != MC_OK ||
			    strcmp(norm, name) != 0)
				continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				result = mc_err_set(err, MC_E_NOMEM,
				    "state directory %s: out of memory", dir);
				goto out;
			}
			v = nv;
		}
		if ((v[n] = strdup(name)) == NULL) {
			result = mc_err_set(err, MC_E_NOMEM,
			    "state directory %s: out of memory", dir);
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	*domains = v;
	*np = n;
	v = NULL;
	n = 0;
	result = MC_OK;
out:
	journal_list_free(v, n);
	if (d != NULL)
		closedir(d);
	return result;
}

/* ---- the per-domain lock ------------------------------------------------ */

enum mc_result
journal_lock(const char *dir, const char *domain, int *fd_out,
    struct mc_err *err)
{
	char name[JOURNAL_NAME_MAX], path[PATH_MAX], pidbuf[32];
	unsigned long other = 0;
	ssize_t r;
	int fd = -1, len;
	enum mc_result result;

	*fd_out = -1;
	if ((result = journal_name(domain, name, err)) != MC_OK)
		goto out;
	if ((result = journal_file_path(path, sizeof(path), err, dir, "", name,
	    JOURNAL_LOCK_SUFFIX)) != MC_OK)
		goto out;
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EAGAIN) {
			result = mc_err_set(err, MC_E_IO, "%s: flock: %s", path,
			    strerror(errno));
			goto out;
		}
		/* the holder wrote its pid; it is only for the message */
		r = pread(fd, pidbuf, sizeof(pidbuf) - 1, 0);
		if (r > 0) {
			pidbuf[r] = '\0';
			pidbuf[strcspn(pidbuf, "\n")] = '\0';
			if (!parse_ulong(pidbuf, 1, ULONG_MAX, &other))
				other = 0;
		}
		if (other != 0)
			result = mc_err_set(err, MC_E_BUSY, "%s: another "
			    "mailcutover run is working on this domain (pid "
			    "%lu)", name, other);
		else
			result = mc_err_set(err, MC_E_BUSY, "%s: another "
			    "mailcutover run is working on this domain", name);
		goto out;
	}
	len = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pidbuf, (size_t)len, 0) != (ssize_t)len) {
		result = mc_err_set(err, MC_E_IO, "%s: writing pid: %s", path,
		    strerror(errno));
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	result = MC_OK;
out:
	if (fd != -1)
		close(fd);	/* releases the lock if we took it */
	return result;
}

void
journal_unlock(int fd)
{
	if (fd == -1)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}
