/* journal.c -- per-domain crash-safe journal: load, edit, atomic save, lock. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "atomicfile.h"
#include "journal.h"
#include "valid.h"

#define MAGIC_LINE	"mailcutover-journal 1"
#define MAGIC_PREFIX	"mailcutover-journal "
#define DOMAIN_PREFIX	"domain "
#define END_PREFIX	"end sha256="

struct pair {
	char	*key;		/* [a-z0-9_.-]{1,64} */
	char	*value;		/* raw bytes, no NUL, <= JOURNAL_VALUE_MAX */
	size_t	 enc;		/* length of its "key=escaped\n" line */
};

struct journal {
	struct pair	*pairs;			/* in order of first insertion */
	size_t		 n, cap;
	size_t		 size;			/* file size when saved */
	char		 domain[];		/* lower case, no trailing dot:
						   as long as it is (one per
						   domain of a bulk run) */
};

/* ---- names and paths ---------------------------------------------------- */

/* Validate domain and write its file-name form (lower case, no final dot). */
enum mc_result
journal_name(const char *domain, char out[JOURNAL_NAME_MAX], struct mc_err *err)
{
	size_t len, i;

	if (domain == NULL || !valid_domain(domain))
		return mc_err_set(err, MC_E_USAGE, "'%.260s': not a domain name",
		    domain == NULL ? "" : domain);
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= JOURNAL_NAME_MAX)
		return mc_err_set(err, MC_E_USAGE, "'%.260s': not a domain name",
		    domain);
	for (i = 0; i < len; i++) {
		char c = domain[i];

		/* valid_domain() allows only [A-Za-z0-9.-]; check again here
		   since this name becomes a file name */
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.'))
			return mc_err_set(err, MC_E_USAGE,
			    "'%.260s': not a domain name", domain);
		out[i] = c;
	}
	out[len] = '\0';
	if (out[0] == '.' || strstr(out, "..") != NULL)
		return mc_err_set(err, MC_E_USAGE, "'%.260s': not a domain name",
		    domain);
	return MC_OK;
}

enum mc_result
journal_file_path(char *buf, size_t bufsz, struct mc_err *err, const char *dir,
    const char *pre, const char *name, const char *suffix)
{
	int r;

	r = snprintf(buf, bufsz, "%s/%s%s%s", dir, pre, name, suffix);
	if (r < 0 || (size_t)r >= bufsz)
		return mc_err_set(err, MC_E_USAGE, "%.200s: path too long", dir);
	return MC_OK;
}

static int
valid_key(const char *key)
{
	size_t i;

	if (key == NULL)
		return 0;
	for (i = 0; key[i] != '\0'; i++) {
		char c = key[i];

		if (i >= JOURNAL_KEY_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return i > 0;
}

/* Length of value once escaped (%25, %0A, %0D). */
static size_t
escaped_len(const char *v, size_t len)
{
	size_t i, n = len;

	for (i = 0; i < len; i++)
		if (v[i] == '%' || v[i] == '\n' || v[i] == '\r')
			n += 2;
	return n;
}

static size_t
header_len(const char *domain)
{
	return sizeof(MAGIC_LINE "\n" DOMAIN_PREFIX) - 1 + strlen(domain) + 1 +
	    sizeof(END_PREFIX) - 1 + 2 * SHA256_DIGEST_LENGTH + 1;
}

static void
hex_encode(const unsigned char *md, char out[2 * SHA256_DIGEST_LENGTH + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * SHA256_DIGEST_LENGTH] = '\0';
}

/* ---- the in-memory journal ---------------------------------------------- */

static struct journal *
journal_new(const char *normdomain)
{
	struct journal *j;
	size_t len = strlen(normdomain);

	if ((j = calloc(1, sizeof(*j) + len + 1)) == NULL)
		return NULL;
	memcpy(j->domain, normdomain, len + 1);
	j->size = header_len(j->domain);
	return j;
}

void
journal_free(struct journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		free(j->pairs[i].key);
		free(j->pairs[i].value);
	}
	free(j->pairs);
	free(j);
}

static ssize_t
pair_find(const struct journal *j, const char *key)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (strcmp(j->pairs[i].key, key) == 0)
			return (ssize_t)i;
	return -1;
}

