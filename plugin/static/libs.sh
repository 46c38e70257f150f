#!/bin/sh
# plugin/static/libs.sh -- the static helper's libraries, built once.
#
# usage: sh plugin/static/libs.sh BUILD_DIR      (make: build/static)
#
# The packaged helper (sbin/mailcutover) is one static binary against musl:
# it needs no library on the Plesk server (Debian 11/12, Ubuntu 20.04-24.04,
# RHEL/Alma/Rocky 8-9, CloudLinux). Its libraries come from Debian 12's
# source packages (apt-get source), built here with musl-gcc and only what
# the helper uses:
#   OpenSSL  libraries only; no engines, modules, legacy provider, tests
#   libxml2  no python, zlib, lzma, ICU, HTTP, FTP, readline
#   libcurl  HTTP and HTTPS with OpenSSL; no zlib, IDN, PSL, HTTP/2,
#            LDAP, SSH, other protocols, compiled-in CA paths
#   ldns     the library only (no drill, examples, GOST, DANE)
#   libidn2  the library only, with its own copy of the few libunistring
#            parts it needs (no libunistring to build)
# Installed into BUILD_DIR/libs-KEY (include/, lib/), KEY a hash of the four
# source versions, this script and musl's version; BUILD_DIR/prefix points
# at it. A repeat run finds it and does nothing (no network either) unless
# a version changed. BUILD_DIR/libs.stamp changes only when the prefix does
# (make relinks the helper then). Times of each build: BUILD_DIR/times.
set -eu
B=${1:?usage: libs.sh BUILD_DIR}
mkdir -p "$B"
B=$(cd "$B" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PKGS="openssl libxml2 curl ldns libidn2"
JOBS=$(nproc 2>/dev/null || echo 2)
SRCLIST=/etc/apt/sources.list.d/mailcutover-src.sources

say() { echo "static: $*" >&2; }
die() { echo "static: $*" >&2; exit 1; }

command -v musl-gcc >/dev/null 2>&1 ||
	die "musl-gcc missing: apt-get install musl-tools (make deps does)"
command -v dpkg-source >/dev/null 2>&1 ||
	die "dpkg-source missing: apt-get install dpkg-dev (make deps does)"

# The highest version of a source package apt knows.
src_version() {
	apt-cache showsrc --only-source "$1" 2>/dev/null |
		sed -n 's/^Version: //p' | while read -r v; do
			echo "$v"
		done | sort -u | {
		best=""
		while read -r v; do
			if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
				best=$v
			fi
		done
		echo "$best"
	}
}

versions() {
	for p in $PKGS; do
		v=$(src_version "$p")
		[ -n "$v" ] || return 1
		echo "$p=$v"
	done
}

# deb-src lines for Debian 12 (the point-release archive), once.
ensure_sources() {
	if ! versions >/dev/null; then
		[ "$(id -u)" = 0 ] || die "no deb-src for $PKGS; as root: add" \
		    "deb-src lines for bookworm (see $0) and apt-get update"
		if [ ! -e "$SRCLIST" ]; then
			say "adding $SRCLIST (deb-src bookworm main)"
			cat >"$SRCLIST" <<-EOF
			# Mail Cutover: source packages of the static helper's libraries
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm bookworm-updates
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
			EOF
		fi
		apt-get update -q >/dev/null || die "apt-get update failed"
		versions >/dev/null || die "apt knows no source of $PKGS"
	fi
}

ensure_sources
VERS=$(versions)
MUSL=$(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || echo unknown)
KEY=$( (echo "$VERS"; echo "musl=$MUSL"; cat "$0") | sha256sum | cut -c1-12)
P=$B/libs-$KEY

link_prefix() {
	ln -sfn "libs-$KEY" "$B/prefix.tmp" && mv -T "$B/prefix.tmp" "$B/prefix"
	if [ "$(cat "$B/libs.stamp" 2>/dev/null)" != "$P" ]; then
		echo "$P" >"$B/libs.stamp"
	fi
}

if [ -e "$P/.done" ]; then
	link_prefix
	exit 0
fi

say "building the static libraries into $P (once; see $B/times)"
echo "$VERS" | sed 's/^/static: /' >&2
rm -rf "$P" "$B/work"
mkdir -p "$P/include" "$P/lib" "$B/work" "$B/src"
# musl's headers have no kernel headers: the few the libraries include
# (linux/, asm/) come from the system's, after musl's own.
KINC=$B/work/kinc
mkdir -p "$KINC"
for d in /usr/include/linux /usr/include/asm-generic \
	    /usr/include/x86_64-linux-gnu/asm; do
	[ -d "$d" ] || die "$d missing: apt-get install linux-libc-dev"
	ln -sfn "$d" "$KINC/$(basename "$d")"
done
export CC=musl-gcc
export PKG_CONFIG_LIBDIR="$P/lib/pkgconfig" PKG_CONFIG_PATH=""
: >"$B/times.new"

# Fetch (once per version) and unpack SRC=VERSION into $B/work; prints the dir.
unpack() {
	pkg=$1 ver=$2
	uver=${ver#*:}
	dsc=$B/src/${pkg}_$uver.dsc
	if [ ! -e "$dsc" ]; then
		(cd "$B/src" && apt-get source -q --download-only \
		    "$pkg=$ver" >/dev/null 2>"$B/src/$pkg.err") ||
			die "apt-get source $pkg=$ver failed: $(cat "$B/src/$pkg.err")"
	fi
	rm -rf "$B/work/$pkg"
	dpkg-source --no-check -x "$dsc" "$B/work/$pkg" >/dev/null ||
		die "dpkg-source -x $dsc failed"
	# The Debian patches that touch configure.ac or Makefile.am concern
	# what is not built here (zsh completion, GSSAPI, LDAP, HTML docs,
	# test programs): keep the shipped configure and Makefile.in, and
	# stop make from regenerating them (it would need autotools).
	(cd "$B/work/$pkg" && find . \( -name configure -o -name aclocal.m4 \
	    -o -name Makefile.in -o -name config.h.in -o -name 'ares_build.h.in' \
	    \) -exec touch -d @1700000000 {} + &&
	    find . \( -name configure.ac -o -name Makefile.am -o -name '*.m4' \
	    ! -name aclocal.m4 \) -exec touch -d @1600000000 {} +)
	echo "$B/work/$pkg"
}

timed() {	# NAME FUNCTION
	t0=$(date +%s)
	# in the background so that set -e holds inside the build function
	"$2" >"$B/work/$1.log" 2>&1 &
	wait $! || {
		tail -n 40 "$B/work/$1.log" >&2
		die "$1 failed (full log: $B/work/$1.log)"
	}
	t1=$(date +%s)
	echo "$1 $(($t1 - $t0)) s" >>"$B/times.new"
	say "$1 built in $(($t1 - $t0)) s"
}

ver() { echo "$VERS" | sed -n "s/^$1=//p"; }

build_openssl() {
	d=$(unpack openssl "$(ver openssl)")
	cd "$d"
	# OPENSSLDIR is unused at run time: the helper finds the trust store
	# itself and does not read the system's openssl.cnf.
	./Configure linux-x86_64 --prefix="$P" --libdir=lib \
	    --openssldir=/etc/ssl no-shared no-module no-legacy no-tests \
	    no-afalgeng no-async no-dso no-engine no-comp no-ssl3 no-srp \
	    no-idea no-mdc2 no-rc5 no-whirlpool no-seed no-camellia no-aria \
	    no-sm2 no-sm3 no-sm4 no-ui-console -idirafter "$KINC"
	make -j"$JOBS" build_libs
	make install_dev
}

build_libxml2() {
	d=$(unpack libxml2 "$(ver libxml2)")
	cd "$d"
	./configure --prefix="$P" --disable-shared --enable-static \
	    --without-python --without-lzma --without-zlib --without-icu \
	    --without-http --without-ftp --without-readline --without-history \
	    --without-modules --without-debug --without-legacy \
	    --without-catalog --without-docbook CFLAGS="-O2"
	make -j"$JOBS" libxml2.la
	make install-libLTLIBRARIES install-pkgconfigDATA
	make -C include install
}

build_curl() {
	d=$(unpack curl "$(ver curl)")
	cd "$d"
	# Debian builds its OpenSSL flavour without these two (debian/rules)
	patch -R -p1 <debian/patches/99_nss.patch >/dev/null
	patch -R -p1 <debian/patches/90_gnutls.patch >/dev/null
	./configure --prefix="$P" --disable-shared --enable-static \
	    --with-openssl="$P" --enable-http --disable-ftp --disable-file \
	    --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
	    --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
	    --disable-smtp --disable-gopher --disable-mqtt --disable-smb \
	    --disable-manual --disable-ntlm-wb --disable-unix-sockets \
	    --disable-alt-svc --disable-hsts --disable-cookies \
	    --disable-openssl-auto-load-config \
	    --enable-threaded-resolver --without-zlib --without-brotli \
	    --without-zstd --without-libidn2 --without-libpsl \
	    --without-nghttp2 --without-nghttp3 --without-ngtcp2 \
	    --without-quiche --without-librtmp --without-libssh2 \
	    --without-libssh --without-libgsasl --without-ca-bundle \
	    --without-ca-path CPPFLAGS="-idirafter $KINC" CFLAGS="-O2"
	make -j"$JOBS" -C lib libcurl.la
	make -C lib install-libLTLIBRARIES
	make -C include install
	make install-pkgconfigDATA
}

build_ldns() {
	d=$(unpack ldns "$(ver ldns)")
	cd "$d"
	./configure --prefix="$P" --disable-shared --enable-static \
	    --with-ssl="$P" --without-drill --without-examples \
	    --without-pyldns --without-pyldnsx --without-p5-dns-ldns \
	    --disable-gost --disable-dane --disable-rpath CFLAGS="-O2" \
	    LIBS="-lpthread"
	make -j"$JOBS" lib
	make install-h install-lib
}

build_libidn2() {
	d=$(unpack libidn2 "$(ver libidn2)")
	cd "$d"
	./configure --prefix="$P" --disable-shared --enable-static \
	    --with-included-unistring --disable-doc --disable-nls \
	    --disable-valgrind-tests --disable-gtk-doc CFLAGS="-O2"
	# gnulib and the bundled libunistring subset first: libidn2.a
	# takes their objects in
	make -j"$JOBS" -C gl
	make -j"$JOBS" -C unistring
	make -j"$JOBS" -C lib libidn2.la
	make -C lib install-libLTLIBRARIES install-includeHEADERS
}

T0=$(date +%s)
for p in $PKGS; do
	timed "$p" "build_$p"
done
echo "total $(($(date +%s) - T0)) s" >>"$B/times.new"
mv "$B/times.new" "$B/times"
cp "$B/times" "$P/times"
echo "$VERS" >"$P/versions"
touch "$P/.done"
rm -rf "$B/work"
# earlier prefixes (other versions) are not needed any more
for old in "$B"/libs-*; do
	[ "$old" = "$P" ] || rm -rf "$old"
done
link_prefix
say "done: $(tr '\n' ' ' <"$B/times")"
