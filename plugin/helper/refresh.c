/* refresh.c -- making a lagging secondary transfer the zone again, by the
 * method its [secondary] section names: a NOTIFY of our own, rndc
 * refresh, a zone disable and enable on its Plesk, or instructions. */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dnsprobe.h"
#include "dom.h"
#include "engine.h"
#include "idn.h"
#include "panel.h"
#include "refresh.h"
#include "valid.h"


static void
pause_ms(int ms)
{
	poll(NULL, 0, ms);
}

static int
run_rndc(const struct secondary_conf *sc,
    const char *zone, char *msg, size_t msgsz)
{
	char port[16];
	pid_t pid;
	int status = 0, waited = 0;
	const char *server = sc->rndc_server ? sc->rndc_server : sc->address;

	snprintf(port, sizeof(port), "%lu", sc->rndc_port);
	if (!valid_ip(server) || !valid_domain(zone)) {
		snprintf(msg, msgsz, "rndc: bad server or zone");
		return 0;
	}
	if ((pid = fork()) == -1) {
		snprintf(msg, msgsz, "rndc: fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		char *const argv[] = { "rndc", "-k", sc->rndc_key, "-s",
		    (char *)server, "-p", port, "refresh", (char *)zone, NULL };
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		    NULL };
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve("/usr/sbin/rndc", argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (waited++ > 150) {	/* 15 s */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(msg, msgsz, "rndc refresh %s on %s: timed out",
			    zone, server);
			return 0;
		}
		pause_ms(100);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(msg, msgsz, "rndc refresh %s on %s:%s failed (exit "
		    "%d)", zone, server, port, WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
		return 0;
	}
	snprintf(msg, msgsz, "rndc refresh %s sent to %s", zone, server);
	return 1;
}

/* zone disable + enable on the secondary's own Plesk */
static int
plesk_refresh(const struct secondary_conf *sc,
    const char *zone, char *msg, size_t msgsz)
{
	struct mc_err err = { 0 };
	struct plesk *p = NULL;
	struct site_ref ref;
	char uni[256];
	struct batch *b = NULL;
	struct op *o1, *o2;
	int ok = 0;

	if (panel_open(&sc->panel, &p, &err) != MC_OK) {
		snprintf(msg, msgsz, "%s", err.msg);
		goto out;
	}
	memset(&ref, 0, sizeof(ref));
	ref.name = zone;
	idn_unicode(zone, uni, sizeof(uni));	/* Plesk 11/12: as entered */
	ref.alt = uni[0] ? uni : NULL;
	if (plesk_resolve(p, &ref, 1, &err) != MC_OK ||
	    ref.result != MC_OK) {
		snprintf(msg, msgsz, "%s: %s", sc->label, ref.result != MC_OK ?
		    ref.msg : err.msg);
		goto out;
	}
	/* two packets: the enable must follow a confirmed disable */
	if ((b = batch_new()) == NULL ||
	    (o1 = batch_add(b, OP_DNS_DISABLE)) == NULL ||
	    op_set_ids(o1, &ref.id, 1) != MC_OK)
		goto out;
	o1->alias = ref.kind == SITE_ALIAS;
	plesk_send(p, b, &err);
	if (o1->result != MC_OK) {
		snprintf(msg, msgsz, "%s: zone disable: %s", sc->label, o1->msg);
		goto out;
	}
	batch_free(b);
	if ((b = batch_new()) == NULL ||
	    (o2 = batch_add(b, OP_DNS_ENABLE)) == NULL ||
	    op_set_ids(o2, &ref.id, 1) != MC_OK)
		goto out;
	o2->alias = ref.kind == SITE_ALIAS;
	plesk_send(p, b, &err);
	if (o2->result != MC_OK) {
		snprintf(msg, msgsz, "%s: zone enable: %s (THE ZONE IS "
		    "DISABLED on that panel: enable it there)", sc->label,
		    o2->msg);
		goto out;
	}
	snprintf(msg, msgsz, "zone %s disabled and enabled on %s (%s)", zone,
	    sc->label, sc->panel.url);
	ok = 1;
out:
	batch_free(b);
	plesk_free(p);
	return ok;
}

void
refresh_server(struct engine *e, struct dom *d, struct srv *v)
{
	enum refresh_method m = v->sc ? v->sc->method : REFRESH_NOTIFY;
	struct dnsprobe_opts o;
	struct mc_err err = { 0 };
	char msg[1024] = "";	/* a long one: the note says it was cut */
	int ok = 0;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = (int)e->cc->dns_timeout_ms;
	o.tries = 2;
	switch (m) {
	case REFRESH_NOTIFY:
		/*
		 * The primary sends NOTIFY on every zone change; a lagging
		 * secondary missed it or the primary's notify is off. Send
		 * one ourselves (the secondary must allow-notify from this
		 * server), then wait and ask again.
		 */
		ok = dnsprobe_notify(v->addr, (unsigned)e->cc->dns_port,
		    d->zone, &o, &err) == MC_OK;
		snprintf(msg, sizeof(msg), "NOTIFY for %s to %s: %s", d->zone,
		    v->addr, ok ? "acknowledged" : err.msg);
		break;
	case REFRESH_RNDC:
		ok = run_rndc(v->sc, d->zone, msg, sizeof(msg));
		break;
	case REFRESH_PLESK:
		ok = plesk_refresh(v->sc, d->zone, msg, sizeof(msg));
		break;
	case REFRESH_MANUAL:
	default:
		snprintf(msg, sizeof(msg), "on secondary %s (%s) make zone %s "
		    "transfer again: `rndc retransfer %s` there, or disable "
		    "and enable the zone in its panel; this check keeps "
		    "running", v->sc ? v->sc->name : v->name, v->addr, d->zone,
		    d->zone);
		ok = 1;
		break;
	}
	v->refreshed = 1;
	dom_note(d, ok ? NOTE_INFO : NOTE_WARN, "refresh (%s): %s",
	    refresh_method_name(m), msg);
	dom_audit(e, d, "refresh", v->addr, refresh_method_name(m),
	    ok ? "sent" : "failed");
}
