/* command.h -- the commands that take domains (plan, prepare ... migrate,
 * tick, status, list, log): their options, the domains' locks and
 * journals, the runbook, the report. */
#ifndef MC_COMMAND_H
#define MC_COMMAND_H

#include "config.h"
#include "exitcode.h"

/*
 * argv[0] is the command. Every argument is checked before anything
 * happens (a bad one: a clear error, exit 2, nothing done). Returns the
 * exit code of design.md section 4.
 */
enum exit_code	 command_run(const struct config *, int argc, char **argv,
		    int json);

/* 1 when cmd is one of these commands. */
int		 command_known(const char *cmd);

#endif
