/* exitcode.c -- from a result to an exit code; the usage error. */
#include <stdarg.h>
#include <stdio.h>

#include "exitcode.h"

enum exit_code
mc_exit_code(enum mc_result r)
{
	switch (r) {
	case MC_OK:
		return EXIT_DONE;
	case MC_E_USAGE:
	case MC_E_CONFIG:
	case MC_E_SECRET:
		return EXIT_USAGE;
	case MC_E_CONNECT:
	case MC_E_TLS:
	case MC_E_AUTH:
	case MC_E_VERSION:
		return EXIT_PANEL;
	default:
		return EXIT_FAILED;
	}
}

enum exit_code
exit_panel(enum mc_result r)
{
	enum exit_code c = mc_exit_code(r);

	return c == EXIT_FAILED ? EXIT_PANEL : c;
}

enum exit_code
exit_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("mailcutover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}
