#!/usr/bin/env bash
# scripts/demo.sh: build ferry and show `ferry ssh` at work against a throwaway OpenSSH sshd on loopback: a remote command, then 256 MiB through `cat` with SHA-256 check and throughput.
#
# Needs no remote host: the sshd, its host key and the client key are made in a temp dir and
# removed at the end (tests/lib/harness.sh does the set-up). Run as root (sshd's privilege
# separation). FERRY_TEST_CLIENT=openssh runs the same demo with OpenSSH's ssh for comparison;
# FERRY_DEMO_MIB changes the size (default 256).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

./scripts/deps.sh build test
cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$ROOT/build" -j 2

export FERRY_BUILD="$ROOT/build" FERRY_SRC="$ROOT"
# shellcheck source=../tests/lib/harness.sh
source "$ROOT/tests/lib/harness.sh"

sshd_start
say "throwaway sshd on 127.0.0.1:$SSHD_PORT ($("$SSHD_BIN" -V 2>&1 | head -n1 || true))"
say "\$ ferry ssh -p $SSHD_PORT $SSH_USER@127.0.0.1 'uname -a; id'"
ferry_ssh -- 'uname -a; id' </dev/null
bytes=$((${FERRY_DEMO_MIB:-256} << 20))
say "\$ <$(human "$bytes") of random data> | ferry ssh ... cat | sha256"
roundtrip "$bytes"
say "\$ <$(human "$bytes") of zeros> | ferry ssh ... 'cat >/dev/null'   (one way)"
t0=$(now)
head -c "$bytes" /dev/zero | ferry_ssh -- 'cat >/dev/null'
t1=$(now)
say "  $(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { d = z - a; printf "%.2f s, %.0f MB/s", d, b / d / 1e6 }')"
pass "demo finished; the sshd and keys are removed"
