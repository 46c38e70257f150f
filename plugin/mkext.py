#!/usr/bin/python3
"""Build the installable Plesk extension zip (make ext).

usage: plugin/mkext.py HELPER_BINARY OUT_DIR
Stages OUT_DIR/mail-cutover/ (meta.xml with the release number filled in,
htdocs/, plib/ with the views and assets from ui-templates/, sbin/mailcutover,
_meta/icons/ generated here, var/) and writes OUT_DIR/mail-cutover-V-R.zip
with the Unix modes recorded (sbin/mailcutover 0755). Prints the zip path.
"""
import os
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PLUGIN = os.path.join(ROOT, "plugin")
UI = os.path.join(ROOT, "ui-templates")
ID = "mail-cutover"


def release():
    if os.environ.get("RELEASE", "").isdigit():
        return os.environ["RELEASE"]
    try:
        n = subprocess.run(["git", "-C", ROOT, "rev-list", "--count", "HEAD"],
                           capture_output=True, text=True, check=True).stdout
        if n.strip().isdigit():
            return n.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return time.strftime("%Y%m%d%H", time.gmtime())


def png(size):
    """An envelope-and-arrow icon, drawn pixel by pixel (no downloads)."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            fx, fy = x / size, y / size
            r, g, b, a = 0, 0, 0, 0
            if 0.08 <= fx <= 0.92 and 0.22 <= fy <= 0.78:
                r, g, b, a = 40, 110, 190, 255          # envelope body
                if abs((fy - 0.22) - 0.6 * abs(fx - 0.5)) < 0.05:
                    r, g, b = 240, 245, 250             # flap lines
            if 0.55 <= fx <= 0.98 and 0.55 <= fy <= 0.98 and \
                    fx - 0.55 >= abs(fy - 0.765) * 0.9:
                r, g, b, a = 240, 150, 30, 255          # the arrow
            row += bytes((r, g, b, a))
        rows.append(bytes(row))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) +
            chunk(b"IEND", b""))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    helper, out = sys.argv[1], os.path.abspath(sys.argv[2])
    stage = os.path.join(out, ID)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    for part in ("htdocs", "plib", "var"):
        shutil.copytree(os.path.join(PLUGIN, part), os.path.join(stage, part))
    for f in ("DESCRIPTION.md", "CHANGES.md"):
        shutil.copy(os.path.join(PLUGIN, f), stage)
    views = os.path.join(stage, "plib", "views", "scripts", "index")
    os.makedirs(views, exist_ok=True)
    for f in ("index.phtml", "domain.phtml", "settings.phtml"):
        shutil.copy(os.path.join(UI, f), views)
    for sub, f in (("css", "cutover.css"), ("js", "cutover.js")):
        os.makedirs(os.path.join(stage, "htdocs", sub), exist_ok=True)
        shutil.copy(os.path.join(UI, f), os.path.join(stage, "htdocs", sub))
    os.makedirs(os.path.join(stage, "htdocs", "images"), exist_ok=True)
    with open(os.path.join(stage, "htdocs", "images", "icon-16.png"), "wb") as f:
        f.write(png(16))
    icons = os.path.join(stage, "_meta", "icons")
    os.makedirs(icons)
    for n in (32, 64, 128):
        with open(os.path.join(icons, "%dx%d.png" % (n, n)), "wb") as f:
            f.write(png(n))
    rel = release()
    with open(os.path.join(PLUGIN, "meta.xml"), encoding="utf-8") as f:
        meta = f.read()
    if "{{RELEASE}}" not in meta:
        sys.exit("mkext: meta.xml has no {{RELEASE}} placeholder")
    meta = meta.replace("{{RELEASE}}", rel)
    with open(os.path.join(stage, "meta.xml"), "w", encoding="utf-8") as f:
        f.write(meta)
    version = meta.split("<version>")[1].split("</version>")[0]
    os.makedirs(os.path.join(stage, "sbin"))
    sbin = os.path.join(stage, "sbin", "mailcutover")
    shutil.copy(helper, sbin)
    os.chmod(sbin, 0o755)

    zpath = os.path.join(out, "%s-%s-%s.zip" % (ID, version, rel))
    if os.path.exists(zpath):
        os.unlink(zpath)
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, dirnames, files in os.walk(stage):
            dirnames.sort()
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                arc = os.path.relpath(full, stage)
                mode = 0o755 if arc.startswith("sbin/") else 0o644
                zi = zipfile.ZipInfo(arc, time.gmtime(os.stat(full).st_mtime)[:6])
                zi.external_attr = (0o100000 | mode) << 16
                zi.create_system = 3            # Unix: the mode counts
                zi.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as f:
                    z.writestr(zi, f.read())
    link = os.path.join(out, ID + ".zip")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.basename(zpath), link)
    print(zpath)


if __name__ == "__main__":
    main()
