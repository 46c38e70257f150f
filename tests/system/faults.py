#!/usr/bin/python3
"""The fault matrix (issue 11): every step that changes the panel, under
every fault, over several domains at once; then the same step again
without the fault. The end state must be consistent: the emulator's state,
dig on the primary and on the secondary, the journal (status --json and
the journal file) and the audit log (log --json, replayed) agree, and the
step is done; a rollback afterwards is exact (records, all five SOA
fields, mail).

Domains: 3 per case (step x fault), batch_size 2, so a packet holds
parts of two domains and the fault hits some domains of a run and not
others. One emulator (real BIND primary + secondary) serves the cases of
four families (GROUP); each step's domains are first brought, in bulk, to
the state the step starts from (faketime passes the time gates), then the
cases run one after the other, then every domain is checked and rolled
back. Faults that need a confirmed point use the emulator's `hold`: the
step's first request that carries its operation (MATCH in STEPS) is
held; the fault is set up while it is held; then the request is released
and applied (it had reached the panel). The faults:

  refused   at MATCH the panel goes away: the helper's connection is reset
            and every later connection is refused (a TCP proxy in front
            of the panel)
  reset     drop_after: MATCH is applied, the connection closed, no reply
  http500   HTTP 500 for MATCH (nothing applied)
  sys1014   <system> 1014 for MATCH (nothing applied)
  sys1017   <system> 1017 for MATCH (nothing applied)
  slow      MATCH answered after the configured `timeout` (5 s) ran out
  tls       at MATCH the connection is reset and the panel's TLS is
            replaced by a listener that talks garbage (handshakes fail)
  dns-p     from MATCH on, the primary name server answers nothing
            (a DNS proxy in front of BIND drops every packet)
  dns-s     the same for the secondary
  disk      from MATCH on, the state_dir is full (each case has a small
            tmpfs of its own, with a copy of its domains' journals and
            audit lines)
  kill      SIGKILL of the helper while MATCH is held

A case is consistent when, after the rerun, for each of its domains:
the panel has the step's end state at mail/lists/webmail, all five SOA
fields and mail on/off, and nothing else changed; the primary and the
secondary (dig) serve exactly the panel's records, TTLs and SOA; the
journal's state is the step's and its originals are the fixture's; the
audit log, replayed from the original state, gives the panel's state;
the rerun finished the step; right after the faulted run no switched
name was left without an address. Then every domain is rolled back and
must be exactly the fixture again (the same checks). Each disagreement
is printed with its kind: [panel] [dig] [journal] [audit] [rerun]
[safety] [hang] [setup] [rollback] [wait] (a primary name server that
does not answer must make the domain wait, not fail it).

Usage: faults.py [FAMILY...]; FAULTS_STEPS="prepare switch-add" limits
the steps. Prints one line per case, the matrix, "faults: N cases, N
consistent, N inconsistent" and ends with "N passed, N failed". Runs in
a mount namespace of its own (unshare -m, for the tmpfs); as root, in a
network namespace (tests/run.sh faults inside `unshare -n`).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from simlib import (HELPER, KEY, OUT, ROOT, Runner, Sim,  # noqa: E402
                    faketime_env, helper, san_check, wait_for, write_secret)
from faultlib import (DnsProxy, FullDisk, PanelProxy,  # noqa: E402
                      audit_replay, dig_batch, parse_journal)

D = os.path.join(OUT, "faults")
MAILBED = os.path.join(ROOT, "tests", "mail", "mailbed")
OLD, NEW = "127.0.2.10", "127.0.3.20"
LISTEN = "127.0.2.10:8443"
PROXY = ("127.0.2.11", 8443)
P, S = "127.0.53.1", "127.0.53.2"
DNS_PROXY_PORT = 5300
NAMES = ("mail", "lists", "webmail")
SOA = {"ttl": 86400, "refresh": 10800, "retry": 3600, "expire": 604800,
       "minimum": 10800}
LOWERED, PER_CASE = 600, 3
DAY = 86400

# step -> (command, the operation the fault hits: MATCH)
STEPS = [
    ("prepare", ["prepare"], "dns.set"),
    ("switch-add", ["switch"], "dns.add_rec"),
    ("switch-del", ["switch"], "dns.del_rec"),
    ("disable", ["disable-old-mail"], "mail.disable"),
    ("rollback-add", ["rollback"], "dns.add_rec"),
    ("rollback-mail", ["rollback"], "mail.enable"),
    ("finish", ["finish", "--confirm-registrar"], "dns.set"),
]
STEP_NAMES = [s[0] for s in STEPS]
# (records at the switched names, zone TTL, mail on, journal state)
END = {
    "prepare": (OLD, LOWERED, True, "prepared"),
    "switch-add": (NEW, LOWERED, True, "switched"),
    "switch-del": (NEW, LOWERED, True, "switched"),
    "disable": (NEW, LOWERED, False, "mail_disabled"),
    "rollback-add": (OLD, SOA["ttl"], True, "rolled_back"),
    "rollback-mail": (OLD, SOA["ttl"], True, "rolled_back"),
    "finish": (NEW, SOA["ttl"], False, "done"),
}
ORIGINAL = (OLD, SOA["ttl"], True, "rolled_back")

# family -> how the fault is made
FAMILIES = {
    "refused": {"hold": True},
    "reset": {"fault": {"kind": "drop_after"}},
    "http500": {"fault": {"kind": "http500"}},
    "sys1014": {"fault": {"kind": "system", "errcode": 1014}},
    "sys1017": {"fault": {"kind": "system", "errcode": 1017}},
    "slow": {"hold": True},
    "tls": {"hold": True},
    "dns-p": {"hold": True},
    "dns-s": {"hold": True},
    "disk": {"hold": True},
    "kill": {"hold": True},
}
FAMILY_NAMES = list(FAMILIES)

# faketime offsets: the pre-stage's steps, the cases, the final rollback
T_PREP, T_SWITCH, T_DISABLE, T_VERIFY, T_CASE, T_BACK = \
    0, DAY + 60, DAY + 1100, DAY + 1200, DAY + 1300, DAY + 2000


def domains_of(fam, step):
    return ["%s-%s-%d.test" % (fam, step, i) for i in range(1, PER_CASE + 1)]


def fixture(path, fams):
    names = [d for f in fams for s in STEP_NAMES for d in domains_of(f, s)]
    doms = []
    for k, name in enumerate(names, 1):
        b = k * 100
        recs = [(1, "NS", "", "ns1.%s." % name, ""),
                (2, "NS", "", "ns2.%s." % name, ""),
                (3, "A", "ns1", P, ""), (4, "A", "ns2", S, ""),
                (5, "A", "", OLD, ""), (6, "A", "www", OLD, ""),
                (7, "A", "mail", OLD, ""), (8, "A", "lists", OLD, ""),
                (9, "A", "webmail", OLD, ""),
                (10, "MX", "", "mail.%s." % name, "10"),
                (11, "TXT", "", "v=spf1 ip4:%s a mx ~all" % OLD, "")]
        doms.append({
            "id": k, "kind": "webspace", "name": name, "ascii_name": name,
            "mail": {"enabled": True, "mailnames": [
                {"id": k * 10 + 1, "name": "info"},
                {"id": k * 10 + 2, "name": "test"}]},
            "zone": {"status": "enabled", "soa": dict(SOA), "records": [
                {"id": b + n, "type": t, "host": h, "value": v, "opt": o}
                for n, t, h, v, o in recs]}})
    fx = {"auth": {"login": "admin", "password": "s3cret&<pw>",
                   "keys": [KEY]},
          "server": {"name": "old.example.test", "ip": OLD},
          "domains": doms, "aliases": []}
    with open(path, "w") as f:
        json.dump(fx, f, indent=1)
    return {d["name"]: d for d in doms}


class Bed:
    """One emulator (BIND primary + secondary) for a group of families,
    the proxies and the state_dir; the mail bed on the new IP (verify) is
    the run's."""

    def __init__(self, fams, mail, n):
        self.sim = self.proxy = None
        self.dns = {}
        self.disks = []
        self.fams = fams
        self.mail = mail
        fx_path = os.path.join(D, "fixture-%d.json" % n)
        self.fx = fixture(fx_path, fams)
        self.sim = Sim("faults-sim", fx_path, listen=LISTEN, primary=P,
                       secondary=S, trace=False)
        self.proxy = PanelProxy(PROXY, (OLD, 8443))
        self.dns = {P: DnsProxy(P, DNS_PROXY_PORT),
                    S: DnsProxy(S, DNS_PROXY_PORT)}
        self.state = os.path.join(D, "state-%d" % n)
        self.key = os.path.join(D, "key.secret")
        write_secret(self.key, KEY)
        self.confs = {f: self.config(f) for f in fams + ["plain"]}

    def config(self, name, state=None):
        url = self.sim.url
        if name in ("refused", "tls"):
            url = "https://%s:%d" % PROXY
        dns_port = DNS_PROXY_PORT if name in ("dns-p", "dns-s") else 53
        # the bulk pre-stage and the final rollback: big packets, and time
        # for the secondary to load ~200 zones (BIND's serial-query-rate)
        plain = name == "plain"
        path = os.path.join(D, "%s.conf" % name)
        with open(path, "w") as f:
            f.write("""[source]
url = %s
secret_file = %s
pin = %s
timeout = %d
connect_timeout = 5
batch_size = %d
[cutover]
new_ip = %s
primary_dns = %s
dns_port = %d
state_dir = %s
switch_timeout = %d
sync_timeout = %d
dns_timeout = 300
mail_cafile = %s
""" % (url, self.key, self.sim.pin, 5 if name == "slow" else 60,
                100 if plain else 2, NEW, P, dns_port, state or self.state,
                60 if plain else 4, 60 if plain else 6,
                os.path.join(self.mail, "ca.pem")))
        return path

    def close(self):
        if self.proxy:
            self.proxy.stop()
        for p in self.dns.values():
            p.stop()
        if self.sim:
            self.sim.down()
        for disk in self.disks:
            disk.free()
            disk.umount()


