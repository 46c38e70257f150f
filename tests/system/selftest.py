#!/usr/bin/python3
"""Self-tests of the test machinery: each check is shown to fail on the
broken case it exists for.

- tests/run.sh: a non-zero exit, an empty suite, no result line, a skip
  not in SKIP_ALLOWED, a sanitizer report and missing XSDs fail a suite;
  the last line always has three numbers.
- simlib.dig: a dead or hung name server is "unreachable" / "timeout",
  never an empty answer; NXDOMAIN, REFUSED and NOERROR/NODATA differ
  (against a real BIND started by the emulator on 127.0.2.40 / 127.0.53.40).
- simlib.san_check / helper(): a sanitizer report or a sanitizer exit code
  fails the test; real ASan/UBSan builds exit 86/87, not 1.
- continuity.account: lost, duplicated, stranger and miscounted mail.

Ends with "N passed, N failed, N skipped"."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import simlib  # noqa: E402
from simlib import (OUT, ROOT, Runner, Sim, check, dig,  # noqa: E402
                    dig_parse, san_check)

RUN_SH = os.path.join(ROOT, "tests", "run.sh")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "system.json")
D = os.path.join(OUT, "selftest")


# ------------------------------------------------------------ the runner

def runner(script):
    """Run SCRIPT (sh) with tests/run.sh's functions loaded, in a scratch
    directory; -> (stdout+stderr, total_pass, total_fail, total_skip)."""
    d = tempfile.mkdtemp(dir=D)
    os.makedirs(os.path.join(d, "tests", "out"))
    sh = ('RUN_SH_FUNCTIONS_ONLY=1 . "%s"\n%s\n'
          'echo "TOTALS $total_pass $total_fail $total_skip"\n' %
          (RUN_SH, script))
    r = subprocess.run(["sh", "-c", sh], cwd=d, capture_output=True,
                       text=True, timeout=60)
    out = r.stdout + r.stderr
    tot = [l for l in out.splitlines() if l.startswith("TOTALS ")]
    check(tot, "runner totals printed", out)
    p, f, s = (int(x) for x in tot[-1].split()[1:])
    return out, p, f, s


def fake(body):
    """A fake suite: a sh script printing BODY (printf %b)."""
    return "sh -c 'printf \"%%b\" \"%s\"'" % body.replace("'", "")


def t_runner_clean_suite_passes():
    # the control case: the checks below must not fail everything
    out, p, f, s = runner("run_script fake %s" % fake(
        "ok   - a\\nok   - b\\n2 passed, 0 failed, 0 skipped\\n"))
    check((p, f, s) == (2, 0, 0), "a clean suite passes", out)


def t_runner_nonzero_exit_fails():
    out, p, f, s = runner(
        "run_script fake sh -c 'echo \"3 passed, 0 failed\"; exit 1'")
    check(f >= 1 and "exited 1" in out,
          "summary then exit 1: the suite fails", out)


def t_runner_empty_suite_fails():
    out, p, f, s = runner("run_script fake %s" % fake(
        "0 passed, 0 failed\\n"))
    check(f == 1 and "no test ran" in out, "0/0 fails", out)
    out, p, f, s = runner("run_cmocka unit")
    check(f == 1 and "no test" in out, "a unit suite with no binary fails",
          out)


def t_runner_no_result_line_fails():
    out, p, f, s = runner("run_script fake %s" % fake("hello\\n"))
    check(f == 1 and "no result line" in out, "no result line fails", out)


ALLOW = ("SKIP_ALLOWED='cutover|full_bulk_cutover|^NO_MAIL on purpose|"
         "a test fixture'\n")


def t_runner_skip_needs_an_allowed_reason():
    out, p, f, s = runner("run_script system %s" % fake(
        "ok   - a\\nskip - replies_validate: no XSD dir\\n"
        "1 passed, 0 failed, 1 skipped\\n"))
    check((p, f, s) == (1, 1, 0) and "skip not allowed" in out,
          "an unlisted skip is a failure", out)
    # the list of tests/run.sh itself allows nothing
    out, p, f, s = runner('[ -z "$SKIP_ALLOWED" ] && echo EMPTY')
    check("EMPTY" in out, "tests/run.sh allows no skip today", out)
    # with a listed reason (a fixture list): the same test name with
    # another reason, or in another suite, is refused
    out, p, f, s = runner(ALLOW + "run_script system %s" % fake(
        "skip - full_bulk_cutover: NO_MAIL on purpose\\n"
        "0 passed, 0 failed, 1 skipped\\n"))
    check(f == 1 and s == 0, "allowed only in its own suite", out)
    out, p, f, s = runner(ALLOW + "run_script cutover %s" % fake(
        "skip - full_bulk_cutover: mail bed unavailable\\n"
        "0 passed, 0 failed, 1 skipped\\n"))
    check(f == 1 and s == 0, "an unlisted reason is refused", out)
    # the listed reason is counted as a skip
    out, p, f, s = runner(ALLOW + "run_script cutover %s" % fake(
        "ok   - a\\nskip - full_bulk_cutover: NO_MAIL on purpose: "
        "verify not run\\n1 passed, 0 failed, 1 skipped\\n"))
    check((p, f, s) == (1, 0, 1), "a listed reason is a skip", out)


def t_runner_cmocka_skip_fails():
    d = tempfile.mkdtemp(dir=D)
    b = os.path.join(d, "test_fake")
    with open(b, "w") as f:
        f.write("#!/bin/sh\necho '[  PASSED  ] 2 test(s).'\n"
                "echo '[  SKIPPED ] 1 test(s), listed below:'\n")
    os.chmod(b, 0o755)
    out, p, f, s = runner("run_cmocka unit %s" % b)
    check((p, f, s) == (2, 1, 0), "a cmocka skip is a failure", out)


def t_runner_sanitizer_report_fails():
    out, p, f, s = runner("run_script fake %s" % fake(
        "==1==ERROR: Address" "Sanitizer: heap-use-after-free\\n"
        "1 passed, 0 failed\\n"))
    check(f == 1, "a sanitizer report in a passing suite fails it", out)
    out, p, f, s = runner("run_script fake %s" % fake(
        "x.c:3:5: runtime" " error: signed integer overflow\\n"
        "1 passed, 0 failed\\n"))
    check(f == 1, "a UBSan report fails it", out)


def t_runner_xsd_required():
    out, p, f, s = runner('check_xsd /nonexistent || echo REFUSED')
    check("REFUSED" in out and "agent_input.xsd" in out,
          "missing XSDs refused", out)
    xsd = os.environ.get("PLESK_XSD_DIR", os.path.join(ROOT, "..",
                                                       "shared", "plesk-xsd"))
    out, p, f, s = runner('check_xsd "%s" && echo ACCEPTED' % xsd)
    check("ACCEPTED" in out, "the real XSDs accepted", out)


def t_runner_last_line_has_three_numbers():
    r = subprocess.run(["sh", RUN_SH, "no-such-suite"], capture_output=True,
                       text=True, timeout=60)
    last = r.stdout.strip().splitlines()[-1]
    check(last == "0 passed, 1 failed, 0 skipped" and r.returncode == 1,
          "unknown suite: a failure, three numbers", r.stdout, r.returncode)


# ---------------------------------------------------------------- dig

def t_dig_parse():
    ok = (";; Got answer:\n;; ->>HEADER<<- opcode: QUERY, status: NOERROR, "
          "id: 1\n;; flags: qr aa; QUERY: 1, ANSWER: 1\n\n"
          "mail.example.com.\t600\tIN\tA\t127.0.3.20\n")
    check(dig_parse(ok) == ("NOERROR", ["127.0.3.20"]), "answer",
          dig_parse(ok))
    dead = (";; communications error to 127.0.53.1#53: connection refused\n"
            ";; no servers could be reached\n")
    check(dig_parse(dead) == ("unreachable", []), "dead", dig_parse(dead))
    hung = (";; communications error to 127.0.53.1#53: timed out\n"
            ";; no servers could be reached\n")
    check(dig_parse(hung) == ("timeout", []), "hung", dig_parse(hung))


def t_dig_statuses_against_bind():
    """A real BIND: each status, and a dead/hung server never reads as an
    empty answer (the old dig() returned [] for all of these)."""
    sim = Sim("selftest-dig", FIXTURE, listen="127.0.2.40:8443",
              primary="127.0.53.40", secondary=None, trace=False)
    P = "127.0.53.40"
    try:
        got = dig(P, "www.example.com")
        check(got == ("NOERROR", ["127.0.2.10"]), "NOERROR + data", got)
        got = dig(P, "www.example.com", "AAAA")
        check(got == ("NOERROR", []), "NOERROR, no data", got)
        got = dig(P, "nosuch.example.com")
        check(got == ("NXDOMAIN", []), "NXDOMAIN", got)
        got = dig(P, "www.not-served.invalid")
        check(got == ("REFUSED", []), "REFUSED", got)
        got = dig(P, "www.example.com", tcp=True)
        check(got == ("NOERROR", ["127.0.2.10"]), "over TCP", got)
        with open(os.path.join(sim.dir, "named-primary.pid")) as f:
            pid = int(f.read().split()[0])
        os.kill(pid, signal.SIGSTOP)
        try:
            got = dig(P, "www.example.com", timeout=1, tries=1)
        finally:
            os.kill(pid, signal.SIGCONT)
        check(got == ("timeout", []), "a hung server times out", got)
        os.kill(pid, signal.SIGTERM)
        simlib.wait_for(lambda: dig(P, "www.example.com", timeout=1,
                                    tries=1)[0] != "NOERROR", 10)
        got = dig(P, "www.example.com", timeout=1, tries=1)
        check(got == ("unreachable", []), "a dead server is unreachable",
              got)
        try:
            simlib.soa_serial(P, "example.com")
            raise RuntimeError("soa_serial of a dead server returned")
        except AssertionError:
            pass
    finally:
        sim.down()


# ---------------------------------------------------------- sanitizers

def t_san_check():
    san_check(0, "mailcutover: WARNING: something\n", "clean")
    san_check(1, "", "exit 1 is the helper's own")
    for rc, err in ((1, "==9==ERROR: Address" "Sanitizer: heap-buffer-"
                     "overflow\n"),
                    (1, "a.c:1:2: runtime" " error: load of null pointer\n"),
                    (0, "==9==ERROR: Leak" "Sanitizer: detected memory "
                     "leaks\n"),
                    (86, ""), (87, "")):
        try:
            san_check(rc, err, "case")
        except simlib.SanitizerReport:
            continue
        raise AssertionError("not caught: rc %d %r" % (rc, err[:30]))


def t_helper_runs_are_checked_centrally():
    """simlib.helper(): JSON on stdout and exit 1, as the tests expect, but
    a sanitizer report on stderr: the test fails."""
    d = tempfile.mkdtemp(dir=D)
    fake_bin = os.path.join(d, "mailcutover")
    with open(fake_bin, "w") as f:
        f.write("#!/bin/sh\necho '{\"exit\": 1}'\n"
                "echo '==7==ERROR: Address''Sanitizer: heap-use-after-free'"
                " >&2\nexit 1\n")
    os.chmod(fake_bin, 0o755)
    saved = simlib.HELPER
    simlib.HELPER = fake_bin
    try:
        simlib.helper("/dev/null", "servers")
        raise RuntimeError("the report went unnoticed")
    except simlib.SanitizerReport:
        pass
    finally:
        simlib.HELPER = saved


def t_sanitizer_exit_codes():
    """Real ASan and UBSan builds under the options tests/run.sh and
    simlib set: 86 and 87, never the helper's 1."""
    d = tempfile.mkdtemp(dir=D)
    src = os.path.join(d, "bad.c")
    with open(src, "w") as f:
        f.write("#include <stdlib.h>\n#include <limits.h>\n"
                "int main(int argc, char **argv) {\n"
                "  (void)argv;\n"
                "  if (argc > 1) { int i = INT_MAX; i += argc; return i; }\n"
                "  char *p = malloc(4); free(p); return p[1]; }\n")
    exe = os.path.join(d, "bad")
    r = subprocess.run(["cc", "-g", "-fsanitize=address,undefined",
                        "-fno-sanitize-recover=all", "-o", exe, src],
                       capture_output=True, text=True)
    check(r.returncode == 0, "cc -fsanitize", r.stderr[-500:])
    r = subprocess.run([exe], capture_output=True, text=True)
    check(r.returncode == 86, "ASan exits 86", r.returncode)
    r = subprocess.run([exe, "x"], capture_output=True, text=True)
    check(r.returncode == 87, "UBSan exits 87", r.returncode)


