#!/bin/sh
# Install the Debian packages that building, testing and the demo need.
# Run as root it installs what is missing; otherwise it says what to run.
set -u
PKGS="build-essential pkg-config libcurl4-openssl-dev libxml2-dev libxml2-utils
libssl-dev libldns-dev libidn2-dev libcmocka-dev bind9 bind9-dnsutils faketime python3
python3-lxml openssl curl iproute2 procps postfix dovecot-core
dovecot-imapd dovecot-pop3d unbound php-cli chromium"
# the fuzz harnesses (make fuzz-bins): clang with libFuzzer, ASan, UBSan
PKGS="$PKGS clang-14 libclang-rt-14-dev"
# the static packaged helper (plugin/static/libs.sh) and the Debian 11 root
# of the portable suite (tests/portable/mkroot.sh)
PKGS="$PKGS musl-tools dpkg-dev linux-libc-dev patch xz-utils file mmdebstrap"
# the browser tests need node and npm (playwright-core); Debian's only when
# none is installed (a preinstalled node 20 ships its own npm)
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
# a Japanese font, so that the browser tests' ja-JP screenshots show the text
PKGS="$PKGS fonts-ipafont-gothic"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "mailcutover: missing Debian packages:$missing" >&2
	echo "Run as root:  apt-get update && apt-get install -y$missing" >&2
	echo "(or run 'make test' / 'make demo' as root; they install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# postfix: no main.cf, no system instance; the mail test bed brings its own.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "apt-get install failed:$missing" >&2; exit 1; }
# unbound's package may start a system unbound on 127.0.0.1:53; the
# continuity test runs its own on 127.0.8.53 only.
# bind9's package may start a system named; ours run on 127.0.53.x only,
# but a system named on 0.0.0.0:53 would not bind those. Leave it alone.
exit 0
