"""Helpers for system tests: the Plesk emulator, the helper binary, dig.

Everything runs on loopback test hosts (127.0.2.10 old server's panel,
127.0.53.1 primary DNS, 127.0.53.2 secondary DNS) and is stopped by the
test that started it.
"""
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIM = os.path.join(ROOT, "tests", "plesk-sim", "plesk-sim")
HELPER = os.environ.get("MAILCUTOVER_BIN", os.path.join(ROOT, "mailcutover"))
OUT = os.path.join(ROOT, "tests", "out", "system")
KEY = "24f8c5e5-fcb5-bdfc-aac0-7bff0e800334"
PASSWORD = "s3cret&<pw>"
XSD_DIR = os.environ.get("PLESK_XSD_DIR",
                         os.path.join(ROOT, "..", "shared", "plesk-xsd"))


class Sim:
    """One emulator with its BIND primary (and secondary)."""

    # the directory of every emulator this process started: a test that
    # checks nothing is left behind looks for these only (other suites
    # may run at the same time, in their own network namespaces)
    started = []

    def __init__(self, name, fixture, listen="127.0.2.10:8443",
                 plesk="obsidian", primary="127.0.53.1",
                 secondary="127.0.53.2", notify=True, trace=True,
                 extra=(), external=None):
        self.dir = os.path.join(OUT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        Sim.started.append(self.dir)
        self.listen = listen
        self.url = "https://" + listen
        self.primary = primary
        self.secondary = secondary
        self.trace = os.path.join(self.dir, "trace") if trace else None
        args = [SIM, "up", "--dir", self.dir, "--fixture", fixture,
                "--listen", listen, "--plesk", plesk,
                "--primary", primary]
        if secondary:
            args += ["--secondary", secondary]
        elif external:
            args += ["--external-secondary", external]
        elif "--role" not in extra:
            args += ["--no-secondary"]
        args += list(extra)
        if not notify:
            args += ["--no-notify"]
        if self.trace:
            args += ["--trace-dir", self.trace]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            self.down()
            raise RuntimeError("plesk-sim up failed: %s %s" %
                               (r.stdout, r.stderr))
        with open(os.path.join(self.dir, "pin")) as f:
            self.pin = f.read().strip()
        self.ctx = ssl.create_default_context(
            cafile=os.path.join(self.dir, "cert.pem"))
        self.ctx.check_hostname = False

    def down(self):
        subprocess.run([SIM, "down", "--dir", self.dir],
                       capture_output=True, timeout=60)

    def ctl(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def state(self):
        return self.ctl("GET", "/__sim/state")

    def counters(self):
        return self.ctl("GET", "/__sim/counters")

    def fault(self, **kw):
        return self.ctl("POST", "/__sim/fault", kw)

    def config(self, **kw):
        return self.ctl("POST", "/__sim/config", kw)

    def serial(self, zone):
        return self.ctl("GET", "/__sim/serial?zone=" + zone)["serial"]


def write_secret(path, value, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.write(fd, (value + "\n").encode())
    os.close(fd)
    os.chmod(path, mode)


def write_config(path, sim=None, url=None, pin=None, secret_file=None,
                 extra="", auth="key", login=None, section="source",
                 target=None):
    lines = ["# written by the system tests", "[%s]" % section]
    lines.append("url = %s" % (url or sim.url))
    lines.append("auth = %s" % auth)
    if login:
        lines.append("login = %s" % login)
    lines.append("secret_file = %s" % secret_file)
    if pin is None and sim is not None:
        pin = sim.pin
    if pin:
        lines.append("pin = %s" % pin)
    lines.append(extra)
    if target:
        lines.append(target)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Result:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err
        try:
            self.json = json.loads(out) if out.strip() else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "rc=%d out=%r err=%r" % (self.rc, self.out[:800],
                                         self.err[:800])


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def faketime_env(seconds):
    """Run a program SECONDS in the future: libfaketime preloaded directly
    (the faketime wrapper forks, so a SIGKILL would miss the helper)."""
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "%+ds" % seconds,
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_NO_CACHE": "1"}


# Sanitizer builds (make sanitize) must never exit with 1, the helper's own
# "some domain failed": they get their own exit codes (tests/run.sh sets
# the same), and any report on the helper's stderr fails the test.
SAN_EXIT = {86: "AddressSanitizer", 87: "UndefinedBehaviorSanitizer"}
SAN_REPORT = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
              "ERROR: UndefinedBehaviorSanitizer")
for _var, _opts in (("ASAN_OPTIONS", "exitcode=86"),
                    ("UBSAN_OPTIONS", "halt_on_error=1:exitcode=87")):
    if _opts not in os.environ.get(_var, ""):
        os.environ[_var] = ":".join(x for x in (os.environ.get(_var), _opts)
                                    if x)


class SanitizerReport(AssertionError):
    pass


def san_check(rc, err, what):
    """Fail (SanitizerReport) when a run of the helper ended in a
    sanitizer's exit code or its stderr holds a sanitizer report."""
    hit = [p for p in SAN_REPORT if p in (err or "")]
    if hit or rc in SAN_EXIT:
        at = (err or "").find(hit[0]) if hit else 0
        raise SanitizerReport("%s: %s (exit %s): %s" % (
            what, hit[0] if hit else SAN_EXIT[rc], rc,
            (err or "")[max(at - 200, 0):at + 1200]))


def helper(config, *args, stdin=None, timeout=120, env=None, prefix=(),
           fake=None, as_json=True):
    """Run the helper; fake=N runs it N seconds in the future (faketime);
    as_json=False: its text report instead of --json.
    A sanitizer report fails the calling test (san_check)."""
    if fake is not None:
        env = dict(env or os.environ)
        env.update(faketime_env(fake))
    cmd = list(prefix) + [HELPER, "--config", config] + (
        ["--json"] if as_json else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, input=stdin,
                       timeout=timeout, env=env)
    san_check(r.returncode, r.stderr, " ".join(args))
    return Result(r.returncode, r.stdout, r.stderr)


def dig(server, name, rtype="A", tcp=False, timeout=2, tries=2):
    """(status, sorted answer data) of NAME/RTYPE from SERVER (authoritative,
    no recursion). status is the reply's rcode ("NOERROR", "NXDOMAIN",
    "REFUSED", "SERVFAIL", ...) or, when no reply came, "timeout" or
    "unreachable" (connection refused: nothing listens), so a dead server
    never looks like an empty answer. Callers assert the status."""
    args = ["dig", "+norec", "+noall", "+comments", "+answer",
            "+time=%d" % timeout, "+tries=%d" % tries, "@" + server, name,
            rtype]
    if tcp:
        args.insert(1, "+tcp")
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return dig_parse(r.stdout + r.stderr)


def dig_parse(out):
    """dig_parse(dig's output) -> (status, sorted answer data)."""
    status, data = None, []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith(";") or not line:
            if "->>HEADER<<-" in line and "status:" in line:
                status = line.split("status:", 1)[1].split(",")[0].strip()
            elif status is None and "timed out" in line:
                status = "timeout"
            elif status is None and "connection refused" in line:
                status = "unreachable"
            continue
        f = line.split(None, 4)
        if len(f) == 5:
            data.append(f[4])
    if status is None:
        status = "unreachable" if "no servers could be reached" in out \
            else "error: " + (out.strip().splitlines() or ["no output"])[-1]
    return status, sorted(data)


def soa_serial(server, zone):
    """The SOA serial SERVER serves for ZONE; fails unless it answers
    NOERROR with a SOA."""
    status, out = dig(server, zone, "SOA")
    check(status == "NOERROR" and out, "SOA of %s from %s" % (zone, server),
          status, out)
    return int(out[0].split()[2])


def wait_for(pred, timeout=20.0, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Runner:
    """Tiny test runner: each test is a function; asserts fail it."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def run(self, name, fn, *args):
        t0 = time.time()
        try:
            fn(*args)
        except Skip as e:
            self.skipped += 1
            print("skip - %s: %s" % (name, e), flush=True)
            return
        except Exception as e:  # noqa: BLE001 - report every failure
            self.failed += 1
            print("FAIL - %s: %s: %s" % (name, type(e).__name__, e),
                  flush=True)
            return
        self.passed += 1
        print("ok   - %s (%.1fs)" % (name, time.time() - t0), flush=True)

    def summary(self):
        print("%d passed, %d failed, %d skipped" % (self.passed, self.failed,
                                                    self.skipped))
        return 1 if self.failed else 0


class Skip(Exception):
    pass


def check(cond, msg, *extra):
    if not cond:
        raise AssertionError(msg + ("" if not extra else
                                    " | " + " | ".join(map(repr, extra))))
