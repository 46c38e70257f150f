#!/usr/bin/python3
"""System tests of issue 9, "touch only what is ours": the helper against
the emulator holding tests/plesk-sim/fixtures/shapes.json (one domain per
shape: third-party IPs, two A records on one name, an alias zone whose id
is also a site's id, an IDN stored in Unicode, a subdomain in its parent's
zone, IPv6, odd values, and a bystander nobody names), for the Plesk 11,
12.5 and Obsidian personalities, with real BIND primary and secondary.

Each test checks the exact end state after switch and after rollback:
the ids of every record that is not ours, all five SOA fields, mail on or
off, and what both name servers answer.
Ends with one line: "N passed, N failed"."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from simlib import (KEY, OUT, ROOT, Runner, Sim, check, dig,  # noqa: E402
                    helper, wait_for, write_secret)

FIXTURE = os.path.join(ROOT, "tests", "plesk-sim", "fixtures", "shapes.json")
OLD, NEW, THIRD = "127.0.2.10", "127.0.3.20", "127.0.7.7"
OLD6, NEW6 = "fd00::2:10", "fd00::3:20"
P, S = "127.0.53.1", "127.0.53.2"
NAMES = ("mail", "lists", "webmail")
DAY = 86400
IDN_U, IDN_A = "bücher-shop.example", "xn--bcher-shop-9db.example"
ALL = ["owned.test", "third.test", "mixed.test", "done.test", IDN_A,
       "sub.parent.test", "v6.test", "v6only-third.test", "odd.test",
       "aliaszone.test", "nozone-alias.test", "host.test",
       "parent.test", "bystander.test"]


class Bed:
    def __init__(self, name, plesk="obsidian", extra=(), cfg=""):
        self.d = os.path.join(OUT, "ownership", name)
        shutil.rmtree(self.d, ignore_errors=True)
        os.makedirs(self.d)
        self.sim = Sim("own-" + name, FIXTURE, plesk=plesk, trace=False,
                       extra=list(extra))
        self.key = os.path.join(self.d, "key.secret")
        write_secret(self.key, KEY)
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
sync_timeout = 10
dns_timeout = 300
%s
""" % (self.sim.url, self.key, self.sim.pin, NEW, P,
                os.path.join(self.d, "state"), cfg))

    def mc(self, *args, fake=None):
        return helper(self.conf, *args, fake=fake)

    def down(self):
        self.sim.down()

    def state(self):
        """name -> (records {id: (type, host, value, opt)}, soa, mail)"""
        st = self.sim.state()
        out = {}
        for d in st["domains"] + st["aliases"]:
            z = d.get("zone")
            recs = {r["id"]: (r["type"], r["host"], r["value"],
                              r.get("opt", "")) for r in z["records"]} \
                if z else {}
            mail = d.get("mail", {}).get("enabled") if "mail" in d else None
            out[d.get("ascii_name") or d["name"]] = (
                recs, dict(z["soa"]) if z else None, mail)
        return out


def by_domain(r):
    check(r.json is not None, "no JSON", r)
    return {d["domain"]: d for d in r.json["domains"]}


def values(state, zone, host, rtype="A"):
    return sorted(v[2].strip() for v in state[zone][0].values()
                  if v[0] == rtype and v[1] == host)


def same_except(before, after, zone, hosts, what):
    """Every record of zone outside `hosts` keeps its id and value."""
    b = {i: r for i, r in before[zone][0].items() if r[1] not in hosts}
    a = {i: r for i, r in after[zone][0].items() if r[1] not in hosts}
    check(a == b, "%s: records not ours unchanged (%s)" % (zone, what),
          sorted(set(b.items()) ^ set(a.items())))


def untouched(before, after, zone, what):
    check(after[zone] == before[zone], "%s untouched (%s)" % (zone, what),
          before[zone], after[zone])


def soa_ttl_only(before, after, zone, ttl):
    b, a = dict(before[zone][1]), dict(after[zone][1])
    check(a["ttl"] == ttl, "%s TTL %d" % (zone, ttl), a)
    b.pop("ttl")
    a.pop("ttl")
    check(a == b, "%s: the other four SOA fields unchanged" % zone, b, a)


