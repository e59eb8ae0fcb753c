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
# Options, harness (throwaway sshd, keys, temp dir, cleanup), timing and the table.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

sshd_start
# cmdline CLIENT: the client with its isolating options, as one shell string.
cmdline() { FERRY_TEST_CLIENT=$1 client_cmdline; }
FERRY_BASE=$(cmdline ferry)
SSH_BASE=$(cmdline openssh)
DEST="$SSH_USER@127.0.0.1"
# Record the host key for both (same file), so no run prints the first-contact warning.
eval "$SSH_BASE $DEST true" </dev/null >"$T/ssh-check.err" 2>&1 ||
	fail "ssh to the sshd does not work: $(tail -n1 "$T/ssh-check.err")"
have_ferry=1
if [[ ! -x $FERRY_BUILD/ferry ]]; then
	have_ferry=0
	say "no ferry binary at $FERRY_BUILD/ferry; measuring OpenSSH only"
elif ! eval "$FERRY_BASE $DEST true" </dev/null >"$T/ferry-check.err" 2>&1; then
	have_ferry=0
	say "ferry ssh does not work yet ($(tail -n1 "$T/ferry-check.err")); measuring OpenSSH only"
fi

bench_start
for suite in $SUITES; do
	args=$(bench_client_args "$suite")
	say "$suite: openssh"
	s_ssh=$(bench_best_seconds "$(bench_data) | $SSH_BASE $args $DEST 'cat >/dev/null'")
	s_ferry="-"
	if ((have_ferry)); then
		say "$suite: ferry"
		s_ferry=$(bench_best_seconds "$(bench_data) | $FERRY_BASE $args $DEST 'cat >/dev/null'")
	fi
	bench_row "$suite" "$s_ferry" "$s_ssh"
done

bench_report ferry openssh "zeros piped into 'cat >/dev/null' on a loopback sshd"
pass "benchmark done"
