/* errcode.c -- names of Plesk error codes. */
#include <stddef.h>

#include "errcode.h"

static const struct {
	unsigned	 code;
	const char	*name;
} codes[] = {
	{ PLESK_ERR_AUTH_FAILED, "authentication failed" },
	{ PLESK_ERR_USER_EXISTS, "user account already exists" },
	{ PLESK_ERR_AGENT_INIT, "agent initialization failed" },
	{ PLESK_ERR_NOT_CONFIGURED, "initial setup not completed" },
	{ PLESK_ERR_PROTOCOL_VERSION, "protocol version not supported" },
	{ PLESK_ERR_PERMISSION, "permission denied" },
	{ PLESK_ERR_EXISTS, "data already exists" },
	{ PLESK_ERR_MULTIPLE_ACCESS, "multiple access denied" },
	{ PLESK_ERR_VZ_KEY, "invalid Virtuozzo key" },
	{ PLESK_ERR_ACCESS_DENIED, "access to panel denied" },
	{ PLESK_ERR_ACCOUNT_DISABLED, "account disabled" },
	{ PLESK_ERR_LOCKED_LOGIN, "login locked" },
	{ PLESK_ERR_NOT_FOUND, "object not found" },
	{ PLESK_ERR_PARSE, "request invalid" },
	{ PLESK_ERR_OWNER_NOT_FOUND, "owner not found" },
	{ PLESK_ERR_UNSUPPORTED, "not supported by this API version" },
	{ PLESK_ERR_IP_NOT_FOUND, "IP address not found" },
	{ PLESK_ERR_INVALID_VALUE, "invalid value" },
	{ PLESK_ERR_OPERATION_FAILED, "operation failed" },
	{ PLESK_ERR_LIMIT, "limit reached" },
	{ PLESK_ERR_STATUS_VALUE, "wrong status value" },
	{ PLESK_ERR_COMPONENT_MISSING, "component not installed" },
	{ PLESK_ERR_IP_OPERATION, "IP operation failed" },
	{ PLESK_ERR_AUTH_METHOD, "authentication method not specified" },
	{ PLESK_ERR_LICENSE_EXPIRED, "license expired" },
	{ PLESK_ERR_COMPONENT_UNCONFIGURED, "component not configured" },
	{ PLESK_ERR_NETWORK_INTERFACE, "wrong network interface" },
	{ PLESK_ERR_ACCOUNT_INCOMPLETE, "account incomplete" },
	{ PLESK_ERR_WEBMAIL_MISSING, "webmail not installed" },
	{ PLESK_ERR_SECRET_KEY, "secret key validation failed" },
	{ PLESK_ERR_DB_SERVER_TYPE, "wrong database server type" },
	{ PLESK_ERR_DB_SERVER_UNCONFIGURED, "database server not configured" },
};

const char *
plesk_errcode_name(unsigned code)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "unknown";
}

int
plesk_errcode_is_auth(unsigned code)
{
	return code == PLESK_ERR_AUTH_FAILED ||
	    code == PLESK_ERR_AUTH_METHOD ||
	    code == PLESK_ERR_SECRET_KEY ||
	    code == PLESK_ERR_ACCESS_DENIED ||
	    code == PLESK_ERR_ACCOUNT_DISABLED ||
	    code == PLESK_ERR_LOCKED_LOGIN ||
	    code == PLESK_ERR_PERMISSION;
}
