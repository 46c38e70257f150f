#!/usr/bin/python3
"""The fuzz smoke (`make fuzz`; the "fuzz" suite of `make test`).

For each harness build/fuzz/fuzz_T (tests/fuzz/fuzz_T.c): replay every
input in tests/fuzz/regress/T/ once (each must pass), then fuzz for FUZZ_S
seconds (default 20) from the committed seeds (tests/fuzz/seeds/T/), with
a fresh working corpus in tests/out/fuzz/T/. A crash, leak, timeout or
out-of-memory input is left in tests/out/fuzz/T/ and fails the target:
once understood, copy it into tests/fuzz/regress/T/ so that every later
run replays it.

Prints one line per target, "fuzz: N targets, N execs, N crashes" and
ends with "N passed, N failed".
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FUZZ = os.path.join(ROOT, "tests", "fuzz")
BIN = os.path.join(ROOT, "build", "fuzz")
OUT = os.path.join(ROOT, "tests", "out", "fuzz")
MAX_LEN = {"reply": 16384, "journal": 32768, "config": 8192,
           "settings": 8192, "dns": 4096, "mailline": 8192, "spf": 4096}


def targets():
    return sorted(os.path.basename(p)[len("fuzz_"):-2]
                  for p in glob.glob(os.path.join(FUZZ, "fuzz_*.c")))


def tail(path, n=40):
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-n:])


def replay(t, exe, work):
    """Run each regression input once. -> (count, error or None)"""
    files = sorted(glob.glob(os.path.join(FUZZ, "regress", t, "*")))
    if not files:
        return 0, None
    log = os.path.join(work, "regress.log")
    with open(log, "w") as f:
        r = subprocess.run([exe, "-runs=1"] + files, stdout=f,
                           stderr=subprocess.STDOUT, timeout=600)
    if r.returncode != 0:
        return len(files), "a regression input fails again (exit %d):\n%s" % (
            r.returncode, tail(log))
    return len(files), None


def fuzz(t, exe, work, secs):
    """-> (execs, summary, error or None)"""
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus)
    log = os.path.join(work, "fuzz.log")
    args = [exe, "-max_total_time=%d" % secs, "-print_final_stats=1",
            "-timeout=10", "-rss_limit_mb=2048",
            "-max_len=%d" % MAX_LEN.get(t, 8192),
            "-artifact_prefix=%s/" % work, corpus,
            os.path.join(FUZZ, "seeds", t)]
    with open(log, "w") as f:
        r = subprocess.run(args, stdout=f, stderr=subprocess.STDOUT,
                           timeout=secs + 600)
    with open(log, errors="replace") as f:
        text = f.read()
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    execs = int(m.group(1)) if m else 0
    done = [x for x in text.splitlines() if re.match(r"#\d+\s+DONE", x)]
    summary = done[-1].split(None, 2)[-1] if done else ""
    arts = [a for a in glob.glob(os.path.join(work, "*"))
            if re.match(r"(crash|leak|timeout|oom|slow-unit)-",
                        os.path.basename(a))]
    if r.returncode != 0 or arts:
        return execs, summary, "exit %d, input %s:\n%s" % (
            r.returncode, ", ".join(arts) or "(none saved)", tail(log))
    if execs == 0:
        return execs, summary, "no input was run:\n" + tail(log)
    return execs, summary, None


def main():
    secs = int(os.environ.get("FUZZ_S", "20"))
    passed = failed = crashes = execs_all = 0
    ts = targets()
    for t in ts:
        exe = os.path.join(BIN, "fuzz_" + t)
        work = os.path.join(OUT, t)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        if not os.access(exe, os.X_OK):
            print("FAIL - %s: %s missing (make fuzz-bins)" % (t, exe))
            failed += 1
            continue
        if not os.listdir(os.path.join(FUZZ, "seeds", t)):
            print("FAIL - %s: no seeds in tests/fuzz/seeds/%s" % (t, t))
            failed += 1
            continue
        t0 = time.time()
        nreg, err = replay(t, exe, work)
        if err:
            print("FAIL - %s: %s" % (t, err))
            failed += 1
            crashes += 1
            continue
        execs, summary, err = fuzz(t, exe, work, secs)
        execs_all += execs
        if err:
            print("FAIL - %s: %d execs, %s" % (t, execs, err))
            failed += 1
            crashes += 1
            continue
        passed += 1
        print("ok   - %s: %d execs, %s, %d regression inputs replayed "
              "(%.0f s)" % (t, execs, summary, nreg, time.time() - t0),
              flush=True)
    print("fuzz: %d targets, %d execs, %d crashes" % (len(ts), execs_all,
                                                       crashes))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
