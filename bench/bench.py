#!/usr/bin/python3
"""make bench: bulk cutover of N domains against the Plesk emulator (issues 6, 14).

For N = 100, 1000 and 10000 (BENCH_N="100 1000 10000" to change): the helper
runs plan, prepare, switch, sync and disable-old-mail over all N domains, one
bulk command each (time gates passed with libfaketime), then list (all), list
--page 1 and status, against the emulator with latency_request_ms = L (default
150) and latency_op_ms = 2 behind a real BIND primary and secondary, with
[cutover] dns_rate = BENCH_DNS_RATE (default 100 questions per second per
server) below BENCH_BIG_N (10000) and BENCH_DNS_RATE_BIG (1000) from there
on. The secondary's BIND serial-query-rate (and the primary's
notify-rate) are BIND's default 20 below BENCH_BIG_N and
BENCH_SQR_BIG (200) from there on (BENCH_SQR=N for every n): ten times the
zones checked per second need ten times the questions.

Measured per command: wall time, requests and operations (emulator counters,
reset between commands), DNS messages sent by the helper per server with the
most within any second (bench/dnscount.so, an LD_PRELOAD counter), the time
inside curl_easy_perform (panel_s) and peak RSS (/usr/bin/time -v).

Baselines of the panel part: the replay (bench/replay.py: the exact packets
the helper sent, from the emulator's trace, replayed in order over one
keep-alive connection to an emulator started fresh from the same fixture;
efficiency_replay = replay panel time / helper panel time); at the smallest N
(extrapolated linearly to the larger ones, marked so) bench/curl-baseline.sh
(one curl per operation, in sequence) and the helper with batch_size = 1; the
bound: the least requests x L plus the operations x the per-operation
latency. The secondary's bound: N / its serial-query-rate (secondary_bound_s);
sync_ratio = the helper's sync wall time / that bound. DNS: dnsprobe
(bench/dnsbench) over N x 3 names x both servers against a sequential dig
loop. The list page: bench/listpage.js loads page 1 of the extension's domain
list in headless Chromium (the first view lists the panel, later ones use
the helper's cached list).

Addresses: emulator 127.0.9.10:8443, BIND 127.0.59.1 / 127.0.59.2, PHP
127.0.9.1:8080 only. Writes bench/results.json and prints a table. Stops
everything it starts.
"""
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import ssl

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
from simlib import FAKETIME_LIB, KEY, write_secret  # noqa: E402

SIM = os.path.join(ROOT, "tests", "plesk-sim", "plesk-sim")
HELPER_SRC = os.path.join(ROOT, "mailcutover")
BENCH = os.path.join(ROOT, "bench")
# BENCH_OUT=DIR: another bench's files (a second run beside the first, on
# other addresses: BENCH_LISTEN, BENCH_SECONDARY_LISTEN, BENCH_PRIMARY,
# BENCH_SECONDARY, BENCH_NEW_IP)
OUT = os.environ.get("BENCH_OUT") or os.path.join(BENCH, "out")
# a private copy: another `make` in the tree must not swap the binary mid-run
HELPER = os.path.join(OUT, "mailcutover")
BUILD = os.path.join(ROOT, "build", "bench")
DNSBENCH = os.path.join(BUILD, "dnsbench")
DNSCOUNT = os.path.join(BUILD, "dnscount.so")
CURL = os.path.join(BENCH, "curl-baseline.sh")
REPLAY = os.path.join(BENCH, "replay.py")
LISTPAGE = os.path.join(BENCH, "listpage.js")
EXT_DIR = os.path.join(ROOT, "build", "ext", "mail-cutover")
# BENCH_RESULTS=FILE: write there and leave README.md alone (trial runs)
RESULTS = os.environ.get("BENCH_RESULTS") or os.path.join(BENCH, "results.json")
UPDATE_README = not os.environ.get("BENCH_RESULTS")
# BENCH_APPEND=1: keep the runs of the results file for other n and add
# this invocation's (a long n measured on its own); each invocation's date
# and load averages are kept in "invocations"
APPEND = os.environ.get("BENCH_APPEND", "") not in ("", "0")

LISTEN = os.environ.get("BENCH_LISTEN", "127.0.9.10:8443")
OLD = LISTEN.split(":")[0]
NEW = os.environ.get("BENCH_NEW_IP", "127.0.9.20")
SEC_LISTEN = os.environ.get("BENCH_SECONDARY_LISTEN", "127.0.9.11:8443")
P = os.environ.get("BENCH_PRIMARY", "127.0.59.1")
S = os.environ.get("BENCH_SECONDARY", "127.0.59.2")
L_MS = int(os.environ.get("BENCH_LATENCY_REQUEST_MS", "150"))
OP_MS = int(os.environ.get("BENCH_LATENCY_OP_MS", "2"))
NS = [int(x) for x in os.environ.get("BENCH_N", "100 1000 10000").split()]
BASE_N = int(os.environ.get("BENCH_BASELINE_N", str(min(NS))))
DIG_SAMPLE = int(os.environ.get("BENCH_DIG_SAMPLE", "600"))
# [cutover] dns_rate of the helper in the bench: the test servers are ours
DNS_RATE = int(os.environ.get("BENCH_DNS_RATE", "100"))
DNS_RATE_BIG = int(os.environ.get("BENCH_DNS_RATE_BIG", "1000"))
# BIND's serial-query-rate / notify-rate: its default below BIG_N, raised
# from there on (10,000 zones at 20/s would take 500 s per step)
BIND_DEFAULT_RATE = 20
BIG_N = int(os.environ.get("BENCH_BIG_N", "10000"))
SQR_BIG = int(os.environ.get("BENCH_SQR_BIG", "200"))
SQR_ALL = int(os.environ["BENCH_SQR"]) if os.environ.get("BENCH_SQR") else None
LIST_PAGE = os.environ.get("BENCH_LIST_PAGE", "1") != "0"
# BENCH_REPLAY=0: no replay (the list page then runs against the helper's
# own emulator, which ends in the same state): a run measured without the
# replay's hour at 10,000 zones, or for its DNS steps alone
DO_REPLAY = os.environ.get("BENCH_REPLAY", "1") != "0"
BATCH = 100
DAY = 86400
# the runbook's steps, as in issue 6 (the totals, the baselines)
STEPS = [("prepare", 0), ("switch", DAY + 60), ("sync", DAY + 60),
         ("disable-old-mail", DAY + 2000)]
