/* help.h -- `mailcutover COMMAND --help`: one command's usage. */
#ifndef MC_HELP_H
#define MC_HELP_H

#include <stdio.h>

/* 1 if cmd is a command of the helper. */
int	help_known(const char *cmd);

/* Print cmd's usage to f; 0, or -1 if cmd is not a command. */
int	help_command(const char *cmd, FILE *f);

/* 1 if argv (the command's arguments, argv[0] the command) asks for help. */
int	help_asked(int argc, char **argv);

#endif