def servers_answer(name, want, rtype="A"):
    """Both name servers answer NOERROR with exactly `want` (a dead or
    refusing server is never an empty answer)."""
    got = ("NOERROR", sorted(want))
    check(dig(P, name, rtype) == got, "primary: %s %s" % (name, rtype),
          dig(P, name, rtype), got)
    check(wait_for(lambda: dig(S, name, rtype) == got, 15),
          "secondary: %s %s" % (name, rtype), dig(S, name, rtype), got)


# ------------------------------------------------------------------ tests

def mixed_panel(plesk, extra=(), idn_arg=IDN_A):
    """The bulk run over a mixed panel, on one personality."""
    bed = Bed("mixed-" + plesk, plesk=plesk, extra=extra)
    doms = ["owned.test", "third.test", "mixed.test", "done.test", idn_arg,
            "sub.parent.test", "v6.test", "v6only-third.test", "odd.test",
            "aliaszone.test", "nozone-alias.test"]
    try:
        before = bed.state()
        r = bed.mc("plan", *doms)
        check(r.rc == 0, "plan exit 0 (nothing failed)", r)
        p = by_domain(r)
        check(bed.state() == before, "plan changed nothing")
        check(p["third.test"]["result"] == "skipped" and
              OLD in p["third.test"]["message"] and
              THIRD in p["third.test"]["message"],
              "third-party mail: skipped, says why", p["third.test"])
        check(p["done.test"]["result"] == "already", "already",
              p["done.test"])
        for d in ("sub.parent.test", "v6.test", "nozone-alias.test"):
            check(p[d]["result"] == "refused", "%s refused" % d, p[d])
        check("zone of its own" in p["sub.parent.test"]["message"],
              "subdomain: why", p["sub.parent.test"])
        check("IPv6" in p["v6.test"]["message"], "v6: why", p["v6.test"])
        # plan and switch agree: the mixed name's diff names the old IP
        diffs = [n["text"] for n in p["mixed.test"]["notes"]
                 if n["kind"] == "change"]
        check(any("mail.mixed.test A %s -> %s" % (OLD, NEW) in t
                  for t in diffs), "plan: mixed name from the old IP", diffs)
        check(not any(THIRD + " ->" in t for t in diffs),
              "plan never switches the third IP", diffs)
        check(p[IDN_A]["display"] == IDN_U, "IDN shown Unicode",
              p[IDN_A])
        check(p["aliaszone.test"]["kind"] == "alias" and
              p["aliaszone.test"]["mail_ours"] is False, "alias facts",
              p["aliaszone.test"])

        r = bed.mc("prepare", *doms)
        check(r.rc == 0, "prepare exit 0", r)
        after = bed.state()
        for d in ("third.test", "done.test", "v6.test", "parent.test",
                  "bystander.test", "host.test"):
            untouched(before, after, d, "prepare")
        for d in ("owned.test", "mixed.test", IDN_A, "aliaszone.test",
                  "odd.test", "v6only-third.test"):
            soa_ttl_only(before, after, d, 600)

        r = bed.mc("switch", *doms, fake=DAY + 60)
        check(r.rc == 0, "switch exit 0 (nothing failed)", r)
        res = by_domain(r)
        want = {"owned.test": "done", "third.test": "skipped",
                "mixed.test": "done", "done.test": "already",
                IDN_A: "done", "sub.parent.test": "refused",
                "v6.test": "refused", "v6only-third.test": "done",
                "odd.test": "done", "aliaszone.test": "done",
                "nozone-alias.test": "refused"}
        check({d: res[d]["result"] for d in want} == want, "outcomes",
              {d: (res[d]["result"], res[d]["message"]) for d in res})
        after = bed.state()
        for d in ("owned.test", IDN_A, "aliaszone.test"):
            for n in NAMES:
                check(values(after, d, n) == [NEW], "%s %s new" % (d, n),
                      values(after, d, n))
            same_except(before, after, d, NAMES, "switch")
        check(values(after, "mixed.test", "mail") == sorted([NEW, THIRD]),
              "mixed: third IP kept", values(after, "mixed.test", "mail"))
        check(308 in after["mixed.test"][0] and 307 not in
              after["mixed.test"][0], "mixed: only record 307 replaced")
        same_except(before, after, "mixed.test", NAMES, "switch")
        check(1108 not in after["odd.test"][0] and
              values(after, "odd.test", "lists") == [NEW],
              "odd: padded old value is ours")
        check(910 in after["v6only-third.test"][0] and
              after["v6only-third.test"][0][910] ==
              before["v6only-third.test"][0][910],
              "third-party AAAA kept with its id")
        for d in ("third.test", "done.test", "v6.test", "parent.test",
                  "bystander.test", "host.test"):
            untouched(before, after, d, "switch")
        for n in NAMES:
            servers_answer("%s.aliaszone.test" % n, [NEW])
            servers_answer("%s.third.test" % n, [THIRD])
            servers_answer("%s.%s" % (n, IDN_A), [NEW])
        servers_answer("mail.mixed.test", [NEW, THIRD])

        r = bed.mc("sync", *doms, fake=DAY + 60)
        check(r.rc == 0, "sync", r)
        check({d: by_domain(r)[d]["result"] for d in want if
               want[d] != "done"} == {d: w for d, w in want.items()
                                       if w != "done"},
              "sync: the same outcomes for what is not ours", r)
        r = bed.mc("disable-old-mail", *doms, fake=DAY + 60 + 960)
        check(r.rc == 0, "disable-old-mail", r)
        after = bed.state()
        for d in ("owned.test", "mixed.test", IDN_A, "odd.test"):
            check(after[d][2] is False, "%s: old mail off" % d)
        for d in ("third.test", "done.test", "host.test", "v6.test",
                  "parent.test", "sub.parent.test", "bystander.test"):
            check(after[d][2] is True, "%s: mail on (not ours)" % d)
        notes = " ".join(n["text"] for n in
                         by_domain(r)["aliaszone.test"]["notes"])
        check("site's mail" in notes, "alias: mail is its site's", notes)

        r = bed.mc("rollback", *doms, fake=DAY + 2000)
        check(r.rc == 0, "rollback", r)
        after = bed.state()
        for d in ("owned.test", "mixed.test", IDN_A, "aliaszone.test",
                  "odd.test", "v6only-third.test"):
            b = sorted((x[0], x[1], x[2].strip(), x[3])
                       for x in before[d][0].values())
            a = sorted((x[0], x[1], x[2].strip(), x[3])
                       for x in after[d][0].values())
            check(a == b, "%s: records back" % d, b, a)
            same_except(before, after, d, NAMES, "rollback")
            check(after[d][1] == before[d][1], "%s: SOA back" % d)
            check(after[d][2] == before[d][2], "%s: mail back" % d)
        for d in ("third.test", "done.test", "v6.test", "parent.test",
                  "bystander.test", "host.test"):
            untouched(before, after, d, "rollback")
        for n in NAMES:
            servers_answer("%s.aliaszone.test" % n, [OLD])
            servers_answer("%s.owned.test" % n, [OLD])
        servers_answer("mail.mixed.test", [OLD, THIRD])
        c = bed.sim.counters()
        check(c["partial_soa_sets"] == 0, "every dns set had five fields",
              c)
        check(c["invalid_replies"] == 0 and c["bind_errors"] == 0,
              "emulator clean", c)
    finally:
        bed.down()