/*
 * Store key = value[0..len) (value has no NUL in that range). Takes no
 * ownership. Used by journal_set and the loader.
 */
static enum mc_result
pair_put(struct journal *j, const char *key, const char *value, size_t len,
    struct mc_err *err)
{
	struct pair *np;
	char *v = NULL, *k = NULL;
	size_t enc, keylen = strlen(key), newcap, newsize;
	ssize_t at;
	enum mc_result result = MC_E_NOMEM;

	enc = keylen + 1 + escaped_len(value, len) + 1;
	at = pair_find(j, key);
	newsize = j->size + enc - (at >= 0 ? j->pairs[at].enc : 0);
	if (newsize > JOURNAL_FILE_MAX) {
		result = mc_err_set(err, MC_E_USAGE, "%s: journal: setting '%s' "
		    "would make the file larger than %d bytes", j->domain, key,
		    JOURNAL_FILE_MAX);
		goto out;
	}
	if ((v = malloc(len + 1)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "%s: journal: out of memory",
		    j->domain);
		goto out;
	}
	memcpy(v, value, len);
	v[len] = '\0';
	if (at >= 0) {
		free(j->pairs[at].value);
		j->pairs[at].value = v;
		j->pairs[at].enc = enc;
		v = NULL;
		j->size = newsize;
		result = MC_OK;
		goto out;
	}
	if (j->n == j->cap) {
		newcap = j->cap == 0 ? 16 : j->cap * 2;
		if ((np = reallocarray(j->pairs, newcap, sizeof(*np))) == NULL) {
			result = mc_err_set(err, MC_E_NOMEM,
			    "%s: journal: out of memory", j->domain);
			goto out;
		}
		j->pairs = np;
		j->cap = newcap;
	}
	if ((k = strdup(key)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "%s: journal: out of memory",
		    j->domain);
		goto out;
	}
	j->pairs[j->n].key = k;
	j->pairs[j->n].value = v;
	j->pairs[j->n].enc = enc;
	j->n++;
	j->size = newsize;
	k = v = NULL;
	result = MC_OK;
out:
	free(k);
	free(v);
	return result;
}

enum mc_result
journal_set(struct journal *j, const char *key, const char *value,
    struct mc_err *err)
{
	size_t len;

	if (!valid_key(key))
		return mc_err_set(err, MC_E_USAGE, "%s: journal key '%.80s': "
		    "must be 1-%d characters of [a-z0-9_.-]", j->domain,
		    key == NULL ? "(null)" : key, JOURNAL_KEY_MAX);
	if (value == NULL)
		return mc_err_set(err, MC_E_USAGE, "%s: journal key '%s': "
		    "NULL value", j->domain, key);
	len = strnlen(value, JOURNAL_VALUE_MAX + 1);
	if (len > JOURNAL_VALUE_MAX)
		return mc_err_set(err, MC_E_USAGE, "%s: journal key '%s': value "
		    "longer than %d bytes", j->domain, key, JOURNAL_VALUE_MAX);
	return pair_put(j, key, value, len, err);
}

enum mc_result
journal_setf(struct journal *j, const char *key, struct mc_err *err,
    const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;
	enum mc_result result;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		s = NULL;
		result = mc_err_set(err, MC_E_NOMEM, "%s: journal: out of memory",
		    j->domain);
		goto out;
	}
	result = journal_set(j, key, s, err);
out:
	free(s);
	return result;
}

const char *
journal_get(const struct journal *j, const char *key)
{
	ssize_t at;

	if (j == NULL || key == NULL || (at = pair_find(j, key)) < 0)
		return NULL;
	return j->pairs[at].value;
}

int
journal_unset(struct journal *j, const char *key)
{
	ssize_t at;

	if (j == NULL || key == NULL || (at = pair_find(j, key)) < 0)
		return 0;
	j->size -= j->pairs[at].enc;
	free(j->pairs[at].key);
	free(j->pairs[at].value);
	memmove(&j->pairs[at], &j->pairs[at + 1],
	    (j->n - (size_t)at - 1) * sizeof(j->pairs[0]));
	j->n--;
	return 1;
}