class Env:
    """Where one case runs: the helper's config and state_dir."""

    def __init__(self, bed, conf, state, disk=None):
        self.sim, self.fx = bed.sim, bed.fx
        self.conf, self.state, self.disk = conf, state, disk

    def mc(self, *args, fake=None):
        return helper(self.conf, *args, fake=fake, timeout=600)


class Family:
    """How one fault is made, on the shared bed."""

    def __init__(self, name, bed):
        self.name = name
        self.bed = bed
        self.sim = bed.sim
        self.spec = FAMILIES[name]
        self.d = os.path.join(D, name)
        os.makedirs(self.d, exist_ok=True)
        self.proxy = bed.proxy if name in ("refused", "tls") else None
        self.dns = bed.dns if name in ("dns-p", "dns-s") else {}

    def env(self, step, doms):
        """The case's Env. The disk family's cases each get a small tmpfs
        of their own as state_dir, holding a copy of their domains'
        journals and audit lines (so that what a full disk does to the
        files of one case stays with that case)."""
        bed = self.bed
        if self.name != "disk":
            return Env(bed, bed.confs[self.name], bed.state)
        disk = FullDisk(os.path.join(D, "disk-" + step), size="1m")
        bed.disks.append(disk)
        state = os.path.join(disk.dir, "state")
        os.mkdir(state, 0o700)
        for dom in doms:
            j = os.path.join(bed.state, dom + ".journal")
            if os.path.exists(j):	# not for the prepare case
                shutil.copy2(j, state)
        with open(os.path.join(bed.state, "audit.log")) as f, \
                open(os.path.join(state, "audit.log"), "w") as o:
            for line in f:
                if any("\t%s\t" % dom in line for dom in doms):
                    o.write(line)
        os.chmod(os.path.join(state, "audit.log"), 0o600)
        conf = bed.config("disk-" + step, state)
        return Env(bed, conf, state, disk)

    # the fault ----------------------------------------------------------

    def undo(self, env):
        """Back to no fault at all."""
        self.sim.ctl("POST", "/__sim/fault/clear")
        self.bed.proxy.set_mode("pass")
        for p in self.bed.dns.values():
            p.drop = False
        if env.disk:
            env.disk.free()

    def act(self, env, p):
        """MATCH is held: make the fault. -> notes."""
        n = self.name
        if n == "kill":
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            return ["helper killed (SIGKILL) while the request was held"]
        if n in ("refused", "tls"):
            self.proxy.set_mode("refuse" if n == "refused" else "garbage")
            k = self.proxy.reset_all()
            return ["%d live connection(s) reset; new ones %s" % (
                k, "refused" if n == "refused" else "get garbage")]
        if n in ("dns-p", "dns-s"):
            self.dns[P if n == "dns-p" else S].drop = True
            return []
        if n == "disk":
            return ["state_dir full (%d bytes written to fill it)" %
                    env.disk.fill()]
        if n == "slow":
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                return ["the helper did not give up within 60 s"]
            return ["the helper gave up while the request was held"]
        raise AssertionError(n)


