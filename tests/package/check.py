#!/usr/bin/python3
"""Package checks (make test, suite "package"): meta.xml parses and has the
required elements; every PHP file passes `php -l`; the zip's layout is what
Plesk expects (meta.xml at the root, htdocs/, plib/, sbin/mailcutover with
mode 0755). Ends with one line "N passed, N failed"."""
import glob
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZIP = os.path.join(ROOT, "build", "ext", "mail-cutover.zip")
REQUIRED = ("id", "name", "description", "version", "release", "vendor",
            "plesk_min_version", "os")
passed = failed = 0


def test(name, fn):
    global passed, failed
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report every failure
        failed += 1
        print("FAIL - %s: %s" % (name, e))
        return
    passed += 1
    print("ok   - %s" % name)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def meta_ok(text, built):
    root = ET.fromstring(text)
    check(root.tag == "module", "root is <module>")
    for el in REQUIRED:
        check(root.find(el) is not None and (root.find(el).text or "").strip(),
              "meta.xml has <%s>" % el)
    check(root.findtext("id") == "mail-cutover", "id mail-cutover")
    check(root.findtext("os") == "unix", "os unix")
    check(re.fullmatch(r"\d+(\.\d+){2}", root.findtext("version")), "version x.y.z")
    check(re.fullmatch(r"\d+(\.\d+){1,3}", root.findtext("plesk_min_version")),
          "plesk_min_version")
    rel = root.findtext("release")
    if built:
        check(rel.isdigit(), "release is a number in the package: %r" % rel)
    else:
        check(rel == "{{RELEASE}}", "source keeps the {{RELEASE}} placeholder")
    check(any(d.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja-JP"
              for d in root.findall("description")), "ja-JP description")


def t_meta_source():
    with open(os.path.join(ROOT, "plugin", "meta.xml"), "rb") as f:
        meta_ok(f.read(), False)


def php_files():
    pats = ["plugin/**/*.php", "ui-templates/*.phtml", "tests/browser/stub/*.php"]
    files = []
    for p in pats:
        files += glob.glob(os.path.join(ROOT, p), recursive=True)
    return sorted(files)


def t_php_lint():
    files = php_files()
    check(len(files) >= 15, "found the PHP files (%d)" % len(files))
    bad = []
    for f in files:
        r = subprocess.run(["php", "-l", f], capture_output=True, text=True)
        if r.returncode != 0:
            bad.append(r.stdout + r.stderr)
    check(not bad, "php -l: " + " ".join(bad))


def t_one_callsbin_class():
    users = []
    for f in glob.glob(os.path.join(ROOT, "plugin", "**", "*.php"), recursive=True):
        with open(f, encoding="utf-8") as fh:
            if re.search(r"pm_ApiCli::callSbin\s*\(", fh.read()):
                users.append(os.path.relpath(f, ROOT))
    check(users == ["plugin/plib/library/Helper.php"],
          "only Helper.php calls callSbin: %s" % users)


def t_locales():
    keys = {}
    for loc in ("en-US", "ja-JP"):
        f = os.path.join(ROOT, "plugin", "plib", "resources", "locales", loc + ".php")
        r = subprocess.run(["php", "-r", "include $argv[1]; echo json_encode(array_keys($messages));", f],
                           capture_output=True, text=True)
        check(r.returncode == 0, "%s loads" % loc)
        keys[loc] = set(json.loads(r.stdout))
    check(keys["en-US"] == keys["ja-JP"], "same keys: %s" % (keys["en-US"] ^ keys["ja-JP"]))


def t_zip_layout():
    check(os.path.exists(ZIP), "%s built (make ext)" % ZIP)
    with zipfile.ZipFile(ZIP) as z:
        names = z.namelist()
        check("meta.xml" in names, "meta.xml at the root")
        meta_ok(z.read("meta.xml"), True)
        for need in ("htdocs/index.php", "plib/controllers/IndexController.php",
                     "plib/library/Helper.php", "plib/hooks/CustomButtons.php",
                     "plib/hooks/LongTasks.php", "plib/hooks/Notifications.php",
                     "plib/hooks/ActionLog.php", "plib/library/Events.php",
                     "plib/library/Audit.php", "plib/library/Sent.php",
                     "plib/scripts/post-install.php",
                     "plib/scripts/pre-uninstall.php", "plib/scripts/tick.php",
                     "plib/resources/locales/en-US.php", "plib/resources/locales/ja-JP.php",
                     "plib/views/scripts/index/index.phtml", "plib/views/scripts/index/domain.phtml",
                     "plib/views/scripts/index/settings.phtml", "htdocs/css/cutover.css",
                     "htdocs/js/cutover.js", "sbin/mailcutover", "var/README",
                     "_meta/icons/32x32.png", "_meta/icons/64x64.png", "_meta/icons/128x128.png"):
            check(need in names, "zip has " + need)
        for n in names:
            check(not n.startswith("/") and ".." not in n.split("/"), "safe path " + n)
            check(n.split("/")[0] in ("meta.xml", "DESCRIPTION.md", "CHANGES.md", "htdocs",
                                      "plib", "sbin", "var", "_meta"), "known top level: " + n)
        zi = z.getinfo("sbin/mailcutover")
        check(zi.create_system == 3, "Unix modes recorded")
        check((zi.external_attr >> 16) & 0o777 == 0o755, "sbin/mailcutover mode 0755: %o"
              % ((zi.external_attr >> 16) & 0o777))
        check(z.read("sbin/mailcutover")[:4] == b"\x7fELF", "sbin/mailcutover is the helper binary")
        for n in ("32x32", "64x64", "128x128"):
            data = z.read("_meta/icons/%s.png" % n)
            check(data[:8] == b"\x89PNG\r\n\x1a\n", "icon %s is a PNG" % n)
            w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            check("%dx%d" % (w, h) == n, "icon size %s" % n)
        check(not any(n.startswith("plugin/helper") or n.endswith(".c") for n in names),
              "no C sources in the package")


