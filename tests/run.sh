#!/bin/sh
# Run the test suites and end with one line: "N passed, N failed".
# usage: tests/run.sh [--sanitize] [unit] [conformance] [emulator] [system] [cutover]
#                    [ownership] [browser] [package] [continuity] [portable]
# With no suite named, all of them run.
set -u
cd "$(dirname "$0")/.." || exit 2
bindir=build/unit
if [ "${1:-}" = "--sanitize" ]; then
	bindir=build/san
	shift
fi
suites="${*:-unit conformance emulator system cutover ownership continuity package browser portable}"
mkdir -p tests/out
total_pass=0 total_fail=0 total_skip=0 ran=""

count() {	# suite pass fail skip
	echo "suite $1: $2 passed, $3 failed, $4 skipped"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + $4))
	ran="$ran $1"
}

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
run_cmocka() {	# suite binary...
	suite=$1
	shift
	p=0 f=0 s=0
	for bin in "$@"; do
		[ -x "$bin" ] || { echo "missing $bin (run make)"; f=$((f + 1)); continue; }
		log=tests/out/$(basename "$bin").log
		"$bin" >"$log" 2>&1
		rc=$?
		cat "$log"
		bp=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
		bf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
		bs=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
		p=$((p + ${bp:-0}))
		f=$((f + ${bf:-0}))
		s=$((s + ${bs:-0}))
		if [ "$rc" != 0 ] && [ "${bf:-0}" = 0 ]; then
			echo "$bin exited $rc without a cmocka failure count"
			f=$((f + 1))
		fi
	done
	count "$suite" "$p" "$f" "$s"
}

# a script whose last "N passed, N failed[, N skipped]" line counts
run_script() {	# suite command...
	suite=$1
	shift
	log=tests/out/$suite.log
	"$@" 2>&1 | tee "$log"
	line=$(grep -E '^[a-z:]*[ ]*[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	p=$(echo "$line" | sed -n 's/^[^0-9]*\([0-9][0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	s=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
	[ -n "$line" ] || { echo "$suite: no result line"; f=1; p=0; }
	count "$suite" "${p:-0}" "${f:-0}" "${s:-0}"
}

for suite in $suites; do
	echo "=== suite: $suite"
	case $suite in
	unit)
		# shellcheck disable=SC2046
		run_cmocka unit $(ls $bindir/test_* 2>/dev/null | grep -v conformance)
		;;
	conformance)
		run_cmocka conformance $bindir/test_conformance
		;;
	emulator)
		run_script emulator sh tests/plesk-sim/selftest.sh
		;;
	system)
		run_script system /usr/bin/python3 tests/system/run.py
		;;
	cutover)
		run_script cutover /usr/bin/python3 tests/system/cutover.py
		;;
	ownership)
		run_script ownership /usr/bin/python3 tests/system/ownership.py
		;;
	browser)
		# the UI in headless chromium (needs `make ext` and npm's
		# playwright-core: make test-browser does both)
		if [ ! -d tests/browser/node_modules/playwright-core ]; then
			(cd tests/browser && npm ci --no-audit --no-fund) >/dev/null
		fi
		run_script browser node tests/browser/run.js
		;;
	package)
		run_script package /usr/bin/python3 tests/package/check.py
		;;
	continuity)
		run_script continuity /usr/bin/python3 tests/system/continuity.py
		;;
	portable)
		# the packaged (static) helper in a Debian 11 root (issue 10)
		run_script portable /usr/bin/python3 tests/portable/run.py
		;;
	*)
		echo "unknown suite $suite"
		total_fail=$((total_fail + 1))
		;;
	esac
done
echo "suites run:$ran"
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ]