def helper_env(fake):
    env = dict(os.environ)
    env.update(faketime_env(fake))
    return env


def faulted_run(fam, env, step, cmd, match, doms, fake):
    """Run the step with the fault. -> (rc, json or None, notes, errors)"""
    notes, errors = [], []
    c0 = fam.sim.counters()["faults_fired"]
    drops0 = {a: p.dropped for a, p in fam.dns.items()}
    if fam.spec.get("hold"):
        fam.sim.fault(kind="hold", match=match, count=1, delay_s=120)
    else:
        fam.sim.fault(match=match, count=1, **fam.spec["fault"])
    args = [HELPER, "--config", env.conf, "--json"] + cmd + doms
    errf = os.path.join(fam.d, "faulted.stderr")
    with open(errf, "w") as ef:
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=ef,
                             env=helper_env(fake), text=True)
    out = ""
    try:
        if fam.spec.get("hold"):
            held = wait_for(lambda: fam.sim.ctl("GET", "/__sim/held")["held"]
                            or p.poll() is not None, 60, 0.05)
            if not isinstance(held, list) or len(held) != 1 or \
                    match not in held[0]["ops"]:
                errors.append("[setup] the %s request never reached the "
                              "panel (held: %r, helper exit %r)" %
                              (match, held, p.poll()))
            else:
                notes += fam.act(env, p)
                rel = fam.sim.ctl("POST", "/__sim/fault/release",
                                  {"timeout_s": 60})
                if rel["applied"] != 1:
                    errors.append("[setup] the held request was not "
                                  "applied after the release: %r" % rel)
        try:
            out, _ = p.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            errors.append("[hang] the helper hung (killed after 180 s)")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        fam.undo(env)
    with open(errf) as ef:
        err = ef.read()
    if fam.name != "kill":
        san_check(p.returncode, err, " ".join(cmd) + " (faulted)")
    fired = fam.sim.counters()["faults_fired"] - c0
    if fired != 1:
        errors.append("[setup] the fault fired %d times, not once" % fired)
    for a, px in fam.dns.items():
        if px.dropped > drops0[a]:
            notes.append("%d DNS queries to %s dropped" %
                         (px.dropped - drops0[a], a))
    if fam.name in ("dns-p", "dns-s") and not any("dropped" in x
                                                  for x in notes):
        notes.append("no DNS query after %s: the fault did not bite" % match)
    try:
        js = json.loads(out) if out.strip() else None
    except ValueError:
        js = None
    return p.returncode, js, err, notes, errors


