/* test_journal.c -- the per-domain journal and the audit log. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/*
 * Fault injection for journal_save: atomicfile.c calls these instead of
 * write(2), fsync(2) and rename(2) when the macros are set.
 */
static long	fi_write_budget = -1;	/* bytes before ENOSPC; -1: off */
static size_t	fi_write_chunk;		/* >0: at most this many per call */
static int	fi_fsync_fail_at;	/* fail the Nth fsync (1-based) */
static int	fi_fsync_calls;
static int	fi_rename_errno;	/* !=0: rename fails with it */

static void
fi_reset(void)
{
	fi_write_budget = -1;
	fi_write_chunk = 0;
	fi_fsync_fail_at = 0;
	fi_fsync_calls = 0;
	fi_rename_errno = 0;
}

static ssize_t
fi_write(int fd, const void *buf, size_t n)
{
	if (fi_write_chunk > 0 && n > fi_write_chunk)
		n = fi_write_chunk;
	if (fi_write_budget >= 0) {
		if (fi_write_budget == 0) {
			errno = ENOSPC;
			return -1;
		}
		if (n > (size_t)fi_write_budget)
			n = (size_t)fi_write_budget;
		fi_write_budget -= (long)n;
	}
	return write(fd, buf, n);
}

static int
fi_fsync(int fd)
{
	if (++fi_fsync_calls == fi_fsync_fail_at) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

static int
fi_rename(const char *from, const char *to)
{
	if (fi_rename_errno != 0) {
		errno = fi_rename_errno;
		return -1;
	}
	return rename(from, to);
}

#define AFILE_WRITE	fi_write
#define AFILE_FSYNC	fi_fsync
#define AFILE_RENAME	fi_rename
#define AUDIT_WRITE	fi_write

#include "../../plugin/helper/atomicfile.c"
#include "../../plugin/helper/journal.c"
#include "../../plugin/helper/journaldir.c"
#include "../../plugin/helper/audit.c"

/* ---- helpers ------------------------------------------------------------ */

struct fx {
	char	base[64];	/* mkdtemp directory, removed afterwards */
	char	dir[128];	/* base/state, a good state directory */
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct mc_err err;

	if (fx == NULL)
		return -1;
	strcpy(fx->base, "/tmp/mc-journal-XXXXXX");
	if (mkdtemp(fx->base) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/state", fx->base);
	mc_err_clear(&err);
	if (journal_open_dir(fx->dir, &err) != MC_OK)
		return -1;
	fi_reset();
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	fi_reset();
	nftw(fx->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void
file_write(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static char *
file_read_all(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*lenp = (size_t)st.st_size;
	return buf;
}

/* Write body + a correct "end sha256=" trailer to path. */
static void
file_write_signed(const char *path, const char *body)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *all;
	size_t len;

	SHA256((const unsigned char *)body, strlen(body), md);
	hex_encode(md, hex);
	len = strlen(body) + strlen("end sha256=\n") + strlen(hex);
	all = malloc(len + 1);
	assert_non_null(all);
	snprintf(all, len + 1, "%send sha256=%s\n", body, hex);
	file_write(path, all, len);
	free(all);
}

/* Number of directory entries whose name contains needle. */
static int
dir_count(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, needle) != NULL)
			n++;
	closedir(d);
	return n;
}

static void
journal_path(const struct fx *fx, const char *domain, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/%s.journal", fx->dir, domain);
}

static void
expect_corrupt(const struct fx *fx, const char *domain, const char *needle)
{
	struct journal *j = (struct journal *)0x1;
	struct mc_err err;
	char path[256];

	journal_path(fx, domain, path, sizeof(path));
	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, domain, &j, &err),
	    MC_E_CORRUPT);
	assert_null(j);
	assert_int_equal(err.code, MC_E_CORRUPT);
	assert_contains(err.msg, path);
	if (needle != NULL)
		assert_contains(err.msg, needle);
}

/* A saved journal with a few pairs for example.com. */
static void
save_sample(const struct fx *fx, const char *v)
{
	struct journal *j = NULL;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_set(j, "step", v, &err), MC_OK);
	assert_int_equal(journal_set(j, "mx.old", "10 mail.example.com.\n20 "
	    "b.example.com.", &err), MC_OK);
	assert_int_equal(journal_set(j, "pct", "100%=", &err), MC_OK);
	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
	journal_free(j);
}

static void
expect_sample(const struct fx *fx, const char *v)
{
	struct journal *j = NULL;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_count(j), 3);
	assert_string_equal(journal_get(j, "step"), v);
	assert_string_equal(journal_get(j, "pct"), "100%=");
	journal_free(j);
}

/* ---- the in-memory journal and round trips ------------------------------ */

