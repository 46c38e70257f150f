#!/usr/bin/python3
"""System tests of the cutover engine (issue 3): the helper against the
Plesk emulator on real BIND 9 primary and secondary, real Postfix/Dovecot
for the mail probes; time gates passed with faketime.
Ends with one line: "N passed, N failed"."""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from simlib import (HELPER, KEY, OUT, ROOT, Runner, Sim,  # noqa: E402
                    check, dig, faketime_env, helper, san_check, wait_for,
                    write_secret)

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "system.json")
MAILBED = os.path.join(ROOT, "tests", "mail", "mailbed")
MAIL_LOG = os.path.join(OUT, "cutover-mail.log")
# the mail bed's directory (its CA, pids): a suite that runs beside this one
# (tests/parallel.py) passes its own to start_mail and Bed
MAIL_DIR = os.path.join(OUT, "cutover-mail")
OLD, NEW = "127.0.2.10", "127.0.3.20"
P, S = "127.0.53.1", "127.0.53.2"
DOMAINS = ["example.com", "shop.test", "xn--bcher-kva.example"]
NAMES = ("mail", "lists", "webmail")
DAY = 86400


class Bed:
    """A fresh emulator (and state directory) per test."""

    def __init__(self, name, notify=True, secondary=S, extra="",
                 secondaries="", listen="127.0.2.10:8443", primary=P,
                 external=None, mail=MAIL_DIR):
        self.d = os.path.join(OUT, "cutover", name)
        shutil.rmtree(self.d, ignore_errors=True)
        os.makedirs(self.d)
        self.sim = Sim("cutover-" + name, FIXTURE, listen=listen,
                       primary=primary, secondary=secondary, notify=notify,
                       trace=False, external=external)
        self.key = os.path.join(self.d, "key.secret")
        write_secret(self.key, KEY)
        self.state = os.path.join(self.d, "state")
        self.conf = os.path.join(self.d, "mc.conf")
        with open(self.conf, "w") as f:
            f.write("""[source]
url = %s
secret_file = %s
pin = %s
[cutover]
new_ip = %s
primary_dns = %s
state_dir = %s
switch_timeout = 10
sync_timeout = 8
dns_timeout = 300
mail_cafile = %s
%s
%s
""" % (self.sim.url, self.key, self.sim.pin, NEW, primary, self.state,
                os.path.join(mail, "ca.pem"), extra,
                secondaries))

    def mc(self, *args, fake=None, **kw):
        return helper(self.conf, *args, fake=fake, **kw)

    def down(self):
        self.sim.down()

    def zone(self, name):
        for d in self.sim.state()["domains"]:
            if d["name"] == name or d.get("ascii_name") == name:
                return d
        raise KeyError(name)


def a_values(zone, label):
    z = zone["zone"]
    return sorted(r["value"] for r in z["records"]
                  if r["type"] == "A" and r["host"] == label)


def snapshot(bed, names=DOMAINS):
    """What must come back exactly after a rollback."""
    out = {}
    for n in names:
        z = bed.zone(n)
        out[n] = (sorted((r["type"], r["host"], r["value"], r.get("opt", ""))
                         for r in z["zone"]["records"]),
                  z["zone"]["soa"], z["mail"]["enabled"])
    return out


def by_domain(r):
    check(r.json is not None, "no JSON", r)
    return {d["domain"]: d for d in r.json["domains"]}


def full_cutover(bed, domains):
    r = bed.mc("prepare", *domains)
    check(r.rc == 0, "prepare", r)
    r = bed.mc("switch", *domains, fake=DAY + 60)
    check(r.rc == 0, "switch after the gate", r)
    r = bed.mc("sync", *domains, fake=DAY + 60)
    check(r.rc == 0, "sync", r)
    r = bed.mc("disable-old-mail", *domains, fake=DAY + 60 + 960)
    check(r.rc == 0, "disable after its gate", r)
    return r


# ------------------------------------------------------------------ tests

