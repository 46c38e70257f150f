/* test_secret.c -- secrets from root-only files and from a descriptor. */
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <ftw.h>

#include "secret.h"

static char *dir;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_secret: must run as root (chown)\n");
		return -1;
	}
	dir = unit_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (dir != NULL) {
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(dir);
		dir = NULL;
	}
	return 0;
}

/* Write a secret file in dir; returns its path (malloc'd). */
static char *
mkfile(const char *name, const char *data, size_t len, mode_t mode)
{
	char *p = unit_path(dir, name);

	unlink(p);
	unit_write_file(p, data, len, mode);
	return p;
}

static void
load_ok(const char *path, const char *want)
{
	struct secret *s = NULL;
	struct mc_err err;
	enum mc_result rc;

	mc_err_clear(&err);
	rc = secret_load_file(path, 0, &s, &err);
	if (rc != MC_OK)
		fail_msg("%s refused: %s", path, err.msg);
	assert_non_null(s);
	assert_string_equal(s->value, want);
	assert_int_equal(s->len, strlen(want));
	secret_free(s);
}

/* Loading path must fail with MC_E_SECRET naming the file and reason. */
static void
load_refused(const char *path, uid_t owner, const char *reason)
{
	struct secret *s = (struct secret *)0x1;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(secret_load_file(path, owner, &s, &err), MC_E_SECRET);
	assert_null(s);
	assert_int_equal(err.code, MC_E_SECRET);
	assert_contains(err.msg, path);
	assert_contains(err.msg, reason);
}

static void
test_ok(void **state)
{
	char *p;

	(void)state;
	p = mkfile("plain", "s3cr3t-key", 10, 0600);
	load_ok(p, "s3cr3t-key");
	free(p);
	p = mkfile("readonly", "k", 1, 0400);
	load_ok(p, "k");
	free(p);
	p = mkfile("nl", "s3cr3t\n", 7, 0600);
	load_ok(p, "s3cr3t");
	free(p);
	p = mkfile("crlf", "s3cr3t\r\n", 8, 0600);
	load_ok(p, "s3cr3t");
	free(p);
	p = mkfile("blank-tail", "s3cr3t\n\r\n\n", 10, 0600);
	load_ok(p, "s3cr3t");
	free(p);
	p = mkfile("spaces", "pass word&<>\"'", 14, 0600);
	load_ok(p, "pass word&<>\"'");
	free(p);
}

static void
test_size_limit(void **state)
{
	char buf[5000];
	char *p;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	p = mkfile("big-ok", buf, 4000, 0600);
	buf[4000] = '\0';
	load_ok(p, buf);
	free(p);
	memset(buf, 'a', sizeof(buf));
	p = mkfile("too-big", buf, 4097, 0600);
	load_refused(p, 0, "longer than 4096 bytes");
	free(p);
	p = mkfile("much-too-big", buf, sizeof(buf), 0600);
	load_refused(p, 0, "longer than");
	free(p);
}

static void
test_symlink(void **state)
{
	char *target, *link;

	(void)state;
	target = mkfile("target", "k", 1, 0600);
	link = unit_path(dir, "link");
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	load_refused(link, 0, "symbolic link");
	/* a dangling link too */
	unlink(target);
	load_refused(link, 0, "symbolic link");
	free(target);
	free(link);
}

static void
test_directory(void **state)
{
	char *p = unit_path(dir, "adir");

	(void)state;
	assert_int_equal(mkdir(p, 0700), 0);
	load_refused(p, 0, "not a regular file");
	free(p);
	load_refused("/dev/null", 0, "not a regular file");
}

static void
test_owner(void **state)
{
	char *p;

	(void)state;
	p = mkfile("nobody", "k", 1, 0600);
	assert_int_equal(chown(p, 65534, 65534), 0);
	load_refused(p, 0, "owned by uid 65534");
	free(p);
	/* a root file when another owner is required */
	p = mkfile("root-owned", "k", 1, 0600);
	load_refused(p, 65534, "owned by uid 0");
	free(p);
}

static void
test_mode(void **state)
{
	static const struct {
		mode_t mode;
		const char *reason;
	} cases[] = {
		{ 0640, "group" }, { 0620, "group" }, { 0610, "group" },
		{ 0604, "others" }, { 0602, "others" }, { 0601, "others" },
		{ 0644, "group and others" }, { 0666, "group and others" },
		{ 0700 | 0070, "group" },
	};
	size_t i;
	char *p;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = mkfile("mode", "k", 1, cases[i].mode);
		load_refused(p, 0, cases[i].reason);
		load_refused(p, 0, "chmod 600");
		free(p);
	}
}