static void
test_roundtrip_awkward(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL, *k = NULL;
	struct mc_err err;
	char *big, path[256];
	size_t i;
	struct {
		const char *key, *value;
	} v[] = {
		{ "newline", "line 1\nline 2\n" },
		{ "percent", "100% %25 %0A %%" },
		{ "equals", "a=b==c=" },
		{ "utf8", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac" },
		{ "crlf", "a\r\nb\rc" },
		{ "empty", "" },
		{ "tabs_ctl", "\t\x01\x7f\xff" },
		{ "k.with-all_chars.0", "x" },
	};

	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "Example.COM.", &j, &err), MC_OK);
	assert_string_equal(journal_domain(j), "example.com");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(journal_set(j, v[i].key, v[i].value, &err),
		    MC_OK);
	/* 64 KiB of every byte but NUL, '%' and '\n' included */
	big = malloc(JOURNAL_VALUE_MAX + 2);
	assert_non_null(big);
	for (i = 0; i < JOURNAL_VALUE_MAX + 1; i++)
		big[i] = (char)(1 + i % 255);
	big[JOURNAL_VALUE_MAX + 1] = '\0';
	assert_int_equal(journal_set(j, "big", big, &err), MC_E_USAGE);
	assert_contains(err.msg, "example.com");
	{
		char want[64];

		snprintf(want, sizeof(want), "longer than %d",
		    JOURNAL_VALUE_MAX);
		assert_contains(err.msg, want);
	}
	big[JOURNAL_VALUE_MAX] = '\0';
	assert_int_equal(journal_set(j, "big", big, &err), MC_OK);
	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);

	journal_path(fx, "example.com", path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(journal_load(fx->dir, "EXAMPLE.com", &k, &err), MC_OK);
	assert_int_equal(journal_count(k), journal_count(j));
	for (i = 0; i < journal_count(j); i++) {
		assert_string_equal(journal_key_at(k, i), journal_key_at(j, i));
		assert_string_equal(journal_value_at(k, i),
		    journal_value_at(j, i));
	}
	assert_int_equal(strlen(journal_get(k, "big")), JOURNAL_VALUE_MAX);
	assert_memory_equal(journal_get(k, "big"), big, JOURNAL_VALUE_MAX);
	assert_null(journal_key_at(k, journal_count(k)));
	assert_null(journal_value_at(k, journal_count(k)));
	free(big);
	journal_free(j);
	journal_free(k);
}

static void
test_escaping_on_disk(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;
	char path[256], *buf;
	const char *want;
	size_t len;

	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_set(j, "v", "a%b\nc\rd=e", &err), MC_OK);
	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
	journal_free(j);
	journal_path(fx, "example.com", path, sizeof(path));
	buf = file_read_all(path, &len);
	want = "mailcutover-journal 1\ndomain example.com\n"
	    "v=a%25b%0Ac%0Dd=e\nend sha256=";
	assert_true(strncmp(buf, want, strlen(want)) == 0);
	assert_int_equal(len, strlen(want) + 64 + 1);
	free(buf);
}

static void
test_order_and_replace(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_set(j, "zeta", "1", &err), MC_OK);
	assert_int_equal(journal_set(j, "alpha", "2", &err), MC_OK);
	assert_int_equal(journal_set(j, "mid", "3", &err), MC_OK);
	assert_int_equal(journal_set(j, "alpha", "two", &err), MC_OK);
	assert_int_equal(journal_count(j), 3);
	assert_string_equal(journal_key_at(j, 0), "zeta");
	assert_string_equal(journal_key_at(j, 1), "alpha");
	assert_string_equal(journal_value_at(j, 1), "two");
	assert_string_equal(journal_key_at(j, 2), "mid");

	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
	journal_free(j);
	j = NULL;
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_string_equal(journal_key_at(j, 0), "zeta");
	assert_string_equal(journal_key_at(j, 1), "alpha");
	assert_string_equal(journal_key_at(j, 2), "mid");

	assert_int_equal(journal_unset(j, "alpha"), 1);
	assert_int_equal(journal_unset(j, "alpha"), 0);
	assert_null(journal_get(j, "alpha"));
	assert_int_equal(journal_count(j), 2);
	assert_string_equal(journal_key_at(j, 1), "mid");
	assert_int_equal(journal_set(j, "alpha", "back", &err), MC_OK);
	assert_string_equal(journal_key_at(j, 2), "alpha");
	/* size bookkeeping survives unset/replace: save must succeed */
	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
	journal_free(j);
}