def t_full_bulk_cutover(mail):
    bed = Bed("full")
    try:
        before = snapshot(bed)
        serials = [bed.sim.serial(d) for d in DOMAINS]
        r = bed.mc("plan", *DOMAINS)
        check(r.rc == 0, "plan", r)
        check(snapshot(bed) == before, "plan changed nothing")
        check([bed.sim.serial(d) for d in DOMAINS] == serials,
              "plan bumped no serial")
        full_cutover(bed, DOMAINS)
        for d in DOMAINS:
            for n in NAMES:
                check(dig(P, "%s.%s" % (n, d)) == ("NOERROR", [NEW]), "primary",
                      d, n)
                check(wait_for(lambda: dig(S, "%s.%s" % (n, d)) ==
                               ("NOERROR", [NEW]),
                               10), "secondary", d, n, dig(S, n + "." + d))
            check(dig(P, "www." + d) == ("NOERROR", [OLD]), "www untouched", d)
            z = bed.zone(d)
            check(z["mail"]["enabled"] is False, "old mail off", d)
            check(z["zone"]["soa"]["ttl"] == 600, "TTL lowered", d)
        check(mail, "the mail bed did not start (see %s): verify cannot "
              "run" % MAIL_LOG)
        r = bed.mc("verify", *DOMAINS, fake=DAY + 2000)
        check(r.rc == 0, "verify", r)
        r = bed.mc("finish", *DOMAINS, fake=DAY + 2000)
        check(r.rc == 3, "finish waits for the registrar confirmation", r)
        r = bed.mc("finish", "--confirm-registrar", *DOMAINS, fake=DAY + 2000)
        check(r.rc == 0, "finish", r)
        for d in DOMAINS:
            check(bed.zone(d)["zone"]["soa"]["ttl"] == 86400, "TTL back", d)
        r = bed.mc("status", *DOMAINS)
        check(all(x["state"] == "done" for x in r.json["domains"]),
              "all done", r)
        r = bed.mc("log", "example.com")
        steps = {x["step"] for x in r.json["log"]}
        check({"prepare", "switch", "sync", "disable-old-mail",
               "finish"} <= steps, "audit has every step", steps)
    finally:
        bed.down()


def t_gates(mail):
    bed = Bed("gates")
    try:
        r = bed.mc("switch", "example.com")
        check(r.rc == 3, "switch before prepare waits", r)
        check(bed.mc("prepare", "example.com").rc == 0, "prepare")
        r = bed.mc("switch", "example.com", fake=DAY - 120)
        check(r.rc == 3, "switch before the TTL gate: exit 3", r)
        d = by_domain(r)["example.com"]
        check(0 < d["next"]["in_s"] <= 240, "time remaining", d)
        check(a_values(bed.zone("example.com"), "mail") == [OLD],
              "nothing changed")
        r = bed.mc("switch", "example.com", fake=DAY + 5)
        check(r.rc == 0, "switch after the gate", r)
        check(bed.mc("sync", "example.com", fake=DAY + 5).rc == 0, "sync")
        r = bed.mc("disable-old-mail", "example.com", fake=DAY + 300)
        check(r.rc == 3, "disable before its gate: exit 3", r)
        check(bed.zone("example.com")["mail"]["enabled"], "mail still on")
        r = bed.mc("disable-old-mail", "example.com", fake=DAY + 1000)
        check(r.rc == 0, "disable after its gate", r)
        check(not bed.zone("example.com")["mail"]["enabled"], "mail off")
    finally:
        bed.down()


def t_force_is_journaled(mail):
    bed = Bed("force")
    try:
        bed.mc("prepare", "shop.test")
        r = bed.mc("switch", "--force", "shop.test")
        check(r.rc == 0 and "WARNING" in r.err, "forced switch warns", r)
        r = bed.mc("log", "shop.test")
        check(any(x["result"] == "forced" for x in r.json["log"]),
              "force in the audit log", r.json)
    finally:
        bed.down()


