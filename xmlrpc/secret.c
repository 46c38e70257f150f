/* secret.c -- credentials from a root-only 0600 file or from stdin. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"

#define SECRET_MAX 4096

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static enum mc_result
check_stat(const char *path, const struct stat *st, uid_t owner,
    struct mc_err *err)
{
	if (S_ISLNK(st->st_mode))
		return mc_err_set(err, MC_E_SECRET,
		    "secret file %s: is a symbolic link; refusing it", path);
	if (!S_ISREG(st->st_mode))
		return mc_err_set(err, MC_E_SECRET,
		    "secret file %s: not a regular file", path);
	if (st->st_uid != owner)
		return mc_err_set(err, MC_E_SECRET,
		    "secret file %s: owned by uid %lu, must be owned by "
		    "uid %lu (root)", path, (unsigned long)st->st_uid,
		    (unsigned long)owner);
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		return mc_err_set(err, MC_E_SECRET,
		    "secret file %s: mode %04o gives access to %s%s%s; "
		    "run chmod 600 %s", path,
		    (unsigned)(st->st_mode & 07777),
		    (st->st_mode & S_IRWXG) ? "group" : "",
		    ((st->st_mode & S_IRWXG) && (st->st_mode & S_IRWXO)) ?
		    " and " : "",
		    (st->st_mode & S_IRWXO) ? "others" : "", path);
	return MC_OK;
}

/* Take the first line of buf[0..n) as the secret. */
static enum mc_result
secret_from_buf(const char *what, char *buf, size_t n, struct secret **out,
    struct mc_err *err)
{
	struct secret *s;
	size_t len = 0, i;

	while (len < n && buf[len] != '\n')
		len++;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	/* anything after the first line must be blank */
	for (i = len; i < n; i++)
		if (buf[i] != '\n' && buf[i] != '\r')
			return mc_err_set(err, MC_E_SECRET,
			    "%s: more than one line; the secret must be "
			    "one line", what);
	if (len == 0)
		return mc_err_set(err, MC_E_SECRET, "%s: empty", what);
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return mc_err_set(err, MC_E_SECRET,
			    "%s: contains a control character", what);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->value = malloc(len + 1)) == NULL) {
		free(s);
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory", what);
	}
	memcpy(s->value, buf, len);
	s->value[len] = '\0';
	s->len = len;
	*out = s;
	return MC_OK;
}

static enum mc_result
read_all(int fd, const char *what, char *buf, size_t cap, size_t *n,
    struct mc_err *err)
{
	ssize_t r;

	*n = 0;
	for (;;) {
		if (*n == cap)
			return mc_err_set(err, MC_E_SECRET,
			    "%s: longer than %d bytes", what, SECRET_MAX);
		r = read(fd, buf + *n, cap - *n);
		if (r == 0)
			return MC_OK;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return mc_err_set(err, MC_E_SECRET, "%s: %s", what,
			    strerror(errno));
		}
		*n += (size_t)r;
	}
}

enum mc_result
secret_load_file(const char *path, uid_t owner, struct secret **out,
    struct mc_err *err)
{
	struct stat st;
	char buf[SECRET_MAX + 1];	/* +1: a full buffer means too long */
	size_t n = 0;
	enum mc_result result;
	int fd = -1;

	*out = NULL;
	if (lstat(path, &st) == -1) {
		result = mc_err_set(err, MC_E_SECRET, "secret file %s: %s",
		    path, strerror(errno));
		goto out;
	}
	if ((result = check_stat(path, &st, owner, err)) != MC_OK)
		goto out;
	/* O_NONBLOCK: a FIFO swapped in after the lstat cannot hang the run
	   (it is refused by the fstat below) */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		result = mc_err_set(err, MC_E_SECRET, "secret file %s: %s",
		    path, strerror(errno));
		goto out;
	}
	/* check the open file again: the path may have been swapped */
	if (fstat(fd, &st) == -1) {
		result = mc_err_set(err, MC_E_SECRET, "secret file %s: %s",
		    path, strerror(errno));
		goto out;
	}
	if ((result = check_stat(path, &st, owner, err)) != MC_OK)
		goto out;
	if ((result = read_all(fd, path, buf, sizeof(buf), &n, err)) != MC_OK)
		goto out;
	result = secret_from_buf(path, buf, n, out, err);
out:
	wipe(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return result;
}

enum mc_result
secret_load_fd(int fd, const char *what, struct secret **out,
    struct mc_err *err)
{
	char buf[SECRET_MAX + 1];
	size_t n = 0;
	enum mc_result result;

	*out = NULL;
	result = read_all(fd, what, buf, sizeof(buf), &n, err);
	if (result == MC_OK)
		result = secret_from_buf(what, buf, n, out, err);
	wipe(buf, sizeof(buf));
	return result;
}

void
secret_free(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->value != NULL) {
		wipe(s->value, s->len);
		free(s->value);
	}
	free(s);
}