static void
test_setf_ulong_keys(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;
	unsigned long n = 7;
	char longkey[JOURNAL_KEY_MAX + 2];
	const char *bad[] = { "", "Upper", "a/b", "a b", "a=b", "\xc3\xa9" };
	size_t i;

	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_setf(j, "serial", &err, "%lu", 2026112801UL),
	    MC_OK);
	assert_string_equal(journal_get(j, "serial"), "2026112801");
	assert_int_equal(journal_get_ulong(j, "serial", &n), 1);
	assert_int_equal(n, 2026112801UL);
	assert_int_equal(journal_set(j, "ttl", "12a", &err), MC_OK);
	assert_int_equal(journal_get_ulong(j, "ttl", &n), 0);
	assert_int_equal(journal_set(j, "neg", "-1", &err), MC_OK);
	assert_int_equal(journal_get_ulong(j, "neg", &n), 0);
	assert_int_equal(journal_get_ulong(j, "absent", &n), 0);
	assert_null(journal_get(j, "absent"));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mc_err_clear(&err);
		assert_int_equal(journal_set(j, bad[i], "x", &err), MC_E_USAGE);
		assert_contains(err.msg, "example.com: journal key");
	}
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(journal_set(j, longkey, "x", &err), MC_E_USAGE);
	longkey[JOURNAL_KEY_MAX] = '\0';
	assert_int_equal(journal_set(j, longkey, "x", &err), MC_OK);
	journal_free(j);
	journal_free(NULL);
	journal_list_free(NULL, 0);
}

static void
test_file_size_cap(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL, *k = NULL;
	struct mc_err err;
	char *v, key[16];
	int i;
	enum mc_result r = MC_OK;

	/* 64 KiB of '%' escapes to 192 KiB a line: about 21 lines fit */
	v = malloc(JOURNAL_VALUE_MAX + 1);
	assert_non_null(v);
	memset(v, '%', JOURNAL_VALUE_MAX);
	v[JOURNAL_VALUE_MAX] = '\0';
	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	for (i = 0; i < 40 && r == MC_OK; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		r = journal_set(j, key, v, &err);
	}
	assert_int_equal(r, MC_E_USAGE);
	assert_contains(err.msg, "larger than 4194304");
	assert_int_equal(journal_count(j), (size_t)(i - 1));
	/* what was accepted can be saved and read back */
	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
	assert_int_equal(journal_load(fx->dir, "example.com", &k, &err), MC_OK);
	assert_int_equal(journal_count(k), journal_count(j));
	free(v);
	journal_free(j);
	journal_free(k);
}

static void
test_missing_is_empty(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(journal_exists(fx->dir, "new.example"), 0);
	assert_int_equal(journal_load(fx->dir, "new.example", &j, &err), MC_OK);
	assert_non_null(j);
	assert_int_equal(journal_count(j), 0);
	assert_string_equal(journal_domain(j), "new.example");
	/* loading does not create the file */
	assert_int_equal(journal_exists(fx->dir, "new.example"), 0);
	assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
	assert_int_equal(journal_exists(fx->dir, "new.example"), 1);
	assert_int_equal(journal_exists(fx->dir, "NEW.example."), 1);
	journal_free(j);
	j = NULL;
	assert_int_equal(journal_load(fx->dir, "new.example", &j, &err), MC_OK);
	assert_int_equal(journal_count(j), 0);
	journal_free(j);
}

/* ---- corrupt files ------------------------------------------------------ */

static void
test_corrupt_truncated(void **state)
{
	struct fx *fx = *state;
	char path[256], *good;
	size_t len, cut;

	save_sample(fx, "dns_lowered");
	journal_path(fx, "example.com", path, sizeof(path));
	good = file_read_all(path, &len);
	/* every possible cut, from empty to one byte short */
	for (cut = 0; cut < len; cut++) {
		file_write(path, good, cut);
		expect_corrupt(fx, "example.com", NULL);
	}
	/* named cases give the expected reason */
	file_write(path, good, 0);
	expect_corrupt(fx, "example.com", "empty");
	file_write(path, good, len - 1);
	expect_corrupt(fx, "example.com", "incomplete");
	file_write(path, good, len - 76);	/* the whole trailer line */
	expect_corrupt(fx, "example.com", "trailer");
	file_write(path, good, 10);
	expect_corrupt(fx, "example.com", "magic");
	file_write(path, good, len);
	expect_sample(fx, "dns_lowered");
	free(good);
}

static void
test_corrupt_flipped(void **state)
{
	struct fx *fx = *state;
	char path[256], *good, *bad;
	size_t len, i;
	unsigned b;
	const unsigned char flips[] = { 0x01, 0x20, 0x80 };

	save_sample(fx, "x");
	journal_path(fx, "example.com", path, sizeof(path));
	good = file_read_all(path, &len);
	bad = malloc(len);
	assert_non_null(bad);
	for (i = 0; i < len; i++)
		for (b = 0; b < sizeof(flips); b++) {
			memcpy(bad, good, len);
			bad[i] = (char)(bad[i] ^ flips[b]);
			file_write(path, bad, len);
			expect_corrupt(fx, "example.com", NULL);
		}
	/* a changed value (not the checksum) is reported as such */
	memcpy(bad, good, len);
	*strstr(bad, "step=x") = 'S';
	file_write(path, bad, len);
	expect_corrupt(fx, "example.com", "checksum");
	free(good);
	free(bad);
}