size_t
journal_count(const struct journal *j)
{
	return j == NULL ? 0 : j->n;
}

const char *
journal_key_at(const struct journal *j, size_t i)
{
	return (j == NULL || i >= j->n) ? NULL : j->pairs[i].key;
}

const char *
journal_value_at(const struct journal *j, size_t i)
{
	return (j == NULL || i >= j->n) ? NULL : j->pairs[i].value;
}

int
journal_get_ulong(const struct journal *j, const char *key,
    unsigned long *out)
{
	const char *v = journal_get(j, key);

	return v != NULL && parse_ulong(v, 0, ULONG_MAX, out);
}

const char *
journal_domain(const struct journal *j)
{
	return j == NULL ? NULL : j->domain;
}

/* ---- loading ------------------------------------------------------------ */

/* Read the whole file; fails with MC_E_CORRUPT beyond JOURNAL_FILE_MAX. */
static enum mc_result
file_read(int fd, const char *path, char **bufp, size_t *lenp,
    struct mc_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t r;
	enum mc_result result = MC_E_IO;

	if (fstat(fd, &st) == -1) {
		result = mc_err_set(err, MC_E_IO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		result = mc_err_set(err, MC_E_CORRUPT, "%s: not a regular file",
		    path);
		goto out;
	}
	if (st.st_size > JOURNAL_FILE_MAX) {
		result = mc_err_set(err, MC_E_CORRUPT, "%s: %lld bytes, larger "
		    "than the %d byte limit", path, (long long)st.st_size,
		    JOURNAL_FILE_MAX);
		goto out;
	}
	/* one byte more than the limit, to see growth since fstat */
	cap = (size_t)st.st_size + 1;
	if (cap > JOURNAL_FILE_MAX + 1)
		cap = JOURNAL_FILE_MAX + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap > JOURNAL_FILE_MAX) {
				result = mc_err_set(err, MC_E_CORRUPT, "%s: larger "
				    "than the %d byte limit", path,
				    JOURNAL_FILE_MAX);
				goto out;
			}
			cap = cap * 2 > JOURNAL_FILE_MAX + 1 ?
			    JOURNAL_FILE_MAX + 1 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				result = mc_err_set(err, MC_E_NOMEM,
				    "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			result = mc_err_set(err, MC_E_IO, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	if (len > JOURNAL_FILE_MAX) {
		result = mc_err_set(err, MC_E_CORRUPT, "%s: larger than the %d "
		    "byte limit", path, JOURNAL_FILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	result = MC_OK;
out:
	free(buf);
	return result;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Undo the escaping of s[0..len) in place; only %25, %0A and %0D (upper
 * case, as written) are accepted. Returns the new length or -1.
 */
static ssize_t
unescape(char *s, size_t len)
{
	size_t i, o = 0;
	int hi, lo, c;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r')
			return -1;		/* always written escaped */
		if (s[i] != '%') {
			s[o++] = s[i];
			continue;
		}
		if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0)
			return -1;
		c = hi * 16 + lo;
		if (c != '%' && c != '\n' && c != '\r')
			return -1;
		s[o++] = (char)c;
		i += 2;
	}
	return (ssize_t)o;
}

/*
 * The frame of a journal in buf[0..len) (NUL-terminated at len): no NUL,
 * the magic line, and a last line "end sha256=HEX" whose checksum covers
 * every byte before it. On success the body (the lines after the magic)
 * is NUL-terminated in place, from *body to *body_end.
 */
static enum mc_result
parse_frame(const char *path, char *buf, size_t len, char **body,
    char **body_end, struct mc_err *err)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *p, *last;
	size_t magic_len = sizeof(MAGIC_LINE) - 1;

	if (len == 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: empty file (torn "
		    "write?)", path);
	if ((p = memchr(buf, '\0', len)) != NULL)
		return mc_err_set(err, MC_E_CORRUPT, "%s: NUL byte at offset "
		    "%zu", path, (size_t)(p - buf));
	/* line 1: magic and format version */
	if (len < magic_len + 1 || memcmp(buf, MAGIC_LINE "\n",
	    magic_len + 1) != 0) {
		if (strncmp(buf, MAGIC_PREFIX, sizeof(MAGIC_PREFIX) - 1) == 0 &&
		    memchr(buf, '\n', len) != NULL)
			return mc_err_set(err, MC_E_CORRUPT, "%s: line 1: "
			    "unsupported journal format version (expected '"
			    MAGIC_LINE "')", path);
		return mc_err_set(err, MC_E_CORRUPT, "%s: line 1: bad magic "
		    "line, expected '" MAGIC_LINE "'", path);
	}
	/* last line: "end sha256=<hex of everything before it>" */
	if (buf[len - 1] != '\n')
		return mc_err_set(err, MC_E_CORRUPT, "%s: last line is "
		    "incomplete (torn write?)", path);
	buf[len - 1] = '\0';
	last = strrchr(buf, '\n');
	if (last == NULL || strncmp(last + 1, END_PREFIX,
	    sizeof(END_PREFIX) - 1) != 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: no '" END_PREFIX
		    "...' trailer line at the end (torn write?)", path);
	*body_end = ++last;
	SHA256((const unsigned char *)buf, (size_t)(*body_end - buf), md);
	hex_encode(md, hex);
	if (strcmp(last + sizeof(END_PREFIX) - 1, hex) != 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: checksum in the "
		    "trailer does not match the contents (file torn or edited)",
		    path);
	*(*body_end - 1) = '\0';	/* ends the line before the trailer */
	*body = buf + magic_len + 1;
	return MC_OK;
}

/* line 2, "domain NAME", at p; *next: the line after it */
static enum mc_result
parse_domain(const char *path, const char *domain, char *p, char *body_end,
    char **next, struct mc_err *err)
{
	char *nl;

	if (p >= body_end || strncmp(p, DOMAIN_PREFIX,
	    sizeof(DOMAIN_PREFIX) - 1) != 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: line 2: expected '"
		    DOMAIN_PREFIX "<name>'", path);
	nl = strchr(p, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (strcmp(p + sizeof(DOMAIN_PREFIX) - 1, domain) != 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: line 2: journal is "
		    "for domain '%.80s', not '%s'", path,
		    p + sizeof(DOMAIN_PREFIX) - 1, domain);
	*next = nl == NULL ? body_end : nl + 1;
	return MC_OK;
}

/* one "key=value" line (NUL-terminated) into j */
static enum mc_result
parse_pair(const char *path, size_t lineno, char *p, struct journal *j,
    struct mc_err *err)
{
	char *eq;
	ssize_t vlen;

	if ((eq = strchr(p, '=')) == NULL)
		return mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: no '=' "
		    "(expected key=value)", path, lineno);
	*eq = '\0';
	if (!valid_key(p))
		return mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: bad key "
		    "(must be 1-%d of [a-z0-9_.-])", path, lineno,
		    JOURNAL_KEY_MAX);
	if (pair_find(j, p) >= 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: key '%s' "
		    "appears twice", path, lineno, p);
	vlen = unescape(eq + 1, strlen(eq + 1));
	if (vlen < 0)
		return mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: bad escape "
		    "or raw CR in the value of '%s'", path, lineno, p);
	if ((size_t)vlen > JOURNAL_VALUE_MAX)
		return mc_err_set(err, MC_E_CORRUPT, "%s: line %zu: value of "
		    "'%s' longer than %d bytes", path, lineno, p,
		    JOURNAL_VALUE_MAX);
	/* the file is at most JOURNAL_FILE_MAX, so only NOMEM */
	return pair_put(j, p, eq + 1, (size_t)vlen, err);
}