def t_mixed_panel_obsidian():
    mixed_panel("obsidian", extra=["--soa-partial", "reset"])


def t_mixed_panel_plesk125():
    mixed_panel("12.5", idn_arg=IDN_U)


def t_mixed_panel_plesk11():
    mixed_panel("11", extra=["--soa-partial", "reset"])


def ipv6(plesk):
    """AAAA on the old server's IPv6: switched with a new IPv6; dropped
    only when the operator says so; rollback exact either way."""
    for how in ("new", "drop"):
        bed = Bed("v6-%s-%s" % (how, plesk), plesk=plesk)
        try:
            before = bed.state()
            opt = ["--new-ip6", NEW6] if how == "new" else ["--drop-aaaa"]
            r = bed.mc("prepare", *opt, "v6.test")
            check(r.rc == 0 and by_domain(r)["v6.test"]["result"] == "done",
                  "prepare " + how, r)
            r = bed.mc("switch", "v6.test", fake=DAY + 60)
            check(r.rc == 0, "switch " + how, r)
            after = bed.state()
            for n in NAMES:
                check(values(after, "v6.test", n) == [NEW], "A " + n)
                check(values(after, "v6.test", n, "AAAA") ==
                      ([NEW6] if how == "new" else []), "AAAA " + n,
                      values(after, "v6.test", n, "AAAA"))
                servers_answer("%s.v6.test" % n, [NEW6] if how == "new"
                               else [], "AAAA")
            # apex and www keep their AAAA (not switched names)
            check(after["v6.test"][0][807] == before["v6.test"][0][807],
                  "apex AAAA untouched")
            r = bed.mc("sync", "v6.test", fake=DAY + 60)
            check(r.rc == 0, "sync " + how, r)
            if how == "drop":
                r = bed.mc("log", "v6.test")
                check(any("drop" in x["new"] for x in r.json["log"]),
                      "the drop is journaled in the audit log", r.json)
            r = bed.mc("rollback", "v6.test", fake=DAY + 200)
            check(r.rc == 0, "rollback " + how, r)
            after = bed.state()
            b = sorted(x for x in before["v6.test"][0].values())
            a = sorted(x for x in after["v6.test"][0].values())
            check(a == b and after["v6.test"][1] == before["v6.test"][1],
                  "rollback exact " + how, b, a)
            for n in NAMES:
                servers_answer("%s.v6.test" % n, [OLD6], "AAAA")
        finally:
            bed.down()