# every command the helper runs over all N: (name, command, args, faketime)
COMMANDS = ([("plan", "plan", [], 0)] +
            [(st, st, [], f) for st, f in STEPS] +
            [("list", "list", [], DAY + 2000),
             ("list-page", "list", ["--page", "1", "--per-page", "50"],
              DAY + 2000),
             ("status", "status", [], DAY + 2000)])
NAMES = ("mail", "lists", "webmail")


def sqr_of(n):
    """The serial-query-rate the secondary runs with at n zones (None:
    BIND's default)."""
    if SQR_ALL:
        return SQR_ALL
    return SQR_BIG if n >= BIG_N else None


def dns_rate_of(n):
    """The helper's dns_rate at n zones: raised with the secondary's
    serial-query-rate from BIG_N on."""
    return DNS_RATE_BIG if n >= BIG_N else DNS_RATE


# the dns_rate of the n being measured (one_n sets it)
CUR_RATE = [DNS_RATE]


def log(msg):
    print(msg, flush=True)


# every run of the helper, curl or dnsbench that failed: the bench fails
FAILURES = []


def failed(what):
    FAILURES.append(what)
    log("  FAILED: %s" % what)


# ------------------------------------------------------------- fixtures

def domain_name(i):
    return "d%04d.bench.test" % i


def fixture(n, path):
    """n webspaces, each zone like tests/fixtures/system.json: NS ns1/ns2,
    A apex/www/mail/lists/webmail on the old IP, MX, SPF TXT."""
    doms = []
    for i in range(1, n + 1):
        z = domain_name(i)
        base = i * 100
        recs = [("NS", "", "ns1.%s." % z, ""), ("NS", "", "ns2.%s." % z, ""),
                ("A", "ns1", P, ""), ("A", "ns2", S, ""),
                ("A", "", OLD, ""), ("A", "www", OLD, ""),
                ("A", "mail", OLD, ""), ("A", "lists", OLD, ""),
                ("A", "webmail", OLD, ""), ("MX", "", "mail.%s." % z, "10"),
                ("TXT", "", "v=spf1 ip4:%s a mx ~all" % OLD, "")]
        doms.append({
            "id": i, "kind": "webspace", "name": z, "ascii_name": z,
            "mail": {"enabled": True,
                     "mailnames": [{"id": i * 2 - 1, "name": "info"},
                                   {"id": i * 2, "name": "sales"}]},
            "zone": {"status": "enabled",
                     "soa": {"ttl": 86400, "refresh": 10800, "retry": 3600,
                             "expire": 604800, "minimum": 10800},
                     "records": [{"id": base + k + 1, "type": t, "host": h,
                                  "value": v, "opt": o}
                                 for k, (t, h, v, o) in enumerate(recs)]}})
    fx = {"auth": {"login": "admin", "password": "s3cret&<pw>",
                   "keys": [KEY]},
          "server": {"name": "old.bench.test", "ip": OLD},
          "domains": doms, "aliases": []}
    with open(path, "w") as f:
        json.dump(fx, f)
    return [d["name"] for d in doms]


# ------------------------------------------------------------- emulator

class Sim:
    """The old server's panel (emulator, primary role) with its BIND primary
    P, and the secondary name server S run by a second emulator instance in
    the secondary role (slave zones of P, NOTIFY from P). The emulator's own
    secondary waits only 15 s for the initial transfers, which 1000 zones
    exceed (BIND transfers ~12 zones/s at start: serial-query-rate 20/s), so
    the secondary runs as a --role secondary instance, whose `up` does not
    fail on slow transfers; startup_s is measured until S serves every
    zone. sqr: --serial-query-rate of both (None: BIND's 20). trace: the
    primary instance traces every request (the replay's input)."""

    def __init__(self, name, fixture_path, names, sqr=None, trace=False):
        self.dir = os.path.join(OUT, name)
        self.sdir = os.path.join(OUT, name + "-ns2")
        for d in (self.dir, self.sdir):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        self.url = "https://" + LISTEN
        self.trace = os.path.join(self.dir, "trace") if trace else None
        rate = ["--serial-query-rate", str(sqr)] if sqr else []
        t0 = time.time()
        self.up([SIM, "up", "--dir", self.dir, "--fixture", fixture_path,
                 "--listen", LISTEN, "--primary", P,
                 "--external-secondary", S] + rate +
                (["--trace-dir", self.trace] if trace else []))
        self.primary_s = time.time() - t0
        self.up([SIM, "up", "--dir", self.sdir, "--fixture", fixture_path,
                 "--listen", SEC_LISTEN, "--role", "secondary", "--dns", S,
                 "--master", P] + rate)
        qf = os.path.join(self.sdir, "startup-queries")
        with open(qf, "w") as f:
            f.write("".join("%s mail.%s\n" % (S, z) for z in names))
        end = time.time() + 600 + len(names) / float(sqr or 20)
        while True:
            r = subprocess.run([DNSBENCH, qf], capture_output=True,
                               text=True, timeout=600)
            if r.returncode == 0:
                break
            if time.time() > end:
                self.down()
                raise RuntimeError("secondary %s did not serve every zone: "
                                   "%s" % (S, r.stdout))
            time.sleep(0.5)
        self.startup_s = time.time() - t0
        with open(os.path.join(self.dir, "pin")) as f:
            self.pin = f.read().strip()
        self.cafile = os.path.join(self.dir, "cert.pem")
        self.ctx = ssl.create_default_context(cafile=self.cafile)
        self.ctx.check_hostname = False
        self.ctl("POST", "/__sim/config", {"latency_request_ms": L_MS,
                                           "latency_op_ms": OP_MS})

    def up(self, args):
        r = subprocess.run(args, capture_output=True, text=True, timeout=3600)
        if r.returncode != 0:
            self.down()
            raise RuntimeError("plesk-sim up failed: %s %s" % (
                r.stdout, r.stderr[:2000]))

    def ctl(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=self.ctx, timeout=60) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def counters(self):
        return self.ctl("GET", "/__sim/counters")

    def reset(self):
        self.ctl("POST", "/__sim/counters/reset")

    def last_seq(self):
        """The number of the last traced request (0: none yet)."""
        last = 0
        for f in os.listdir(self.trace) if self.trace else []:
            if f.endswith("-req.xml"):
                last = max(last, int(f.split("-")[0]))
        return last

    def down(self):
        for d in (self.sdir, self.dir):
            subprocess.run([SIM, "down", "--dir", d], capture_output=True,
                           timeout=600)