def outcome(rc, js, err):
    """"exit 1: a=failed b=done ..." for the report."""
    if js is None:
        return "exit %s, no JSON (%s)" % (rc, (err or "").strip()[-200:])
    parts = []
    for d in js.get("domains", []):
        parts.append("%s=%s" % (d["domain"].split(".")[0],
                                d.get("result")))
    return "exit %s: %s" % (rc, " ".join(parts))


def messages(js):
    if js is None:
        return {}
    return {d["domain"]: d.get("message", "") for d in js.get("domains", [])}


# ------------------------------------------------------------ the checks

def ours(zone):
    """{name: sorted A values} at the switched names."""
    out = {n: [] for n in NAMES}
    for r in zone["zone"]["records"]:
        if r["type"] == "A" and r["host"] in NAMES:
            out[r["host"]].append(r["value"])
    return {n: sorted(v) for n, v in out.items()}


def others(zone):
    return sorted((r["id"], r["type"], r["host"], r["value"], r["opt"])
                  for r in zone["zone"]["records"]
                  if not (r["type"] == "A" and r["host"] in NAMES))


def check_domains(env, doms, want, label, secondary_wait=15):
    """Every disagreement between the panel (emulator), dig on both name
    servers, the journal and the audit log, and with the wanted end state,
    as one string each."""
    bad = []
    state = {d["name"]: d for d in env.sim.state()["domains"]}
    served = env.sim.ctl("GET", "/__sim/dns")["zones"]
    st = env.mc("status", *doms)
    lg = env.mc("log", *doms)
    if st.json is None or st.rc != 0:
        bad.append("[journal] status: exit %s: %s" % (st.rc,
                                                      st.err.strip()[:300]))
    if lg.json is None or lg.rc != 0:
        bad.append("[audit] log: exit %s: %s" % (lg.rc,
                                                 lg.err.strip()[:300]))
    sts = {d["domain"]: d for d in (st.json or {}).get("domains", [])}
    log = (lg.json or {}).get("log", [])
    vals, ttl, mail, jstate = want
    qs = []
    for dom in doms:
        qs += [("%s.%s" % (n, dom), "A") for n in NAMES] + [(dom, "SOA")]
    for dom in doms:
        z = state[dom]
        fxz = env.fx[dom]
        w = "%s %s" % (label, dom)
        # the panel against the wanted end state
        have = ours(z)
        for n in NAMES:
            if have[n] != [vals]:
                bad.append("[panel] %s: panel %s A %s, want [%s]" % (w, n, have[n],
                                                            vals))
        soa = z["zone"]["soa"]
        want_soa = dict(SOA, ttl=ttl)
        if soa != want_soa:
            bad.append("[panel] %s: panel SOA %s, want %s" % (w, soa, want_soa))
        if z["mail"]["enabled"] != mail:
            bad.append("[panel] %s: panel mail %s, want %s" % (
                w, "on" if z["mail"]["enabled"] else "off",
                "on" if mail else "off"))
        if others(z) != others(fxz):
            bad.append("[panel] %s: records not ours changed: %s" % (
                w, sorted(set(others(z)) ^ set(others(fxz)))))
        if served.get(dom, {}).get("serial") != z["zone"]["serial"]:
            bad.append("[dig] %s: the primary serves serial %s, the panel has %s"
                       % (w, served.get(dom), z["zone"]["serial"]))
        # the journal
        j = sts.get(dom)
        if j is None:
            bad.append("[journal] %s: status lists no such domain" % w)
        elif j.get("state") != jstate:
            bad.append("[journal] %s: journal state %s, want %s (panel: %s)" % (
                w, j.get("state"), jstate, have))
        jf = os.path.join(env.state, dom + ".journal")
        if os.path.exists(jf):
            kv = parse_journal(jf)
            origs = sorted(v.split("|")[:3] for k, v in kv.items()
                           if k.startswith("orig.rec."))
            want_o = sorted([n, "A", OLD] for n in NAMES)
            if origs != want_o or kv.get("orig.ttl") != str(SOA["ttl"]) or \
                    kv.get("orig.mail") != "on" or kv.get("orig.soa") != \
                    "%(ttl)d %(refresh)d %(retry)d %(expire)d %(minimum)d" \
                    % SOA:
                bad.append("[journal] %s: journal originals wrong: %s ttl=%s soa=%s "
                           "mail=%s" % (w, origs, kv.get("orig.ttl"),
                                        kv.get("orig.soa"),
                                        kv.get("orig.mail")))
        else:
            bad.append("[journal] %s: no journal file" % w)
        # the audit log, replayed from the original state
        start = {"recs": {n: {OLD} for n in NAMES}, "ttl": SOA["ttl"],
                 "mail": True}
        mine = [e for e in log if e["domain"] == dom]
        rp = audit_replay(mine, dom, NAMES, start)
        panel_recs = {n: set(have[n]) for n in NAMES}
        if rp["recs"] != panel_recs or rp["ttl"] != soa["ttl"] or \
                rp["mail"] != z["mail"]["enabled"]:
            # would the entries logged as failed / unknown explain it?
            rf = audit_replay(mine, dom, NAMES, start, failed_applied=True)
            why = "the change is not in the log"
            if rf["recs"] == panel_recs and rf["ttl"] == soa["ttl"] and \
                    rf["mail"] == z["mail"]["enabled"]:
                why = "the change is in the log only as %s" % "/".join(
                    sorted({e["result"] for e in mine
                            if e["result"] in ("failed", "unknown")}))
            bad.append("[audit] %s: %s: audit log says %s TTL %s mail %s; panel has %s "
                       "TTL %s mail %s (log: %s)" % (
                           w, why,
                           {n: sorted(v) for n, v in rp["recs"].items()},
                           rp["ttl"], "on" if rp["mail"] else "off",
                           have, soa["ttl"], "on" if z["mail"]["enabled"]
                           else "off",
                           "; ".join("%s %s->%s %s" % (e["step"], e["old"],
                                                       e["new"], e["result"])
                                     for e in mine
                                     if e["step"] != "refresh")))
    # dig: both name servers serve what the panel has
    for srv in (P, S):
        def ask():
            return dig_batch(srv, qs)
        ans = ask()
        if srv == S:
            # the secondary follows by NOTIFY: give it time
            def caught_up():
                a = ask()
                ok = all(a[i * 4 + 3][0] == "NOERROR" and a[i * 4 + 3][1]
                         and int(a[i * 4 + 3][1][0][1].split()[2]) ==
                         state[dom]["zone"]["serial"]
                         for i, dom in enumerate(doms))
                return a if ok else None
            ans = wait_for(caught_up, secondary_wait, 0.5) or ask()
        for i, dom in enumerate(doms):
            z = state[dom]
            w = "%s %s @%s" % (label, dom, "primary" if srv == P else
                               "secondary")
            have = ours(z)
            soa = z["zone"]["soa"]
            for k, n in enumerate(NAMES):
                status, rr = ans[i * 4 + k]
                got = sorted(v for _, v in rr)
                if status != "NOERROR" or got != have[n]:
                    bad.append("[dig] %s: dig %s A: %s %s, panel %s" % (
                        w, n, status, got, have[n]))
                elif any(t != soa["ttl"] for t, _ in rr):
                    bad.append("[dig] %s: dig %s A TTL %s, panel zone TTL %s" % (
                        w, n, sorted({t for t, _ in rr}), soa["ttl"]))
            status, rr = ans[i * 4 + 3]
            if status != "NOERROR" or not rr:
                bad.append("[dig] %s: dig SOA: %s" % (w, status))
                continue
            t, data = rr[0]
            f = data.split()
            got = {"ttl": t, "refresh": int(f[3]), "retry": int(f[4]),
                   "expire": int(f[5]), "minimum": int(f[6])}
            if got != soa or int(f[2]) != z["zone"]["serial"]:
                bad.append("[dig] %s: dig SOA serial %s %s, panel serial %s %s" % (
                    w, f[2], got, z["zone"]["serial"], soa))
    return bad