def t_already_low_ttl_no_wait(mail):
    bed = Bed("lowttl", extra="lowered_ttl = 86400\nrestored_ttl = 86400")
    try:
        r = bed.mc("prepare", "example.com")
        check(r.rc == 0, "prepare", r)
        r = bed.mc("switch", "example.com")
        check(r.rc == 0, "no wait when the TTL was already low", r)
    finally:
        bed.down()


def rollback_after(bed, upto):
    before = snapshot(bed, ["example.com"])
    steps = [("prepare", 0), ("switch", DAY + 60), ("sync", DAY + 60),
             ("disable-old-mail", DAY + 1100)]
    for name, fake in steps[:upto]:
        r = bed.mc(name, "example.com", fake=fake)
        check(r.rc == 0, name, r)
    r = bed.mc("rollback", "example.com", fake=DAY + 1200)
    check(r.rc == 0, "rollback after %d steps" % upto, r)
    after = snapshot(bed, ["example.com"])
    check(after == before, "records, TTL and mail exactly as before",
          before, after)
    for n in NAMES:
        check(dig(P, n + ".example.com") == ("NOERROR", [OLD]), "primary back",
              n)
        check(wait_for(lambda: dig(S, n + ".example.com") ==
                       ("NOERROR", [OLD]), 10),
              "secondary back", n)
    r = bed.mc("rollback", "example.com", fake=DAY + 1300)
    check(r.rc == 0, "rollback twice is fine", r)
    check(snapshot(bed, ["example.com"]) == before, "still the same")


def t_rollback_every_step(mail):
    for upto in range(0, 5):
        bed = Bed("rollback%d" % upto)
        try:
            rollback_after(bed, upto)
        finally:
            bed.down()


def t_idempotent(mail):
    bed = Bed("twice")
    try:
        for name, fake in (("prepare", 0), ("switch", DAY + 60),
                           ("sync", DAY + 60),
                           ("disable-old-mail", DAY + 1100)):
            r1 = bed.mc(name, "shop.test", fake=fake)
            s1 = snapshot(bed, ["shop.test"])
            r2 = bed.mc(name, "shop.test", fake=fake)
            check(r1.rc == 0 and r2.rc == 0, name, r1, r2)
            check(snapshot(bed, ["shop.test"]) == s1, "same end state",
                  name)
            check(by_domain(r2)["shop.test"]["result"] == "noop",
                  "second run is a no-op", name, r2)
    finally:
        bed.down()


def t_bad_input(mail):
    bed = Bed("bad")
    try:
        before = snapshot(bed)
        r = bed.mc("prepare", "nosuch.test", "example.com")
        check(r.rc == 1, "unknown domain fails", r)
        d = by_domain(r)
        check(d["nosuch.test"]["result"] == "failed" and
              "nosuch.test" in d["nosuch.test"]["message"], "named", d)
        check(d["example.com"]["result"] == "done", "others go on", d)
        r = bed.mc("prepare", "bad..name")
        check(r.rc == 2 and "bad..name" in r.err, "bad name: exit 2", r)
        r = bed.mc("switch", "--new-ip", "300.1.1.1", "example.com")
        check(r.rc == 2 and "300.1.1.1" in r.err, "bad IP: exit 2", r)
        after = snapshot(bed)
        check(after["shop.test"] == before["shop.test"], "others untouched")
        # a new IP that is the old server's own: refused, said as such
        # (already-switched domains: tests/system/ownership.py)
        r = bed.mc("plan", "--new-ip", OLD, "shop.test")
        d = by_domain(r)["shop.test"]
        check(r.rc == 0 and d["result"] == "refused" and
              "both 127.0.2.10" in d["message"], "same old and new refused", r)
    finally:
        bed.down()


