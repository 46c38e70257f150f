#!/bin/sh
# tests/portable/mkroot.sh -- the minimal Debian 11 root of the "portable"
# suite, built once with mmdebstrap and kept in BUILD_DIR/bullseye-ARCH.
#
# usage: sh tests/portable/mkroot.sh BUILD_DIR      (make: build/root)
#
# Debian 11 has glibc 2.31, OpenSSL 1.1 and, in a minimal root, no libcurl,
# libxml2 or libldns: the packaged helper must run there as it is. Needs the
# Debian mirror the first time (outside any network namespace); installs
# mmdebstrap when missing. Prints the root's path. Exit 1 and the reason
# when the root cannot be built.
set -u
B=${1:?usage: mkroot.sh BUILD_DIR}
SUITE=bullseye
MIRROR=${MC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ARCH=$(dpkg --print-architecture)
mkdir -p "$B" || exit 1
B=$(cd "$B" && pwd)
R=$B/$SUITE-$ARCH

if [ -e "$R/.done" ]; then
	echo "$R"
	exit 0
fi
die() { echo "mkroot: $*" >&2; exit 1; }
if ! command -v mmdebstrap >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || die "mmdebstrap missing: apt-get install mmdebstrap"
	echo "mkroot: installing mmdebstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends mmdebstrap >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    --no-install-recommends mmdebstrap >/dev/null 2>&1; } ||
		die "apt-get install mmdebstrap failed"
fi
echo "mkroot: building a Debian 11 ($SUITE, $ARCH) root in $R (once)" >&2
t0=$(date +%s)
rm -rf "$R.tmp" "$R"
# minbase: essential packages and apt; no ca-certificates, no openssl, no
# libcurl, libxml2 or libldns
if ! mmdebstrap --quiet --variant=minbase --mode=root \
    --architectures="$ARCH" "$SUITE" "$R.tmp" "$MIRROR" \
    >"$B/mkroot.log" 2>&1; then
	tail -n 20 "$B/mkroot.log" >&2
	rm -rf "$R.tmp"
	die "mmdebstrap $SUITE failed (log: $B/mkroot.log)"
fi
grep -q '^11\.' "$R.tmp/etc/debian_version" ||
	die "$R.tmp is not Debian 11: $(cat "$R.tmp/etc/debian_version")"
touch "$R.tmp/.done"
mv "$R.tmp" "$R" || die "cannot move $R.tmp to $R"
echo "mkroot: done in $(($(date +%s) - t0)) s" >&2
echo "$R"