def safety(env, doms, label):
    """After the faulted run: no switched name is left without an address
    (the panel and the primary)."""
    bad = []
    state = {d["name"]: d for d in env.sim.state()["domains"]}
    for dom in doms:
        have = ours(state[dom])
        for n in NAMES:
            if not have[n]:
                bad.append("[safety] %s %s: after the fault, %s has no A record on "
                           "the panel" % (label, dom, n))
    return bad


# ------------------------------------------------------------- a family

def prestage(bed):
    """Bring each step's domains (of every family) to the state its step
    starts from, in bulk."""
    def need(*steps):
        return [d for f in bed.fams for s in steps for d in domains_of(f, s)]

    def run(cmd, doms, fake):
        t = time.time()
        r = helper(bed.confs["plain"], *(cmd + doms), fake=fake, timeout=600)
        print("     pre-stage %s (%d domains): %.1f s" % (
            cmd[0], len(doms), time.time() - t), flush=True)
        if r.rc != 0:
            raise AssertionError("pre-stage %s: %r" % (" ".join(cmd), r))
    run(["prepare"], need("switch-add", "switch-del", "disable",
                          "rollback-add", "rollback-mail", "finish"), T_PREP)
    late = need("disable", "rollback-add", "rollback-mail", "finish")
    run(["switch"], late, T_SWITCH)
    run(["sync"], late, T_SWITCH)
    run(["disable-old-mail"], need("rollback-add", "rollback-mail",
                                   "finish"), T_DISABLE)
    run(["verify"], need("finish"), T_VERIFY)


