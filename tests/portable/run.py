#!/usr/bin/python3
"""Portable suite (issue 10): the packaged helper runs on a Debian 11 with
none of its libraries installed.

A minimal Debian 11 root (glibc 2.31, no libcurl, libxml2, libldns, OpenSSL 3
or CA bundle; tests/portable/mkroot.sh, cached in build/root/) receives only
sbin/mailcutover, taken out of the built extension zip. From inside it
(chroot: same network namespace, so the loopback test beds are reachable)
the helper runs --version, selftest, servers and plan against the Plesk
emulator, with the TLS mail probes against a real Postfix/Dovecot. The CA
bundle is then placed at each distribution's path in the root in turn:
the helper must find it for the mail probes and for a CA-verified panel.
Names resolve through the root's /etc/hosts and /etc/resolv.conf.

Test hosts: panel 127.0.10.10:8443, BIND 127.0.60.1 / 127.0.60.2, new mail
server 127.0.10.20. Ends with one line: "N passed, N failed". Never skips:
a root or a bed that cannot be made fails the suite and says why.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
from simlib import KEY, OUT, ROOT, Runner, Sim, check, write_secret  # noqa: E402

ZIP = os.path.join(ROOT, "build", "ext", "mail-cutover.zip")
MKROOT = os.path.join(ROOT, "tests", "portable", "mkroot.sh")
MAILBED = os.path.join(ROOT, "tests", "mail", "mailbed")
DYNAMIC = os.path.join(ROOT, "mailcutover")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "system.json")
D = os.path.join(OUT, "portable")
PANEL, NEW = "127.0.10.10", "127.0.10.20"
P, S = "127.0.60.1", "127.0.60.2"
DOMAIN = "example.com"
IN = "/opt/mailcutover"            # inside the root
BUNDLES = ("/etc/ssl/certs/ca-certificates.crt",       # Debian, Ubuntu
           "/etc/pki/tls/certs/ca-bundle.crt",         # RHEL family
           "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
           "/etc/ssl/ca-bundle.pem")                   # SUSE
SAVED = ("/etc/hosts", "/etc/resolv.conf")


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          **kw)


class World:
    """The root, the packaged helper in it, the emulator and the mail bed."""

    def __init__(self):
        shutil.rmtree(D, ignore_errors=True)
        os.makedirs(D)
        self.sim = None
        self.mail = None
        self.saved = {}
        r = sh(["sh", MKROOT, os.path.join(ROOT, "build", "root")])
        if r.returncode != 0:
            raise RuntimeError("cannot build the Debian 11 root: %s" %
                               (r.stderr.strip() or r.stdout.strip()))
        self.root = r.stdout.strip().splitlines()[-1]
        check(os.path.exists(os.path.join(self.root, ".done")),
              "mkroot printed a finished root", self.root)
        self.clean_root()
        for p in SAVED:
            try:
                with open(self.path(p), "rb") as f:
                    self.saved[p] = f.read()
            except FileNotFoundError:
                self.saved[p] = None
        os.makedirs(self.path(IN + "/etc"), mode=0o700)
        # only the packaged helper goes in: out of the zip Plesk installs
        if not os.path.exists(ZIP):
            raise RuntimeError("%s missing: run make ext" % ZIP)
        with zipfile.ZipFile(ZIP) as z:
            data = z.read("sbin/mailcutover")
            mode = (z.getinfo("sbin/mailcutover").external_attr >> 16) & 0o777
        self.bin = self.path(IN + "/mailcutover")
        with open(self.bin, "wb") as f:
            f.write(data)
        os.chmod(self.bin, mode)
        try:
            self.start()
        except BaseException:
            self.down()
            raise

    def path(self, inside):
        return os.path.join(self.root, inside.lstrip("/"))

    def clean_root(self):
        """Leave the cached root as mkroot made it (also after a crash)."""
        shutil.rmtree(self.path(IN), ignore_errors=True)
        for b in BUNDLES:
            if os.path.lexists(self.path(b)):
                os.unlink(self.path(b))
        for d in ("/etc/pki", "/etc/ssl"):
            # mkroot's root has neither: whatever is there, a test put
            shutil.rmtree(self.path(d), ignore_errors=True)

    def start(self):
        with open(FIXTURE) as f:
            fx = f.read().replace("127.0.2.10", PANEL).replace(
                "127.0.53.", "127.0.60.")
        fixture = os.path.join(D, "fixture.json")
        with open(fixture, "w") as f:
            f.write(fx)
        self.sim = Sim("portable-sim", fixture, listen=PANEL + ":8443",
                       primary=P, secondary=S, trace=False)
        maildir = os.path.join(D, "mail")
        log = os.path.join(D, "mailbed.log")
        with open(log, "w") as f:
            r = subprocess.run([MAILBED, "up", "--dir", maildir, "--ip", NEW,
                                "--hostname", "mail." + DOMAIN, "--domain",
                                DOMAIN, "--cert-name", "mail." + DOMAIN],
                               stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=90)
        self.mail = maildir
        if r.returncode != 0:
            with open(log) as f:
                raise RuntimeError("mail bed did not start: %s" %
                                   f.read().strip()[-600:])
        with open(os.path.join(maildir, "ca.pem")) as f:
            self.mail_ca = f.read()
        with open(os.path.join(self.sim.dir, "cert.pem")) as f:
            self.panel_cert = f.read()
        shutil.copy(os.path.join(maildir, "ca.pem"), self.path(IN + "/ca.pem"))
        write_secret(self.path(IN + "/etc/key.secret"), KEY)

    def conf(self, name, url=None, pin=True, mail_cafile=True):
        """A config inside the root; returns its path there."""
        text = ["[source]", "url = %s" % (url or self.sim.url),
                "secret_file = %s/etc/key.secret" % IN]
        if pin:
            text.append("pin = %s" % self.sim.pin)
        text += ["[cutover]", "new_ip = %s" % NEW, "primary_dns = %s" % P,
                 "state_dir = %s/state" % IN, "dns_timeout = 300"]
        if mail_cafile:
            text.append("mail_cafile = %s/ca.pem" % IN)
        inside = "%s/etc/%s.conf" % (IN, name)
        fd = os.open(self.path(inside), os.O_WRONLY | os.O_CREAT |
                     os.O_TRUNC, 0o600)
        os.write(fd, ("\n".join(text) + "\n").encode())
        os.close(fd)
        return inside

    def mc(self, *args, conf=None):
        """The packaged helper, run inside the root."""
        argv = ["chroot", self.root, IN + "/mailcutover"]
        if conf:
            argv += ["--config", conf]
        r = sh(argv + list(args), env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                       "LANG": "C"})
        return Res(r)

    def bundle(self, inside, text):
        p = self.path(inside)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)

    def down(self):
        if self.mail:
            subprocess.run([MAILBED, "down", "--dir", self.mail],
                           capture_output=True, timeout=90)
        if self.sim:
            self.sim.down()
        for p, data in self.saved.items():
            if data is None:
                if os.path.lexists(self.path(p)):
                    os.unlink(self.path(p))
            else:
                with open(self.path(p), "wb") as f:
                    f.write(data)
        self.clean_root()


class Res:
    def __init__(self, r):
        self.rc, self.out, self.err = r.returncode, r.stdout, r.stderr
        try:
            self.json = json.loads(r.stdout) if r.stdout.strip() else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "rc=%d out=%r err=%r" % (self.rc, self.out[:600], self.err[:600])


def notes(r, kind=None):
    check(r.json is not None and r.json.get("domains"), "plan JSON", r)
    ns = r.json["domains"][0].get("notes", [])
    return [n for n in ns if kind is None or n["kind"] == kind]


def cert_note(r, kind):
    return [n for n in notes(r, kind) if "certificate" in n["text"] and
            "mail." + DOMAIN in n["text"]]


# ---------------------------------------------------------------- tests

def t_01_no_dynamic_dependencies(w):
    r = sh(["readelf", "-lW", w.bin])
    check(r.returncode == 0 and "LOAD" in r.stdout, "readelf -l reads it", r)
    check("INTERP" not in r.stdout and "interpreter" not in r.stdout,
          "no program interpreter (PT_INTERP)", r.stdout)
    r = sh(["readelf", "-d", w.bin])
    check("NEEDED" not in r.stdout, "no NEEDED entries", r.stdout)
    r = sh(["readelf", "-h", w.bin])
    check("X86-64" in r.stdout, "x86-64 ELF", r.stdout)
    r = sh(["file", "-b", w.bin])
    check("statically linked" in r.stdout, "file: statically linked", r.stdout)


def t_02_root_is_debian11_without_the_libraries(w):
    with open(w.path("/etc/debian_version")) as f:
        v = f.read().strip()
    check(v.startswith("11."), "Debian 11", v)
    libdir = w.path("/lib/x86_64-linux-gnu")
    check(os.path.exists(os.path.join(libdir, "libc-2.31.so")), "glibc 2.31")
    found = []
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"):
        for f in os.listdir(w.path(d)):
            if f.startswith(("libcurl", "libxml2", "libldns", "libssl.so.3",
                             "libcrypto.so.3")):
                found.append(f)
    check(not found, "none of the helper's libraries in the root", found)
    # the control: the dynamic build of the same sources cannot start here
    dyn = w.path(IN + "/mailcutover-dynamic")
    shutil.copy(DYNAMIC, dyn)
    try:
        r = sh(["chroot", w.root, IN + "/mailcutover-dynamic", "--version"])
    finally:
        os.unlink(dyn)
    check(r.returncode == 127 and ("error while loading shared libraries"
                                   in r.stderr or "GLIBC_" in r.stderr),
          "the dynamic build fails here, naming what is missing", r)


def t_03_version(w):
    r = w.mc("--version")
    check(r.rc == 0, "--version exits 0", r)
    for words in ("mailcutover ", "static", "1.6.3.0", "1.6.9.1",
                  "libcurl 7.", "OpenSSL 3.", "libxml2 2.", "ldns 1."):
        check(words in r.out, "--version says %r" % words, r)
    r = w.mc("--json", "--version")
    check(r.rc == 0 and r.json and r.json["linkage"] == "static", "JSON", r)
    for k in ("version", "protocol_min", "protocol_max", "libcurl",
              "openssl", "libxml2", "ldns"):
        check(r.json.get(k), "version JSON has " + k, r.json)


def t_04_help_without_config(w):
    for cmd in ("servers", "settings", "confirm", "pin", "plan", "prepare",
                "switch", "sync", "disable-old-mail", "verify", "finish",
                "rollback", "migrate", "tick", "status", "list", "log", "raw",
                "selftest"):
        r = w.mc(cmd, "--help")
        check(r.rc == 0 and ("usage: mailcutover" in r.out and cmd in r.out),
              "%s --help" % cmd, r)


def t_05_selftest_and_tick_unconfigured(w):
    r = w.mc("--json", "selftest")
    check(r.rc == 0 and r.json and r.json["result"] == "ok", "selftest", r)
    checks = {c["name"]: c for c in r.json["checks"]}
    for name in ("libcurl", "openssl", "libxml2", "ldns"):
        check(checks[name]["result"] == "ok", name, checks)
    check(checks["ca-bundle"]["result"] == "warn" and
          "no CA bundle" in checks["ca-bundle"]["detail"],
          "no CA bundle in the bare root: a warning naming the paths", checks)
    # the scheduler's tick before the settings page was saved: silent
    r = w.mc("--json", "tick")
    check(r.rc == 0 and r.json == {"command": "tick", "configured": False,
                                   "domains": []} and
          len(r.out.strip().splitlines()) == 1 and not r.err,
          "tick without a config: exit 0, one line", r)


def t_06_servers_with_pin(w):
    r = w.mc("--json", "servers", conf=w.conf("pin"))
    check(r.rc == 0, "servers", r)
    p = r.json["panels"][0]
    check(p["authenticated"] and p["protocol"] == "1.6.9.1" and
          p["plesk_version"], "reachable, authenticated, protocol", p)


def t_07_plan_with_mail_probes(w):
    r = w.mc("--json", "plan", DOMAIN, conf=w.conf("plan"))
    check(r.rc == 0, "plan: no blocker", r)
    check(cert_note(r, "pass"), "the mail certificate passes (TLS probes "
          "of 25/587/993/995 through mail_cafile)", notes(r))
    d = r.json["domains"][0]
    check(d.get("changes") or "mail." + DOMAIN in json.dumps(d),
          "the plan names the switched records", d)


def t_08_trust_store_found_on_each_os(w):
    # without any bundle: the probes cannot trust the bed, curl not the panel
    plan_conf = w.conf("nocafile", mail_cafile=False)
    ca_conf = w.conf("capanel", pin=False, mail_cafile=False)
    r = w.mc("--json", "plan", DOMAIN, conf=plan_conf)
    check(r.rc == 1 and cert_note(r, "block"),
          "no bundle: the certificate does not chain (block)", notes(r))
    r = w.mc("--json", "servers", conf=ca_conf)
    check(r.rc == 4 and not r.json["panels"][0]["authenticated"],
          "no bundle: a CA-verified panel is refused", r)
    for b in BUNDLES:
        w.bundle(b, w.mail_ca + w.panel_cert)
        try:
            r = w.mc("--json", "selftest")
            c = {x["name"]: x for x in r.json["checks"]}["ca-bundle"]
            check(c["result"] == "ok" and c["detail"] == b,
                  "selftest finds " + b, c)
            r = w.mc("--json", "plan", DOMAIN, conf=plan_conf)
            check(r.rc == 0 and cert_note(r, "pass"),
                  "mail probes trust the bundle at " + b, notes(r))
            r = w.mc("--json", "servers", conf=ca_conf)
            check(r.rc == 0 and r.json["panels"][0]["authenticated"],
                  "libcurl trusts the bundle at " + b, r)
        finally:
            os.unlink(w.path(b))


def t_09_names_from_hosts_and_resolv_conf(w):
    with open(w.path("/etc/hosts"), "w") as f:
        f.write("127.0.0.1 localhost\n%s panel.portable.test\n" % PANEL)
    r = w.mc("--json", "servers", conf=w.conf(
        "hosts", url="https://panel.portable.test:8443"))
    check(r.rc == 0, "a name from /etc/hosts", r)
    with open(w.path("/etc/resolv.conf"), "w") as f:
        f.write("nameserver %s\n" % P)
    # www.example.com is served by the emulator's BIND primary
    r = w.mc("--json", "servers", conf=w.conf(
        "dns", url="https://www.%s:8443" % DOMAIN))
    check(r.rc == 0, "a name through /etc/resolv.conf's name server", r)
    r = w.mc("--json", "servers", conf=w.conf(
        "nxdomain", url="https://nothere.%s:8443" % DOMAIN))
    check(r.rc == 4 and "nothere" in json.dumps(r.json),
          "an unknown name fails and is named", r)


def main():
    run = Runner()
    try:
        w = World()
    except Exception as e:  # noqa: BLE001 - the suite fails, never skips
        print("FAIL - setup: %s: %s" % (type(e).__name__, e), flush=True)
        print("0 passed, 1 failed")
        return 1
    try:
        for name, fn in sorted((n, f) for n, f in globals().items()
                               if n.startswith("t_")):
            run.run(name[2:], fn, w)
    finally:
        w.down()
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
