/* config.h -- the helper's configuration file: panels and their access. */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include <stddef.h>

#include "err.h"
#include "transport.h"

#define CONFIG_DEFAULT_PATH "/etc/mailcutover/mailcutover.conf"

struct panel_conf {
	int		 present;	/* section was in the file */
	const char	*role;		/* "source" or "target" */
	char		*url;
	enum auth_kind	 auth;
	char		*login;
	char		*secret_file;	/* path, or "-" for stdin */
	char		*pin;
	char		*cafile;
	int		 insecure;
	long		 connect_timeout_ms;
	long		 timeout_ms;
	size_t		 max_body;
	size_t		 batch_max;
	char		*protocol;	/* NULL: negotiate */
	int		 line;		/* where the section starts */
};

enum refresh_method {
	REFRESH_NOTIFY,		/* the primary sends NOTIFY; wait, ask again */
	REFRESH_PLESK,		/* zone disable + enable on the secondary's Plesk */
	REFRESH_RNDC,		/* rndc refresh ZONE on the secondary */
	REFRESH_MANUAL,		/* tell the operator; keep checking */
	REFRESH__MAX
};

const char	*refresh_method_name(enum refresh_method);

#define CONFIG_MAX_SECONDARIES	16
#define CONFIG_MAX_RECORDS	8
#define CONFIG_MAX_PARENTS	8
#define CONFIG_MAX_OLD_IPS	8
#define CONFIG_MAX_NEW_NS	16

struct secondary_conf {
	char			*name;		/* [secondary NAME] */
	char			*label;		/* "secondary NAME" */
	char			*address;	/* IP literal it answers on */
	enum refresh_method	 method;
	struct panel_conf	 panel;		/* method plesk */
	char			*rndc_key;	/* method rndc */
	char			*rndc_server;
	unsigned long		 rndc_port;
	int			 line;
};

/* Whether the source panel's mailbox usage (mail get_info) is fresh:
 * auto decides from what it sees (doc/mailbox-usage.md). */
enum usage_signal {
	USAGE_AUTO,		/* live once it changed in two readings within
				   12 h; a time-based quiet window until then */
	USAGE_LIVE,		/* computed on request: trust it */
	USAGE_DAILY,		/* the daily statistics' figure: time only */
	USAGE__MAX
};

const char	*usage_signal_name(enum usage_signal);

/* [cutover]: the runbook's numbers and where state lives. */
struct cutover_conf {
	char		*records[CONFIG_MAX_RECORDS];	/* mail lists webmail */
	size_t		 nrecords;
	unsigned long	 lowered_ttl;		/* 600 */
	unsigned long	 restored_ttl;		/* 86400 */
	unsigned long	 min_wait;		/* 900: switch -> disable */
	char		*new_ip;		/* default new IPv4, or NULL */
	char		*new_ip6;		/* default new IPv6, or NULL */
	/* the old server's addresses, when the panel's own facts do not
	 * fit (NAT, several addresses); empty: the panel's, per domain */
	char		*old_ip[CONFIG_MAX_OLD_IPS];
	size_t		 nold_ip;
	int		 drop_aaaa;		/* remove our AAAA, add none */
	char		*state_dir;		/* /var/lib/mailcutover */
	int		 quiet_start;		/* minute of day, -1: none */
	int		 quiet_end;
	unsigned long	 switch_timeout;	/* s: primary serves new */
	unsigned long	 sync_timeout;		/* s: secondaries agree */
	int		 switch_timeout_set;	/* given: not grown */
	int		 sync_timeout_set;
	unsigned long	 dns_rate;		/* questions per second per
						   server, the whole run */
	unsigned long	 dns_timeout_ms;	/* per DNS try */
	char		*primary_dns;		/* primary name server IP */
	unsigned long	 dns_port;		/* 53 */
	int		 test_timings;		/* allow short TTL/wait */
	char		*mail_cafile;		/* trust for mail probes */
	char		*dkim_selector;		/* "default" (Plesk's) */
	char		*resolver;		/* recursive resolver for the
						   preflight's PTR/SPF/DKIM, or
						   NULL: ask primary_dns */
	char		*parent_dns[CONFIG_MAX_PARENTS];
	size_t		 nparent_dns;
	/* the quiet gate of step 3 (gate.h): the old server must have
	   received nothing new for quiet_window before mail goes off */
	unsigned long	 quiet_window;		/* s; 0: max(min_wait, TTL) */
	unsigned long	 quiet_max;		/* s after sync: the cap, 48 h */
	int		 quiet_force;		/* at the cap: disable anyway */
	int		 quiet_gate;		/* 0 only with test_timings */
	enum usage_signal usage_signal;		/* how fresh mailbox usage is */
	/* runbook 5: the name servers the parent zone should list once
	 * the registrar change is made (empty: [target]'s NS records), and
	 * where the walk to the parent starts (empty: the real root
	 * servers; addresses, or one absolute path to a hints file) */
	char		*new_ns[CONFIG_MAX_NEW_NS];
	size_t		 nnew_ns;
	char		*root_hints[CONFIG_MAX_PARENTS];
	size_t		 nroot_hints;
};

struct config {
	char			*path;
	struct panel_conf	 source;
	struct panel_conf	 target;
	struct cutover_conf	 cutover;
	struct secondary_conf	 secondaries[CONFIG_MAX_SECONDARIES];
	size_t			 nsecondaries;
};

/* Minimums enforced unless test_timings = yes (then loudly allowed). */
#define CONFIG_MIN_LOWERED_TTL	60
#define CONFIG_MIN_WAIT		900
#define CONFIG_QUIET_MAX	(48 * 3600)

/*
 * Parse an INI-like file: "[source]", "[target]", "[cutover]" and
 * "[secondary NAME]" sections of
 * "key = value" lines, '#' comments. Unknown sections, unknown keys,
 * repeated keys and bad values are errors naming file and line.
 */
enum mc_result	 config_load(const char *path, struct config **,
		    struct mc_err *);
/*
 * The helper runs as root and acts on what its config says: the config
 * (open as fd) and every directory above it must be owned by root (or by
 * the user running the helper) and writable by nobody else; a directory
 * others may write counts only with the sticky bit and owned by root
 * (like /tmp: others cannot rename or remove what root owns in it).
 * MC_E_CONFIG naming the file or directory otherwise. config_load checks
 * it; config_dir_trusted checks a directory and those above it.
 */
enum mc_result	 config_trusted(const char *path, int fd, struct mc_err *);
enum mc_result	 config_dir_trusted(const char *dir, struct mc_err *);
/* Same, from a string (for tests); name is used in messages. */
enum mc_result	 config_parse(const char *name, const char *text,
		    struct config **, struct mc_err *);
void		 config_free(struct config *);

#endif