def run_case(fam, step, cmd, match, results):
    """The step under the fault, the safety check, the step again without
    it. The consistency checks come later (check_case), once every case
    ran: by then the secondary has long had the NOTIFY of each change."""
    doms = domains_of(fam.name, step)
    label = "%s x %s" % (step, fam.name)
    res = results[(step, fam.name)] = {"bad": [], "notes": [], "doms": doms,
                                       "fam": fam, "step": step,
                                       "first": "-", "second": "-"}
    env = res["env"] = fam.env(step, doms)
    t0 = time.time()
    rc, js, err, notes, errors = faulted_run(fam, env, step, cmd, match,
                                             doms, T_CASE)
    t1 = time.time()
    res["first"] = outcome(rc, js, err)
    for d in (js or {}).get("domains", []):
        if d.get("result") not in ("done", "noop"):
            notes.append("it said (%s): %s" % (d["domain"],
                                               d.get("message", "")[:240]))
            break
    res["bad"] += list(errors) + safety(env, doms, label)
    # a primary that does not answer is a wait, said as a timeout, not a
    # failure of the zone (issue 11, finding 3)
    if fam.name == "dns-p" and any("dropped" in x for x in notes):
        for d in (js or {}).get("domains", []):
            if d.get("result") == "failed" and "does not serve" in \
                    d.get("message", ""):
                res["bad"].append("[wait] %s %s: a primary that does not "
                                  "answer failed the domain: %s" % (
                                      label, d["domain"], d["message"]))
    r = env.mc(*(cmd + doms), fake=T_CASE + 30)
    t2 = time.time()
    res["second"] = outcome(r.rc, r.json, r.err)
    got = {d["domain"]: d.get("result") for d in (r.json or {}).get(
        "domains", [])}
    if r.rc != 0 or any(got.get(d) not in ("done", "noop") for d in doms):
        msg = messages(r.json)
        res["bad"].append(
            "[rerun] %s: the rerun without the fault did not finish the "
            "step: %s %s" % (label, res["second"],
                             "; ".join("%s: %s" % (d, msg.get(d, ""))
                                       for d in doms if got.get(d) not in
                                       ("done", "noop"))))
    notes.append("faulted %.1f s, rerun %.1f s" % (t1 - t0, t2 - t1))
    res["notes"] = notes
    print("     %s: faulted run %s; %s; rerun %s" % (
        label, res["first"], "; ".join(notes), res["second"]), flush=True)