# ------------------------------------------------------------- runs

def write_conf(sim, d, batch, state=None):
    key = os.path.join(d, "key.secret")
    write_secret(key, KEY)
    conf = os.path.join(d, "mc.conf")
    with open(conf, "w") as f:
        f.write("""[source]
url = %s
secret_file = %s
pin = %s
batch_size = %d
timeout = 3600
[cutover]
new_ip = %s
primary_dns = %s
state_dir = %s
dns_rate = %d
""" % (sim.url, key, sim.pin, batch, NEW, P,
       state or os.path.join(d, "state"), CUR_RATE[0]))
    os.chmod(conf, 0o600)
    return conf


def rss_of(stderr):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) if m else None


def read_dnscount(path):
    """-> (DNS messages sent, seconds inside curl_easy_perform,
    {server: {"sent", "peak", "first", "last"}})."""
    dns, panel, servers = 0, 0.0, {}
    try:
        with open(path) as f:
            for line in f:
                x = line.split()
                if x and x[0] == "server":
                    v = servers.setdefault(x[1], {"sent": 0, "peak": 0,
                                                  "first": None, "last": None})
                    v["sent"] += int(x[2])
                    v["peak"] = max(v["peak"], int(x[3]))
                    v["first"] = float(x[4]) if v["first"] is None else \
                        min(v["first"], float(x[4]))
                    v["last"] = max(v["last"] or 0, float(x[5]))
                    continue
                dns += int(x[0]) + int(x[1])
                if len(x) > 2:
                    panel += float(x[2])
    except OSError:
        pass
    return dns, panel, servers


def helper_results(stdout):
    """-> ({result: count}, requests the helper counted)."""
    try:
        out = json.loads(stdout)
        res = {}
        for x in out["domains"]:
            res[x["result"]] = res.get(x["result"], 0) + 1
        return res, out.get("requests")
    except (ValueError, KeyError, TypeError):
        return {"unparsed": 1}, None


def per_server(servers, n, wall):
    """The dnscount figures of one command, per server."""
    out = {}
    for ip, v in sorted(servers.items()):
        out[ip] = {"sent": v["sent"], "peak_qps": v["peak"],
                   "mean_qps": round(v["sent"] / wall, 1) if wall else 0,
                   "per_zone": round(v["sent"] / float(n), 2)}
    return out


def run_command(sim, conf, d, n, name, cmd, args, fake, names):
    """One helper command over all names; -> its figures."""
    sim.reset()
    first = sim.last_seq() + 1
    cnt = os.path.join(d, "dnscount-%s" % name)
    env = dict(os.environ)
    env.update({"LD_PRELOAD": "%s:%s" % (FAKETIME_LIB, DNSCOUNT),
                "FAKETIME": "%+ds" % fake,
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                "FAKETIME_NO_CACHE": "1", "DNSCOUNT_FILE": cnt})
    # list and status take no names: every journal (and the panel's list)
    doms = [] if cmd in ("list", "status") else names
    argv = ["/usr/bin/time", "-v", HELPER, "--config", conf, "--json", cmd] + \
        args + doms
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env,
                       timeout=4 * 3600)
    wall = time.monotonic() - t0
    c = sim.counters()
    last = sim.last_seq()
    m_user = re.search(r"User time \(seconds\): ([\d.]+)", r.stderr)
    m_sys = re.search(r"System time \(seconds\): ([\d.]+)", r.stderr)
    res, helper_req = helper_results(r.stdout)
    dnsq, panel, servers = read_dnscount(cnt)
    s = {"wall_s": round(wall, 3), "requests": c["requests"],
         "ops": c["ops"], "dns_queries": dnsq,
         "panel_s": round(panel, 3),
         "bound_s": round(math.ceil(c["ops"] / BATCH) * L_MS / 1000.0 +
                          c["ops"] * OP_MS / 1000.0, 3),
         "rss_kib": rss_of(r.stderr), "rc": r.returncode,
         "results": res, "helper_requests": helper_req,
         "user_s": float(m_user.group(1)) if m_user else None,
         "sys_s": float(m_sys.group(1)) if m_sys else None,
         "by_op": c.get("by_op"), "connections": c.get("connections"),
         "system_errors": c.get("system_errors"),
         "bind_errors": c.get("bind_errors"),
         "trace": [first, last] if sim.trace and last >= first else None,
         "dns_servers": per_server(servers, n, wall),
         "stdout_bytes": len(r.stdout)}
    # plan may warn (no [target], no mail server at the new IP): not a
    # failure; list and status report (exit 0)
    ok_results = {"done", "noop"} | ({"waiting"} if cmd in ("list", "status")
                                     else set())
    if r.returncode != 0 or (cmd != "plan" and set(res) - ok_results) or \
            (cmd == "plan" and set(res) - {"done"}):
        err = [x for x in r.stderr.splitlines()
               if "Command being timed" not in x][:5]
        s["stderr"] = err
        failed("helper %s %s: rc=%d %s %s" % (name, d, r.returncode, res,
                                              err))
    with open(os.path.join(d, "%s.json" % name), "w") as f:
        f.write(r.stdout)
    log("  %-18s %7.2f s  %5d req  %6d ops  %7d DNS  %6s KiB  panel %6.2f s"
        "  cpu %6.2f s  rc=%d%s"
        % (name, wall, c["requests"], c["ops"], s["dns_queries"],
           s["rss_kib"], panel, (s["user_s"] or 0) + (s["sys_s"] or 0),
           r.returncode, "".join("  %s %d q (peak %d/s)" % (
               ip, v["sent"], v["peak_qps"])
               for ip, v in s["dns_servers"].items())))
    return s


