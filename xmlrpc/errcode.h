/* errcode.h -- Plesk XML API error codes ("reduced list", docs 17.0) as an enum. */
#ifndef MC_ERRCODE_H
#define MC_ERRCODE_H

/*
 * errtext is localized by Plesk: it is shown to people, never branched on.
 * Code decisions use these values only.
 */
enum plesk_errcode {
	PLESK_ERR_NONE = 0,
	PLESK_ERR_AUTH_FAILED = 1001,		/* wrong login or password */
	PLESK_ERR_USER_EXISTS = 1002,
	PLESK_ERR_AGENT_INIT = 1003,
	PLESK_ERR_NOT_CONFIGURED = 1004,	/* initial setup not completed */
	PLESK_ERR_PROTOCOL_VERSION = 1005,	/* protocol version not supported */
	PLESK_ERR_PERMISSION = 1006,
	PLESK_ERR_EXISTS = 1007,		/* inserted data already exists */
	PLESK_ERR_MULTIPLE_ACCESS = 1008,
	PLESK_ERR_VZ_KEY = 1009,
	PLESK_ERR_ACCESS_DENIED = 1010,
	PLESK_ERR_ACCOUNT_DISABLED = 1011,
	PLESK_ERR_LOCKED_LOGIN = 1012,
	PLESK_ERR_NOT_FOUND = 1013,		/* object does not exist */
	PLESK_ERR_PARSE = 1014,			/* request invalid (XSD, XML) */
	PLESK_ERR_OWNER_NOT_FOUND = 1015,	/* e.g. unknown site-id */
	PLESK_ERR_UNSUPPORTED = 1017,
	PLESK_ERR_IP_NOT_FOUND = 1018,
	PLESK_ERR_INVALID_VALUE = 1019,
	PLESK_ERR_OPERATION_FAILED = 1023,
	PLESK_ERR_LIMIT = 1024,
	PLESK_ERR_STATUS_VALUE = 1025,
	PLESK_ERR_COMPONENT_MISSING = 1026,
	PLESK_ERR_IP_OPERATION = 1027,
	PLESK_ERR_AUTH_METHOD = 1029,		/* no auth headers */
	PLESK_ERR_LICENSE_EXPIRED = 1030,
	PLESK_ERR_COMPONENT_UNCONFIGURED = 1031,
	PLESK_ERR_NETWORK_INTERFACE = 1032,
	PLESK_ERR_ACCOUNT_INCOMPLETE = 1033,
	PLESK_ERR_WEBMAIL_MISSING = 1050,
	PLESK_ERR_SECRET_KEY = 11003,		/* secret key validation failed */
	PLESK_ERR_DB_SERVER_TYPE = 14008,
	PLESK_ERR_DB_SERVER_UNCONFIGURED = 14009,
};

/* A short English name for a code ("object not found"); "unknown" if none. */
const char	*plesk_errcode_name(unsigned);

/* 1 if the code means the credentials were refused. */
int		 plesk_errcode_is_auth(unsigned);

#endif