def check_case(res):
    """The end state of one case: consistent, and the step done."""
    label = "%s x %s" % (res["step"], res["fam"].name)
    if res.get("env"):
        try:
            res["bad"] += check_domains(res["env"], res["doms"],
                                        END[res["step"]], label)
        except Exception as e:  # noqa: BLE001
            # a check that could not run is no consistent case (the
            # matrix and the faults: line count it)
            res["bad"].append("[setup] %s: the checks raised %s: %s" % (
                label, type(e).__name__, e))
    if res["bad"]:
        raise AssertionError("INCONSISTENT (faulted run %s; %s; rerun %s)"
                             "\n  " % (res["first"], "; ".join(res["notes"]),
                                       res["second"]) +
                             "\n  ".join(res["bad"]))


def rollback_all(bed, results):
    """After every case: roll every domain back; exactly the fixture."""
    plain = Env(bed, bed.confs["plain"], bed.state)
    groups = {}
    for res in results.values():
        if res.get("env") and res["env"].disk:
            groups[res["env"]] = res["doms"]
    own = {d for doms in groups.values() for d in doms}
    groups[plain] = [d for d in sorted(bed.fx) if d not in own]
    bad = []
    for env, doms in groups.items():
        if not doms:
            continue
        r = env.mc("rollback", *doms, fake=T_BACK)
        if r.rc != 0:
            bad.append("[rollback] %s" % outcome(r.rc, r.json, r.err))
        bad += check_domains(env, doms, ORIGINAL, "rollback")
    # attribute each disagreement to its case
    for (step, f), res in results.items():
        mine = [b for b in bad if any((" %s:" % d) in b or (" %s @" % d) in b
                                      for d in domains_of(f, step))]
        if mine:
            res["bad"] += ["after the rollback: " + b for b in mine]
    c = bed.sim.counters()
    if c["invalid_replies"] or c["bind_errors"]:
        bad.append("[emulator] invalid_replies %s bind_errors %s" % (
            c["invalid_replies"], c["bind_errors"]))
    if bad:
        raise AssertionError("rollback not exact:\n  " + "\n  ".join(bad))