def t_idn_text_and_forms():
    """Plesk 11 finds the IDN only by its Unicode form; either spelling
    works on the command line; text output shows Unicode first."""
    bed = Bed("idn", plesk="11")
    try:
        for arg in (IDN_U, IDN_A, IDN_U.upper().replace("Ü", "ü")):
            r = bed.mc("plan", arg)
            check(r.rc == 0 and by_domain(r)[IDN_A]["result"] == "done",
                  "plan by " + arg, r)
        r = subprocess.run([os.environ.get("MAILCUTOVER_BIN",
                            os.path.join(ROOT, "mailcutover")), "--config",
                            bed.conf, "plan", IDN_A], capture_output=True,
                           timeout=120)
        out = r.stdout.decode("utf-8")
        check(out.startswith("%s (%s): done" % (IDN_U, IDN_A)),
              "text output Unicode first", out[:200])
    finally:
        bed.down()


def unknown_site_in_multi_read(plesk):
    """One journal naming a site that no longer exists: the multi-site
    get_rec fails as a whole (1015, no id); the helper asks again site by
    site, so only that domain fails."""
    bed = Bed("unknown-" + plesk, plesk=plesk)
    try:
        r = bed.mc("prepare", "owned.test", "mixed.test")
        check(r.rc == 0, "prepare both", r)
        # the panel loses site 1 (owned.test moves to id 42)
        fx = json.load(open(FIXTURE))
        for d in fx["domains"]:
            if d["id"] == 1:
                d["id"] = 42
        for a in fx["aliases"]:
            if a["site_id"] == 1:
                a["site_id"] = 42
        moved = os.path.join(bed.d, "moved.json")
        with open(moved, "w") as f:
            json.dump(fx, f)
        bed.sim.down()
        from simlib import Sim as _Sim
        bed.sim = _Sim("own-unknown-" + plesk, moved, plesk=plesk,
                       trace=False)
        with open(bed.conf) as f:
            conf = f.read()
        conf = "\n".join("pin = " + bed.sim.pin if l.startswith("pin =")
                         else l for l in conf.splitlines()) + "\n"
        with open(bed.conf, "w") as f:
            f.write(conf)
        r = bed.mc("switch", "owned.test", "mixed.test", fake=DAY + 60)
        res = by_domain(r)
        check(r.rc == 1, "one domain failed: exit 1", r)
        check(res["mixed.test"]["result"] == "done", "the other goes on",
              res["mixed.test"])
        check(res["owned.test"]["result"] == "failed" and
              "1015" in res["owned.test"]["message"], "the one is named",
              res["owned.test"])
        st = bed.state()
        check(values(st, "mixed.test", "lists") == [NEW], "switched")
    finally:
        bed.down()