def run_helper(sim, names, batch, tag, commands=None):
    """The commands in bulk (default: the four steps); -> dict with
    per-command figures, the totals of the four steps (as issue 6) and
    over every command (all_*)."""
    d = os.path.join(OUT, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    conf = write_conf(sim, d, batch)
    steps = {}
    tot = {"wall_s": 0.0, "requests": 0, "ops": 0, "dns_queries": 0,
           "rss_kib": 0, "user_s": 0.0, "sys_s": 0.0, "panel_s": 0.0,
           "all_rss_kib": 0, "all_panel_s": 0.0, "conf": conf,
           "state": os.path.join(d, "state"), "trace_dir": sim.trace}
    for name, cmd, args, fake in commands or [(st, st, [], f)
                                              for st, f in STEPS]:
        s = run_command(sim, conf, d, len(names), name, cmd, args, fake,
                        names)
        steps[name] = s
        tot["all_rss_kib"] = max(tot["all_rss_kib"], s["rss_kib"] or 0)
        tot["all_panel_s"] += s["panel_s"]
        if name not in dict(STEPS):
            continue
        for k in ("wall_s", "requests", "ops", "dns_queries"):
            tot[k] += s[k]
        tot["rss_kib"] = max(tot["rss_kib"], s["rss_kib"] or 0)
        tot["user_s"] += s["user_s"] or 0
        tot["sys_s"] += s["sys_s"] or 0
        tot["panel_s"] += s["panel_s"]
    for k in ("wall_s", "panel_s", "all_panel_s"):
        tot[k] = round(tot[k], 3)
    tot["user_s"] = round(tot["user_s"], 2)
    tot["sys_s"] = round(tot["sys_s"], 2)
    tot["steps"] = steps
    return tot


def run_replay(sim, helper, tag):
    """The helper's packets again, in order, over one connection, against
    a fresh emulator (sim) -> the replay's figures."""
    d = os.path.join(OUT, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    key = os.path.join(d, "key.secret")
    write_secret(key, KEY)
    ranges, names, trace = [], [], None
    for name, s in helper["steps"].items():
        if s.get("trace"):
            ranges += [str(s["trace"][0]), str(s["trace"][1])]
            names.append(name)
    trace = helper.get("trace_dir")
    if not ranges or not trace:
        failed("replay %s: no traced request" % tag)
        return None
    r = subprocess.run(["python3", REPLAY, sim.url, sim.cafile, key, trace] +
                       ranges, capture_output=True, text=True,
                       timeout=4 * 3600)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {"steps": [], "panel_s": 0}
    if r.returncode != 0:
        failed("replay %s: rc=%d %s %s" % (tag, r.returncode, r.stdout[:300],
                                           r.stderr[:300]))
    out["rc"] = r.returncode
    out["by_command"] = dict(zip(names, out.get("steps", [])))
    helper_panel = sum(helper["steps"][k]["panel_s"] for k in names)
    out["helper_panel_s"] = round(helper_panel, 3)
    log("  replay: %d requests, panel %.2f s (helper %.2f s): efficiency %.3f"
        % (out.get("requests", 0), out["panel_s"], helper_panel,
           out["panel_s"] / helper_panel if helper_panel else 0))
    return out


def run_listpage(sim, helper, tag):
    """Page 1 of the extension's domain list in headless Chromium, with the
    helper's state of the run (bench/listpage.js)."""
    d = os.path.join(OUT, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    conf = write_conf(sim, d, BATCH, state=helper["state"])
    for p in (EXT_DIR, os.path.join(ROOT, "tests", "browser", "node_modules",
                                    "playwright-core")):
        if not os.path.exists(p):
            failed("list page: %s missing (make ext browser-deps)" % p)
            return None
    r = subprocess.run(["node", LISTPAGE, EXT_DIR, OUT, conf, d,
                        helper["state"], "5"], capture_output=True,
                       text=True, timeout=1800)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    if r.returncode != 0:
        failed("list page %s: rc=%d %s %s" % (tag, r.returncode,
                                               r.stdout[:300], r.stderr[:300]))
    out["rc"] = r.returncode
    log("  list page 1 in Chromium: first view %s ms (lists the panel), then "
        "median %s ms, at most %s ms; page 2 by state %s ms" % (
            (out.get("cold") or {}).get("ms"), out.get("warm_median_ms"),
            out.get("warm_max_ms"), (out.get("page2_by_state") or {}).get("ms")))
    return out


def run_curl(sim, names, tag):
    d = os.path.join(OUT, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    key = os.path.join(d, "key.secret")
    write_secret(key, KEY)
    dfile = os.path.join(d, "domains")
    with open(dfile, "w") as f:
        f.write("\n".join(names) + "\n")
    steps = {}
    tot = {"wall_s": 0.0, "requests": 0, "ops": 0, "dns_queries": 0}
    for step, _ in STEPS:
        sim.reset()
        # DNS messages sent by every process of the script (its digs),
        # counted by the same LD_PRELOAD shim as the helper's
        cnt = os.path.join(d, "dnscount-%s" % step)
        env = dict(os.environ, LD_PRELOAD=DNSCOUNT, DNSCOUNT_FILE=cnt)
        t0 = time.monotonic()
        r = subprocess.run([CURL, step, sim.url, key, sim.cafile, dfile,
                            os.path.join(d, "state"), OLD, NEW, P, S],
                           capture_output=True, text=True, timeout=7200,
                           env=env)
        wall = time.monotonic() - t0
        c = sim.counters()
        dnsq, _, _ = read_dnscount(cnt)
        steps[step] = {"wall_s": round(wall, 3), "requests": c["requests"],
                       "ops": c["ops"], "dns_queries": dnsq,
                       "rc": r.returncode}
        if r.returncode != 0:
            steps[step]["stderr"] = r.stderr.splitlines()[:5]
            failed("curl baseline %s: rc=%d %s" % (step, r.returncode,
                                                   r.stderr[:300]))
        for k in ("wall_s", "requests", "ops", "dns_queries"):
            tot[k] += steps[step][k]
        log("  %-18s %7.2f s  %5d requests  %6d ops  %6d DNS" % (
            step, wall, c["requests"], c["ops"], dnsq))
    tot["wall_s"] = round(tot["wall_s"], 3)
    tot["steps"] = steps
    return tot


def extrapolate(base, n_from, n_to):
    k = n_to / n_from
    out = {"extrapolated": True, "from_n": n_from}
    for key in ("wall_s", "requests", "ops", "dns_queries"):
        if key in base:
            out[key] = round(base[key] * k, 3) if key == "wall_s" \
                else int(round(base[key] * k))
    if "rss_kib" in base:
        out["rss_kib"] = base["rss_kib"]
        out["rss_note"] = "measured at n=%d, not extrapolated" % n_from
    return out


# ------------------------------------------------------------- DNS

def dns_bench(names, n, tag):
    d = os.path.join(OUT, tag)
    os.makedirs(d, exist_ok=True)
    qfile = os.path.join(d, "queries")
    qs = ["%s %s.%s" % (s, x, z) for z in names for x in NAMES for s in (P, S)]
    with open(qfile, "w") as f:
        f.write("\n".join(qs) + "\n")
    runs = []
    for _ in range(5):
        r = subprocess.run([DNSBENCH, qfile], capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            failed("dnsbench rc=%d %s %s" % (r.returncode, r.stdout[:300],
                                             r.stderr[:300]))
        runs.append(json.loads(r.stdout))
    runs.sort(key=lambda x: x["wall_s"])
    med = runs[len(runs) // 2]
    sample = qs if len(qs) <= DIG_SAMPLE else qs[:DIG_SAMPLE]
    sfile = os.path.join(d, "dig-sample")
    with open(sfile, "w") as f:
        f.write("\n".join(sample) + "\n")
    t0 = time.monotonic()
    subprocess.run(["bash", "-c", 'while read -r s n; do dig +norec +short '
                    '+time=1 +tries=2 @"$s" "$n" A >/dev/null; done < "$1"',
                    "dig-loop", sfile], check=True, timeout=3600)
    dig_wall = time.monotonic() - t0
    extrap = len(sample) < len(qs)
    if extrap:
        dig_wall_full = dig_wall * len(qs) / len(sample)
    else:
        dig_wall_full = dig_wall
    out = {"queries": med["queries"], "answered": med["answered"],
           "qps": round(med["qps"]), "wall_s": round(med["wall_s"], 4),
           "runs_wall_s": [round(x["wall_s"], 4) for x in runs],
           "retries": med["retries"],
           "dig_wall_s": round(dig_wall_full, 2),
           "dig_qps": round(len(sample) / dig_wall),
           "speedup": round(dig_wall_full / med["wall_s"], 1)}
    if extrap:
        out["dig_extrapolated"] = True
        out["speedup_extrapolated"] = True    # derived from dig_wall_s
        out["dig_sample"] = len(sample)
        out["dig_sample_wall_s"] = round(dig_wall, 2)
    log("  DNS: %d queries in %.3f s = %d q/s (median of 5); dig loop %.1f s"
        "%s; speedup %.0fx" % (out["queries"], out["wall_s"], out["qps"],
                               out["dig_wall_s"], " (extrapolated from %d)" %
                               len(sample) if extrap else "", out["speedup"]))
    return out


# ------------------------------------------------------------- bound

def bound(run):
    """Least requests x L + ops x per-op latency, per step: the least
    requests that carry a step's operations are ceil(ops / 100)."""
    least = 0
    for name, s in run["steps"].items():
        if name in dict(STEPS):
            least += math.ceil(s["ops"] / BATCH)
    return least, round(least * L_MS / 1000.0 + run["ops"] * OP_MS / 1000.0,
                        3)


def dns_summary(run, n):
    """The helper's questions per server: peak and mean per second, per
    zone and step (prepare, switch, sync: the steps that wait for DNS);
    every command counts for the peak."""
    h = run["helper"]
    peak, mean, per_zone, total_zone = 0, 0.0, {}, {}
    servers = {}
    for name, s in h["steps"].items():
        tot = 0
        for ip, v in s.get("dns_servers", {}).items():
            peak = max(peak, v["peak_qps"])
            mean = max(mean, v["mean_qps"])
            tot += v["sent"]
            sv = servers.setdefault(ip, {"sent": 0, "peak_qps": 0,
                                         "per_zone_step": {}})
            sv["sent"] += v["sent"]
            sv["peak_qps"] = max(sv["peak_qps"], v["peak_qps"])
            sv["per_zone_step"][name] = v["per_zone"]
        if name in ("prepare", "switch", "sync"):
            per_zone[name] = max([v["per_zone"] for v in
                                  s.get("dns_servers", {}).values()] or [0])
            total_zone[name] = round(tot / float(n), 2)
    return {"dns_rate": CUR_RATE[0], "max_qps_per_server": peak,
            "max_mean_qps_per_server": mean,
            "queries_per_zone_step": max(total_zone.values() or [0]),
            "queries_per_zone_step_by_step": total_zone,
            "queries_per_zone_step_per_server": per_zone,
            "servers": servers}


def load_avg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version()}


def extrapolated(r):
    """Which figures of run R are extrapolated or derived from one:
    the baselines (and so x curl, x batch1), the dig loop (and so x dig)."""
    curl = bool((r.get("baseline_curl") or {}).get("extrapolated"))
    b1 = bool((r.get("baseline_batch1") or {}).get("extrapolated"))
    dig = bool(r["dns"].get("dig_extrapolated"))
    return {"curl": curl, "batch1": b1, "dig": dig,
            "speedup_vs_curl": curl, "speedup_vs_batch1": b1,
            "dns_speedup": dig}


def star(flag):
    return "*" if flag else ""


def fmt(v, f="%.1f"):
    return "-" if v is None else f % v


def table(res):
    rows = []
    hdr = ("n", "helper s", "panel s", "replay s", "eff rep", "sync s",
           "2nd bound s", "sync ratio", "max q/s", "q/zone/step", "RSS MiB",
           "list p1 ms", "req", "ops", "curl s", "batch1 s", "x curl",
           "DNS q/s")
    rows.append(hdr)
    for r in res["runs"]:
        h, dn = r["helper"], r["dns"]
        c = r["baseline_curl"] or {"wall_s": float("nan")}
        b = r["baseline_batch1"] or {"wall_s": float("nan")}
        lp = r.get("list_page") or {}
        rows.append((str(r["n"]), "%.1f" % h["wall_s"],
                     "%.1f" % h.get("all_panel_s", 0),
                     fmt((r.get("replay") or {}).get("panel_s")),
                     fmt(r.get("efficiency_replay"), "%.2f"),
                     "%.1f" % h["steps"]["sync"]["wall_s"],
                     "%.1f" % r["secondary_bound_s"],
                     "%.2f" % r["sync_ratio"],
                     str(dn["max_qps_per_server"]),
                     "%.1f" % dn["queries_per_zone_step"],
                     "%.1f" % (h["all_rss_kib"] / 1024.0),
                     fmt(lp.get("warm_median_ms"), "%d"),
                     str(h["requests"]), str(h["ops"]),
                     "%.0f%s" % (c["wall_s"], "*" if c.get("extrapolated")
                                 else ""),
                     "%.0f%s" % (b["wall_s"], "*" if b.get("extrapolated")
                                 else ""),
                     "%.0f%s" % (r["speedup_vs_curl"] or float("nan"),
                                 star(extrapolated(r)["speedup_vs_curl"])),
                     str(dn["qps"])))
    w = [max(len(r[i]) for r in rows) for i in range(len(hdr))]
    lines = ["  ".join(x.rjust(w[i]) for i, x in enumerate(r)) for r in rows]
    base_n = min(r["n"] for r in res["runs"]) if res["runs"] else BASE_N
    lines.append("* extrapolated, or derived from an extrapolated figure: "
                 "curl s and batch1 s linearly from n=%d (so x curl)" % base_n)
    return "\n".join(lines)


def targets(r):
    h = r["helper"]
    per_step = {}
    ok_req = True
    for name, s in h["steps"].items():
        if name not in dict(STEPS):
            continue
        lim = math.ceil(s["ops"] / BATCH) + 2
        per_step[name] = {"requests": s["requests"], "limit": lim,
                          "met": s["requests"] <= lim}
        ok_req &= s["requests"] <= lim
    x = extrapolated(r)
    rss_lim = 96 if r["n"] >= 10000 else 32
    t = {
        # None: the replay was not run (BENCH_REPLAY=0): not measured
        "efficiency_replay_ge_0.9": {"value": r.get("efficiency_replay"),
                                     "met": None if r.get("replay") is None
                                     else (r.get("efficiency_replay") or 0)
                                     >= 0.9},
        "sync_ratio_le_1.3": {"value": r["sync_ratio"],
                              "met": r["sync_ratio"] <= 1.3},
        "no_server_above_dns_rate": {
            "value": r["dns"]["max_qps_per_server"],
            "limit": r["dns"]["dns_rate"],
            "met": r["dns"]["max_qps_per_server"] <= r["dns"]["dns_rate"]},
        "queries_per_zone_step_le_20": {
            "value": r["dns"]["queries_per_zone_step"],
            "met": r["dns"]["queries_per_zone_step"] <= 20},
        "rss_le_%dMiB" % rss_lim: {"value_kib": h["all_rss_kib"],
                                   "met": h["all_rss_kib"] <= rss_lim * 1024},
        "requests_per_step": {"met": ok_req, "steps": per_step},
        "speedup_vs_curl_ge_20": {"value": r["speedup_vs_curl"],
                                  "met": None if r["speedup_vs_curl"] is None
                                  else r["speedup_vs_curl"] >= 20,
                                  "extrapolated": x["speedup_vs_curl"]},
        "efficiency_ge_0.8": {"value": r["efficiency"],
                              "met": r["efficiency"] >= 0.8},
        "dns_qps_ge_5000": {"value": r["dns"]["qps"],
                            "met": r["dns"]["qps"] >= 5000},
        "dns_speedup_ge_20": {"value": r["dns"]["speedup"],
                              "met": r["dns"]["speedup"] >= 20,
                              "extrapolated": x["dns_speedup"]},
    }
    lp = r.get("list_page")
    if lp is not None:
        t["list_page_1_le_1s"] = {"value_ms": lp.get("warm_median_ms"),
                                  "met": (lp.get("warm_median_ms") or 1e9)
                                  <= 1000}
    return t


def target_words(t, met="met", missed="**missed**"):
    """'name met' / 'name **missed**', '(extrapolated)' when it rests on an
    extrapolated figure (flag stored, or derived for older results)."""
    return "; ".join("%s %s%s" % (k, "not measured" if v["met"] is None
                                  else met if v["met"] else missed,
                                  " (extrapolated)" if v.get("extrapolated")
                                  else "") for k, v in t.items())


def run_words(r):
    """One run's figures in words (README)."""
    h = r["helper"]
    lp = r.get("list_page") or {}
    rp = r.get("replay")
    replay = ("Replay of its %d requests over one connection: %.1f s in the "
              "panel against the helper's %.1f s." % (
                  rp.get("requests", 0), rp.get("panel_s", 0),
                  rp.get("helper_panel_s", 0)) if rp is not None else
              "No replay (BENCH_REPLAY=0: at this n it would take as long as "
              "the helper's panel time again).")
    return ("  Helper %.1f s for the four steps (prepare, switch, sync, "
            "disable-old-mail), %.1f s of it waiting for the panel, CPU %.1f "
            "s; every command: %s. %s "
            "The secondary checks %s zones/s (serial-query-rate%s): bound %.1f "
            "s, sync %.1f s. DNS at dns_rate %d: at most %d questions in one "
            "second at one server, %s per zone per step (prepare, switch, "
            "sync). List page 1: first view %s ms (the panel listed), then "
            "%s ms. Emulator with %d zones: primary up in %.1f s, secondary "
            "serving every zone after %.1f s." % (
                h["wall_s"], h.get("panel_s", 0),
                h.get("user_s", 0) + h.get("sys_s", 0),
                ", ".join("%s %.1f s (%d req, %d ops, %d DNS, %.1f MiB)" % (
                    k, v["wall_s"], v["requests"], v["ops"], v["dns_queries"],
                    (v["rss_kib"] or 0) / 1024.0)
                    for k, v in h["steps"].items()),
                replay, r["serial_query_rate"], "" if r["serial_query_rate_raised"]
                else ", BIND's default", r["secondary_bound_s"],
                h["steps"]["sync"]["wall_s"], r["dns"]["dns_rate"],
                r["dns"]["max_qps_per_server"],
                r["dns"]["queries_per_zone_step_by_step"],
                (lp.get("cold") or {}).get("ms"), lp.get("warm_median_ms"),
                r["n"], r.get("emulator_primary_up_s", 0),
                r.get("emulator_startup_s", 0)))


def update_readme(res, path=os.path.join(ROOT, "README.md")):
    """Replace the figures between the bench markers of README.md."""
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return
    if begin not in text or end not in text:
        log("bench: README.md has no %s ... %s markers: not updated" %
            (begin, end))
        return
    m = res["machine"]
    inv = res.get("invocations") or [{
        "date": res["date"], "n": [r["n"] for r in res["runs"]],
        "load_avg_before": res.get("load_avg_before"),
        "load_avg_after": res.get("load_avg_after")}]
    lines = [begin, "",
             "Latest run: %s on %d cores (%s), Linux %s (shared with other "
             "engineers' test runs); %s."
             % (res["date"][:10], m["cpus"], m["cpu"] or "unknown CPU",
                m["kernel"], "; ".join(
                    "n=%s started %s, load average %s before, %s after" % (
                        ", ".join(str(n) for n in i["n"]),
                        (i["date"] or "?")[11:16], i["load_avg_before"],
                        i["load_avg_after"]) for i in inv)),
             "Emulator latency %d ms per request, %d ms per operation; "
             "batch_size %d; dns_rate %s." % (
                 res["latency_request_ms"], res["latency_op_ms"],
                 res["batch_size"], ", ".join(
                     "%d at n=%d" % (r["dns"]["dns_rate"], r["n"])
                     for r in res["runs"])),
             "", "```", table(res), "```", ""]
    for r in res["runs"]:
        t = dict(r["targets"])
        x = extrapolated(r)
        for k, flag in (("speedup_vs_curl_ge_20", x["speedup_vs_curl"]),
                        ("dns_speedup_ge_20", x["dns_speedup"])):
            if k in t:
                t[k] = dict(t[k], extrapolated=flag)
        lines.append("- n=%d: %s." % (r["n"], target_words(t)))
        lines.append(run_words(r))
    lines += ["", end]
    a, b = text.index(begin), text.index(end) + len(end)
    with open(path, "w") as f:
        f.write(text[:a] + "\n".join(lines) + text[b:])


def one_n(n, base, sims):
    """Everything measured at n domains -> the run's dict."""
    log("== n=%d" % n)
    fx = os.path.join(OUT, "fixture-%d.json" % n)
    names = fixture(n, fx)
    sqr = sqr_of(n)
    CUR_RATE[0] = dns_rate_of(n)
    run = {"n": n, "serial_query_rate": sqr or BIND_DEFAULT_RATE,
           "serial_query_rate_raised": bool(sqr)}
    sim = Sim("sim-%d" % n, fx, names, sqr, trace=True)
    sims.append(sim)
    run["emulator_startup_s"] = round(sim.startup_s, 2)
    run["emulator_primary_up_s"] = round(sim.primary_s, 2)
    log("  emulator with %d zones up in %.1f s (primary serving), secondary "
        "serving every zone after %.1f s (serial-query-rate %d)" % (
            n, sim.primary_s, sim.startup_s, run["serial_query_rate"]))
    log(" helper, batch_size %d, dns_rate %d:" % (BATCH, CUR_RATE[0]))
    run["helper"] = run_helper(sim, names, BATCH, "helper-%d" % n, COMMANDS)
    run["dns"] = dns_bench(names, n, "dns-%d" % n)
    run["dns"].update(dns_summary(run, n))
    if not DO_REPLAY and LIST_PAGE:
        run["list_page"] = run_listpage(sim, run["helper"], "listpage-%d" % n)
    sim.down()
    sims.remove(sim)
    # the replay: a fresh emulator, the helper's packets again; then the
    # list page against it (it ends in the helper's final state)
    if DO_REPLAY:
        sim = Sim("sim-%d-replay" % n, fx, names, sqr)
        sims.append(sim)
        log(" replay:")
        run["replay"] = run_replay(sim, run["helper"], "replay-%d" % n)
        if run["replay"] and run["replay"].get("helper_panel_s"):
            run["efficiency_replay"] = round(
                run["replay"]["panel_s"] / run["replay"]["helper_panel_s"], 3)
        if LIST_PAGE:
            run["list_page"] = run_listpage(sim, run["helper"],
                                            "listpage-%d" % n)
        sim.down()
        sims.remove(sim)
    else:
        run["replay"] = None
        log(" replay: not run (BENCH_REPLAY=0)")
    if n == BASE_N:
        for kind in ("batch1", "curl"):
            sim = Sim("sim-%d-%s" % (n, kind), fx, names)
            sims.append(sim)
            log(" baseline %s:" % kind)
            if kind == "batch1":
                base[kind] = run_helper(sim, names, 1, "batch1-%d" % n)
            else:
                base[kind] = run_curl(sim, names, "curl-%d" % n)
            sim.down()
            sims.remove(sim)
    for kind in ("curl", "batch1"):
        b = base.get(kind)
        if b is None:
            run["baseline_" + kind] = None
        elif n == BASE_N:
            run["baseline_" + kind] = b
        else:
            run["baseline_" + kind] = extrapolate(b, BASE_N, n)
    h = run["helper"]
    least, run["bound_s"] = bound(h)
    run["bound_requests"] = least
    run["efficiency"] = round(run["bound_s"] / h["wall_s"], 3)
    if h.get("panel_s"):
        run["panel_s"] = h["panel_s"]
        run["efficiency_in_panel"] = round(run["bound_s"] / h["panel_s"], 3)
        run["outside_panel_s"] = round(h["wall_s"] - h["panel_s"], 3)
    run["secondary_bound_s"] = round(n / float(run["serial_query_rate"]), 2)
    run["sync_ratio"] = round(h["steps"]["sync"]["wall_s"] /
                              run["secondary_bound_s"], 3)
    # BENCH_BASELINE_N not among BENCH_N (trial runs): no baselines
    run["speedup_vs_curl"] = round(run["baseline_curl"]["wall_s"] /
                                   h["wall_s"], 1) \
        if run["baseline_curl"] else None
    run["speedup_vs_batch1"] = round(run["baseline_batch1"]["wall_s"] /
                                     h["wall_s"], 1) \
        if run["baseline_batch1"] else None
    x = extrapolated(run)
    run["speedup_vs_curl_extrapolated"] = x["speedup_vs_curl"]
    run["speedup_vs_batch1_extrapolated"] = x["speedup_vs_batch1"]
    run["targets"] = targets(run)
    return run


def main():
    for p in (HELPER_SRC, DNSBENCH, DNSCOUNT, FAKETIME_LIB, "/usr/bin/time"):
        if not os.path.exists(p):
            log("bench: %s missing (make bench builds it; apt-get install "
                "time faketime)" % p)
            return 2
    os.makedirs(OUT, exist_ok=True)
    shutil.copy2(HELPER_SRC, HELPER)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_before = load_avg()
    res = {"date": started, "machine": machine(),
           "addresses": {"panel": LISTEN, "primary": P, "secondary": S,
                         "old_ip": OLD, "new_ip": NEW},
           "latency_request_ms": L_MS, "latency_op_ms": OP_MS,
           "batch_size": BATCH, "dns_rate": DNS_RATE,
           "dns_rate_big": DNS_RATE_BIG, "big_n": BIG_N, "runs": []}
    base = {}
    sims = []
    try:
        # the smallest first: its baselines are the others' extrapolation
        for n in sorted(NS):
            res["runs"].append(one_n(n, base, sims))
            log("  load average now %s" % (load_avg(),))
    finally:
        for s in sims:
            s.down()
    res["load_avg_before"] = load_before
    res["load_avg_after"] = load_avg()
    res["note"] = (
        "Load averages measured before and after: load_avg_*. The helper "
        "runs with dns_rate %d (%d from n=%d, with the raised "
        "serial-query-rate; each run's dns.dns_rate). efficiency_replay = replay.panel_s / "
        "replay.helper_panel_s: the same packets in the same order over one "
        "keep-alive connection by bench/replay.py against a fresh emulator "
        "(same fixture), time from request to the reply's last byte, "
        "against the helper's time inside curl_easy_perform for the same "
        "requests. secondary_bound_s = n / serial_query_rate (BIND's "
        "default 20 unless serial_query_rate_raised; the primary's "
        "notify-rate the same); sync_ratio = the sync step's wall time / "
        "it. dns.*: the helper's UDP messages per server counted by "
        "bench/dnscount.so (max_qps_per_server: the most within any window "
        "of one second, any command; queries_per_zone_step: all servers' "
        "questions of prepare, switch or sync / n, the largest). "
        "Baselines measured at n=%d and extrapolated linearly to larger n "
        "(marked extrapolated, as is every figure derived from them); the "
        "dig loop at large n is a sample of %d queries, extrapolated. "
        "bound_s = sum over the four steps of ceil(ops/%d) x %d ms + ops x "
        "%d ms." % (DNS_RATE, DNS_RATE_BIG, BIG_N, BASE_N, DIG_SAMPLE,
                    BATCH, L_MS, OP_MS))
    res["failures"] = FAILURES
    this = {"date": started, "n": [r["n"] for r in res["runs"]],
            "load_avg_before": load_before,
            "load_avg_after": res["load_avg_after"]}
    res["invocations"] = [this]
    if APPEND and os.path.exists(RESULTS):
        with open(RESULTS) as f:
            old = json.load(f)
        res["invocations"] = old.get("invocations") or [{
            "date": old.get("date"), "n": [r["n"] for r in old["runs"]],
            "load_avg_before": old.get("load_avg_before"),
            "load_avg_after": old.get("load_avg_after")}]
        res["invocations"].append(this)
        res["runs"] = sorted([r for r in old["runs"] if r["n"] not in NS] +
                             res["runs"], key=lambda r: r["n"])
        res["failures"] = old.get("failures", []) + FAILURES
    with open(RESULTS, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    if res["failures"]:
        log("")
        log("bench FAILED (%d run%s failed; README.md not updated):" % (
            len(res["failures"]), "" if len(res["failures"]) == 1 else "s"))
        for x in res["failures"]:
            log("  " + x)
        log("wrote %s" % RESULTS)
        return 1
    if UPDATE_README:
        update_readme(res)
    log("")
    log(table(res))
    for r in res["runs"]:
        log("n=%d targets: %s" % (r["n"], target_words(
            r["targets"], "met", "MISSED")))
    log("wrote %s" % RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
