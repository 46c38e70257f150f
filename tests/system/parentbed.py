#!/usr/bin/python3
"""parentbed -- a DNS root and parent zones on loopback (real BIND 9), for
the delegation check of `finish` (runbook step 5, issue 15).

One named process answers on three loopback addresses, each with its own
data (BIND views matched by destination address):

  root     IP (default 127.0.63.1)  the root zone "."; delegates every parent
                                    zone to the two parent servers
  parents  IP+1, IP+2               the parent zones (e.g. "test." for
                                    shop.test), one copy each, so that the two
                                    servers can disagree while a delegation
                                    moves

The parent servers of a parent zone Z are named p1.nic.Z. and p2.nic.Z.
(the root's referral carries their addresses as glue), the root is
root.parentbed. named opens no control channel (controls { }) and stops on
SIGTERM; a change is a rewritten zone file and SIGHUP. DIR/root.hints is a
named.root-style hints file for the root (". NS root.parentbed." plus its A
record). Nothing recurses: every server answers +norec queries only.

A parent server answers a question about a delegated child with a referral:
status NOERROR, no AA flag, an empty ANSWER section, the child's NS records
in the AUTHORITY section and glue (A records of NS names under the parent
zone) in ADDITIONAL. A child that is not delegated: NXDOMAIN with the parent
zone's SOA.

Python (tests/system/*.py):

    import parentbed
    bed = parentbed.up(DIR, "127.0.63.1")      # starts named; raises if it cannot
    bed.set_delegation("shop.test", ["ns1.shop.test=127.0.53.1", "ns2.shop.test"])
    bed.set_delegation("shop.test", ["ns1.new.example"], servers=[bed.parents[0]])
    bed.set_delegation("shop.test", [])        # not delegated any more
    bed.delegation("shop.test", bed.parents[1])   # -> (status, ["ns1.shop.test.", ...])
    bed.walk("shop.test")                      # from the root down, as a resolver
    bed.root, bed.parents, bed.root_hints, bed.pid
    bed.down()                                 # or parentbed.down(DIR): by process id

set_delegation returns once every server it changed serves the new parent
zone serial (it raises otherwise). NS names are host names (trailing dot
optional); "NAME=IPv4" adds glue, allowed only for names under the parent
zone. servers defaults to every parent server.

Command line (same state, DIR/state.json):

    parentbed.py up   --dir DIR [--ip IP]
    parentbed.py set  --dir DIR --zone ZONE [--server IP]... [NS[=IP]...]
    parentbed.py show --dir DIR --zone ZONE
    parentbed.py down --dir DIR

For the helper (README "The parent bed"): `parent_dns = IP+1, IP+2` asks the
parent servers directly; a root-hints setting pointing at IP (or DIR/root.hints)
walks from the root down. Runs as root (port 53, loopback aliases).
"""
import argparse
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

NAMED = shutil.which("named") or "/usr/sbin/named"
DIG = shutil.which("dig") or "/usr/bin/dig"
DEFAULT_IP = "127.0.63.1"
TTL = 60
START_TIMEOUT = 10.0
SERVE_TIMEOUT = 10.0
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class BedError(RuntimeError):
    pass


def _name(s, what="name"):
    """A host name in lower case without the trailing dot; ValueError if not one."""
    if not isinstance(s, str):
        raise ValueError("%s %r is not a string" % (what, s))
    n = s.strip().lower().rstrip(".")
    labels = n.split(".")
    if len(n) > 253 or len(labels) < 2 or not all(LABEL.match(x) for x in labels):
        raise ValueError("%s %r is not a host name with at least two labels" % (what, s))
    return n


def _ipv4(s, what="address"):
    try:
        a = ipaddress.IPv4Address(s)
    except (ValueError, ipaddress.AddressValueError):
        raise ValueError("%s %r is not an IPv4 address" % (what, s))
    return str(a)


def parent_of(zone):
    """shop.test -> test; a.b.example -> b.example."""
    return _name(zone, "zone").split(".", 1)[1]