/* Parse buf[0..len) (NUL-terminated at len) read from path. */
static enum mc_result
journal_parse(const char *path, const char *domain, char *buf, size_t len,
    struct journal **out, struct mc_err *err)
{
	struct journal *j = NULL;
	char *p = NULL, *nl, *body = NULL, *body_end = NULL;
	size_t lineno;
	enum mc_result result;

	if ((result = parse_frame(path, buf, len, &body, &body_end,
	    err)) != MC_OK ||
	    (result = parse_domain(path, domain, body, body_end, &p,
	    err)) != MC_OK)
		return result;
	/* the checksum is good; still check every line: never guess */
	if ((j = journal_new(domain)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory", path);
	for (lineno = 3; p < body_end; lineno++, p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);	/* the '\0' set above */
		*nl = '\0';
		if ((result = parse_pair(path, lineno, p, j, err)) != MC_OK) {
			journal_free(j);
			return result;
		}
	}
	*out = j;
	return MC_OK;
}

enum mc_result
journal_load(const char *dir, const char *domain, struct journal **out,
    struct mc_err *err)
{
	char name[JOURNAL_NAME_MAX], path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;
	enum mc_result result;

	*out = NULL;
	if ((result = journal_name(domain, name, err)) != MC_OK)
		goto out;
	if ((result = journal_file_path(path, sizeof(path), err, dir, "", name,
	    JOURNAL_SUFFIX)) != MC_OK)
		goto out;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			if ((*out = journal_new(name)) == NULL)
				result = mc_err_set(err, MC_E_NOMEM,
				    "%s: out of memory", path);
			else
				result = MC_OK;
		} else if (errno == ELOOP)
			result = mc_err_set(err, MC_E_CORRUPT, "%s: is a "
			    "symbolic link; refusing it", path);
		else
			result = mc_err_set(err, MC_E_IO, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	if ((result = file_read(fd, path, &buf, &len, err)) != MC_OK)
		goto out;
	result = journal_parse(path, name, buf, len, out, err);
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return result;
}

/* ---- saving ------------------------------------------------------------- */

static char *
put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/* The whole file contents; *bufp is malloc'd, *lenp its length. */
static enum mc_result
journal_render(const struct journal *j, char **bufp, size_t *lenp,
    struct mc_err *err)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	char *buf, *o;
	const char *v;
	size_t i, total;

