#!/bin/bash
# plesk-sim self test: up, API checks with curl, dig on both BIND servers, faults,
# counters, --plesk 11, down, no process left. Ends with "N passed, N failed".
# Uses 127.0.2.10:8443, 127.0.53.1 and 127.0.53.2 (override: SIM_LISTEN, SIM_PRIMARY, SIM_SECONDARY).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SIM="$HERE/plesk-sim"
FIX="$HERE/fixtures/basic.json"
LISTEN=${SIM_LISTEN:-127.0.2.10:8443}
PRI=${SIM_PRIMARY:-127.0.53.1}
SEC=${SIM_SECONDARY:-127.0.53.2}
URL="https://$LISTEN/enterprise/control/agent.php"
KEY=24f8c5e5-fcb5-bdfc-aac0-7bff0e800334
D=$(mktemp -d /tmp/plesk-sim-selftest.XXXXXX)
TR="$D/trace"
PASS=0
FAIL=0

ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
nok()  { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "       $2" | head -c 600 && echo; }
check() { # check NAME COND...
    local name=$1; shift
    if "$@"; then ok "$name"; else nok "$name"; fi
}
has()  { grep -q -- "$2" <<<"$1"; }
hasnt() { ! grep -q -- "$2" <<<"$1"; }
expect() { # expect NAME OUTPUT PATTERN
    if has "$2" "$3"; then ok "$1"; else nok "$1" "wanted /$3/ in: $2"; fi
}
xp() { xmllint --xpath "$2" - <<<"$1" 2>/dev/null; }

# req [extra curl args...] XML  (KEY auth, text/xml)
req() {
    local body=${*: -1}
    curl -sS --cacert "$D/run/cert.pem" -H 'Content-Type: text/xml' -H "KEY: $KEY" \
        "${@:1:$#-1}" --data-binary "$body" "$URL" 2>&1
}
raw() { # raw curl args... (no default headers)
    curl -sS --cacert "$D/run/cert.pem" "$@" "$URL" 2>&1
}
ctl() { "$SIM" ctl --dir "$D/run" "$@"; }
jget() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
digs() { dig +short +time=1 +tries=1 "@$1" "$2" "${3:-A}"; }
rcode() { dig +time=1 +tries=1 "@$1" "$2" "${3:-SOA}" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }

procs_left() { # named or sim processes of this run still alive (zombies do not count)
    local n=0 p st
    for p in $(pgrep -f "$D/run" 2>/dev/null); do
        st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
        [ -n "$st" ] && [ "$st" != Z ] && n=$((n + 1))
    done
    for p in "${PIDS[@]:-}"; do
        [ -z "$p" ] && continue
        st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
        [ -n "$st" ] && [ "$st" != Z ] && n=$((n + 1))
    done
    echo $n
}

cleanup() { "$SIM" down --dir "$D/run" >/dev/null 2>&1; }
trap cleanup EXIT

