#!/usr/bin/python3
"""make bench: bulk cutover of N domains against the Plesk emulator (issue 6).

For N = 100 and N = 1000 (BENCH_N="100 1000" to change): the helper runs
prepare, switch, sync and disable-old-mail over all N domains, one bulk
command each (time gates passed with libfaketime), against the emulator with
latency_request_ms = L (default 150) and latency_op_ms = 2 behind a real BIND
primary and secondary. Measured per step: wall time, requests and operations
(emulator counters, reset between steps), DNS messages sent by the helper
(bench/dnscount.so, an LD_PRELOAD counter) and peak RSS (/usr/bin/time -v).

Baselines at the smallest N (extrapolated linearly to the larger ones, marked
so): bench/curl-baseline.sh (one curl per operation, in sequence) and the
helper with batch_size = 1. The bound: the least requests x L plus the
operations x the per-operation latency. DNS: dnsprobe (bench/dnsbench) over
N x 3 names x both servers against a sequential dig loop.

Addresses: emulator 127.0.9.10:8443, BIND 127.0.59.1 / 127.0.59.2 only.
Writes bench/results.json and prints a table. Stops everything it starts.
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
# a private copy: another `make` in the tree must not swap the binary mid-run
HELPER = os.path.join(ROOT, "bench", "out", "mailcutover")
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(BENCH, "out")
BUILD = os.path.join(ROOT, "build", "bench")
DNSBENCH = os.path.join(BUILD, "dnsbench")
DNSCOUNT = os.path.join(BUILD, "dnscount.so")
CURL = os.path.join(BENCH, "curl-baseline.sh")
# BENCH_RESULTS=FILE: write there and leave README.md alone (trial runs)
RESULTS = os.environ.get("BENCH_RESULTS") or os.path.join(BENCH, "results.json")
UPDATE_README = not os.environ.get("BENCH_RESULTS")

LISTEN = os.environ.get("BENCH_LISTEN", "127.0.9.10:8443")
OLD = LISTEN.split(":")[0]
NEW = os.environ.get("BENCH_NEW_IP", "127.0.9.20")
SEC_LISTEN = os.environ.get("BENCH_SECONDARY_LISTEN", "127.0.9.11:8443")
P = os.environ.get("BENCH_PRIMARY", "127.0.59.1")
S = os.environ.get("BENCH_SECONDARY", "127.0.59.2")
L_MS = int(os.environ.get("BENCH_LATENCY_REQUEST_MS", "150"))
OP_MS = int(os.environ.get("BENCH_LATENCY_OP_MS", "2"))
NS = [int(x) for x in os.environ.get("BENCH_N", "100 1000").split()]
BASE_N = int(os.environ.get("BENCH_BASELINE_N", str(min(NS))))
DIG_SAMPLE = int(os.environ.get("BENCH_DIG_SAMPLE", "600"))
BATCH = 100
DAY = 86400
STEPS = [("prepare", 0), ("switch", DAY + 60), ("sync", DAY + 60),
         ("disable-old-mail", DAY + 2000)]
NAMES = ("mail", "lists", "webmail")


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
    zone."""

    def __init__(self, name, fixture_path, names):
        self.dir = os.path.join(OUT, name)
        self.sdir = os.path.join(OUT, name + "-ns2")
        for d in (self.dir, self.sdir):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        self.url = "https://" + LISTEN
        t0 = time.time()
        self.up([SIM, "up", "--dir", self.dir, "--fixture", fixture_path,
                 "--listen", LISTEN, "--primary", P,
                 "--external-secondary", S])
        self.primary_s = time.time() - t0
        self.up([SIM, "up", "--dir", self.sdir, "--fixture", fixture_path,
                 "--listen", SEC_LISTEN, "--role", "secondary", "--dns", S,
                 "--master", P])
        qf = os.path.join(self.sdir, "startup-queries")
        with open(qf, "w") as f:
            f.write("".join("%s mail.%s\n" % (S, z) for z in names))
        end = time.time() + 600
        while True:
            r = subprocess.run([DNSBENCH, qf], capture_output=True,
                               text=True, timeout=120)
            if r.returncode == 0:
                break
            if time.time() > end:
                self.down()
                raise RuntimeError("secondary %s did not serve every zone in "
                                   "600 s: %s" % (S, r.stdout))
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
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
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

    def down(self):
        for d in (self.sdir, self.dir):
            subprocess.run([SIM, "down", "--dir", d], capture_output=True,
                           timeout=120)


