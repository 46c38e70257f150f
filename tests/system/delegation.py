#!/usr/bin/python3
"""System tests of runbook step 5 (issue 15): `finish` checks the delegation
at the parent zone's servers. The helper against the Plesk emulator (real
BIND 9 primary and secondary), real Postfix/Dovecot for verify, and the
loopback parent bed (tests/system/parentbed.py: real BIND 9 as a root on
127.0.63.21 and two parent servers on 127.0.63.22/.23) whose delegation
moves during the tests. Both ways of finding the parent: parent_dns, and
the walk from the fake root (root_hints). Nothing leaves the machine.
Ends with one line: "N passed, N failed, N skipped"."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import parentbed  # noqa: E402
from cutover import (DAY, FIXTURE, MAILBED, NEW, Bed,  # noqa: E402
                     by_domain, full_cutover, start_mail)
from simlib import HELPER, OUT, Runner, Sim, check  # noqa: E402

ROOT = "127.0.63.21"
P1, P2 = "127.0.63.22", "127.0.63.23"
DEAD = "127.0.63.29"            # nothing answers there
TGT_DNS = "127.0.3.21"          # the target panel's BIND (unused here)
D = os.path.join(OUT, "delegation")
# its own mail bed: the cutover suite may run beside it (tests/parallel.py)
MAIL = os.path.join(D, "mail")
OLD_NS = ["ns1.shop.test=127.0.53.1", "ns2.shop.test=127.0.53.2"]
NEW_NS = ["ns1.new-host.example", "ns2.new-host.example"]
WANT = sorted(NEW_NS)
T = DAY + 2000                  # after the disable gate: verify may run


def verified(bed, dom="shop.test"):
    """prepare .. verify for one domain (the mail bed serves it on NEW)."""
    full_cutover(bed, [dom])
    r = bed.mc("verify", dom, fake=T)
    check(r.rc == 0, "verify", r)


def deleg(r, dom="shop.test"):
    d = by_domain(r)[dom]
    check("delegation" in d, "the JSON has the delegation", d)
    return d, d["delegation"]


def servers(dl):
    return {s["address"]: s for s in dl["servers"]}


def ttl(bed, dom="shop.test"):
    return bed.zone(dom)["zone"]["soa"]["ttl"]


def audit(bed, dom="shop.test"):
    return [x for x in bed.mc("log", dom).json["log"] if x["step"] ==
            "registrar"]


def text_status(bed, dom="shop.test"):
    r = subprocess.run([HELPER, "--config", bed.conf, "status", dom],
                       capture_output=True, text=True, timeout=60)
    return r.stdout


# ------------------------------------------------------------------ tests

def t_1_parent_dns_moves(pb):
    """parent_dns: finish waits while a parent server delegates to the old
    servers, and completes once both list the new ones."""
    pb.set_delegation("shop.test", OLD_NS)
    bed = Bed("deleg-given", mail=MAIL,
              extra="new_ns = %s, %s.\nparent_dns = %s, %s"
              % (NEW_NS[0].upper(), NEW_NS[1], P1, P2))
    try:
        verified(bed)
        r = bed.mc("finish", "shop.test", fake=T)
        d, dl = deleg(r)
        check(r.rc == 3 and d["result"] == "waiting" and
              d["next"]["step"] == "finish" and d["next"]["in_s"] == 0,
              "the parent still delegates to the old servers: exit 3, the "
              "finish gate", r)
        check("ns1.shop.test, ns2.shop.test" in d["message"] and
              "ns1.new-host.example, ns2.new-host.example" in d["message"] and
              "2 of 2" in d["message"], "says what it serves and should", d)
        check(dl["result"] == "differs" and dl["expected"] == WANT and
              dl["how"] is None and dl["done_at"] is None and
              dl["checked_at"] and dl["parent"] == "", "the check", dl)
        s = servers(dl)
        check(sorted(s) == [P1, P2] and all(
            x["status"] == "lists" and not x["ok"] and
            x["serves"] == ["ns1.shop.test", "ns2.shop.test"]
            for x in s.values()), "each parent server and what it serves", s)
        check(ttl(bed) == 600 and d["state"] == "verified",
              "TTL not restored, not done")
        # the operator's word does not beat a parent that answers
        r = bed.mc("finish", "--confirm-registrar", "shop.test", fake=T)
        d, dl = deleg(r)
        check(r.rc == 3 and any(n["kind"] == "warn" and
                                "--confirm-registrar is not taken" in n["text"]
                                for n in d["notes"]),
              "a confirmation is refused while the parent answers", r)
        check(audit(bed) == [], "nothing audited as confirmed", audit(bed))
        # one parent server moved, the other not: still waiting
        pb.set_delegation("shop.test", NEW_NS, servers=[P1])
        r = bed.mc("finish", "shop.test", fake=T)
        d, dl = deleg(r)
        s = servers(dl)
        check(r.rc == 3 and s[P1]["ok"] and s[P1]["serves"] == WANT and
              not s[P2]["ok"] and "1 of 2" in d["message"] and
              P2 in d["message"], "one moved, the other not: waiting", r)
        check(ttl(bed) == 600, "still not restored")
        # both moved: step 5 done, the TTL back, finished
        pb.set_delegation("shop.test", NEW_NS)
        r = bed.mc("finish", "shop.test", fake=T)
        d, dl = deleg(r)
        check(r.rc == 0 and d["result"] == "done" and d["state"] == "done",
              "finish completes once every parent server lists them", r)
        check(dl["how"] == "parent" and dl["done_at"] and
              dl["result"] == "listed" and
              all(x["ok"] for x in dl["servers"]), "done at the parent", dl)
        check(ttl(bed) == 86400, "TTL restored", ttl(bed))
        a = audit(bed)
        check(len(a) == 1 and a[0]["result"] == "checked at the parent" and
              a[0]["new"] == ", ".join(WANT), "audited", a)
        r = bed.mc("status", "shop.test")
        check(deleg(r)[1] == dl, "status shows the same check", r)
        txt = text_status(bed)
        check("step 5: done (checked at the parent)" in txt and
              "127.0.63.23: ns1.new-host.example,ns2.new-host.example" in txt,
              "the text checklist says how", txt)
    finally:
        bed.down()


def target_fixture():
    """The new server's Plesk: the same domains, served by the new name
    servers (their NS records) on the new address."""
    with open(FIXTURE) as f:
        fx = json.load(f)
    fx["server"]["ip"] = NEW
    for dom in fx["domains"]:
        recs = dom.get("zone", {}).get("records", [])
        k = 0
        for rec in recs:
            if rec["type"] == "NS":
                rec["value"] = NEW_NS[k % 2] + "."
                k += 1
    path = os.path.join(D, "target.json")
    with open(path, "w") as f:
        json.dump(fx, f)
    return path


def t_2_walk_target_tick(pb):
    """root_hints (the fake root): the parent found from the root down;
    the expected set from the target panel's NS records; tick waits, then
    finishes once the delegation moved on both parent servers."""
    pb.set_delegation("shop.test", OLD_NS)
    tgt = Sim("deleg-target", target_fixture(), listen=NEW + ":8443",
              primary=TGT_DNS, secondary=None, trace=False)
    bed = None
    try:
        bed = Bed("deleg-walk", mail=MAIL,
                  extra="root_hints = %s" % pb.root_hints,
                  secondaries="[target]\nurl = %s\nsecret_file = %s\n"
                  "pin = %s\n" % (tgt.url, os.path.join(
                      OUT, "cutover", "deleg-walk", "key.secret"), tgt.pin))
        verified(bed)
        r = bed.mc("tick", fake=T + 60)
        d, dl = deleg(r)
        check(r.rc == 3 and d["next"]["step"] == "finish" and
              d["result"] == "waiting" and dl["result"] == "differs" and
              "(the target panel)" in d["message"],
              "tick asks the parent: still the old servers", r)
        check(dl["parent"] == "test" and dl["expected"] == WANT and
              sorted(x["name"] for x in dl["servers"]) ==
              ["p1.nic.test", "p2.nic.test"] and
              sorted(servers(dl)) == [P1, P2],
              "the parent zone and its servers, found from the root", dl)
        pb.set_delegation("shop.test", NEW_NS, servers=[P2])
        r = bed.mc("tick", fake=T + 360)
        d, dl = deleg(r)
        check(r.rc == 3 and not servers(dl)[P1]["ok"] and
              servers(dl)[P2]["ok"], "one moved: tick still waits", r)
        pb.set_delegation("shop.test", NEW_NS)
        r = bed.mc("tick", fake=T + 660)
        d, dl = deleg(r)
        check(r.rc == 0 and d["result"] == "done" and d["state"] == "done"
              and dl["how"] == "parent", "tick finishes it", r)
        check(ttl(bed) == 86400, "TTL restored")
        r = bed.mc("tick", fake=T + 960)
        check(r.rc == 0 and by_domain(r)["shop.test"]["result"] == "noop",
              "a finished domain rests", r)
    finally:
        if bed:
            bed.down()
        tgt.down()


def t_3_cannot_ask_confirm(pb):
    """A parent that cannot be asked: the manual confirmation, audited;
    without expected name servers: as before issue 15."""
    bed = Bed("deleg-dead", mail=MAIL, extra="parent_dns = %s" % DEAD)
    try:
        verified(bed)
        r = bed.mc("finish", "shop.test", fake=T)
        d, dl = deleg(r)
        check(r.rc == 3 and "--confirm-registrar" in d["message"] and
              dl["result"] == "unchecked" and "no expected name servers"
              in dl["note"] and dl["servers"] == [],
              "no expected set: no question, the confirmation asked", r)
        r = bed.mc("finish", "--new-ns", "ns1.new-host.example,"
                   "ns2.new-host.example", "shop.test", fake=T)
        d, dl = deleg(r)
        s = servers(dl)
        check(r.rc == 3 and dl["result"] == "unasked" and
              s[DEAD]["status"] == "unasked" and DEAD in s[DEAD]["why"] and
              "--confirm-registrar" in d["message"],
              "a parent that does not answer: the confirmation asked", r)
        r = bed.mc("finish", "--new-ns", "ns1.new-host.example",
                   "--new-ns", "ns2.new-host.example", "--confirm-registrar",
                   "shop.test", fake=T)
        d, dl = deleg(r)
        check(r.rc == 0 and d["state"] == "done" and dl["how"] == "operator",
              "confirmed where the parent cannot be asked", r)
        a = audit(bed)
        check(len(a) == 1 and a[0]["result"] == "confirmed by operator", a)
        check("step 5: done (confirmed by the operator)" in text_status(bed),
              "the text checklist says how")
        r = bed.mc("finish", "--new-ns", "ns_1.bad", "shop.test", fake=T)
        check(r.rc == 2 and "ns_1.bad" in r.err, "a bad --new-ns: exit 2", r)
    finally:
        bed.down()


def main():
    run = Runner()
    shutil.rmtree(D, ignore_errors=True)
    os.makedirs(D)
    mail = start_mail(MAIL)
    pb = None
    try:
        pb = parentbed.up(os.path.join(D, "parentbed"), ROOT)
        for name, fn in sorted((n, f) for n, f in globals().items()
                               if n.startswith("t_")):
            if not mail:
                run.run(name[2:], lambda: check(False, "the mail bed did "
                                                "not start: verify cannot "
                                                "run"))
                continue
            run.run(name[2:], fn, pb)
    except Exception as e:  # noqa: BLE001 - the bed did not start
        run.run("parent bed", lambda: check(False, "%s" % e))
    finally:
        if pb:
            pb.down()
        if mail:
            subprocess.run([MAILBED, "down", "--dir", mail],
                           capture_output=True, timeout=60)
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