# ---------------------------------------------------------------- up
t0=$(date +%s.%N)
out=$("$SIM" up --dir "$D/run" --fixture "$FIX" --listen "$LISTEN" --primary "$PRI" --secondary "$SEC" --trace-dir "$TR" 2>&1)
rc=$?
t1=$(date +%s.%N)
if [ $rc -ne 0 ]; then nok "up" "$out"; echo "$PASS passed, $FAIL failed"; exit 1; fi
ok "up ($(printf '%.2f' "$(echo "$t1 - $t0" | bc)") s)"
PIDS=($(cat "$D/run/sim.pid" "$D/run/named-primary.pid" "$D/run/named-secondary.pid" 2>/dev/null))
check "three pid files" test ${#PIDS[@]} -eq 3
check "pin file format" grep -Eq '^sha256//[A-Za-z0-9+/]{43}=$' "$D/run/pin"
check "key.pem is 0600" test "$(stat -c %a "$D/run/key.pem")" = 600
out=$(curl -sS -k --pinnedpubkey "$(cat "$D/run/pin")" -H 'Content-Type: text/xml' -H "KEY: $KEY" \
      --data-binary '<packet><server><get_protos/></server></packet>' "$URL" 2>&1)
expect "curl --pinnedpubkey accepts the pin" "$out" '<proto>1.6.9.1</proto>'
out=$(curl -sS -k --pinnedpubkey 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' "$URL" 2>&1)
expect "wrong pin is refused" "$out" 'pinned'
check "SAN IP verifies with --cacert" curl -sS -o /dev/null --cacert "$D/run/cert.pem" "https://$LISTEN/__sim/counters"
check "primary serves example.com" test "$(rcode "$PRI" example.com)" = NOERROR
check "secondary serves example.com" test "$(rcode "$SEC" example.com)" = NOERROR
check "secondary serves IDN zone" test "$(digs "$SEC" mail.xn--bcher-kva.example)" = 127.0.2.10

# ---------------------------------------------------------------- auth / envelope
P='<packet><server><get_protos/></server></packet>'
out=$(raw -H 'Content-Type: text/xml' --data-binary "$P")
expect "no auth headers -> 1029" "$out" '<system><status>error</status><errcode>1029</errcode>'
out=$(raw -H 'Content-Type: text/xml' -H 'HTTP_AUTH_LOGIN: admin' -H 'HTTP_AUTH_PASSWORD: s3cret&<pw' --data-binary "$P")
expect "HTTP_AUTH_PASSWORD (wrong spelling) -> 1029" "$out" '<errcode>1029</errcode>'
out=$(raw -H 'Content-Type: text/xml' -H 'HTTP_AUTH_LOGIN: admin' -H 'HTTP_AUTH_PASSWD: wrong' --data-binary "$P")
expect "wrong password -> 1001" "$out" '<errcode>1001</errcode>'
out=$(raw -H 'Content-Type: text/xml' -H 'HTTP_AUTH_LOGIN: admin' -H 'HTTP_AUTH_PASSWD: s3cret&<pw' --data-binary "$P")
expect "login + password ok" "$out" '<proto>1.6.9.1</proto>'
out=$(raw -H 'Content-Type: text/xml' -H 'KEY: 00000000-0000-0000-0000-000000000000' --data-binary "$P")
expect "wrong key -> 11003" "$out" '<errcode>11003</errcode>'
out=$(raw -H 'KEY: '$KEY -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$P")
expect "wrong Content-Type -> 1014" "$out" '<errcode>1014</errcode>'
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/run/cert.pem" -H "KEY: $KEY" -H 'Content-Type: text/xml' \
       --data-binary "$P" "https://$LISTEN/enterprise/control/other.php")
check "other path -> 404" test "$code" = 404

out=$(req '<packet><server><get_protos/></server></packet>')
expect "version absent -> newest echoed" "$out" '<packet version="1.6.9.1">'
out=$(req '<packet version="1.6"><server><get_protos/></server></packet>')
expect "version prefix 1.6 accepted" "$out" '<packet version="1.6.9.1"><server>'
out=$(req '<packet version="1.6.5"><server><get_protos/></server></packet>')
expect "version prefix 1.6.5 -> 1.6.5.0" "$out" '<packet version="1.6.5.0"><server>'
out=$(req '<packet version="1.6.3.0"><server><get_protos/></server></packet>')
expect "exact old version echoed" "$out" '<packet version="1.6.3.0"><server>'
out=$(req '<packet version="100.0.0"><server><get_protos/></server></packet>')
expect "version 100.0.0 -> 1005" "$out" '<errcode>1005</errcode>'

out=$(req '<packet><dns><add_rec><type>A</type><site-id>1</site-id><host>x</host><value>127.0.0.9</value></add_rec></dns></packet>')
expect "XSD order violation -> 1014" "$out" "<errcode>1014</errcode><errtext>Parser error: Request is invalid. Error in line 1: Element 'site-id': This element is not expected. Expected is ( host )."
out=$(req '<packet><dns><add_rec><site-id>1</site-id>')
expect "malformed XML -> 1014" "$out" '<errcode>1014</errcode><errtext>Parser error: Request is invalid. Error in line 1'
out=$(req '<packet><frobnicate><get/></frobnicate></packet>')
expect "unknown operator -> 1014" "$out" '<errcode>1014</errcode>'
out=$(req '<packet><dns><get_rec><filter><site-id>1</site-id><id>5</id></filter></get_rec></dns></packet>')
expect "mixed filter kinds -> 1014" "$out" '<errcode>1014</errcode>'
out=$(req '<!DOCTYPE packet [<!ENTITY x SYSTEM "file:///etc/passwd">]><packet><webspace><get><filter><name>&x;</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
check "DTD/entity refused, no file content leaked" eval 'has "$out" "<errcode>1014</errcode>" && hasnt "$out" "root:"'
out=$(req '<packet><customer><get><filter/><dataset><gen_info/></dataset></get></customer></packet>')
expect "valid but unimplemented operator -> 1017" "$out" '<errcode>1017</errcode>'
out=$(req '<packet><dns><add_rec><site-id>1</site-id><type>DS</type><host>child</host><value>60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118</value></add_rec></dns></packet>')
expect "DS accepted (patched enumeration)" "$out" '<status>ok</status><id>'
check "DS record in BIND" test -n "$(digs "$PRI" child.example.com DS)"

# ---------------------------------------------------------------- resolve
out=$(req '<packet><webspace><get><filter><name>example.com</name><name>nope.test</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
expect "webspace get by name" "$out" '<filter-id>example.com</filter-id><id>1</id><data><gen_info>'
expect "webspace get miss -> 1013 + filter-id" "$out" '<errcode>1013</errcode><errtext>[^<]*</errtext><filter-id>nope.test</filter-id>'
out=$(req '<packet><webspace><get><filter><name>xn--bcher-kva.example</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
expect "webspace get by IDN ascii name" "$out" '<id>2</id>'
out=$(req '<packet><site><get><filter><name>addon.test</name><name>example.com</name></filter><dataset><gen_info/></dataset></get></site></packet>')
expect "site get add-on" "$out" '<filter-id>addon.test</filter-id><id>5</id>'
expect "site get does not match a webspace" "$out" '<errcode>1013</errcode><errtext>[^<]*</errtext><filter-id>example.com</filter-id>'
out=$(req '<packet><subdomain><get><filter><name>sub.example.com</name></filter></get></subdomain><site-alias><get><filter><name>alias.test</name></filter></get></site-alias></packet>')
expect "subdomain get" "$out" '<id>7</id><data><parent>example.com</parent>'
expect "site-alias get" "$out" '<manage-dns>false</manage-dns><site-id>1</site-id>'
out=$(req '<packet><server><get><gen_info/><stat/></get></server></packet>')
expect "server get stat version" "$out" '<plesk_version>18.0.60</plesk_version>'

# ---------------------------------------------------------------- dns
s0=$(ctl GET "/__sim/serial?zone=example.com" | jget 'd["serial"]')
out=$(req '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>newmail</host><value>127.0.3.20</value></add_rec></dns></packet>')
expect "add_rec ok + id" "$out" '<add_rec><result><status>ok</status><id>[0-9]*</id></result></add_rec>'
NEWID=$(xp "$out" 'string(//id)')
s1=$(ctl GET "/__sim/serial?zone=example.com" | jget 'd["serial"]')
check "serial bumped by add_rec" test "$s1" -gt "$s0"
check "add_rec visible on primary immediately" test "$(digs "$PRI" newmail.example.com)" = 127.0.3.20
got=""
for i in $(seq 1 50); do got=$(digs "$SEC" newmail.example.com); [ -n "$got" ] && break; sleep 0.1; done
check "add_rec reaches secondary (notify)" test "$got" = 127.0.3.20
out=$(req '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>newmail</host><value>127.0.3.20</value></add_rec></dns></packet>')
expect "duplicate add_rec -> 1007" "$out" '<errcode>1007</errcode>'
out=$(req '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>bad</host><value>not-an-ip</value></add_rec></dns></packet>')
expect "invalid A value -> 1019" "$out" '<errcode>1019</errcode>'
out=$(req '<packet><dns><add_rec><site-id>999</site-id><type>A</type><host>x</host><value>127.0.0.1</value></add_rec></dns></packet>')
expect "unknown site-id add_rec -> 1015" "$out" '<errcode>1015</errcode>'
out=$(req "<packet><dns><get_rec><filter><id>$NEWID</id></filter></get_rec></dns></packet>")
expect "get_rec by id: FQDN host" "$out" "<id>$NEWID</id><data><site-id>1</site-id><type>A</type><host>newmail.example.com.</host><value>127.0.3.20</value><opt></opt></data>"
out=$(req '<packet><dns><get_rec><filter><site-id>1</site-id></filter></get_rec></dns></packet>')
expect "get_rec MX value has trailing dot" "$out" '<type>MX</type><host>example.com.</host><value>mail.example.com.</value><opt>10</opt>'
out=$(req '<packet><dns><get_rec><filter><id>999999</id></filter></get_rec></dns></packet>')
expect "get_rec missing id -> empty element" "$out" '<dns><get_rec/></dns>'
out=$(req '<packet><dns><get_rec><filter><site-id>999</site-id></filter></get_rec></dns></packet>')
expect "get_rec unknown site -> empty element" "$out" '<dns><get_rec/></dns>'
out=$(req '<packet><dns><get_rec><filter/></get_rec></dns></packet>')
n=$(grep -o '<result>' <<<"$out" | wc -l)
check "get_rec EMPTY filter dumps all zones ($n records)" test "$n" -gt 40
out=$(req '<packet><dns><get_rec><filter><dns-zone-name>bücher.example</dns-zone-name></filter></get_rec></dns></packet>')
expect "get_rec by IDN zone name" "$out" '<host>mail.xn--bcher-kva.example.</host>'
out=$(req "<packet><dns><del_rec><filter><id>999999</id><id>$NEWID</id></filter></del_rec></dns></packet>")
expect "del_rec missing id -> 1013 text + id" "$out" '<result><status>error</status><errcode>1013</errcode><errtext>DNS record does not exist.</errtext><id>999999</id></result>'
expect "del_rec existing id -> ok + id" "$out" "<result><status>ok</status><id>$NEWID</id></result>"
check "deleted record gone from primary" test -z "$(digs "$PRI" newmail.example.com)"
out=$(req '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>newmail</host><value>127.0.3.20</value></add_rec></dns></packet>')
id2=$(xp "$out" 'string(//id)')
check "re-added record gets a new id" test "$id2" -gt "$NEWID"
out=$(req '<packet><dns><add_rec><site-id>7</site-id><type>MX</type><host></host><value>mx.new.test</value><opt>5</opt></add_rec></dns></packet>')
expect "add_rec on zone-less subdomain" "$out" '<status>ok</status>'
check "subdomain record lands in parent zone" eval 'digs "$PRI" sub.example.com MX | grep -q "5 mx.new.test."'

out=$(req '<packet><dns><set><filter><site-id>1</site-id><site-id>44</site-id></filter><soa><ttl>300</ttl></soa></set></dns></packet>')
expect "dns set ok + site-id" "$out" '<result><status>ok</status><site-id>1</site-id></result>'
expect "dns set unknown -> 1015 + site-id" "$out" '<errcode>1015</errcode><errtext>[^<]*</errtext><site-id>44</site-id>'
out=$(req '<packet><dns><get><filter><site-id>1</site-id></filter><soa/></get></dns></packet>')
expect "dns set changed only ttl" "$out" '<soa><ttl>300</ttl><refresh>10800</refresh><retry>3600</retry><expire>604800</expire><minimum>10800</minimum></soa><zone_type>master</zone_type><zone_status>enabled</zone_status>'
ttl=$(dig +noall +answer +time=1 +tries=1 "@$PRI" www.example.com A | awk '{print $2}')
check "\$TTL in BIND is 300 (got $ttl)" test "$ttl" = 300
refresh=$(digs "$PRI" example.com SOA | awk '{print $4}')
check "SOA refresh unchanged in BIND" test "$refresh" = 10800

out=$(req '<packet><dns><disable><filter><site-id>5</site-id></filter></disable></dns></packet>')
expect "dns disable result + site-id" "$out" '<disable><result><status>ok</status><site-id>5</site-id></result></disable>'
check "disabled zone REFUSED on primary" test "$(rcode "$PRI" addon.test)" = REFUSED
out=$(req '<packet><dns><get><filter><site-id>5</site-id></filter></get></dns></packet>')
expect "dns get shows disabled" "$out" '<zone_status>disabled</zone_status>'
out=$(req '<packet><dns><enable><filter><site-id>5</site-id></filter></enable></dns></packet>')
check "enabled zone served again" test "$(rcode "$PRI" addon.test)" = NOERROR

# ---------------------------------------------------------------- mail
out=$(req '<packet><mail><get_prefs><filter><site-id>1</site-id></filter></get_prefs></mail></packet>')
expect "mail get_prefs true" "$out" '<site-id>1</site-id><prefs>.*<mailservice>true</mailservice>'
out=$(req '<packet><mail><disable><site-id>1</site-id></disable><disable><site-id>1</site-id></disable><disable><site-id>999</site-id></disable></mail></packet>')
expect "mail disable plain result (twice ok)" "$out" '<disable><result><status>ok</status></result></disable><disable><result><status>ok</status></result></disable>'
expect "mail disable unknown -> 1013" "$out" '<errcode>1013</errcode>'
out=$(req '<packet><mail><get_prefs><filter><site-id>1</site-id></filter></get_prefs></mail></packet>')
expect "mail get_prefs false after disable" "$out" '<mailservice>false</mailservice>'
out=$(req '<packet><mail><set_prefs><filter><site-id>1</site-id></filter><prefs><mailservice>true</mailservice></prefs></set_prefs></mail></packet>')
expect "mail set_prefs result + site-id" "$out" '<set_prefs><result><status>ok</status><site-id>1</site-id></result></set_prefs>'
out=$(req '<packet><mail><get_info><filter><site-id>1</site-id></filter><mailbox/></get_info><get_info><filter><site-id>9</site-id></filter></get_info></mail></packet>')
expect "mail get_info per mailname" "$out" '<mailname><id>1</id><name>info</name><mailbox><enabled>true</enabled>'
expect "mail get_info no mailnames -> bare result" "$out" '<get_info><result><status>ok</status></result></get_info>'

# ---------------------------------------------------------------- faults
ADD() { echo "<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>$1</host><value>127.0.3.20</value></add_rec></dns></packet>"; }
ctl POST /__sim/fault '{"kind":"http500"}' >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/run/cert.pem" -H 'Content-Type: text/xml' -H "KEY: $KEY" --data-binary "$(ADD f500)" "$URL")
check "fault http500 -> HTTP 500" test "$code" = 500
check "fault http500 applied nothing" test -z "$(digs "$PRI" f500.example.com)"
ctl POST /__sim/fault '{"kind":"drop_before"}' >/dev/null
out=$(req "$(ADD fdb)")
expect "fault drop_before -> empty reply" "$out" 'Empty reply'
out=$(req "$(ADD fdb0)")
check "fault drop_before applied nothing" test -z "$(digs "$PRI" fdb.example.com)"
check "fault disarms after count" has "$out" '<status>ok</status>'
ctl POST /__sim/fault '{"kind":"drop_after"}' >/dev/null
out=$(req "$(ADD fda)")
expect "fault drop_after -> empty reply" "$out" 'Empty reply'
check "fault drop_after applied" test "$(digs "$PRI" fda.example.com)" = 127.0.3.20
ctl POST /__sim/fault '{"kind":"truncate"}' >/dev/null
out=$(req "$(ADD ftr)")
check "fault truncate -> not well-formed" eval '! xmllint --noout - <<<"$out" 2>/dev/null && has "$out" "<?xml"'
check "fault truncate applied" test "$(digs "$PRI" ftr.example.com)" = 127.0.3.20
ctl POST /__sim/fault '{"kind":"malformed"}' >/dev/null
out=$(req "$(ADD fmf)")
check "fault malformed -> not well-formed" eval '! xmllint --noout - <<<"$out" 2>/dev/null'
check "fault malformed applied" test "$(digs "$PRI" fmf.example.com)" = 127.0.3.20
ctl POST /__sim/fault '{"kind":"system","errcode":1003}' >/dev/null
out=$(req "$(ADD fsy)")
expect "fault system -> <system> 1003" "$out" '<system><status>error</status><errcode>1003</errcode>'
check "fault system applied nothing" test -z "$(digs "$PRI" fsy.example.com)"
ctl POST /__sim/fault '{"kind":"slow","delay_s":1}' >/dev/null
t0=$(date +%s%N); out=$(req "$(ADD fsl)"); t1=$(date +%s%N)
check "fault slow delays >= 1 s" test $(( (t1 - t0) / 1000000 )) -ge 1000
ctl POST /__sim/fault '{"kind":"system","match":"dns.del_rec","errcode":1023}' >/dev/null
out=$(req "$(ADD fmatch)")
expect "fault match: other op unaffected" "$out" '<status>ok</status>'
out=$(req "<packet><dns><del_rec><filter><id>999998</id></filter></del_rec></dns></packet>")
expect "fault match: matching op hit" "$out" '<errcode>1023</errcode>'
ctl POST /__sim/fault '{"kind":"http500","count":5}' >/dev/null
ctl POST /__sim/fault/clear >/dev/null
out=$(req "$(ADD fcl)")
expect "fault clear" "$out" '<status>ok</status>'

# ---------------------------------------------------------------- counters / knobs
ctl POST /__sim/counters/reset >/dev/null
curl -sS --cacert "$D/run/cert.pem" -H 'Content-Type: text/xml' -H "KEY: $KEY" \
    --data-binary '<packet><server><get_protos/></server><dns><get_rec><filter><id>1</id></filter></get_rec><get_rec><filter><id>2</id></filter></get_rec></dns></packet>' \
    "$URL" "$URL" "$URL" -o /dev/null -o /dev/null -o /dev/null
c=$(ctl GET /__sim/counters)
check "counters: 3 requests" test "$(jget 'd["requests"]' <<<"$c")" = 3
check "counters: 9 ops" test "$(jget 'd["ops"]' <<<"$c")" = 9
check "counters: by_op" test "$(jget 'd["by_op"]["dns.get_rec"]' <<<"$c")" = 6
check "counters: keep-alive = 1 connection" test "$(jget 'd["connections"]' <<<"$c")" = 1
req "$P" >/dev/null; req "$P" >/dev/null
check "counters: separate curls = 3 connections" test "$(ctl GET /__sim/counters | jget 'd["connections"]')" = 3
check "counters: no invalid replies" test "$(ctl GET /__sim/counters | jget 'd["invalid_replies"]')" = 0
ctl POST /__sim/config '{"latency_request_ms":300,"latency_op_ms":100}' >/dev/null
t0=$(date +%s%N); req '<packet><server><get_protos/><get_protos/></server></packet>' >/dev/null; t1=$(date +%s%N)
check "latency knobs (>= 500 ms)" test $(( (t1 - t0) / 1000000 )) -ge 500
ctl POST /__sim/config '{"latency_request_ms":0,"latency_op_ms":0}' >/dev/null
st=$(ctl GET /__sim/state)
check "state JSON has zone serial" test "$(jget '[x for x in d["domains"] if x["id"]==1][0]["zone"]["serial"] > 0' <<<"$st")" = True

ctl POST /__sim/config '{"notify":false}' >/dev/null
req "$(ADD nonotify)" >/dev/null
sleep 2
check "notify off: secondary lags" test -z "$(digs "$SEC" nonotify.example.com)"
check "notify off: primary has it" test "$(digs "$PRI" nonotify.example.com)" = 127.0.3.20
ctl POST /__sim/config '{"notify":true}' >/dev/null
req "$(ADD yesnotify)" >/dev/null
got=""
for i in $(seq 1 50); do got=$(digs "$SEC" nonotify.example.com); [ -n "$got" ] && break; sleep 0.1; done
check "notify on again: secondary catches up" test "$got" = 127.0.3.20

# ---------------------------------------------------------------- traces validate
nbad=0; ntot=0
for f in "$TR"/*-resp.xml; do
    ntot=$((ntot + 1))
    xmllint --noout --schema "$D/run/xsd/agent_output.xsd" "$f" >/dev/null 2>&1 || { nbad=$((nbad + 1)); echo "       invalid: $f"; }
done
check "all $ntot traced replies validate against agent_output.xsd" test "$nbad" -eq 0 -a "$ntot" -gt 50
check "requests traced" test -n "$(ls "$TR"/*-req.xml 2>/dev/null | head -1)"

# ---------------------------------------------------------------- down, then --plesk 11
"$SIM" down --dir "$D/run"
check "down exit 0" test $? -eq 0
check "down: no process left" test "$(procs_left)" = 0
check "down: pid files removed" test ! -e "$D/run/sim.pid" -a ! -e "$D/run/named-primary.pid"
check "down again is fine" "$SIM" down --dir "$D/run"

out=$("$SIM" up --dir "$D/run" --fixture "$FIX" --listen "$LISTEN" --primary "$PRI" --secondary "$SEC" --plesk 11 --no-secondary 2>&1)
check "up --plesk 11 --no-secondary" test $? -eq 0
PIDS=($(cat "$D/run/sim.pid" "$D/run/named-primary.pid" 2>/dev/null))
check "no-secondary: no secondary pid" test ! -e "$D/run/named-secondary.pid"
out=$(req '<packet version="1.6.9.1"><server><get_protos/></server></packet>')
expect "plesk 11 refuses 1.6.9.1 -> 1005" "$out" '<errcode>1005</errcode>'
out=$(req '<packet><server><get_protos/></server></packet>')
expect "plesk 11 newest is 1.6.4.0" "$out" '<packet version="1.6.4.0">.*<proto>1.6.4.0</proto></protos>'
out=$(req '<packet><server><get><stat/></get></server></packet>')
expect "plesk 11 version 11.0.9" "$out" '<plesk_version>11.0.9</plesk_version>'
"$SIM" down --dir "$D/run"
check "down after plesk 11: no process left" test "$(procs_left)" = 0

echo "$PASS passed, $FAIL failed"
if [ "$FAIL" -eq 0 ]; then rm -rf "$D"; else echo "(state kept in $D)"; fi
[ "$FAIL" -eq 0 ]
