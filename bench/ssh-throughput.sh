#!/usr/bin/env bash
# bench/ssh-throughput.sh: bulk upload throughput of `ferry ssh host 'cat >/dev/null'` against OpenSSH's `ssh`, per cipher, side by side against one throwaway loopback sshd.
#
# Usage: bench/ssh-throughput.sh [-s MIB] [-n RUNS] [-c "CIPHER[/MAC] ..."] [-o FILE]
#   -s MIB    data per run (default 1024, or $FERRY_BENCH_MIB)
#   -n RUNS   runs per client and cipher; the best (fastest) counts (default 3)
#   -c LIST   cipher suites, blank-separated, MAC after a slash for non-AEAD ciphers
#   -o FILE   also write the table to FILE (Markdown)
# FERRY_BUILD selects the build (default: ./build, a RelWithDebInfo build). Uses hyperfine when
# installed, else a timing loop in bash. See bench/README.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

MIB=${FERRY_BENCH_MIB:-1024}
RUNS=3
SUITES="aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com aes128-ctr/hmac-sha2-256-etm@openssh.com"
OUT=""
while getopts "s:n:c:o:h" opt; do
	case "$opt" in
		s) MIB=$OPTARG ;;
		n) RUNS=$OPTARG ;;
		c) SUITES=$OPTARG ;;
		o) OUT=$OPTARG ;;
		*) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
BYTES=$((MIB << 20))

export FERRY_SRC="$ROOT"
export FERRY_BUILD="${FERRY_BUILD:-$ROOT/build}"
# The harness's own client check is for OpenSSH's ssh; ferry is checked below, so that the
# benchmark still measures OpenSSH when ferry is missing or does not work yet.
export FERRY_TEST_CLIENT=openssh
# The harness gives the throwaway sshd, keys and client command lines (and cleans up).
# shellcheck source=../tests/lib/harness.sh
source "$ROOT/tests/lib/harness.sh"

sshd_start
# cmdline CLIENT: the client with its isolating options, as one shell string.
cmdline() { FERRY_TEST_CLIENT=$1 client_cmdline; }
FERRY_BASE=$(cmdline ferry)
SSH_BASE=$(cmdline openssh)
DEST="$SSH_USER@127.0.0.1"
# Record the host key for both (same file), so no run prints the first-contact warning.
eval "$SSH_BASE $DEST true" </dev/null
have_ferry=1
if [[ ! -x $FERRY_BUILD/ferry ]]; then
	have_ferry=0
	say "no ferry binary at $FERRY_BUILD/ferry; measuring OpenSSH only"
elif ! eval "$FERRY_BASE $DEST true" </dev/null >"$T/ferry-check.err" 2>&1; then
	have_ferry=0
	say "ferry ssh does not work yet ($(tail -n1 "$T/ferry-check.err")); measuring OpenSSH only"
fi

say "$(human "$BYTES") per run, best of $RUNS, $(nproc) CPUs, $("$SSH_BIN" -V 2>&1), ferry from $FERRY_BUILD"
if command -v hyperfine >/dev/null; then TIMER=hyperfine; else TIMER=bash; fi
say "timing with $TIMER"

# best_seconds CMD: the shortest wall time of RUNS runs of the shell command CMD (or "fail").
best_seconds() {
	local cmd=$1 i t0 t1 best=""
	if [[ $TIMER == hyperfine ]]; then
		if hyperfine --style none --runs "$RUNS" --export-csv "$T/hf.csv" "$cmd" >"$T/hf.log" 2>&1; then
			# CSV columns: command,mean,stddev,median,user,system,min,max
			awk -F, 'NR == 2 { print $7 }' "$T/hf.csv"
		else
			echo fail
		fi
		return 0
	fi
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		bash -c "set -o pipefail; $cmd" >/dev/null 2>&1 || { echo fail; return 0; }
		t1=$(now)
		best=$(awk -v a="$t0" -v z="$t1" -v b="$best" 'BEGIN { d = z - a; if (b == "" || d < b) print d; else print b }')
	done
	echo "$best"
}

mbps() { [[ $1 == fail || $1 == "-" ]] && echo "-" || awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

rows=()
for suite in $SUITES; do
	cipher=${suite%%/*}
	args="-c $cipher"
	[[ $suite == */* ]] && args+=" -m ${suite#*/}"
	data="head -c $BYTES /dev/zero"
	say "$suite: openssh"
	s_ssh=$(best_seconds "$data | $SSH_BASE $args $DEST 'cat >/dev/null'")
	if ((have_ferry)); then
		say "$suite: ferry"
		s_ferry=$(best_seconds "$data | $FERRY_BASE $args $DEST 'cat >/dev/null'")
	else
		s_ferry="-"
	fi
	m_ssh=$(mbps "$s_ssh")
	m_ferry=$(mbps "$s_ferry")
	if [[ $m_ssh != - && $m_ferry != - ]]; then
		ratio=$(awk -v f="$m_ferry" -v o="$m_ssh" 'BEGIN { printf "%.2f", f / o }')
	else
		ratio="-"
	fi
	rows+=("$suite|$m_ferry|$m_ssh|$ratio")
done

echo
printf '%-48s %12s %14s %14s\n' "cipher suite" "ferry MB/s" "openssh MB/s" "ferry/openssh"
for r in "${rows[@]}"; do
	IFS='|' read -r a b c d <<<"$r"
	printf '%-48s %12s %14s %14s\n' "$a" "$b" "$c" "$d"
done
echo "(MB = 10^6 bytes; $(human "$BYTES") of zeros piped into 'cat >/dev/null' on a loopback sshd; best of $RUNS)"
if [[ -n $OUT ]]; then
	{
		echo "| cipher suite | ferry MB/s | openssh MB/s | ferry/openssh |"
		echo "|---|---:|---:|---:|"
		for r in "${rows[@]}"; do
			IFS='|' read -r a b c d <<<"$r"
			echo "| $a | $b | $c | $d |"
		done
	} >"$OUT"
	say "table written to $OUT"
fi
pass "benchmark done"
