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
                     "plib/hooks/LongTasks.php", "plib/scripts/post-install.php",
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


def main():
    for name, fn in sorted((n, f) for n, f in globals().items() if n.startswith("t_")):
        test(name[2:], fn)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