	/* count afresh rather than trust j->size: never overrun buf */
	total = header_len(j->domain);
	for (i = 0; i < j->n; i++)
		total += strlen(j->pairs[i].key) + 1 +
		    escaped_len(j->pairs[i].value, strlen(j->pairs[i].value)) +
		    1;
	if (total > JOURNAL_FILE_MAX)	/* journal_set keeps this false */
		return mc_err_set(err, MC_E_USAGE, "%s: journal would be %zu "
		    "bytes, more than %d", j->domain, total, JOURNAL_FILE_MAX);
	if ((buf = malloc(total + 1)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "%s: journal: out of memory",
		    j->domain);
	o = put(buf, MAGIC_LINE "\n" DOMAIN_PREFIX,
	    sizeof(MAGIC_LINE "\n" DOMAIN_PREFIX) - 1);
	o = put(o, j->domain, strlen(j->domain));
	*o++ = '\n';
	for (i = 0; i < j->n; i++) {
		o = put(o, j->pairs[i].key, strlen(j->pairs[i].key));
		*o++ = '=';
		for (v = j->pairs[i].value; *v != '\0'; v++) {
			if (*v == '%')
				o = put(o, "%25", 3);
			else if (*v == '\n')
				o = put(o, "%0A", 3);
			else if (*v == '\r')
				o = put(o, "%0D", 3);
			else
				*o++ = *v;
		}
		*o++ = '\n';
	}
	SHA256((const unsigned char *)buf, (size_t)(o - buf), md);
	hex_encode(md, hex);
	o = put(o, END_PREFIX, sizeof(END_PREFIX) - 1);
	o = put(o, hex, 2 * SHA256_DIGEST_LENGTH);
	*o++ = '\n';
	*bufp = buf;
	*lenp = total;
	return MC_OK;
}

enum mc_result
journal_save(const char *dir, struct journal *j, struct mc_err *err)
{
	char base[JOURNAL_NAME_MAX + sizeof(JOURNAL_SUFFIX)];
	char *buf = NULL;
	size_t len = 0;
	enum mc_result result;

	snprintf(base, sizeof(base), "%s" JOURNAL_SUFFIX, j->domain);
	if ((result = journal_render(j, &buf, &len, err)) == MC_OK)
		result = afile_write(dir, base, "journal", buf, len, err);
	free(buf);
	return result;
}

