#!/usr/bin/python3
"""The helper's shape, checked (issue 12).

1. No cycle among the modules: for each pair of object files, the
   undefined symbols of one that the other defines (nm) make an edge; the
   graph must be acyclic. A cycle is printed with one symbol per edge.
2. Layers: every module is in one layer of tests/arch/layers, and a call
   goes to the same layer or one below, never up.
3. Every .c and .h file is at most 20480 bytes.
4. Every function is at most 80 lines (from the line with its name to its
   closing brace) unless the comment right above it holds "long:" and
   says why.

usage: check.py [--root DIR] [--objdir DIR] [--layers FILE] [SRCDIR...]
  SRCDIR defaults to plugin/helper and xmlrpc; objects are OBJDIR/SRCDIR/X.o
  (default build/). Prints "ok - ..." or "FAIL - ..." per check and ends
  with "N passed, N failed, 0 skipped"; exit 1 when a check fails.
"""
import os
import re
import subprocess
import sys

MAX_BYTES = 20480
MAX_LINES = 80
MARK = "long:"


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what):
        self.passed += 1
        print("ok   - %s" % what)

    def fail(self, what, details=()):
        self.failed += 1
        print("FAIL - %s" % what)
        for d in details:
            print("       %s" % d)


def sources(root, srcdirs):
    """[(module, path.c)] of every .c file, and every .c/.h path."""
    mods, files = [], []
    for sd in srcdirs:
        d = os.path.join(root, sd)
        for f in sorted(os.listdir(d)):
            if f.endswith((".c", ".h")):
                files.append(os.path.join(d, f))
            if f.endswith(".c"):
                mods.append((f[:-2], os.path.join(sd, f)))
    return mods, files


