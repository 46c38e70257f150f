/* listcache.c -- the source panel's domain names as last listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "listcache.h"
#include "valid.h"

void
listcache_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

/* one line of the file into the list (a valid domain name only) */
static int
add(char ***v, size_t *n, size_t *cap, const char *line)
{
	char **p;

	if (!valid_domain(line))
		return 1;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		if ((p = realloc(*v, *cap * sizeof(*p))) == NULL)
			return 0;
		*v = p;
	}
	return ((*v)[*n] = strdup(line)) != NULL && ++*n;
}

int
listcache_read(const char *dir, time_t now, unsigned long max_age,
    char ***names, size_t *np)
{
	char path[4096], line[512];
	long long at = -1;
	size_t n = 0, cap = 0, len;
	char **v = NULL;
	FILE *f;
	int ok = 1;

	*names = NULL;
	*np = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, LISTCACHE_FILE);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	/* the first line: "listed UNIX-TIME" */
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "listed %lld", &at) != 1 || at > (long long)now ||
	    (long long)now - at > (long long)max_age) {
		fclose(f);
		return 0;
	}
	while (ok && fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, "\n");
		line[len] = '\0';
		ok = add(&v, &n, &cap, line);
	}
	ok &= !ferror(f);
	fclose(f);
	if (!ok) {
		listcache_free(v, n);
		return 0;
	}
	*names = v;
	*np = n;
	return 1;
}

enum mc_result
listcache_write(const char *dir, time_t now, char *const *names, size_t n,
    struct mc_err *err)
{
	size_t i, len = 32, o;
	enum mc_result r;
	char *buf;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((buf = malloc(len)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	o = (size_t)snprintf(buf, len, "listed %lld\n", (long long)now);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s\n", names[i]);
	r = afile_write(dir, LISTCACHE_FILE, "domain list cache", buf, o, err);
	free(buf);
	return r;
}