# ------------------------------------------------------------- runs

def write_conf(sim, d, batch):
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
switch_timeout = 120
sync_timeout = 300
""" % (sim.url, key, sim.pin, batch, NEW, P, os.path.join(d, "state")))
    return conf


def rss_of(stderr):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) if m else None


def read_dnscount(path):
    """-> (DNS messages sent, seconds inside curl_easy_perform)."""
    dns, panel = 0, 0.0
    try:
        with open(path) as f:
            for line in f:
                x = line.split()
                dns += int(x[0]) + int(x[1])
                if len(x) > 2:
                    panel += float(x[2])
    except OSError:
        pass
    return dns, panel


def run_helper(sim, names, batch, tag):
    """The four steps in bulk; -> dict with per-step and total figures."""
    d = os.path.join(OUT, tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    conf = write_conf(sim, d, batch)
    steps = {}
    tot = {"wall_s": 0.0, "requests": 0, "ops": 0, "dns_queries": 0,
           "rss_kib": 0, "user_s": 0.0, "sys_s": 0.0, "panel_s": 0.0}
    for step, fake in STEPS:
        sim.reset()
        cnt = os.path.join(d, "dnscount-%s" % step)
        env = dict(os.environ)
        env.update({"LD_PRELOAD": "%s:%s" % (FAKETIME_LIB, DNSCOUNT),
                    "FAKETIME": "%+ds" % fake,
                    "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                    "FAKETIME_NO_CACHE": "1", "DNSCOUNT_FILE": cnt})
        cmd = ["/usr/bin/time", "-v", HELPER, "--config", conf, "--json",
               step] + names
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=7200)
        wall = time.monotonic() - t0
        c = sim.counters()
        m_user = re.search(r"User time \(seconds\): ([\d.]+)", r.stderr)
        m_sys = re.search(r"System time \(seconds\): ([\d.]+)", r.stderr)
        try:
            out = json.loads(r.stdout)
            res = {}
            for x in out["domains"]:
                res[x["result"]] = res.get(x["result"], 0) + 1
            helper_req = out.get("requests")
        except ValueError:
            res, helper_req = {"unparsed": 1}, None
        dnsq, panel = read_dnscount(cnt)
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
             "bind_errors": c.get("bind_errors")}
        if r.returncode != 0 or set(res) - {"done", "noop"}:
            err = [x for x in r.stderr.splitlines()
                   if "Command being timed" not in x][:5]
            s["stderr"] = err
            failed("helper %s %s (batch_size %d): rc=%d %s %s" % (
                step, tag, batch, r.returncode, res, err))
        with open(os.path.join(d, "%s.json" % step), "w") as f:
            f.write(r.stdout)
        steps[step] = s
        for k in ("wall_s", "requests", "ops", "dns_queries"):
            tot[k] += s[k]
        tot["rss_kib"] = max(tot["rss_kib"], s["rss_kib"] or 0)
        tot["user_s"] += s["user_s"] or 0
        tot["sys_s"] += s["sys_s"] or 0
        tot["panel_s"] += panel
        log("  %-18s %7.2f s  %5d requests  %6d ops  %6d DNS  %6s KiB  "
            "panel %6.2f s  cpu %5.2f s  rc=%d"
            % (step, wall, c["requests"], c["ops"], s["dns_queries"],
               s["rss_kib"], panel, (s["user_s"] or 0) + (s["sys_s"] or 0),
               r.returncode))
    tot["wall_s"] = round(tot["wall_s"], 3)
    tot["user_s"] = round(tot["user_s"], 2)
    tot["sys_s"] = round(tot["sys_s"], 2)
    tot["panel_s"] = round(tot["panel_s"], 3)
    tot["steps"] = steps
    return tot


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
        dnsq, _ = read_dnscount(cnt)
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
    for s in run["steps"].values():
        least += math.ceil(s["ops"] / BATCH)
    return least, round(least * L_MS / 1000.0 + run["ops"] * OP_MS / 1000.0,
                        3)


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


def table(res):
    rows = []
    hdr = ("n", "helper s", "panel s", "req", "ops", "RSS MiB", "curl s",
           "batch1 s",
           "bound s", "eff", "x curl", "DNS q/s", "DNS s", "dig s", "x dig")
    rows.append(hdr)
    for r in res["runs"]:
        h, c, b, dn = r["helper"], r["baseline_curl"], r["baseline_batch1"], \
            r["dns"]
        rows.append((str(r["n"]), "%.1f" % h["wall_s"],
                     "%.1f" % h.get("panel_s", 0), str(h["requests"]),
                     str(h["ops"]), "%.1f" % (h["rss_kib"] / 1024.0),
                     "%.0f%s" % (c["wall_s"], "*" if c.get("extrapolated")
                                 else ""),
                     "%.0f%s" % (b["wall_s"], "*" if b.get("extrapolated")
                                 else ""),
                     "%.1f" % r["bound_s"], "%.2f" % r["efficiency"],
                     "%.0f%s" % (r["speedup_vs_curl"],
                                 star(extrapolated(r)["speedup_vs_curl"])),
                     str(dn["qps"]),
                     "%.3f" % dn["wall_s"],
                     "%.1f%s" % (dn["dig_wall_s"], "*" if
                                 dn.get("dig_extrapolated") else ""),
                     "%.0f%s" % (dn["speedup"],
                                 star(extrapolated(r)["dns_speedup"]))))
    w = [max(len(r[i]) for r in rows) for i in range(len(hdr))]
    lines = ["  ".join(x.rjust(w[i]) for i, x in enumerate(r)) for r in rows]
    base_n = min(r["n"] for r in res["runs"]) if res["runs"] else BASE_N
    samples = sorted({r["dns"].get("dig_sample") for r in res["runs"]
                      if r["dns"].get("dig_extrapolated")})
    lines.append("* extrapolated, or derived from an extrapolated figure: "
                 "curl s and batch1 s linearly from n=%d (so x curl)%s" % (
                     base_n, "; dig s from a sample of %s queries (so x dig)"
                     % "/".join(map(str, samples)) if samples else ""))
    return "\n".join(lines)


def targets(r):
    h = r["helper"]
    per_step = {}
    ok_req = True
    for name, s in h["steps"].items():
        lim = math.ceil(s["ops"] / BATCH) + 2
        per_step[name] = {"requests": s["requests"], "limit": lim,
                          "met": s["requests"] <= lim}
        ok_req &= s["requests"] <= lim
    x = extrapolated(r)
    return {
        "requests_per_step": {"met": ok_req, "steps": per_step},
        "speedup_vs_curl_ge_20": {"value": r["speedup_vs_curl"],
                                  "met": r["speedup_vs_curl"] >= 20,
                                  "extrapolated": x["speedup_vs_curl"]},
        "efficiency_ge_0.8": {"value": r["efficiency"],
                              "met": r["efficiency"] >= 0.8},
        "rss_le_32MiB": {"value_kib": h["rss_kib"],
                         "met": h["rss_kib"] <= 32 * 1024},
        "dns_qps_ge_5000": {"value": r["dns"]["qps"],
                            "met": r["dns"]["qps"] >= 5000},
        "dns_speedup_ge_20": {"value": r["dns"]["speedup"],
                              "met": r["dns"]["speedup"] >= 20,
                              "extrapolated": x["dns_speedup"]},
    }


def target_words(t, met="met", missed="**missed**"):
    """'name met' / 'name **missed**', '(extrapolated)' when it rests on an
    extrapolated figure (flag stored, or derived for older results)."""
    return "; ".join("%s %s%s" % (k, met if v["met"] else missed,
                                  " (extrapolated)" if v.get("extrapolated")
                                  else "") for k, v in t.items())


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
    lines = [begin, "",
             "Latest run: %s on %d cores (%s), Linux %s; load average %s "
             "before, %s after."
             % (res["date"][:10], m["cpus"], m["cpu"] or "unknown CPU",
                m["kernel"], res.get("load_avg_before"),
                res.get("load_avg_after")),
             "Emulator latency %d ms per request, %d ms per operation; "
             "batch_size %d." % (res["latency_request_ms"],
                                 res["latency_op_ms"], res["batch_size"]),
             "", "```", table(res), "```", ""]
    for r in res["runs"]:
        t = dict(r["targets"])
        x = extrapolated(r)
        for k, flag in (("speedup_vs_curl_ge_20", x["speedup_vs_curl"]),
                        ("dns_speedup_ge_20", x["dns_speedup"])):
            if k in t:
                t[k] = dict(t[k], extrapolated=flag)
        lines.append("- n=%d: %s." % (r["n"], target_words(t)))
        h = r["helper"]
        lines.append("  Helper %.1f s of which %.1f s waiting for the panel "
                     "(bound %.1f s; in-panel efficiency %.2f), CPU %.1f s; "
                     "steps: %s. Emulator with %d zones: primary up in %.1f s, "
                     "secondary serving every zone after %.1f s." % (
                         h["wall_s"], h.get("panel_s", 0), r["bound_s"],
                         r.get("efficiency_in_panel", 0),
                         h.get("user_s", 0) + h.get("sys_s", 0),
                         ", ".join("%s %.1f s (%d req, %d ops, %d DNS)" % (
                             k, v["wall_s"], v["requests"], v["ops"],
                             v["dns_queries"])
                             for k, v in h["steps"].items()),
                         r["n"], r.get("emulator_primary_up_s", 0),
                         r.get("emulator_startup_s", 0)))
    lines += ["", end]
    a, b = text.index(begin), text.index(end) + len(end)
    with open(path, "w") as f:
        f.write(text[:a] + "\n".join(lines) + text[b:])


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
           "batch_size": BATCH, "runs": []}
    base = {}
    sims = []
    try:
        for n in sorted(NS):
            log("== n=%d" % n)
            fx = os.path.join(OUT, "fixture-%d.json" % n)
            names = fixture(n, fx)
            run = {"n": n}
            sim = Sim("sim-%d" % n, fx, names)
            sims.append(sim)
            run["emulator_startup_s"] = round(sim.startup_s, 2)
            run["emulator_primary_up_s"] = round(sim.primary_s, 2)
            log("  emulator with %d zones up in %.1f s (primary serving), "
                "secondary serving every zone after %.1f s" % (
                    n, sim.primary_s, sim.startup_s))
            log(" helper, batch_size %d:" % BATCH)
            run["helper"] = run_helper(sim, names, BATCH, "helper-%d" % n)
            run["dns"] = dns_bench(names, n, "dns-%d" % n)
            sim.down()
            sims.remove(sim)
            if n == BASE_N:
                for kind in ("batch1", "curl"):
                    sim = Sim("sim-%d-%s" % (n, kind), fx, names)
                    sims.append(sim)
                    log(" baseline %s:" % kind)
                    if kind == "batch1":
                        base[kind] = run_helper(sim, names, 1,
                                                "batch1-%d" % n)
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
            least, run["bound_s"] = bound(run["helper"])
            run["bound_requests"] = least
            run["efficiency"] = round(run["bound_s"] /
                                      run["helper"]["wall_s"], 3)
            h = run["helper"]
            if h.get("panel_s"):
                # time inside curl_easy_perform: the panel's latency model
                # plus the emulator's own work (zone files, BIND reloads)
                run["panel_s"] = h["panel_s"]
                run["efficiency_in_panel"] = round(run["bound_s"] /
                                                   h["panel_s"], 3)
                run["outside_panel_s"] = round(h["wall_s"] - h["panel_s"], 3)
            run["speedup_vs_curl"] = round(run["baseline_curl"]["wall_s"] /
                                           run["helper"]["wall_s"], 1)
            run["speedup_vs_batch1"] = round(
                run["baseline_batch1"]["wall_s"] / run["helper"]["wall_s"], 1)
            x = extrapolated(run)
            run["speedup_vs_curl_extrapolated"] = x["speedup_vs_curl"]
            run["speedup_vs_batch1_extrapolated"] = x["speedup_vs_batch1"]
            run["targets"] = targets(run)
            res["runs"].append(run)
    finally:
        for s in sims:
            s.down()
    res["load_avg_before"] = load_before
    res["load_avg_after"] = load_avg()
    res["note"] = (
        "Load averages measured before and after: load_avg_*. Baselines "
        "measured at n=%d and extrapolated linearly to larger n (marked "
        "extrapolated, as is every figure derived from them: "
        "speedup_vs_*_extrapolated, targets[...].extrapolated); the dig loop "
        "at large n is a sample of %d queries, extrapolated "
        "(dig_extrapolated, dns.speedup_extrapolated). The curl baseline's "
        "DNS queries are counted by bench/dnscount.so like the helper's. "
        "bound_s = sum over steps of ceil(ops/%d) x %d ms + ops x %d ms; the "
        "emulator's own work per packet (rewriting and reloading every "
        "changed zone in BIND, waiting for the new serial) is not in the "
        "bound." % (BASE_N, DIG_SAMPLE, BATCH, L_MS, OP_MS))
    res["failures"] = FAILURES
    with open(RESULTS, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    if FAILURES:
        log("")
        log("bench FAILED (%d run%s failed; README.md not updated):" % (
            len(FAILURES), "" if len(FAILURES) == 1 else "s"))
        for x in FAILURES:
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
