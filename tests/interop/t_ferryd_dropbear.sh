#!/usr/bin/env bash
# tests/interop/t_ferryd_dropbear.sh: Dropbear's client (dbclient) against ferryd with each algorithm the two share, forced from the server's side (RFC 4253 s7, RFC 4344, RFC 5656, RFC 8731, RFC 8709, OpenSSH PROTOCOL.chacha20poly1305).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

command -v dbclient >/dev/null || skip "dbclient not found (install dropbear-bin)"
command -v dropbearconvert >/dev/null || skip "dropbearconvert not found (install dropbear-bin)"
say "$(dbclient -V 2>&1 | head -n1)"

# dbclient reads ~/.ssh/known_hosts: give it a throwaway HOME holding the server's host keys,
# so it checks them (and prints nothing; -y would accept an unknown key but say so on stderr).
DBHOME="$T/dbhome"
mkdir -p "$DBHOME/.ssh"
chmod 700 "$DBHOME" "$DBHOME/.ssh"
for k in ed25519 ecdsa256; do
	printf '127.0.0.1 %s\n' "$(awk '{ print $1, $2 }' "$(hostkey "$k").pub")" >>"$DBHOME/.ssh/known_hosts"
done
DBKEY="$T/id_dropbear"
dropbearconvert openssh dropbear "$CLIENT_KEY" "$DBKEY" >"$T/convert.log" 2>&1 ||
	fail "dropbearconvert failed: $(cat "$T/convert.log")"

# db_client [DBCLIENT-OPT...] -- CMD...: dbclient against the server, bounded in time.
db_client() {
	local opts=() a
	while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
	[[ ${1:-} == -- ]] && shift
	timeout -k 5 "$FERRY_TEST_TIMEOUT" env HOME="$DBHOME" dbclient -i "$DBKEY" -p "$TARGET_PORT" \
		"${opts[@]}" "$SSH_USER@127.0.0.1" "$*"
}

db_run() { # as ssh_run
	RC=0
	db_client "$@" >"$T/out" 2>"$T/err" || RC=$?
	[[ $RC != 124 ]] || fail "dbclient hung (killed after ${FERRY_TEST_TIMEOUT}s): $*"
}

# db_roundtrip BYTES: BYTES through the remote cat and back, SHA-256 compared.
db_roundtrip() {
	local bytes=$1 st
	gen_data "$bytes" >"$T/db.in"
	set +e
	db_client -- cat <"$T/db.in" 2>"$T/rt.err" | digest >"$T/rt.sum.out"
	st=("${PIPESTATUS[@]}")
	set -e
	[[ ${st[0]} == 0 ]] || fail "dbclient round trip of $(human "$bytes"): exit status ${st[0]}"
	assert_eq "$(cat "$T/rt.sum.out")" "$(digest <"$T/db.in")" "dbclient round trip of $(human "$bytes"): SHA-256"
	say "  $(human "$bytes") up and back through cat: SHA-256 ok"
}

db_basic() { # LABEL
	db_run -- true </dev/null
	assert_eq "$RC" 0 "$1: true"
	db_run -- echo hello </dev/null
	assert_eq "$RC" 0 "$1: echo exit status"
	assert_eq "$(cat "$T/out")" hello "$1: echo output"
	db_roundtrip "$(scaled_bytes 8)"
}

FERRYD_HOSTKEYS=(ed25519 ecdsa256)
say "defaults"
ferryd_start
db_basic defaults

# The known_hosts entries are really checked: with another key recorded, dbclient refuses.
say "host key mismatch refused"
cp "$DBHOME/.ssh/known_hosts" "$T/known_hosts.good"
make_key ed25519 "$T/other_hostkey"
printf '127.0.0.1 %s\n' "$(awk '{ print $1, $2 }' "$T/other_hostkey.pub")" >"$DBHOME/.ssh/known_hosts"
db_run -- true </dev/null
[[ $RC != 0 ]] || fail "dbclient accepted a host key that differs from the recorded one"
cp "$T/known_hosts.good" "$DBHOME/.ssh/known_hosts"

say "exit status and stderr"
db_run -- 'echo out; echo err >&2; exit 5' </dev/null
assert_eq "$RC" 5 "exit status"
assert_eq "$(cat "$T/out")" out "stdout"
assert_eq "$(cat "$T/err")" err "stderr"

# Each suite is the server's only offer for its algorithm kinds, so success means exactly
# that algorithm was used (dbclient has no verbose output to show it).
SUITES=(
	"Ciphers chacha20-poly1305@openssh.com|KexAlgorithms curve25519-sha256|HostKeyAlgorithms ssh-ed25519"
	"Ciphers aes128-ctr|MACs hmac-sha2-256|KexAlgorithms curve25519-sha256@libssh.org|HostKeyAlgorithms ecdsa-sha2-nistp256"
	"Ciphers aes256-ctr|MACs hmac-sha1|KexAlgorithms ecdh-sha2-nistp256|HostKeyAlgorithms ssh-ed25519"
	"Ciphers aes256-ctr|MACs hmac-sha2-256|KexAlgorithms ecdh-sha2-nistp521|HostKeyAlgorithms ecdsa-sha2-nistp256"
	"Ciphers aes128-ctr|MACs hmac-sha2-256|KexAlgorithms diffie-hellman-group14-sha256|HostKeyAlgorithms ssh-ed25519"
)
for suite in "${SUITES[@]}"; do
	say "server offers only: ${suite//|/, }"
	IFS='|' read -r -a lines <<<"$suite"
	ferryd_restart "${lines[@]}"
	db_basic "$suite"
done

# The converse: a cipher the server does not offer fails cleanly.
say "no common cipher"
ferryd_restart "Ciphers aes256-gcm@openssh.com"
db_run -- true </dev/null
[[ $RC != 0 ]] || fail "dbclient connected without a common cipher"
ferryd_pass "${#SUITES[@]} suites"
