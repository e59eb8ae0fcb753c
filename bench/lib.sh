# bench/lib.sh: what ferry's throughput benchmarks share: their options, the test harness set-up, timing (hyperfine or a bash loop), MB/s, machine conditions and the result table.
#
# Source it from a benchmark script's top level with the script's arguments, after its header
# comment (lines 2.. up to the first line not starting with #), which is the -h text:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
# It parses -s MIB -n RUNS -c SUITES -o FILE (setting MIB, BYTES, RUNS, SUITES, OUT), exports
# FERRY_SRC and FERRY_BUILD, and sources tests/lib/harness.sh (the throwaway servers, keys,
# temp dir $T and its cleanup) with OpenSSH's ssh as the harness's client. Then:
#   bench_start                   choose the timer, note the machine's conditions, warn about a
#                                 build that is not fit for benchmarking
#   bench_client_args SUITE       the client options for one SUITE ("cipher" or "cipher/mac"):
#                                 "-o KexAlgorithms=$BENCH_KEX -c CIPHER [-m MAC]"
#   bench_data                    the shell command producing BYTES of data
#   bench_best_seconds CMD        the shortest wall time of RUNS runs of shell command CMD
#   bench_row SUITE SECS_A SECS_B a table row: MB/s of A and B (a time may be "-" or "fail")
#   bench_report A B WHAT         the table (and the Markdown table in OUT)
# (SC2034: the variables set here are read by the calling script.)
# shellcheck shell=bash disable=SC2034

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

MIB=${FERRY_BENCH_MIB:-1024}
RUNS=3
SUITES="aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com aes128-ctr/hmac-sha2-256-etm@openssh.com"
OUT=""

# bench_usage: the calling script's header comment, without the comment marks.
bench_usage() {
	awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

OPTIND=1
while getopts "s:n:c:o:h" opt; do
	case "$opt" in
		s) MIB=$OPTARG ;;
		n) RUNS=$OPTARG ;;
		c) SUITES=$OPTARG ;;
		o) OUT=$OPTARG ;;
		*) bench_usage; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($# > 0)); then
	bench_usage
	exit 2
fi
[[ $MIB =~ ^[1-9][0-9]*$ ]] || { echo "-s: a whole number of MiB, not '$MIB'" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "-n: a number of runs, not '$RUNS'" >&2; exit 2; }
BYTES=$((MIB << 20))
# An -o path relative to where the script was started, before anything changes directory.
if [[ -n $OUT && $OUT != /* ]]; then OUT="$PWD/$OUT"; fi

export FERRY_SRC="$ROOT"
export FERRY_BUILD="${FERRY_BUILD:-$ROOT/build}"
# The harness checks the client it is told to use at start-up; the benchmarks check ferry's
# binaries themselves, so that a missing or broken one still leaves OpenSSH's numbers.
export FERRY_TEST_CLIENT=openssh
# shellcheck source=../tests/lib/harness.sh
source "$ROOT/tests/lib/harness.sh"

# bench_conditions: the machine's state, for the record: CPUs and load average (1, 5, 15 min).
bench_conditions() {
	printf 'nproc %s, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_build_note: how FERRY_BUILD was configured, from its CMake cache.
bench_build_note() {
	local cache="$FERRY_BUILD/CMakeCache.txt" type san
	[[ -f $cache ]] || { echo "no CMakeCache.txt"; return 0; }
	type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
	san=$(sed -n 's/^FERRY_SANITIZE:[A-Z]*=//p' "$cache")
	echo "${type:-no build type}${san:+, FERRY_SANITIZE=$san}"
}

bench_start() {
	BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
	BENCH_BEFORE=$(bench_conditions)
	local build
	build=$(bench_build_note)
	case "$build" in
		RelWithDebInfo* | Release*) ;;
		*) say "WARNING: $FERRY_BUILD is not a RelWithDebInfo or Release build ($build): its numbers mean little" ;;
	esac
	if [[ $build == *FERRY_SANITIZE=ON* ]]; then
		say "WARNING: $FERRY_BUILD is a sanitizer build: do not publish these numbers"
	fi
	if command -v hyperfine >/dev/null; then TIMER=hyperfine; else TIMER=bash; fi
	say "$(human "$BYTES") per run, best of $RUNS, $BENCH_BEFORE, $("$SSH_BIN" -V 2>&1)"
	say "ferry from $FERRY_BUILD ($build); timing with $TIMER"
}

# Every client gets the same key exchange, for every server: the connection set-up is part of
# each timed run, and OpenSSH's ssh would otherwise choose sntrup761x25519-sha512 (which costs
# more CPU than curve25519) wherever the server offers it, while ferry does not implement it.
BENCH_KEX=curve25519-sha256

bench_client_args() {
	local suite=$1 args
	args="-o KexAlgorithms=$BENCH_KEX -c ${suite%%/*}"
	[[ $suite == */* ]] && args+=" -m ${suite#*/}"
	echo "$args"
}

