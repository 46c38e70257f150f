/*
 * fuzz_config.c -- the configuration file parser.
 *
 * Drives config_parse() (plugin/helper/config.c, included here) on the
 * input as the text of a configuration file, then config_free().
 */
#include "fuzz.h"

#include "../../plugin/helper/config.c"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	struct mc_err err;
	char *text;

	if ((text = fuzz_str(data, size)) == NULL)
		return 0;
	mc_err_clear(&err);
	if (config_parse("fuzz.conf", text, &c, &err) == MC_OK)
		config_free(c);
	free(text);
	return 0;
}
