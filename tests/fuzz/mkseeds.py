#!/usr/bin/python3
"""Write the seed corpora of the fuzz harnesses (tests/fuzz/seeds/TARGET/)
from the test beds: the Plesk emulator (fixtures/shapes.json) on real BIND,
the mail bed (real Postfix + Dovecot), the helper run through a cutover.

  unshare -n sh -c 'ip link set lo up; /usr/bin/python3 tests/fuzz/mkseeds.py'

Root, in a network namespace of its own (it starts servers on the system
tests' loopback addresses). Not part of `make test`: the seeds are
committed; run it again when a wire format changes. Each seed is named
after what it is; the harness headers say how each input is laid out.

  reply     traced request/reply pairs of the emulator: a header that
            describes the request's operations, then the reply
  journal   the helper's journals after each step, as written (mode 0)
            and without their trailer (mode 1: the harness adds it)
  config    the configurations the beds use
  settings  what the extension's settings page sends (PHP json_encode)
  dns       BIND's answers (wire format) to the helper's kinds of query
  mailline  what Postfix (SMTP 25, 587) and Dovecot (IMAPS, POP3S) say
  spf       the beds' SPF records and the records they name
"""
import glob
import hashlib
import json
import os
import random
import shutil
import socket
import ssl
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
from simlib import KEY, OUT, Sim, helper, write_secret  # noqa: E402

from lxml import etree  # noqa: E402

SEEDS = os.path.join(HERE, "seeds")
FIXTURE = os.path.join(ROOT, "tests", "plesk-sim", "fixtures", "shapes.json")
MAILBED = os.path.join(ROOT, "tests", "mail", "mailbed")
D = os.path.join(OUT, "fuzzseeds")
OLD, NEW, NEW6 = "127.0.2.10", "127.0.3.20", "fd00::3:20"
P, S = "127.0.53.1", "127.0.53.2"
DAY = 86400
DOMAINS = ["owned.test", "mixed.test", "v6.test", "odd.test",
           "xn--bcher-shop-9db.example", "aliaszone.test"]

# op_kind of xmlrpc/op.h, in order
KINDS = ["server.get_protos", "server.get", "webspace.get#name",
         "site.get#name", "subdomain.get", "site-alias.get", "dns.get_rec",
         "dns.add_rec", "dns.del_rec", "dns.get", "dns.set", "dns.enable",
         "dns.disable", "mail.get_prefs", "mail.enable", "mail.disable",
         "mail.get_info", "webspace.get#all", "site.get#all"]


