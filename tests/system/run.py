#!/usr/bin/python3
"""System tests: the mailcutover helper and its XML API library against the
Plesk emulator over HTTPS with a pinned key, backed by real BIND 9 servers.
Ends with one line: "N passed, N failed"."""
import copy
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from simlib import (HELPER, KEY, OUT, PASSWORD, ROOT, XSD_DIR,  # noqa: E402
                    Result, Runner, Sim, check, dig, helper, soa_serial,
                    wait_for, write_config, write_secret)

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "system.json")
OLD, NEW = "127.0.2.10", "127.0.3.20"
P, S = "127.0.53.1", "127.0.53.2"


def setup_dir(name):
    d = os.path.join(OUT, "cases", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


class Env:
    """The main emulator (Obsidian) with a key and a login config."""

    def __init__(self, sim):
        self.sim = sim
        self.d = setup_dir("main")
        self.key = os.path.join(self.d, "key.secret")
        self.pw = os.path.join(self.d, "pw.secret")
        write_secret(self.key, KEY)
        write_secret(self.pw, PASSWORD)
        self.conf = write_config(os.path.join(self.d, "key.conf"), sim,
                                 secret_file=self.key)
        self.conf_login = write_config(os.path.join(self.d, "login.conf"),
                                       sim, secret_file=self.pw,
                                       auth="login", login="admin")


def records(env, site):
    r = helper(env.conf, "raw", "get-rec", str(site))
    check(r.rc == 0, "get-rec failed", r)
    return r.json["ops"][0]["records"]


def find(recs, host, rtype="A"):
    return [x for x in recs if x["type"] == rtype and
            x["host"].rstrip(".").lower() == host]


def zone_snapshot(env):
    st = env.sim.state()
    return [(d["name"], d.get("zone")) for d in st["domains"]], \
        [(d["name"], d.get("mail")) for d in st["domains"]]


# ---------------------------------------------------------------- tests

def t_servers_key(env):
    r = helper(env.conf, "servers")
    check(r.rc == 0, "servers failed", r)
    p = r.json["panels"][0]
    check(p["reachable"] and p["authenticated"], "not ok", r)
    check(p["protocol"] == "1.6.9.1", "Obsidian speaks 1.6.9.1", p)
    check(p["plesk_version"], "no Plesk version", p)


def t_servers_login(env):
    r = helper(env.conf_login, "servers")
    check(r.rc == 0, "servers with login/password failed", r)


def t_secret_stdin(env):
    conf = write_config(os.path.join(env.d, "stdin.conf"), env.sim,
                        secret_file="-")
    r = helper(conf, "servers", stdin=KEY + "\n")
    check(r.rc == 0, "secret from stdin refused", r)


def t_secret_never_printed(env):
    for conf in (env.conf, env.conf_login):
        for args in (["servers"], ["raw", "get-rec", "1"],
                     ["raw", "resolve", "nosuch.test"]):
            r = helper(conf, *args)
            for s in (KEY, PASSWORD):
                check(s not in r.out and s not in r.err,
                      "secret appears in output", args)


def t_resolve(env):
    r = helper(env.conf, "raw", "resolve", "example.com", "addon.test",
               "sub.example.com", "alias.test", "xn--bcher-kva.example",
               "EXAMPLE.COM")
    check(r.rc == 0, "resolve failed", r)
    got = {d["name"]: (d["kind"], d["id"]) for d in r.json["domains"]}
    check(got["example.com"] == ("subscription", 1), "webspace", got)
    check(got["addon.test"] == ("site", 5), "site", got)
    # Plesk's site get also lists subdomains (doc section 5b), so a
    # subdomain resolves at the site step; its id is what matters
    check(got["sub.example.com"] in (("site", 7), ("subdomain", 7)),
          "subdomain", got)
    check(got["alias.test"] == ("alias", 3), "alias", got)
    check(got["xn--bcher-kva.example"] == ("subscription", 3), "IDN", got)
    check(got["EXAMPLE.COM"] == ("subscription", 1), "case", got)
    # four steps at most, each one packet for all names
    check(r.json["requests"] <= 5, "requests grow with names", r.json)


def t_resolve_unknown(env):
    r = helper(env.conf, "raw", "resolve", "example.com", "nosuch.test")
    check(r.rc == 1, "unknown domain must exit 1", r)
    d = {x["name"]: x for x in r.json["domains"]}
    check(d["example.com"]["result"] == "ok", "known one resolved", d)
    check(d["nosuch.test"]["result"] == "not_found", "not found", d)
    check("nosuch.test" in d["nosuch.test"]["error"], "names it", d)


def t_bad_arguments(env):
    before = zone_snapshot(env)
    for args, what in ((["raw", "resolve", "exa mple.com"], "exa mple.com"),
                       (["raw", "get-rec", "12x"], "12x"),
                       (["raw", "add-rec", "1", "A", "mail", "999.1.1.1"],
                        "999.1.1.1"),
                       (["raw", "add-rec", "1", "BOGUS", "x", "y"], "BOGUS"),
                       (["raw", "del-rec", "0"], "'0'"),
                       # issue 11: a domain name that is an IP address
                       (["plan", "127.0.0.1"], "an IP address"),
                       (["confirm", "10.1.2.3", "clients", "yes"],
                        "an IP address"),
                       (["log", "192.0.2.1"], "an IP address"),
                       (["frobnicate"], "frobnicate")):
        r = helper(env.conf, *args)
        check(r.rc == 2, "bad argument must exit 2", args, r)
        check(what in r.err, "message must name the bad thing", what, r)
    check(zone_snapshot(env) == before, "bad input changed something")


def t_read_zone(env):
    recs = records(env, 1)
    mail = find(recs, "mail.example.com")
    check(len(mail) == 1 and mail[0]["value"] == OLD, "mail A", recs)
    check(all(x["host"].endswith(".") for x in recs), "FQDN hosts", recs)
    ns = [x["value"] for x in recs if x["type"] == "NS"]
    check("ns1.example.com." in ns, "NS values with dots", ns)


def t_get_rec_many_sites(env):
    r = helper(env.conf, "raw", "get-rec", "1", "2", "5")
    check(r.rc == 0, "get-rec failed", r)
    sites = {x["site_id"] for x in r.json["ops"][0]["records"]}
    check(sites == {1, 2, 5}, "records of three sites in one op", sites)
    check(r.json["requests"] == 2, "negotiate + one packet", r.json)


def t_replace_records(env):
    """Make-before-break switch of mail.shop.test; dig both servers."""
    sim = env.sim
    old = find(records(env, 2), "mail.shop.test")
    check(len(old) == 1, "one old record", old)
    serial0 = soa_serial(P, "shop.test")
    r = helper(env.conf, "raw", "add-rec", "2", "A", "mail", NEW)
    check(r.rc == 0, "add failed", r)
    new_id = r.json["ops"][0]["id"]
    check(new_id not in (o["id"] for o in old), "new id")
    r = helper(env.conf, "raw", "del-rec", str(old[0]["id"]))
    check(r.rc == 0, "del failed", r)
    check(dig(P, "mail.shop.test") == ("NOERROR", [NEW]),
          "primary serves new", dig(P, "mail.shop.test"))
    check(soa_serial(P, "shop.test") > serial0, "serial grew")
    check(wait_for(lambda: dig(S, "mail.shop.test") == ("NOERROR", [NEW]),
                   20),
          "secondary got the transfer", dig(S, "mail.shop.test"))
    check(soa_serial(S, "shop.test") == soa_serial(P, "shop.test"),
          "serials agree")
    # deleting again: the record is gone, Plesk answers 1013
    r = helper(env.conf, "raw", "del-rec", str(old[0]["id"]))
    check(r.rc == 1, "second delete must fail", r)
    check(r.json["ops"][0]["items"][0]["errcode"] == 1013, "1013", r.json)
    check(sim.state() is not None, "state readable")


def t_soa_set(env):
    r = helper(env.conf, "raw", "soa", "2")
    before = r.json["ops"][0]["items"][0]["soa"]
    r = helper(env.conf, "raw", "soa-set", "ttl=600", "2", "999")
    check(r.rc == 1, "unknown site must fail its item", r)
    items = r.json["ops"][0]["items"]
    check(items[0]["result"] == "ok" and items[1]["result"] == "not_found",
          "per-site results", items)
    check(items[1]["errcode"] == 1015, "1015 for unknown site", items)
    after = helper(env.conf, "raw", "soa", "2").json["ops"][0]["items"][0]
    after = after["soa"]
    check(after["ttl"] == 600, "ttl set", after)
    for k in ("refresh", "retry", "expire", "minimum"):
        check(after[k] == before[k], "other SOA fields untouched", k)
    out = subprocess.run(["dig", "+norec", "@" + P, "www.shop.test", "A"],
                         capture_output=True, text=True).stdout
    check("\t600\tIN\tA" in out, "BIND serves TTL 600", out)
    helper(env.conf, "raw", "soa-set", "ttl=86400", "2")


def t_mail_toggle(env):
    r = helper(env.conf, "raw", "mail-disable", "2")
    check(r.rc == 0, "disable", r)
    r = helper(env.conf, "raw", "mail-prefs", "2", "1")
    items = r.json["ops"][0]["items"]
    check(items[0]["mailservice"] is False and items[1]["mailservice"],
          "prefs", items)
    r = helper(env.conf, "raw", "mail-disable", "2")
    check(r.rc == 0, "disable twice is fine", r)
    r = helper(env.conf, "raw", "mail-enable", "2")
    check(r.rc == 0, "enable", r)
    r = helper(env.conf, "raw", "mail-info", "1")
    check(sorted(r.json["ops"][0]["mailnames"]) == ["info", "sales"],
          "mailnames", r.json)
    r = helper(env.conf, "raw", "mail-info", "3")
    check(r.rc == 0 and r.json["ops"][0]["mailnames"] == [], "none", r)


def t_zone_disable_enable(env):
    r = helper(env.conf, "raw", "zone-disable", "5")
    check(r.rc == 0, "zone disable", r)
    # BIND, alive, refuses a zone it no longer serves (a dead BIND would
    # be "unreachable" or "timeout", not this)
    check(dig(P, "www.addon.test") == ("REFUSED", []), "primary stops serving",
          dig(P, "www.addon.test"))
    check(dig(P, "www.example.com")[0] == "NOERROR", "the primary is alive")
    r = helper(env.conf, "raw", "soa", "5")
    check(r.json["ops"][0]["items"][0]["zone_enabled"] is False, "status")
    r = helper(env.conf, "raw", "zone-enable", "5")
    check(r.rc == 0, "zone enable", r)
    check(wait_for(lambda: dig(P, "www.addon.test") == ("NOERROR", [OLD]),
                   10),
          "primary serves again")


def t_batching_keepalive(env):
    conf = write_config(os.path.join(env.d, "b2.conf"), env.sim,
                        secret_file=env.key, extra="batch_size = 2")
    before = env.sim.counters()
    r = helper(conf, "raw", "mail-disable", "1", "2", "3", "5", "1")
    after = env.sim.counters()
    check(r.rc == 0, "5 disables", r)
    check(r.json["requests"] == 4, "1 negotiate + ceil(5/2) packets",
          r.json)
    check(after["requests"] - before["requests"] == 4, "emulator agrees",
          before, after)
    check(after["ops"] - before["ops"] == 6, "ops counted", before, after)
    check(r.json["connections"] == 1, "one kept-alive connection", r.json)
    check(after["connections"] - before["connections"] == 1,
          "emulator saw one connection", before, after)
    helper(env.conf, "raw", "mail-enable", "1", "2", "3", "5")


def fault_case(env, kind, args, expect_rc, expect_kind, **fault):
    sim = env.sim
    snap = zone_snapshot(env)
    sim.fault(kind=kind, count=1, **fault)
    r = helper(env.conf, *args)
    sim.ctl("POST", "/__sim/fault/clear")
    check(r.rc == expect_rc, "exit code for %s" % kind, r)
    check(r.json and r.json.get("error_kind") == expect_kind,
          "error kind for %s" % kind, r)
    return snap, r


def t_fault_http500(env):
    snap, r = fault_case(env, "http500", ["raw", "add-rec", "1", "A",
                         "lists", NEW], 1, "unexpected HTTP status",
                         match="dns.add_rec")
    check("HTTP 500" in r.json["error"], "says HTTP 500", r)
    check(zone_snapshot(env) == snap, "nothing changed")


def t_fault_system(env):
    snap, r = fault_case(env, "system", ["raw", "add-rec", "1", "A",
                         "lists", NEW], 1, "panel system error",
                         match="dns.add_rec", errcode=1003)
    check("1003" in r.json["error"], "names the code", r)
    check(zone_snapshot(env) == snap, "nothing changed")


def t_fault_drop_before(env):
    snap, r = fault_case(env, "drop_before", ["raw", "add-rec", "1", "A",
                         "lists", NEW], 1, "answer lost, outcome unknown",
                         match="dns.add_rec")
    check(r.json["maybe_applied"], "outcome unknown flagged", r)
    check(zone_snapshot(env) == snap, "nothing changed")


def t_fault_drop_after_no_resend(env):
    """Applied, answer lost on a reused connection: never sent twice."""
    before = find(records(env, 1), "lists.example.com")
    snap, r = fault_case(env, "drop_after", ["raw", "add-rec", "1", "A",
                         "lists", NEW], 1, "answer lost, outcome unknown",
                         match="dns.add_rec")
    check(r.json["maybe_applied"], "outcome unknown flagged", r)
    after = find(records(env, 1), "lists.example.com")
    added = [x for x in after if x["value"] == NEW]
    check(len(added) == 1, "applied exactly once", before, after)
    r = helper(env.conf, "raw", "del-rec", str(added[0]["id"]))
    check(r.rc == 0, "cleanup", r)


def reconnect_case(env, mode):
    """The answer is lost on a kept-alive connection after the packet
    left; libcurl reconnects by itself and that connection is refused
    (mode "refuse") or its TLS handshake fails ("garbage"). The panel
    had the packet: the outcome is unknown, never a definite failure."""
    from faultlib import PanelProxy
    sim = env.sim
    proxy = PanelProxy(("127.0.2.12", 8443), ("127.0.2.10", 8443))
    conf = write_config(os.path.join(env.d, "proxy-%s.conf" % mode), sim,
                        url="https://127.0.2.12:8443", secret_file=env.key)
    try:
        before = find(records(env, 1), "lists.example.com")
        sim.fault(kind="hold", match="dns.add_rec", count=1, delay_s=60)
        p = subprocess.Popen([HELPER, "--config", conf, "--json", "raw",
                              "add-rec", "1", "A", "lists", NEW],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        held = wait_for(lambda: sim.ctl("GET", "/__sim/held")["held"], 30,
                        0.05)
        check(held and "dns.add_rec" in held[0]["ops"], "request held",
              held)
        proxy.set_mode(mode)
        check(proxy.reset_all() == 1, "the kept-alive connection reset")
        rel = sim.ctl("POST", "/__sim/fault/release", {"timeout_s": 30})
        check(rel["applied"] == 1, "the held packet was applied", rel)
        out, err = p.communicate(timeout=60)
        r = Result(p.returncode, out, err)
    finally:
        sim.ctl("POST", "/__sim/fault/clear")
        proxy.stop()
    check(r.rc == 1 and r.json, "failed with a JSON answer", r)
    check(r.json.get("error_kind") == "answer lost, outcome unknown",
          "the outcome is unknown, not a definite failure", r)
    check(r.json.get("maybe_applied") is True, "maybe applied", r)
    after = find(records(env, 1), "lists.example.com")
    added = [x for x in after if x["value"] == NEW]
    check(len(added) == 1, "applied exactly once", before, after)
    r = helper(env.conf, "raw", "del-rec", str(added[0]["id"]))
    check(r.rc == 0, "cleanup", r)


def t_fault_reconnect_refused(env):
    reconnect_case(env, "refuse")


def t_fault_reconnect_tls(env):
    reconnect_case(env, "garbage")


def t_fault_truncated(env):
    fault_case(env, "truncate", ["raw", "get-rec", "1"], 1,
               "malformed reply", match="dns.get_rec")


def t_fault_malformed(env):
    fault_case(env, "malformed", ["raw", "get-rec", "1"], 1,
               "malformed reply", match="dns.get_rec")


def t_fault_slow(env):
    conf = write_config(os.path.join(env.d, "t2.conf"), env.sim,
                        secret_file=env.key, extra="timeout = 2")
    env.sim.fault(kind="slow", count=1, match="dns.get_rec", delay_s=5)
    t0 = time.time()
    r = helper(conf, "raw", "get-rec", "1")
    env.sim.ctl("POST", "/__sim/fault/clear")
    check(r.rc == 1, "timeout must fail", r)
    check(r.json["error_kind"] == "answer lost, outcome unknown", "kind", r)
    check(time.time() - t0 < 5, "client gave up at its timeout")
    time.sleep(3.5)   # let the slow request finish on the emulator


def t_wrong_pin(env):
    conf = write_config(os.path.join(env.d, "pin.conf"), env.sim,
                        secret_file=env.key,
                        pin="sha256//" + "A" * 43 + "=")
    before = env.sim.counters()["requests"]
    r = helper(conf, "servers")
    check(r.rc == 4, "wrong pin must exit 4", r)
    check("pin" in r.json["panels"][0]["error"], "says pin", r)
    check(env.sim.counters()["requests"] == before, "nothing was sent")


def t_self_signed_no_pin(env):
    conf = write_config(os.path.join(env.d, "nopin.conf"), env.sim,
                        secret_file=env.key, pin="")
    before = env.sim.counters()["requests"]
    r = helper(conf, "servers")
    check(r.rc == 4, "self-signed without pin must exit 4", r)
    check("TLS" in r.json["panels"][0]["error"], "says TLS", r)
    check(env.sim.counters()["requests"] == before, "nothing was sent")


def t_pin_command(env):
    r = helper(env.conf, "pin", env.sim.url)
    check(r.rc == 0 and r.json["pin"] == env.sim.pin, "pin matches", r)


def t_cafile(env):
    conf = write_config(os.path.join(env.d, "ca.conf"), env.sim,
                        secret_file=env.key, pin="",
                        extra="cafile = %s" % os.path.join(env.sim.dir,
                                                           "cert.pem"))
    r = helper(conf, "servers")
    check(r.rc == 0, "CA file verifies the emulator's certificate", r)


def t_insecure_warns(env):
    conf = write_config(os.path.join(env.d, "insecure.conf"), env.sim,
                        secret_file=env.key, pin="", extra="insecure = yes")
    r = helper(conf, "servers")
    check(r.rc == 0 and "WARNING" in r.err, "insecure works but warns", r)


def t_wrong_credentials(env):
    bad = os.path.join(env.d, "bad.secret")
    write_secret(bad, "00000000-0000-0000-0000-000000000000")
    conf = write_config(os.path.join(env.d, "bad.conf"), env.sim,
                        secret_file=bad)
    r = helper(conf, "raw", "get-rec", "1")
    check(r.rc == 4, "bad key must exit 4", r)
    check("11003" in r.err, "names the Plesk code", r)
    write_secret(bad, "wrong")
    conf = write_config(os.path.join(env.d, "badpw.conf"), env.sim,
                        secret_file=bad, auth="login", login="admin")
    r = helper(conf, "servers")
    check(r.rc == 4 and "1001" in r.out, "bad password exit 4, 1001", r)


def t_secret_file_checks(env):
    cases = []
    loose = os.path.join(env.d, "loose.secret")
    write_secret(loose, KEY, 0o644)
    cases.append((loose, "others"))
    grp = os.path.join(env.d, "grp.secret")
    write_secret(grp, KEY, 0o640)
    cases.append((grp, "group"))
    link = os.path.join(env.d, "link.secret")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(env.key, link)
    cases.append((link, "symbolic link"))
    other = os.path.join(env.d, "other.secret")
    write_secret(other, KEY)
    os.chown(other, 65534, 65534)
    cases.append((other, "owned by uid 65534"))
    cases.append((os.path.join(env.d, "missing.secret"), "No such file"))
    for path, why in cases:
        conf = write_config(os.path.join(env.d, "s.conf"), env.sim,
                            secret_file=path)
        r = helper(conf, "raw", "get-rec", "1")
        check(r.rc == 2, "secret file refused with exit 2", path, r)
        check(path in r.err and why in r.err, "names file and reason",
              path, why, r.err)


def t_unreachable(env):
    conf = write_config(os.path.join(env.d, "unreach.conf"),
                        url="https://127.0.2.99:8443", pin=env.sim.pin,
                        secret_file=env.key,
                        extra="connect_timeout = 2")
    r = helper(conf, "servers")
    check(r.rc == 4, "unreachable panel exits 4", r)
    check("127.0.2.99" in r.out, "names the host", r)


def t_bad_config(env):
    conf = os.path.join(env.d, "broken.conf")
    with open(conf, "w") as f:
        f.write("[source]\nurl = https://127.0.2.10:8443\nfrobnicate = 1\n")
    r = helper(conf, "servers")
    check(r.rc == 2 and "broken.conf:3" in r.err and "frobnicate" in r.err,
          "names file, line and key", r)
    r = helper(os.path.join(env.d, "nonexistent.conf"), "servers")
    check(r.rc == 2 and "nonexistent.conf" in r.err, "missing config", r)


def t_config_trust(env):
    """issue 11: the root helper acts on a config only when root alone
    could have written it and every directory above it (a root-owned
    sticky directory such as /tmp counts as safe); else exit 2 naming
    the file or the directory."""
    base = setup_dir("trust")
    os.chmod(base, 0o755)

    def conf_in(d, name="c.conf", mode=0o600):
        os.makedirs(d, exist_ok=True)
        p = write_config(os.path.join(d, name), env.sim,
                         secret_file=env.key)
        os.chmod(p, mode)
        return p

    good = conf_in(os.path.join(base, "good"))
    r = helper(good, "servers")
    check(r.rc == 0, "a root-only config is used", r)
    bad = []
    p = conf_in(os.path.join(base, "gw"), mode=0o620)
    bad.append((p, p, "writable by group or others"))
    p = conf_in(os.path.join(base, "ow"), mode=0o606)
    bad.append((p, p, "writable by group or others"))
    p = conf_in(os.path.join(base, "other"))
    os.chown(p, 65534, 65534)
    bad.append((p, p, "owned by another user"))
    d = os.path.join(base, "opendir")
    p = conf_in(d)
    os.chmod(d, 0o777)
    bad.append((p, d, "writable by group or others"))
    d = os.path.join(base, "grpdir")
    p = conf_in(os.path.join(d, "deeper"))
    os.chmod(d, 0o775)
    bad.append((p, d, "writable by group or others"))
    d = os.path.join(base, "nobodys")
    p = conf_in(d)
    os.chown(d, 65534, 65534)
    bad.append((p, d, "owned by another user"))
    d = os.path.join(base, "stickynotroot")
    p = conf_in(d)
    os.chmod(d, 0o1777)
    os.chown(d, 65534, 65534)
    bad.append((p, d, "owned by another user"))
    for conf, named, why in bad:
        for args in (("servers",), ("settings", "get")):
            r = helper(conf, *args)
            check(r.rc == 2, "refused with exit 2", conf, args, r)
            text = r.err + r.out
            check(named in text and why in text, "names it and why",
                  named, why, text)
            check("127.0.2.10" not in r.out, "nothing of it shown", r.out)
    # a root-owned sticky directory (like /tmp) is safe
    d = os.path.join(base, "sticky")
    p = conf_in(os.path.join(d, "mine"))
    os.chmod(d, 0o1777)
    r = helper(p, "servers")
    check(r.rc == 0, "a config below a root-owned sticky directory", r)
    # a symlink in a world-writable directory to a good config: the
    # directories of the file itself are what count
    d = os.path.join(base, "opendir2")
    os.makedirs(d)
    os.symlink(p, os.path.join(d, "link.conf"))
    os.chmod(d, 0o777)
    r = helper(os.path.join(d, "link.conf"), "servers")
    check(r.rc == 0, "the file reached through a link is checked", r)


def t_settings_limits(env):
    """issue 11: settings set writes only the default config (and its
    secret beside it); settings get shows only a config's own keys."""
    d = setup_dir("settings-limits")
    os.chmod(d, 0o700)
    victim = os.path.join(d, "authorized_keys")
    with open(victim, "w") as f:
        f.write("ssh-ed25519 AAAAoriginal root@host\n")
    conf = write_config(os.path.join(d, "c.conf"), env.sim,
                        secret_file=victim)
    before = open(conf).read()
    r = helper(conf, "settings", "set",
               stdin='{"secret": "ssh-ed25519 AAAAattacker x"}')
    check(r.rc == 2, "settings set with another --config: exit 2", r)
    check("writes only /etc/mailcutover/mailcutover.conf" in r.out + r.err,
          "says which file it writes", r)
    check(open(victim).read() == "ssh-ed25519 AAAAoriginal root@host\n",
          "the file named as secret_file unchanged")
    check(open(conf).read() == before, "the config unchanged")
    # a root-only file that is not a config: not one of its lines shown
    shadow = os.path.join(d, "shadow")
    with open(shadow, "w") as f:
        f.write("root:$y$j9T$HASHSECRETHASH:19000:0:99999:7:::\n"
                "[source]\nTOKEN=abcSECRETdef\n")
    os.chmod(shadow, 0o640)
    r = helper(shadow, "settings", "get")
    check(r.rc == 2, "not a config: exit 2", r)
    check("SECRET" not in r.out + r.err, "no line of it shown", r)


def t_process_hygiene(env):
    """issue 11: while the secret is in memory the helper cannot dump
    core (RLIMIT_CORE 0, not dumpable: its /proc files are root's even
    when it runs as another user), writes no TLS key log
    (SSLKEYLOGFILE) and goes to the panel directly whatever the proxy
    variables say (the config has no proxy setting)."""
    d = setup_dir("hygiene")
    os.chmod(d, 0o755)
    keylog = os.path.join(d, "tls-keys.log")
    dead = "http://127.0.0.1:9"          # nothing listens there
    e = dict(os.environ, SSLKEYLOGFILE=keylog, https_proxy=dead,
             HTTPS_PROXY=dead, ALL_PROXY=dead, all_proxy=dead,
             http_proxy=dead)
    e.pop("NO_PROXY", None)
    e.pop("no_proxy", None)
    r = helper(env.conf, "servers", env=e)
    check(r.rc == 0, "the proxy variables are not used", r)
    check(not os.path.exists(keylog) or os.path.getsize(keylog) == 0,
          "no TLS key log written")
    # a helper waiting for its secret on stdin, as an unprivileged user.
    # nobody must reach the binary and the config: the clone may sit in a
    # folder only root can enter (/root, mktemp -d), so both are copied
    # to a folder of their own under /var/tmp (root's, 0755)
    pub = tempfile.mkdtemp(prefix="mc-hygiene.", dir="/var/tmp")
    os.chmod(pub, 0o755)
    exe = os.path.join(pub, "mailcutover")
    shutil.copy(HELPER, exe)
    os.chmod(exe, 0o755)
    conf = write_config(os.path.join(pub, "stdin.conf"), env.sim,
                        secret_file="-")
    os.chmod(conf, 0o644)
    p = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534",
                          "--clear-groups", exe, "--config", conf,
                          "servers"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc = "/proc/%d" % p.pid

        def waiting():
            try:
                with open(proc + "/comm") as f:
                    comm = f.read().strip()
                with open(proc + "/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                return False
            return comm == "mailcutover" and state == "S"
        check(wait_for(waiting, 10), "the helper waits for its secret")
        with open(proc + "/status") as f:
            uid = [l for l in f if l.startswith("Uid:")][0].split()[1]
        check(uid == "65534", "runs as nobody", uid)
        with open(proc + "/limits") as f:
            core = [l for l in f if l.startswith("Max core file size")][0]
        check(core.split()[4:6] == ["0", "0"], "RLIMIT_CORE 0", core)
        # (the /proc/PID directory keeps the euid; its files do not)
        owner = os.stat(proc + "/environ").st_uid
        check(owner == 0, "not dumpable: its /proc files are root's", owner)
    finally:
        p.kill()
        out, err = p.communicate()
        shutil.rmtree(pub, ignore_errors=True)
    check(b"Permission denied" not in err, "nobody could run the helper",
          err)


def t_url_userinfo(env):
    """issue 11: a user:password@ in a panel URL is refused (config and
    pin), and the refusal does not repeat it."""
    d = setup_dir("userinfo")
    conf = write_config(os.path.join(d, "u.conf"),
                        url="https://admin:PW-zz7@127.0.2.10:8443",
                        pin=env.sim.pin, secret_file=env.key)
    r = helper(conf, "servers")
    check(r.rc == 2 and "user or password" in r.err, "config refused", r)
    check("PW-zz7" not in r.out + r.err, "not repeated", r)
    r = helper(env.conf, "pin", "https://admin:PW-zz7@127.0.2.10:8443")
    check(r.rc == 2 and "PW-zz7" not in r.out + r.err, "pin refused", r)
    r = helper(env.conf, "pin", "http://127.0.2.10:8443")
    check(r.rc == 2, "pin: https only", r)


def t_confirm_one_spelling(env):
    """issue 11: confirm takes a domain in any spelling (case, final dot,
    Unicode) and logs it in the one the journal and `log` use."""
    d = setup_dir("confirm")
    os.chmod(d, 0o755)
    os.makedirs(os.path.join(d, "state"), 0o700)
    conf = write_config(os.path.join(d, "c.conf"), env.sim,
                        secret_file=env.key,
                        extra="[cutover]\nstate_dir = %s" %
                        os.path.join(d, "state"))
    r = helper(conf, "confirm", "Shop.EXAMPLE.com.", "clients", "yes")
    check(r.rc == 0 and r.json["domain"] == "shop.example.com", "confirmed",
          r)
    r = helper(conf, "confirm", "b\u00fccher.example", "clients", "no")
    check(r.rc == 0 and r.json["domain"] == "xn--bcher-kva.example",
          "an IDN in its ASCII form", r)
    r = helper(conf, "log", "shop.example.com")
    check(r.rc == 0 and [x["domain"] for x in r.json["log"]] ==
          ["shop.example.com"], "one spelling in the log", r)
    r = helper(conf, "log", "xn--bcher-kva.example")
    check(r.rc == 0 and len(r.json["log"]) == 1, "the IDN's line", r)


def t_raw_text_escapes(env):
    """issue 11: raw's text output shows what the panel holds with its
    control characters escaped (a CR, a LF, a C1 CSI in a TXT value cannot
    forge a line or drive the terminal)."""
    val = "v=x\rFAKE ok\nforged line \u009b2J end"
    r = helper(env.conf, "raw", "add-rec", "5", "TXT", "esc", val)
    check(r.rc == 0, "TXT added", r)
    rid = r.json["ops"][0]["id"]
    try:
        p = subprocess.run([HELPER, "--config", env.conf, "raw", "get-rec",
                            "5"], capture_output=True, timeout=60)
        check(p.returncode == 0, "get-rec", p)
        line = [x for x in p.stdout.split(b"\n") if b"\tesc." in x]
        check(len(line) == 1, "the record on one line", p.stdout)
        check(b"\r" not in p.stdout and b"\xc2\x9b" not in p.stdout,
              "no raw CR or CSI", p.stdout)
        check(b"v=x\\x0dFAKE ok\\x0aforged line \\xc2\\x9b2J end" in
              line[0], "escaped", line[0])
    finally:
        helper(env.conf, "raw", "del-rec", str(rid))


def t_busy_domain(env):
    """issue 11: a domain another run holds (its per-domain lock) is
    "busy" (exit 3, retried by the next run), not failed; the others of
    the run go on."""
    d = setup_dir("busy")
    os.chmod(d, 0o755)
    state = os.path.join(d, "state")
    os.makedirs(state, 0o700)
    conf = write_config(os.path.join(d, "c.conf"), env.sim,
                        secret_file=env.key,
                        extra="[cutover]\nnew_ip = %s\nprimary_dns = %s\n"
                        "state_dir = %s" % (NEW, P, state))
    # flock and its sleep in a session of their own: both go at the end
    holder = subprocess.Popen(["flock", os.path.join(state, "example.com.lock"),
                               "sleep", "60"], start_new_session=True)
    try:
        check(wait_for(lambda: os.path.exists(
            os.path.join(state, "example.com.lock")), 10), "lock held")
        time.sleep(0.3)
        r = helper(conf, "status", "example.com")     # takes no lock
        check(r.rc == 0, "status reads a locked domain", r)
        r = helper(conf, "plan", "example.com", "shop.test")
        res = {x["domain"]: x for x in (r.json or {}).get("domains", [])}
        check(res.get("example.com", {}).get("result") == "busy",
              "busy, not failed", r)
        check("another mailcutover run" in res["example.com"]["message"],
              "says why", res["example.com"])
        check(res.get("shop.test", {}).get("result") != "busy",
              "the other domain went on", res.get("shop.test"))
        check(r.rc in (0, 3), "busy is not a failure (exit %d)" % r.rc, r)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    # two spellings of one domain in one run: one domain, one lock (they
    # must not lock each other out)
    r = helper(conf, "plan", "EXAMPLE.com", "example.com.", "Example.Com")
    doms = [x["domain"] for x in (r.json or {}).get("domains", [])]
    check(doms == ["example.com"], "one domain for three spellings", r)
    check(r.json["domains"][0]["result"] not in ("busy", "failed"),
          "not locked out by itself", r.json["domains"][0])


def t_replies_validate(env):
    xsd = os.path.join(XSD_DIR, "agent_output.xsd")
    check(os.path.exists(xsd), "the Plesk XSDs are required", xsd)
    files = sorted(glob.glob(os.path.join(env.sim.trace, "*-resp.xml")))
    check(files, "trace has replies")
    bad = []
    for i in range(0, len(files), 50):
        chunk = files[i:i + 50]
        r = subprocess.run(["xmllint", "--noout", "--schema", xsd] + chunk,
                           capture_output=True, text=True)
        if r.returncode != 0:
            bad += [l for l in r.stderr.splitlines()
                    if "fails to validate" in l or "error" in l][:5]
    # replies cut or damaged on purpose by the fault tests do not count
    bad = [b for b in bad if "truncat" not in b]
    check(not bad or all("parser error" in b or "Premature" in b
                         or "Couldn't find" in b or "malformed" in b
                         for b in bad), "replies validate", bad[:5])


def t_versions():
    d = setup_dir("versions")
    key = os.path.join(d, "key.secret")
    write_secret(key, KEY)
    for plesk, proto, listen in (("11", "1.6.4.0", "127.0.2.11:8443"),
                                 ("12.5", "1.6.7.0", "127.0.2.12:8443")):
        sim = Sim("v" + plesk, FIXTURE, listen=listen, plesk=plesk,
                  primary="127.0.53.11", secondary=None, trace=False)
        try:
            conf = write_config(os.path.join(d, plesk + ".conf"), sim,
                                secret_file=key)
            r = helper(conf, "servers")
            check(r.rc == 0, "servers on Plesk %s" % plesk, r)
            check(r.json["panels"][0]["protocol"] == proto, "protocol",
                  plesk, r.json)
            r = helper(conf, "raw", "get-rec", "1")
            check(r.rc == 0 and r.json["ops"][0]["records"], "works", r)
            if plesk == "11":
                conf = write_config(os.path.join(d, "force.conf"), sim,
                                    secret_file=key,
                                    extra="protocol = 1.6.9.1")
                r = helper(conf, "servers")
                check(r.rc == 4 and "1.6.9.1" in r.out,
                      "forced newer protocol refused", r)
        finally:
            sim.down()


def t_lagging_secondary():
    """NOTIFY off: the secondary keeps the old zone until refreshed."""
    d = setup_dir("lag")
    key = os.path.join(d, "key.secret")
    write_secret(key, KEY)
    sim = Sim("lag", FIXTURE, listen="127.0.2.13:8443",
              primary="127.0.53.21", secondary="127.0.53.22", notify=False,
              trace=False)
    try:
        conf = write_config(os.path.join(d, "c.conf"), sim, secret_file=key)
        check(dig("127.0.53.22", "lists.shop.test") == ("NOERROR", [OLD]),
              "secondary serves the zone before")
        r = helper(conf, "raw", "add-rec", "2", "A", "lists", NEW)
        check(r.rc == 0, "add", r)
        got = dig("127.0.53.21", "lists.shop.test")
        check(got == ("NOERROR", sorted([OLD, NEW])), "primary new", got)
        time.sleep(2)
        # alive and answering, with the old data (a dead secondary would
        # say "unreachable" or "timeout")
        got = dig("127.0.53.22", "lists.shop.test")
        check(got == ("NOERROR", [OLD]), "secondary lags without NOTIFY", got)
        check(soa_serial("127.0.53.22", "shop.test") <
              soa_serial("127.0.53.21", "shop.test"), "serial behind")
    finally:
        sim.down()


def t_no_process_left():
    # only what these tests started (other suites may run at the same
    # time): the emulators' directories this process created
    check(Sim.started, "no emulator was started: nothing checked")
    left = []
    for d in Sim.started:
        r = subprocess.run(["pgrep", "-f", "(plesk-sim|named).*%s( |/|$)" %
                            re.escape(d)], capture_output=True, text=True)
        left += r.stdout.split()
    check(not left, "processes left behind", left)


def main():
    run = Runner()
    if not os.access(os.path.join(ROOT, "mailcutover"), os.X_OK):
        print("mailcutover is not built (run make)")
        print("0 passed, 1 failed")
        return 1
    try:
        sim = Sim("main", FIXTURE)
    except Exception as e:  # noqa: BLE001
        print("FAIL - emulator start: %s" % e)
        print("0 passed, 1 failed")
        return 1
    try:
        env = Env(sim)
        for name, fn in sorted((n, f) for n, f in globals().items()
                               if n.startswith("t_") and
                               f.__code__.co_argcount == 1 and
                               n != "t_replies_validate"):
            run.run(name[2:], fn, env)
        run.run("replies_validate", t_replies_validate, env)
    finally:
        sim.down()
    run.run("versions", t_versions)
    run.run("lagging_secondary", t_lagging_secondary)
    run.run("no_process_left", t_no_process_left)
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