static void
test_corrupt_cases(void **state)
{
	struct fx *fx = *state;
	char path[256], target[256], *big;
	const char *hdr = "mailcutover-journal 1\ndomain example.com\n";
	char body[512];
	struct {
		const char *body, *needle;
	} c[] = {
		{ "garbage\ndomain example.com\n", "magic" },
		{ "mailcutover-journal 2\ndomain example.com\n", "version" },
		{ "mailcutover-journal 1\ndomain other.example\nk=v\n",
		    "line 2: journal is for domain 'other.example'" },
		{ "mailcutover-journal 1\ndomain EXAMPLE.COM\n", "line 2" },
		{ "mailcutover-journal 1\nk=v\n", "line 2" },
		{ "mailcutover-journal 1\n", "line 2" },
		{ NULL, "line 4: no '='" },		/* garbage line */
		{ NULL, "line 3: bad key" },
		{ NULL, "line 3: bad escape" },
		{ NULL, "line 4: key 'a' appears twice" },
		{ NULL, "line 3: bad escape or raw CR" },
		{ NULL, "line 3: bad escape" },
		{ NULL, "line 4: no '='" },		/* empty line */
	};
	const char *tail[] = {
		"a=1\nthis is not a pair\n",
		"Bad=1\n",
		"a=%41\n",
		"a=1\na=2\n",
		"a=1\r\n",
		"a=%0a\n",
		"a=1\n\n",
	};
	size_t i, t = 0;

	journal_path(fx, "example.com", path, sizeof(path));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].body != NULL)
			file_write_signed(path, c[i].body);
		else {
			snprintf(body, sizeof(body), "%s%s", hdr, tail[t++]);
			file_write_signed(path, body);
		}
		expect_corrupt(fx, "example.com", c[i].needle);
	}
	/* missing trailer: a good body without its "end" line */
	file_write(path, hdr, strlen(hdr));
	expect_corrupt(fx, "example.com", "trailer");
	snprintf(body, sizeof(body), "%sa=1\nend sha256=%064d\n", hdr, 0);
	file_write(path, body, strlen(body));
	expect_corrupt(fx, "example.com", "checksum");
	snprintf(body, sizeof(body), "%sa=1\nend sha256=abc\n", hdr);
	file_write(path, body, strlen(body));
	expect_corrupt(fx, "example.com", "checksum");
	/* a NUL byte */
	file_write(path, "mailcutover-journal 1\n\0", 23);
	expect_corrupt(fx, "example.com", "NUL");
	/* larger than 4 MiB */
	big = calloc(1, JOURNAL_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', JOURNAL_FILE_MAX + 1);
	file_write(path, big, JOURNAL_FILE_MAX + 1);
	expect_corrupt(fx, "example.com", "limit");
	free(big);
	/* not a regular file */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_corrupt(fx, "example.com", "not a regular file");
	assert_int_equal(rmdir(path), 0);
	/* a symbolic link, even to a good journal, is refused */
	save_sample(fx, "x");
	snprintf(target, sizeof(target), "%s/real", fx->base);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	expect_corrupt(fx, "example.com", "symbolic link");
}

static void
test_signed_good_file_loads(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;
	char path[256];

	/* a hand-written file in the documented format is accepted */
	journal_path(fx, "example.com", path, sizeof(path));
	file_write_signed(path, "mailcutover-journal 1\ndomain example.com\n"
	    "a=x%25y%0Az=\nb=\n");
	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_count(j), 2);
	assert_string_equal(journal_get(j, "a"), "x%y\nz=");
	assert_string_equal(journal_get(j, "b"), "");
	journal_free(j);
}

/* ---- atomic save -------------------------------------------------------- */

static void
test_save_atomic_mode(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	char path[256];

	save_sample(fx, "one");
	save_sample(fx, "two");
	journal_path(fx, "example.com", path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(dir_count(fx->dir, ".journal."), 0);
	assert_int_equal(dir_count(fx->dir, "example.com"), 1);
	expect_sample(fx, "two");
}

static void
test_save_short_writes(void **state)
{
	struct fx *fx = *state;

	fi_write_chunk = 7;		/* write(2) returns short counts */
	save_sample(fx, "trickled");
	fi_reset();
	expect_sample(fx, "trickled");
}

static void
test_save_failures_keep_old(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;
	struct {
		long budget;
		int fsync_at, rename_errno;
		const char *needle;
	} f[] = {
		{ 0, 0, 0, "No space left on device" },
		{ 50, 0, 0, "No space left on device" },	/* short, then ENOSPC */
		{ -1, 1, 0, "fsync: Input/output error" },
		{ -1, 0, EIO, "rename from" },
		{ -1, 0, EXDEV, "Invalid cross-device link" },
	};
	size_t i;

	save_sample(fx, "old");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		mc_err_clear(&err);
		fi_reset();
		assert_int_equal(journal_load(fx->dir, "example.com", &j, &err),
		    MC_OK);
		assert_int_equal(journal_set(j, "step", "new", &err), MC_OK);
		fi_write_budget = f[i].budget;
		fi_fsync_fail_at = f[i].fsync_at;
		fi_rename_errno = f[i].rename_errno;
		assert_int_equal(journal_save(fx->dir, j, &err), MC_E_IO);
		fi_reset();
		assert_contains(err.msg, fx->dir);
		assert_contains(err.msg, "example.com.journal");
		assert_contains(err.msg, f[i].needle);
		journal_free(j);
		j = NULL;
		assert_int_equal(dir_count(fx->dir, ".journal."), 0);
		expect_sample(fx, "old");
	}
}

