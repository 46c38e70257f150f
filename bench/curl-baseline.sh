#!/bin/bash
# curl-baseline.sh -- the way API users usually script a cutover: one XML
# packet per operation, one curl per packet, in sequence. Benchmark baseline
# only (bench/bench.py runs it); it checks every reply for status ok.
#
# usage: curl-baseline.sh STEP URL KEYFILE CAFILE DOMAINFILE STATEDIR OLD_IP NEW_IP [DNS_SERVER...]
#   STEP: prepare | switch | sync | disable-old-mail
set -u
step=$1 url=$2 keyfile=$3 cafile=$4 domains=$5 state=$6 old=$7 new=$8
shift 8
servers=("$@")
key=$(cat "$keyfile")
mkdir -p "$state"
fail=0

post() {	# post PACKET-BODY -> reply on stdout
	curl -sS --fail --cacert "$cafile" -H "KEY: $key" \
	    -H "Content-Type: text/xml" -H "HTTP_PRETTY_PRINT: FALSE" \
	    --data-binary "<?xml version=\"1.0\" encoding=\"UTF-8\"?><packet version=\"1.6.9.1\">$1</packet>" \
	    "$url/enterprise/control/agent.php"
}

call() {	# call PACKET-BODY: one request; the reply in $r; 1 unless all ok
	r=$(post "$1")
	if [[ "$r" != *"<status>ok</status>"* || "$r" == *"<status>error</status>"* ]]; then
		echo "curl-baseline: $step: not ok: ${r:0:300}" >&2
		fail=1
		return 1
	fi
}

while read -r d; do
	[ -n "$d" ] || continue
	case $step in
	prepare)
		call "<webspace><get><filter><name>$d</name></filter><dataset><gen_info/></dataset></get></webspace>" || continue
		id=$(sed -n 's:.*<id>\([0-9]*\)</id>.*:\1:p' <<<"$r")
		echo "$id" > "$state/$d.id"
		call "<dns><get><filter><site-id>$id</site-id></filter><soa/></get></dns>" || continue
		sed -n 's:.*<ttl>\([0-9]*\)</ttl>.*:\1:p' <<<"$r" > "$state/$d.ttl"
		call "<dns><set><filter><site-id>$id</site-id></filter><soa><ttl>600</ttl></soa></set></dns>"
		;;
	switch)
		id=$(cat "$state/$d.id")
		call "<dns><get_rec><filter><site-id>$id</site-id></filter></get_rec></dns>" || continue
		recs=$r
		for n in mail lists webmail; do
			rid=$(grep -o "<id>[0-9]*</id><data><site-id>$id</site-id><type>A</type><host>$n\.$d\.</host><value>$old</value>" <<<"$recs" |
			    sed 's:<id>\([0-9]*\)</id>.*:\1:')
			call "<dns><add_rec><site-id>$id</site-id><type>A</type><host>$n</host><value>$new</value></add_rec></dns>" || continue
			[ -n "$rid" ] && call "<dns><del_rec><filter><id>$rid</id></filter></del_rec></dns>"
		done
		;;
	sync)	# the DNS part: each server's SOA and the three names, one dig each
		for s in "${servers[@]}"; do
			dig +norec +short +time=1 +tries=2 @"$s" "$d" SOA >/dev/null
			for n in mail lists webmail; do
				# a lagging secondary: ask again every 0.5 s, up to 120 s
				for t in $(seq 240); do
					a=$(dig +norec +short +time=1 +tries=2 @"$s" "$n.$d" A)
					[ "$a" = "$new" ] && break
					sleep 0.5
				done
				[ "$a" = "$new" ] || { echo "curl-baseline: $s $n.$d: $a" >&2; fail=1; }
			done
		done
		;;
	disable-old-mail)
		id=$(cat "$state/$d.id")
		call "<mail><disable><site-id>$id</site-id></disable></mail>" || continue
		call "<mail><get_prefs><filter><site-id>$id</site-id></filter></get_prefs></mail>"
		;;
	*)	echo "curl-baseline: unknown step $step" >&2; exit 2 ;;
	esac
done < "$domains"
exit $fail