STAGE = os.path.join(ROOT, "build", "ext", "mail-cutover")
SDK = os.path.join(ROOT, "tests", "package", "sdk.php")


def run_script(ext, script, var):
    """plib/scripts/SCRIPT of the staged extension EXT, as Plesk runs it."""
    # scripts run without a web session (issue 11: pm_Session guarded)
    env = dict(os.environ, MC_EXT_DIR=ext, MC_SBIN_DIR=os.path.join(ext, "sbin"),
               MC_CONFIG=os.path.join(var, "none.conf"), MC_VAR_DIR=var,
               MC_STUB_NO_SESSION="1")
    return subprocess.run(["php", SDK, os.path.join(ext, "plib", "scripts", script)],
                          capture_output=True, text=True, env=env, timeout=60)


def t_post_install_says_why_the_helper_cannot_run():
    import shutil
    import tempfile
    check(os.path.exists(os.path.join(STAGE, "sbin", "mailcutover")), "make ext first")
    tmp = tempfile.mkdtemp(prefix="mc-postinstall.")
    try:
        ext, var = os.path.join(tmp, "ext"), os.path.join(tmp, "var")
        shutil.copytree(STAGE, ext)
        os.makedirs(var)
        sbin = os.path.join(ext, "sbin", "mailcutover")
        with open(sbin, "rb") as f:
            good = f.read()

        def put(data, mode=0o755):
            if os.path.exists(sbin):
                os.unlink(sbin)
            if data is not None:
                with open(sbin, "wb") as f:
                    f.write(data)
                os.chmod(sbin, mode)

        r = run_script(ext, "post-install.php", var)
        check(r.returncode == 0 and "mailcutover 1." not in r.stderr and
              "runs" in r.stdout and "static" in r.stdout,
              "the packaged helper passes: %r %r" % (r.stdout, r.stderr))
        cases = [
            ("missing", None, 0o755, ("missing", "not installed completely")),
            ("no x bit", good, 0o644, ("not executable", "permission denied")),
            ("aarch64", good[:18] + b"\xb7\x00" + good[20:], 0o755,
             ("built for aarch64", "wrong architecture")),
            ("not ELF", b"MZ\x90\x00" + b"\x00" * 60, 0o755,
             ("not a Linux program", "exec format error")),
        ]
        for name, data, mode, words in cases:
            put(data, mode)
            r = run_script(ext, "post-install.php", var)
            out = r.stdout + r.stderr
            check(r.returncode == 1 and all(w in out for w in words),
                  "%s: exit 1 naming %s: %r" % (name, words, out))
        # what the helper's own failures look like once it started
        for stderr, code, words in (
                ("sbin/mailcutover: error while loading shared libraries: "
                 "libldns.so.3: cannot open shared object file", 127,
                 "a library is missing: libldns.so.3"),
                ("sbin/mailcutover: /lib64/libc.so.6: version `GLIBC_2.34' "
                 "not found (required by sbin/mailcutover)", 1, "needs GLIBC_2.34"),
                ("sh: 1: sbin/mailcutover: Permission denied", 126, "permission denied"),
                ("cannot execute binary file: Exec format error", 126,
                 "exec format error")):
            r = subprocess.run(["php", "-r", 'require $argv[1]; require $argv[2]; '
                                'echo json_encode(Modules_MailCutover_Helper::selfTestResult('
                                '(int)$argv[3], "", $argv[4]));', SDK.replace("sdk.php", "../browser/stub/pm.php"),
                                os.path.join(ext, "plib", "library", "Helper.php"), str(code), stderr],
                               capture_output=True, text=True, timeout=30)
            v = json.loads(r.stdout) if r.returncode == 0 else None
            check(v is not None and not v["ok"] and words in v["message"],
                  "%s -> %r: %r %r" % (stderr, words, r.stdout, r.stderr))
        # the scheduled tick before the settings page was ever saved: silent
        put(good)
        r = run_script(ext, "tick.php", var)
        check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
              "tick without a config: exit 0, no output: %r %r" % (r.stdout, r.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def t_notification_logic():
    """tests/package/events.php: the hooks in both languages, which helper
    answer is which event, one digest per event, a refused one sent again,
    an accepted one never, the digest's cap (its own ok/FAIL lines)."""
    import shutil
    import tempfile
    check(os.path.exists(os.path.join(STAGE, "sbin", "mailcutover")), "make ext first")
    tmp = tempfile.mkdtemp(prefix="mc-events.")
    try:
        var = os.path.join(tmp, "var")
        os.makedirs(var)
        env = dict(os.environ, MC_EXT_DIR=STAGE, MC_SBIN_DIR=os.path.join(STAGE, "sbin"),
                   MC_CONFIG=os.path.join(var, "none.conf"), MC_VAR_DIR=var,
                   MC_STUB_RECORDS=os.path.join(tmp, "records.jsonl"))
        r = subprocess.run(["php", os.path.join(ROOT, "tests", "package", "events.php")],
                           capture_output=True, text=True, env=env, timeout=120)
        for line in r.stdout.splitlines():
            print("  | " + line)
        last = (r.stdout.strip().splitlines() or [""])[-1]
        check(r.returncode == 0 and re.fullmatch(r"[1-9]\d* passed, 0 failed", last),
              "events.php: exit %d, %r %s" % (r.returncode, last, r.stderr[-400:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    for name, fn in sorted((n, f) for n, f in globals().items() if n.startswith("t_")):
        test(name[2:], fn)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