static void
test_save_dir_fsync_fails(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;

	save_sample(fx, "old");
	mc_err_clear(&err);
	assert_int_equal(journal_load(fx->dir, "example.com", &j, &err), MC_OK);
	assert_int_equal(journal_set(j, "step", "new", &err), MC_OK);
	fi_reset();
	fi_fsync_fail_at = 2;		/* the directory's */
	assert_int_equal(journal_save(fx->dir, j, &err), MC_E_IO);
	fi_reset();
	assert_contains(err.msg, "fsync of the directory");
	/* the rename happened: the new journal is in place, no temp file */
	assert_int_equal(dir_count(fx->dir, ".journal."), 0);
	expect_sample(fx, "new");
	journal_free(j);
}

static void
test_save_target_unusable(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;
	char path[256], nodir[256];

	mc_err_clear(&err);
	/* the target path is a directory: rename fails, nothing left over */
	journal_path(fx, "example.org", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(journal_load(fx->dir, "example.org", &j, &err),
	    MC_E_CORRUPT);
	j = journal_new("example.org");
	assert_non_null(j);
	assert_int_equal(journal_set(j, "a", "b", &err), MC_OK);
	assert_int_equal(journal_save(fx->dir, j, &err), MC_E_IO);
	assert_contains(err.msg, path);
	assert_int_equal(dir_count(fx->dir, ".journal."), 0);
	/* a state directory that does not exist */
	snprintf(nodir, sizeof(nodir), "%s/missing", fx->base);
	mc_err_clear(&err);
	assert_int_equal(journal_save(nodir, j, &err), MC_E_IO);
	assert_contains(err.msg, nodir);
	assert_contains(err.msg, "No such file or directory");
	journal_free(j);
}

/* ---- state directory, names, lock, list ---------------------------------- */

static void
expect_dir_refused(const char *dir, const char *needle)
{
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(journal_open_dir(dir, &err), MC_E_IO);
	assert_contains(err.msg, dir);
	assert_contains(err.msg, needle);
}

static void
test_state_dir(void **state)
{
	struct fx *fx = *state;
	struct mc_err err;
	struct stat st;
	char d[256], link[256], file[256];
	mode_t old;

	/* created 0700 even under a permissive umask */
	old = umask(0);
	snprintf(d, sizeof(d), "%s/fresh", fx->base);
	mc_err_clear(&err);
	assert_int_equal(journal_open_dir(d, &err), MC_OK);
	umask(old);
	assert_int_equal(lstat(d, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(journal_open_dir(d, &err), MC_OK);	/* again */

	assert_int_equal(chmod(d, 0755), 0);
	expect_dir_refused(d, "mode 0755");
	assert_int_equal(chmod(d, 0710), 0);
	expect_dir_refused(d, "group or others");
	assert_int_equal(chmod(d, 0700), 0);

	assert_int_equal(chown(d, 65534, 0), 0);
	expect_dir_refused(d, "owned by uid 65534");
	assert_int_equal(chown(d, 0, 0), 0);

	snprintf(link, sizeof(link), "%s/link", fx->base);
	assert_int_equal(symlink(d, link), 0);
	expect_dir_refused(link, "symbolic link");

	snprintf(file, sizeof(file), "%s/file", fx->base);
	file_write(file, "x", 1);
	expect_dir_refused(file, "not a directory");

	/* a missing parent is not created (last component only) */
	snprintf(d, sizeof(d), "%s/no/such", fx->base);
	expect_dir_refused(d, "cannot create");
}

static void
test_invalid_domains(void **state)
{
	struct fx *fx = *state;
	struct journal *j = (struct journal *)0x1;
	struct mc_err err;
	char **list = NULL, want[128];
	size_t n = 0, i;
	int fd = 7;
	const char *bad[] = { "../x", "a/b", "", "x", "..", "../etc.passwd",
	    "example.com/../../x", ".example.com", "a..b", "exa mple.com",
	    "example.com\n", "/etc/passwd" };

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "'%s': not a domain name", bad[i]);
		mc_err_clear(&err);
		assert_int_equal(journal_load(fx->dir, bad[i], &j, &err),
		    MC_E_USAGE);
		assert_null(j);
		assert_string_equal(err.msg, want);
		mc_err_clear(&err);
		assert_int_equal(journal_lock(fx->dir, bad[i], &fd, &err),
		    MC_E_USAGE);
		assert_int_equal(fd, -1);
		assert_string_equal(err.msg, want);
		assert_int_equal(journal_exists(fx->dir, bad[i]), 0);
		j = (struct journal *)0x1;
	}
	assert_int_equal(journal_load(fx->dir, NULL, &j, &err), MC_E_USAGE);
	/* nothing was created anywhere */
	assert_int_equal(journal_list(fx->dir, &list, &n, &err), MC_OK);
	assert_int_equal(n, 0);
	assert_int_equal(dir_count(fx->dir, ".lock"), 0);
	assert_int_equal(dir_count(fx->base, "x"), 0);
	journal_list_free(list, n);
}

static void
test_lock(void **state)
{
	struct fx *fx = *state;
	struct mc_err err;
	struct stat st;
	char want[160], path[256];
	int fd1 = -1, fd2 = 7, fd3 = -1;

	mc_err_clear(&err);
	assert_int_equal(journal_lock(fx->dir, "Example.com", &fd1, &err),
	    MC_OK);
	assert_true(fd1 >= 0);
	snprintf(path, sizeof(path), "%s/example.com.lock", fx->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* a second open file description conflicts, as a second run would */
	assert_int_equal(journal_lock(fx->dir, "example.com", &fd2, &err),
	    MC_E_BUSY);
	assert_int_equal(fd2, -1);
	snprintf(want, sizeof(want), "example.com: another mailcutover run is "
	    "working on this domain (pid %ld)", (long)getpid());
	assert_string_equal(err.msg, want);

	/* another domain is independent */
	assert_int_equal(journal_lock(fx->dir, "example.org", &fd3, &err),
	    MC_OK);
	journal_unlock(fd3);

	journal_unlock(fd1);
	journal_unlock(-1);
	assert_int_equal(journal_lock(fx->dir, "example.com", &fd2, &err),
	    MC_OK);
	journal_unlock(fd2);
	/* lock files are not journals */
	assert_int_equal(journal_exists(fx->dir, "example.com"), 0);
}

static void
test_lock_other_process(void **state)
{
	struct fx *fx = *state;
	struct mc_err err;
	pid_t pid;
	int fd = -1, status;

	mc_err_clear(&err);
	assert_int_equal(journal_lock(fx->dir, "example.com", &fd, &err),
	    MC_OK);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int cfd = -1;
		struct mc_err cerr;

		mc_err_clear(&cerr);
		/* fd was inherited but close-on-exec only; take our own */
		if (journal_lock(fx->dir, "example.com", &cfd, &cerr) ==
		    MC_E_BUSY && strstr(cerr.msg, "another mailcutover run") !=
		    NULL)
			_exit(0);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	journal_unlock(fd);
}

static void
test_list(void **state)
{
	struct fx *fx = *state;
	struct journal *j = NULL;
	struct mc_err err;
	char **list = NULL, path[256];
	size_t n = 7, i;
	int fd = -1;
	const char *doms[] = { "b.example", "A.example", "c.example.", "a.test" };
	const char *junk[] = { ".a.example.journal.Ab12Cd", "x.journal",
	    "Upper.Example.journal", "notes.txt", ".journal", "a.example.jour" };

	mc_err_clear(&err);
	assert_int_equal(journal_list(fx->dir, &list, &n, &err), MC_OK);
	assert_int_equal(n, 0);
	journal_list_free(list, n);

	for (i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
		assert_int_equal(journal_load(fx->dir, doms[i], &j, &err),
		    MC_OK);
		assert_int_equal(journal_save(fx->dir, j, &err), MC_OK);
		journal_free(j);
		j = NULL;
	}
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, junk[i]);
		file_write(path, "x", 1);
	}
	assert_int_equal(journal_lock(fx->dir, "d.example", &fd, &err), MC_OK);
	assert_int_equal(journal_list(fx->dir, &list, &n, &err), MC_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0], "a.example");
	assert_string_equal(list[1], "a.test");
	assert_string_equal(list[2], "b.example");
	assert_string_equal(list[3], "c.example");
	journal_list_free(list, n);
	journal_unlock(fd);

	snprintf(path, sizeof(path), "%s/nope", fx->base);
	assert_int_equal(journal_list(path, &list, &n, &err), MC_E_IO);
	assert_contains(err.msg, path);
	assert_null(list);
	assert_int_equal(n, 0);
}