def t_unexpected_value_left_alone(mail):
    bed = Bed("odd")
    try:
        r = helper(bed.conf, "raw", "add-rec", "2", "A", "lists",
                   "127.0.9.9")
        check(r.rc == 0, "odd record added", r)
        bed.mc("prepare", "shop.test")
        r = bed.mc("switch", "shop.test", fake=DAY + 60)
        check(r.rc == 0, "switch", r)
        check(a_values(bed.zone("shop.test"), "lists") ==
              ["127.0.3.20", "127.0.9.9"], "odd value left alone",
              a_values(bed.zone("shop.test"), "lists"))
        notes = " ".join(n["text"] for n in by_domain(r)["shop.test"]["notes"])
        check("127.0.9.9" in notes and "left alone" in notes, "reported", r)
    finally:
        bed.down()


def t_lag_notify(mail):
    bed = Bed("lagnotify", notify=False)
    try:
        full_cutover(bed, ["example.com"])
        check(dig(S, "mail.example.com") == ("NOERROR", [NEW]),
              "secondary caught up")
        r = bed.mc("log", "example.com")
        check(any(x["step"] == "refresh" and x["new"] == "notify"
                  for x in r.json["log"]), "refreshed by notify", r.json)
    finally:
        bed.down()


def t_lag_rndc(mail):
    d = os.path.join(OUT, "cutover", "lagrndc-key")
    bed = Bed("lagrndc", notify=False, secondaries="""[secondary ns2]
address = %s
method = rndc
rndc_key = %s
""" % (S, os.path.join(OUT, "cutover-lagrndc", "rndc-secondary.key")))
    try:
        full_cutover(bed, ["example.com"])
        check(dig(S, "mail.example.com") == ("NOERROR", [NEW]),
              "secondary caught up")
        r = bed.mc("log", "example.com")
        check(any(x["step"] == "refresh" and x["new"] == "rndc" and
                  x["result"] == "sent" for x in r.json["log"]),
              "refreshed by rndc", r.json)
    finally:
        bed.down()
    del d


def t_lag_plesk(mail):
    """The secondary's own Plesk (a second emulator in the secondary role)."""
    bed = Bed("lagplesk", notify=False, secondary=None, external=S)
    sec = None
    try:
        sec = Sim("cutover-secplesk", FIXTURE, listen="127.0.2.20:8443",
                  primary=S, secondary=None, trace=False,
                  extra=["--role", "secondary", "--master", P])
        with open(bed.conf, "a") as f:
            f.write("""[secondary ns2]
address = %s
method = plesk
url = %s
secret_file = %s
pin = %s
""" % (S, sec.url, bed.key, sec.pin))
        full_cutover(bed, ["example.com"])
        check(dig(S, "mail.example.com") == ("NOERROR", [NEW]),
              "secondary caught up")
        r = bed.mc("log", "example.com")
        check(any(x["step"] == "refresh" and x["new"] == "plesk" and
                  x["result"] == "sent" for x in r.json["log"]),
              "refreshed through the secondary's Plesk", r.json)
    finally:
        if sec:
            sec.down()
        bed.down()


def t_lag_manual(mail):
    bed = Bed("lagmanual", notify=False, secondaries="""[secondary ns2]
address = %s
method = manual
""" % S)
    rndc = ["rndc", "-k", os.path.join(bed.sim.dir, "rndc-secondary.key"),
            "-s", S, "-p", "953", "retransfer", "example.com"]
    try:
        r = bed.mc("prepare", "example.com")
        check(r.rc == 3, "manual: the lowered TTL waits for ns2", r)
        notes = " ".join(n["text"] for n in by_domain(r)["example.com"]["notes"])
        check("retransfer" in notes, "tells the operator what to do", notes)
        subprocess.run(rndc, capture_output=True)
        r = bed.mc("sync", "example.com")
        # the lowered TTL is confirmed; the switch's TTL gate is still shut
        d = by_domain(r)["example.com"]
        check(r.rc == 3 and d["next"]["step"] == "switch",
              "sync confirms the lowered TTL, then waits for the switch", r)
        r = bed.mc("switch", "example.com", fake=DAY + 60)
        check(r.rc == 0, "switch", r)
        r = bed.mc("sync", "example.com", fake=DAY + 60)
        check(r.rc == 3, "manual: reports and waits (exit 3)", r)
        check(dig(S, "mail.example.com") == ("NOERROR", [OLD]), "still lagging")
        subprocess.run(rndc, capture_output=True)
        r = bed.mc("sync", "example.com", fake=DAY + 60)
        check(r.rc == 0, "done once the operator acted", r)
    finally:
        bed.down()


