#!/bin/bash
# plesk-sim self test: up, API checks with curl, dig on both BIND servers, faults,
# counters, --plesk 11, the secondary role (primary + secondary-role instance), down,
# no process left. Ends with "N passed, N failed".
# Uses 127.0.2.30:8443, 127.0.53.30 and 127.0.53.33 (override: SIM_LISTEN, SIM_PRIMARY, SIM_SECONDARY),
# and for the secondary-role scenario 127.0.2.31:8443 + 127.0.53.31 (primary instance) and
# 127.0.2.32:8443 + 127.0.53.32 (secondary-role instance) (override: SIM_X_PLISTEN, SIM_X_PDNS,
# SIM_X_SLISTEN, SIM_X_SDNS). None of them is the system tests' 127.0.2.10 / 127.0.53.1 / 127.0.53.2.
# tests/run.sh calls "sh selftest.sh"; /bin/sh may be dash: re-run under bash (parsed line by line, so this runs first)
[ -n "${BASH_VERSION:-}" ] || exec /bin/bash "$0" "$@"
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SIM="$HERE/plesk-sim"
FIX="$HERE/fixtures/basic.json"
LISTEN=${SIM_LISTEN:-127.0.2.30:8443}
PRI=${SIM_PRIMARY:-127.0.53.30}
SEC=${SIM_SECONDARY:-127.0.53.33}
XP_LISTEN=${SIM_X_PLISTEN:-127.0.2.31:8443}
XP_DNS=${SIM_X_PDNS:-127.0.53.31}
XS_LISTEN=${SIM_X_SLISTEN:-127.0.2.32:8443}
XS_DNS=${SIM_X_SDNS:-127.0.53.32}
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
# errcheck XML: every errtext of the reply must hold non-ASCII (Japanese) text, and those of
# 1013/1015/1007/1019/1023 must be longer than 200 bytes. Prints "N errors, bad: [...]".
errcheck() {
    /usr/bin/python3 -c '
import sys
from lxml import etree
root = etree.fromstring(sys.stdin.buffer.read())
n, bad = 0, []
for res in root.iter("result", "system"):
    code, text = res.findtext("errcode"), res.findtext("errtext")
    if code is None:
        continue
    n += 1
    size = len((text or "").encode("utf-8"))
    if not any(ord(c) > 127 for c in text or "") or (int(code) in (1013, 1015, 1007, 1019, 1023) and size <= 200):
        bad.append((code, size, (text or "")[:40]))
print("%d errors, bad: %s" % (n, bad))' <<<"$1"
}

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