def _under(name, zone):
    return name == zone or name.endswith("." + zone)


def _alive(pid):
    """Is PID a running process (a zombie waiting for its parent is not)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def ensure_lo_alias(ip):
    """named listens only on addresses configured on an interface: add IP/32
    to lo when missing (kept: harmless, idempotent, loopback only)."""
    ipcmd = shutil.which("ip") or "/usr/sbin/ip"
    r = subprocess.run([ipcmd, "-4", "-o", "addr", "show"], capture_output=True, text=True)
    have = set()
    for line in r.stdout.splitlines():
        f = line.split()
        if "inet" in f:
            have.add(f[f.index("inet") + 1].split("/")[0])
    if ip in have:
        return
    r = subprocess.run([ipcmd, "addr", "add", ip + "/32", "dev", "lo"], capture_output=True, text=True)
    if r.returncode != 0 and "exists" not in r.stdout + r.stderr:
        raise BedError("cannot add %s/32 to lo: %s" % (ip, (r.stdout + r.stderr).strip()))


def dig(server, name, rtype="NS", timeout=2, tries=1):
    """One +norec query. -> dict(status, aa, answer, authority, additional):
    status is the rcode, or "timeout" / "unreachable" when no reply came (a
    dead server never looks like an empty answer); each section a sorted
    list of (owner, type, data) with owner and data in lower case."""
    r = subprocess.run([DIG, "+norec", "+noall", "+comments", "+answer", "+authority",
                        "+additional", "+time=%d" % timeout, "+tries=%d" % tries,
                        "@" + server, name, rtype], capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    res = {"status": None, "aa": False, "answer": [], "authority": [], "additional": []}
    sec = None
    for line in out.splitlines():
        s = line.strip()
        if "->>HEADER<<-" in s and "status:" in s:
            res["status"] = s.split("status:", 1)[1].split(",")[0].strip()
        elif s.startswith(";; flags:"):
            res["aa"] = " aa" in s.split(";")[2].split(":", 1)[1] + " "
        elif s.startswith(";; ANSWER SECTION"):
            sec = "answer"
        elif s.startswith(";; AUTHORITY SECTION"):
            sec = "authority"
        elif s.startswith(";; ADDITIONAL SECTION"):
            sec = "additional"
        elif s.startswith(";") or not s:
            if res["status"] is None and "timed out" in s:
                res["status"] = "timeout"
            elif res["status"] is None and "connection refused" in s:
                res["status"] = "unreachable"
            continue
        elif sec:
            f = s.split(None, 4)
            if len(f) == 5 and f[3] != "OPT":
                res[sec].append((f[0].lower(), f[3], f[4].lower()))
    if res["status"] is None:
        res["status"] = "unreachable" if "no servers could be reached" in out else \
            "error: " + (out.strip().splitlines() or ["no output"])[-1]
    for k in ("answer", "authority", "additional"):
        res[k].sort()
    return res


class ParentBed:
    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.state_file = os.path.join(self.dir, "state.json")
        with open(self.state_file) as f:
            st = json.load(f)
        self.root = st["root"]
        self.parents = st["parents"]
        self.pid = st.get("pid")
        self.servers = st["servers"]      # ip -> {parent zone: {"serial": n, "children": {...}}}
        self.root_serial = st.get("root_serial", 1)
        self.root_hints = os.path.join(self.dir, "root.hints")
        self.conf = os.path.join(self.dir, "named.conf")
        self.log = os.path.join(self.dir, "named.log")

    # -------------------------------------------------------------- files
    def _save(self):
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"root": self.root, "parents": self.parents, "pid": self.pid,
                       "servers": self.servers, "root_serial": self.root_serial}, f,
                      indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    def _pnames(self, zone):
        """The parent servers' names for ZONE: p1.nic.ZONE, p2.nic.ZONE (under
        the zone, so that the root's referral carries their addresses as glue)."""
        return ["p%d.nic.%s" % (i + 1, zone) for i in range(len(self.parents))]

    def _zones(self):
        z = set()
        for per in self.servers.values():
            z.update(per)
        return sorted(z)

    def _write(self, path, text):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def _render(self):
        soa = "@ SOA root.parentbed. hostmaster.parentbed. %d 60 60 600 60\n"
        root = ["$TTL %d" % TTL, soa.rstrip() % self.root_serial,
                "@ NS root.parentbed.", "root.parentbed. A %s" % self.root]
        for z in self._zones():
            for name, ip in zip(self._pnames(z), self.parents):
                root.append("%s. NS %s." % (z, name))
                root.append("%s. A %s" % (name, ip))     # glue
        os.makedirs(os.path.join(self.dir, "root"), exist_ok=True)
        self._write(os.path.join(self.dir, "root", "root.zone"), "\n".join(root) + "\n")
        views = ['view "root" {\n  match-destinations { %s; };\n'
                 '  zone "." { type primary; file "root/root.zone"; };\n};' % self.root]
        for i, ip in enumerate(self.parents):
            vdir = os.path.join(self.dir, "p%d" % (i + 1))
            os.makedirs(vdir, exist_ok=True)
            zlines = []
            for z, data in sorted(self.servers[ip].items()):
                lines = ["$ORIGIN %s." % z, "$TTL %d" % TTL, soa.rstrip() % data["serial"]]
                for name, pip in zip(self._pnames(z), self.parents):
                    lines += ["@ NS %s." % name, "%s. A %s" % (name, pip)]
                for child, nss in sorted(data["children"].items()):
                    for ns, glue in nss:
                        lines.append("%s. NS %s." % (child, ns))
                    for ns, glue in nss:
                        if glue:
                            lines.append("%s. A %s" % (ns, glue))
                self._write(os.path.join(vdir, z + ".zone"), "\n".join(lines) + "\n")
                zlines.append('  zone "%s." { type primary; file "p%d/%s.zone"; };' % (z, i + 1, z))
            views.append('view "p%d" {\n  match-destinations { %s; };\n%s\n};'
                         % (i + 1, ip, "\n".join(zlines)))
        addrs = " ".join("%s;" % a for a in [self.root] + self.parents)
        conf = ('options {\n  directory "%s";\n  pid-file none;\n  session-keyfile none;\n'
                '  managed-keys-directory "%s";\n  listen-on port 53 { %s };\n'
                '  listen-on-v6 { none; };\n  recursion no;\n  dnssec-validation no;\n'
                '  allow-query { any; };\n  allow-transfer { none; };\n  notify no;\n};\n'
                'controls { };\n%s\n'
                % (self.dir, self.dir, addrs, "\n".join(views)))
        self._write(self.conf, conf)
        self._write(self.root_hints, ".\t3600000\tNS\troot.parentbed.\n"
                    "root.parentbed.\t3600000\tA\t%s\n" % self.root)

    # ------------------------------------------------------------ process
    def _running(self):
        return bool(self.pid) and _alive(self.pid) and self.conf in _cmdline(self.pid)

    def _start(self):
        logf = open(self.log, "ab")
        p = subprocess.Popen([NAMED, "-g", "-c", self.conf], stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT, close_fds=True, start_new_session=True)
        logf.close()
        self.pid = p.pid
        self._proc = p
        self._save()
        end = time.time() + START_TIMEOUT
        while True:
            if p.poll() is not None:
                raise BedError("named exited with %s; see %s" % (p.returncode, self.log))
            ok = dig(self.root, ".", "SOA", timeout=1)["status"] == "NOERROR" and all(
                dig(ip, ".", "SOA", timeout=1)["status"] == "REFUSED" for ip in self.parents)
            if ok:
                return
            if time.time() > end:
                self.down()
                raise BedError("named did not answer on %s within %ss; see %s"
                               % (", ".join([self.root] + self.parents), START_TIMEOUT, self.log))
            time.sleep(0.05)

    def _reload(self, want):
        """SIGHUP (configuration and zones again), then wait until every
        (server, zone) of want serves its serial ("" is the root zone)."""
        if not self._running():
            raise BedError("the bed's named (pid %s) is not running" % self.pid)
        os.kill(self.pid, signal.SIGHUP)
        end = time.time() + SERVE_TIMEOUT
        pending = dict(want)
        while pending:
            for (ip, z), serial in list(pending.items()):
                d = dig(ip, z + ".", "SOA", timeout=1)
                if d["status"] == "NOERROR" and d["answer"] and \
                        int(d["answer"][0][2].split()[2]) == serial:
                    del pending[(ip, z)]
            if not pending:
                return
            if time.time() > end:
                raise BedError("not served within %ss: %s; see %s" % (
                    SERVE_TIMEOUT, ", ".join("%s on %s serial %d" % (z, ip, s)
                                             for (ip, z), s in sorted(pending.items())), self.log))
            time.sleep(0.05)

    def down(self):
        """Stop the bed's named by its process id (only if that process is
        the bed's named); idempotent."""
        pid = self.pid
        if pid and _alive(pid) and self.conf in _cmdline(pid):
            os.kill(pid, signal.SIGTERM)
            end = time.time() + 10
            while time.time() < end and _alive(pid) and self.conf in _cmdline(pid):
                p = getattr(self, "_proc", None)
                if p is not None:
                    p.poll()
                time.sleep(0.05)
            if _alive(pid) and self.conf in _cmdline(pid):
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
        p = getattr(self, "_proc", None)
        if p is not None:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.pid = None
        self._save()

    # ---------------------------------------------------------------- API
    def set_delegation(self, zone, ns, servers=None):
        """Delegate ZONE to the name servers NS (["name", "name=glue-ip"], or
        [] for no delegation) on the parent servers SERVERS (default all);
        returns once they serve it."""
        child = _name(zone, "zone")
        parent = parent_of(child)
        targets = list(self.parents) if servers is None else list(servers)
        for s in targets:
            if s not in self.parents:
                raise ValueError("%r is not one of the parent servers %s" % (s, self.parents))
        nss = []
        for item in ns:
            if not isinstance(item, str):
                raise ValueError("name server %r is not a string" % (item,))
            name, _, glue = item.partition("=")
            name = _name(name, "name server")
            if glue:
                glue = _ipv4(glue, "glue of " + name)
                if not _under(name, parent):
                    raise ValueError("glue for %s: only names under %s can have glue there" % (name, parent))
            nss.append([name, glue or None])
        if len({n for n, _ in nss}) != len(nss):
            raise ValueError("a name server is listed twice: %s" % ns)
        new_zone = not any(parent in self.servers[ip] for ip in self.parents)
        want = {}
        for ip in targets:
            per = self.servers[ip]
            if parent not in per:
                per[parent] = {"serial": 0, "children": {}}
            if nss:
                per[parent]["children"][child] = nss
            else:
                per[parent]["children"].pop(child, None)
            per[parent]["serial"] += 1
            want[(ip, parent)] = per[parent]["serial"]
        for ip in self.parents:      # a parent zone lives on every parent server
            if parent not in self.servers[ip]:
                self.servers[ip][parent] = {"serial": 1, "children": {}}
                want[(ip, parent)] = 1
        if new_zone:                 # the root delegates it from now on
            self.root_serial += 1
            want[(self.root, "")] = self.root_serial
        self._save()
        self._render()
        self._reload(want)

    def delegation(self, zone, server):
        """(status, sorted NS names with trailing dot) that SERVER gives for
        ZONE, from the AUTHORITY section of its referral (or the ANSWER of an
        authoritative reply)."""
        child = _name(zone, "zone")
        d = dig(server, child + ".", "NS")
        recs = d["answer"] or d["authority"]
        return d["status"], sorted(data for owner, t, data in recs if t == "NS" and owner == child + ".")

    def walk(self, zone):
        """From the root down, as a resolver does: the root's referral names
        the parent servers (glue from its ADDITIONAL section); each of them
        is asked for ZONE's NS. -> {"parent": zone, "servers": {name: ip},
        "delegation": {ip: (status, [ns...])}}."""
        child = _name(zone, "zone")
        r = dig(self.root, child + ".", "NS")
        if r["status"] != "NOERROR" or r["aa"]:
            raise BedError("the root gave no referral for %s: %s" % (child, r))
        nsnames = sorted({(owner, data) for owner, t, data in r["authority"] if t == "NS"})
        if not nsnames:
            raise BedError("the root's referral for %s has no NS: %s" % (child, r))
        glue = {owner: data for owner, t, data in r["additional"] if t == "A"}
        servers = {data: glue.get(data) for owner, data in nsnames}
        return {"parent": nsnames[0][0].rstrip("."), "servers": servers,
                "delegation": {ip: self.delegation(child, ip) for ip in servers.values() if ip}}