/* ---- audit log ---------------------------------------------------------- */

struct seen {
	int	 n;
	char	 f[8][AUDIT_FIELDS][AUDIT_FIELD_MAX + 1];
};

static void
seen_cb(void *arg, const char *const fields[7])
{
	struct seen *s = arg;
	int i;

	assert_true(s->n < 8);
	for (i = 0; i < AUDIT_FIELDS; i++) {
		assert_true(strlen(fields[i]) <= AUDIT_FIELD_MAX);
		strcpy(s->f[s->n][i], fields[i]);
	}
	s->n++;
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ", or -1. */
static time_t
iso_parse(const char *s)
{
	struct tm tm;
	const char *e;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 || (e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) ==
	    NULL || *e != '\0')
		return -1;
	return timegm(&tm);
}

static void
test_audit_append_read(void **state)
{
	struct fx *fx = *state;
	struct mc_err err;
	struct seen *s;
	struct stat st;
	char path[256], *buf, *p, longf[1001], utf[601];
	size_t len, i;
	int lines = 0, tabs;
	time_t before, after, t;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	memset(longf, 'x', sizeof(longf) - 1);
	longf[sizeof(longf) - 1] = '\0';
	for (i = 0; i + 1 < sizeof(utf); i += 2)
		memcpy(utf + i, "\xc3\xa9", 2);	/* 300 x U+00E9 */
	utf[600] = '\0';

	before = time(NULL);
	mc_err_clear(&err);
	assert_int_equal(audit_append(fx->dir, "a.example", "mx_switch",
	    "10 mx1.old.\n20 mx2.old.", "10\tmx.new.", "ok", "root", &err),
	    MC_OK);
	assert_int_equal(audit_append(fx->dir, "b.example", "ttl_lower",
	    NULL, "300", "failed: \x1b[31mred\r\x7f", NULL, &err), MC_OK);
	assert_int_equal(audit_append(fx->dir, "A.Example.", "long", longf,
	    utf, "bad\xff\xc3utf8", "admin \xe2\x9c\x93", &err), MC_OK);
	after = time(NULL);

	snprintf(path, sizeof(path), "%s/audit.log", fx->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* raw file: one line per call, exactly 6 tabs each */
	buf = file_read_all(path, &len);
	assert_int_equal(buf[len - 1], '\n');
	for (p = buf; *p != '\0'; p++) {
		tabs = 0;
		for (; *p != '\n'; p++) {
			assert_true(*p == '\t' ||
			    ((unsigned char)*p >= 0x20 && *p != 0x7f));
			tabs += *p == '\t';
		}
		assert_int_equal(tabs, AUDIT_FIELDS - 1);
		lines++;
	}
	assert_int_equal(lines, 3);
	assert_non_null(strstr(buf, "\ta.example\tmx_switch\t10 mx1.old. 20 "
	    "mx2.old.\t10 mx.new.\tok\troot\n"));
	assert_non_null(strstr(buf, "\tb.example\tttl_lower\t-\t300\tfailed:  "
	    "[31mred  \t-\n"));
	free(buf);

	assert_int_equal(audit_read(fx->dir, NULL, seen_cb, s, &err), MC_OK);
	assert_int_equal(s->n, 3);
	for (i = 0; i < 3; i++) {
		t = iso_parse(s->f[i][0]);
		assert_true(t >= before && t <= after);
	}
	assert_string_equal(s->f[0][3], "10 mx1.old. 20 mx2.old.");
	assert_string_equal(s->f[0][4], "10 mx.new.");
	assert_string_equal(s->f[1][3], "-");
	assert_string_equal(s->f[1][6], "-");
	assert_int_equal(strlen(s->f[2][3]), AUDIT_FIELD_MAX);
	assert_int_equal(strlen(s->f[2][4]), AUDIT_FIELD_MAX);	/* 256 x é */
	assert_memory_equal(s->f[2][4], utf, AUDIT_FIELD_MAX);
	assert_string_equal(s->f[2][5], "bad??utf8");
	assert_string_equal(s->f[2][6], "admin \xe2\x9c\x93");

	/* filter by domain: case and trailing dot do not matter */
	memset(s, 0, sizeof(*s));
	assert_int_equal(audit_read(fx->dir, "a.example", seen_cb, s, &err),
	    MC_OK);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->f[0][2], "mx_switch");
	assert_string_equal(s->f[1][2], "long");
	memset(s, 0, sizeof(*s));
	assert_int_equal(audit_read(fx->dir, "B.EXAMPLE.", seen_cb, s, &err),
	    MC_OK);
	assert_int_equal(s->n, 1);
	memset(s, 0, sizeof(*s));
	assert_int_equal(audit_read(fx->dir, "c.example", seen_cb, s, &err),
	    MC_OK);
	assert_int_equal(s->n, 0);
	free(s);
}