def localized_error_text(plesk):
    """A Japanese panel's long error text: never cut inside a character,
    the JSON stays valid UTF-8 and names the failure."""
    bed = Bed("ja-" + plesk, plesk=plesk, extra=["--locale", "ja"])
    try:
        r = bed.mc("prepare", "owned.test", "mixed.test")
        check(r.rc == 0, "prepare", r)
        bed.sim.fault(kind="operror", match="dns.add_rec", errcode=1019)
        cmd = [os.environ.get("MAILCUTOVER_BIN",
               os.path.join(ROOT, "mailcutover")), "--config", bed.conf,
               "--json", "switch", "owned.test", "mixed.test"]
        env = dict(os.environ)
        from simlib import faketime_env
        env.update(faketime_env(DAY + 60))
        p = subprocess.run(cmd, capture_output=True, timeout=120, env=env)
        raw = p.stdout
        text = raw.decode("utf-8")      # strict: raises on a bad byte
        doc = json.loads(text)
        res = {d["domain"]: d for d in doc["domains"]}
        failed = [d for d in res.values() if d["result"] == "failed"]
        check(p.returncode == 1 and len(failed) == 1, "one add failed",
              p.returncode, text[:600])
        check("1019" in failed[0]["message"] and
              any(ord(ch) > 0x3000 for ch in failed[0]["message"]),
              "the Japanese text is in the message", failed[0]["message"])
        check("\ufffd" not in text, "no replacement character needed",
              text[:400])
    finally:
        bed.down()


def t_eight_old_ipv6_and_the_panel_ipv4():
    """issue 11: old_ip may give 8 addresses; with 8 IPv6 ones the
    panel's IPv4 is the ninth old address. It was written past the end
    of a fixed array (own_facts.old[8]) and so dropped: the domain,
    on the old IPv4, was "not on the old server"."""
    six = " ".join("2001:db8:99::%d" % i for i in range(1, 9))
    bed = Bed("eight-v6", cfg="old_ip = " + six)
    try:
        r = bed.mc("prepare", "owned.test")
        res = by_domain(r)
        check(r.rc == 0 and res["owned.test"]["result"] == "done",
              "the panel's IPv4 is still an old address", r)
        r = bed.mc("switch", "owned.test", fake=DAY + 60)
        check(r.rc == 0 and by_domain(r)["owned.test"]["result"] == "done",
              "switched", r)
        st = bed.state()
        for n in NAMES:
            check(values(st, "owned.test", n) == [NEW], "A " + n,
                  values(st, "owned.test", n))
    finally:
        bed.down()


def t_ipv6_obsidian():
    ipv6("obsidian")


def t_ipv6_plesk125():
    ipv6("12.5")


def t_ipv6_plesk11():
    ipv6("11")


def t_unknown_site_obsidian():
    unknown_site_in_multi_read("obsidian")


def t_unknown_site_plesk125():
    unknown_site_in_multi_read("12.5")


def t_unknown_site_plesk11():
    unknown_site_in_multi_read("11")


def t_localized_error_obsidian():
    localized_error_text("obsidian")


def t_localized_error_plesk125():
    localized_error_text("12.5")


def t_localized_error_plesk11():
    localized_error_text("11")


def main():
    run = Runner()
    for name, fn in sorted((n, f) for n, f in globals().items()
                           if n.startswith("t_")):
        run.run(name[2:], fn)
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