# ----------------------------------------------------------- continuity

def t_continuity_accounting():
    import continuity as C
    sent = ["cont-%d" % i for i in range(1, 7)]
    old = {"cont-1": [("test", 1.0)], "cont-2": [("test", 2.0)]}
    new = {"cont-3": [("test", 3.0)], "cont-4": [("test", 4.0)]}
    ok = C.account(sent, old, new, {"cont-5"}, {"cont-6"},
                   {"cont-1", "cont-2", "cont-3", "cont-4"})
    check((ok["old"], ok["new"], ok["bounced"], ok["queued"]) ==
          (2, 2, 1, 1) and not (ok["lost"] or ok["duplicates"] or
                                ok["strangers"] or ok["inconsistent"]),
          "clean", ok)
    # delivered to both servers: a duplicate, not "one found"
    a = C.account(sent, dict(old, **{"cont-3": [("test", 5.0)]}), new,
                  {"cont-5"}, {"cont-6"}, {"cont-1", "cont-2", "cont-3",
                                           "cont-4"})
    check(a["duplicates"] and a["inconsistent"], "duplicate", a)
    # twice in one Maildir
    a = C.account(sent, {"cont-1": [("test", 1), ("test", 2)],
                         "cont-2": [("test", 2.0)]}, new, {"cont-5"},
                  {"cont-6"}, {"cont-1", "cont-2", "cont-3", "cont-4"})
    check(a["duplicates"], "duplicate in one Maildir", a)
    # a stranger does not make up for a lost message (the old arithmetic
    # sent - found - bounced - queued gave lost = 0 here)
    a = C.account(sent, {"cont-1": [("test", 1.0)],
                         "stranger-1": [("test", 1.0)]}, new, {"cont-5"},
                  {"cont-6"}, {"cont-1", "cont-2", "cont-3", "cont-4"})
    check(a["lost"] == ["cont-2"] and a["strangers"] == ["stranger-1"],
          "lost and stranger", a)
    # a 250 with no message in either Maildir
    a = C.account(sent, {"cont-1": [("test", 1.0)]}, new, {"cont-5"},
                  {"cont-6", "cont-2"}, {"cont-1", "cont-2", "cont-3",
                                         "cont-4"})
    check(a["inconsistent"], "new + old != delivered", a)
    check(C.account_line(ok).startswith(
        "continuity: sent=6 new=2 old=2 bounced=1 queued=1 lost=0 "
        "duplicates=0 strangers=0"), "line", C.account_line(ok))


def main():
    shutil.rmtree(D, ignore_errors=True)
    os.makedirs(D)
    run = Runner()
    for name, fn in [(n, f) for n, f in globals().items()
                     if n.startswith("t_")]:
        run.run(name[2:], fn)
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
