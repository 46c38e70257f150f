/* settings.c -- `mailcutover settings get|set`: read and write the config. */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "audit.h"
#include "config.h"
#include "idn.h"
#include "ini.h"
#include "json.h"
#include "settings.h"

/* ------------------------------------------------------------- writing */

/*
 * The configuration and the secret file are written as the journal is
 * (atomicfile.h); a target that is not a regular file (a symlink put
 * there) is refused rather than replaced.
 */
enum mc_result
settings_write_file(const char *path, const char *data, size_t len,
    struct mc_err *err)
{
	char *dcopy, *bcopy;
	struct stat st;
	enum mc_result r;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return mc_err_set(err, MC_E_IO, "%s: not a regular file "
		    "(a symlink?); refused", path);
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (dcopy == NULL || bcopy == NULL)
		r = mc_err_set(err, MC_E_NOMEM, "out of memory");
	else
		r = afile_write(dirname(dcopy), basename(bcopy), "file", data,
		    len, err);
	free(dcopy);
	free(bcopy);
	return r;
}

/* ------------------------------------------------------------ commands */

/*
 * The config as it is (ini empty when it cannot be read); 1 if it
 * exists. err says why it cannot be read, and with `check` also what
 * the helper's own rules find wrong in it (config_parse).
 */
static int
config_read(const char *config_path, struct ini *ini, int check,
    struct mc_err *err)
{
	struct config *c = NULL;
	char *text;
	FILE *f;

	memset(ini, 0, sizeof(*ini));
	if ((f = fopen(config_path, "re")) == NULL) {
		if (errno != ENOENT)
			mc_err_set(err, MC_E_CONFIG, "config %s: %s",
			    config_path, strerror(errno));
		return 0;
	}
	/* a config someone else could have written is not shown either */
	if (config_trusted(config_path, fileno(f), err) != MC_OK) {
		fclose(f);
		return 1;
	}
	if ((text = calloc(1, SETTINGS_MAX_CONFIG + 2)) != NULL &&
	    fread(text, 1, SETTINGS_MAX_CONFIG + 1, f) > SETTINGS_MAX_CONFIG) {
		/* never a cut config, shown or written back */
		free(text);
		fclose(f);
		mc_err_set(err, MC_E_CONFIG, "config %s: longer than %d bytes",
		    config_path, SETTINGS_MAX_CONFIG);
		return 1;
	}
	fclose(f);
	if (text == NULL)
		mc_err_set(err, MC_E_NOMEM, "out of memory");
	else if (ini_parse(text, ini, err) == MC_OK && check &&
	    config_parse(config_path, text, &c, err) == MC_OK)
		config_free(c);
	free(text);
	return 1;
}

static const char *const src_keys[] = { "url", "auth", "login", "pin",
    "secret_file" };
static const char *const cut_keys[] = { "new_ip", "lowered_ttl",
    "restored_ttl", "min_wait", "quiet_hours", "primary_dns" };

static void
get_text(const char *config_path, const struct ini *ini, int exists,
    int secret_set, const struct mc_err *err)
{
	const char *v;
	size_t i;

	printf("config %s%s\n", config_path, exists ? "" :
	    " (not written yet)");
	for (i = 0; i < sizeof(src_keys) / sizeof(src_keys[0]); i++)
		if ((v = ini_get(ini, "source", src_keys[i])) != NULL)
			printf("source.%s = %s\n", src_keys[i], v);
	printf("source.secret: %s\n", secret_set ? "set" : "not set");
	for (i = 0; i < sizeof(cut_keys) / sizeof(cut_keys[0]); i++)
		if ((v = ini_get(ini, "cutover", cut_keys[i])) != NULL)
			printf("cutover.%s = %s\n", cut_keys[i], v);
	if (err->code != MC_OK)
		printf("error: %s\n", err->msg);
}

