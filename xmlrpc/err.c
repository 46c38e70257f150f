/* err.c -- the one error type: names and setting. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

static const char *const names[MC__MAX] = {
	[MC_OK] = "ok",
	[MC_E_NOMEM] = "out of memory",
	[MC_E_USAGE] = "usage error",
	[MC_E_CONFIG] = "configuration error",
	[MC_E_SECRET] = "secret refused",
	[MC_E_IO] = "local I/O error",
	[MC_E_CONNECT] = "panel unreachable",
	[MC_E_TLS] = "TLS refused",
	[MC_E_LOST] = "answer lost, outcome unknown",
	[MC_E_HTTP] = "unexpected HTTP status",
	[MC_E_TOOBIG] = "response too large",
	[MC_E_PARSE] = "malformed reply",
	[MC_E_AUTH] = "authentication refused",
	[MC_E_VERSION] = "protocol version not supported",
	[MC_E_SYSTEM] = "panel system error",
	[MC_E_API] = "operation failed",
	[MC_E_MISMATCH] = "reply does not match request",
	[MC_E_NOTFOUND] = "not found",
	[MC_E_REFUSED] = "refused by the client",
	[MC_E_DNS] = "DNS query failed",
	[MC_E_CORRUPT] = "state corrupt",
	[MC_E_BUSY] = "busy in another run",
};

const char *
mc_strerror(enum mc_result r)
{
	if ((unsigned)r >= MC__MAX || names[r] == NULL)
		return "unknown error";
	return names[r];
}

enum mc_result
mc_err_set(struct mc_err *err, enum mc_result code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	utf8_trim(err->msg);	/* a cut may split a localized errtext */
	return code;
}

void
mc_err_prefix(struct mc_err *err, const char *fmt, ...)
{
	char pre[256], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%.*s: %.*s",
	    (int)utf8_clip(pre, 200), pre, (int)utf8_clip(old, 300), old);
}

void
mc_err_clear(struct mc_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}