static void
test_audit_read_bad_lines(void **state)
{
	struct fx *fx = *state;
	struct mc_err err;
	struct seen *s;
	char path[256], empty[256];
	int fd;
	const char *junk = "not a log line\n";

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	/* no log yet: nothing, no error */
	mc_err_clear(&err);
	assert_int_equal(audit_read(fx->dir, NULL, seen_cb, s, &err), MC_OK);
	assert_int_equal(s->n, 0);

	assert_int_equal(audit_append(fx->dir, "a.example", "s1", "o", "n",
	    "ok", "root", &err), MC_OK);
	snprintf(path, sizeof(path), "%s/audit.log", fx->dir);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd != -1);
	assert_int_equal(write(fd, junk, strlen(junk)), (ssize_t)strlen(junk));
	close(fd);
	assert_int_equal(audit_append(fx->dir, "a.example", "s2", "o", "n",
	    "ok", "root", &err), MC_OK);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "torn\tline", 9), 9);
	close(fd);

	mc_err_clear(&err);
	assert_int_equal(audit_read(fx->dir, NULL, seen_cb, s, &err),
	    MC_E_CORRUPT);
	assert_int_equal(s->n, 2);		/* the good lines still came */
	assert_string_equal(s->f[1][2], "s2");
	assert_contains(err.msg, path);
	assert_contains(err.msg, "line 2: not 7 tab-separated fields");
	assert_contains(err.msg, "2 bad lines");

	/* the log must not be world-writable or a symlink */
	assert_int_equal(chmod(path, 0622), 0);
	mc_err_clear(&err);
	assert_int_equal(audit_append(fx->dir, "a.example", "s3", NULL, NULL,
	    "ok", "root", &err), MC_E_IO);
	assert_contains(err.msg, path);
	assert_int_equal(unlink(path), 0);
	snprintf(empty, sizeof(empty), "%s/elsewhere", fx->base);
	assert_int_equal(symlink(empty, path), 0);
	assert_int_equal(audit_append(fx->dir, "a.example", "s3", NULL, NULL,
	    "ok", "root", &err), MC_E_IO);
	assert_contains(err.msg, "symbolic link");
	assert_int_equal(access(empty, F_OK), -1);
	free(s);
}

