/* raw.h -- `mailcutover raw`: one XML API operation kind per call. */
#ifndef MC_RAW_H
#define MC_RAW_H

#include "config.h"
#include "exitcode.h"

/* argv[0] is "raw". Returns the exit code. */
enum exit_code	raw_main(const struct config *, int argc, char **argv,
		    int json);

#endif