def up(directory, ip=DEFAULT_IP, parents=None):
    """Start a bed in DIRECTORY (created; refused while a bed runs there):
    the root on IP, the parent servers on PARENTS (default IP+1 and IP+2)."""
    root = _ipv4(ip, "root address")
    if not root.startswith("127."):
        raise ValueError("the bed lives on loopback (127.x.y.z), not %s" % root)
    if parents is None:
        base = ipaddress.IPv4Address(root)
        parents = [str(base + 1), str(base + 2)]
    parents = [_ipv4(p, "parent address") for p in parents]
    if len(set([root] + parents)) != 1 + len(parents) or not all(p.startswith("127.") for p in parents):
        raise ValueError("root and parent addresses must be distinct loopback addresses")
    d = os.path.abspath(directory)
    os.makedirs(d, exist_ok=True)
    sf = os.path.join(d, "state.json")
    if os.path.exists(sf):
        old = ParentBed(d)
        if old._running():
            raise BedError("a bed already runs in %s (pid %d)" % (d, old.pid))
    for name in ("root", "p1", "p2", "p3", "p4"):
        shutil.rmtree(os.path.join(d, name), ignore_errors=True)
    with open(sf, "w") as f:
        json.dump({"root": root, "parents": parents, "pid": None, "root_serial": 1,
                   "servers": dict((p, {}) for p in parents)}, f)
    for a in [root] + parents:
        ensure_lo_alias(a)
    bed = ParentBed(d)
    bed._render()
    bed._start()
    return bed


