"""plesk-sim: CLI (up/down/ctl), the HTTPS server and the BIND 9 backend."""
import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from lxml import etree

import simapi

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "plesk-sim")
PY = "/usr/bin/python3"
NAMED = shutil.which("named") or "/usr/sbin/named"
RNDC = shutil.which("rndc") or "/usr/sbin/rndc"
MAILBED = os.path.join(os.path.dirname(HERE), "mail", "mailbed")


def die(msg, code=1):
    sys.stderr.write("plesk-sim: %s\n" % msg)
    sys.exit(code)


def now_s():
    return time.strftime("%Y-%m-%d %H:%M:%S")


_log_lock = threading.Lock()


def log(msg):
    with _log_lock:
        sys.stderr.write("%s %s\n" % (now_s(), msg))
        sys.stderr.flush()


# ----------------------------------------------------------------------
# process helpers (zombie aware: the container's PID 1 reaps lazily)
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, IndexError):
        return False


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def stop_pid(pid, expect, timeout=5.0):
    """SIGTERM, wait, SIGKILL. Only if the cmdline contains `expect`."""
    if pid is None or not alive(pid):
        return
    if expect and expect not in cmdline(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    t_end = time.time() + timeout
    while time.time() < t_end:
        if not alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    t_end = time.time() + 2
    while time.time() < t_end and alive(pid):
        time.sleep(0.02)


# ----------------------------------------------------------------------
# minimal DNS SOA query (avoids spawning dig on every change)
def _skip_name(buf, off):
    while True:
        ln = buf[off]
        if ln & 0xC0 == 0xC0:
            return off + 2
        if ln == 0:
            return off + 1
        off += ln + 1


def soa_query(server, zone, timeout=0.3):
    """-> (rcode, serial or None); (None, None) on timeout."""
    qid = random.randint(0, 0xFFFF)
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in zone.rstrip(".").split("."):
        b = label.encode("ascii")
        q += bytes([len(b)]) + b
    q += b"\0" + struct.pack(">HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q, (server, 53))
        t_end = time.time() + timeout
        while True:
            buf, _ = s.recvfrom(4096)
            if len(buf) >= 12 and struct.unpack(">H", buf[:2])[0] == qid:
                break
            if time.time() > t_end:
                return None, None
    except (socket.timeout, OSError):
        return None, None
    finally:
        s.close()
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", buf[:12])
    rcode = flags & 0xF
    off = 12
    for _ in range(qd):
        off = _skip_name(buf, off) + 4
    for _ in range(an):
        off = _skip_name(buf, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", buf[off:off + 10])
        off += 10
        if rtype == 6:
            p = _skip_name(buf, off)
            p = _skip_name(buf, p)
            return rcode, struct.unpack(">I", buf[p:p + 4])[0]
        off += rdlen
    return rcode, None


# ----------------------------------------------------------------------
class Bind:
    """A real BIND 9 primary (zone files written here) and secondary.

    role "primary" (default): named "primary" on cfg.primary serves the fixture's zones
    as master zones; named "secondary" on cfg.secondary (unless no_secondary or
    external secondaries are given) transfers them.
    role "secondary": ONE named, called "secondary" (secondary/, named-secondary.*),
    listens on cfg.primary (alias --dns) and holds every enabled zone as a
    secondary zone of cfg.master. Its data comes only from zone transfers."""

    def __init__(self, d, cfg, state):
        self.dir = d
        self.role = cfg.get("role") or "primary"
        self.primary = cfg["primary"]            # this instance's own DNS address (both roles)
        self.master = cfg.get("master") if self.role == "secondary" else None
        self.external = list(cfg.get("external_secondaries") or [])
        if self.role == "secondary" or cfg.get("no_secondary") or self.external:
            self.secondary = None
        else:
            self.secondary = cfg["secondary"]
        self.notify = not cfg.get("no_notify") and self.role == "primary"
        # BIND's pace of zone checks: a secondary's serial-query-rate and a
        # primary's notify-rate (BIND's default 20 each); None: the default
        self.rate = cfg.get("serial_query_rate")
        self.enable_timeout = 10.0
        self.state = state
        self.procs = {}
        self.secondary_zones = set()
        self.lock = threading.RLock()
        self.secret = base64.b64encode(os.urandom(32)).decode()
        self.errors = 0

    def ip(self, role):
        """Address of the named called `role`."""
        if role == "primary" or self.role == "secondary":
            return self.primary
        return self.secondary

    def own_role(self):
        """The named whose zones the API manages: "primary", or "secondary" in the secondary role."""
        return "secondary" if self.role == "secondary" else "primary"

    def notify_targets(self):
        return ([self.secondary] if self.secondary else []) + self.external

    # paths
    def sdir(self, role):
        return os.path.join(self.dir, role)

    def zfile(self, role, name):
        return os.path.join(self.sdir(role), "zones", name + ".db")

    def key_block(self):
        return 'key "plesk-sim-rndc" { algorithm hmac-sha256; secret "%s"; };\n' % self.secret

    def write_rndc_conf(self):
        p = os.path.join(self.dir, "rndc.conf")
        with open(p, "w") as f:
            f.write(self.key_block())
            f.write('options { default-key "plesk-sim-rndc"; default-port 953; };\n')
        os.chmod(p, 0o600)
        names = ["rndc.key"]
        if self.role == "secondary":
            names.append("rndc-secondary.key")
        else:
            names.append("rndc-primary.key")
            if self.secondary:
                names.append("rndc-secondary.key")
        for n in ("rndc-primary.key", "rndc-secondary.key"):
            try:
                os.unlink(os.path.join(self.dir, n))   # none left over from a run of another role
            except OSError:
                pass
        for n in names:
            kp = os.path.join(self.dir, n)
            fd = os.open(kp + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(self.key_block())
            os.chmod(kp + ".tmp", 0o600)
            os.replace(kp + ".tmp", kp)

    def options(self, role, ip):
        d = self.sdir(role)
        o = ['options {',
             '  directory "%s";' % d,
             '  pid-file none;',
             '  session-keyfile none;',
             '  managed-keys-directory "%s";' % d,
             '  listen-on port 53 { %s; };' % ip,
             '  listen-on-v6 { none; };',
             '  recursion no;',
             '  dnssec-validation no;',
             '  allow-query { any; };',
             '  allow-transfer { %s};' % "".join("%s; " % a for a in ["127.0.0.0/8"] + self.external),
             '  notify-source %s;' % ip,
             '  transfer-source %s;' % ip]
        if self.rate:
            # the primary's NOTIFYs and a secondary's SOA checks both pace
            # a zone's catching up: one knob for both
            o.append('  serial-query-rate %d;' % self.rate)
            o.append('  notify-rate %d;' % self.rate)
            o.append('  startup-notify-rate %d;' % self.rate)
        if role == "primary" and self.notify and self.notify_targets():
            o.append('  notify explicit;')
            o.append('  also-notify { %s};' % "".join("%s; " % a for a in self.notify_targets()))
        else:
            o.append('  notify no;')
        o.append('};')
        o.append('controls { inet %s port 953 allow { 127.0.0.0/8; } keys { "plesk-sim-rndc"; }; };' % ip)
        return self.key_block() + "\n".join(o) + "\n"

    def write_conf(self, role):
        ip = self.ip(role)
        text = self.options(role, ip)
        if role == "primary" and self.role == "primary":
            for z in self.state.static_zones:
                text += 'zone "%s" { type primary; file "%s"; };\n' % (z.name, self.zfile("primary", z.name))
        if self.role == "secondary":
            for z in sorted(self.state.zones.values(), key=lambda z: z.name):
                if z.status == "enabled":
                    # allow-notify: the operator lets the new server (the
                    # helper, on loopback here) NOTIFY this secondary; the
                    # helper's "notify" refresh method needs it
                    text += ('zone "%s" { type secondary; primaries { %s; }; file "%s"; '
                             'allow-notify { 127.0.0.0/8; }; '
                             'masterfile-format text; };\n' % (z.name, self.master, self.zfile(role, z.name)))
        elif role == "primary":
            for z in sorted(self.state.zones.values(), key=lambda z: z.name):
                if z.status == "enabled":
                    text += 'zone "%s" { type primary; file "%s"; };\n' % (z.name, self.zfile("primary", z.name))
        else:
            for name in sorted(self.secondary_zones):
                text += ('zone "%s" { type secondary; primaries { %s; }; file "%s"; '
                         'allow-notify { 127.0.0.0/8; }; '
                         'masterfile-format text; };\n' % (name, self.primary, self.zfile("secondary", name)))
        p = os.path.join(self.sdir(role), "named.conf")
        with open(p + ".tmp", "w") as f:
            f.write(text)
        os.replace(p + ".tmp", p)
        return p

    def write_zone(self, z):
        p = self.zfile("primary", z.name)
        with open(p + ".tmp", "w") as f:
            f.write(simapi.render_zone(z))
        os.replace(p + ".tmp", p)
        # mtime = serial: strictly increasing, so `rndc reload` never sees "up-to-date"
        os.utime(p, (z.serial, z.serial))

    def rndc(self, ip, *args):
        r = subprocess.run([RNDC, "-c", os.path.join(self.dir, "rndc.conf"), "-s", ip, "-p", "953"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        out = r.stdout.decode("utf-8", "replace").strip()
        if r.returncode != 0:
            log("rndc %s %s failed: %s" % (ip, " ".join(args), out))
        return r.returncode, out

    def spawn(self, role):
        conf = self.write_conf(role)
        logf = open(os.path.join(self.dir, "named-%s.log" % role), "ab")
        p = subprocess.Popen([NAMED, "-g", "-c", conf], stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT, close_fds=True)
        logf.close()
        self.procs[role] = p
        with open(os.path.join(self.dir, "named-%s.pid" % role), "w") as f:
            f.write("%d\n" % p.pid)
        return p

    def wait_served(self, role, ip, zones, timeout):
        t_end = time.time() + timeout
        pending = dict((z.name, z.serial) for z in zones)
        while pending:
            p = self.procs.get(role)
            if p is not None and p.poll() is not None:
                raise RuntimeError("named (%s) exited with %s; see %s" % (
                    role, p.returncode, os.path.join(self.dir, "named-%s.log" % role)))
            for name, serial in list(pending.items()):
                rc, s = soa_query(ip, name, 0.2)
                if rc == 0 and s is not None and s >= serial:
                    del pending[name]
            if not pending:
                break
            if time.time() > t_end:
                raise RuntimeError("named (%s on %s) did not serve %s within %ss" % (
                    role, ip, ", ".join(sorted(pending)), timeout))
            time.sleep(0.03)

    def wait_loaded(self, role, names, timeout):
        """Poll SOA on the named `role` until each zone answers NOERROR with a SOA.
        -> {name: serial} of the zones still not loaded at the timeout ({} = all loaded)."""
        ip = self.ip(role)
        t_end = time.time() + timeout
        pending = set(names)
        while pending:
            p = self.procs.get(role)
            if p is not None and p.poll() is not None:
                raise RuntimeError("named (%s) exited with %s; see %s" % (
                    role, p.returncode, os.path.join(self.dir, "named-%s.log" % role)))
            for name in sorted(pending):
                rc, s = soa_query(ip, name, 0.2)
                if rc == 0 and s is not None:
                    pending.discard(name)
            if not pending or time.time() > t_end:
                break
            time.sleep(0.05)
        return pending

    def served_serial(self, name):
        """(rcode, serial) of `name` as served by this instance's own named."""
        return soa_query(self.primary, name, 0.3)

    def start(self):
        if self.role == "secondary":
            return self.start_secondary_role()
        for role in ("primary", "secondary"):
            shutil.rmtree(self.sdir(role), ignore_errors=True)
            if role == "primary" or self.secondary:
                os.makedirs(os.path.join(self.sdir(role), "zones"))
        self.write_rndc_conf()
        for z in list(self.state.zones.values()) + self.state.static_zones:
            self.write_zone(z)
        enabled = [z for z in self.state.zones.values() if z.status == "enabled"]
        self.spawn("primary")
        # about 1000 zones a second, plus a margin
        self.wait_served("primary", self.primary, enabled + self.state.static_zones, 10 + len(enabled) / 500.0)
        if self.secondary:
            self.secondary_zones = set(z.name for z in enabled)
            self.spawn("secondary")
            self.wait_served("secondary", self.secondary, enabled,
                             15 + len(enabled) / float(self.rate or 20))

    def start_secondary_role(self):
        for role in ("primary", "secondary"):
            shutil.rmtree(self.sdir(role), ignore_errors=True)
        os.makedirs(os.path.join(self.sdir("secondary"), "zones"))
        self.write_rndc_conf()
        names = [z.name for z in self.state.zones.values() if z.status == "enabled"]
        self.spawn("secondary")
        t0 = time.time()
        missing = self.wait_loaded("secondary", names, 10)
        if missing:
            log("secondary role: zones not transferred from master %s within 10 s: %s "
                "(master down or zone not served there; BIND retries on its own)"
                % (self.master, ", ".join(sorted(missing))))
        else:
            log("secondary role: %d zones transferred from master %s in %.2f s"
                % (len(names), self.master, time.time() - t0))

    def stop(self):
        for role in ("secondary", "primary"):
            p = self.procs.pop(role, None)
            if p is None:
                continue
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(2)
            try:
                os.unlink(os.path.join(self.dir, "named-%s.pid" % role))
            except OSError:
                pass

    def set_notify(self, on):
        if self.role == "secondary":
            raise ValueError("the notify knob applies to the primary role only")
        with self.lock:
            self.notify = bool(on)
            self.write_conf("primary")
            self.rndc(self.primary, "reconfig")

    def _unlink_zone_files(self, role, name):
        for suffix in ("", ".jnl"):
            try:
                os.unlink(self.zfile(role, name) + suffix)
            except OSError:
                pass

    def commit_secondary_role(self, zones):
        """Secondary role: only zone status changes reach BIND. Disabling drops the slave
        zone and deletes its file (as Plesk does); enabling re-adds it, so BIND transfers
        it fresh from the master. Returns once the zone is REFUSED / loaded again."""
        with self.lock:
            for z in zones:
                if z.status == "enabled":
                    self._unlink_zone_files("secondary", z.name)
            self.write_conf("secondary")
            self.rndc(self.primary, "reconfig")
            for z in zones:
                if z.status == "disabled":
                    self._unlink_zone_files("secondary", z.name)
                    t_end = time.time() + 5
                    while True:
                        rc, _ = soa_query(self.primary, z.name, 0.2)
                        if rc == 5:
                            break
                        if time.time() > t_end:
                            self.errors += 1
                            log("BIND: slave zone %s still answered (rcode %s) after disable" % (z.name, rc))
                            break
                        time.sleep(0.02)
                    log("secondary role: zone %s disabled (removed from named, zone file deleted)" % z.name)
                else:
                    t0 = time.time()
                    if self.wait_loaded("secondary", [z.name], self.enable_timeout):
                        log("secondary role: zone %s NOT transferred from master %s within %.1f s; "
                            "replying ok anyway (BIND keeps retrying)" % (z.name, self.master, self.enable_timeout))
                    else:
                        log("secondary role: zone %s enabled, transferred from master %s, serial %s (%.2f s)" % (
                            z.name, self.master, self.served_serial(z.name)[1], time.time() - t0))

    def commit(self, zones, reconfig=False):
        """Write zone files, make BIND load them, return when the primary serves them."""
        if self.role == "secondary":
            return self.commit_secondary_role(zones)
        with self.lock:
            for z in zones:
                self.write_zone(z)
            new_sec = False
            if reconfig:
                self.write_conf("primary")
                self.rndc(self.primary, "reconfig")
                if self.secondary:
                    for z in zones:
                        if z.status == "enabled" and z.name not in self.secondary_zones:
                            self.secondary_zones.add(z.name)
                            new_sec = True
            for z in zones:
                if z.status == "enabled":
                    self.rndc(self.primary, "reload", z.name)
            for z in zones:
                self._verify(z)
            if new_sec:
                self.write_conf("secondary")
                self.rndc(self.secondary, "reconfig")

    def _verify(self, z):
        t_end = time.time() + 5
        retried = False
        while True:
            rc, serial = soa_query(self.primary, z.name, 0.2)
            if z.status == "enabled" and rc == 0 and serial == z.serial:
                return
            if z.status == "disabled" and rc == 5:
                return
            if time.time() > t_end:
                self.errors += 1
                log("BIND: zone %s not loaded as expected (rcode %s serial %s, want %s %s); see named-primary.log"
                    % (z.name, rc, serial, z.status, z.serial))
                return
            if not retried and z.status == "enabled" and time.time() > t_end - 4:
                retried = True
                p = self.zfile("primary", z.name)
                os.utime(p, (z.serial + 1, z.serial + 1))
                self.rndc(self.primary, "reload", z.name)
            time.sleep(0.02)


# ----------------------------------------------------------------------
# run-time behaviour options: CLI option / run.json key / /__sim/config key -> allowed values
KNOBS = {"name_lookup": ("stored", "both"), "get_rec_unknown_site": ("empty", "fail"),
         "soa_partial": ("keep", "reset"), "locale": simapi.LOCALES}


class Sim:
    """Shared server state: API, counters, faults, knobs, schemas."""

    def __init__(self, d, cfg):
        self.dir = d
        self.cfg = cfg
        with open(cfg["fixture"], encoding="utf-8") as f:
            fixture = json.load(f)
        self.state = simapi.State(fixture)
        self.bind = Bind(d, cfg, self.state)
        self.api = simapi.Api(self.state, cfg["plesk"], backend=self.bind, log=log)
        if self.bind.role == "secondary":
            self.api.zone_type = "slave"
        for k in KNOBS:
            if cfg.get(k):
                setattr(self.api, k, cfg[k])
        self.mailbed = cfg.get("mailbed")
        self.mail_errors = 0
        self.usage_mode = cfg.get("mailbox_usage") or "live"
        self.usage_refreshed = None
        if self.mailbed:
            self.api.mail_hook = self.mail_hook
            if self.usage_mode == "live":
                # mailbox usage summed from the real Maildirs on every call
                self.api.maildir_base = os.path.join(self.mailbed, "mail")
            else:
                # "daily statistics": the figures of the last refresh only
                self.refresh_usage()
        self.held = {}           # seq -> held request (fault kind "hold")
        self.lock = self.state.lock
        self.clock = threading.Lock()
        self.reset_counters()
        self.faults = []
        self.latency_request_ms = 0
        self.trace_dir = cfg.get("trace_dir")
        self.trace_seq = 0
        self.in_schema = self.out_schema = None
        xsd = os.path.join(d, "xsd")
        if cfg.get("xsd") and os.path.isfile(os.path.join(xsd, "agent_input.xsd")):
            self.in_schema = etree.XMLSchema(etree.parse(os.path.join(xsd, "agent_input.xsd")))
            self.out_schema = etree.XMLSchema(etree.parse(os.path.join(xsd, "agent_output.xsd")))
        else:
            log("XSD directory not found: request validation and reply self-check are OFF")
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                      dtd_validation=False, huge_tree=False)

    def mail_hook(self, d, enabled, was):
        """Plesk's mail on/off on a real Postfix: the domain stops (or
        starts again) being a local virtual mailbox domain, then postfix
        reload; the reply is sent only after a new SMTP session sees it."""
        dom = d["ascii_name"]
        try:
            with open(os.path.join(self.mailbed, "state.json")) as f:
                bed = json.load(f)
        except (OSError, ValueError) as e:
            self.mail_errors += 1
            log("mailbed %s: no bed state (%s); mail %s of %s not applied to Postfix" % (
                self.mailbed, e, "enable" if enabled else "disable", dom))
            return
        if dom not in bed.get("all_domains", []):
            log("mailbed: %s is not served by the bed in %s: Postfix untouched" % (dom, self.mailbed))
            return
        cmd = [MAILBED, "enable-domain" if enabled else "disable-domain",
               "--dir", self.mailbed, "--domain", dom]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        out = r.stdout.decode("utf-8", "replace").strip()
        if r.returncode != 0:
            self.mail_errors += 1
        log("mail %s %s (was %s): %s" % ("enable" if enabled else "disable", dom,
                                         "on" if was else "off", out))

    def refresh_usage(self):
        """--mailbox-usage daily: copy the Maildirs' sizes into the state,
        as Plesk's daily statistics job does; mail get_info reports these
        figures until the next refresh (POST /__sim/mailbox-usage/refresh)."""
        if self.mailbed and self.usage_mode == "daily":
            live = type("Live", (), {"maildir_base": os.path.join(self.mailbed, "mail")})()
            with self.state.lock:
                for d in self.state.domains.values():
                    for m in d.get("mail", {}).get("mailnames", []):
                        m["usage"] = simapi._usage(live, d, m)
        self.usage_refreshed = time.time()
        log("mailbox usage refreshed (%s)" % self.usage_mode)

    def usage_json(self):
        return {"mode": self.usage_mode, "mailbed": bool(self.mailbed),
                "refreshed_at": self.usage_refreshed}

    def reset_counters(self):
        self.counters = {"requests": 0, "ops": 0, "connections": 0, "by_op": {},
                         "system_errors": 0, "faults_fired": 0, "invalid_replies": 0,
                         "partial_soa_sets": 0}

    def config_json(self):
        out = {"latency_request_ms": self.latency_request_ms, "latency_op_ms": self.api.latency_op_ms,
               "notify": self.bind.notify, "enable_timeout_s": self.bind.enable_timeout}
        for k in KNOBS:
            out[k] = getattr(self.api, k)
        return out

    def dns_json(self):
        """Role, addresses and, per zone, the serial this instance's named serves (SOA query)."""
        b = self.bind
        with self.lock:
            zones = sorted((z.name, z.status) for z in self.state.zones.values())
        out = {}
        for name, status in zones:
            rc, serial = b.served_serial(name)
            out[name] = {"serial": serial if rc == 0 else None, "status": status}
        return {"role": b.role, "dns": b.primary, "master": b.master,
                "secondaries": b.notify_targets() if b.role == "primary" else [],
                "notify": b.notify, "zones": out}

    def counters_json(self):
        with self.clock:
            c = json.loads(json.dumps(self.counters))
        c["bind_errors"] = self.bind.errors
        c["mail_errors"] = self.mail_errors
        return c

    # faults ----------------------------------------------------------
    def take_fault(self, body):
        with self.clock:
            if not self.faults:
                return None
            ops = set()
            try:
                root = etree.fromstring(body, self.parser)
                for opr, opl in simapi.Api.operations(root):
                    for op in opl:
                        ops.add("%s.%s" % (opr.tag, op.tag))
            except Exception:
                pass
            for f in self.faults:
                if f["count"] > 0 and (not f.get("match") or f["match"] in ops):
                    f["count"] -= 1
                    self.counters["faults_fired"] += 1
                    fault = dict(f)
                    self.faults = [x for x in self.faults if x["count"] > 0]
                    return fault
            return None

    def hold(self, seq, fault, body):
        """Fault kind "hold": the request has arrived (it is listed by GET
        /__sim/held) and waits until POST /__sim/fault/release (or
        delay_s), then runs normally."""
        ops = []
        try:
            root = etree.fromstring(body, self.parser)
            ops = ["%s.%s" % (opr.tag, op.tag) for opr, opl in simapi.Api.operations(root) for op in opl]
        except Exception:
            pass
        h = {"seq": seq, "match": fault.get("match"), "ops": ops, "since": time.time(),
             "release": threading.Event(), "done": threading.Event()}
        with self.clock:
            self.held[seq] = h
        log("hold: request %d (%s) held" % (seq, ", ".join(ops)))
        if not h["release"].wait(float(fault.get("delay_s", 60))):
            log("hold: request %d released by its delay_s" % seq)
        with self.clock:
            h["released"] = True

    def held_done(self, seq):
        with self.clock:
            h = self.held.pop(seq, None)
        if h:
            h["done"].set()
            log("hold: request %d applied" % seq)

    def held_json(self):
        with self.clock:
            return {"held": [{"seq": h["seq"], "match": h["match"], "ops": h["ops"],
                              "held_s": round(time.time() - h["since"], 3)}
                             for h in self.held.values() if not h.get("released")]}

    def release(self, timeout=30):
        """Let every held request go on; return once each has been applied."""
        with self.clock:
            hs = list(self.held.values())
        for h in hs:
            h["release"].set()
        applied = sum(1 for h in hs if h["done"].wait(timeout))
        return {"ok": applied == len(hs), "released": len(hs), "applied": applied}

    # tracing -----------------------------------------------------------
    def next_seq(self):
        with self.clock:
            self.trace_seq += 1
            return self.trace_seq

    def trace(self, seq, kind, data):
        if not self.trace_dir:
            return
        try:
            with open(os.path.join(self.trace_dir, "%06d-%s" % (seq, kind)), "wb") as f:
                f.write(data)
        except OSError as e:
            log("trace write failed: %s" % e)

    # packet processing ---------------------------------------------------
    def system_reply(self, code, text=None, args=(), version=None):
        """A <system> error; `text` is an English text or %-template (with `args`),
        localized to the current locale (simapi.JA_TEXT)."""
        root = etree.Element("packet", version=version or self.api.newest)
        s = etree.SubElement(root, "system")
        text = text or simapi.SYSTEM_TEXT.get(code) or simapi.code_text("en", code)
        simapi.err(s, code, simapi.localize(self.api.locale, text, args, code))
        with self.clock:
            self.counters["system_errors"] += 1
        return root

    def process(self, headers, body, fault=None):
        """-> reply root element. Implements the checkup stage, then runs the packet.
        fault: an `operror` fault taken for this request (see Api.run_packet)."""
        st = self.state
        auth = st.auth
        key = headers.get("KEY")
        login = headers.get("HTTP_AUTH_LOGIN")
        passwd = headers.get("HTTP_AUTH_PASSWD")
        if key is not None:
            if key.strip() not in [k for k in auth.get("keys", [])]:
                return self.system_reply(11003)
        elif login is not None and passwd is not None:
            if login != auth.get("login", "admin") or passwd != auth.get("password", ""):
                return self.system_reply(1001)
        else:
            return self.system_reply(1029)
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "text/xml":
            return self.system_reply(1014, "Parser error: Request is invalid. Content-Type must be text/xml")
        try:
            root = etree.fromstring(body, self.parser)
        except etree.XMLSyntaxError as e:
            line = e.lineno or 1
            msg = e.msg or str(e)
            if e.error_log and len(e.error_log):
                last = e.error_log[0]
                line, msg = last.line, last.message
            return self.system_reply(1014, "Parser error: Request is invalid. Error in line %s: %s", (line, msg))
        if root.getroottree().docinfo.doctype:
            return self.system_reply(1014, "Parser error: Request is invalid. Error in line 1: DTD is not allowed")
        if root.tag != "packet":
            return self.system_reply(1014, "Parser error: Request is invalid. Error in line %s: Element '%s': "
                                     "No matching global declaration available for the validation root.",
                                     (root.sourceline or 1, root.tag))
        version = self.api.resolve_version(root.get("version"))
        if version is None:
            return self.system_reply(1005)
        if self.in_schema is not None and not self.in_schema.validate(root):
            e = self.in_schema.error_log[0]
            return self.system_reply(1014, "Parser error: Request is invalid. Error in line %s: %s",
                                     (e.line, e.message), version)
        bad = self.api.unsupported(root)
        if bad:
            return self.system_reply(1017, "Operation %s is not supported by plesk-sim", (bad,), version)
        with self.lock:
            with self.clock:
                counters = self.counters
            return self.api.run_packet(root, version, counters, fault)

    def serialize(self, root, pretty):
        data = (b'<?xml version="1.0" encoding="UTF-8"?>\n' +
                etree.tostring(root, xml_declaration=False, encoding="UTF-8", pretty_print=pretty))
        if self.out_schema is not None and not self.out_schema.validate(root):
            with self.clock:
                self.counters["invalid_replies"] += 1
            log("REPLY DOES NOT VALIDATE against agent_output.xsd: %s" % self.out_schema.error_log[0])
        return data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sw-cp-server"
    sys_version = ""

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        self.counted = False

    def handle(self):
        try:
            BaseHTTPRequestHandler.handle(self)
        except (ssl.SSLError, ConnectionError, socket.timeout, OSError):
            pass

    def log_message(self, fmt, *args):
        log("http %s %s" % (self.client_address[0], fmt % args))

    @property
    def sim(self):
        return self.server.sim

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                line = self.rfile.readline(65537)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, code, body, ctype="text/xml; charset=UTF-8", length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, obj, code=200):
        self.send(code, (json.dumps(obj, indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
                  "application/json")

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        path = urlparse(self.path).path
        if path.startswith("/__sim/"):
            return self.control("GET")
        self.send(404 if path != "/enterprise/control/agent.php" else 405,
                  b"<html><body>Not Found</body></html>\n", "text/html")

    def do_POST(self):
        path = urlparse(self.path).path
        body = self.read_body()
        if path.startswith("/__sim/"):
            return self.control("POST", body)
        if path != "/enterprise/control/agent.php":
            return self.send(404, b"<html><body>Not Found</body></html>\n", "text/html")
        self.agent(body)

    # ------------------------------------------------------------------
    def agent(self, body):
        sim = self.sim
        with sim.clock:
            sim.counters["requests"] += 1
            if not self.counted:
                sim.counters["connections"] += 1
                self.counted = True
        seq = sim.next_seq()
        sim.trace(seq, "req.xml", body)
        fault = sim.take_fault(body)
        if sim.latency_request_ms:
            time.sleep(sim.latency_request_ms / 1000.0)
        kind = fault["kind"] if fault else None
        if fault:
            log("fault %s fired (request %d)" % (kind, seq))
            sim.trace(seq, "fault.txt", (json.dumps(fault) + "\n").encode())
        if kind == "slow":
            time.sleep(float(fault.get("delay_s", 5)))
        if kind == "hold":
            sim.hold(seq, fault, body)
        if kind == "http500":
            return self.send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>\n", "text/html")
        if kind == "drop_before":
            return self.drop()
        pretty = (self.headers.get("HTTP_PRETTY_PRINT") or "").strip().upper() == "TRUE"
        if kind == "system":
            code = int(fault.get("errcode", 1003))
            data = sim.serialize(sim.system_reply(code), pretty)
            sim.trace(seq, "resp.xml", data)
            return self.send(200, data)
        try:
            root = sim.process(self.headers, body, fault)
        except Exception:
            log("internal error:\n" + traceback.format_exc())
            root = sim.system_reply(1003, "plesk-sim internal error")
        data = sim.serialize(root, pretty)
        if kind == "hold":
            sim.held_done(seq)
        if kind == "drop_after":
            return self.drop()
        if kind == "truncate":
            half = data[:len(data) // 2]
            return self.send(200, half)
        if kind == "malformed":
            bad = data.replace(b"</packet>", b"</packte>").replace(b"<status>", b"<status>&", 1)
            return self.send(200, bad)
        sim.trace(seq, "resp.xml", data)
        self.send(200, data)

    # ------------------------------------------------------------------
    def control(self, method, body=b""):
        sim = self.sim
        u = urlparse(self.path)
        path = u.path.rstrip("/")
        try:
            req = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as e:
            return self.send_json({"error": "bad JSON: %s" % e}, 400)
        if method == "GET" and path == "/__sim/counters":
            return self.send_json(sim.counters_json())
        if method == "POST" and path == "/__sim/counters/reset":
            with sim.clock:
                sim.reset_counters()
            return self.send_json({"ok": True})
        if method == "GET" and path == "/__sim/state":
            with sim.lock:
                return self.send_json(sim.state.to_json())
        if method == "GET" and path == "/__sim/serial":
            zone = (parse_qs(u.query).get("zone") or [""])[0].strip().rstrip(".").lower()
            with sim.lock:
                z = sim.state.zones.get(zone)
                if z is None:
                    d = sim.state.domain_by_name(zone, ("webspace", "site", "subdomain"))
                    z = sim.state.zones.get(d["ascii_name"]) if d else None
                if z is None:
                    return self.send_json({"error": "no such zone", "zone": zone}, 404)
                return self.send_json({"zone": z.name, "serial": z.serial})
        if method == "GET" and path == "/__sim/dns":
            return self.send_json(sim.dns_json())
        if method == "GET" and path == "/__sim/config":
            return self.send_json(sim.config_json())
        if method == "POST" and path == "/__sim/config":
            if "notify" in req and sim.bind.role == "secondary":
                return self.send_json({"error": "the notify knob applies to the primary role only"}, 400)
            for k, allowed in KNOBS.items():
                if k in req and req[k] not in allowed:
                    return self.send_json({"error": "%s must be one of %s" % (k, ", ".join(allowed))}, 400)
            for k in KNOBS:
                if k in req:
                    setattr(sim.api, k, req[k])
            if "latency_request_ms" in req:
                sim.latency_request_ms = int(req["latency_request_ms"])
            if "latency_op_ms" in req:
                sim.api.latency_op_ms = int(req["latency_op_ms"])
            if "enable_timeout_s" in req:
                sim.bind.enable_timeout = float(req["enable_timeout_s"])
            if "notify" in req:
                sim.bind.set_notify(bool(req["notify"]))
            out = {"ok": True}
            out.update(sim.config_json())
            return self.send_json(out)
        if method == "POST" and path == "/__sim/fault":
            kinds = ("http500", "drop_before", "drop_after", "truncate", "malformed", "system", "slow",
                     "operror", "hold")
            if req.get("kind") not in kinds:
                return self.send_json({"error": "kind must be one of %s" % ", ".join(kinds)}, 400)
            f = {"kind": req["kind"], "count": int(req.get("count", 1)), "match": req.get("match"),
                 "errcode": int(req.get("errcode", 1023 if req["kind"] == "operror" else 1003)),
                 "delay_s": float(req.get("delay_s", 60 if req["kind"] == "hold" else 5))}
            if req.get("text") is not None:
                f["text"] = str(req["text"])
            with sim.clock:
                sim.faults.append(f)
            return self.send_json({"ok": True, "fault": f})
        if method == "POST" and path == "/__sim/fault/clear":
            with sim.clock:
                sim.faults = []
            out = sim.release()
            return self.send_json({"ok": True, "released": out["released"]})
        if method == "POST" and path == "/__sim/fault/release":
            return self.send_json(sim.release(float(req.get("timeout_s", 30))))
        if method == "GET" and path == "/__sim/held":
            return self.send_json(sim.held_json())
        if method == "GET" and path == "/__sim/mailbox-usage":
            return self.send_json(sim.usage_json())
        if method == "POST" and path == "/__sim/mailbox-usage/refresh":
            sim.refresh_usage()
            out = {"ok": True}
            out.update(sim.usage_json())
            return self.send_json(out)
        if method == "GET" and path == "/__sim/faults":
            with sim.clock:
                return self.send_json({"faults": sim.faults})
        return self.send_json({"error": "unknown control path %s %s" % (method, path)}, 404)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


# ----------------------------------------------------------------------
def cmd_serve(args):
    d = args.dir
    with open(os.path.join(d, "run.json")) as f:
        cfg = json.load(f)
    sim = None
    httpd = None
    stopping = threading.Event()

    def on_term(signum, frame):
        if stopping.is_set():
            return
        stopping.set()
        if httpd is not None:
            threading.Thread(target=httpd.shutdown, daemon=True).start()
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        sim = Sim(d, cfg)
        sim.bind.start()
        host, port = cfg["listen"].rsplit(":", 1)
        httpd = Server((host, int(port)), Handler)
        httpd.sim = sim
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        with open(os.path.join(d, "ready"), "w") as f:
            f.write("ok\n")
        log("plesk-sim serving https://%s (plesk %s, protocol %s)" % (cfg["listen"], cfg["plesk"], sim.api.newest))
        if not stopping.is_set():
            httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    except Exception as e:
        log("startup/serve failed: %s\n%s" % (e, traceback.format_exc()))
        with open(os.path.join(d, "startup-error"), "w") as f:
            f.write("%s\n" % e)
    finally:
        if sim is not None:
            sim.bind.stop()
        if httpd is not None:
            httpd.server_close()
        for n in ("ready",):
            try:
                os.unlink(os.path.join(d, n))
            except OSError:
                pass
        log("plesk-sim stopped")
    return 0


def default_xsd_dir():
    env = os.environ.get("PLESK_XSD_DIR")
    repo = os.path.dirname(os.path.dirname(HERE))
    for c in (env, os.path.join(repo, "..", "shared", "plesk-xsd")):
        if c and os.path.isfile(os.path.join(c, "agent_input.xsd")):
            return os.path.abspath(c)
    return None


def prepare_xsd(src, d):
    dst = os.path.join(d, "xsd")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    p = os.path.join(dst, "plesk_dns.xsd")
    with open(p, encoding="utf-8") as f:
        s = f.read()
    anchor = '<xs:enumeration value="AAAA"/>'
    if anchor in s and 'value="CAA"' not in s:
        s = s.replace(anchor, anchor + '<xs:enumeration value="DS"/><xs:enumeration value="CAA"/>', 1)
        with open(p, "w", encoding="utf-8") as f:
            f.write(s)


def make_cert(d, ip):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    old = os.umask(0o077)
    try:
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "3650", "-subj", "/CN=plesk-sim",
                            "-addext", "subjectAltName=IP:%s,DNS:localhost" % ip,
                            "-addext", "basicConstraints=critical,CA:FALSE"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    finally:
        os.umask(old)
    if r.returncode != 0:
        die("openssl req failed: %s" % r.stdout.decode(errors="replace"))
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], stdout=subprocess.PIPE, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, stdout=subprocess.PIPE,
                         check=True).stdout
    pin = "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()
    with open(os.path.join(d, "pin"), "w") as f:
        f.write(pin + "\n")


def parse_listen(s):
    if ":" not in s:
        die("--listen must be IP:PORT")
    host, port = s.rsplit(":", 1)
    return host, int(port)


def is_loopback(ip):
    return ip.startswith("127.")


def ensure_lo_alias(ip):
    """named only listens on addresses that are configured on an interface, and
    127.0.0.1/8 on lo does not count for 127.0.53.1. Add a /32 alias to lo when
    missing (kept afterwards: harmless, idempotent, loopback only)."""
    ipcmd = shutil.which("ip") or "/usr/sbin/ip"
    r = subprocess.run([ipcmd, "-4", "-o", "addr", "show"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    have = set()
    for line in r.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if "inet" in parts:
            have.add(parts[parts.index("inet") + 1].split("/")[0])
    if ip in have:
        return
    r = subprocess.run([ipcmd, "addr", "add", ip + "/32", "dev", "lo"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0 and b"exists" not in r.stdout:
        die("cannot add %s/32 to lo (named needs it): %s" % (ip, r.stdout.decode(errors="replace").strip()))


def https_answers(host, port, timeout=1.0):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            with ctx.wrap_socket(s) as t:
                t.sendall(b"GET /__sim/counters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return t.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


def cmd_up(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    host, port = parse_listen(args.listen)
    ext = []
    for ip in args.external_secondary or []:
        if ip not in ext:
            ext.append(ip)
    if args.role == "secondary":
        if not args.master:
            die("--role secondary needs --master IP (the primary BIND to transfer from)")
        if ext or args.no_secondary or args.no_notify:
            die("--external-secondary, --no-secondary and --no-notify apply to --role primary only")
        if args.master == args.primary:
            die("--master must differ from this instance's own DNS address (--dns/--primary)")
    else:
        if args.master:
            die("--master needs --role secondary")
        if args.primary in ext or (args.secondary in ext and not
                                    (args.no_secondary or ext)):
            die("--external-secondary must not be this instance's own --primary/--secondary address")
    if args.serial_query_rate is not None and not 1 <= args.serial_query_rate <= 10000:
        die("--serial-query-rate must be from 1 to 10000")
    for ip in [host, args.primary, args.secondary, args.master or "127.0.0.1"] + ext:
        if not is_loopback(ip):
            die("refusing non-loopback address %s" % ip)
    spid = read_pid(os.path.join(d, "sim.pid"))
    if spid and alive(spid) and ("plesk-sim" in cmdline(spid) or "simrun" in cmdline(spid)):
        die("already running in %s (pid %d); run 'plesk-sim down --dir %s' first" % (d, spid, d))
    down_dir(d, quiet=True)  # stale leftovers of a crashed run
    fixture = os.path.abspath(args.fixture)
    try:
        with open(fixture, encoding="utf-8") as f:
            simapi.State(json.load(f))
    except Exception as e:
        die("cannot load fixture %s: %s" % (fixture, e))
    if args.plesk not in simapi.RELEASES:
        die("--plesk must be one of %s" % ", ".join(simapi.RELEASES))
    for n in ("ready", "startup-error"):
        try:
            os.unlink(os.path.join(d, n))
        except OSError:
            pass
    ensure_lo_alias(args.primary)
    if args.role == "primary" and not args.no_secondary and not ext:
        ensure_lo_alias(args.secondary)
    make_cert(d, host)
    xsd = args.xsd_dir or default_xsd_dir()
    if xsd and os.path.isfile(os.path.join(xsd, "agent_input.xsd")) and \
            os.path.isfile(os.path.join(xsd, "agent_output.xsd")):
        prepare_xsd(xsd, d)
    elif args.no_xsd:
        xsd = None
    else:
        die("no Plesk XSDs in %s: requests would not be validated; set PLESK_XSD_DIR or "
            "--xsd-dir (or --no-xsd to run without validation, never in the tests)" %
            (xsd or "$PLESK_XSD_DIR or <repo>/../shared/plesk-xsd"))
    trace = None
    if args.trace_dir:
        trace = os.path.abspath(args.trace_dir)
        os.makedirs(trace, exist_ok=True)
    cfg = {"listen": "%s:%d" % (host, port), "fixture": fixture, "plesk": args.plesk,
           "primary": args.primary, "secondary": args.secondary, "no_secondary": args.no_secondary,
           "no_notify": args.no_notify, "role": args.role, "master": args.master,
           "external_secondaries": ext, "xsd": bool(xsd),
           "name_lookup": args.name_lookup or simapi.DEFAULT_NAME_LOOKUP[args.plesk],
           "get_rec_unknown_site": args.get_rec_unknown_site, "soa_partial": args.soa_partial,
           "locale": args.locale,
           "mailbed": os.path.abspath(args.mailbed) if args.mailbed else None, "xsd_source": xsd, "trace_dir": trace,
           "mailbox_usage": args.mailbox_usage, "serial_query_rate": args.serial_query_rate}
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    logf = open(os.path.join(d, "sim.log"), "ab")
    p = subprocess.Popen([PY, SCRIPT, "serve", "--dir", d], stdin=subprocess.DEVNULL, stdout=logf,
                         stderr=subprocess.STDOUT, close_fds=True, start_new_session=True, cwd=d)
    logf.close()
    with open(os.path.join(d, "sim.pid"), "w") as f:
        f.write("%d\n" % p.pid)
    # a large fixture takes longer: zone files, BIND's load, the checks
    t_end = time.time() + 40 + zones_of(fixture) / 250.0
    while True:
        if os.path.exists(os.path.join(d, "ready")) and https_answers(host, port):
            break
        if p.poll() is not None or time.time() > t_end:
            why = ""
            try:
                with open(os.path.join(d, "startup-error")) as f:
                    why = f.read().strip()
            except OSError:
                why = "timeout" if p.poll() is None else "server exited with %s" % p.returncode
            down_dir(d, quiet=True)
            die("startup failed: %s (see %s/sim.log)" % (why, d))
        time.sleep(0.03)
    if not xsd:
        sys.stderr.write("plesk-sim: WARNING: --no-xsd: request validation and the reply self-check are OFF\n")
    print("plesk-sim up: https://%s:%d/enterprise/control/agent.php (pid %d, protocol %s)" % (
        host, port, p.pid, simapi.RELEASES[args.plesk][0]))
    if args.role == "secondary":
        print("plesk-sim role secondary: BIND on %s holds slave zones of master %s; "
              "rndc -k %s -s %s -p 953 refresh ZONE" % (args.primary, args.master,
                                                         os.path.join(d, "rndc-secondary.key"), args.primary))
    return 0


def zones_of(fixture):
    """How many domains the fixture has (for the start-up time limits)."""
    try:
        with open(fixture, encoding="utf-8") as f:
            return len(json.load(f).get("domains") or [])
    except (OSError, ValueError):
        return 0


def down_dir(d, quiet=False):
    spid = read_pid(os.path.join(d, "sim.pid"))
    if spid:
        stop_pid(spid, "plesk-sim", timeout=12)
    for role in ("primary", "secondary"):
        stop_pid(read_pid(os.path.join(d, "named-%s.pid" % role)), "named", timeout=5)
    for n in ("sim.pid", "named-primary.pid", "named-secondary.pid", "ready"):
        try:
            os.unlink(os.path.join(d, n))
        except OSError:
            pass


def cmd_down(args):
    down_dir(os.path.abspath(args.dir))
    return 0


def cmd_ctl(args):
    d = os.path.abspath(args.dir)
    try:
        with open(os.path.join(d, "run.json")) as f:
            cfg = json.load(f)
    except OSError:
        die("no run.json in %s (is the simulator up?)" % d)
    host, port = cfg["listen"].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=os.path.join(d, "cert.pem"))
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
    path = args.path if args.path.startswith("/") else "/" + args.path
    if not path.startswith("/__sim/"):
        path = "/__sim/" + path.lstrip("/")
    body = (args.json or "").encode("utf-8")
    headers = {"Content-Type": "application/json"}
    conn.request(args.method.upper(), path, body=body if args.method.upper() == "POST" else None, headers=headers)
    r = conn.getresponse()
    out = r.read().decode("utf-8", "replace")
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0 if r.status < 400 else 1


def main(argv=None):
    ap = argparse.ArgumentParser(prog="plesk-sim", description="Plesk XML API emulator with real BIND 9 behind it")
    sp = ap.add_subparsers(dest="cmd", required=True)
    u = sp.add_parser("up", help="start emulator + BIND primary/secondary")
    u.add_argument("--dir", required=True)
    u.add_argument("--fixture", required=True)
    u.add_argument("--listen", default="127.0.2.10:8443")
    u.add_argument("--plesk", default="obsidian", choices=sorted(simapi.RELEASES))
    u.add_argument("--role", default="primary", choices=["primary", "secondary"],
                   help="primary (default): master zones + optional secondary; secondary: one BIND with "
                        "slave zones of --master")
    u.add_argument("--primary", "--dns", dest="primary", default="127.0.53.1",
                   help="this instance's own BIND address (in the secondary role: the slave BIND)")
    u.add_argument("--secondary", default="127.0.53.2")
    u.add_argument("--no-secondary", action="store_true")
    u.add_argument("--external-secondary", action="append", metavar="IP",
                   help="(repeatable) no own secondary; allow transfers to IP and also-notify it")
    u.add_argument("--master", metavar="IP", help="--role secondary: the primary BIND to transfer from")
    u.add_argument("--no-notify", action="store_true")
    u.add_argument("--mailbed", metavar="DIR",
                   help="mail enable/disable (and set_prefs mailservice) reconfigure the real Postfix "
                        "of the tests/mail/mailbed bed in DIR, as Plesk does")
    u.add_argument("--name-lookup", choices=["stored", "both"],
                   help="<filter><name> of webspace/site/subdomain/site-alias get matches the stored name "
                        "only, or the ASCII form too (default: stored for --plesk 11 and 12.5, both for obsidian)")
    u.add_argument("--get-rec-unknown-site", choices=["empty", "fail"], default="fail",
                   help="dns get_rec naming an unknown site: fail (default) = one 1015 error result for the "
                        "whole operation; empty = no records for it")
    u.add_argument("--soa-partial", choices=["keep", "reset"], default="keep",
                   help="dns set with a partial <soa>: keep (default) or reset the omitted fields to the "
                        "template SOA")
    u.add_argument("--locale", choices=list(simapi.LOCALES), default="en",
                   help="language of the errtexts (default en)")
    u.add_argument("--xsd-dir")
    u.add_argument("--no-xsd", action="store_true",
                   help="start even without the XSDs (no request validation); never used by the tests")
    u.add_argument("--mailbox-usage", choices=["live", "daily"], default="live",
                   help="with --mailbed: mail get_info <mailbox-usage/> summed from the Maildirs on every "
                        "call (live), or the figures of the last daily statistics run (daily: at up and on "
                        "POST /__sim/mailbox-usage/refresh)")
    u.add_argument("--trace-dir")
    u.add_argument("--serial-query-rate", type=int, metavar="N",
                   help="BIND's serial-query-rate (a secondary's SOA checks per second) and notify-rate "
                        "(a primary's NOTIFYs per second) of every named of this instance (default: "
                        "BIND's, 20)")
    dn = sp.add_parser("down", help="stop everything started by up")
    dn.add_argument("--dir", required=True)
    c = sp.add_parser("ctl", help="call the control API: ctl --dir DIR GET|POST PATH [JSON]")
    c.add_argument("--dir", required=True)
    c.add_argument("method", choices=["GET", "POST", "get", "post"])
    c.add_argument("path")
    c.add_argument("json", nargs="?")
    s = sp.add_parser("serve", help=argparse.SUPPRESS)
    s.add_argument("--dir", required=True)
    args = ap.parse_args(argv)
    return {"up": cmd_up, "down": cmd_down, "ctl": cmd_ctl, "serve": cmd_serve}[args.cmd](args)