bench_data() { echo "head -c $BYTES /dev/zero"; }

# bench_best_seconds CMD: the shortest wall time of RUNS runs of the shell command CMD, in
# seconds, or "fail" if a run failed.
bench_best_seconds() {
	local run=$1 i t0 t1 best=""
	if [[ $TIMER == hyperfine ]]; then
		if hyperfine --style none --runs "$RUNS" --export-csv "$T/hf.csv" "$run" >"$T/hf.log" 2>&1; then
			# CSV columns: command,mean,stddev,median,user,system,min,max
			awk -F, 'NR == 2 { print $7 }' "$T/hf.csv"
		else
			echo fail
		fi
		return 0
	fi
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		bash -c "set -o pipefail; $run" >/dev/null 2>&1 || { echo fail; return 0; }
		t1=$(now)
		best=$(awk -v a="$t0" -v z="$t1" -v b="$best" 'BEGIN { d = z - a; if (b == "" || d < b) print d; else print b }')
	done
	echo "$best"
}

# bench_mbps SECONDS: BYTES per SECONDS in MB/s (10^6 bytes), or "-".
bench_mbps() {
	if [[ $1 == fail || $1 == "-" ]]; then
		echo "-"
	else
		awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'
	fi
}

BENCH_ROWS=()
bench_row() {
	local suite=$1 a b ratio
	a=$(bench_mbps "$2")
	b=$(bench_mbps "$3")
	if [[ $a != - && $b != - ]]; then
		ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
	else
		ratio="-"
	fi
	BENCH_ROWS+=("$suite|$a|$b|$ratio")
}

# bench_report A B WHAT: the table of MB/s for A and B and the ratio A/B, on stdout and, with
# -o, as Markdown with a line saying when and under which conditions it was measured. WHAT
# says what was timed, for the footnote.
bench_report() {
	local la=$1 lb=$2 what=$3 r a b c d after note
	after=$(bench_conditions)
	note="$(human "$BYTES") per run, best of $RUNS; $(nproc) CPUs, load average ${BENCH_BEFORE#*load average } at the start and ${after#*load average } at the end"
	echo
	printf '%-48s %14s %14s %14s\n' "cipher suite" "$la MB/s" "$lb MB/s" "$la/$lb"
	for r in "${BENCH_ROWS[@]}"; do
		IFS='|' read -r a b c d <<<"$r"
		printf '%-48s %14s %14s %14s\n' "$a" "$b" "$c" "$d"
	done
	echo "(MB = 10^6 bytes; $what; $note)"
	if [[ -n $OUT ]]; then
		{
			echo "| cipher suite | $la MB/s | $lb MB/s | $la/$lb |"
			echo "|---|---:|---:|---:|"
			for r in "${BENCH_ROWS[@]}"; do
				IFS='|' read -r a b c d <<<"$r"
				echo "| $a | $b | $c | $d |"
			done
			echo
			echo "Measured $BENCH_DATE: $note; $("$SSH_BIN" -V 2>&1 | cut -d, -f1); ferry from \`$FERRY_BUILD\` ($(bench_build_note))."
		} >"$OUT"
		say "table written to $OUT"
	fi
}