static void
test_content(void **state)
{
	static const struct {
		const char *data;
		const char *reason;
	} cases[] = {
		{ "", "empty" },
		{ "\n", "empty" },
		{ "\r\n", "empty" },
		{ "topsecret\x01", "control character" },
		{ "top\tsecret", "control character" },
		{ "topsecret\x7f", "control character" },
		{ "top\rsecret", "control character" },
		{ "topsecret\x1b[0m", "control character" },
		{ "topsecret\nsecondline", "more than one line" },
		{ "topsecret\n\nsecondline\n", "more than one line" },
		{ "\ntopsecret", "more than one line" },
	};
	struct mc_err err;
	struct secret *s;
	size_t i;
	char *p;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = mkfile("content", cases[i].data, strlen(cases[i].data),
		    0600);
		load_refused(p, 0, cases[i].reason);
		/* the secret itself never appears in the message */
		mc_err_clear(&err);
		assert_int_not_equal(secret_load_file(p, 0, &s, &err), MC_OK);
		assert_not_contains(err.msg, "topsecret");
		assert_not_contains(err.msg, "secondline");
		free(p);
	}
	/* a NUL byte is a control character too */
	p = mkfile("nul", "ab\0cd", 5, 0600);
	load_refused(p, 0, "control character");
	free(p);
}

static void
test_missing(void **state)
{
	char *p = unit_path(dir, "does-not-exist");

	(void)state;
	load_refused(p, 0, "No such file");
	free(p);
}

/* Feed data through a pipe to secret_load_fd. */
static enum mc_result
from_pipe(const char *data, size_t len, struct secret **s, struct mc_err *err)
{
	int fds[2];
	enum mc_result rc;

	assert_int_equal(pipe(fds), 0);
	if (len > 0)
		assert_int_equal(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	mc_err_clear(err);
	rc = secret_load_fd(fds[0], "stdin", s, err);
	close(fds[0]);
	return rc;
}

static void
test_fd(void **state)
{
	struct secret *s = NULL;
	struct mc_err err;

	(void)state;
	assert_int_equal(from_pipe("pipe-key\n", 9, &s, &err), MC_OK);
	assert_string_equal(s->value, "pipe-key");
	assert_int_equal(s->len, 8);
	secret_free(s);
	assert_int_equal(from_pipe("pipe-key\r\n", 10, &s, &err), MC_OK);
	assert_string_equal(s->value, "pipe-key");
	secret_free(s);
	assert_int_equal(from_pipe("pipe-key", 8, &s, &err), MC_OK);
	assert_string_equal(s->value, "pipe-key");
	secret_free(s);

	assert_int_equal(from_pipe("", 0, &s, &err), MC_E_SECRET);
	assert_null(s);
	assert_contains(err.msg, "stdin");
	assert_contains(err.msg, "empty");
	assert_int_equal(from_pipe("a\x02", 2, &s, &err), MC_E_SECRET);
	assert_contains(err.msg, "control character");
	assert_int_equal(from_pipe("topsecret\nmore\n", 15, &s, &err),
	    MC_E_SECRET);
	assert_contains(err.msg, "more than one line");
	assert_not_contains(err.msg, "topsecret");

	/* a closed descriptor */
	mc_err_clear(&err);
	assert_int_equal(secret_load_fd(-1, "stdin", &s, &err), MC_E_SECRET);
	assert_null(s);
	assert_contains(err.msg, "stdin");
}

/*
 * A FIFO swapped in between the lstat and the open (issue 11): the
 * lstat below, seen by secret.c, says "a regular file" for the FIFO's
 * path, as a race would; the open must not wait for a writer, and the
 * fstat that follows refuses it. Without O_NONBLOCK the open hangs and
 * the alarm fails the test.
 */
static const char *fifo_path;

int	lstat(const char *, struct stat *);

int
lstat(const char *path, struct stat *st)
{
	if (fifo_path != NULL && strcmp(path, fifo_path) == 0) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = 10;
		return 0;
	}
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

static void
on_alarm(int sig)
{
	static const char m[] = "test_secret: the open of a FIFO hung\n";

	(void)sig;
	(void)write(2, m, sizeof(m) - 1);
	_exit(1);
}

static void
test_fifo_swapped_in(void **state)
{
	struct secret *s = NULL;
	struct mc_err err;
	char *p = unit_path(dir, "fifo.secret");

	(void)state;
	unlink(p);
	assert_int_equal(mkfifo(p, 0600), 0);
	fifo_path = p;
	signal(SIGALRM, on_alarm);
	alarm(5);
	mc_err_clear(&err);
	assert_int_equal(secret_load_file(p, 0, &s, &err), MC_E_SECRET);
	alarm(0);
	fifo_path = NULL;
	assert_null(s);
	assert_non_null(strstr(err.msg, p));
	free(p);
}

static void
test_secret_free(void **state)
{
	struct secret *s = calloc(1, sizeof(*s));

	(void)state;
	secret_free(NULL);
	assert_non_null(s);
	secret_free(s);	/* value NULL is fine too */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_fd),
		cmocka_unit_test(test_secret_free),
		cmocka_unit_test(test_fifo_swapped_in),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
