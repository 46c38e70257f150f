#!/usr/bin/python3
"""Self-test of tests/system/parentbed.py (suite "parentbed"): the loopback
root and parent servers start, serve a delegation to +norec queries, move it
(on one parent server, then on both) and serve the new one, refuse bad
input, and stop by process id leaving no process. Real BIND 9 and dig on
127.0.63.1-3 (the module) and 127.0.63.11-13 (the command line). Ends with
"N passed, N failed, N skipped"."""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import parentbed  # noqa: E402
from simlib import Runner, check  # noqa: E402

OUT = os.path.join(HERE, "..", "out", "parentbed")
OLD = ["ns1.shop.test=127.0.53.1", "ns2.shop.test=127.0.53.2"]
NEW = ["ns1.new-host.example", "ns2.new-host.example"]
bed = None


def named_procs(conf):
    """pids of processes whose command line names CONF."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit() and conf in parentbed._cmdline(int(p)):
            out.append(int(p))
    return out


def t_up():
    global bed
    bed = parentbed.up(os.path.join(OUT, "mod"))
    check(bed.root == "127.0.63.1" and bed.parents == ["127.0.63.2", "127.0.63.3"], "addresses", bed.root,
          bed.parents)
    check(named_procs(bed.conf) == [bed.pid], "one named, the bed's", named_procs(bed.conf), bed.pid)
    d = parentbed.dig(bed.root, ".", "SOA")
    check(d["status"] == "NOERROR" and d["aa"] and d["answer"][0][2].startswith("root.parentbed."),
          "the root serves the root zone", d)
    with open(bed.root_hints) as f:
        hints = f.read().split()
    check(hints == [".", "3600000", "NS", "root.parentbed.", "root.parentbed.", "3600000", "A", "127.0.63.1"],
          "root hints", hints)
    for p in bed.parents:
        check(parentbed.dig(p, "test.", "SOA")["status"] == "REFUSED", "no parent zone yet on", p)


def t_serves_delegation():
    bed.set_delegation("shop.test", OLD)
    bed.set_delegation("xn--bcher-kva.example", NEW)
    r = parentbed.dig(bed.root, "shop.test.", "NS")
    check(r["status"] == "NOERROR" and not r["aa"] and not r["answer"] and
          r["authority"] == [("test.", "NS", "p1.nic.test."), ("test.", "NS", "p2.nic.test.")] and
          r["additional"] == [("p1.nic.test.", "A", "127.0.63.2"), ("p2.nic.test.", "A", "127.0.63.3")],
          "the root refers shop.test to the two parent servers, with glue", r)
    for p in bed.parents:
        r = parentbed.dig(p, "shop.test.", "NS")
        check(r["status"] == "NOERROR" and not r["aa"] and not r["answer"] and
              r["authority"] == [("shop.test.", "NS", "ns1.shop.test."), ("shop.test.", "NS", "ns2.shop.test.")] and
              r["additional"] == [("ns1.shop.test.", "A", "127.0.53.1"), ("ns2.shop.test.", "A", "127.0.53.2")],
              "parent %s: a referral (+norec), NS in AUTHORITY, glue" % p, r)
        check(bed.delegation("xn--bcher-kva.example", p) ==
              ("NOERROR", ["ns1.new-host.example.", "ns2.new-host.example."]), "the IDN's parent (example.)", p)
        check(parentbed.dig(p, "other.test.", "NS")["status"] == "NXDOMAIN", "not delegated: NXDOMAIN", p)
    w = bed.walk("shop.test")
    check(w["parent"] == "test" and sorted(w["servers"].values()) == bed.parents and
          all(v == ("NOERROR", ["ns1.shop.test.", "ns2.shop.test."]) for v in w["delegation"].values()),
          "from the root down", w)


def t_moves_delegation():
    p1, p2 = bed.parents
    s0 = [parentbed.dig(p, "test.", "SOA")["answer"][0][2].split()[2] for p in bed.parents]
    bed.set_delegation("shop.test", NEW, servers=[p1])
    check(bed.delegation("shop.test", p1) == ("NOERROR", ["ns1.new-host.example.", "ns2.new-host.example."]),
          "moved on the first parent server", bed.delegation("shop.test", p1))
    check(bed.delegation("shop.test", p2) == ("NOERROR", ["ns1.shop.test.", "ns2.shop.test."]),
          "the second still serves the old set (the servers disagree)", bed.delegation("shop.test", p2))
    w = bed.walk("shop.test")
    check(w["delegation"][p1][1] != w["delegation"][p2][1], "the walk sees the disagreement", w)
    bed.set_delegation("shop.test", NEW)
    for p in bed.parents:
        check(bed.delegation("shop.test", p) == ("NOERROR", ["ns1.new-host.example.", "ns2.new-host.example."]),
              "moved on", p)
        r = parentbed.dig(p, "shop.test.", "NS")
        check(r["additional"] == [], "no glue for names outside the parent zone", p, r)
    s1 = [parentbed.dig(p, "test.", "SOA")["answer"][0][2].split()[2] for p in bed.parents]
    check(all(int(b) > int(a) for a, b in zip(s0, s1)), "the parent zone's serial went up", s0, s1)
    bed.set_delegation("shop.test", [])
    check(all(bed.delegation("shop.test", p)[0] == "NXDOMAIN" for p in bed.parents), "and away")
    bed.set_delegation("shop.test", OLD)
    check(all(bed.delegation("shop.test", p)[1] == ["ns1.shop.test.", "ns2.shop.test."] for p in bed.parents),
          "and back")


def t_refuses_bad_input():
    before = {p: bed.delegation("shop.test", p) for p in bed.parents}
    for args, kw in ((("shop.test", ["ns1.new-host.example=127.0.0.9"]), {}),   # glue out of the zone
                     (("shop.test", ["bad name"]), {}),
                     (("test", ["ns1.shop.test"]), {}),                         # one label
                     (("shop.test", ["ns1.shop.test=300.1.1.1"]), {}),
                     (("shop.test", ["ns1.shop.test", "NS1.shop.test."]), {}),
                     (("shop.test", ["ns1.shop.test"]), {"servers": ["127.0.63.9"]})):
        try:
            bed.set_delegation(*args, **kw)
        except ValueError:
            continue
        raise AssertionError("accepted: %r %r" % (args, kw))
    check({p: bed.delegation("shop.test", p) for p in bed.parents} == before, "nothing changed")
    try:
        parentbed.up(os.path.join(OUT, "mod"))
    except parentbed.BedError as e:
        check("already runs" in str(e), "a second bed in the same directory", e)
    else:
        raise AssertionError("a second bed started in the same directory")


def t_down_leaves_nothing():
    pid, conf = bed.pid, bed.conf
    bed.down()
    check(not named_procs(conf) and not parentbed._alive(pid), "no process left", named_procs(conf))
    for ip in [bed.root] + bed.parents:
        st = parentbed.dig(ip, ".", "SOA", timeout=1)["status"]
        check(st in ("unreachable", "timeout"), "nothing answers on %s" % ip, st)
    check(bed.delegation("shop.test", bed.parents[0])[0] in ("unreachable", "timeout"),
          "a dead bed is not an empty delegation")
    parentbed.down(os.path.join(OUT, "mod"))    # again: a no-op


def t_command_line():
    d = os.path.join(OUT, "cli")
    cli = [sys.executable, os.path.join(HERE, "parentbed.py")]

    def run(*a):
        return subprocess.run(cli + list(a), capture_output=True, text=True, timeout=60)
    r = run("up", "--dir", d, "--ip", "127.0.63.11")
    try:
        check(r.returncode == 0 and "root 127.0.63.11, parents 127.0.63.12 127.0.63.13" in r.stdout,
              "up", r.stdout, r.stderr)
        r = run("set", "--dir", d, "--zone", "shop.test", "ns1.shop.test=127.0.53.1", "ns2.shop.test=127.0.53.2")
        check(r.returncode == 0, "set", r.stdout, r.stderr)
        r = run("set", "--dir", d, "--zone", "shop.test", "--server", "127.0.63.13", "ns9.moved.example")
        check(r.returncode == 0, "set on one server", r.stdout, r.stderr)
        r = run("show", "--dir", d, "--zone", "shop.test")
        w = json.loads(r.stdout)
        check(w["delegation"] == {"127.0.63.12": ["NOERROR", ["ns1.shop.test.", "ns2.shop.test."]],
                                  "127.0.63.13": ["NOERROR", ["ns9.moved.example."]]}, "show", w)
        r = run("set", "--dir", d, "--zone", "shop.test", "ns1.x.example=127.0.0.1")
        check(r.returncode == 1 and "only names under test" in r.stderr, "a bad set: exit 1, why", r.stderr)
    finally:
        pid = json.load(open(os.path.join(d, "state.json"))).get("pid")
        r = run("down", "--dir", d)
    check(r.returncode == 0 and pid and not parentbed._alive(pid) and
          not named_procs(os.path.join(os.path.abspath(d), "named.conf")), "down by pid", r.stderr)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    r = Runner()
    try:
        r.run("up: the root serves, the parent servers listen", t_up)
        if bed is None:
            print("FAIL - the bed did not start: the other tests cannot run")
            r.failed += 1
            return r.summary()
        r.run("serves a delegation to +norec queries (referral, glue, walk)", t_serves_delegation)
        r.run("moves a delegation: one parent server, then both; and removes it", t_moves_delegation)
        r.run("refuses bad input, changes nothing", t_refuses_bad_input)
        r.run("stops by process id and leaves nothing", t_down_leaves_nothing)
        r.run("the command line: up, set, show, down", t_command_line)
    finally:
        if bed is not None:
            bed.down()
    return r.summary()


if __name__ == "__main__":
    sys.exit(main())
