#!/bin/sh
# make demo: the main job on built-in test hosts, on loopback only.
# The old server's Plesk 11 (emulated, on real BIND 9 primary 127.0.53.1 and
# secondary 127.0.53.2) holds three domains; the helper checks the panel,
# resolves the domains, and switches mail./lists./webmail. from the old IP
# 127.0.2.10 to the new IP 127.0.3.20 make-before-break through the XML API,
# then shows what both name servers answer. Everything started is stopped.
set -u
cd "$(dirname "$0")/.." || exit 2
OLD=127.0.2.10 NEW=127.0.3.20 P=127.0.53.1 S=127.0.53.2
DIR=tests/out/demo
SIM=tests/plesk-sim/plesk-sim
DOMAINS="example.com shop.test xn--bcher-kva.example"

rm -rf "$DIR" && mkdir -p "$DIR" || exit 1
cleanup() { "$SIM" down --dir "$DIR/sim" >/dev/null 2>&1; }
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

step "start the old server's Plesk 11 (emulated) with BIND primary $P and secondary $S"
"$SIM" up --dir "$DIR/sim" --fixture tests/fixtures/system.json \
	--listen $OLD:8443 --plesk 11 --primary $P --secondary $S || exit 1
umask 077
printf '%s\n' 24f8c5e5-fcb5-bdfc-aac0-7bff0e800334 > "$DIR/source.secret"
cat > "$DIR/mailcutover.conf" <<EOC
[source]
url = https://$OLD:8443
auth = key
secret_file = $PWD/$DIR/source.secret
pin = $(cat "$DIR/sim/pin")
EOC
MC="./mailcutover --config $DIR/mailcutover.conf"

step "mailcutover servers"
$MC servers || exit 1

step "mailcutover raw resolve $DOMAINS"
$MC raw resolve $DOMAINS || exit 1
ids=$($MC --json raw resolve $DOMAINS | /usr/bin/python3 -c \
	'import json,sys; print(" ".join(str(d["id"]) for d in json.load(sys.stdin)["domains"]))')

step "the three names before the switch"
for d in $DOMAINS; do
	for n in mail lists webmail; do
		printf '%-32s primary %-12s secondary %s\n' "$n.$d" \
			"$(dig +short +norec @$P $n.$d A)" "$(dig +short +norec @$S $n.$d A)"
	done
done

step "switch make-before-break: add each new A record, then delete all old ones in one packet"
$MC --json raw get-rec $ids > "$DIR/zone.json" || exit 1
/usr/bin/python3 - "$DIR/zone.json" "$OLD" > "$DIR/plan.txt" <<'EOP'
import json, sys
z = json.load(open(sys.argv[1]))
for r in z["ops"][0]["records"]:
    host = r["host"].rstrip(".").lower()
    if r["type"] == "A" and r["value"] == sys.argv[2] and \
            host.split(".")[0] in ("mail", "lists", "webmail"):
        print(r["site_id"], host.split(".")[0], r["id"])
EOP
cat "$DIR/plan.txt" | while read -r site host id; do
	$MC raw add-rec "$site" A "$host" "$NEW" >/dev/null || exit 1
	echo "  added   $host (site $site) -> $NEW"
done || exit 1
$MC raw del-rec $(awk '{print $3}' "$DIR/plan.txt") >/dev/null || exit 1
awk '{printf "  deleted record %s (%s, site %s) -> was '"$OLD"'\n", $3, $2, $1}' "$DIR/plan.txt"

step "what each name server answers now"
sleep 1
for d in $DOMAINS; do
	for n in mail lists webmail; do
		printf '%-32s primary %-12s secondary %s\n' "$n.$d" \
			"$(dig +short +norec @$P $n.$d A)" "$(dig +short +norec @$S $n.$d A)"
	done
done
step "done; stopping everything the demo started"