static void
get_json(const char *config_path, const struct ini *ini, int exists,
    int secret_set, const struct mc_err *err)
{
	struct json j;
	const char *v;
	size_t i;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_str(&j, "config", config_path);
	json_bool(&j, "exists", exists);
	json_bool(&j, "valid", exists && err->code == MC_OK);
	json_str(&j, "error", err->code == MC_OK ? NULL : err->msg);
	json_obj_open(&j, "source");
	for (i = 0; i < sizeof(src_keys) / sizeof(src_keys[0]); i++)
		json_str(&j, src_keys[i], ini_get(ini, "source", src_keys[i]));
	json_bool(&j, "secret_set", secret_set);
	json_obj_close(&j);
	json_obj_open(&j, "cutover");
	for (i = 0; i < sizeof(cut_keys) / sizeof(cut_keys[0]); i++)
		json_str(&j, cut_keys[i], ini_get(ini, "cutover", cut_keys[i]));
	json_obj_close(&j);
	json_arr_open(&j, "secondaries");
	for (i = 0; i < ini->n; i++) {
		if (strncmp(ini->s[i].name, "secondary ", 10) != 0)
			continue;
		json_obj_open(&j, NULL);
		json_str(&j, "name", ini->s[i].name + 10);
		json_str(&j, "address", ini_get(ini, ini->s[i].name,
		    "address"));
		v = ini_get(ini, ini->s[i].name, "method");
		json_str(&j, "method", v != NULL ? v : "notify");
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
}

/* the settings page's view of the config: never the secret itself */
static enum exit_code
settings_get(const char *config_path, int json)
{
	struct ini ini;
	struct mc_err err = { 0 };
	struct stat st;
	const char *sf;
	int exists, secret_set = 0;

	exists = config_read(config_path, &ini, 1, &err);
	sf = ini_get(&ini, "source", "secret_file");
	if (sf != NULL && strcmp(sf, "-") != 0 && lstat(sf, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0)
		secret_set = 1;
	if (json)
		get_json(config_path, &ini, exists, secret_set, &err);
	else
		get_text(config_path, &ini, exists, secret_set, &err);
	ini_free(&ini);
	return err.code == MC_OK ? EXIT_DONE : EXIT_USAGE;
}

/* the request on stdin, parsed; the buffer is wiped (it holds the secret) */
static enum mc_result
request_read(struct settings_in *in, struct mc_err *err)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	enum mc_result r;

	memset(in, 0, sizeof(*in));
	if ((buf = malloc(SETTINGS_MAX_INPUT + 1)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	while (len <= SETTINGS_MAX_INPUT &&
	    (n = read(0, buf + len, SETTINGS_MAX_INPUT + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	r = settings_parse_json(buf, len, in, err);
	explicit_bzero(buf, SETTINGS_MAX_INPUT + 1);
	free(buf);
	return r;
}

/* the secret file ("SECRET\n"), then the config */
static enum mc_result
files_write(const char *config_path, const char *text,
    const char *secret_path, const char *secret, struct mc_err *err)
{
	char *sline = NULL;
	enum mc_result r;

	if (secret_path != NULL) {
		if (asprintf(&sline, "%s\n", secret) < 0)
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
		r = settings_write_file(secret_path, sline, strlen(sline), err);
		explicit_bzero(sline, strlen(sline));
		free(sline);
		if (r != MC_OK)
			return r;
	}
	return settings_write_file(config_path, text, strlen(text), err);
}

static void
set_report(const char *config_path, enum mc_result r, const char *msg,
    int secret_changed, int json)
{
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", "settings set");
		json_str(&j, "result", r == MC_OK ? "done" : "failed");
		json_str(&j, "message", r == MC_OK ? "settings saved" : msg);
		json_bool(&j, "secret_changed", r == MC_OK && secret_changed);
		json_obj_close(&j);
		json_end(&j);
	}
	if (r != MC_OK)
		fprintf(stderr, "mailcutover: %s\n", msg);
	else if (!json)
		printf("settings saved to %s\n", config_path);
}

/*
 * settings set writes as root: only the default config, in a directory
 * that is root's alone (the secret goes beside it: settings_merge).
 */
static enum mc_result
set_where(const char *config_path, struct mc_err *err)
{
	char *dir;
	enum mc_result r;

	if (strcmp(config_path, CONFIG_DEFAULT_PATH) != 0)
		return mc_err_set(err, MC_E_CONFIG, "settings set writes only "
		    "%s, not %s", CONFIG_DEFAULT_PATH, config_path);
	if ((dir = strdup(config_path)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	r = config_dir_trusted(dirname(dir), err);
	free(dir);
	return r;
}

static enum exit_code
settings_set(const char *config_path, int json)
{
	struct settings_in in;
	struct ini ini;
	struct mc_err err = { 0 };
	char *text = NULL, *secret_path = NULL;
	enum mc_result r;

	memset(&ini, 0, sizeof(ini));
	memset(&in, 0, sizeof(in));
	if ((r = set_where(config_path, &err)) == MC_OK &&
	    (r = request_read(&in, &err)) == MC_OK) {
		config_read(config_path, &ini, 0, &err);
		r = err.code;
	}
	if (r == MC_OK)
		r = settings_merge(&ini, &in, config_path, &text, &secret_path,
		    &err);
	if (r == MC_OK)
		r = files_write(config_path, text, secret_path, in.secret,
		    &err);
	set_report(config_path, r, err.msg, secret_path != NULL, json);
	free(text);
	free(secret_path);
	ini_free(&ini);
	settings_in_free(&in);
	return r == MC_OK ? EXIT_DONE : r == MC_E_NOMEM || r == MC_E_IO ?
	    EXIT_FAILED : EXIT_USAGE;
}

enum exit_code
settings_main(const char *config_path, int argc, char **argv, int json)
{
	if (argc == 2 && !strcmp(argv[1], "get"))
		return settings_get(config_path, json);
	if (argc == 2 && !strcmp(argv[1], "set"))
		return settings_set(config_path, json);
	return exit_usage("usage: settings get | settings set (a JSON object "
	    "on stdin)");
}

/*
 * `confirm DOMAIN clients yes|no`: the operator's manual check of step 0.3
 * (every mail client uses mail.<domain>), recorded in the audit log.
 */
enum exit_code
settings_confirm(const struct config *c, int argc, char **argv, int json)
{
	struct mc_err err = { 0 };
	struct json j;
	const char *actor = getenv("MAILCUTOVER_ACTOR"), *why;
	char name[256];
	enum mc_result r;

	if (argc != 4 || strcmp(argv[2], "clients") != 0 ||
	    (strcmp(argv[3], "yes") != 0 && strcmp(argv[3], "no") != 0)) {
		return exit_usage("usage: confirm DOMAIN clients yes|no");
	}
	/* the one spelling the journal and the log use: ASCII, lower case,
	   no final dot */
	if ((why = idn_ascii(argv[1], name, sizeof(name))) != NULL)
		return exit_usage("'%.100s' is not a domain name: %s", argv[1],
		    why);
	r = audit_append(c->cutover.state_dir, name, "confirm-clients",
	    NULL, argv[3], "ok", actor != NULL ? actor : "cli", &err);
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", "confirm");
		json_str(&j, "domain", name);
		json_str(&j, "result", r == MC_OK ? "done" : "failed");
		json_str(&j, "message", r == MC_OK ? (argv[3][0] == 'y' ?
		    "mail clients confirmed" : "confirmation withdrawn") :
		    err.msg);
		json_obj_close(&j);
		json_end(&j);
	}
	if (r != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return EXIT_FAILED;
	}
	return EXIT_DONE;
}
