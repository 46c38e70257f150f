#!/bin/sh
# make demo: the whole cutover on built-in test hosts, loopback only.
#   old server  127.0.2.10  Plesk 11 (emulated XML API) with real BIND 9:
#               primary DNS 127.0.53.1, secondary DNS 127.0.53.2
#   new server  127.0.3.20  real Postfix + Dovecot (tests/mail/mailbed)
# Three domains move in bulk; the time gates (24 h TTL wait, 15 min before
# old mail goes off) are passed by running the helper under faketime.
# Everything the demo starts is stopped at the end, by process id.
set -u
cd "$(dirname "$0")/.." || exit 2
OLD=127.0.2.10 NEW=127.0.3.20 P=127.0.53.1 S=127.0.53.2
DIR=$PWD/tests/out/demo
SIM=tests/plesk-sim/plesk-sim
MAILBED=tests/mail/mailbed
DOMAINS="example.com shop.test xn--bcher-kva.example"
FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

rm -rf "$DIR" && mkdir -p "$DIR" || exit 1
cleanup() {
	"$SIM" down --dir "$DIR/sim" >/dev/null 2>&1
	"$MAILBED" down --dir "$DIR/mail" >/dev/null 2>&1
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }
# run the helper at "now + $1 seconds"
mc_at() {
	t=$1
	shift
	LD_PRELOAD=$FT FAKETIME="+${t}s" FAKETIME_DONT_FAKE_MONOTONIC=1 \
		./mailcutover --config "$DIR/mailcutover.conf" "$@"
}
names() {
	for d in $DOMAINS; do
		for n in mail lists webmail; do
			printf '  %-30s primary %-11s secondary %s\n' "$n.$d" \
				"$(dig +short +norec @$P $n.$d A | tr '\n' ' ')" \
				"$(dig +short +norec @$S $n.$d A | tr '\n' ' ')"
		done
	done
}

step "old server: Plesk 11 (emulated) on $OLD, BIND primary $P and secondary $S"
"$SIM" up --dir "$DIR/sim" --fixture tests/fixtures/system.json \
	--listen $OLD:8443 --plesk 11 --primary $P --secondary $S || exit 1
step "new server: Postfix and Dovecot on $NEW"
set --
for d in $DOMAINS; do set -- "$@" --domain "$d" --cert-name "mail.$d"; done
"$MAILBED" up --dir "$DIR/mail" --ip $NEW --hostname mail.example.com "$@" \
	</dev/null >"$DIR/mailbed.log" 2>&1 || { cat "$DIR/mailbed.log"; exit 1; }
tail -n 1 "$DIR/mailbed.log"

umask 077
printf '%s\n' 24f8c5e5-fcb5-bdfc-aac0-7bff0e800334 > "$DIR/source.secret"
cat > "$DIR/mailcutover.conf" <<EOC
[source]
url = https://$OLD:8443
secret_file = $DIR/source.secret
pin = $(cat "$DIR/sim/pin")

[cutover]
new_ip = $NEW
primary_dns = $P
state_dir = $DIR/state
mail_cafile = $DIR/mail/ca.pem
sync_timeout = 20
EOC

step "mailcutover servers"
mc_at 0 servers || exit 1
step "mailcutover plan $DOMAINS"
mc_at 0 plan $DOMAINS
step "the three names before"
names
step "day 0: mailcutover migrate (lowers the TTL; the switch must wait for the old TTL)"
mc_at 0 migrate $DOMAINS
step "day 1: mailcutover tick (the scheduled task: switch, secondaries in sync)"
mc_at 86460 tick
step "the three names after the switch"
names
step "day 1 + 16 min: mailcutover tick (old mail off, then verify)"
mc_at 87460 tick
step "mailcutover finish --confirm-registrar (TTL back to 86400)"
mc_at 87500 finish --confirm-registrar $DOMAINS || exit 1
step "checklist"
mc_at 87500 status
step "what each name server answers at the end"
names
step "done; stopping everything the demo started"