def start_mail(fams):
    d = os.path.join(D, "mail")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    args = [MAILBED, "up", "--dir", d, "--ip", NEW, "--hostname",
            "mail.new.test"]
    for f in fams:
        for x in domains_of(f, "finish"):
            args += ["--domain", x, "--cert-name", "mail." + x]
    log = os.path.join(D, "mail.log")
    with open(log, "w") as f:
        r = subprocess.run(args, stdout=f, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("the mail bed did not start (see %s)" % log)
    return d


def fail(e):
    raise e


GROUP = 4


def run_group(run, results, fams, n, mail, steps):
    """One emulator: pre-stage, every case, the checks, the rollback."""
    t0 = time.time()
    bed = None
    try:
        try:
            bed = Bed(fams, mail, n)
            print("     bed %d (%s) up: %.1f s" % (n, " ".join(fams),
                                                   time.time() - t0),
                  flush=True)
            prestage(bed)
        except Exception as e:  # noqa: BLE001
            run.run("bed %d and its pre-stage" % n, fail, e)
            return
        for name in fams:
            t1 = time.time()
            fam = Family(name, bed)
            for step, cmd, match in steps:
                try:
                    run_case(fam, step, cmd, match, results)
                except Exception as e:  # noqa: BLE001
                    results[(step, name)]["bad"].append(
                        "[setup] %s: %s" % (type(e).__name__, e))
            print("     family %s: %.0f s" % (name, time.time() - t1),
                  flush=True)
        t1 = time.time()
        for name in fams:
            for step, _, _ in steps:
                run.run("%s x %s" % (step, name), check_case,
                        results[(step, name)])
        print("     checks: %.0f s" % (time.time() - t1), flush=True)
        run.run("bed %d: rollback of every domain is exact" % n,
                rollback_all, bed, results)
    finally:
        if bed:
            bed.close()


def main():
    if os.environ.get("FAULTS_MNTNS") != "1":
        # a mount namespace of our own: the tmpfs never outlives us
        os.environ["FAULTS_MNTNS"] = "1"
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                              sys.executable] + sys.argv)
    fams = sys.argv[1:] or FAMILY_NAMES
    for f in fams:
        if f not in FAMILIES:
            print("unknown fault family %s (known: %s)" % (
                f, " ".join(FAMILY_NAMES)))
            return 2
    steps = [s for s in STEPS if not os.environ.get("FAULTS_STEPS") or
             s[0] in os.environ["FAULTS_STEPS"].split()]
    shutil.rmtree(D, ignore_errors=True)
    os.makedirs(D)
    run = Runner()
    results = {}
    t0 = time.time()
    mail = None
    try:
        mail = start_mail(fams)
    except Exception as e:  # noqa: BLE001
        run.run("mail bed", fail, e)
    # a few families per emulator: the secondary BIND must load every zone
    # within the emulator's start-up limit (20 zones/s)
    groups = [fams[i:i + GROUP] for i in range(0, len(fams), GROUP)]
    for n, group in enumerate(groups if mail else []):
        run_group(run, results, group, n, mail, steps)
    if mail:
        subprocess.run([MAILBED, "down", "--dir", mail],
                       capture_output=True, timeout=60)
    matrix(fams, steps, results)
    n = len(results)
    bad = sum(1 for r in results.values() if r["bad"])
    notrun = len(fams) * len(steps) - n
    print("faults: %d cases, %d consistent, %d inconsistent%s (%.0f s)" % (
        n, n - bad, bad, ", %d not run" % notrun if notrun else "",
        time.time() - t0))
    return run.summary()


KIND = {"audit": "a", "panel": "p", "dig": "d", "journal": "j", "rerun": "r",
        "safety": "s", "hang": "h", "setup": "e", "rollback": "b",
        "wait": "w"}


def matrix(fams, steps, results):
    """C consistent; X inconsistent, with the kinds of disagreement."""
    print("\nmatrix: C consistent, X inconsistent (letters: what disagreed: "
          "a audit log, p panel, d dig, j journal, r rerun, s safety, "
          "h hang, b rollback failed, e setup, w a timeout failed a "
          "domain), - not run")
    print("%-14s" % "" + "".join("%-9s" % f for f in fams))
    for step, _, _ in steps:
        row = "%-14s" % step
        for f in fams:
            r = results.get((step, f))
            if r is None:
                row += "%-9s" % "-"
                continue
            kinds = sorted({KIND.get(b.split("]")[0].split("[")[-1], "?")
                            for b in r["bad"] if "[" in b})
            row += "%-9s" % ("X" + "".join(kinds) if r["bad"] else "C")
        print(row)


if __name__ == "__main__":
    sys.exit(main())