def down(directory):
    """Stop the bed in DIRECTORY by its process id (no-op when none runs)."""
    if os.path.exists(os.path.join(directory, "state.json")):
        ParentBed(directory).down()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="parentbed.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--dir", required=True)
    u.add_argument("--ip", default=DEFAULT_IP)
    s = sub.add_parser("set")
    s.add_argument("--dir", required=True)
    s.add_argument("--zone", required=True)
    s.add_argument("--server", action="append")
    s.add_argument("ns", nargs="*")
    w = sub.add_parser("show")
    w.add_argument("--dir", required=True)
    w.add_argument("--zone", required=True)
    dn = sub.add_parser("down")
    dn.add_argument("--dir", required=True)
    a = ap.parse_args(argv)
    try:
        if a.cmd == "up":
            b = up(a.dir, a.ip)
            print("parentbed: root %s, parents %s, pid %d, hints %s"
                  % (b.root, " ".join(b.parents), b.pid, b.root_hints))
        elif a.cmd == "set":
            b = ParentBed(a.dir)
            b.set_delegation(a.zone, a.ns, a.server)
            print("parentbed: %s -> %s" % (a.zone, " ".join(a.ns) or "(not delegated)"))
        elif a.cmd == "show":
            print(json.dumps(ParentBed(a.dir).walk(a.zone), indent=1, sort_keys=True))
        else:
            down(a.dir)
            print("parentbed: stopped")
    except (ValueError, BedError, OSError) as e:
        print("parentbed: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
