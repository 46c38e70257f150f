"""Machinery of the fault matrix (tests/system/faults.py): a TCP proxy in
front of the panel and DNS proxies in front of the name servers (the
faults that are not the emulator's own), a full disk, dig in batch mode,
and the audit-log replay.

Everything listens on loopback test hosts only and runs in threads of the
test process; stop() ends each one.
"""
import os
import select
import socket
import struct
import subprocess
import threading
import time


class PanelProxy:
    """TCP relay LISTEN -> UPSTREAM (the emulator's HTTPS port), bytes as
    they come (TLS end to end). Modes for new connections: "pass";
    "refuse" (no listener: connection refused); "garbage" (accept, send
    bytes that are not TLS, close: the TLS handshake fails). reset_all()
    resets every live connection (RST to the client)."""

    GARBAGE = b"HTTP/1.1 502 Bad Gateway\r\nServer: not-tls\r\n\r\n" + \
        bytes(range(256))

    def __init__(self, listen, upstream):
        self.listen = listen
        self.upstream = upstream
        self.mode = "pass"
        self.lock = threading.Lock()
        self.conns = []
        self.accepted = 0
        self.garbled = 0
        self.stopping = False
        self.lsock = None
        self._open()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _open(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(self.listen)
        s.listen(64)
        self.lsock = s

    def set_mode(self, mode):
        assert mode in ("pass", "refuse", "garbage")
        with self.lock:
            self.mode = mode
            if mode == "refuse" and self.lsock is not None:
                # queued, not yet accepted connections are reset too
                self.lsock.close()
                self.lsock = None
            elif mode != "refuse" and self.lsock is None:
                self._open()

    def reset_all(self):
        """RST every live connection (client side), close its upstream."""
        with self.lock:
            conns, self.conns = self.conns, []
        for c, u in conns:
            for s, rst in ((c, True), (u, False)):
                try:
                    if rst:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
                    s.close()
                except OSError:
                    pass
        return len(conns)

    def _loop(self):
        while not self.stopping:
            with self.lock:
                ls = self.lsock
            if ls is None:
                time.sleep(0.02)
                continue
            try:
                r, _, _ = select.select([ls], [], [], 0.05)
            except (OSError, ValueError):
                continue
            if not r:
                continue
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            with self.lock:
                mode = self.mode
            if mode == "garbage":
                self.garbled += 1
                try:
                    c.sendall(self.GARBAGE)
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
                continue
            if mode == "refuse":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                c.close()
                continue
            try:
                u = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                c.close()
                continue
            self.accepted += 1
            with self.lock:
                self.conns.append((c, u))
            threading.Thread(target=self._pump, args=(c, u),
                             daemon=True).start()

    def _pump(self, c, u):
        socks = [c, u]
        try:
            while not self.stopping:
                r, _, _ = select.select(socks, [], [], 0.2)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        raise EOFError
                    (u if s is c else c).sendall(data)
        except (OSError, ValueError, EOFError):
            pass
        with self.lock:
            if (c, u) in self.conns:
                self.conns.remove((c, u))
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.set_mode("refuse")
        self.reset_all()
        self.thread.join(5)


class DnsProxy:
    """UDP and TCP relay ADDR:PORT -> ADDR:53 (a real BIND). With
    drop = True every query is swallowed (no answer: the client times
    out), counted in dropped."""

    def __init__(self, addr, port, upstream_port=53):
        self.addr = addr
        self.port = port
        self.up = (addr, upstream_port)
        self.drop = False
        self.dropped = 0
        self.relayed = 0
        self.stopping = False
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((addr, port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, port))
        self.tcp.listen(32)
        self.threads = [threading.Thread(target=self._udp_loop, daemon=True),
                        threading.Thread(target=self._tcp_loop, daemon=True)]
        for t in self.threads:
            t.start()

    def _udp_loop(self):
        while not self.stopping:
            r, _, _ = select.select([self.udp], [], [], 0.1)
            if not r:
                continue
            try:
                data, peer = self.udp.recvfrom(65535)
            except OSError:
                continue
            if self.drop:
                self.dropped += 1
                continue
            self.relayed += 1
            threading.Thread(target=self._udp_one, args=(data, peer),
                             daemon=True).start()

    def _udp_one(self, data, peer):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(3)
            s.sendto(data, self.up)
            reply, _ = s.recvfrom(65535)
            if not self.drop:
                self.udp.sendto(reply, peer)
        except OSError:
            pass
        finally:
            s.close()

    def _tcp_loop(self):
        while not self.stopping:
            r, _, _ = select.select([self.tcp], [], [], 0.1)
            if not r:
                continue
            try:
                c, _ = self.tcp.accept()
            except OSError:
                continue
            threading.Thread(target=self._tcp_one, args=(c,),
                             daemon=True).start()

    def _tcp_one(self, c):
        u = None
        try:
            c.settimeout(5)
            if self.drop:
                self.dropped += 1
                c.recv(65535)	# read the query, never answer
                time.sleep(5)
                return
            self.relayed += 1
            u = socket.create_connection(self.up, timeout=5)
            socks = [c, u]
            end = time.time() + 10
            while time.time() < end:
                r, _, _ = select.select(socks, [], [], 0.2)
                for s in r:
                    data = s.recv(65535)
                    if not data:
                        return
                    (u if s is c else c).sendall(data)
        except OSError:
            pass
        finally:
            c.close()
            if u:
                u.close()

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()


class FullDisk:
    """A small tmpfs at DIR (mode 0700, root's), filled on demand."""

    def __init__(self, d, size="4m"):
        self.dir = d
        os.makedirs(d, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                            "size=%s,mode=0700" % size, "faults-tmpfs", d],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("mount tmpfs on %s: %s" % (d, r.stderr))
        self.fill_path = os.path.join(d, "fill")

    def fill(self):
        """Write until ENOSPC; return the bytes written."""
        n = 0
        fd = os.open(self.fill_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        chunk = b"\0" * 65536
        try:
            while True:
                try:
                    w = os.write(fd, chunk if n % 65536 == 0 else b"\0")
                except OSError:
                    if len(chunk) > 1:
                        chunk = b"\0"	# fill the last page byte by byte
                        continue
                    break
                n += w
        finally:
            os.close(fd)
        return n

    def free(self):
        try:
            os.unlink(self.fill_path)
        except FileNotFoundError:
            pass

    def umount(self):
        subprocess.run(["umount", self.dir], capture_output=True)


def dig_batch(server, queries, port=53, timeout=2, tries=2):
    """Ask SERVER every (name, type) of QUERIES with one dig (batch mode,
    no recursion). -> list (same order) of (status, [(ttl, data)]);
    status is the rcode, or "timeout" / "unreachable" when no reply came."""
    if not queries:
        return []
    text = "".join("%s %s\n" % q for q in queries)
    r = subprocess.run(["dig", "-p", str(port), "+norec", "+noall",
                        "+comments", "+answer", "+time=%d" % timeout,
                        "+tries=%d" % tries, "@" + server, "-f", "-"],
                       input=text, capture_output=True, text=True,
                       timeout=60 + len(queries) * timeout * tries)
    out = []
    cur = None
    lasterr = None
    for line in (r.stdout + "\n" + r.stderr).splitlines():
        line = line.strip()
        if "->>HEADER<<-" in line and "status:" in line:
            cur = (line.split("status:", 1)[1].split(",")[0].strip(), [])
            out.append(cur)
            continue
        if line.startswith(";;") and ("timed out" in line or
                                      "connection refused" in line):
            lasterr = "timeout" if "timed out" in line else "unreachable"
            continue
        if "no servers could be reached" in line:
            out.append((lasterr or "timeout", []))
            cur = None
            lasterr = None
            continue
        if not line or line.startswith(";") or cur is None:
            continue
        f = line.split(None, 4)
        if len(f) == 5:
            cur[1].append((int(f[1]), f[4]))
    if len(out) != len(queries):
        raise RuntimeError("dig batch: %d answers for %d queries: %s" % (
            len(out), len(queries), (r.stdout + r.stderr)[-400:]))
    return out


def audit_replay(entries, zone, names, start, failed_applied=False):
    """What the audit log says the panel holds for ZONE: START (dict with
    "recs" {name: set(values)}, "ttl", "mail") changed by each entry of
    the domain in order. Entries that report no change (unknown, failed,
    refresh, registrar, summaries) change nothing; with failed_applied,
    entries logged as failed or unknown count as applied."""
    st = {"recs": {n: set(v) for n, v in start["recs"].items()},
          "ttl": start["ttl"], "mail": start["mail"]}

    def rec(text):
        # "mail.example.com A 127.0.3.20"
        f = text.split()
        if len(f) != 3:
            return None
        host = f[0]
        label = host[:-len(zone) - 1] if host.endswith("." + zone) else \
            "" if host == zone else None
        if label not in names:
            return None
        return label, f[2]

    for e in entries:
        step, old, new, res = e["step"], e["old"], e["new"], e["result"]
        if failed_applied and res in ("failed", "unknown"):
            res = {"switch": None, "rollback": None}.get(step, "ok")
            if res is None:
                res = "added" if old == "-" else "deleted" \
                    if new == "-" else "ok"
        if step in ("switch", "rollback") and res == "added":
            r = rec(new)
            if r:
                st["recs"][r[0]].add(r[1])
        elif step in ("switch", "rollback") and res == "deleted":
            r = rec(old)
            if r:
                st["recs"][r[0]].discard(r[1])
        elif step in ("prepare", "finish") and res == "ok":
            st["ttl"] = int(new)
        elif step == "rollback" and old == "TTL" and res == "ok":
            st["ttl"] = int(new)
        elif step == "rollback" and old == "mail off" and res == "ok":
            st["mail"] = True
        elif step == "disable-old-mail" and new == "off" and res == "ok":
            st["mail"] = False
    return st


def parse_journal(path):
    """{key: value} of a journal file (values unescaped as far as the
    tests need: they hold no escapes)."""
    kv = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line and not line.startswith("end sha256="):
                k, v = line.split("=", 1)
                kv[k] = v
    return kv