def kill_during(bed, args, match, fake):
    """SIGKILL the helper while the emulator holds its request for MATCH:
    the request is confirmed to have reached the emulator (GET
    /__sim/held) before the kill; then the emulator applies it, as a
    panel that got the whole packet does."""
    bed.sim.fault(kind="hold", count=1, match=match, delay_s=60)
    env = dict(os.environ, **faketime_env(fake))
    cmd = [HELPER, "--config", bed.conf, "--json"] + list(args)
    err = os.path.join(bed.d, "killed.stderr")
    with open(err, "w") as ef:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef,
                             env=env)
    try:
        held = wait_for(lambda: bed.sim.ctl("GET", "/__sim/held")["held"]
                        or p.poll() is not None, 30, 0.05)
        check(p.poll() is None, "the helper still runs when %s is held" %
              match, p.returncode, open(err).read())
        check(isinstance(held, list) and len(held) == 1 and
              match in held[0]["ops"], "the %s request reached the emulator"
              % match, held)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        check(p.returncode == -signal.SIGKILL, "killed", p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        out = bed.sim.ctl("POST", "/__sim/fault/release")
        bed.sim.ctl("POST", "/__sim/fault/clear")
    check(out["released"] == 1 and out["applied"] == 1,
          "the held %s was applied after the kill" % match, out)
    with open(err) as ef:
        san_check(p.returncode, ef.read(), "killed " + " ".join(args))


def t_sigkill_each_step(mail):
    for step, match, fake in (("prepare", "dns.set", 0),
                              ("switch", "dns.add_rec", DAY + 60),
                              ("switch", "dns.del_rec", DAY + 60),
                              ("disable-old-mail", "mail.disable",
                               DAY + 1100),
                              ("rollback", "dns.add_rec", DAY + 1200)):
        bed = Bed("kill-" + match.replace(".", "-") + "-" + step)
        try:
            before = snapshot(bed, ["example.com"])
            order = ["prepare", "switch", "sync", "disable-old-mail"]
            fakes = [0, DAY + 60, DAY + 60, DAY + 1100]
            upto = order.index(step) if step in order else len(order)
            for name, f in zip(order[:upto], fakes[:upto]):
                check(bed.mc(name, "example.com", fake=f).rc == 0, name)
            kill_during(bed, [step, "example.com"], match, fake)
            # the next run finishes cleanly
            r = bed.mc(step, "example.com", fake=fake + 5)
            check(r.rc == 0, "rerun of %s after SIGKILL" % step, r)
            z = bed.zone("example.com")
            for n in NAMES:
                vals = a_values(z, n)
                want = [OLD] if step == "rollback" else \
                    [NEW] if step in ("switch", "disable-old-mail") else [OLD]
                check(vals == want, "consistent zone", step, n, vals)
                check(dig(P, n + ".example.com") == ("NOERROR", want), "dig",
                      step, n)
            if step == "rollback":
                check(snapshot(bed, ["example.com"]) == before,
                      "rollback exact after a kill")
            # and a rollback from here restores everything
            r = bed.mc("rollback", "example.com", fake=fake + 10)
            check(r.rc == 0, "rollback after the kill", r)
            check(snapshot(bed, ["example.com"]) == before, "exact")
        finally:
            bed.down()


def t_corrupt_journal(mail):
    bed = Bed("corrupt")
    try:
        check(bed.mc("prepare", "example.com").rc == 0, "prepare")
        j = os.path.join(bed.state, "example.com.journal")
        with open(j, "r+b") as f:
            f.seek(40)
            f.write(b"X")
        r = bed.mc("switch", "example.com", fake=DAY + 60)
        check(r.rc == 1, "corrupt journal stops the domain", r)
        check("example.com.journal" in by_domain(r)["example.com"]["message"],
              "names the file", r)
        check(a_values(bed.zone("example.com"), "mail") == [OLD], "no change")
    finally:
        bed.down()


def t_migrate_and_tick(mail):
    bed = Bed("migrate")
    try:
        r = bed.mc("migrate", *DOMAINS)
        check(r.rc == 3, "migrate prepares, then waits for the TTL gate", r)
        d = by_domain(r)
        check(all(x["next"]["step"] == "switch" for x in d.values()),
              "next is the switch", d)
        r = bed.mc("tick", fake=DAY + 60)
        check(r.rc == 3, "tick switches, then waits for the disable gate", r)
        for x in DOMAINS:
            check(dig(P, "mail." + x) == ("NOERROR", [NEW]), "tick switched", x)
        r = bed.mc("tick", fake=DAY + 60 + 1000)
        # disabled and verified; finish waits for the registrar (exit 3)
        check(r.rc == 3 and all(x["next"]["step"] == "finish"
                                for x in by_domain(r).values()),
              "tick 2 disables, verifies, waits for the registrar", r)
        for x in DOMAINS:
            check(not bed.zone(x)["mail"]["enabled"], "tick disabled", x)
        req = r.json["requests"]
        check(req <= 8, "requests do not grow per domain", req)
    finally:
        bed.down()


def t_unreachable_secondary(mail):
    bed = Bed("deadsec")
    try:
        check(bed.mc("prepare", "example.com").rc == 0, "prepare")
        check(bed.mc("switch", "example.com", fake=DAY + 60).rc == 0, "switch")
        with open(os.path.join(bed.sim.dir, "named-secondary.pid")) as f:
            pid = int(f.read().split()[0])
        os.kill(pid, signal.SIGTERM)
        check(wait_for(lambda: dig(S, "example.com", "SOA")[0] == "unreachable",
                       10), "secondary down", dig(S, "example.com", "SOA"))
        r = bed.mc("sync", "example.com", fake=DAY + 60)
        check(r.rc == 3, "an unreachable secondary: waiting, not done", r)
        d = by_domain(r)["example.com"]
        check(S in d["message"], "names the server", d["message"])
        check(not d["steps"][2]["done_at"], "sync not marked done", d)
        r = bed.mc("disable-old-mail", "example.com", fake=DAY + 5000)
        check(r.rc == 3 and bed.zone("example.com")["mail"]["enabled"],
              "old mail stays on while a secondary is unknown", r)
    finally:
        bed.down()


def t_panel_error_mid_batch(mail):
    """A packet of the batch fails: only its domains fail, the rest go on."""
    bed = Bed("midbatch", extra="", secondaries="")
    with open(bed.conf) as f:
        conf = f.read().replace("[cutover]", "batch_size = 3\n[cutover]")
    with open(bed.conf, "w") as f:
        f.write(conf)
    try:
        check(bed.mc("prepare", *DOMAINS).rc == 0, "prepare")
        # the second add_rec packet (three adds = one domain) fails
        bed.sim.fault(kind="system", count=1, match="dns.add_rec",
                      errcode=1003)
        r = bed.mc("switch", *DOMAINS, fake=DAY + 60)
        check(r.rc == 1, "one domain failed", r)
        res = {k: v["result"] for k, v in by_domain(r).items()}
        check(sorted(res.values()) == ["done", "done", "failed"],
              "only the affected domain fails", res)
        bad = [k for k, v in res.items() if v == "failed"][0]
        check("1003" in by_domain(r)[bad]["message"], "says why", r)
        check(a_values(bed.zone(bad), "mail") == [OLD], "its zone untouched")
        check(by_domain(r)[bad]["steps"][1]["done_at"] is None,
              "journal: not switched")
        r = bed.mc("switch", *DOMAINS, fake=DAY + 90)
        check(r.rc == 0, "the rerun finishes it", r)
        check(a_values(bed.zone(bad), "mail") == [NEW], "switched now")
    finally:
        bed.down()


def t_quiet_hours(mail):
    """tick switches only inside the quiet-hours window (local time)."""
    import datetime
    t0 = time.time() + DAY + 60
    h = datetime.datetime.fromtimestamp(t0).hour
    start = (h + 2) % 24
    bed = Bed("quiet", extra="quiet_hours = %02d:00-%02d:00" %
              (start, (start + 1) % 24))
    try:
        check(bed.mc("prepare", "example.com").rc == 0, "prepare")
        r = bed.mc("tick", fake=DAY + 60)
        d = by_domain(r)["example.com"]
        check(r.rc == 3 and "quiet-hours" in d["message"],
              "outside the window: waits", r)
        check(a_values(bed.zone("example.com"), "mail") == [OLD],
              "not switched outside the window")
        inside = datetime.datetime.fromtimestamp(t0).replace(
            minute=0, second=0) + datetime.timedelta(hours=2, minutes=5)
        r = bed.mc("tick", fake=int(inside.timestamp() - time.time()))
        check(r.rc == 3 and by_domain(r)["example.com"]["next"]["step"] ==
              "disable-old-mail", "inside the window: switched, then waits "
              "for the disable gate", r)
        check(a_values(bed.zone("example.com"), "mail") == [NEW],
              "switched inside the window", r)
    finally:
        bed.down()


def t_list_whole_panel(mail):
    bed = Bed("list")
    try:
        bed.mc("prepare", "shop.test")
        r = bed.mc("list")
        # list reports (every domain waits for a step, but list itself
        # neither waits nor fails): exit 0
        check(r.rc == 0, "list", r)
        d = by_domain(r)
        for x in ("example.com", "shop.test", "xn--bcher-kva.example",
                  "addon.test", "sub.example.com"):
            check(x in d, "every domain of the source panel is listed", x,
                  sorted(d))
        check(d["shop.test"]["state"] == "prepared", "journal state", d)
        check(d["example.com"]["next"]["step"] == "plan", "new one", d)
        check(r.json["requests"] <= 2, "one request lists them all", r.json)
    finally:
        bed.down()


def start_mail(d=MAIL_DIR):
    if not os.access(MAILBED, os.X_OK):
        print("%s is not executable" % MAILBED)
        return None
    shutil.rmtree(d, ignore_errors=True)
    args = [MAILBED, "up", "--dir", d, "--ip", NEW, "--hostname",
            "mail.example.com"]
    for x in DOMAINS:
        args += ["--domain", x, "--cert-name", "mail." + x]
    os.makedirs(d, exist_ok=True)
    log = MAIL_LOG if d == MAIL_DIR else d + ".log"
    try:
        with open(log, "w") as f:
            # output to a file: daemons must not hold our pipes open
            r = subprocess.run(args, stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=60)
    except subprocess.TimeoutExpired:
        print("mail bed did not start in 60 s (see %s)" % log)
        subprocess.run([MAILBED, "down", "--dir", d], capture_output=True,
                       timeout=60)
        return None
    if r.returncode != 0:
        print("mail bed did not start (see %s)" % log)
        return None
    return d


def main():
    run = Runner()
    mail = start_mail()
    try:
        for name, fn in sorted((n, f) for n, f in globals().items()
                               if n.startswith("t_")):
            run.run(name[2:], fn, mail)
    finally:
        if mail:
            subprocess.run([MAILBED, "down", "--dir", mail],
                           capture_output=True, timeout=60)
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
