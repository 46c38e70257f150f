#!/bin/sh
# Run the test suites and end with one line: "N passed, N failed, N skipped".
# usage: tests/run.sh [--sanitize] [selftest] [arch] [unit] [conformance] [emulator]
#                    [system] [cutover] [ownership] [parentbed] [delegation]
#                    [browser] [package]
#                    [continuity] [portable] [faults] [fuzz] [continuity-real]
# With no suite named, all of them run but continuity-real (about 22 min,
# make test-continuity-real).
# A suite fails when: its result line counts failures, it has no result line,
# it exits non-zero, it ran no test at all, or it skipped a test for a reason
# that SKIP_ALLOWED below does not list. The Plesk XSDs are required.
set -u

# The only reasons a test may skip, one per line:
#   suite|test|reason (grep -E, matched against the printed reason)|why
# Every other "skip - TEST: REASON" line, and every cmocka skip, is a
# failure. None today: a bed that does not start or a missing XSD is a
# failure, not a skip.
SKIP_ALLOWED=''

# Sanitizer builds (make sanitize) abort with their own exit codes, never
# with 1 (the helper's "some domain failed"); harmless for other binaries.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1:exitcode=87"
export ASAN_OPTIONS UBSAN_OPTIONS
SAN_REPORT='ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: UndefinedBehaviorSanitizer'

total_pass=0 total_fail=0 total_skip=0 ran=""

count() {	# suite pass fail skip
	echo "suite $1: $2 passed, $3 failed, $4 skipped"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + $4))
	ran="$ran $1"
}

# One verdict per "skip - TEST: REASON" line of LOG: "allowed" or
# "refused LINE".
skip_verdicts() {	# suite log
	grep '^skip - ' "$2" | while IFS= read -r line; do
		rest=${line#skip - }
		t=${rest%%: *}
		why=${rest#*: }
		v="refused $line"
		while IFS='|' read -r s at re _; do
			if [ -n "$s" ] && [ "$s" = "$1" ] && [ "$at" = "$t" ] &&
			    printf '%s\n' "$why" | grep -Eq -- "$re"; then
				v=allowed
				break
			fi
		done <<EOF
$SKIP_ALLOWED
EOF
		echo "$v"
	done
}

# Score a suite from its counts, exit status and log.
judge() {	# suite pass fail skip rc log
	p=$2 f=$3 s=$4
	if [ "$5" != 0 ] && [ "$f" = 0 ]; then
		echo "$1: exited $5 with no failure counted: a failure"
		f=1
	fi
	if [ $((p + f + s)) = 0 ]; then
		echo "$1: no test ran: a failure"
		f=1
	fi
	if grep -Eq "$SAN_REPORT" "$6"; then
		echo "$1: a sanitizer report in the output: a failure"
		f=$((f + 1))
	fi
	if [ "$s" -gt 0 ]; then
		v=$(skip_verdicts "$1" "$6")
		printf '%s\n' "$v" | sed -n "s/^refused /$1: skip not allowed by SKIP_ALLOWED: /p"
		a=$(printf '%s\n' "$v" | grep -c '^allowed$')
		if [ "$a" -lt "$s" ]; then
			echo "$1: $((s - a)) skip(s) without an allowed reason: failures"
			f=$((f + s - a))
			s=$a
		fi
	fi
	count "$1" "$p" "$f" "$s"
}

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
run_cmocka() {	# suite binary...
	suite=$1
	shift
	p=0 f=0 s=0 worst=0
	all=tests/out/$suite.cmocka.log
	: >"$all"
	for bin in "$@"; do
		[ -x "$bin" ] || { echo "missing $bin (run make)"; f=$((f + 1)); continue; }
		log=tests/out/$(basename "$bin").log
		if [ "${cmocka_netns:-0}" = 1 ]; then
			# its own network namespace, as the script suites: a unit
			# test's BIND on loopback cannot meet another run's
			unshare -n sh -c 'ip link set lo up && exec "$0"' "$bin" \
			    >"$log" 2>&1
		else
			"$bin" >"$log" 2>&1
		fi
		rc=$?
		cat "$log"
		cat "$log" >>"$all"
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
		[ "$rc" != 0 ] && worst=$rc
	done
	[ $# -gt 0 ] || echo "$suite: no test binary found"
	judge "$suite" "$p" "$f" "$s" "$worst" "$all"
}

# a script whose last "N passed, N failed[, N skipped]" line counts, and
# whose exit status must be 0
run_script() {	# suite command...
	suite=$1
	shift
	log=tests/out/$suite.log
	{ "$@"; echo $? >"$log.rc"; } 2>&1 | tee "$log"
	score_script "$suite" "$log"
}

# score a script suite from its LOG and LOG.rc (removed here)
score_script() {	# suite log
	suite=$1 log=$2
	rc=$(cat "$log.rc" 2>/dev/null || echo 127)
	rm -f "$log.rc"
	line=$(grep -E '^[a-z:]*[ ]*[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	p=$(echo "$line" | sed -n 's/^[^0-9]*\([0-9][0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	s=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
	[ -n "$line" ] || { echo "$suite: no result line"; f=1; p=0; }
	judge "$suite" "${p:-0}" "${f:-0}" "${s:-0}" "$rc" "$log"
}

# The Plesk XSDs (never copied here): conformance, the emulator's request
# validation and replies_validate need them, so without them the run fails.
check_xsd() {	# dir
	for x in agent_input.xsd agent_output.xsd; do
		if [ ! -f "$1/$x" ]; then
			echo "FAIL - Plesk XSDs: no $1/$x (set PLESK_XSD_DIR)"
			return 1
		fi
	done
	return 0
}

# tests/system/selftest.py loads the functions above without running suites
[ "${RUN_SH_FUNCTIONS_ONLY:-}" = 1 ] && return 0

cd "$(dirname "$0")/.." || exit 2
bindir=build/unit
if [ "${1:-}" = "--sanitize" ]; then
	bindir=build/san
	shift
fi
suites="${*:-selftest arch unit conformance emulator system cutover ownership parentbed delegation continuity package browser portable faults fuzz}"
# the helper acts only on configs no one but root could write (issue 11):
# what the suites write is root's and not group- or world-writable
umask 022
mkdir -p tests/out
PLESK_XSD_DIR=${PLESK_XSD_DIR:-$(cd .. && pwd)/shared/plesk-xsd}
export PLESK_XSD_DIR
if ! check_xsd "$PLESK_XSD_DIR"; then
	total_fail=$((total_fail + 1))
fi

# The command of each script suite (unit and conformance run their cmocka
# binaries directly, below).
suite_cmd() {	# suite
	case $1 in
	selftest)
		# the runner, simlib.dig, the sanitizer check, the accounting
		echo "/usr/bin/python3 tests/system/selftest.py" ;;
	arch)
		# the helper's shape (needs make): no cycle among its modules,
		# calls only down the layers, files <= 20 KB, functions <= 80
		# lines; each check first shown failing on a broken case
		echo "/usr/bin/python3 tests/arch/run.py" ;;
	emulator)
		echo "sh tests/plesk-sim/selftest.sh" ;;
	system)
		echo "/usr/bin/python3 tests/system/run.py" ;;
	cutover)
		echo "/usr/bin/python3 tests/system/cutover.py" ;;
	ownership)
		echo "/usr/bin/python3 tests/system/ownership.py" ;;
	browser)
		# the UI in headless chromium (needs `make ext` and npm's
		# playwright-core, installed below before any suite runs)
		echo "node tests/browser/run.js" ;;
	parentbed)
		# the loopback DNS root and parent servers (issue 15's bed)
		echo "/usr/bin/python3 tests/system/parentbed_test.py" ;;
	delegation)
		# runbook 5 checked at the parent (issue 15): the emulator,
		# the mail bed and the parent bed, a delegation that moves
		echo "/usr/bin/python3 tests/system/delegation.py" ;;
	package)
		echo "/usr/bin/python3 tests/package/check.py" ;;
	continuity)
		echo "/usr/bin/python3 tests/system/continuity.py" ;;
	portable)
		# the packaged (static) helper in a Debian 11 root (issue 10)
		echo "/usr/bin/python3 tests/portable/run.py" ;;
	faults)
		# the fault matrix (issue 11): every panel-changing step under
		# every fault, then again without it; prints "faults: N cases,
		# N consistent, N inconsistent"
		echo "/usr/bin/python3 tests/system/faults.py" ;;
	fuzz)
		# the libFuzzer harnesses (make fuzz-bins), FUZZ_S s each
		# (default 20), regression inputs replayed; prints "fuzz: N
		# targets, N execs, N crashes"
		echo "/usr/bin/python3 tests/fuzz/run.py" ;;
	continuity-real)
		# the production minimums: lowered TTL 60 s, min_wait 900 s
		echo "/usr/bin/python3 tests/system/continuity.py --real" ;;
	*)
		return 1 ;;
	esac
}

