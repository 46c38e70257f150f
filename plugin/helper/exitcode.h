/* exitcode.h -- the helper's exit codes (design.md section 4) and its one
 * usage error. The XML API library returns results (enum mc_result); the
 * helper alone turns them into exit codes. */
#ifndef MC_EXITCODE_H
#define MC_EXITCODE_H

#include "err.h"

enum exit_code {
	EXIT_DONE = 0,		/* everything asked for is done; status, list
				   and log, which only report */
	EXIT_FAILED = 1,	/* some domain or operation failed */
	EXIT_USAGE = 2,		/* usage or configuration error: nothing sent */
	EXIT_WAIT = 3,		/* nothing failed, something waits: a time
				   gate, a name server, a confirmation */
	EXIT_PANEL = 4,		/* a panel unreachable, refused TLS or auth */
	EXIT__MAX
};

/* The exit code for a failure of this kind: EXIT_DONE for MC_OK, 2 for
 * usage, configuration and secret errors, 4 for a panel that cannot be
 * reached or refuses us, 1 for everything else. */
enum exit_code	 mc_exit_code(enum mc_result);

/* The same for a failure to open or use a panel: every failure that is
 * not a usage error says the panel is unusable (4), never 1. */
enum exit_code	 exit_panel(enum mc_result);

/* Print "mailcutover: MESSAGE" and a newline to stderr; EXIT_USAGE. */
enum exit_code	 exit_usage(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

#endif