/*
 * An append is all or nothing: a disk that fills in the middle of a line
 * (ENOSPC after part of it) leaves the log as it was, and says so; the
 * next append and every read are clean (the fault matrix's "disk" case:
 * a torn line made every later `log` exit 1).
 */
static void
test_audit_append_disk_full(void **state)
{
	struct fx *fx = *state;
	struct mc_err err;
	struct seen *s = calloc(1, sizeof(*s));
	struct stat st1, st2;
	char path[256];

	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/audit.log", fx->dir);
	mc_err_clear(&err);
	assert_int_equal(audit_append(fx->dir, "a.example", "prepare",
	    "86400", "600", "ok", "cli", &err), MC_OK);
	assert_int_equal(stat(path, &st1), 0);

	fi_write_budget = 20;		/* the disk fills inside the line */
	mc_err_clear(&err);
	assert_int_equal(audit_append(fx->dir, "a.example", "switch", "-",
	    "mail.a.example A 192.0.2.7", "added", "cli", &err), MC_E_IO);
	assert_contains(err.msg, path);
	assert_contains(err.msg, "disk full");
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_size, st1.st_size);	/* nothing of it */

	fi_write_budget = 0;		/* full before the first byte */
	mc_err_clear(&err);
	assert_int_equal(audit_append(fx->dir, "a.example", "switch", "-",
	    "x", "added", "cli", &err), MC_E_IO);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_size, st1.st_size);

	fi_reset();
	mc_err_clear(&err);
	assert_int_equal(audit_append(fx->dir, "a.example", "switch", "-",
	    "mail.a.example A 192.0.2.7", "added", "cli", &err), MC_OK);
	assert_int_equal(audit_read(fx->dir, NULL, seen_cb, s, &err), MC_OK);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->f[1][5], "added");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_roundtrip_awkward),
		T(test_escaping_on_disk),
		T(test_order_and_replace),
		T(test_setf_ulong_keys),
		T(test_file_size_cap),
		T(test_missing_is_empty),
		T(test_corrupt_truncated),
		T(test_corrupt_flipped),
		T(test_corrupt_cases),
		T(test_signed_good_file_loads),
		T(test_save_atomic_mode),
		T(test_save_short_writes),
		T(test_save_failures_keep_old),
		T(test_save_dir_fsync_fails),
		T(test_save_target_unusable),
		T(test_state_dir),
		T(test_invalid_domains),
		T(test_lock),
		T(test_lock_other_process),
		T(test_list),
		T(test_audit_append_read),
		T(test_audit_read_bad_lines),
		T(test_audit_append_disk_full),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