case " $suites " in
*" browser "*)
	# needs the network: before any suite runs in a namespace of its own
	if [ ! -d tests/browser/node_modules/playwright-core ]; then
		(cd tests/browser && npm ci --no-audit --no-fund) >/dev/null
	fi
	;;
esac

# How many suites run at once (MC_TEST_JOBS, default 3), each in its own
# network namespace (tests/parallel.py); 1 runs them one after the other
# in this namespace, as before. Parallel needs root (unshare -n).
jobs=${MC_TEST_JOBS:-3}
if [ "$jobs" -gt 1 ] && ! unshare -n true 2>/dev/null; then
	echo "run.sh: no network namespaces here (not root?): one suite at a time"
	jobs=1
fi
# the cmocka suites get a namespace too wherever one can be made
cmocka_netns=0
unshare -n true 2>/dev/null && cmocka_netns=1
# (a file of its own: the selftest suite runs this script too)
spec=$(mktemp "${TMPDIR:-/tmp}/mc-suites.XXXXXX") || exit 2
for suite in $suites; do
	case $suite in
	unit)
		echo "=== suite: $suite"
		# shellcheck disable=SC2046
		run_cmocka unit $(ls $bindir/test_* 2>/dev/null | grep -v conformance)
		;;
	conformance)
		echo "=== suite: $suite"
		run_cmocka conformance $bindir/test_conformance
		;;
	*)
		if ! cmd=$(suite_cmd "$suite"); then
			echo "=== suite: $suite"
			echo "unknown suite $suite"
			total_fail=$((total_fail + 1))
		elif [ "$jobs" -gt 1 ]; then
			printf '%s\t%s\t%s\t%s\n' "$suite" "tests/out/$suite.log" \
			    "tests/out/$suite.log.rc" "$cmd" >>"$spec"
		else
			echo "=== suite: $suite"
			run_script "$suite" sh -c "$cmd"
		fi
		;;
	esac
done
if [ -s "$spec" ]; then
	/usr/bin/python3 tests/parallel.py "$jobs" "$spec"
	while IFS="$(printf '\t')" read -r suite log _ _; do
		score_script "$suite" "$log"
	done <"$spec"
fi
rm -f "$spec"
echo "suites run:$ran"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