def nm(path, *args):
    r = subprocess.run(["nm", "-P"] + list(args) + [path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("nm %s: %s" % (path, r.stderr.strip()))
    out = []
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 2:
            out.append((f[0], f[1]))
    return out


def graph(root, objdir, mods, res):
    """{module: {module: symbol}} from nm, or None when an object is
    missing or older than its source (build first)."""
    defs, undef, stale = {}, {}, []
    for m, src in mods:
        o = os.path.join(root, objdir, src[:-2] + ".o")
        s = os.path.join(root, src)
        if not os.path.exists(o) or os.path.getmtime(o) < os.path.getmtime(s):
            stale.append(o)
            continue
        for sym, t in nm(o, "-g", "--defined-only"):
            defs.setdefault(sym, m)
        undef[m] = [sym for sym, t in nm(o, "-u")]
    if stale:
        res.fail("objects missing or older than their source (run make)",
                 stale)
        return None
    g = {m: {} for m, _ in mods}
    for m, syms in undef.items():
        for sym in syms:
            t = defs.get(sym)
            if t is not None and t != m:
                g[m].setdefault(t, sym)
    return g


def find_cycle(g):
    """One cycle [a, b, ..., a] of the graph, or None."""
    color, stack = {}, []

    def visit(n):
        color[n] = 1
        stack.append(n)
        for t in sorted(g.get(n, {})):
            if color.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if color.get(t) is None:
                c = visit(t)
                if c:
                    return c
        stack.pop()
        color[n] = 2
        return None

    sys.setrecursionlimit(10000)
    for n in sorted(g):
        if color.get(n) is None:
            c = visit(n)
            if c:
                return c
    return None


def check_cycles(g, res):
    c = find_cycle(g)
    if c:
        res.fail("a cycle among the modules", [
            "%s -> %s (%s)" % (a, b, g[a][b]) for a, b in zip(c, c[1:])])
    else:
        res.ok("no cycle among %d modules (%d edges)" %
               (len(g), sum(len(v) for v in g.values())))


def read_layers(path):
    """[(layer, [module...])] top first."""
    layers = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, mods = line.partition(":")
            layers.append((name.strip(), mods.split()))
    return layers


def check_layers(g, layers, res):
    rank, where = {}, {}
    for i, (name, mods) in enumerate(layers):
        for m in mods:
            rank[m] = i
            where[m] = name
    missing = sorted(m for m in g if m not in rank)
    if missing:
        res.fail("modules without a layer in tests/arch/layers",
                 ["%s.c: add it to the line of its layer" % m
                  for m in missing])
        return
    up = []
    for a in sorted(g):
        for b, sym in sorted(g[a].items()):
            if rank[b] < rank[a]:
                up.append("%s (%s) calls %s (%s): %s" %
                          (a, where[a], b, where[b], sym))
    if up:
        res.fail("calls that go up a layer", up)
    else:
        res.ok("every call goes down the layers (%s)" %
               " > ".join(n for n, _ in layers))


def check_sizes(files, root, res):
    big = []
    for p in files:
        n = os.path.getsize(p)
        if n > MAX_BYTES:
            big.append("%s: %d bytes" % (os.path.relpath(p, root), n))
    if big:
        res.fail("files over %d bytes" % MAX_BYTES, big)
    else:
        top = max(files, key=os.path.getsize)
        res.ok("%d files <= %d bytes (largest %s, %d)" %
               (len(files), MAX_BYTES, os.path.relpath(top, root),
                os.path.getsize(top)))


NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")


def functions(path):
    """[(name, first line, length, marked)] of the function definitions
    of a C file in the project's style: the name at column 0 on its own
    line after the return type, the braces at column 0."""
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = NAME.match(lines[i])
        if not m:
            i += 1
            continue
        j = i
        while j < len(lines) and not lines[j].startswith("{") and \
                not lines[j].rstrip().endswith(";"):
            j += 1
        if j >= len(lines) or not lines[j].startswith("{"):
            i += 1
            continue
        k = j
        while k < len(lines) and not lines[k].startswith("}"):
            k += 1
        out.append((m.group(1), i + 1, k - i + 1, marked(lines, i)))
        i = k + 1
    return out


def marked(lines, i):
    """The comment block right above the declaration holds MARK."""
    j = i - 1
    # skip the return type (and storage class) lines
    while j >= 0 and j > i - 4 and lines[j].strip() and \
            not lines[j].rstrip().endswith("*/"):
        j -= 1
    if j < 0 or not lines[j].rstrip().endswith("*/"):
        return False
    text = []
    while j >= 0:
        text.append(lines[j])
        if "/*" in lines[j]:
            break
        j -= 1
    return MARK in "\n".join(text)


def check_functions(files, root, res):
    long_, marked_ = [], []
    n = 0
    for p in files:
        if not p.endswith(".c"):
            continue
        for name, line, length, mark in functions(p):
            n += 1
            if length <= MAX_LINES:
                continue
            where = "%s:%d %s: %d lines" % (os.path.relpath(p, root), line,
                                            name, length)
            (marked_ if mark else long_).append(where)
    if long_:
        res.fail("functions over %d lines without a '/* %s why */' "
                 "comment" % (MAX_LINES, MARK), long_)
    else:
        res.ok("%d functions <= %d lines, %d longer with a reason%s" %
               (n, MAX_LINES, len(marked_),
                (": " + "; ".join(marked_)) if marked_ else ""))


def main(argv):
    root = os.getcwd()
    objdir = "build"
    layers = None
    srcdirs = []
    a = 1
    while a < len(argv):
        if argv[a] == "--root":
            root = argv[a + 1]
            a += 2
        elif argv[a] == "--objdir":
            objdir = argv[a + 1]
            a += 2
        elif argv[a] == "--layers":
            layers = argv[a + 1]
            a += 2
        else:
            srcdirs.append(argv[a])
            a += 1
    srcdirs = srcdirs or ["plugin/helper", "xmlrpc"]
    layers = layers or os.path.join(root, "tests", "arch", "layers")
    res = Result()
    mods, files = sources(root, srcdirs)
    g = graph(root, objdir, mods, res)
    if g is not None:
        check_cycles(g, res)
        check_layers(g, read_layers(layers), res)
    check_sizes(files, root, res)
    check_functions(files, root, res)
    return res


if __name__ == "__main__":
    r = main(sys.argv)
    print("%d passed, %d failed, 0 skipped" % (r.passed, r.failed))
    sys.exit(1 if r.failed else 0)
