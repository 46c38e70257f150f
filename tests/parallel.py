#!/usr/bin/python3
"""Run test suites side by side, each in its own network namespace.

usage: tests/parallel.py JOBS SPEC

SPEC is a file of lines "SUITE<TAB>LOG<TAB>RC<TAB>SHELL COMMAND". Each suite
runs as `sh -c COMMAND`, inside `unshare -n` with its loopback up, so suites
that use the same loopback addresses and ports (every system suite uses
127.0.2.10 and 127.0.53.x) cannot meet. Its output goes to LOG, its exit
status to RC. At most JOBS run at once; most suites spend their time waiting
for servers, timeouts and gates, not on the CPU, which is why this pays off
on 2 cores.

Logs are printed whole, in SPEC order, as soon as a suite and every suite
before it have ended, so the output reads as a sequential run would. One
line per suite on stderr says when it ended and how long it took.
tests/run.sh scores every suite from LOG and RC afterwards, exactly as in a
sequential run. Exits 0 (scoring is run.sh's job), 2 on a bad SPEC.
"""
import os
import subprocess
import sys
import time


# Rough length of each suite alone (seconds, on this 2-core machine): the
# longest start first, so that the run ends when the longest one does.
# Unknown suites count as short. Only the start order depends on this.
WEIGHT = {"faults": 300, "cutover": 240, "ownership": 180, "fuzz": 150,
          "browser": 120, "emulator": 110, "continuity": 180, "system": 40,
          "delegation": 35,
          "arch": 20, "portable": 15, "selftest": 10, "parentbed": 8,
          "package": 5}


def netns_works():
    """unshare -n needs root (CAP_SYS_ADMIN); check once."""
    try:
        r = subprocess.run(["unshare", "-n", "true"], capture_output=True,
                           timeout=30)
        return r.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    jobs = max(1, int(argv[1]))
    specs = []
    with open(argv[2]) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t", 3)
            if len(parts) != 4:
                print("parallel: bad spec line: %r" % line, file=sys.stderr)
                return 2
            specs.append(parts)
    if not netns_works():
        print("parallel: cannot make network namespaces (not root?): "
              "run with MC_TEST_JOBS=1", file=sys.stderr)
        return 2
    pending = sorted(range(len(specs)),
                     key=lambda i: -WEIGHT.get(specs[i][0], 30))
    running = {}            # index -> (Popen, start, logfile)
    done = set()
    printed = 0
    t0 = time.time()
    while pending or running:
        while pending and len(running) < jobs:
            i = pending.pop(0)
            suite, log, _, cmd = specs[i]
            lf = open(log, "wb")
            # the loopback of the new namespace starts down
            p = subprocess.Popen(
                ["unshare", "-n", "sh", "-c",
                 'ip link set lo up || exit 125; exec sh -c "$1"', "sh", cmd],
                stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT)
            running[i] = (p, time.time(), lf)
        time.sleep(0.2)
        for i in list(running):
            p, start, lf = running[i]
            if p.poll() is None:
                continue
            lf.close()
            suite, log, rcf, _ = specs[i]
            with open(rcf, "w") as f:
                f.write("%d\n" % p.returncode)
            print("parallel: %s ended (exit %d) after %.0f s, %.0f s into "
                  "the run" % (suite, p.returncode, time.time() - start,
                               time.time() - t0), file=sys.stderr,
                  flush=True)
            done.add(i)
            del running[i]
        while printed < len(specs) and printed in done:
            suite, log, _, _ = specs[printed]
            print("=== suite: %s" % suite, flush=True)
            with open(log, "rb") as f:
                sys.stdout.buffer.write(f.read())
            sys.stdout.flush()
            printed += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
