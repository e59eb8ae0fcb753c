#!/usr/bin/env bash
# bench/sshd-throughput.sh: bulk upload throughput into ferryd against OpenSSH's sshd: OpenSSH's `ssh host 'cat >/dev/null'` to a throwaway loopback ferryd and to a throwaway loopback sshd, per cipher, in one run.
#
# Usage: bench/sshd-throughput.sh [-s MIB] [-n RUNS] [-c "CIPHER[/MAC] ..."] [-o FILE]
#   -s MIB    data per run (default 1024, or $FERRY_BENCH_MIB)
#   -n RUNS   runs per server and cipher; the best (fastest) counts (default 3)
#   -c LIST   cipher suites, blank-separated, MAC after a slash for non-AEAD ciphers
#   -o FILE   also write the table to FILE (Markdown)
# FERRY_BUILD selects the build holding ferryd (default: ./build, a RelWithDebInfo build). Uses
# hyperfine when installed, else a timing loop in bash. See bench/README.md.
set -euo pipefail
# Options, harness (throwaway sshd, keys, temp dir, cleanup), timing and the table.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
# The throwaway ferryd, configured like the harness's sshd (same host key, authorized key,
# throwaway home), and OpenSSH's ssh as its client.
# shellcheck source=../tests/lib/ferryd.sh
source "$ROOT/tests/lib/ferryd.sh"

# ferryd.sh points the harness's SSHD_LOG (shown by fail) at ferryd's log; the sshd keeps a
# log of its own.
SSHD_LOG="$T/sshd.log"
sshd_start
# shellcheck disable=SC2034 # read by the harness's fail
SSHD_LOG=$FERRYD_LOG
DEST="$SSH_USER@127.0.0.1"
SSHD_BASE=$(ssh_client_cmdline)
# Record the host key (the same file for both servers), so no run prints a first-contact note.
eval "$SSHD_BASE $DEST true" </dev/null >"$T/sshd-check.err" 2>&1 ||
	fail "ssh to the sshd does not work: $(tail -n1 "$T/sshd-check.err")"

have_ferryd=1
if [[ ! -x $FERRYD_BIN ]]; then
	have_ferryd=0
	say "no ferryd binary at $FERRYD_BIN; measuring sshd only"
else
	ferryd_start
	FERRYD_BASE=$(ssh_client_cmdline)
	if ! eval "$FERRYD_BASE $DEST true" </dev/null >"$T/ferryd-check.err" 2>&1; then
		fail "ssh to ferryd does not work: $(tail -n1 "$T/ferryd-check.err")"
	fi
fi

bench_start
for suite in $SUITES; do
	args=$(bench_client_args "$suite")
	say "$suite: sshd"
	s_sshd=$(bench_best_seconds "$(bench_data) | $SSHD_BASE $args $DEST 'cat >/dev/null'")
	s_ferryd="-"
	if ((have_ferryd)); then
		say "$suite: ferryd"
		s_ferryd=$(bench_best_seconds "$(bench_data) | $FERRYD_BASE $args $DEST 'cat >/dev/null'")
	fi
	bench_row "$suite" "$s_ferryd" "$s_sshd"
done

bench_report ferryd sshd "zeros piped by OpenSSH's ssh into 'cat >/dev/null' on a loopback ferryd and sshd"
if ((have_ferryd)); then ferryd_pass "benchmark done"; fi
pass "benchmark done"
