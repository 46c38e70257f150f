#!/usr/bin/python3
"""The arch suite: first each check of tests/arch/check.py is shown to
fail on a small broken case built here (and to pass on its clean twin),
then the real checks run on plugin/helper and xmlrpc (build first: make).

Ends with "N passed, N failed, 0 skipped"; exit 1 when anything failed."""
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import check  # noqa: E402

passed = failed = 0


def result(ok, what, details="", show=False):
    """One test; show: print what the checker said (its FAIL lines) on
    success too, to see it fail on the broken case."""
    global passed, failed
    if ok:
        passed += 1
        print("ok   - %s" % what)
        for line in details.splitlines() if show else ():
            if line.startswith("FAIL") or line.startswith("       "):
                print("       checker: %s" % line.strip())
    else:
        failed += 1
        print("FAIL - %s" % what)
        for line in details.splitlines():
            print("       %s" % line)


class Case:
    """A scratch tree: src/*.c, their objects under obj/, a layers file."""

    def __init__(self, name):
        self.root = tempfile.mkdtemp(prefix="arch-%s-" % name)
        os.makedirs(os.path.join(self.root, "src"))

    def write(self, name, text):
        with open(os.path.join(self.root, "src", name), "w") as f:
            f.write(text)

    def layers(self, text):
        with open(os.path.join(self.root, "layers"), "w") as f:
            f.write(text)

    def build(self):
        os.makedirs(os.path.join(self.root, "obj", "src"), exist_ok=True)
        for f in sorted(os.listdir(os.path.join(self.root, "src"))):
            if f.endswith(".c"):
                subprocess.run(["cc", "-c", "-o",
                                os.path.join(self.root, "obj", "src",
                                             f[:-2] + ".o"),
                                os.path.join(self.root, "src", f)],
                               check=True)

    def run(self):
        """(output, passed, failed) of check.py on this tree."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            r = check.main(["check.py", "--root", self.root, "--objdir",
                            "obj", "--layers",
                            os.path.join(self.root, "layers"), "src"])
        return out.getvalue(), r.passed, r.failed

    def done(self):
        shutil.rmtree(self.root, ignore_errors=True)


def func(name, lines, call=None, mark=False):
    """A C function of exactly `lines` lines (name line to brace)."""
    body = ["%s(void)" % name, "{"]
    if call:
        body.append("\t%s();" % call)
    while len(body) < lines - 2:
        body.append("\t;")
    body += ["\treturn 0;", "}"]
    head = ["/* long: a reason */"] if mark else []
    return "\n".join(head + ["int"] + body) + "\n"


def proto(*names):
    return "".join("int %s(void);\n" % n for n in names)


def t_cycle():
    c = Case("cycle")
    c.write("a.c", proto("a_f", "b_f") + func("a_f", 5, "b_f"))
    c.write("b.c", proto("a_f", "b_f") + func("b_f", 5, "a_f"))
    c.layers("x: a b\n")
    c.build()
    out, p, f = c.run()
    result(f == 1 and "a cycle among the modules" in out and
           "a -> b (b_f)" in out and "b -> a (a_f)" in out,
           "selftest: a calls b and b calls a: the cycle is printed", out, show=True)
    c.write("b.c", proto("b_f") + func("b_f", 5))
    c.build()
    out, p, f = c.run()
    result(f == 0 and "no cycle among 2 modules (1 edges)" in out,
           "selftest: a calls b only: no cycle", out)
    c.done()


def t_layers():
    c = Case("layers")
    c.write("a.c", proto("a_f") + func("a_f", 5))
    c.write("b.c", proto("a_f", "b_f") + func("b_f", 5, "a_f"))
    c.layers("top: a\nbottom: b\n")
    c.build()
    out, p, f = c.run()
    result(f == 1 and "calls that go up a layer" in out and
           "b (bottom) calls a (top): a_f" in out,
           "selftest: a lower module calling a higher one fails", out, show=True)
    c.layers("top: b\nbottom: a\n")
    out, p, f = c.run()
    result(f == 0 and "every call goes down the layers" in out,
           "selftest: the same call going down passes", out)
    c.layers("top: b\n")
    out, p, f = c.run()
    result(f == 1 and "a.c: add it to the line of its layer" in out,
           "selftest: a module without a layer fails", out, show=True)
    c.done()


def t_stale():
    c = Case("stale")
    c.write("a.c", proto("a_f") + func("a_f", 5))
    c.layers("x: a\n")
    c.build()
    o = os.path.join(c.root, "obj", "src", "a.o")
    os.utime(o, (1, 1))
    out, p, f = c.run()
    result(f >= 1 and "objects missing or older than their source" in out,
           "selftest: an object older than its source fails", out, show=True)
    c.done()


def t_size():
    c = Case("size")
    c.layers("x: a\n")
    c.write("a.c", "/*" + "x" * (check.MAX_BYTES - 5) + "*/\n")
    c.build()
    out, p, f = c.run()
    result(f == 0 and "1 files <= %d bytes" % check.MAX_BYTES in out,
           "selftest: a file of exactly %d bytes passes" % check.MAX_BYTES,
           out)
    c.write("a.c", "/*" + "x" * (check.MAX_BYTES - 4) + "*/\n")
    c.build()
    out, p, f = c.run()
    result(f == 1 and "src/a.c: %d bytes" % (check.MAX_BYTES + 1) in out,
           "selftest: a file one byte over fails", out, show=True)
    c.done()


def t_length():
    c = Case("length")
    c.layers("x: a\n")
    c.write("a.c", proto("a_f") + func("a_f", check.MAX_LINES))
    c.build()
    out, p, f = c.run()
    result(f == 0 and "1 functions <= %d lines, 0 longer" % check.MAX_LINES
           in out, "selftest: a function of %d lines passes" %
           check.MAX_LINES, out)
    c.write("a.c", proto("a_f") + func("a_f", check.MAX_LINES + 1))
    c.build()
    out, p, f = c.run()
    result(f == 1 and "a_f: %d lines" % (check.MAX_LINES + 1) in out,
           "selftest: a function one line over fails", out, show=True)
    c.write("a.c", proto("a_f") + func("a_f", check.MAX_LINES + 1,
                                       mark=True))
    c.build()
    out, p, f = c.run()
    result(f == 0 and "1 longer with a reason" in out,
           "selftest: the same with a '/* long: why */' comment passes",
           out)
    c.done()


def t_real():
    """The helper and the library as they are."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        r = check.main(["check.py", "--root", ROOT])
    text = out.getvalue()
    for line in text.splitlines():
        print("       real: %s" % line)
    result(r.failed == 0 and r.passed == 4,
           "plugin/helper and xmlrpc: no cycle, layers, sizes, function "
           "lengths (%d of 4 checks pass)" % r.passed)


if __name__ == "__main__":
    for t in (t_cycle, t_layers, t_stale, t_size, t_length, t_real):
        try:
            t()
        except Exception as e:  # a broken test bed is a failure
            result(False, "%s: %s" % (t.__name__, e))
    print("%d passed, %d failed, 0 skipped" % (passed, failed))
    sys.exit(1 if failed else 0)