procs_left() { # named or sim processes of this run (of dir $1, default $D/run) still alive (zombies do not count)
    local n=0 p st
    for p in $(pgrep -f "${1:-$D/run}" 2>/dev/null); do
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

cleanup() { local x; for x in run xs xp; do "$SIM" down --dir "$D/$x" >/dev/null 2>&1; done; }
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
check "rndc-primary.key + rndc-secondary.key are 0600" \
    test "$(stat -c %a "$D/run/rndc-primary.key" "$D/run/rndc-secondary.key" 2>/dev/null | tr '\n' ' ')" = "600 600 "
out=$(rndc -k "$D/run/rndc-primary.key" -s "$PRI" -p 953 status 2>&1)
expect "rndc -k rndc-primary.key -s primary status" "$out" 'server is up and running'
out=$(rndc -k "$D/run/rndc-secondary.key" -s "$SEC" -p 953 status 2>&1)
expect "rndc -k rndc-secondary.key -s secondary status" "$out" 'server is up and running'
dj=$(ctl GET /__sim/dns)
check "/__sim/dns: role primary, own dns, no master" \
    test "$(jget '(d["role"], d["dns"], d["master"], d["secondaries"])' <<<"$dj")" = "('primary', '$PRI', None, ['$SEC'])"
check "/__sim/dns: served serial = state serial" \
    test "$(jget 'd["zones"]["example.com"]["serial"]' <<<"$dj")" = "$(ctl GET "/__sim/serial?zone=example.com" | jget 'd["serial"]')"

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
out=$(req '<packet><dns><get_rec><filter><site-id>1</site-id><site-id>999</site-id></filter></get_rec></dns></packet>')
expect "get_rec site 1 + unknown site (default fail) -> ONE 1015 result, no id, no records" "$out" \
    '<dns><get_rec><result><status>error</status><errcode>1015</errcode><errtext>Domain does not exist.</errtext></result></get_rec></dns>'
out=$(req '<packet><dns><get_rec><filter><site-alias-id>999</site-alias-id></filter></get_rec></dns></packet>')
expect "get_rec unknown site-alias-id (fail) -> 1015" "$out" '<get_rec><result><status>error</status><errcode>1015</errcode>'
out=$(req '<packet><dns><get_rec><filter><site-alias-id>3</site-alias-id></filter></get_rec></dns></packet>')
expect "get_rec known alias without a zone -> empty element" "$out" '<dns><get_rec/></dns>'
out=$(ctl POST /__sim/config '{"get_rec_unknown_site":"empty"}')
expect "config get_rec_unknown_site=empty" "$out" '"get_rec_unknown_site": "empty"'
out=$(req '<packet><dns><get_rec><filter><site-id>999</site-id></filter></get_rec></dns></packet>')
expect "get_rec unknown site (empty) -> empty element" "$out" '<dns><get_rec/></dns>'
out=$(req '<packet><dns><get_rec><filter><site-id>1</site-id><site-id>999</site-id></filter></get_rec></dns></packet>')
check "get_rec site 1 + unknown (empty) -> site 1's records only" \
    eval 'has "$out" "<site-id>1</site-id><type>NS</type>" && hasnt "$out" "<status>error</status>"'
ctl POST /__sim/config '{"get_rec_unknown_site":"fail"}' >/dev/null
out=$(ctl POST /__sim/config '{"get_rec_unknown_site":"maybe"}'); rc=$?
check "config: bad knob value refused" eval '[ $rc -ne 0 ] && has "$out" "must be one of"'
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
check "partial <soa> counted: partial_soa_sets = 1" test "$(ctl GET /__sim/counters | jget 'd["partial_soa_sets"]')" = 1
req '<packet><dns><set><filter><site-id>1</site-id></filter><soa><ttl>300</ttl><refresh>10800</refresh><retry>3600</retry><expire>604800</expire><minimum>10800</minimum></soa></set></dns></packet>' >/dev/null
check "full <soa> not counted: partial_soa_sets still 1" test "$(ctl GET /__sim/counters | jget 'd["partial_soa_sets"]')" = 1

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

# ---------------------------------------------------------------- localized errtexts
out=$(ctl POST /__sim/config '{"locale":"ja"}')
expect "config locale=ja" "$out" '"locale": "ja"'
out=$(req '<packet><webspace><get><filter><name>nope.test</name></filter><dataset><gen_info/></dataset></get></webspace><site><get><filter><name>nope.test</name></filter><dataset><gen_info/></dataset></get></site><subdomain><get><filter><name>nope.test</name></filter></get></subdomain><site-alias><get><filter><name>nope.test</name></filter></get></site-alias><dns><add_rec><site-id>999</site-id><type>A</type><host>x</host><value>127.0.0.1</value></add_rec><add_rec><site-alias-id>999</site-alias-id><type>A</type><host>x</host><value>127.0.0.1</value></add_rec><add_rec><site-id>1</site-id><type>A</type><host>www</host><value>127.0.2.10</value></add_rec><add_rec><site-id>1</site-id><type>CNAME</type><host>www</host><value>example.com</value></add_rec><add_rec><site-id>1</site-id><type>A</type><host>bad</host><value>1.2.3</value></add_rec><add_rec><site-id>1</site-id><type>AAAA</type><host>bad</host><value>1.2.3.4</value></add_rec><add_rec><site-id>1</site-id><type>A</type><host>b@d</host><value>1.2.3.4</value></add_rec><add_rec><site-id>1</site-id><type>MX</type><host/><value>mx.test</value><opt>70000</opt></add_rec><add_rec><site-id>1</site-id><type>TXT</type><host>t</host><value></value></add_rec><get_rec><filter><site-id>999</site-id></filter></get_rec><del_rec><filter><id>999999</id></filter></del_rec><set><filter><site-id>999</site-id></filter><soa><ttl>300</ttl></soa></set><get><filter><site-id>999</site-id></filter></get></dns><mail><disable><site-id>999</site-id></disable><get_info><filter><site-id>1</site-id><name>nobody</name></filter></get_info></mail></packet>')
n=$(grep -o '<errcode>' <<<"$out" | wc -l)
check "ja: 19 operation errors answered" test "$n" = 19
expect "ja: every operation errtext Japanese, 1013/1015/1007/1019 > 200 bytes" "$(errcheck "$out")" '^19 errors, bad: \[\]'
expect "ja: 1013 del_rec text" "$out" '<errcode>1013</errcode><errtext>指定されたDNSレコードは存在しません。'
out=$(raw -H 'Content-Type: text/xml' -H 'HTTP_AUTH_LOGIN: admin' -H 'HTTP_AUTH_PASSWD: wrong' --data-binary "$P")
expect "ja: system error 1001 Japanese" "$(errcheck "$out")" '^1 errors, bad: \[\]'
out=$(req '<packet><dns><add_rec><type>A</type><site-id>1</site-id><host>x</host><value>127.0.0.9</value></add_rec></dns></packet>')
expect "ja: system error 1014 Japanese (libxml2's message kept)" "$out" "<errcode>1014</errcode><errtext>パーサーエラー: リクエストが無効です。1 行目のエラー: Element 'site-id'"
out=$(req '<packet version="100.0.0"><server><get_protos/></server></packet>')
expect "ja: system error 1005 Japanese" "$(errcheck "$out")" '^1 errors, bad: \[\]'
ctl POST /__sim/fault '{"kind":"operror","match":"dns.get_rec","errcode":1023}' >/dev/null
out=$(req '<packet><dns><get_rec><filter><id>101</id></filter></get_rec></dns></packet>')
expect "ja: operror 1023 generic Japanese text > 200 bytes" "$(errcheck "$out")" '^1 errors, bad: \[\]'
ctl POST /__sim/config '{"locale":"en"}' >/dev/null
out=$(req "<packet><dns><del_rec><filter><id>999999</id></filter></del_rec></dns></packet>")
expect "locale back to en" "$out" '<errtext>DNS record does not exist.</errtext>'

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
# slow as a hold: faults_fired counts when the hold BEGINS; nothing is applied during the hold;
# other requests are served meanwhile; a client killed during the hold does not stop the request
out=$(req "$(ADD hold)")
HOLDID=$(xp "$out" 'string(//id)')
ff0=$(ctl GET /__sim/counters | jget 'd["faults_fired"]')
ctl POST /__sim/fault '{"kind":"slow","match":"dns.del_rec","delay_s":3}' >/dev/null
# curl itself in the background (not the req function, whose subshell would hide it): $! is the client
curl -sS --cacert "$D/run/cert.pem" -H 'Content-Type: text/xml' -H "KEY: $KEY" \
    --data-binary "<packet><dns><del_rec><filter><id>$HOLDID</id></filter></del_rec></dns></packet>" "$URL" >/dev/null 2>&1 &
CURL=$!
got=""
for i in $(seq 1 40); do got=$(ctl GET /__sim/counters | jget 'd["faults_fired"]'); [ "$got" -gt "$ff0" ] && break; sleep 0.05; done
check "hold: faults_fired counts the hold as soon as it begins" test "$got" = $((ff0 + 1))
check "hold: client still waiting" kill -0 $CURL
check "hold: nothing applied yet" test "$(digs "$PRI" hold.example.com)" = 127.0.3.20
t0=$(date +%s%N); out=$(req "$P"); t1=$(date +%s%N)
check "hold: another request is served meanwhile ($(( (t1 - t0) / 1000000 )) ms)" \
    eval 'has "$out" "<proto>" && [ $(( (t1 - t0) / 1000000 )) -lt 2000 ]'
kill -9 $CURL; wait $CURL 2>/dev/null
got=""
for i in $(seq 1 60); do got=$(digs "$PRI" hold.example.com); [ -z "$got" ] && break; sleep 0.1; done
check "hold: request applied after the hold although the client was killed" test -z "$got"

# operror: the first matching operation answers an error result; the rest of the packet runs
ff0=$(ctl GET /__sim/counters | jget 'd["faults_fired"]')
ctl POST /__sim/fault '{"kind":"operror","match":"dns.add_rec","errcode":1019,"count":1}' >/dev/null
out=$(req '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>oe1</host><value>127.0.3.20</value></add_rec><add_rec><site-id>1</site-id><type>A</type><host>oe2</host><value>127.0.3.20</value></add_rec></dns></packet>')
expect "operror: first add_rec -> error 1019, generic text, no id" "$out" \
    '<add_rec><result><status>error</status><errcode>1019</errcode><errtext>Invalid value.</errtext></result></add_rec><add_rec><result><status>ok</status><id>'
check "operror: first add_rec not applied" test -z "$(digs "$PRI" oe1.example.com)"
check "operror: second add_rec applied" test "$(digs "$PRI" oe2.example.com)" = 127.0.3.20
check "operror: faults_fired + 1" test "$(ctl GET /__sim/counters | jget 'd["faults_fired"]')" = $((ff0 + 1))
out=$(req "$(ADD oe3)")
expect "operror: disarmed after count" "$out" '<status>ok</status><id>'
ctl POST /__sim/fault '{"kind":"operror","match":"mail.disable","errcode":1013,"text":"custom failure"}' >/dev/null
out=$(req '<packet><mail><disable><site-id>1</site-id></disable></mail></packet>')
expect "operror on mail.disable: plain error result, text override" "$out" \
    '<disable><result><status>error</status><errcode>1013</errcode><errtext>custom failure</errtext></result></disable>'
out=$(req '<packet><mail><get_prefs><filter><site-id>1</site-id></filter></get_prefs></mail></packet>')
expect "operror on mail.disable: mail still on" "$out" '<mailservice>true</mailservice>'
ctl POST /__sim/fault '{"kind":"operror","match":"dns.get_rec"}' >/dev/null
out=$(req '<packet><server><get_protos/></server><dns><get_rec><filter><site-id>1</site-id></filter></get_rec><get_rec><filter><id>101</id></filter></get_rec></dns></packet>')
expect "operror on get_rec: one error result (default 1023), next get_rec normal" "$out" \
    '<get_protos><result><status>ok</status>.*<get_rec><result><status>error</status><errcode>1023</errcode><errtext>Operation failed.</errtext></result></get_rec><get_rec><result><status>ok</status><id>101</id>'
ctl POST /__sim/fault '{"kind":"system","match":"dns.del_rec","errcode":1023}' >/dev/null
out=$(req "$(ADD fmatch)")
expect "fault match: other op unaffected" "$out" '<status>ok</status>'
out=$(req "<packet><dns><del_rec><filter><id>999998</id></filter></del_rec></dns></packet>")
expect "fault match: matching op hit" "$out" '<errcode>1023</errcode>'
ctl POST /__sim/fault '{"kind":"http500","count":5}' >/dev/null
ctl POST /__sim/fault/clear >/dev/null
out=$(req "$(ADD fcl)")
expect "fault clear" "$out" '<status>ok</status>'
# hold: the request is listed as held (it reached the emulator), nothing is
# applied until the release; then it runs normally
ctl POST /__sim/fault '{"kind":"hold","match":"dns.add_rec"}' >/dev/null
req "$(ADD fho)" >"$D/hold.out" &
hpid=$!
held=""
for i in $(seq 1 100); do held=$(ctl GET /__sim/held); has "$held" 'dns.add_rec' && break; sleep 0.05; done
expect "fault hold: GET /__sim/held lists the request" "$held" '"dns.add_rec"'
sleep 0.3
check "fault hold: nothing applied while held" test -z "$(digs "$PRI" fho.example.com)"
check "fault hold: the client still waits" kill -0 "$hpid"
rel=$(ctl POST /__sim/fault/release)
expect "fault release: applied" "$rel" '"applied": 1'
wait "$hpid"
check "fault hold: applied after the release" test "$(digs "$PRI" fho.example.com)" = 127.0.3.20
expect "fault hold: the client got the reply" "$(cat "$D/hold.out")" '<status>ok</status>'
check "fault hold: nothing held after the release" test "$(ctl GET /__sim/held | jget 'len(d["held"])')" = 0

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

# without the XSDs there is no validation: up refuses (unless --no-xsd)
out=$("$SIM" up --dir "$D/noxsd" --fixture "$FIX" --listen "$LISTEN" --primary "$PRI" --no-secondary \
    --xsd-dir "$D/no-such-xsd-dir" 2>&1)
rc=$?
check "up without XSDs refuses (exit 1)" test "$rc" = 1
expect "up without XSDs says why" "$out" 'no Plesk XSDs in .*no-such-xsd-dir'
check "up without XSDs started nothing" test ! -e "$D/noxsd/sim.pid"
# --mailbox-usage daily: mail get_info <mailbox-usage/> gives the figures of
# the last statistics run (at up, then POST /__sim/mailbox-usage/refresh)
mkdir -p "$D/bed/mail/example.com/info/new"
head -c 1000 /dev/zero >"$D/bed/mail/example.com/info/new/1"
out=$("$SIM" up --dir "$D/run" --fixture "$FIX" --listen "$LISTEN" --primary "$PRI" --secondary "$SEC" --plesk 11 --no-secondary \
    --mailbed "$D/bed" --mailbox-usage daily 2>&1)
check "up --plesk 11 --no-secondary --mailbox-usage daily" test $? -eq 0
USAGE='<packet version="1.6.4.0"><mail><get_info><filter><site-id>1</site-id><name>info</name></filter><mailbox-usage/></get_info></mail></packet>'
expect "mailbox-usage daily: the figure at up" "$(req "$USAGE")" '<usage>1000</usage>'
head -c 500 /dev/zero >"$D/bed/mail/example.com/info/new/2"
expect "mailbox-usage daily: new mail not seen before the refresh" "$(req "$USAGE")" '<usage>1000</usage>'
expect "mailbox-usage GET says daily" "$(ctl GET /__sim/mailbox-usage)" '"mode": "daily"'
ctl POST /__sim/mailbox-usage/refresh >/dev/null
expect "mailbox-usage daily: seen after the refresh" "$(req "$USAGE")" '<usage>1500</usage>'
"$SIM" down --dir "$D/run"
check "down after mailbox-usage daily: no process left" test "$(procs_left)" = 0
# basic.json plus IPv6: the server has fd00::2:99, nomail.test (id 9) only fd00::9 ("ip": null)
/usr/bin/python3 - "$FIX" "$D/basic-v6.json" <<'PYEOF'
import json, sys
fx = json.load(open(sys.argv[1], encoding="utf-8"))
fx["server"]["ip6"] = "fd00::2:99"
for d in fx["domains"]:
    if d["id"] == 9:
        d["ip"], d["ip6"] = None, "fd00::9"
json.dump(fx, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PYEOF
out=$("$SIM" up --dir "$D/run" --fixture "$D/basic-v6.json" --listen "$LISTEN" --primary "$PRI" --secondary "$SEC" \
      --plesk 11 --no-secondary --locale ja 2>&1)
check "up --plesk 11 --no-secondary --locale ja" test $? -eq 0
PIDS=($(cat "$D/run/sim.pid" "$D/run/named-primary.pid" 2>/dev/null))
check "no-secondary: no secondary pid" test ! -e "$D/run/named-secondary.pid"
check "no-secondary: no rndc-secondary.key, rndc-primary.key present" \
    test ! -e "$D/run/rndc-secondary.key" -a -e "$D/run/rndc-primary.key"
out=$(req '<packet version="1.6.9.1"><server><get_protos/></server></packet>')
expect "plesk 11 refuses 1.6.9.1 -> 1005" "$out" '<errcode>1005</errcode>'
out=$(req '<packet><server><get_protos/></server></packet>')
expect "plesk 11 newest is 1.6.4.0" "$out" '<packet version="1.6.4.0">.*<proto>1.6.4.0</proto></protos>'
out=$(req '<packet><server><get><stat/></get></server></packet>')
expect "plesk 11 version 11.0.9" "$out" '<plesk_version>11.0.9</plesk_version>'
check "plesk 11 defaults: name_lookup stored, get_rec_unknown_site fail, soa_partial keep, locale ja (option)" \
    test "$(ctl GET /__sim/config | jget '(d["name_lookup"], d["get_rec_unknown_site"], d["soa_partial"], d["locale"])')" \
         = "('stored', 'fail', 'keep', 'ja')"
out=$(req '<packet><webspace><get><filter><name>bücher.example</name><name>xn--bcher-kva.example</name><name>EXAMPLE.com</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
expect "plesk 11: webspace get by the stored (Unicode) name" "$out" '<filter-id>bücher.example</filter-id><id>2</id>'
expect "plesk 11: by the ASCII form -> 1013 + filter-id" "$out" '<errcode>1013</errcode><errtext>[^<]*</errtext><filter-id>xn--bcher-kva.example</filter-id>'
expect "plesk 11: stored name matches case-insensitively" "$out" '<filter-id>EXAMPLE.com</filter-id><id>1</id>'
expect "--locale ja: 1013 errtext Japanese > 200 bytes" "$(errcheck "$out")" '^1 errors, bad: \[\]'
expect "IPv6: server ip6 is every domain's second dns_ip_address" "$out" \
    '<id>1</id>.*<dns_ip_address>127.0.2.10</dns_ip_address><dns_ip_address>fd00::2:99</dns_ip_address><htype>'
out=$(req '<packet><webspace><get><filter><id>9</id></filter><dataset><gen_info/></dataset></get></webspace><site><get><filter><name>addon.test</name></filter><dataset><gen_info/></dataset></get></site></packet>')
check "IPv6: \"ip\": null + ip6 -> only the IPv6 dns_ip_address" \
    eval 'has "$out" "<owner-login>admin</owner-login><dns_ip_address>fd00::9</dns_ip_address><htype>" && [ "$(grep -o "<dns_ip_address>" <<<"$out" | wc -l)" = 3 ]'
expect "IPv6: site gen_info carries both too" "$out" '<dns_ip_address>127.0.2.10</dns_ip_address><dns_ip_address>fd00::2:99</dns_ip_address><htype>vrt_hst</htype><guid>[^<]*</guid><webspace-guid>'
out=$(req '<packet><dns><get_rec><filter><dns-zone-name>xn--bcher-kva.example</dns-zone-name></filter></get_rec></dns></packet>')
expect "plesk 11: get_rec dns-zone-name by the ASCII form still works" "$out" '<host>mail.xn--bcher-kva.example.</host>'
check "plesk 11: /__sim/serial by the ASCII and the Unicode form" \
    eval '[ "$(ctl GET "/__sim/serial?zone=xn--bcher-kva.example" | jget "d[\"zone\"]")" = xn--bcher-kva.example ] && [ "$(ctl GET "/__sim/serial?zone=b%C3%BCcher.example" | jget "d[\"zone\"]")" = xn--bcher-kva.example ]'
check "plesk 11: no invalid replies, no bind errors" test "$(ctl GET /__sim/counters | jget '(d["invalid_replies"], d["bind_errors"])')" = "(0, 0)"
"$SIM" down --dir "$D/run"
check "down after plesk 11: no process left" test "$(procs_left)" = 0

# ---------------------------------------------------------------- fixtures/shapes.json
SHAPES="$HERE/fixtures/shapes.json"
STR="$D/strace"
zones_ok() { # zones_ok DIR: all 12 zones served (by the primary and, if any, the secondary), no bind errors
    ctl GET /__sim/dns | jget 'sorted(k for k, v in d["zones"].items() if v["serial"] is not None and v["status"] == "enabled")'
}
SHAPE_ZONES="['aliaszone.test', 'bystander.test', 'done.test', 'host.test', 'mixed.test', 'odd.test', 'owned.test', 'parent.test', 'third.test', 'v6.test', 'v6only-third.test', 'xn--bcher-shop-9db.example']"
out=$("$SIM" up --dir "$D/run" --fixture "$SHAPES" --listen "$LISTEN" --primary "$PRI" --secondary "$SEC" --plesk 12.5 \
      --trace-dir "$STR" 2>&1)
check "shapes: up --plesk 12.5 (with secondary)" test $? -eq 0
PIDS=($(cat "$D/run/sim.pid" "$D/run/named-primary.pid" "$D/run/named-secondary.pid" 2>/dev/null))
check "shapes 12.5: the 12 zones served, bind_errors 0" \
    eval '[ "$(zones_ok)" = "$SHAPE_ZONES" ] && [ "$(ctl GET /__sim/counters | jget "d[\"bind_errors\"]")" = 0 ]'
all_served() { # all_served SERVER ZONE...: every zone answers NOERROR
    local srv=$1 z; shift
    for z in "$@"; do [ "$(rcode "$srv" "$z")" = NOERROR ] || return 1; done
}
check "shapes: secondary transferred every zone" all_served "$SEC" owned.test third.test mixed.test done.test \
    xn--bcher-shop-9db.example parent.test v6.test v6only-third.test bystander.test odd.test host.test aliaszone.test
check "shapes 12.5: name_lookup defaults to stored" test "$(ctl GET /__sim/config | jget 'd["name_lookup"]')" = stored
out=$(req '<packet><webspace><get><filter><name>bücher-shop.example</name><name>BÜCHER-SHOP.example</name><name>xn--bcher-shop-9db.example</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
expect "shapes: IDN found by the stored Unicode name" "$out" '<filter-id>bücher-shop.example</filter-id><id>5</id><data><gen_info><cr_date>[^<]*</cr_date><name>bücher-shop.example</name><ascii-name>xn--bcher-shop-9db.example</ascii-name>'
expect "shapes: IDN stored name case-insensitive" "$out" '<filter-id>BÜCHER-SHOP.example</filter-id><id>5</id>'
expect "shapes: IDN by the ASCII form -> 1013 + filter-id (stored)" "$out" '<errcode>1013</errcode><errtext>[^<]*</errtext><filter-id>xn--bcher-shop-9db.example</filter-id>'
out=$(req '<packet><site-alias><get><filter><name>aliaszone.test</name><name>nozone-alias.test</name></filter></get></site-alias><subdomain><get><filter><name>sub.parent.test</name></filter></get></subdomain></packet>')
expect "shapes: alias 2 aliaszone.test, manage-dns, site 12" "$out" '<filter-id>aliaszone.test</filter-id><id>2</id><info>.*<manage-dns>true</manage-dns><site-id>12</site-id>'
expect "shapes: alias 3 nozone-alias.test, no dns, site 1" "$out" '<filter-id>nozone-alias.test</filter-id><id>3</id><info>.*<manage-dns>false</manage-dns><site-id>1</site-id>'
expect "shapes: subdomain 7 sub.parent.test of parent.test" "$out" '<id>7</id><data><parent>parent.test</parent><name>sub</name>'
ctl POST /__sim/config '{"name_lookup":"both"}' >/dev/null
out=$(req '<packet><webspace><get><filter><name>xn--bcher-shop-9db.example</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
expect "shapes: name_lookup=both finds the ASCII form" "$out" '<filter-id>xn--bcher-shop-9db.example</filter-id><id>5</id>'
ctl POST /__sim/config '{"name_lookup":"stored"}' >/dev/null
out=$(req '<packet><dns><get_rec><filter><dns-zone-name>xn--bcher-shop-9db.example</dns-zone-name></filter></get_rec></dns></packet>')
expect "shapes: get_rec dns-zone-name by ASCII (stored mode too)" "$out" '<id>507</id><data><site-id>5</site-id><type>A</type><host>mail.xn--bcher-shop-9db.example.</host>'
check "shapes: IDN resolves on the secondary" test "$(digs "$SEC" mail.xn--bcher-shop-9db.example)" = 127.0.2.10
out=$(req '<packet><webspace><get><filter><id>8</id><id>1</id></filter><dataset><gen_info/></dataset></get></webspace></packet>')
expect "shapes: v6.test dns_ip_address IPv4 then IPv6" "$out" '<id>8</id>.*<dns_ip_address>127.0.2.10</dns_ip_address><dns_ip_address>fd00::2:10</dns_ip_address><htype>'
check "shapes: owned.test only IPv4" eval '[ "$(grep -o "<dns_ip_address>" <<<"$out" | wc -l)" = 3 ]'
check "shapes: v6.test AAAA mail on the old IPv6 (primary + secondary)" \
    eval '[ "$(digs "$PRI" mail.v6.test AAAA)" = fd00::2:10 ] && [ "$(digs "$SEC" webmail.v6.test AAAA)" = fd00::2:10 ]'
check "shapes: v6only-third.test AAAA mail third-party" test "$(digs "$PRI" mail.v6only-third.test AAAA)" = 2001:db8::7
check "shapes: third.test mail/lists/webmail on 127.0.7.7" \
    test "$(digs "$PRI" mail.third.test) $(digs "$PRI" lists.third.test) $(digs "$PRI" webmail.third.test) $(digs "$PRI" www.third.test)" = "127.0.7.7 127.0.7.7 127.0.7.7 127.0.2.10"
check "shapes: mixed.test mail has two A records" test "$(digs "$PRI" mail.mixed.test | sort | tr '\n' ' ')" = "127.0.2.10 127.0.7.7 "
out=$(req '<packet><dns><get_rec><filter><site-id>3</site-id></filter></get_rec></dns></packet>')
expect "shapes: mixed.test record ids 307/308 on mail, CNAME smtp 311" "$out" \
    '<id>307</id><data><site-id>3</site-id><type>A</type><host>mail.mixed.test.</host><value>127.0.2.10</value>.*<id>308</id><data><site-id>3</site-id><type>A</type><host>mail.mixed.test.</host><value>127.0.7.7</value>.*<id>311</id><data><site-id>3</site-id><type>CNAME</type><host>smtp.mixed.test.</host><value>mail.mixed.test.</value>'
check "shapes: done.test already on 127.0.3.20" test "$(digs "$SEC" lists.done.test)" = 127.0.3.20
out=$(req '<packet><dns><get_rec><filter><site-id>11</site-id></filter></get_rec></dns></packet>')
expect "shapes: odd.test lists value kept verbatim (spaces)" "$out" '<id>1108</id><data><site-id>11</site-id><type>A</type><host>lists.odd.test.</host><value> 127.0.2.10 </value>'
check "shapes: odd.test has no webmail record" eval 'hasnt "$out" "webmail.odd.test"'
check "shapes: BIND loads odd.test (lists = 127.0.2.10, webmail NXDOMAIN)" \
    eval '[ "$(digs "$PRI" lists.odd.test)" = 127.0.2.10 ] && [ "$(rcode "$PRI" webmail.odd.test A)" = NXDOMAIN ]'
out=$(req '<packet><dns><get_rec><filter><site-id>7</site-id></filter></get_rec></dns></packet>')
check "shapes: subdomain 7 get_rec = the parent zone's sub records 612-616" \
    test "$(xp "$out" '//result/id/text()' | tr '\n' ' ')" = "612 613 614 615 616 "
check "shapes: sub records served in parent.test's zone" test "$(digs "$SEC" webmail.sub.parent.test)" = 127.0.2.10
out=$(req '<packet><dns><get_rec><filter><site-id>2</site-id></filter></get_rec><get_rec><filter><site-alias-id>2</site-alias-id></filter></get_rec></dns></packet>')
expect "shapes: site-id 2 = third.test (alias id 2 sent as site-id reads the wrong zone)" "$out" '<data><site-id>2</site-id><type>A</type><host>mail.third.test.</host><value>127.0.7.7</value>'
expect "shapes: site-alias-id 2 = aliaszone.test, own ids 52xx" "$out" '<id>5207</id><data><site-alias-id>2</site-alias-id><type>A</type><host>mail.aliaszone.test.</host><value>127.0.2.10</value>'
out=$(req '<packet><dns><get_rec><filter><site-id>1</site-id><site-id>10</site-id><site-id>77</site-id></filter></get_rec></dns></packet>')
expect "shapes: get_rec 1,10 + unknown 77 -> one 1015 (default fail)" "$out" \
    '<get_rec><result><status>error</status><errcode>1015</errcode><errtext>Domain does not exist.</errtext></result></get_rec>'
out=$(req '<packet><mail><get_info><filter><site-id>10</site-id></filter></get_info></mail><mail><get_prefs><filter><site-id>4</site-id></filter></get_prefs></mail></packet>')
expect "shapes: mailnames info + test, mail on" "$out" '<name>info</name>.*<name>test</name>.*<mailservice>true</mailservice>'
# partial SOA, reset mode
ctl POST /__sim/config '{"soa_partial":"reset"}' >/dev/null
ps0=$(ctl GET /__sim/counters | jget 'd["partial_soa_sets"]')
req '<packet><dns><set><filter><site-id>1</site-id></filter><soa><ttl>300</ttl><refresh>1200</refresh><retry>600</retry><expire>1209600</expire><minimum>300</minimum></soa></set></dns></packet>' >/dev/null
req '<packet><dns><set><filter><site-id>1</site-id></filter><soa><ttl>600</ttl></soa></set></dns></packet>' >/dev/null
out=$(req '<packet><dns><get><filter><site-id>1</site-id></filter><soa/></get></dns></packet>')
expect "soa_partial=reset: omitted fields back to the template SOA" "$out" \
    '<soa><ttl>600</ttl><refresh>10800</refresh><retry>3600</retry><expire>604800</expire><minimum>10800</minimum></soa>'
check "soa_partial=reset: BIND serves refresh 10800" test "$(digs "$PRI" owned.test SOA | awk '{print $4}')" = 10800
check "soa_partial=reset: counted once (partial only)" test "$(ctl GET /__sim/counters | jget 'd["partial_soa_sets"]')" = $((ps0 + 1))
ctl POST /__sim/counters/reset >/dev/null
check "counters reset zeroes partial_soa_sets" test "$(ctl GET /__sim/counters | jget 'd["partial_soa_sets"]')" = 0
ctl POST /__sim/config '{"soa_partial":"keep"}' >/dev/null
check "shapes 12.5: no invalid replies, no bind errors" test "$(ctl GET /__sim/counters | jget '(d["invalid_replies"], d["bind_errors"])')" = "(0, 0)"
nbad=0; ntot=0
for f in "$STR"/*-resp.xml; do
    ntot=$((ntot + 1))
    xmllint --noout --schema "$D/run/xsd/agent_output.xsd" "$f" >/dev/null 2>&1 || { nbad=$((nbad + 1)); echo "       invalid: $f"; }
done
check "shapes: all $ntot traced replies validate" test "$nbad" -eq 0 -a "$ntot" -ge 12
"$SIM" down --dir "$D/run"
check "shapes 12.5: down, no process left" test "$(procs_left)" = 0
for pv in 11 obsidian; do
    out=$("$SIM" up --dir "$D/run" --fixture "$SHAPES" --listen "$LISTEN" --primary "$PRI" --plesk $pv --no-secondary 2>&1)
    check "shapes: up --plesk $pv" test $? -eq 0
    PIDS=($(cat "$D/run/sim.pid" "$D/run/named-primary.pid" 2>/dev/null))
    check "shapes $pv: the 12 zones served, bind_errors 0" \
        eval '[ "$(zones_ok)" = "$SHAPE_ZONES" ] && [ "$(ctl GET /__sim/counters | jget "d[\"bind_errors\"]")" = 0 ]'
    out=$(req '<packet><webspace><get><filter><name>xn--bcher-shop-9db.example</name></filter><dataset><gen_info/></dataset></get></webspace></packet>')
    if [ $pv = obsidian ]; then
        expect "shapes obsidian: ASCII form found (name_lookup both)" "$out" '<filter-id>xn--bcher-shop-9db.example</filter-id><id>5</id>'
    else
        expect "shapes 11: ASCII form -> 1013 (name_lookup stored)" "$out" '<errcode>1013</errcode>'
    fi
    "$SIM" down --dir "$D/run"
    check "shapes $pv: down, no process left" test "$(procs_left)" = 0
done

# ---------------------------------------------------------------- secondary role
# A primary instance whose secondary is external (no own secondary, no NOTIFY) and a
# --role secondary instance holding slave zones of it: the "plesk" refresh method
# (dns disable + enable on the secondary's panel) and the "rndc" refresh method.
xreq() { # xreq DIR LISTEN XML
    curl -sS --cacert "$1/cert.pem" -H 'Content-Type: text/xml' -H "KEY: $KEY" --data-binary "$3" \
        "https://$2/enterprise/control/agent.php" 2>&1
}
preq() { xreq "$D/xp" "$XP_LISTEN" "$1"; }
sreq() { xreq "$D/xs" "$XS_LISTEN" "$1"; }
pctl() { "$SIM" ctl --dir "$D/xp" "$@"; }
sctl() { "$SIM" ctl --dir "$D/xs" "$@"; }
sserial() { sctl GET /__sim/dns | jget "d['zones']['${1:-example.com}']['serial']"; }
pserial() { pctl GET "/__sim/serial?zone=${1:-example.com}" | jget 'd["serial"]'; }
XTR="$D/xtrace"

out=$("$SIM" up --dir "$D/bad" --fixture "$FIX" --listen "$XS_LISTEN" --role secondary --dns "$XS_DNS" 2>&1); rc=$?
check "--role secondary without --master is refused" eval '[ $rc -ne 0 ] && has "$out" "needs --master"'
out=$("$SIM" up --dir "$D/bad" --fixture "$FIX" --listen "$XS_LISTEN" --dns "$XS_DNS" --master "$XP_DNS" 2>&1); rc=$?
check "--master without --role secondary is refused" eval '[ $rc -ne 0 ] && has "$out" "needs --role secondary"'

out=$("$SIM" up --dir "$D/xp" --fixture "$FIX" --listen "$XP_LISTEN" --primary "$XP_DNS" \
      --no-notify --external-secondary "$XS_DNS" 2>&1)
check "up primary --no-notify --external-secondary" test $? -eq 0
check "external-secondary: no own secondary started" \
    test ! -e "$D/xp/named-secondary.pid" -a -e "$D/xp/named-primary.pid" -a ! -e "$D/xp/rndc-secondary.key"
check "external-secondary: allow-transfer lists it" grep -q "allow-transfer { 127.0.0.0/8; $XS_DNS; }" "$D/xp/primary/named.conf"
out=$("$SIM" up --dir "$D/xs" --fixture "$FIX" --listen "$XS_LISTEN" --role secondary --dns "$XS_DNS" \
      --master "$XP_DNS" --trace-dir "$XTR" 2>&1)
check "up --role secondary --master" test $? -eq 0
expect "up --role secondary prints the rndc call" "$out" "rndc -k $D/xs/rndc-secondary.key -s $XS_DNS -p 953 refresh ZONE"
check "secondary role: one named (named-secondary.pid only)" \
    test -e "$D/xs/named-secondary.pid" -a ! -e "$D/xs/named-primary.pid"
check "secondary role: rndc-secondary.key 0600" test "$(stat -c %a "$D/xs/rndc-secondary.key" 2>/dev/null)" = 600
check "secondary role: key file format" \
    grep -Eq '^key "[^"]+" \{ algorithm hmac-sha256; secret "[A-Za-z0-9+/=]+"; \};$' "$D/xs/rndc-secondary.key"
check "secondary role: named.conf has slave zones of the master" \
    grep -q "zone \"example.com\" { type secondary; primaries { $XP_DNS; };" "$D/xs/secondary/named.conf"
dj=$(sctl GET /__sim/dns)
check "/__sim/dns on secondary: role, dns, master" \
    test "$(jget '(d["role"], d["dns"], d["master"])' <<<"$dj")" = "('secondary', '$XS_DNS', '$XP_DNS')"
S0=$(pserial)
check "secondary transferred example.com at up (serial $S0)" test "$(jget 'd["zones"]["example.com"]["serial"]' <<<"$dj")" = "$S0"
check "secondary serves the IDN zone" test "$(digs "$XS_DNS" mail.xn--bcher-kva.example)" = 127.0.2.10
out=$(sreq '<packet><dns><get><filter><site-id>1</site-id></filter></get></dns></packet>')
expect "secondary role: dns get -> zone_type slave" "$out" '<zone_type>slave</zone_type><zone_status>enabled</zone_status>'
out=$(preq '<packet><dns><get><filter><site-id>1</site-id></filter></get></dns></packet>')
expect "primary role: dns get -> zone_type master" "$out" '<zone_type>master</zone_type>'
out=$(sreq '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>x</host><value>127.0.3.20</value></add_rec><del_rec><filter><id>101</id></filter></del_rec><set><filter><site-id>1</site-id></filter><soa><ttl>300</ttl></soa></set></dns></packet>')
expect "slave zone: add_rec -> 1023" "$out" '<add_rec><result><status>error</status><errcode>1023</errcode><errtext>[^<]*slave zone</errtext></result></add_rec>'
expect "slave zone: del_rec -> 1023 + id" "$out" '<del_rec><result><status>error</status><errcode>1023</errcode><errtext>[^<]*</errtext><id>101</id></result></del_rec>'
expect "slave zone: set -> 1023 + site-id" "$out" '<set><result><status>error</status><errcode>1023</errcode><errtext>[^<]*</errtext><site-id>1</site-id></result></set>'
sctl POST /__sim/config '{"locale":"ja"}' >/dev/null
out=$(sreq '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>x</host><value>127.0.3.20</value></add_rec><del_rec><filter><id>101</id></filter></del_rec></dns></packet>')
expect "slave zone, locale ja: 1023 texts Japanese > 200 bytes" "$(errcheck "$out")" '^2 errors, bad: \[\]'
sctl POST /__sim/config '{"locale":"en"}' >/dev/null
out=$(sreq '<packet><dns><get_rec><filter><id>101</id></filter></get_rec></dns></packet>')
expect "slave zone: get_rec returns the fixture's records" "$out" '<id>101</id><data><site-id>1</site-id><type>NS</type>'

out=$(preq '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>lag1</host><value>127.0.3.20</value></add_rec></dns></packet>')
expect "primary add_rec lag1" "$out" '<status>ok</status>'
S1=$(pserial)
check "primary serves the new serial at once" test "$(digs "$XP_DNS" example.com SOA | awk '{print $3}')" = "$S1"
sleep 2
check "no notify: secondary still serves the old serial (lag)" test "$(sserial)" = "$S0" -a "$S1" -gt "$S0"
check "no notify: secondary lacks lag1" test -z "$(digs "$XS_DNS" lag1.example.com)"

out=$(sreq '<packet><dns><disable><filter><site-id>1</site-id></filter></disable></dns></packet>')
expect "secondary dns disable ok + site-id" "$out" '<disable><result><status>ok</status><site-id>1</site-id></result></disable>'
check "disabled slave zone REFUSED" test "$(rcode "$XS_DNS" example.com)" = REFUSED
check "disabled slave zone: zone file deleted" test ! -e "$D/xs/secondary/zones/example.com.db"
dj=$(sctl GET /__sim/dns)
check "/__sim/dns: disabled, serial null" \
    test "$(jget '(d["zones"]["example.com"]["status"], d["zones"]["example.com"]["serial"])' <<<"$dj")" = "('disabled', None)"
t0=$(date +%s%N)
out=$(sreq '<packet><dns><enable><filter><site-id>1</site-id></filter></enable></dns></packet>')
t1=$(date +%s%N)
expect "secondary dns enable ok + site-id" "$out" '<enable><result><status>ok</status><site-id>1</site-id></result></enable>'
# no polling: the enable reply must come only after the fresh transfer
check "after enable: secondary serves the new serial ($(( (t1 - t0) / 1000000 )) ms)" test "$(sserial)" = "$S1"
check "after enable: lag1 resolves on the secondary" test "$(digs "$XS_DNS" lag1.example.com)" = 127.0.3.20
check "after enable: zone file re-created by the transfer" test -s "$D/xs/secondary/zones/example.com.db"

preq '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>lag1b</host><value>127.0.3.20</value></add_rec></dns></packet>' >/dev/null
S1B=$(pserial)
out=$(sreq '<packet><dns><disable><filter><site-id>1</site-id></filter></disable><enable><filter><site-id>1</site-id></filter></enable></dns></packet>')
expect "disable + enable in one packet: both ok" "$out" '<disable><result><status>ok</status><site-id>1</site-id></result></disable><enable><result><status>ok</status>'
check "disable + enable in one packet: new serial served" test "$(sserial)" = "$S1B" -a "$S1B" -gt "$S1"

preq '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>lag2</host><value>127.0.3.20</value></add_rec></dns></packet>' >/dev/null
S2=$(pserial)
sleep 1
check "second add_rec: secondary lags again" test "$(sserial)" = "$S1B" -a "$S2" -gt "$S1B"
out=$(rndc -k "$D/xs/rndc-secondary.key" -s "$XS_DNS" -p 953 refresh example.com 2>&1); rc=$?
check "rndc -k rndc-secondary.key -s $XS_DNS -p 953 refresh example.com" eval '[ $rc -eq 0 ] && has "$out" "refresh queued"'
got=""
for i in $(seq 1 50); do got=$(sserial); [ "$got" = "$S2" ] && break; sleep 0.1; done
check "after rndc refresh: secondary serves the new serial" test "$got" = "$S2"
check "after rndc refresh: lag2 resolves" test "$(digs "$XS_DNS" lag2.example.com)" = 127.0.3.20

pctl POST /__sim/config '{"notify":true}' >/dev/null
check "notify on: primary also-notifies the external secondary" \
    grep -q "also-notify { $XS_DNS; };" "$D/xp/primary/named.conf"
preq '<packet><dns><add_rec><site-id>1</site-id><type>A</type><host>lag3</host><value>127.0.3.20</value></add_rec></dns></packet>' >/dev/null
S3=$(pserial); got=""
for i in $(seq 1 50); do got=$(sserial); [ "$got" = "$S3" ] && break; sleep 0.1; done
check "notify on: external secondary catches up by NOTIFY" test "$got" = "$S3"
pctl POST /__sim/config '{"notify":false}' >/dev/null

# master does not serve the zone: enable still answers ok after the timeout, and logs it
preq '<packet><dns><disable><filter><site-id>5</site-id></filter></disable></dns></packet>' >/dev/null
sctl POST /__sim/config '{"enable_timeout_s":1.5}' >/dev/null
t0=$(date +%s%N)
out=$(sreq '<packet><dns><disable><filter><site-id>5</site-id></filter></disable><enable><filter><site-id>5</site-id></filter></enable></dns></packet>')
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "master refuses: enable ok after the timeout ($ms ms)" \
    eval 'has "$out" "<enable><result><status>ok</status>" && [ $ms -ge 1500 ] && [ $ms -lt 6000 ]'
check "master refuses: logged" grep -q "zone addon.test NOT transferred from master" "$D/xs/sim.log"
check "master refuses: /__sim/dns serial null, status enabled" \
    test "$(sctl GET /__sim/dns | jget '(d["zones"]["addon.test"]["serial"], d["zones"]["addon.test"]["status"])')" = "(None, 'enabled')"
out=$(sctl POST /__sim/config '{"notify":true}'); rc=$?
check "secondary role: notify knob refused" eval '[ $rc -ne 0 ] && has "$out" "primary role only"'
check "secondary role: no invalid replies, no bind errors" \
    test "$(sctl GET /__sim/counters | jget '(d["invalid_replies"], d["bind_errors"])')" = "(0, 0)"
nbad=0; ntot=0
for f in "$XTR"/*-resp.xml; do
    ntot=$((ntot + 1))
    xmllint --noout --schema "$D/xs/xsd/agent_output.xsd" "$f" >/dev/null 2>&1 || { nbad=$((nbad + 1)); echo "       invalid: $f"; }
done
check "secondary role: all $ntot traced replies validate" test "$nbad" -eq 0 -a "$ntot" -ge 7

"$SIM" down --dir "$D/xs"; r1=$?
"$SIM" down --dir "$D/xp"; r2=$?
check "down both exit 0" test $r1 -eq 0 -a $r2 -eq 0
check "down both: no process left" test "$(procs_left "$D/xs")" = 0 -a "$(procs_left "$D/xp")" = 0
check "down both: pid files removed" \
    test ! -e "$D/xs/sim.pid" -a ! -e "$D/xs/named-secondary.pid" -a ! -e "$D/xp/sim.pid" -a ! -e "$D/xp/named-primary.pid"

echo "$PASS passed, $FAIL failed"
if [ "$FAIL" -eq 0 ]; then rm -rf "$D"; else echo "(state kept in $D)"; fi
[ "$FAIL" -eq 0 ]