def save(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------------ reply

def op_header(opr, op):
    """-> (kind, flags, ids, name) of one request operation."""
    key = "%s.%s" % (opr.tag, op.tag)
    flt = op.find("filter")
    name = ""
    flags = 0
    ids = []
    if key in ("webspace.get", "site.get"):
        if flt is not None and flt.find("name") is not None:
            key += "#name"
            name = flt.findtext("name")
        elif flt is not None and flt.find("id") is not None:
            key += "#name"
            flags |= 1
        else:
            key += "#all"
    elif key in ("subdomain.get", "site-alias.get") and flt is not None:
        name = flt.findtext("name") or ""
    if flt is not None:
        for e in flt:
            if e.tag == "site-alias-id":
                flags |= 4
            if e.tag == "id" and key == "dns.get_rec":
                flags |= 2
            if e.tag in ("site-id", "site-alias-id", "id") and \
                    (e.text or "").isdigit():
                ids.append(int(e.text))
    for e in op:
        if e.tag in ("site-id", "site-alias-id") and (e.text or "").isdigit():
            ids.append(int(e.text))
            if e.tag == "site-alias-id":
                flags |= 4
    if key == "dns.get" and op.find("soa") is not None:
        flags |= 8
    if key not in KINDS:
        return None
    return KINDS.index(key), flags, ids[:7], name


def reply_seeds(trace):
    n = 0
    seen = set()
    for req in sorted(glob.glob(os.path.join(trace, "*-req.xml"))):
        resp = req.replace("-req.xml", "-resp.xml")
        if not os.path.exists(resp):
            continue
        with open(req, "rb") as f:
            root = etree.fromstring(f.read())
        with open(resp, "rb") as f:
            body = f.read()
        ops = []
        for opr in root:
            for op in opr:
                h = op_header(opr, op)
                if h is None:
                    break
                ops.append(h)
        if not ops or len(ops) > 8 or len(body) > 6000:
            continue
        sig = (tuple((k, fl) for k, fl, _, _ in ops), len(body) // 400)
        if sig in seen:
            continue
        seen.add(sig)
        hdr = bytes([(len(ops) - 1) | 0x80])
        name = ""
        for kind, flags, ids, nm in ops:
            hdr += bytes([kind, flags, len(ids)])
            for i in ids:
                hdr += struct.pack(">H", i & 0xffff)
            name = name or nm
        nb = name.encode()[:255]
        hdr += bytes([len(nb)]) + nb
        tag = "-".join(KINDS[k].replace("#", "-") for k, _, _, _ in ops[:3])
        save("reply", "%02d-%s.bin" % (n, tag), hdr + body)
        n += 1
        if n >= 40:
            break
    return n


# ------------------------------------------------------------------ dns

def dns_query(server, name, qtype, opcode=0, qid=None):
    qid = random.randint(0, 0xffff) if qid is None else qid
    flags = (opcode << 11) | (0x0400 if opcode == 4 else 0)
    q = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        b = label.encode("idna") if not label.isascii() else label.encode()
        q += bytes([len(b)]) + b
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(q, (server, 53))
        return s.recvfrom(4096)[0]
    finally:
        s.close()


def dns_seeds():
    T = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28}
    qs = [(P, "mail.owned.test", "A"), (P, "owned.test", "SOA"),
          (S, "owned.test", "SOA"), (P, "owned.test", "NS"),
          (P, "ns1.owned.test", "A"), (P, "owned.test", "TXT"),
          (P, "owned.test", "MX"), (P, "mail.v6.test", "AAAA"),
          (P, "smtp.mixed.test", "A"), (P, "smtp.mixed.test", "CNAME"),
          (P, "mail.mixed.test", "A"), (P, "nosuch.owned.test", "A"),
          (P, "mail.owned.test", "AAAA"), (P, "unknown.zone.test", "SOA"),
          (P, "lists.odd.test", "A"), (P, "20.3.0.127.in-addr.arpa", "PTR"),
          (P, "mail.xn--bcher-shop-9db.example", "A")]
    n = 0
    for srv, name, t in qs:
        r = dns_query(srv, name, T[t])
        # flags: derive the question from the reply, keep its id
        save("dns", "%02d-%s-%s.bin" % (n, name.split(".")[0], t),
             b"\x00" + r)
        n += 1
    # the NOTIFY the helper sends a lagging secondary, and its answer
    r = dns_query(S, "owned.test", 6, opcode=4)
    save("dns", "%02d-notify-answer.bin" % n, b"\x02" + r)
    n += 1
    # the same answer over TCP (no TC fallback)
    r = dns_query(P, "owned.test", 16)
    save("dns", "%02d-txt-tcp.bin" % n, b"\x01" + r)
    return n + 1


# ------------------------------------------------------------------ mail

def recv_until(s, end, limit=8192):
    out = b""
    while not out.endswith(end) and len(out) < limit:
        b = s.recv(4096)
        if not b:
            break
        out += b
    return out


def smtp_lines(s):
    """One SMTP reply (all its lines)."""
    out = b""
    while True:
        out += recv_until(s, b"\r\n")
        last = out.rstrip(b"\r\n").split(b"\r\n")[-1]
        if len(last) < 4 or last[3:4] == b" ":
            return out


def mail_seeds():
    n = 0
    for port in (25, 587):
        s = socket.create_connection((NEW, port), timeout=10)
        got = smtp_lines(s)
        s.sendall(b"EHLO fuzz.example\r\n")
        got += smtp_lines(s)
        s.sendall(b"MAIL FROM:<a@fuzz.example>\r\n")
        got += smtp_lines(s)
        s.sendall(b"RCPT TO:<postmaster@nosuch.example>\r\n")
        got += smtp_lines(s)
        s.sendall(b"QUIT\r\n")
        got += smtp_lines(s)
        s.close()
        save("mailline", "%02d-smtp-%d.bin" % (n, port), b"\x00" + got)
        n += 1
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for port, mode, bye in ((993, 1, b"a1 LOGOUT\r\n"),
                            (995, 2, b"QUIT\r\n")):
        with socket.create_connection((NEW, port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="mail.owned.test") as s:
                got = recv_until(s, b"\r\n")
                s.sendall(bye)
                try:
                    while True:
                        b = s.recv(4096)
                        if not b:
                            break
                        got += b
                except (ssl.SSLError, OSError):
                    pass
        save("mailline", "%02d-%s.bin" % (n, "imaps" if mode == 1 else
                                          "pop3s"), bytes([mode]) + got)
        n += 1
    return n


# ------------------------------------------------------------------ spf

def dig_data(name, t):
    r = subprocess.run(["dig", "+norec", "+short", "@" + P, name, t],
                       capture_output=True, text=True, timeout=30)
    out = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if t == "TXT":
            # dig quotes each string: join them unquoted, as dnsprobe does
            parts = []
            cur, inq, esc = "", False, False
            for ch in line:
                if esc:
                    cur += ch
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    if inq:
                        parts.append(cur)
                        cur = ""
                    inq = not inq
                elif inq:
                    cur += ch
            line = "".join(parts)
        if line:
            out.append(line)
    return out


def spf_seeds():
    n = 0
    for dom in ("owned.test", "mixed.test", "v6.test", "done.test",
                "v6only-third.test", "third.test"):
        lines = []
        names = [dom, "mail." + dom]
        for t in ("TXT", "MX", "A", "AAAA"):
            for v in dig_data(dom, t):
                lines.append("%s %s %s" % (dom, t, v))
        for v in dig_data(dom, "MX"):
            names.append(v.split()[-1].rstrip("."))
        for nm in sorted(set(names[1:])):
            for t in ("A", "AAAA"):
                for v in dig_data(nm, t):
                    lines.append("%s %s %s" % (nm, t, v))
        for ip in (NEW, NEW6) if dom.startswith("v6") else (NEW,):
            text = "%s\n%s\n%s\n" % (ip, dom, "\n".join(lines))
            save("spf", "%02d-%s-%s.txt" % (n, dom.split(".")[0],
                                             "v6" if ":" in ip else "v4"),
                 text.encode())
            n += 1
    # the terms the beds' records do not use, on the beds' names
    extra = [
        ("include", "owned.test TXT v=spf1 include:_spf.owned.test -all\n"
         "_spf.owned.test TXT v=spf1 ip4:127.0.3.0/24 ?all\n"),
        ("redirect", "owned.test TXT v=spf1 redirect=_spf.owned.test\n"
         "_spf.owned.test TXT v=spf1 a:mail.owned.test/24 mx//64 ~all\n"
         "owned.test MX 10 mail.owned.test.\n"
         "mail.owned.test A 127.0.3.20\n"),
        ("exists-ptr", "owned.test TXT v=spf1 ptr exists:ok.owned.test "
         "+ip6:fd00::/16 -all\nok.owned.test A 127.0.0.2\n"),
        ("errors", "owned.test TXT v=spf1 include:gone.owned.test a:x/99 "
         "mx:dead.owned.test -all\nowned.test TXT v=spf1 -all\n"
         "dead.owned.test MX !TIMEOUT\nx A !SERVFAIL\n"),
    ]
    for name, recs in extra:
        save("spf", "%02d-%s.txt" % (n, name),
             ("%s\nowned.test\n%s" % (NEW, recs)).encode())
        n += 1
    return n


# ------------------------------------------------------------------ settings

def settings_seeds():
    forms = [
        {"url": "https://127.0.2.10:8443", "auth": "key",
         "secret": KEY, "pin": "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
         "new_ip": NEW, "lowered_ttl": "600", "restored_ttl": "86400",
         "min_wait": "900", "quiet_hours": "01:00-05:00"},
        {"url": "https://old.example.net:8443", "auth": "login",
         "login": "admin", "secret": "s3cret&<pw>\"\\/ü",
         "secondaries": [{"name": "ns2", "method": "notify"},
                         {"name": "ns3", "method": "manual"}]},
        {"url": "https://[2001:db8::1]:8443/", "quiet_hours": "",
         "secondaries": [{"name": "ns2", "method": "rndc"}]},
        {},
    ]
    for n, form in enumerate(forms):
        php = ("echo json_encode(json_decode(stream_get_contents(STDIN), true),"
               " JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);")
        r = subprocess.run(["php", "-r", php], input=json.dumps(form),
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("php: %s" % r.stderr)
        out = r.stdout if form else "{}"
        save("settings", "%02d-form.json" % n, out.encode())
    return len(forms)


# ------------------------------------------------------------------ config

def readme_config():
    """The configuration blocks of README.md, one file."""
    out, on = [], False
    with open(os.path.join(ROOT, "README.md")) as f:
        for line in f:
            if line.strip() == "```ini":
                on = True
                continue
            if on and line.strip() == "```":
                on = False
                continue
            if on:
                out.append(line[3:] if line.startswith("   ") else line)
    return "".join(out).encode()


# ------------------------------------------------------------------ main

def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    shutil.rmtree(D, ignore_errors=True)
    os.makedirs(D)
    random.seed(11)
    mail = os.path.join(D, "mail")
    args = [MAILBED, "up", "--dir", mail, "--ip", NEW, "--hostname",
            "mail.owned.test"]
    for x in DOMAINS:
        args += ["--domain", x, "--cert-name", "mail." + x]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=120)
    sim = Sim("fuzzseeds-sim", FIXTURE, primary=P, secondary=S, trace=True)
    try:
        key = os.path.join(D, "key")
        write_secret(key, KEY)
        conf = os.path.join(D, "mc.conf")
        state = os.path.join(D, "state")
        with open(conf, "w") as f:
            f.write("""# the fuzz seeds' bed (tests/fuzz/mkseeds.py)
[source]
url = %s
secret_file = %s
pin = %s
timeout = 30
batch_size = 3
[cutover]
new_ip = %s
new_ip6 = %s
primary_dns = %s
state_dir = %s
switch_timeout = 10
sync_timeout = 10
dns_timeout = 300
mail_cafile = %s
[secondary ns2]
address = %s
method = rndc
rndc_key = %s
""" % (sim.url, key, sim.pin, NEW, NEW6, P, state,
                os.path.join(mail, "ca.pem"), S,
                os.path.join(sim.dir, "rndc-secondary.key")))
        save("config", "00-bed.conf", open(conf, "rb").read())
        save("config", "01-readme.conf", readme_config())
        save("config", "02-login-target.conf", ("""[source]
url = %s
auth = login
login = admin
secret_file = %s
pin = %s
insecure = no
connect_timeout = 5
max_response = 8M
protocol = 1.6.7.0
[target]
url = https://127.0.3.20:8443
secret_file = %s
cafile = %s
[cutover]
primary_dns = %s
old_ip = 127.0.2.10 fd00::2:10
drop_aaaa = yes
records = mail lists webmail smtp
lowered_ttl = 600
restored_ttl = 86400
min_wait = 900
quiet_hours = 01:00-05:00
resolver = 127.0.8.53
dkim_selector = default
test_timings = yes
[secondary ns2]
address = %s
method = plesk
url = https://127.0.2.32:8443
secret_file = %s
pin = %s
[secondary ns3]
address = 127.0.53.3
method = manual
""" % (sim.url, key, sim.pin, key, os.path.join(mail, "ca.pem"), P, S, key,
            sim.pin)).encode())
        steps = [("plan", 0), ("prepare", 0), ("switch", DAY + 60),
                 ("sync", DAY + 60), ("disable-old-mail", DAY + 1100),
                 ("verify", DAY + 1200), ("rollback", DAY + 1300)]
        jn = 0
        for step, fake in steps:
            helper(conf, step, *DOMAINS, fake=fake, timeout=300)
            for base in ("owned", "v6"):
                j = os.path.join(state, base + ".test.journal")
                if not os.path.exists(j):
                    continue
                data = open(j, "rb").read()
                h = hashlib.sha256(data).hexdigest()[:8]
                if True:
                    save("journal", "%02d-%s-%s-%s" % (jn, step, base, h),
                         b"\x00" + data)
                    body = data[:data.rfind(b"end sha256=")]
                    save("journal", "%02d-%s-%s-%s-body" % (jn, step, base,
                                                           h),
                         b"\x01" + body)
                    jn += 2
        for extra in (["list"], ["status"], ["servers"],
                      ["raw", "protos"], ["raw", "info"],
                      ["raw", "mail-info", "1"], ["raw", "soa", "1", "8"],
                      ["raw", "get-rec-id", "107", "999999"],
                      ["raw", "mail-prefs", "1", "99"],
                      ["plan", "nosuch.test", "sub.parent.test",
                       "nozone-alias.test", "b\u00fccher-shop.example"]):
            helper(conf, *extra, timeout=120)
        sim.config(locale="ja")
        helper(conf, "raw", "get-rec", "1", "99", timeout=60)
        helper(conf, "raw", "del-rec", "999999", timeout=60)
        sim.config(locale="en")
        nr = reply_seeds(sim.trace)
        nd = dns_seeds()
        nm = mail_seeds()
        ns = spf_seeds()
        nj = settings_seeds()
    finally:
        sim.down()
        subprocess.run([MAILBED, "down", "--dir", mail],
                       stdout=subprocess.DEVNULL, timeout=60)
    for t in sorted(os.listdir(SEEDS)):
        files = os.listdir(os.path.join(SEEDS, t))
        size = sum(os.path.getsize(os.path.join(SEEDS, t, f)) for f in files)
        print("%-9s %3d seeds, %6d bytes" % (t, len(files), size))
    del nr, nd, nm, ns, nj
    return 0


if __name__ == "__main__":
    sys.exit(main())
