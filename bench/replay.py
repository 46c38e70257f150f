#!/usr/bin/python3
"""replay.py -- the replay baseline of the benchmark (issue 14): the exact
packets the helper sent, as the emulator traced them (--trace-dir:
NNNNNN-req.xml), sent again in the same order by a minimal client over ONE
keep-alive HTTPS connection to an emulator started fresh from the same
fixture, so that every packet meets the state it met the first time.

usage: replay.py URL CAFILE KEYFILE TRACEDIR FIRST LAST [FIRST LAST ...]
  each FIRST LAST: an inclusive range of trace numbers (one step)
prints one JSON object: {"steps": [{"first", "last", "requests", "panel_s",
"bytes_out", "bytes_in", "errors"}], "panel_s", "requests", "connections"}
panel_s: the time from sending a request to the last byte of its reply,
summed (what the helper's panel_s measures inside curl_easy_perform).
Exit 1 when a reply is not HTTP 200 or not <status>ok</status> where the
helper's was, or the connection had to be opened again.
"""
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse


def main(argv):
    if len(argv) < 7 or (len(argv) - 5) % 2:
        sys.stderr.write(__doc__)
        return 2
    url, cafile, keyfile, trace = argv[1:5]
    ranges = [(int(argv[i]), int(argv[i + 1])) for i in range(5, len(argv), 2)]
    u = urllib.parse.urlsplit(url)
    with open(keyfile) as f:
        key = f.read().strip()
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    conn = http.client.HTTPSConnection(u.hostname, u.port or 8443,
                                       context=ctx, timeout=3600)
    conn.connect()
    sock = conn.sock
    out = {"steps": [], "panel_s": 0.0, "requests": 0, "connections": 1}
    failed = 0
    for first, last in ranges:
        st = {"first": first, "last": last, "requests": 0, "panel_s": 0.0,
              "bytes_out": 0, "bytes_in": 0, "errors": 0}
        for seq in range(first, last + 1):
            p = os.path.join(trace, "%06d-req.xml" % seq)
            if not os.path.exists(p):
                continue
            with open(p, "rb") as f:
                body = f.read()
            # what the helper got: a reply that was ok must be ok again
            rp = os.path.join(trace, "%06d-resp.xml" % seq)
            want_ok = False
            if os.path.exists(rp):
                with open(rp, "rb") as f:
                    want_ok = b"<status>error</status>" not in f.read()
            t0 = time.monotonic()
            conn.request("POST", "/enterprise/control/agent.php", body=body,
                         headers={"KEY": key, "Content-Type": "text/xml",
                                  "HTTP_PRETTY_PRINT": "FALSE"})
            r = conn.getresponse()
            data = r.read()
            st["panel_s"] += time.monotonic() - t0
            st["requests"] += 1
            st["bytes_out"] += len(body)
            st["bytes_in"] += len(data)
            if r.status != 200 or (want_ok and
                                   b"<status>error</status>" in data):
                st["errors"] += 1
                failed += 1
            if conn.sock is not sock:
                out["connections"] += 1
                sock = conn.sock
        st["panel_s"] = round(st["panel_s"], 3)
        out["steps"].append(st)
        out["panel_s"] += st["panel_s"]
        out["requests"] += st["requests"]
    conn.close()
    out["panel_s"] = round(out["panel_s"], 3)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 1 if failed or out["connections"] != 1 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
