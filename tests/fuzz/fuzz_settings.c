/*
 * fuzz_settings.c -- the settings page's JSON (mailcutover settings set).
 *
 * Drives settings_parse_json() (plugin/helper/settings_in.c); when the
 * JSON is accepted, settings_merge() (settings_in.c) into a fixed
 * configuration (ini_parse, the merge's value checks, ini_render and
 * config_parse), all in memory. Links build/fuzz/libmchelper.a.
 */
#include "fuzz.h"

#include "ini.h"
#include "settings_in.h"

#define BASE "[source]\nurl = https://old.example.com:8443\n" \
	"secret_file = /etc/mailcutover/source.key\n" \
	"pin = sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=\n" \
	"[cutover]\nprimary_dns = 192.0.2.53\nstate_dir = /var/lib/mc\n" \
	"[secondary ns2]\naddress = 192.0.2.54\nmethod = notify\n"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings_in in;
	struct ini ini;
	struct mc_err err;
	char *text, *out = NULL, *secret = NULL;

	if ((text = fuzz_str(data, size)) == NULL)
		return 0;
	mc_err_clear(&err);
	memset(&in, 0, sizeof(in));
	if (settings_parse_json(text, size, &in, &err) == MC_OK) {
		memset(&ini, 0, sizeof(ini));
		mc_err_clear(&err);
		if (ini_parse(BASE, &ini, &err) == MC_OK) {
			mc_err_clear(&err);
			(void)settings_merge(&ini, &in,
			    "/etc/mailcutover/mailcutover.conf", &out, &secret,
			    &err);
			free(out);
			free(secret);
		}
		ini_free(&ini);
	}
	settings_in_free(&in);
	free(text);
	return 0;
}
